"""Helpers for the liquidation tests: a fixed registry, invoice-line builders, a CLI
runner that checks the run invariants, and exact row comparisons.

Nothing here computes an expected amount: expectations are written by hand in
the tests. The registry below is small and fixed; tests add rows to it.
"""

from __future__ import annotations

import csv
import json
import traceback
import zlib
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from itertools import count
from pathlib import Path

import polars as pl

D = date
MONTH = "2026-10"  # default batch month: liquidation date L = 2026-10-31

INVOICE_COLUMNS = ["invoice_id", "line_no", "provider_id", "beneficiary_id", "ogd",
                   "service_date", "submission_date", "act_code", "quantity", "unit_price",
                   "referral", "emergency"]
BENEFICIARY_COLUMNS = ["beneficiary_id", "principal_id", "relationship", "ogd", "sex",
                       "birth_date", "student", "disabled", "rights_start", "rights_end"]
PROVIDER_COLUMNS = ["provider_id", "name", "level", "region", "convention_start",
                    "convention_end", "bank_code", "account_number"]
AMOUNT_COLUMNS = ("billed", "tariff_price", "allowed_qty", "allowed", "rate_percent",
                  "payable", "copay", "disallowed")


# ---------------------------------------------------------------------------
# Registry
# ---------------------------------------------------------------------------

def ben(bid: str, *, rel: str = "PRINCIPAL", principal: str | None = None, ogd: str = "CMSS",
        sex: str = "M", birth: date | str = D(1980, 5, 10), student: bool | str | None = None,
        disabled: bool | str | None = None, start: date | str = D(2020, 1, 1),
        end: date | str | None = None) -> dict:
    """A beneficiary row; principal_id defaults to its own id (PRINCIPAL / OF_RIGHT)."""
    return dict(beneficiary_id=bid, principal_id=principal or bid, relationship=rel, ogd=ogd,
                sex=sex, birth_date=birth, student=student, disabled=disabled,
                rights_start=start, rights_end=end)


def child(bid: str, birth: date, *, principal: str = "B100", sex: str = "M", **kw) -> dict:
    """A CHILD of `principal` (default B100, CMSS)."""
    return ben(bid, rel="CHILD", principal=principal, sex=sex, birth=birth, **kw)


DEFAULT_BENEFICIARIES = [
    ben("B100"),                                                      # CMSS principal, M, 46 in Oct 2026
    ben("B101", rel="SPOUSE", principal="B100", sex="F", birth=D(1988, 3, 3)),   # 38, F
    child("B102", D(2016, 6, 1)),                                     # 10 in Oct 2026
    ben("A200", rel="OF_RIGHT", ogd="ANAM", sex="F", birth=D(1990, 1, 1),
        start=D(2024, 1, 1), end=D(2027, 12, 31)),                    # RAMED, admitted of right
    ben("I300", ogd="INPS", sex="F", birth=D(1992, 2, 2)),
    ben("U400", ogd="UTM", birth=D(1975, 8, 8)),
    ben("B130", birth=D(1980, 1, 1), end=D(2026, 6, 30)),             # rights closed 30/06/2026
    child("B131", D(2023, 1, 15), principal="B130", sex="F",
          start=D(2023, 1, 15), end=D(2026, 6, 30)),                  # 3 years old, rights closed
]


def prov(pid: str, level: str, *, name: str | None = None, region: str = "Bamako",
         start: date | str = D(2020, 1, 1), end: date | str | None = None) -> dict:
    return dict(provider_id=pid, name=name or f"Formation sanitaire {pid}", level=level,
                region=region, convention_start=start, convention_end=end,
                bank_code="ML016", account_number=f"00{zlib.crc32(pid.encode()) % 10**8:08d}")


DEFAULT_PROVIDERS = [
    prov("P-CSCOM", "CSCOM", name="CSCom de Bamako-Coura (santé communautaire)"),
    prov("P-CSREF", "CSREF", name="CSRéf de la Commune V"),
    prov("P-HR", "HR", name="Hôpital régional Nianankoro Fomba", region="Ségou"),
    prov("P-EPH", "EPH", name="CHU du Point G"),
]


# ---------------------------------------------------------------------------
# Invoice lines
# ---------------------------------------------------------------------------

def line(**kw) -> dict:
    """An invoice line: B100 (CMSS) at P-CSCOM, CONS × 1 at 1000 FCFA, care on
    05/10/2026, received 20/10/2026, no referral/emergency flag. invoice_id
    defaults to F<row number> and line_no to 1 (filled when the batch is written)."""
    row = dict(provider_id="P-CSCOM", beneficiary_id="B100", ogd="CMSS",
               service_date=D(2026, 10, 5), submission_date=D(2026, 10, 20), act_code="CONS",
               quantity=1, unit_price=1000, referral=None, emergency=None)
    row.update(kw)
    return row


