"""Where `ramu liquidate` spends its seconds and its memory, step by step.

Not a test: a developer's probe to guide the streaming rewrite (issue 9).

    python benchmarks/profile_liquidate.py BATCH_DIR [--out DIR] [--tariffs DIR]

It calls, in the same order, the functions `commands/liquidate.py`,
`liquidation/outputs.py` and `documents/liquidation_files.py` call, with a timer around each,
and prints per step: wall seconds, CPU seconds (every thread: polars works on
both cores; on a shared machine CPU seconds are far steadier than wall ones),
the RSS before the step, the process's peak RSS *during that step* (Linux: the
high-water mark is reset before each step by writing 5 to /proc/self/clear_refs,
then read from VmHWM) and the rise. A few "probe" rows re-run a part
of a step on its own, just after it (the lookups, the pandera check), to split
it: they are extra work, not part of the run, left out of the totals
(--no-probes skips them).

It follows the module layout of docs/architecture.md (liquidation/, documents/).
"""

from __future__ import annotations

import argparse
import re
import resource
import shutil
import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

T0 = time.perf_counter()
import polars as pl  # noqa: E402

from ramu_cli import __version__, manifest  # noqa: E402
from ramu_cli.commands.common import resolve_month, resolve_tariffs  # noqa: E402
from ramu_cli.contract import AUTHORIZATIONS, BENEFICIARIES, INVOICES, LIQUIDATION_COLUMNS, PROVIDERS  # noqa: E402
from ramu_cli.documents import liquidation_report, notices, pain001, payment_orders  # noqa: E402
from ramu_cli.documents.labels import (  # noqa: E402
    ORDER_HEADINGS,
    REJECTION_HEADINGS,
    SHEET_ORDERS,
    SHEET_REJECTIONS,
)
from ramu_cli.documents.liquidation_files import _safe_name  # noqa: E402
from ramu_cli.documents.tables import french_values, orders_table, rejections_table  # noqa: E402
from ramu_cli.io.readers import scan_batch_table  # noqa: E402
from ramu_cli.io.writers import run_folder, write_csv  # noqa: E402
from ramu_cli.io.xlsx import write_xlsx  # noqa: E402
from ramu_cli.ledger import scan_ledger  # noqa: E402
from ramu_cli.liquidation.authorizations import load_authorizations  # noqa: E402
from ramu_cli.liquidation.invariants import check_lines, check_orders, check_written  # noqa: E402
from ramu_cli.liquidation.lookups import lookups as _lookups  # noqa: E402
from ramu_cli.liquidation.orders import payment_orders as build_orders  # noqa: E402
from ramu_cli.liquidation.pipeline import (  # noqa: E402
    COVERAGE_CHECK,
    DECISION_INPUTS,
    cross_line_flags,
    decision_plan,
    last_day_of_month,
    ordinary_codes,
)
from ramu_cli.liquidation.registry import ANOMALY_COLUMNS, load_registry  # noqa: E402
from ramu_cli.liquidation.totals import totals  # noqa: E402
from ramu_cli.rules import RuleContext  # noqa: E402
from ramu_cli.rules.duplicates import duplicate_flags  # noqa: E402
from ramu_cli.schemas import LIQUIDATION_SCHEMA, schema_problems  # noqa: E402
from ramu_cli.tariffs import load_tariffs  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - T0


@dataclass
class Step:
    group: str
    name: str
    seconds: float
    cpu: float
    peak_mib: float
    rss_after_mib: float
    probe: bool
    rss_before_mib: float = 0.0


STEPS: list[Step] = []
PROBES = True


def _status_kib(field: str) -> int:
    found = re.search(rf"{field}:\s+(\d+)", Path("/proc/self/status").read_text())
    if found is None:
        sys.exit(f"{field} absent de /proc/self/status : ce profil demande Linux")
    return int(found.group(1))


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


@contextmanager
def step(group: str, name: str, probe: bool = False):
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = _status_kib("VmRSS") / 1024
    start, cpu = time.perf_counter(), _cpu()
    yield
    STEPS.append(Step(group, name, time.perf_counter() - start, _cpu() - cpu,
                      _status_kib("VmHWM") / 1024, _status_kib("VmRSS") / 1024, probe, before))
    last = STEPS[-1]
    print(f"  {group:<12} {name:<44} {last.seconds:7.2f} s  peak {last.peak_mib:7,.0f} MiB", file=sys.stderr)


