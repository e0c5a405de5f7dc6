"""report.html of a liquidation run: the month at a glance, for officers and CANAM auditors.

One self-contained file (inline CSS and SVG, no script, no network) printable
on A4. Every figure is a sum over the run's lines computed here with polars;
the totals rows are sums of the same lines, so they equal liquidation.parquet.
"""

from __future__ import annotations

import polars as pl

from ramu_cli import french
from ramu_cli.contract import CATEGORIES, LEVELS, OGDS, STATUSES
from ramu_cli.documents import svg
from ramu_cli.documents.labels import (
    CATEGORY_FR,
    FUNDER_FR,
    LEVEL_FR,
    STATUS_FR,
    UNKNOWN_CATEGORY,
    UNKNOWN_LEVEL,
    ogd_label,
    reason_label,
)
from ramu_cli.documents.render import render
from ramu_cli.documents.tables import in_code_order
from ramu_cli.liquidation.totals import totals as run_totals
from ramu_cli.percent import share_percent

TOP_PROVIDERS = 10
AMOUNTS = ("billed", "payable", "copay", "disallowed")


def _sums(df: pl.LazyFrame, key: str, known: tuple[str, ...]) -> list[dict]:
    """Lines and amounts per value of `key`, in contract order, null last."""
    status = pl.col("status")
    sums = (df.group_by(key)
            .agg(pl.len().alias("lines"),
                 (status == "PAID").sum().alias("paid"),
                 (status == "REDUCED").sum().alias("reduced"),
                 (status == "REJECTED").sum().alias("rejected"),
                 *[pl.col(c).sum() for c in AMOUNTS])).collect()
    return in_code_order(sums, key, known).to_dicts()


def _totals(df: pl.LazyFrame) -> dict:
    """The run's totals as the manifest has them (orders.totals), plus the free-care line count."""
    sums = run_totals(df)
    free_care_lines = int(df.select((pl.col("funder") == "FREE_CARE").sum()).collect().item() or 0)
    return {**sums, "free_care": sums["payable_free_care"], "free_care_lines": free_care_lines}


def _by_status(df: pl.LazyFrame, total_lines: int) -> list[dict]:
    found = {r["status"]: r for r in _sums(df, "status", STATUSES)}
    rows = []
    for s in STATUSES:
        r = found.get(s, {"lines": 0, **{c: 0 for c in AMOUNTS}})
        rows.append({"status": s, "label": STATUS_FR[s], "share": share_percent(r["lines"], total_lines),
                     **{k: r[k] for k in ("lines", *AMOUNTS)}})
    return rows


def _by_funder(df: pl.LazyFrame) -> list[dict]:
    """Payable per OGD split by funder."""
    rows = (df.filter(pl.col("funder").is_not_null())
            .group_by("ogd")
            .agg(pl.col("payable").filter(pl.col("funder") == "OGD").sum().alias("scheme"),
                 pl.col("payable").filter(pl.col("funder") == "FREE_CARE").sum().alias("free_care"),
                 (pl.col("funder") == "FREE_CARE").sum().alias("free_care_lines"),
                 pl.col("payable").sum().alias("payable"))).collect()
    return in_code_order(rows, "ogd", OGDS).to_dicts()


def _reasons(df: pl.LazyFrame) -> list[dict]:
    """Each code with the lines that carry it and their disallowed amount; most frequent first."""
    rows = (df.select("reasons", "billed", "disallowed", "status")
            .filter(pl.col("reasons").list.len() > 0)
            .explode("reasons")
            .group_by(pl.col("reasons").alias("code"))
            .agg(pl.len().alias("lines"), pl.col("billed").sum(), pl.col("disallowed").sum())
            .sort("lines", "disallowed", "code", descending=[True, True, False])).collect()
    return [{**r, "label": reason_label(r["code"])} for r in rows.to_dicts()]


def _top_providers(df: pl.LazyFrame, providers: pl.DataFrame) -> list[dict]:
    status = pl.col("status")
    top = (df.group_by("provider_id")
           .agg(pl.len().alias("lines"),
                (status == "REJECTED").sum().alias("rejected"),
                (status == "REDUCED").sum().alias("reduced"),
                pl.col("billed").sum(), pl.col("disallowed").sum(),
                pl.col("billed").filter(status == "REJECTED").sum().alias("rejected_amount"))
           .filter(pl.col("disallowed") > 0)
           .sort(["disallowed", "provider_id"], descending=[True, False], nulls_last=True)
           .head(TOP_PROVIDERS).collect())
    names = providers.select("provider_id", "name", "level", "region").unique("provider_id", keep="first")
    return top.join(names, on="provider_id", how="left", maintain_order="left").to_dicts()


