"""The "Signaux à examiner" section of a liquidation's report.html.

`render_signals_section` returns the section's HTML (Markup), ready to be
placed in the report template (`{{ signals_section }}`): a short ranked table
of providers, one of beneficiaries, and a chart per indicator showing each
flagged value beside its peers' median. Formatting goes through
ramu_cli.french; the template is `signals/templates/signals_section.html`.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import cache

import polars as pl
from jinja2 import ChoiceLoader, Environment, PackageLoader
from markupsafe import Markup

from ramu_cli import french
from ramu_cli.documents.render import environment
from ramu_cli.signals.chart import Row, label_width, median_chart
from ramu_cli.signals.indicators import INDICATORS, PROVIDER_INDICATORS
from ramu_cli.signals.thresholds import SignalThresholds

TOP_PROVIDERS = 12      # rows of the providers' table (all of them are in signals.csv)
TOP_BENEFICIARIES = 8
TOP_PER_CHART = 8
# Levels as short French words for a narrow table column.
LEVEL_SHORT = {"CSCOM": "CSCOM", "CSREF": "CSRéf", "HR": "Hôpital régional", "EPH": "EPH",
               "PRIVATE": "Privé", "PHARMACY": "Pharmacie"}


def _decimal(x: float, decimals: int) -> str:
    """A number with a decimal comma, rounded half up: 2.536 → "2,54"."""
    q = Decimal(repr(x)).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    whole, _, frac = f"{abs(q):f}".partition(".")
    return ("-" if q < 0 else "") + french.group_digits(int(whole)) + ("," + frac if frac else "")


def format_value(x: float | None, unit: str) -> str:
    """An indicator's value as people read it, by unit (francs rounded half up to the franc)."""
    if x is None:
        return french.MISSING
    if unit == "fcfa":
        return french.fcfa(int(Decimal(repr(x)).quantize(Decimal(1), rounding=ROUND_HALF_UP)))
    if unit == "share":
        return french.percent_fr(x * 100, decimals=1)
    if unit == "count":
        return french.count_fr(round(x))
    return _decimal(x, 2)


@cache
def _environment() -> Environment:
    """The documents' environment (filters, autoescape) that also finds this package's templates."""
    base = environment()
    own = PackageLoader("ramu_cli.signals", "templates")
    return base.overlay(loader=ChoiceLoader([own, base.loader] if base.loader else [own]))


def _named(signals: pl.DataFrame, providers: pl.DataFrame | None) -> pl.DataFrame:
    if providers is None:
        return signals.with_columns(name=pl.lit(None, pl.String))
    names = providers.select(pl.col("provider_id").alias("id"), "name").unique("id", keep="first")
    return signals.join(names.with_columns(kind=pl.lit("provider")), on=["kind", "id"], how="left",
                        maintain_order="left")


def _provider_rows(flagged: pl.DataFrame) -> list[dict]:
    top = flagged.sort("robust_z", "id", "indicator", descending=[True, False, False]).head(TOP_PROVIDERS)
    rows = []
    for i, r in enumerate(top.iter_rows(named=True), start=1):
        unit = INDICATORS[r["indicator"]].unit
        rows.append({**r, "position": i, "value_text": format_value(r["value"], unit),
                     "median_text": format_value(r["peer_median"], unit), "z_text": _decimal(r["robust_z"], 1),
                     "level_text": LEVEL_SHORT.get(r["level"], r["level"])})
    return rows


def _charts(flagged: pl.DataFrame) -> list[Markup]:
    """One chart per indicator with flags; bars start at the same x in every chart."""
    parts = []
    for ind in PROVIDER_INDICATORS:
        part = flagged.filter(pl.col("indicator") == ind.code).sort("rank").head(TOP_PER_CHART)
        rows = [Row(f"{r['name']} ({r['id']})" if r["name"] else r["id"], r["value"], r["peer_median"],
                    format_value(r["value"], ind.unit), format_value(r["peer_median"], ind.unit))
                for r in part.iter_rows(named=True)]
        if rows:
            parts.append((ind, rows))
    label_w = label_width([r for _, rows in parts for r in rows])
    title = "{} : prestataires signalés (rangés par z robuste) et médiane de leurs pairs"
    return [median_chart(rows, title.format(ind.label), label_w=label_w) for ind, rows in parts]


def render_signals_section(signals: pl.DataFrame, thresholds: SignalThresholds | None = None,
                           providers: pl.DataFrame | None = None) -> Markup:
    """The section's HTML; `providers` (provider_id, name) puts names beside ids."""
    t = thresholds or SignalThresholds()
    named = _named(signals, providers)
    flagged = named.filter(pl.col("kind") == "provider")
    bens = named.filter(pl.col("kind") == "beneficiary")
    ben_top = (bens.group_by("id").agg(
        pl.col("value").filter(pl.col("indicator") == "distinct_providers").max().alias("providers"),
        pl.col("lines").first()).sort("providers", "lines", "id", descending=[True, True, False], nulls_last=True))
    context = {
        "t": t, "z_text": _decimal(t.z_threshold, 1),
        "provider_count": flagged["id"].n_unique(), "provider_rows": _provider_rows(flagged),
        "provider_signals": flagged.height, "beneficiary_count": ben_top.height,
        "beneficiary_rows": [{"id": r["id"], "lines": r["lines"],
                              "providers": None if r["providers"] is None else round(r["providers"])}
                             for r in ben_top.head(TOP_BENEFICIARIES).iter_rows(named=True)],
        "charts": _charts(flagged), "indicators": PROVIDER_INDICATORS,
    }
    return Markup(_environment().get_template("signals_section.html").render(**context))
