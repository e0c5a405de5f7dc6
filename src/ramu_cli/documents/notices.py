"""Rejection notices: one HTML page per provider with REJECTED or REDUCED lines.

Each notice lists every such line (invoice, line, beneficiary, act, service
date, amounts, every reason with its French label) and says what to do to be
paid: correct and resubmit rejected lines next month, or contest the decision
within the contest period with the OGD's liquidation officer. Providers with
only PAID lines get no notice; lines without a readable provider_id cannot be
addressed and are left to the run's rejections.csv.
"""

from __future__ import annotations

from datetime import timedelta

import polars as pl

from ramu_cli.documents.render import render

CONTEST_DAYS = 30
"""Days after the liquidation date to contest a decision (brief of issue 5; meta["contest_days"] overrides)."""

# Reasons that a corrected resubmission cannot cure: the line was already paid
# (duplicates) or came too late; the provider may only contest.
NOT_RESUBMITTABLE = ("R09", "R10", "R13")

LINE_FIELDS = ("row_id", "ogd", "invoice_id", "line_no", "beneficiary_id", "act_code", "service_date",
               "status", "billed", "payable", "disallowed", "reasons")


def render_rejection_notices(lines: pl.DataFrame, providers: pl.DataFrame, meta: dict) -> dict[str, str]:
    """provider_id -> notice HTML, for every provider with at least one REJECTED or REDUCED line."""
    picked = (lines.filter((pl.col("status") != "PAID") & pl.col("provider_id").is_not_null())
              .select("provider_id", *LINE_FIELDS)
              .sort("provider_id", "row_id", nulls_last=True))
    if picked.is_empty():
        return {}
    names = providers.select("provider_id", "name", "level", "region").unique("provider_id", keep="first")
    known = {r["provider_id"]: r for r in names.to_dicts()}
    contest_days = int(meta.get("contest_days", CONTEST_DAYS))
    deadline = meta["liquidation_date"] + timedelta(days=contest_days)
    notices: dict[str, str] = {}
    for (provider_id,), part in picked.partition_by("provider_id", as_dict=True, maintain_order=True).items():
        rows = part.drop("provider_id").to_dicts()
        rejected = [r for r in rows if r["status"] == "REJECTED"]
        reduced = [r for r in rows if r["status"] == "REDUCED"]
        sums = {k: sum(int(r[k] or 0) for r in rows) for k in ("billed", "payable", "disallowed")}
        final = sorted({c for r in rejected for c in r["reasons"] if c in NOT_RESUBMITTABLE})
        notices[provider_id] = render(
            "rejection_notice.html", meta=meta, provider_id=provider_id, provider=known.get(provider_id),
            rows=rows, rejected=len(rejected), reduced=len(reduced), sums=sums,
            final_codes=final, contest_days=contest_days, contest_deadline=deadline)
    return notices
