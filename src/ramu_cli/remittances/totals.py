"""The totals of a remittance audit, defined once.

The run (summary and --json), the written Parquet's check, the report, the
manifest and `ramu verify` all take them from `totals`.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from ramu_cli.liquidation.totals import fits_int64

# The manifest's totals.
TOTAL_KEYS = ("due", "collected", "remitted", "outstanding", "excess", "penalty")
# Every summable figure of a period: the report's and the workbook's totals rows.
PERIOD_SUMS = ("due", "collected", "remitted", "remitted_on_time", "remitted_late",
               "outstanding", "excess", "penalty")


def totals(frame: pl.LazyFrame, keys: Sequence[str] = TOTAL_KEYS) -> dict[str, int]:
    """Integer sums over every (ogd, period) of `frame` (remittances.parquet's rows)."""
    row = frame.select([pl.col(k).cast(pl.Int128).sum() for k in keys]).collect().row(0, named=True)
    result = {k: int(row[k] or 0) for k in keys}
    fits_int64(result, "Contrôle des reversements", "remittances")
    return result


def check_input_sums(frames: dict[str, tuple[pl.LazyFrame, Sequence[str]]]) -> None:
    """The amounts of each input file summed without wrapping (Int128) must fit Int64 (exit 4
    otherwise): the audit sums them per period and OGD before any total is taken."""
    for source, (frame, columns) in frames.items():
        row = frame.select([pl.col(c).cast(pl.Int128).sum() for c in columns]).collect().row(0, named=True)
        fits_int64({c: int(row[c] or 0) for c in columns}, f"« {source} »", source)