def _fill_keys(invoices: Sequence[dict]) -> list[dict]:
    out = []
    for i, row in enumerate(invoices, start=1):
        row = dict(row)
        row.setdefault("invoice_id", f"F{i}")
        row.setdefault("line_no", 1)
        out.append(row)
    return out


# ---------------------------------------------------------------------------
# Expected rows
# ---------------------------------------------------------------------------

def ok(*, billed: int, tariff: int, qty: int, allowed: int, rate: int, payable: int, copay: int,
       disallowed: int, funder: str = "OGD", reasons: Sequence[str] = ()) -> dict:
    """A PAID row (no reasons) or a REDUCED one (A codes, given sorted)."""
    reasons = list(reasons)
    assert reasons == sorted(reasons) and all(r.startswith("A") for r in reasons)
    return dict(status="REDUCED" if reasons else "PAID", reasons=reasons,
                reason=reasons[0] if reasons else None, billed=billed, tariff_price=tariff,
                allowed_qty=qty, allowed=allowed, rate_percent=rate, payable=payable,
                copay=copay, disallowed=disallowed, funder=funder)


def rej(*reasons: str, billed: int) -> dict:
    """A REJECTED row: R codes given sorted; nothing allowed, everything disallowed."""
    assert list(reasons) == sorted(reasons) and reasons and all(r.startswith("R") for r in reasons)
    return dict(status="REJECTED", reasons=list(reasons), reason=reasons[0], billed=billed,
                tariff_price=None, allowed_qty=0, allowed=0, rate_percent=None, payable=0,
                copay=0, disallowed=billed, funder=None)


def check_row(row: dict, expected: dict, label: str = "") -> None:
    """Every expected key equal, and billed = payable + copay + disallowed."""
    diffs = {k: (row.get(k), v) for k, v in expected.items() if row.get(k) != v}
    assert not diffs, f"row {row.get('row_id')} {label}: (got, expected) {diffs}\nrow = {row}"
    assert row["billed"] == row["payable"] + row["copay"] + row["disallowed"], row


def check_rows(rows: list[dict], expected: list[dict]) -> None:
    assert len(rows) == len(expected), f"{len(rows)} rows, expected {len(expected)}"
    for i, (row, exp) in enumerate(zip(rows, expected, strict=False), start=1):
        check_row(row, exp, f"(expectation #{i})")


# ---------------------------------------------------------------------------
# Running the CLI
# ---------------------------------------------------------------------------

def invoke(args: Iterable[object]):
    """CliRunner().invoke(app, args) — imported here so that test collection does not
    depend on the CLI being importable yet."""
    from typer.testing import CliRunner

    from ramu_cli.cli import app
    return CliRunner().invoke(app, [str(a) for a in args])


def explain(result) -> str:
    text = f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}"
    if result.exc_info and result.exc_info[1] is not None and not isinstance(result.exc_info[1], SystemExit):
        text += "\n" + "".join(traceback.format_exception(*result.exc_info))
    return text


def liquidate_args(batch: Path, out: Path, tariffs: Path, month: str = MONTH,
                   extra: Sequence[object] = ()) -> list[str]:
    return ["liquidate", str(batch), "--out", str(out), "--tariffs", str(tariffs),
            "--month", month, *[str(e) for e in extra]]


def check_invariants(df: pl.DataFrame, n: int) -> None:
    """What the rulebook guarantees for every run, whatever the data."""
    from ramu_cli.contract import LIQUIDATION_COLUMNS
    missing = [c for c in LIQUIDATION_COLUMNS if c not in df.columns]
    assert not missing, f"missing output columns {missing}"
    assert df.height == n, f"{df.height} output rows for {n} input rows"
    assert df["row_id"].to_list() == list(range(1, n + 1))
    for r in df.iter_rows(named=True):
        assert r["billed"] == r["payable"] + r["copay"] + r["disallowed"], r
        for c in ("billed", "allowed_qty", "allowed", "payable", "copay", "disallowed"):
            assert r[c] is not None and r[c] >= 0, (c, r)
        reasons = r["reasons"]
        assert reasons == sorted(reasons), r
        assert r["reason"] == (reasons[0] if reasons else None), r
        if r["status"] == "PAID":
            assert reasons == [], r
        elif r["status"] == "REDUCED":
            assert reasons and all(x.startswith("A") for x in reasons), r
        else:
            assert r["status"] == "REJECTED", r
            assert reasons and all(x.startswith("R") for x in reasons), r


