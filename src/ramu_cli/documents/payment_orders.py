"""payment_orders/<OGD>.html: one A4 page per payment order, ready to print and sign.

One file per OGD, the way each OGD's officer prints and signs its own orders (a
national month has over 12 000 orders: one file of them all does not open well
in a browser).

Each page carries the issuing OGD, the order number, the provider with its
level, region and bank details, the month, the lines, the amounts billed and
payable (in figures and in French words), the funder, the due date and two
signature blocks.

Why two ways to write the same pages: the template's loop (payment_orders.html)
is the reference, and cost a national month over a second of Python, one
order at a time. `_pages_html` builds every page with polars expressions
(escaped and formatted as the template's filters do) and the template only
lays out the file around them; the tests hold the two to the same bytes.
Orders the expressions do not cover (a null or negative count or amount) are
written by the template.
"""

from __future__ import annotations

from collections.abc import Iterator

import polars as pl
from markupsafe import Markup, escape

from ramu_cli.contract import OGDS
from ramu_cli.documents.labels import FUNDER_FR, LEVEL_FR, OGD_NAMES, UNKNOWN_LEVEL, UNREADABLE_OGD
from ramu_cli.documents.render import escape_expr, render
from ramu_cli.documents.tables import in_code_order
from ramu_cli.french import MISSING, date_fr, date_fr_expr, fcfa_expr, group_digits_expr, month_title

ORDER_FIELDS = ("order_no", "ogd", "provider_id", "provider_name", "level", "region", "bank_code",
                "account_number", "funder", "lines", "billed", "payable", "due_date", "amount_words")
_MISSING_BANK = '<span class="missing">manquant — à compléter avant paiement</span>'


def render_payment_orders(orders: pl.DataFrame, meta: dict) -> str:
    """All orders of the run (orders_table: with amount_words), by OGD then order number, as one printable HTML file."""
    ordered = in_code_order(orders.select(ORDER_FIELDS), "ogd", OGDS, "order_no")
    if ordered.is_empty() or not _expressible(ordered):
        return render_payment_orders_template(orders, meta)
    total = int(ordered["payable"].sum() or 0)
    return render("payment_orders_pages.html", orders_html=Markup(_pages_html(ordered, meta)), meta=meta,
                  total=total)


def render_payment_orders_template(orders: pl.DataFrame, meta: dict) -> str:
    """The same file written by the template's loop, one order at a time (the reference)."""
    rows = in_code_order(orders.select(ORDER_FIELDS), "ogd", OGDS, "order_no").to_dicts()
    total = sum(int(r["payable"]) for r in rows)
    return render("payment_orders.html", orders=rows, meta=meta, total=total)


def _expressible(orders: pl.DataFrame) -> bool:
    """Counts and amounts the expressions format as the filters do: present and not negative."""
    numbers = orders.select(pl.col("lines", "billed", "payable"))
    return not any(numbers.select(pl.any_horizontal(pl.all().is_null() | (pl.all() < 0)).any()).row(0))


def _text(column: str, none: str = "None") -> pl.Expr:
    """`{{ o.column }}`: escaped, None printed as jinja prints it."""
    return escape_expr(pl.col(column).cast(pl.String)).fill_null(none)


def _or_dash(column: str) -> pl.Expr:
    """`{{ o.column | or_dash }}`."""
    value = pl.col(column).cast(pl.String)
    return pl.when(value.is_null() | (value == "")).then(pl.lit(MISSING)).otherwise(escape_expr(value))


def _or_missing(column: str) -> pl.Expr:
    """`{% if o.column %}{{ o.column }}{% else %}<span class="missing">…</span>{% endif %}`."""
    value = pl.col(column).cast(pl.String)
    return pl.when(value.is_null() | (value == "")).then(pl.lit(_MISSING_BANK)).otherwise(escape_expr(value))


def _label(column: str, table: dict[str, str], none: str) -> pl.Expr:
    """A code through its label filter: the label, the code itself when unknown, `none` for null."""
    return escape_expr(pl.col(column).replace(table).fill_null(none))


