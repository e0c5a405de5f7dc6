"""Submission rules: R10 (deadline) and R12 (date consistency)."""

from __future__ import annotations

from datetime import date

import polars as pl

from ramu_cli.tariffs import Policy

D = pl.col("service_date")
S = pl.col("submission_date")


def r10_late_submission(policy: Policy) -> pl.Expr:
    # R10 Facture transmise hors délai: submission_date − d > submission_deadline_days.
    return (S - D).dt.total_days() > policy.submission_deadline_days


def r12_inconsistent_dates(liquidation_date: date) -> pl.Expr:
    # R12 Dates incohérentes: care after submission, or submission after the liquidation date.
    return (D > S) | (liquidation_date < S)
