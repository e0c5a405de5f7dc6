"""Amounts of a liquidated line, in whole francs (liquidation-rules.md, "Amounts").

Integers only: the coverage rate is a whole percent and payable is rounded
half up with integer arithmetic, so no float ever touches an amount.
"""

from __future__ import annotations

import polars as pl

from ramu_cli.contract import QUANTITY_MAX, UNIT_PRICE_MAX
from ramu_cli.rules.adjustments import QUANTITY_CAPPED
from ramu_cli.rules.common import FREE_CARE

ZERO = pl.lit(0, pl.Int64)


def billed() -> pl.Expr:
    """quantity × unit_price; 0 when either is unreadable or out of the R14 bounds
    (so the product is at most 10^14 and never wraps)."""
    q, p = pl.col("quantity"), pl.col("unit_price")
    valid = q.is_between(1, QUANTITY_MAX) & p.is_between(0, UNIT_PRICE_MAX)
    return pl.when(valid).then(q * p).otherwise(ZERO).fill_null(0)


def amount_columns(rejected: pl.Expr) -> dict[str, pl.Expr]:
    """tariff_price … funder for every row; the zeros and nulls of a REJECTED row."""
    # min(quantity, A.max_qty, remaining): `cap_remaining` (rules.frequency) is null where
    # no annual cap applies, and min_horizontal skips nulls.
    allowed_qty = pl.min_horizontal(
        pl.when(QUANTITY_CAPPED).then(pl.col("a_max_qty")).otherwise(pl.col("quantity")),
        pl.col("cap_remaining"))
    allowed_unit = pl.min_horizontal(pl.col("unit_price"), pl.col("price"))
    rate = pl.when(FREE_CARE).then(pl.lit(100, pl.Int64)).otherwise(pl.col("coverage_rate"))
    allowed = allowed_qty * allowed_unit
    payable = (allowed * rate + 50) // 100  # half up to the franc
    kept = ~rejected
    return {
        "tariff_price": pl.when(kept).then(pl.col("price")),
        "allowed_qty": pl.when(kept).then(allowed_qty).otherwise(ZERO),
        "allowed": pl.when(kept).then(allowed).otherwise(ZERO),
        "rate_percent": pl.when(kept).then(rate),
        "payable": pl.when(kept).then(payable).otherwise(ZERO),
        "funder": pl.when(kept).then(pl.when(FREE_CARE).then(pl.lit("FREE_CARE")).otherwise(pl.lit("OGD"))),
    }
