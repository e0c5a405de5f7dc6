"""Where `ramu liquidate` spends its seconds and its memory, step by step.

Not a test: a developer's probe for the streaming pipeline (issue 9).

    python benchmarks/profile_liquidate.py BATCH_DIR --out DIR [--no-documents] [other liquidate options]

It runs the real command in this process (`ramu liquidate BATCH_DIR ...`), with
a timer wrapped around the functions the command calls (the table's rows), so
it follows the code as it is instead of copying it. Per row: calls, wall
seconds, CPU seconds of this process (every polars thread; work done in child
processes is not counted) and, for the outer steps, the process's peak RSS
during the step (Linux: the high-water mark is reset before each outer step by
writing 5 to /proc/self/clear_refs, then read from VmHWM). Inner rows (indented)
are parts of the outer row above them.
"""

from __future__ import annotations

import functools
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

T0 = time.perf_counter()
from ramu_cli.cli import main as ramu_main  # noqa: E402
from ramu_cli.commands import liquidate as command  # noqa: E402
from ramu_cli.documents import liquidation_files  # noqa: E402
from ramu_cli.liquidation import outputs, pipeline  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - T0

# (module, function, label, outer step?) in the order the run calls them.
WRAPPED = [
    (command, "load_tariffs", "tariffs", True),
    (command, "load_registry", "registry (beneficiaries, providers, anomalies)", True),
    (command, "load_authorizations", "authorizations", True),
    (command, "liquidate", "decisions (liquidation.pipeline.liquidate)", True),
    (pipeline, "duplicate_marks", "duplicate marks R09/R13/R14 (whole batch, key columns)", False),
    (pipeline, "frequency_flags", "R18/R16/A03 over the eligible lines", False),
    (pipeline, "write_part", "work files written (stage and decided parts)", False),
    (pipeline, "_decided_chunk", "decision plan + check_lines, per chunk", False),
    (command, "totals", "totals (Int128)", True),
    (command, "payment_orders", "payment orders (group by)", True),
    (command, "check_orders", "check_orders", True),
    (command, "compute_signals", "signals (plan)", True),
    (outputs, "sink_parquet", "liquidation.parquet streamed (zstd)", True),
    (outputs, "check_written", "check_written (totals re-read from the Parquet)", True),
    (outputs, "write_data_files", "data files (payment_orders.csv, rejections.csv, anomalies.csv)", True),
    (outputs, "write_people_documents", "documents for people (XLSX, HTML, pain.001, notices)", True),
    (liquidation_files, "write_xlsx", "XLSX workbooks", False),
]


@dataclass
class Row:
    label: str
    outer: bool
    calls: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    peak_mib: float = 0.0
    starts: list[float] = field(default_factory=list)


ROWS: dict[str, Row] = {}


def _vm(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def _timed(fn: Callable, row: Row) -> Callable:
    @functools.wraps(fn)
    def run(*args, **kwargs):
        if row.outer:
            Path("/proc/self/clear_refs").write_text("5")
        start, cpu = time.perf_counter(), time.process_time()
        try:
            return fn(*args, **kwargs)
        finally:
            row.calls += 1
            row.seconds += time.perf_counter() - start
            row.cpu += time.process_time() - cpu
            if row.outer:
                row.peak_mib = max(row.peak_mib, _vm("VmHWM"))
    return run


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        sys.exit(__doc__)
    for module, name, label, outer in WRAPPED:
        if hasattr(module, name):
            ROWS[name] = Row(label, outer)
            setattr(module, name, _timed(getattr(module, name), ROWS[name]))
    sys.argv = ["ramu", "liquidate", *sys.argv[1:], "--json"]
    start = time.perf_counter()
    try:
        ramu_main()
    except SystemExit as end:
        if end.code not in (0, None):
            raise
    wall = time.perf_counter() - start
    # The high-water mark was reset before each outer step: the run's peak is the largest of theirs.
    peak = max([_vm("VmHWM"), *(row.peak_mib for row in ROWS.values())])
    print(f"\nwhole run: {wall:.2f} s wall, {time.process_time():.2f} s CPU, peak RSS {peak:,.0f} MiB "
          f"(imports {IMPORT_SECONDS:.2f} s)\n", file=sys.stderr)
    print("| step | calls | wall s | CPU s | peak RSS in step (MiB) |\n| --- | ---: | ---: | ---: | ---: |",
          file=sys.stderr)
    for row in ROWS.values():
        if row.calls:
            label = row.label if row.outer else f"↳ {row.label}"
            peak_text = f"{row.peak_mib:,.0f}" if row.outer else ""
            print(f"| {label} | {row.calls} | {row.seconds:.2f} | {row.cpu:.2f} | {peak_text} |", file=sys.stderr)


if __name__ == "__main__":
    main()
