"""The totals of a liquidation run, defined once.

The run (summary and --json), the invariants (liquidation.parquet read back),
the report, the manifest and `ramu verify` all take them from `totals`.
"""

from __future__ import annotations

import polars as pl

from ramu_cli.errors import InvariantError, Problem
from ramu_cli.french import fcfa

AMOUNTS = ("billed", "allowed", "payable", "copay", "disallowed")
COUNTS = {"paid": "PAID", "reduced": "REDUCED", "rejected": "REJECTED"}


INT64_MAX = 2**63 - 1


def wide_sum(column: str) -> pl.Expr:
    """A sum of francs that cannot wrap: summed as Int128, checked against Int64 by `fits_int64`."""
    return pl.col(column).cast(pl.Int128).sum()


def fits_int64(sums: dict[str, int], what: str, source: str) -> None:
    """Refuse (exit 4, naming the total) a sum no Int64 column, manifest or bank file can hold.

    Each line bills at most 10^14 FCFA (R14 bounds), but 93 000 such lines exceed
    2^63 − 1: summed in Int64 the total would wrap to a negative amount, silently."""
    too_big = {k: v for k, v in sums.items() if not -INT64_MAX - 1 <= v <= INT64_MAX}
    if too_big:
        raise InvariantError(
            f"{what} : total(s) trop grand(s) pour être écrit(s) ({', '.join(too_big)} : "
            f"{', '.join(fcfa(v) for v in too_big.values())}, au-delà de {fcfa(INT64_MAX)}). Rien n'a été "
            "écrit : découpez le lot (par exemple par OGD ou par quinzaine) et liquidez chaque partie.",
            [Problem(source, "total au-delà de 2^63 − 1", column=k, value=str(v), code="total_overflow")
             for k, v in too_big.items()])


def totals(frame: pl.LazyFrame) -> dict[str, int]:
    """Lines, lines per status, amounts, and the payable that free-care programmes bear."""
    status = pl.col("status")
    row = frame.select(
        pl.len().alias("lines"),
        *[(status == value).sum().alias(key) for key, value in COUNTS.items()],
        *[wide_sum(c).alias(c) for c in AMOUNTS],
        pl.col("payable").filter(pl.col("funder") == "FREE_CARE").cast(pl.Int128).sum().alias("payable_free_care"),
    ).collect().row(0, named=True)
    result = {k: int(v or 0) for k, v in row.items()}
    fits_int64(result, "Liquidation", "liquidation")
    return result