def _beneficiaries(df: pl.LazyFrame, registered: dict[str, int]) -> list[dict]:
    served = dict(df.filter(pl.col("status").is_in(["PAID", "REDUCED"]) & pl.col("ogd").is_not_null())
                  .group_by("ogd").agg(pl.col("beneficiary_id").drop_nulls().n_unique())
                  .collect().iter_rows())
    codes = [o for o in OGDS if o in served or o in registered]
    codes += sorted((set(served) | set(registered)) - set(OGDS))
    rows = []
    for ogd in codes:
        n_served, n_reg = int(served.get(ogd, 0)), int(registered.get(ogd, 0))
        rows.append({"ogd": ogd, "served": n_served, "registered": n_reg, "share": share_percent(n_served, n_reg)})
    return rows


def _orders(orders: pl.DataFrame) -> list[dict]:
    per_ogd = (orders.group_by("ogd")
               .agg(pl.len().alias("orders"),
                    (pl.col("funder") == "FREE_CARE").sum().alias("free_care_orders"),
                    pl.col("lines").sum(), pl.col("payable").sum()))
    return in_code_order(per_ogd, "ogd", OGDS).to_dicts()


def _charts(by_ogd, by_level, by_category, reasons, top) -> dict:
    fcfa = french.fcfa
    return {
        "ogd": svg.stacked_hbar_chart(
            [(ogd_label(r["ogd"]), [r["payable"], r["copay"], r["disallowed"]], fcfa(r["billed"]))
             for r in by_ogd],
            ["À payer", "Ticket modérateur", "Non retenu"],
            "Montant facturé par OGD : part à payer, ticket modérateur et part non retenue"),
        "level": svg.hbar_chart(
            [(LEVEL_FR.get(r["level"], UNKNOWN_LEVEL) if r["level"] else UNKNOWN_LEVEL,
              r["payable"], fcfa(r["payable"])) for r in by_level],
            "Montant à payer par niveau de la pyramide sanitaire"),
        "category": svg.hbar_chart(
            [(CATEGORY_FR.get(r["category"], r["category"]) if r["category"] else UNKNOWN_CATEGORY,
              r["payable"], fcfa(r["payable"])) for r in by_category],
            "Montant à payer par catégorie d'actes"),
        "reasons": svg.hbar_chart(
            [(r["label"], r["lines"], french.pluralize(r["lines"], "ligne", "lignes")) for r in reasons],
            "Lignes par motif de rejet ou de réduction", color=svg.COLORS[2]),
        "providers": svg.hbar_chart(
            [(r["name"] or r["provider_id"] or "Prestataire illisible", r["disallowed"], fcfa(r["disallowed"]))
             for r in top],
            "Montant non retenu par prestataire", color=svg.COLORS[2]),
    }


def render_liquidation_report(lines: pl.LazyFrame | pl.DataFrame, orders: pl.DataFrame, providers: pl.DataFrame,
                              registered: dict[str, int], meta: dict, signals_section: str | None = None) -> str:
    """The run's report.html (str). `lines` carries `level` and `category` joined by the engine;
    `signals_section` is the rendered "Signaux à examiner" section (signals.report), placed last."""
    # Lazy: each figure reads only its columns (no filtered copy of the whole month).
    df = lines.lazy().select("status", "ogd", "provider_id", "beneficiary_id", "funder", "reasons",
                      "level", "category", "allowed", *AMOUNTS)
    totals = _totals(df)
    by_ogd = _sums(df, "ogd", OGDS)
    by_level = _sums(df, "level", LEVELS)
    by_category = _sums(df, "category", CATEGORIES)
    reasons = _reasons(df)
    top = _top_providers(df, providers)
    order_rows = _orders(orders)
    orders_payable = int(orders["payable"].sum() or 0)
    return render(
        "liquidation_report.html",
        meta=meta, totals=totals,
        by_status=_by_status(df, totals["lines"]),
        by_ogd=by_ogd, by_funder=_by_funder(df), by_level=by_level, by_category=by_category,
        reasons=reasons, top=top, top_n=TOP_PROVIDERS,
        beneficiaries=_beneficiaries(df, registered),
        orders=order_rows, orders_count=orders.height, orders_payable=orders_payable,
        orders_match=orders_payable == totals["payable"],
        funder_fr=FUNDER_FR,
        charts=_charts(by_ogd, by_level, by_category, reasons, top),
        signals_section=signals_section,
    )
