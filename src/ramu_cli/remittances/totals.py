"""The totals of a remittance audit, defined once.

The run (summary and --json), the written Parquet's check, the report, the
manifest and `ramu verify` all take them from `totals`.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

# The manifest's totals.
TOTAL_KEYS = ("due", "collected", "remitted", "outstanding", "excess", "penalty")
# Every summable figure of a period: the report's and the workbook's totals rows.
PERIOD_SUMS = ("due", "collected", "remitted", "remitted_on_time", "remitted_late",
               "outstanding", "excess", "penalty")


def totals(frame: pl.LazyFrame, keys: Sequence[str] = TOTAL_KEYS) -> dict[str, int]:
    """Integer sums over every (ogd, period) of `frame` (remittances.parquet's rows)."""
    row = frame.select(pl.col(list(keys)).sum()).collect().row(0, named=True)
    return {k: int(row[k] or 0) for k in keys}
