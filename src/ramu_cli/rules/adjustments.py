"""Adjustment codes: A01 (unit price) and A02 (quantity) make a line REDUCED.

They apply only to lines no reason code rejects (rules/__init__.py); the
amounts (liquidation/amounts.py) cap the price and the quantity the same way.
"""

from __future__ import annotations

import polars as pl

from ramu_cli.rules.common import RuleContext

# A02's condition, also the cap of allowed_qty in the amounts.
QUANTITY_CAPPED = pl.col("a_max_qty").is_not_null() & (pl.col("quantity") > pl.col("a_max_qty"))


def a01_price_above_tariff(ctx: RuleContext) -> pl.Expr:
    # A01 Prix unitaire ramené au tarif de référence: unit_price > tariff_price.
    return (pl.col("unit_price") > pl.col("price")).fill_null(False)


def a02_quantity_above_max(ctx: RuleContext) -> pl.Expr:
    # A02 Quantité ramenée au maximum autorisé: quantity > A.max_qty.
    return QUANTITY_CAPPED.fill_null(False)
