"""Recovery orders and the review report: French documents from the figures.

One recovery order per provider with a demand above zero: CSV (machine
names), XLSX (French headings) and one printable A4 page each in HTML, whose
method paragraph says in plain French how the amount was reached for that
provider. The HTML is autoescaped jinja2 with inline CSS, like every document
of the project.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache

import polars as pl
from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined

from ramu_cli import french
from ramu_cli.documents.render import LEVEL_FR
from ramu_cli.review.draw import CERTAINTY, SAMPLE, DrawParams

STRATUM_LABELS = {CERTAINTY: "Montants élevés (toutes examinées)", SAMPLE: "Tirées au sort"}
# Rows of the figures table of a recovery order: (column, label, count or money).
FIGURE_ROWS = (
    ("universe_lines", "Lignes payées", "count"), ("sample_lines", "Lignes examinées", "count"),
    ("sample_payable", "Montant payé examiné", "money"),
    ("found", "Indu constaté", "money"), ("estimate", "Estimation (N × indu moyen)", "money"),
    ("standard_error", "Erreur-type", "money"), ("lower_bound", "Borne basse", "money"),
    ("demand", "Montant retenu", "money"),
)

ORDER_HEADINGS = {
    "order_no": "N° d'ordre", "provider_id": "Code prestataire", "provider_name": "Prestataire",
    "level": "Niveau", "region": "Région", "ogds": "OGD", "universe_lines": "Lignes payées",
    "sample_lines": "Lignes examinées", "lines_overpaid": "Lignes avec indu", "found": "Indu constaté",
    "certainty_demand": "Réclamé (strate de certitude)", "sample_estimate": "Estimation (tirage)",
    "sample_lower_bound": "Borne basse (tirage)", "sample_demand": "Réclamé (tirage)",
    "demand": "Montant à reverser", "amount_words": "Montant en lettres",
    "issue_date": "Date d'émission", "due_date": "Date limite",
}


@dataclass(frozen=True)
class OrderMeta:
    """What every page shares: the run, the draw, the confidence and the dates."""

    month: str
    run_id: str
    liquidation_date: date | None
    params: DrawParams
    confidence: Decimal
    issue_date: date
    due_days: int
    tool_version: str

    @property
    def due_date(self) -> date:
        from datetime import timedelta
        return self.issue_date + timedelta(days=self.due_days)

    @property
    def confidence_text(self) -> str:
        return french.percent_fr(float(self.confidence), decimals=_decimals(self.confidence))

    @property
    def one_sided_text(self) -> str:
        """The confidence that the true overpayment is at least the lower bound: (100 + c) / 2."""
        value = (100 + self.confidence) / 2
        return french.percent_fr(float(value), decimals=_decimals(value))


def _decimals(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


@cache
def environment() -> Environment:
    # The review's own templates first, then the documents' (base.html and style.css
    # are shared: a recovery order looks like every other ramu document).
    loader = ChoiceLoader([PackageLoader("ramu_cli.review", "templates"),
                           PackageLoader("ramu_cli.documents", "templates")])
    env = Environment(loader=loader, autoescape=True,
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters.update(fcfa=french.fcfa, date_fr=french.date_fr, month_title=french.month_title,
                       count_fr=french.count_fr,
                       level_fr=lambda c: french.MISSING if c is None else LEVEL_FR.get(c, c),
                       or_dash=lambda v: french.MISSING if v is None or v == "" else v)
    env.globals.update(pluralize=french.pluralize)
    return env


def _money(value: Decimal | int) -> str:
    return french.fcfa(int(value))


def stratum_sentence(s: dict, meta: OrderMeta) -> str:
    """What was done on one stratum of one provider, and what it gives, in plain French."""
    p = meta.params
    if s["stratum"] == CERTAINTY:
        head = (f"Les {french.pluralize(s['universe_lines'], 'ligne payée', 'lignes payées')} "
                f"{_money(p.certainty_from or 0)} ou plus ont toutes été examinées")
        if s["found"] == 0:
            return f"{head} : aucun indu n'y a été constaté."
        return f"{head} : l'indu qui y a été constaté, {_money(s['found'])}, est réclamé en totalité."
    n, big_n, found = s["sample_lines"], s["universe_lines"], s["found"]
    others = f"les {big_n} autres lignes" if s.get("with_certainty") else f"les {big_n} lignes payées"
    if n == big_n:
        return (f"{others[0].upper()}{others[1:]} ont toutes été examinées : l'indu constaté, {_money(found)}, "
                "est réclamé tel quel, sans extrapolation.")
    if n < 2:
        return (f"Parmi {others}, une seule a été tirée au sort : une ligne ne permet pas d'extrapoler, "
                f"seul l'indu constaté, {_money(found)}, est réclamé.")
    text = (f"Parmi {others}, {n} ont été tirées au sort (tirage reproductible, graine {p.seed}) ; "
            f"l'indu constaté sur ces lignes, {_money(found)}, rapporté aux {big_n} lignes, donne une "
            f"estimation de {_money(s['estimate'])} (erreur-type {_money(s['standard_error'])}, avec "
            "correction pour population finie). Pour ne réclamer que ce qui est établi, on retient la borne "
            f"basse de l'intervalle de confiance à {meta.confidence_text} de cette estimation (loi de Student "
            f"à {n - 1} degrés de liberté), un montant que l'indu réel dépasse avec une confiance de "
            f"{meta.one_sided_text}")
    lower = s["lower_bound"]
    if s["demand"] == lower:
        return f"{text} : {_money(lower)}."
    if s["demand"] == found and lower < 0:
        return (f"{text}. Cette borne est ici négative (l'échantillon ne permet pas d'établir davantage) : "
                f"c'est donc l'indu effectivement constaté, {_money(found)}, qui est réclamé.")
    if s["demand"] == found:
        return (f"{text} : {_money(lower)}, moins que l'indu effectivement constaté ; c'est donc ce dernier, "
                f"{_money(found)}, qui est réclamé.")
    return (f"{text} : {_money(lower)}, plafonnée à ce qui a pu être payé en trop (l'indu constaté plus tout "
            f"le montant payé sur les lignes non examinées) : {_money(s['demand'])}.")


def method_paragraph(provider: dict, strata: list[dict], meta: OrderMeta) -> str:
    """The one paragraph of a recovery order that explains its amount."""
    name = provider.get("provider_name") or f"le prestataire {provider['provider_id']}"
    opening = (f"Le médecin-conseil a réexaminé {provider['sample_lines']} des "
               f"{french.pluralize(provider['universe_lines'], 'ligne de facture payée', 'lignes de factures payées')} "
               f"à {name} pour {french.month_title(meta.month)}, en comparant le montant payé au montant "
               "que justifie le dossier médical.")
    with_certainty = any(s["stratum"] == CERTAINTY for s in strata)
    sentences = [stratum_sentence({**s, "with_certainty": with_certainty}, meta) for s in strata]
    closing = f"Le montant à reverser, {_money(provider['demand'])}, en est la somme." if len(strata) > 1 else ""
    return " ".join([opening, *sentences, closing]).strip()


def orders_frame(providers: pl.DataFrame, figures: pl.DataFrame, details: pl.DataFrame,
                 ogds: pl.DataFrame, meta: OrderMeta) -> pl.DataFrame:
    """One row per provider with a demand > 0, numbered OR-<month>-0001… by provider code."""
    def pick(stratum: str, column: str, alias: str) -> pl.DataFrame:
        return figures.filter(pl.col("stratum") == stratum).select("provider_id", pl.col(column).alias(alias))
    orders = (providers.filter(pl.col("demand") > 0).sort("provider_id")
              .join(details, on="provider_id", how="left", maintain_order="left")
              .join(ogds, on="provider_id", how="left", maintain_order="left")
              .join(pick(SAMPLE, "estimate", "sample_estimate"), on="provider_id", how="left",
                    maintain_order="left")
              .join(pick(SAMPLE, "lower_bound", "sample_lower_bound"), on="provider_id", how="left",
                    maintain_order="left"))
    words = [french.amount_in_words(int(v)) for v in orders["demand"].to_list()]
    return orders.with_columns(
        order_no=pl.format("OR-{}-{}", pl.lit(meta.month),
                           pl.int_range(1, pl.len() + 1).cast(pl.String).str.zfill(4)),
        amount_words=pl.Series(words, dtype=pl.String),
        issue_date=pl.lit(meta.issue_date), due_date=pl.lit(meta.due_date),
    ).select(list(ORDER_HEADINGS))


def render_orders(orders: pl.DataFrame, figures: pl.DataFrame, meta: OrderMeta) -> str:
    """recovery_orders.html: one A4 page per order."""
    by_provider: dict[str, list[dict]] = {}
    for s in figures.iter_rows(named=True):
        shown = {**s, "label": STRATUM_LABELS[s["stratum"]]}
        if s["stratum"] == CERTAINTY or s["sample_lines"] == s["universe_lines"]:
            # Nothing extrapolated: the estimate and its bound would only repeat what was found.
            shown.update(estimate=None, standard_error=None, lower_bound=None)
        by_provider.setdefault(s["provider_id"], []).append(shown)
    pages = []
    for o in orders.iter_rows(named=True):
        strata = by_provider[o["provider_id"]]
        totals = {k: sum(s[k] for s in strata) for k in ("universe_lines", "sample_lines", "sample_payable",
                                                         "found", "demand")}
        page = {**o, **totals}
        page["method"] = method_paragraph(page, strata, meta)
        page["strata"] = strata
        page["has_dash"] = len(strata) > 1 or any(s["lower_bound"] is None for s in strata)
        pages.append(page)
    rows = [(k, f"{label} à {meta.confidence_text}" if k == "lower_bound" else label, kind)
            for k, label, kind in FIGURE_ROWS]
    return environment().get_template("recovery_orders.html").render(orders=pages, meta=_meta(meta),
                                                                      figure_rows=rows)


def render_report(providers: pl.DataFrame, figures: pl.DataFrame, details: pl.DataFrame,
                  meta: OrderMeta, results: dict, orders: int) -> str:
    """report.html: the review at a glance, every provider with its figures."""
    sample = figures.filter(pl.col("stratum") == SAMPLE)
    extrapolated = pl.col("sample_lines") < pl.col("universe_lines")  # else the exact figure is shown
    rows = (providers.join(details, on="provider_id", how="left", maintain_order="left")
            .join(sample.select("provider_id", *[pl.when(extrapolated).then(pl.col(c)).alias(c)
                                                  for c in ("estimate", "lower_bound")]),
                  on="provider_id", how="left", maintain_order="left")
            .sort("demand", "provider_id", descending=[True, False]).to_dicts())
    keys = ("universe_lines", "sample_lines", "sample_payable", "lines_overpaid", "found", "demand")
    totals = {k: int(providers[k].sum() or 0) for k in keys} | {"orders": orders}
    return environment().get_template("report.html").render(
        providers=rows, totals=totals, meta={**_meta(meta), **results}, method=report_method(meta))


def report_method(meta: OrderMeta) -> str:
    p = meta.params
    certainty = ("" if p.certainty_from is None else
                 f"Toutes les lignes payées {_money(p.certainty_from)} ou plus sont examinées et leur indu "
                 "est réclamé exactement. ")
    return (f"Chaque prestataire forme sa propre population : ses lignes payées ou réduites de "
            f"{french.month_title(meta.month)}. {certainty}Parmi les autres, un échantillon aléatoire simple "
            f"de {p.rate_text} % des lignes ({p.min_lines} au moins, toutes s'il y en a moins) est tiré de façon "
            "reproductible à partir de la graine et des clés des lignes. L'indu moyen par ligne tirée, "
            "rapporté au nombre de lignes, donne une estimation ; le montant réclamé est la borne basse de "
            f"l'intervalle de confiance à {meta.confidence_text} de cette estimation (loi de Student, "
            "correction pour population finie), jamais moins que l'indu effectivement constaté sur les "
            "lignes tirées. Quand toutes les lignes ont été examinées, ou une seule, l'indu constaté est "
            "réclamé tel quel.")


def _meta(meta: OrderMeta) -> dict:
    p = meta.params
    return {"month": meta.month, "run_id": meta.run_id, "liquidation_date": meta.liquidation_date,
            "issue_date": meta.issue_date, "due_date": meta.due_date, "due_days": meta.due_days,
            "confidence_text": meta.confidence_text, "tool_version": meta.tool_version,
            "seed": p.seed, "rate_text": p.rate_text, "min_lines": p.min_lines,
            "certainty_from": p.certainty_from}
