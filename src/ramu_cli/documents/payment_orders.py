"""payment_orders/<OGD>.html: one A4 page per payment order, ready to print and sign.

One file per OGD, the way each OGD's officer prints and signs its own orders (a
national month has over 12 000 orders: one file of them all does not open well
in a browser).

Each page carries the issuing OGD, the order number, the provider with its
level, region and bank details, the month, the lines, the amounts billed and
payable (in figures and in French words), the funder, the due date and two
signature blocks.
"""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl

from ramu_cli.contract import OGDS
from ramu_cli.documents.render import render
from ramu_cli.documents.tables import in_code_order

ORDER_FIELDS = ("order_no", "ogd", "provider_id", "provider_name", "level", "region", "bank_code",
                "account_number", "funder", "lines", "billed", "payable", "due_date", "amount_words")


def render_payment_orders(orders: pl.DataFrame, meta: dict) -> str:
    """All orders of the run (orders_table: with amount_words), by OGD then order number, as one printable HTML file."""
    rows = in_code_order(orders.select(ORDER_FIELDS), "ogd", OGDS, "order_no").to_dicts()
    total = sum(int(r["payable"]) for r in rows)
    return render("payment_orders.html", orders=rows, meta=meta, total=total)


# The file of the orders whose OGD is unreadable (there should be none: paid lines have one).
UNREADABLE_OGD_FILE = "OGD_ILLISIBLE"


def payment_orders_by_ogd(orders: pl.DataFrame, meta: dict) -> Iterator[tuple[str, str]]:
    """(OGD code, its orders' HTML) for each OGD with orders, in contract order."""
    for (ogd,), group in in_code_order(orders, "ogd", OGDS, "order_no").group_by("ogd", maintain_order=True):
        yield (str(ogd) if ogd is not None else UNREADABLE_OGD_FILE), render_payment_orders(group, meta)
