"""Beneficiary rules: R01, R02, R03, R08 (B is the beneficiary, P its principal)."""

from __future__ import annotations

import polars as pl

from ramu_cli.rules.common import B_FOUND, FREE_CARE, RuleContext, outside


def r01_unknown_beneficiary(ctx: RuleContext) -> pl.Expr:
    # R01 Bénéficiaire inconnu: B is absent.
    return ~B_FOUND


def r02_rights_closed(ctx: RuleContext) -> pl.Expr:
    # R02 Droits non ouverts: d outside B's rights or outside P's rights. Needs B; not for free care.
    return B_FOUND & ~FREE_CARE & (outside("b_rights_start", "b_rights_end")
                                   | outside("b_p_rights_start", "b_p_rights_end"))


def r03_dependant_out_of_conditions(ctx: RuleContext) -> pl.Expr:
    # R03 Ayant droit hors conditions: a CHILD for whom no condition holds. Needs B; not for free care.
    age, policy = pl.col("age"), ctx.policy
    entitled = ((age < policy.child_age_limit)
                | (pl.col("b_student") & (age <= policy.student_age_limit))
                | pl.col("b_disabled"))
    return B_FOUND & ~FREE_CARE & (pl.col("b_relationship") == "CHILD") & ~entitled


def r08_other_ogd(ctx: RuleContext) -> pl.Expr:
    # R08 Facture adressée à un autre OGD: invoice ogd ≠ B.ogd. Needs B.
    return B_FOUND & (pl.col("ogd") != pl.col("b_ogd"))
