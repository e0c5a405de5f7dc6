"""Rejection notices: one HTML page per provider with REJECTED or REDUCED lines.

Each notice lists every such line (invoice, line, beneficiary, act, service
date, amounts, every reason with its French label) and says what to do to be
paid: correct and resubmit rejected lines next month, or contest the decision
within the contest period with the OGD's liquidation officer. Providers with
only PAID lines get no notice; lines without a readable provider_id cannot be
addressed and are left to the run's rejections.csv.

A national month has hundreds of thousands of such lines: each line's HTML is
built by polars expressions (escaped, formatted by ramu_cli.french), and the
template only lays out each provider's page around them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

import polars as pl
from markupsafe import Markup

from ramu_cli.contract import REASON_LABELS
from ramu_cli.documents.labels import STATUS_FR, UNREADABLE_OGD, reason_label
from ramu_cli.documents.render import escape_expr, render
from ramu_cli.french import MISSING, date_fr_expr, fcfa_expr
from ramu_cli.tariffs import DEFAULT_CONTEST_DAYS

# Reasons that a corrected resubmission cannot cure: the line was already paid
# (duplicates) or came too late; the provider may only contest.
NOT_RESUBMITTABLE = ("R09", "R10", "R13")
# Claims-control reasons with their own advice in "Que faire": R17 (ask the OGD for
# the prior authorization), R18 and R16 (not payable again before a date or a year).
CLAIMS_CONTROL = ("R16", "R17", "R18")


def _text(column: str) -> pl.Expr:
    return escape_expr(pl.col(column).cast(pl.String)).fill_null(MISSING)


def _line_html() -> pl.Expr:
    """The two table rows of one notice line, as the template used to write them."""
    reasons = pl.col("reasons").list.eval(
        pl.lit('<span class="reason">') + escape_expr(pl.element().replace_strict(
            {c: reason_label(c) for c in REASON_LABELS}, return_dtype=pl.String))
        + pl.lit("</span>")).list.join(" ; ")
    motif = pl.when(pl.col("reasons").list.len() < 2).then(pl.lit("Motif")).otherwise(pl.lit("Motifs"))
    ogd = pl.col("ogd").fill_null(UNREADABLE_OGD)
    return pl.concat_str([
        pl.lit('<tbody class="line">\n<tr class="data">\n<td><span class="id">'), _text("invoice_id"),
        pl.lit('</span><br><span class="muted">ligne '), _text("line_no"),
        pl.lit("</span></td><td>"), escape_expr(ogd),
        pl.lit('</td><td class="id">'), _text("beneficiary_id"),
        pl.lit('</td><td class="id">'), _text("act_code"),
        pl.lit('</td>\n<td class="nowrap">'), date_fr_expr(pl.col("service_date")),
        pl.lit('</td><td class="status-'), pl.col("status"), pl.lit('">'),
        pl.col("status").replace_strict(STATUS_FR, return_dtype=pl.String),
        pl.lit('</td>\n<td class="money">'), pl.col("billed_fcfa"),
        pl.lit('</td><td class="money">'), pl.col("payable_fcfa"),
        pl.lit('</td><td class="money">'), pl.col("disallowed_fcfa"),
        pl.lit('</td>\n</tr>\n<tr class="why"><td colspan="9"><span class="muted">'), motif,
        pl.lit(" :</span>\n"), reasons, pl.lit("</td></tr>\n</tbody>\n"),
    ])


# Providers rendered together: the lines' HTML of one chunk is all that is held at once.
# RAMU_NOTICE_CHUNK (a positive integer) overrides it; tests force a small chunk with it.
NOTICE_CHUNK = 200


def notice_chunk() -> int:
    """Providers per chunk of notices (RAMU_NOTICE_CHUNK if set)."""
    value = os.environ.get("RAMU_NOTICE_CHUNK", "")
    return int(value) if value.isdigit() and int(value) > 0 else NOTICE_CHUNK


AMOUNTS = ("billed", "payable", "disallowed")


def _fcfa_by_value(df: pl.DataFrame, column: str) -> pl.Expr:
    """`<column>_fcfa`: the amounts in FCFA, each distinct amount formatted once (a month's
    200 000 lines hold a few thousand distinct amounts)."""
    values = df.get_column(column).unique()
    texts = values.to_frame().select(fcfa_expr(pl.col(column))).to_series()
    return pl.col(column).replace_strict(values, texts, return_dtype=pl.String).alias(f"{column}_fcfa")


def _per_provider(picked: pl.DataFrame) -> pl.DataFrame:
    """One row per provider: its lines' HTML and the sums its notice shows."""
    final = pl.col("reasons").filter(pl.col("status") == "REJECTED").explode()
    return (picked.with_columns(_fcfa_by_value(picked, c) for c in AMOUNTS)
            .with_columns(html=_line_html())
            .group_by("provider_id", maintain_order=True)
            .agg(pl.col("html").str.join(""), pl.len().alias("lines"),
                 (pl.col("status") == "REJECTED").sum().alias("rejected"),
                 (pl.col("status") == "REDUCED").sum().alias("reduced"),
                 pl.col("billed").sum(), pl.col("payable").sum(), pl.col("disallowed").sum(),
                 final.filter(final.is_in(NOT_RESUBMITTABLE)).unique().sort().alias("final_codes"),
                 final.filter(final.is_in(CLAIMS_CONTROL)).unique().sort().alias("control_codes"),
                 pl.col("service_date").filter(pl.col("reasons").list.contains("R16")).dt.year()
                 .unique().sort().alias("cap_years")))


