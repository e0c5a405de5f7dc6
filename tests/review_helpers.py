"""Helpers for the review tests: a liquidation run folder written by hand, the CLI,
and the filled sheet written the way a spreadsheet program would.

The run folder holds a real liquidation.parquet (every contract column) and a
manifest built by `ramu_cli.manifest`, so `review draw` sees what `liquidate`
writes; only the lines are chosen by the test (provider, invoice, line, payable).
"""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date
from pathlib import Path

import polars as pl

from liq_helpers import explain, invoke
from ramu_cli.contract import LIQUIDATION_COLUMNS

MONTH = "2026-10"
KEY = ("provider_id", "invoice_id", "line_no")


def line(provider: str, invoice: str, line_no: int, payable: int, status: str = "PAID", ogd: str = "CMSS") -> dict:
    return dict(provider_id=provider, invoice_id=invoice, line_no=line_no, payable=payable, status=status, ogd=ogd)


def lines_of(provider: str, count: int, payable: int = 5000, start: int = 1, prefix: str | None = None) -> list[dict]:
    """`count` one-line invoices of `provider`: F-<provider>-0001, …"""
    prefix = prefix or f"F-{provider}"
    return [line(provider, f"{prefix}-{i:04d}", 1, payable) for i in range(start, start + count)]


def write_run(folder: Path, lines: list[dict], tariffs: Path | None = None) -> Path:
    """A liquidation run folder (liquidation.parquet + manifest.json) holding `lines`."""
    from ramu_cli import __version__, manifest

    folder.mkdir(parents=True)
    rows = []
    for i, spec in enumerate(lines, start=1):
        payable = spec["payable"]
        rejected = spec["status"] == "REJECTED"
        rows.append(dict(
            row_id=i, invoice_id=spec["invoice_id"], line_no=spec["line_no"], provider_id=spec["provider_id"],
            beneficiary_id="B100", ogd=spec["ogd"], act_code="CONS", service_date=date(2026, 10, 5),
            submission_date=date(2026, 10, 20), quantity=1, unit_price=payable, billed=payable,
            tariff_price=payable, allowed_qty=1, allowed=0 if rejected else payable, rate_percent=100,
            payable=0 if rejected else payable, copay=0, disallowed=payable if rejected else 0,
            status=spec["status"], reason="R01" if rejected else None, reasons=["R01"] if rejected else [],
            funder=None if rejected else "OGD"))
    df = pl.DataFrame(rows, schema=LIQUIDATION_COLUMNS)
    df.write_parquet(folder / "liquidation.parquet", compression="zstd")
    options = {"month": MONTH, "liquidation_date": "2026-10-31", "batch_dir": "lot",
               "tariffs": str(tariffs) if tariffs else None, "ledger": None}
    man = manifest.build_manifest(command="liquidate", tool_version=__version__, options=options,
                                  tariffs_digest=None, inputs={}, folder=folder,
                                  output_rows={"liquidation.parquet": df.height},
                                  totals={"lines": df.height, "payable": int(df["payable"].sum())})
    manifest.write_manifest(man, folder)
    return folder


def draw(run: Path, out: Path, *args: object) -> dict:
    """`ramu review draw RUN --out OUT ARGS --json`; its JSON summary."""
    result = invoke(["review", "draw", run, "--out", out, *args, "--json"])
    assert result.exit_code == 0, explain(result)
    return json.loads(result.stdout)


def read_sheet(draw_dir: Path) -> list[dict]:
    """review.csv of a draw as dict rows (Windows-1252, ';'), as Excel opens it."""
    with (draw_dir / "review.csv").open(encoding="cp1252", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def write_sheet(path: Path, rows: list[dict], encoding: str = "latin-1", sep: str = ";") -> Path:
    """The filled sheet saved back as CSV (columns of the first row)."""
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]), delimiter=sep, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def fill(rows: list[dict], overpaid: dict[tuple[str, str, int], int]) -> list[dict]:
    """accepted_payable = payable − overpayment (0 unless listed), thousands grouped as in Excel."""
    filled = []
    for row in rows:
        key = (row["provider_id"], row["invoice_id"], int(row["line_no"]))
        accepted = int(row["payable"]) - overpaid.get(key, 0)
        filled.append({**row, "accepted_payable": f"{accepted:,}".replace(",", " "),
                       "finding": "Acte non justifié" if key in overpaid else "Conforme"})
    return filled


def extrapolate(run: Path, results: Path, out: Path, *args: object):
    return invoke(["review", "extrapolate", run, "--results", results, "--out", out, "--date", "2026-11-30",
                   *args, "--json"])


def random_key(seed: int, provider: str, invoice: str, line_no: int) -> int:
    """The documented random key, recomputed independently: SHA-256 of "seed|provider|invoice|line"."""
    digest = hashlib.sha256(f"{seed}|{provider}|{invoice}|{line_no}".encode()).digest()
    return int.from_bytes(digest[:8], "big")