def _pages_html(orders: pl.DataFrame, meta: dict) -> str:
    """Every order's <article>, as the loop of payment_orders.html writes it."""
    month = str(escape(month_title(meta["month"])))
    run = f" — exécution {escape(meta['run_id'])}" if meta.get("run_id") else ""
    foot = f" — {month} — ramu-cli {escape(meta['tool_version'])}{run}  </div>\n</article>\n"
    order_no = _text("order_no")
    article = pl.concat_str([
        pl.lit('<article class="order">\n  <div class="head">\n    <div class="issuer">\n      <div class="ogd">'),
        _label("ogd", OGD_NAMES, UNREADABLE_OGD), pl.lit(" ("), escape_expr(pl.col("ogd").fill_null(UNREADABLE_OGD)),
        pl.lit(")</div>\n      <div>Organisme gestionnaire délégué du RAMU</div>\n"
               '      <div class="muted">Caisse Nationale d\'Assurance Maladie (CANAM)</div>\n    </div>\n'
               '    <div class="number">\n      <div class="title">ORDRE DE PAIEMENT</div>\n'
               '      <div class="no">N° '), order_no,
        pl.lit('</div>\n      <div class="muted small">'), pl.int_range(1, pl.len() + 1).cast(pl.String),
        pl.lit(f" / {orders.height}</div>\n    </div>\n  </div>\n\n  <table class=\"fields\">\n"
               f"    <tr><th>Période liquidée</th><td>{month}</td></tr>\n"
               f"    <tr><th>Date de liquidation</th><td>{escape(date_fr(meta['liquidation_date']))}</td></tr>\n"
               '    <tr><th>Prestataire bénéficiaire</th><td class="wrap">'), _or_dash("provider_name"),
        pl.lit('<br><span class="muted small">Code '), _text("provider_id"),
        pl.lit("</span></td></tr>\n    <tr><th>Niveau de soins</th><td>"), _label("level", LEVEL_FR, UNKNOWN_LEVEL),
        pl.lit("</td></tr>\n    <tr><th>Région</th><td>"), _or_dash("region"),
        pl.lit("</td></tr>\n    <tr><th>Code banque</th><td>"), _or_missing("bank_code"),
        pl.lit('</td></tr>\n    <tr><th>N° de compte</th><td class="wrap">'), _or_missing("account_number"),
        pl.lit("</td></tr>\n    <tr><th>Payeur</th><td>"), _label("funder", FUNDER_FR, MISSING),
        pl.lit("</td></tr>\n    <tr><th>Lignes de factures</th><td>"), group_digits_expr(pl.col("lines")),
        pl.lit('</td></tr>\n    <tr><th>Montant facturé</th><td class="nowrap">'), fcfa_expr(pl.col("billed")),
        pl.lit("</td></tr>\n    <tr><th>Date d'échéance</th><td>"), date_fr_expr(pl.col("due_date")),
        pl.lit('</td></tr>\n  </table>\n\n  <div class="amount">\n    <div>Montant à payer</div>\n'
               '    <div class="figure">'), fcfa_expr(pl.col("payable")),
        pl.lit('</div>\n    <div class="words">Arrêté le présent ordre à la somme de : '), _text("amount_words"),
        pl.lit('.</div>\n  </div>\n\n  <div class="signatures">\n'
               '    <div class="signature"><div class="role">Le liquidateur</div>'
               '<div class="hint">Nom, date et signature</div></div>\n'
               '    <div class="signature"><div class="role">L\'agent comptable</div>'
               '<div class="hint">Nom, date, signature et cachet</div></div>\n  </div>\n\n'
               '  <div class="foot">\n    Ordre '), order_no, pl.lit(foot),
    ])
    return orders.select(article.str.join("")).item()


# The file of the orders whose OGD is unreadable (there should be none: paid lines have one).
UNREADABLE_OGD_FILE = "OGD_ILLISIBLE"


def payment_orders_by_ogd(orders: pl.DataFrame, meta: dict) -> Iterator[tuple[str, str]]:
    """(OGD code, its orders' HTML) for each OGD with orders, in contract order."""
    for (ogd,), group in in_code_order(orders, "ogd", OGDS, "order_no").group_by("ogd", maintain_order=True):
        yield (str(ogd) if ogd is not None else UNREADABLE_OGD_FILE), render_payment_orders(group, meta)