def rejection_notices(lines: pl.LazyFrame | pl.DataFrame, providers: pl.DataFrame, meta: dict
                      ) -> Iterator[tuple[str, str]]:
    """(provider_id, notice HTML) for every provider with a REJECTED or REDUCED line, by provider_id.

    Providers are rendered a chunk at a time (notice_chunk()), and each page is
    handed over as soon as it is rendered, so the caller can write it and let it go.
    """
    picked = (lines.lazy().filter((pl.col("status") != "PAID") & pl.col("provider_id").is_not_null())
              .select("provider_id", "row_id", "invoice_id", "line_no", "ogd", "beneficiary_id", "act_code",
                      "service_date", "status", "billed", "payable", "disallowed", "reasons")
              .sort("provider_id", "row_id", nulls_last=True).collect())
    if picked.is_empty():
        return
    names = providers.select("provider_id", "name", "level", "region").unique("provider_id", keep="first")
    known = {r["provider_id"]: r for r in names.to_dicts()}
    contest_days = int(meta.get("contest_days", DEFAULT_CONTEST_DAYS))
    deadline = meta["liquidation_date"] + timedelta(days=contest_days)
    # picked is sorted by provider: a chunk of providers is one slice of it.
    counts = picked.group_by("provider_id", maintain_order=True).len()["len"].to_list()
    size, offset = notice_chunk(), 0
    for start in range(0, len(counts), size):
        length = sum(counts[start:start + size])
        chunk, offset = picked.slice(offset, length), offset + length
        for r in _per_provider(chunk).iter_rows(named=True):
            yield r["provider_id"], render(
                "rejection_notice.html", meta=meta, provider_id=r["provider_id"],
                provider=known.get(r["provider_id"]), rows_html=Markup(r["html"]), line_count=r["lines"],
                rejected=r["rejected"], reduced=r["reduced"],
                sums={k: r[k] for k in ("billed", "payable", "disallowed")},
                final_codes=r["final_codes"], control_codes=r["control_codes"], cap_years=r["cap_years"],
                contest_days=contest_days, contest_deadline=deadline)


def render_rejection_notices(lines: pl.LazyFrame | pl.DataFrame, providers: pl.DataFrame, meta: dict) -> dict[str, str]:
    """provider_id -> notice HTML, every notice at once (for tests and small runs)."""
    return dict(rejection_notices(lines, providers, meta))
