"""The totals of a liquidation run, defined once.

The run (summary and --json), the invariants (liquidation.parquet read back),
the report, the manifest and `ramu verify` all take them from `totals`.
"""

from __future__ import annotations

import polars as pl

AMOUNTS = ("billed", "allowed", "payable", "copay", "disallowed")
COUNTS = {"paid": "PAID", "reduced": "REDUCED", "rejected": "REJECTED"}


def totals(frame: pl.LazyFrame) -> dict[str, int]:
    """Lines, lines per status, amounts, and the payable that free-care programmes bear."""
    status = pl.col("status")
    row = frame.select(
        pl.len().alias("lines"),
        *[(status == value).sum().alias(key) for key, value in COUNTS.items()],
        *[pl.col(c).sum().alias(c) for c in AMOUNTS],
        pl.col("payable").filter(pl.col("funder") == "FREE_CARE").sum().alias("payable_free_care"),
    ).collect().row(0, named=True)
    return {k: int(v or 0) for k, v in row.items()}
