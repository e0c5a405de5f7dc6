"""The jinja2 environment of every HTML document, and the French labels they show.

Templates live in `documents/templates/` and are autoescaped: a provider
called `<script>` is printed as text. All formatting for people goes through
`ramu_cli.french`, registered here as filters (`{{ x | fcfa }}`), so a
template never formats an amount or a date by itself.
"""

from __future__ import annotations

from functools import cache

import polars as pl
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from ramu_cli import french
from ramu_cli.contract import REASON_LABELS
from ramu_cli.documents.tables import FUNDER_FR, STATUS_FR

MISSING = french.MISSING

OGD_NAMES = {
    "CMSS": "Caisse Malienne de Sécurité Sociale",
    "INPS": "Institut National de Prévoyance Sociale",
    "UTM": "Union Technique de la Mutualité Malienne",
    "ANAM": "Agence Nationale d'Assistance Médicale",
}

LEVEL_FR = {
    "CSCOM": "Centre de santé communautaire (CSCOM)",
    "CSREF": "Centre de santé de référence (CSREF)",
    "HR": "Hôpital régional (HR)",
    "EPH": "Établissement public hospitalier (EPH)",
    "PRIVATE": "Clinique privée",
    "PHARMACY": "Pharmacie (officine)",
}

CATEGORY_FR = {
    "CONSULTATION": "Consultations",
    "LAB": "Analyses de laboratoire",
    "IMAGING": "Imagerie médicale",
    "PROCEDURE": "Actes techniques",
    "SURGERY": "Chirurgie",
    "HOSPITAL_DAY": "Journées d'hospitalisation",
    "MATERNITY": "Maternité",
    "DENTAL": "Soins dentaires",
    "MEDICINE": "Médicaments",
}


def _label(table: dict[str, str], missing: str):
    def label(code: str | None) -> str:
        if code is None:
            return missing
        return table.get(code, code)
    return label


def reason_label(code: str) -> str:
    """"R01 — Bénéficiaire inconnu"."""
    return f"{code} — {REASON_LABELS.get(code, 'motif inconnu')}"


def ogd_label(code: str | None) -> str:
    """"CMSS" as people read it; an unreadable OGD (R14 line) is said so."""
    return "OGD illisible" if code is None else code


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
    "level_fr": _label(LEVEL_FR, "Niveau inconnu"),
    "category_fr": _label(CATEGORY_FR, "Acte hors nomenclature"),
    "ogd_label": ogd_label,
    "ogd_name": lambda c: OGD_NAMES.get(c, c) if c else "OGD illisible",
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


def escape_expr(expr: pl.Expr) -> pl.Expr:
    """HTML-escape a text column as markupsafe does, for HTML built by polars."""
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&#34;"), ("'", "&#39;")):
        expr = expr.str.replace_all(char, entity, literal=True)
    return expr


def render(template: str, **context) -> str:
    """Render one template with its context; the text is the document, byte-stable."""
    return environment().get_template(template).render(**context)


__all__ = [
    "CATEGORY_FR",
    "LEVEL_FR",
    "OGD_NAMES",
    "Markup",
    "environment",
    "escape_expr",
    "ogd_label",
    "reason_label",
    "render",
]
