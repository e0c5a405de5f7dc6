"""payment_orders.html: one A4 page per payment order, ready to print and sign.

Each page carries the issuing OGD, the order number, the provider with its
level, region and bank details, the month, the lines, the amounts billed and
payable (in figures and in French words), the funder, the due date and two
signature blocks.
"""

from __future__ import annotations

import polars as pl

from ramu_cli.contract import OGDS
from ramu_cli.documents.render import render

ORDER_FIELDS = ("order_no", "ogd", "provider_id", "provider_name", "level", "region", "bank_code",
                "account_number", "funder", "lines", "billed", "payable", "due_date", "amount_words")


def render_payment_orders(orders: pl.DataFrame, meta: dict) -> str:
    """All orders of the run (orders_table: with amount_words), by OGD then order number, as one printable HTML file."""
    rank = pl.col("ogd").replace_strict(OGDS, list(range(len(OGDS))), default=len(OGDS), return_dtype=pl.Int64)
    rows = orders.select(ORDER_FIELDS).sort(rank, "ogd", "order_no", nulls_last=True).to_dicts()
    total = sum(int(r["payable"]) for r in rows)
    return render("payment_orders.html", orders=rows, meta=meta, total=total)
