"""A remittance audit's documents for people: remittances.xlsx and report.html."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ramu_cli.documents.labels import (
    CHUNK_HEADINGS,
    OGD_HEADINGS,
    PERIOD_HEADINGS,
    SHEET_CHUNKS,
    SHEET_OGD,
    SHEET_PERIODS,
)
from ramu_cli.documents.remittance_report import render_remittance_report
from ramu_cli.french import percent_fr
from ramu_cli.io.xlsx import write_xlsx
from ramu_cli.remittances.core import RemittanceResult
from ramu_cli.remittances.totals import PERIOD_SUMS

XLSX_FILE = "remittances.xlsx"
REPORT_FILE = "report.html"
XLSX_TOTALS = {SHEET_PERIODS: list(PERIOD_SUMS), SHEET_OGD: list(PERIOD_SUMS),
               SHEET_CHUNKS: ["amount", "penalty"]}


def _rate_text(df: pl.DataFrame) -> pl.DataFrame:
    """collection_rate as French text ("87,5 %"): the workbook writer keeps ints and dates only."""
    return df.with_columns(pl.Series("collection_rate",
                                     [percent_fr(v) for v in df["collection_rate"].to_list()],
                                     dtype=pl.String))


def write_workbook(result: RemittanceResult, path: Path) -> None:
    """remittances.xlsx: per period, per OGD, and every chunk, with French headings and totals rows."""
    write_xlsx({SHEET_PERIODS: (_rate_text(result.periods), PERIOD_HEADINGS),
                SHEET_OGD: (_rate_text(result.ogd_totals), OGD_HEADINGS),
                SHEET_CHUNKS: (result.chunks, CHUNK_HEADINGS)},
               path, totals=XLSX_TOTALS)


def write_report(path: Path, result: RemittanceResult, meta: dict) -> None:
    """report.html: the audit for CANAM's auditors (documents/remittance_report.py)."""
    html = render_remittance_report(result.periods, result.chunks, result.ogd_totals, meta)
    path.write_bytes(html.encode("utf-8"))