def run_ok(batch: Path, out: Path, tariffs: Path, n: int, month: str = MONTH,
           extra: Sequence[object] = ()) -> pl.DataFrame:
    """Run `ramu liquidate`, require exit 0, read and check liquidation.parquet."""
    result = invoke(liquidate_args(batch, out, tariffs, month, extra))
    assert result.exit_code == 0, explain(result)
    df = pl.read_parquet(out / "liquidation.parquet", glob=False)
    check_invariants(df, n)
    return df


def check_fixture_parses(batch: Path, n: int, faulty_rows: Iterable[int] = (),
                         registry_faults: bool = False) -> None:
    """The batch CSVs read as intended: n invoice rows, cell faults only where declared."""
    from ramu_cli.contract import BENEFICIARIES, INVOICES, PROVIDERS
    from ramu_cli.io.readers import scan_table
    scan = scan_table(batch / "invoices.csv", INVOICES)
    assert scan.typed().collect().height == n
    problems = scan.problems().collect()
    assert sorted(set(problems["row_id"].to_list())) == sorted(set(faulty_rows)), problems
    if not registry_faults:
        for name, table in (("beneficiaries.csv", BENEFICIARIES), ("providers.csv", PROVIDERS)):
            p = scan_table(batch / name, table).problems().collect()
            assert p.is_empty(), (name, p)


_runs = count(1)


class Run(list):
    """The output rows (dicts) of one run, with the batch and output folders."""

    batch: Path
    out: Path


def liquidate_batch(write_batch: Callable[..., Path], tariff_dir: Path, base: Path,
                    invoices: Sequence[dict], *, beneficiaries: Sequence[dict] | None = None,
                    extra_beneficiaries: Sequence[dict] = (),
                    providers: Sequence[dict] | None = None, extra_providers: Sequence[dict] = (),
                    dialect: str = "utf8", month: str = MONTH, args: Sequence[object] = (),
                    faulty_rows: Iterable[int] = (), registry_faults: bool = False,
                    batch: Path | None = None) -> Run:
    """Write the batch as real CSVs, check they parse as intended, run the CLI, and
    return the output rows (dicts) after checking the run invariants."""
    k = next(_runs)
    invoices = _fill_keys(invoices)
    if batch is None:
        batch = base / f"lot{k}"
        bens = list(DEFAULT_BENEFICIARIES if beneficiaries is None else beneficiaries)
        provs = list(DEFAULT_PROVIDERS if providers is None else providers)
        write_batch(batch, dialect,
                    columns={"invoices": INVOICE_COLUMNS, "beneficiaries": BENEFICIARY_COLUMNS,
                             "providers": PROVIDER_COLUMNS},
                    beneficiaries=bens + list(extra_beneficiaries),
                    providers=provs + list(extra_providers), invoices=invoices)
        check_fixture_parses(batch, len(invoices), faulty_rows, registry_faults)
    out = base / f"out{k}"
    df = run_ok(batch, out, tariff_dir, len(invoices), month, args)
    run = Run(df.to_dicts())
    run.batch, run.out = batch, out
    return run


# ---------------------------------------------------------------------------
# Payment orders
# ---------------------------------------------------------------------------

def _to_int(text: str) -> int:
    digits = "".join(ch for ch in text if ch.isdigit() or ch == "-")
    return int(digits) if digits else 0


def payment_orders(out: Path) -> tuple[list[str], list[list[str]]]:
    """payment_orders.csv as (header, rows): Windows-1252, ';'."""
    with (out / "payment_orders.csv").open(encoding="cp1252", newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    return rows[0], rows[1:]


def payment_orders_total(out: Path) -> int:
    """Σ of the amount-to-pay column of payment_orders.csv.

    The column heading is not fixed by the contract: take the one whose name
    contains "payable" or "Montant à payer".
    TODO: if no such column exists, fall back to manifest.json "totals" (a key
    containing "payable"); pin the heading once the documents module settles.
    """
    header, rows = payment_orders(out)
    for i, name in enumerate(header):
        low = name.strip().lower()
        if "payable" in low or "montant à payer" in low:
            return sum(_to_int(r[i]) for r in rows if len(r) > i and r[i].strip())
    totals = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["totals"]
    keys = [k for k in totals if "payable" in k.lower()]
    assert keys, f"no payable column in payment_orders.csv {header} nor in manifest totals {totals}"
    return int(totals[sorted(keys, key=len)[0]])
