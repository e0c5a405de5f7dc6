"""The jinja2 environment of every HTML document, with the French labels as filters.

Templates live in `documents/templates/` and are autoescaped: a provider
called `<script>` is printed as text. All formatting for people goes through
`ramu_cli.french`, registered here as filters (`{{ x | fcfa }}`), so a
template never formats an amount or a date by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache

import polars as pl
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ramu_cli import french
from ramu_cli.documents.labels import (
    CATEGORY_FR,
    FUNDER_FR,
    LEVEL_FR,
    OGD_NAMES,
    STATUS_FR,
    UNKNOWN_CATEGORY,
    UNKNOWN_LEVEL,
    UNREADABLE_OGD,
    ogd_label,
    reason_label,
)

MISSING = french.MISSING


def _label(table: dict[str, str], missing: str) -> Callable[[str | None], str]:
    def label(code: str | None) -> str:
        if code is None:
            return missing
        return table.get(code, code)
    return label


def _percent_bp(bp: int) -> str:
    """Basis points as a percent with the decimals it needs: 500 -> "5,0 %", 125 -> "1,25 %"."""
    return french.percent_fr(bp / 100, decimals=2 if bp % 10 else 1)


FILTERS = {
    "fcfa": french.fcfa,
    "date_fr": french.date_fr,
    "month_title": french.month_title,
    "month_name": french.month_name,
    "percent_fr": french.percent_fr,
    "percent_bp": _percent_bp,
    "count_fr": french.count_fr,
    "group_digits": french.group_digits,
    "amount_in_words": french.amount_in_words,
    "reason_label": reason_label,
    "status_fr": _label(STATUS_FR, MISSING),
    "funder_fr": _label(FUNDER_FR, MISSING),
    "level_fr": _label(LEVEL_FR, UNKNOWN_LEVEL),
    "category_fr": _label(CATEGORY_FR, UNKNOWN_CATEGORY),
    "ogd_label": ogd_label,
    "ogd_name": lambda c: OGD_NAMES.get(c, c) if c else UNREADABLE_OGD,
    "or_dash": lambda v: MISSING if v is None or v == "" else v,
}


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("ramu_cli.documents", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(FILTERS)
    env.globals.update(pluralize=french.pluralize, NBSP=french.NBSP, MISSING=MISSING)
    return env


_HTML_ESCAPES = (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&#34;"), ("'", "&#39;"))


def escape_expr(expr: pl.Expr) -> pl.Expr:
    """HTML-escape a text column as markupsafe does, for HTML built by polars (one pass over the text)."""
    return expr.str.replace_many([c for c, _ in _HTML_ESCAPES], [e for _, e in _HTML_ESCAPES])


def render(template: str, **context) -> str:
    """Render one template with its context; the text is the document, byte-stable."""
    return environment().get_template(template).render(**context)


__all__ = ["Markup", "environment", "escape_expr", "render"]