def decisions(batch: Path, tariffs_dir: Path, liquidation_date):
    """Everything before the output folder: the frames the writers receive."""
    with step("decisions", "tariffs"):
        tariffs = load_tariffs(tariffs_dir)
    with step("decisions", "registry (beneficiaries, providers, anomalies)"):
        scans = {t.role: scan_batch_table(batch, t) for t in (BENEFICIARIES, PROVIDERS, INVOICES)}
        registry = load_registry(scans["beneficiaries"], scans["providers"], liquidation_date)
        ledger = scan_ledger(None)
        auth_scan = scan_batch_table(batch, AUTHORIZATIONS, required=False)
        authorizations = load_authorizations(auth_scan)[0] if auth_scan is not None else None
    # liquidation.liquidate(), its three collects one by one
    with step("decisions", "read + type invoices"):
        typed = scans["invoices"].typed().collect()
        input_rows = typed.height
    with step("decisions", "duplicate flags R09/R13/R14"):
        flagged = duplicate_flags(typed.lazy(), ledger).collect()
        del typed
    ctx = RuleContext(tariffs.policy, liquidation_date)
    with step("decisions", "lookups + ordinary rules (collect)"):
        coded = ordinary_codes(flagged.lazy(), registry, tariffs, ctx, authorizations).collect()
    with step("decisions", "R18/R16 cross-line flags"):
        flags = cross_line_flags(coded, tariffs, ledger)
        coded = coded.select(DECISION_INPUTS)
    with step("decisions", "decision plan: masks, amounts, reasons"):
        df = decision_plan(coded.lazy(), flags, ctx).collect()
        del coded
    if PROBES:  # after the real step, so that its memory is not the probe's leftovers
        with step("decisions", "lookups alone (B, P, V, A, price, rate)", probe=True):
            probe = _lookups(flagged.lazy(), registry, tariffs, authorizations).collect()
            del probe
    del flagged
    with step("decisions", "coverage gap check, drop helpers"):
        assert not df["coverage_missing"].any()
        lines = df.drop(COVERAGE_CHECK)
        del df
    return tariffs, scans, registry, lines, input_rows


def invariants(lines, registry, tariffs, month, liquidation_date, input_rows):
    with step("decisions", "payment orders (group by)"):
        orders = build_orders(lines, registry.providers, tariffs.policy, month, liquidation_date)
    with step("invariants", "check_lines (rows, order, conservation, pandera)"):
        check_lines(lines, input_rows)
    if PROBES:
        with step("invariants", "pandera contract alone", probe=True):
            schema_problems(lines.select(list(LIQUIDATION_COLUMNS)), LIQUIDATION_SCHEMA, "liquidation.parquet")
    with step("invariants", "check_orders, totals"):
        check_orders(lines, orders)
        run_totals = totals(lines.lazy())
    return orders, run_totals


