"""Submission rules: R10 (deadline) and R12 (date consistency)."""

from __future__ import annotations

import polars as pl

from ramu_cli.rules.common import D, RuleContext, S


def r10_late_submission(ctx: RuleContext) -> pl.Expr:
    # R10 Facture transmise hors délai: submission_date − d > submission_deadline_days.
    return (S - D).dt.total_days() > ctx.policy.submission_deadline_days


def r12_inconsistent_dates(ctx: RuleContext) -> pl.Expr:
    # R12 Dates incohérentes: care after submission, or submission after the liquidation date.
    return (D > S) | (ctx.liquidation_date < S)
