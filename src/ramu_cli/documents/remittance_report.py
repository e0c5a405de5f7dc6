"""report.html of `ramu remittances`: what each OGD collected, remitted to CANAM, and owes.

For CANAM's auditors: per-OGD totals, a stacked bar per contribution period
(remitted on time / remitted late / still held by the OGD), the penalty of
each OGD, the per-period table and, in an appendix, every chunk of money with
its deadline, transfer and delay, so each franc can be followed.
"""

from __future__ import annotations

import polars as pl

from ramu_cli import french
from ramu_cli.contract import COLLECTING_OGDS
from ramu_cli.documents import svg
from ramu_cli.documents.render import render
from ramu_cli.documents.tables import in_code_order
from ramu_cli.percent import share_percent
from ramu_cli.remittances.totals import PERIOD_SUMS, totals

SERIES = ["Reversé à temps", "Reversé en retard", "Non reversé"]


def _ogd_sort(df: pl.DataFrame, *more: str) -> pl.DataFrame:
    return in_code_order(df, "ogd", COLLECTING_OGDS, *more)


def render_remittance_report(periods: pl.DataFrame, chunks: pl.DataFrame, ogd_totals: pl.DataFrame,
                             meta: dict) -> str:
    """The remittance audit's report.html (str)."""
    period_rows = _ogd_sort(periods, "period").to_dicts()
    ogd_rows = _ogd_sort(ogd_totals).to_dicts()
    chunk_rows = _ogd_sort(chunks, "period", "deadline", "value_date", "transfer_id").to_dicts()
    sums = totals(periods.lazy(), PERIOD_SUMS)
    total = {**sums, "collection_rate": share_percent(sums["collected"], sums["due"]),
             "max_days_late": max((int(r["max_days_late"]) for r in period_rows), default=0)}
    unpaid = [c for c in chunk_rows if c["transfer_id"] is None]
    charts = {
        "periods": svg.stacked_hbar_chart(
            [(f"{r['ogd']} — {french.month_title(r['period'])}",
              [r["remitted_on_time"], r["remitted_late"], r["outstanding"]],
              french.fcfa(r["collected"])) for r in period_rows],
            SERIES, "Cotisations recouvrées par période : reversées à temps, en retard, non reversées"),
        "penalty": svg.hbar_chart(
            [(r["ogd"], r["penalty"], french.fcfa(r["penalty"])) for r in ogd_rows],
            "Pénalités de retard par OGD", color=svg.COLORS[2]),
    }
    return render("remittance_report.html", meta=meta, periods=period_rows, ogds=ogd_rows,
                  chunks=chunk_rows, total=total, unpaid=len(unpaid),
                  unpaid_amount=sum(int(c["amount"]) for c in unpaid),
                  chunks_amount=sum(int(c["amount"]) for c in chunk_rows),
                  chunks_penalty=sum(int(c["penalty"]) for c in chunk_rows), charts=charts)