def documents(folder: Path, lines, orders, registry, meta) -> None:
    """documents.liquidation_files.write_data_files + write_people_documents, one timer per file."""
    with step("documents", "orders table (amounts in words)"):
        orders = orders_table(orders)
    with step("documents", "rejections table"):
        rejections = rejections_table(lines, registry.providers)
    with step("documents", "payment_orders.csv"):
        write_csv(orders, folder / "payment_orders.csv")
    with step("documents", "payment_orders.xlsx"):
        write_xlsx({SHEET_ORDERS: (french_values(orders), ORDER_HEADINGS)}, folder / "payment_orders.xlsx",
                   totals={SHEET_ORDERS: ["lines", "billed", "payable"]})
    with step("documents", "rejections.csv, anomalies.csv"):
        write_csv(rejections, folder / "rejections.csv")
        write_csv(registry.anomalies.select(ANOMALY_COLUMNS), folder / "anomalies.csv")
    with step("documents", "rejections.xlsx"):
        write_xlsx({SHEET_REJECTIONS: (rejections, REJECTION_HEADINGS)}, folder / "rejections.xlsx",
                   totals={SHEET_REJECTIONS: ["billed", "allowed", "payable", "disallowed"]})
    providers = registry.providers.select("provider_id", "name", "level", "region")
    with step("documents", "report.html"):
        registered = dict(registry.beneficiaries.group_by("ogd").len().iter_rows())
        (folder / "report.html").write_text(liquidation_report.render_liquidation_report(
            lines, orders, providers, registered, meta), encoding="utf-8")
    with step("documents", "payment_orders.html (order pages)"):
        (folder / "payment_orders.html").write_text(payment_orders.render_payment_orders(orders, meta),
                                                    encoding="utf-8")
    with step("documents", "payment_orders.pain001.xml"):
        (folder / "payment_orders.pain001.xml").write_bytes(pain001.render_pain001(orders, meta))
    with step("documents", "rejection notices: render by chunks, each written as rendered"):
        (folder / "rejections").mkdir()
        for provider_id, html in notices.rejection_notices(lines, providers, meta):
            (folder / "rejections" / f"{_safe_name(provider_id)}.html").write_text(html, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("batch", type=Path)
    parser.add_argument("--out", type=Path, default=Path("bench-data/profile-out"))
    parser.add_argument("--tariffs", type=Path, default=None)
    parser.add_argument("--no-probes", action="store_true", help="skip the probe rows (extra work)")
    args = parser.parse_args()
    global PROBES
    PROBES = not args.no_probes
    month = resolve_month(args.batch, None)
    liquidation_date = last_day_of_month(month)
    tariffs_dir = resolve_tariffs(args.tariffs)
    shutil.rmtree(args.out, ignore_errors=True)
    STEPS.append(Step("start", "python + imports (polars, ramu_cli)", IMPORT_SECONDS, _cpu(),
                      _status_kib("VmHWM") / 1024, _status_kib("VmRSS") / 1024, False))

    tariffs, scans, registry, lines, input_rows = decisions(args.batch, tariffs_dir, liquidation_date)
    orders, run_totals = invariants(lines, registry, tariffs, month, liquidation_date, input_rows)
    with step("write", "input row counts (manifest)"):
        inputs = {role: (scan.path, scan.raw.select(pl.len()).collect().item()) for role, scan in scans.items()}
    with ExitStack() as stack:
        folder = stack.enter_context(run_folder(args.out))
        parquet = folder / "liquidation.parquet"
        with step("write", "liquidation.parquet (zstd)"):
            lines.select(list(LIQUIDATION_COLUMNS)).write_parquet(parquet, compression="zstd")
        with step("invariants", "check_written (re-read the Parquet)"):
            check_written(parquet, run_totals)
        meta = {"month": month, "liquidation_date": liquidation_date, "tool_version": __version__,
                "tariffs_digest": tariffs.digest, "anomalies": registry.anomalies.height,
                "contest_days": tariffs.policy.contest_days,
                "run_id": manifest.liquidation_run_id(month, manifest.sha256_file(parquet))}
        documents(folder, lines, orders, registry, meta)
        with step("write", "manifest (SHA-256 of inputs and outputs)"):
            man = manifest.build_manifest(
                command="liquidate", tool_version=__version__, options={"month": month}, tariffs_digest=tariffs.digest,
                inputs=inputs, folder=folder, output_rows={"liquidation.parquet": lines.height}, totals=run_totals,
                extra={"anomalies": registry.anomalies.height, "orders": orders.height})
            manifest.write_manifest(man, folder)
        with step("write", "folder moved into place (run_folder exit)"):
            stack.close()
    report(lines.height)


def report(n: int) -> None:
    real = [s for s in STEPS if not s.probe]
    total, total_cpu = sum(s.seconds for s in real), sum(s.cpu for s in real)
    print(f"\n{n:,} lines — {total:.2f} s wall and {total_cpu:.2f} s CPU in steps, process peak "
          f"{max(s.peak_mib for s in real):,.0f} MiB (the largest peak of a step, probes left out)\n")
    print("| group | step | wall s | CPU s | CPU share | RSS before (MiB) | peak in step (MiB) | rise (MiB) |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for s in STEPS:
        share = "" if s.probe else f"{100 * s.cpu / total_cpu:.0f} %"
        name = f"*probe:* {s.name}" if s.probe else s.name
        print(f"| {s.group} | {name} | {s.seconds:.2f} | {s.cpu:.2f} | {share} | {s.rss_before_mib:,.0f} | "
              f"{s.peak_mib:,.0f} | {s.peak_mib - s.rss_before_mib:+,.0f} |")
    print("\n| group | wall s | CPU s | CPU share |\n| --- | ---: | ---: | ---: |")
    for group in dict.fromkeys(s.group for s in real):
        sec, cpu = sum(s.seconds for s in real if s.group == group), sum(s.cpu for s in real if s.group == group)
        print(f"| {group} | {sec:.2f} | {cpu:.2f} | {100 * cpu / total_cpu:.0f} % |")


if __name__ == "__main__":
    main()
