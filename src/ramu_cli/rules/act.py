"""Act rules: R05 (nomenclature), R06 (level), R07 (patient's sex and age)."""

from __future__ import annotations

import polars as pl

from ramu_cli.rules.common import A_FOUND, B_FOUND, V_FOUND, RuleContext


def r05_unknown_act(ctx: RuleContext) -> pl.Expr:
    # R05 Acte inconnu de la nomenclature: no acts.csv row valid at d.
    return ~A_FOUND


def r06_act_not_allowed_at_level(ctx: RuleContext) -> pl.Expr:
    # R06 Acte non autorisé à ce niveau: no price row for (act, V.level) at d. Needs A and V.
    return A_FOUND & V_FOUND & pl.col("price").is_null()


def r07_act_incompatible_with_patient(ctx: RuleContext) -> pl.Expr:
    # R07 Acte incompatible avec le patient: sex or age outside the act's limits. Needs A and B.
    age = pl.col("age")
    wrong = ((pl.col("a_sex").is_not_null() & (pl.col("a_sex") != pl.col("b_sex")))
             | (pl.col("a_min_age").is_not_null() & (age < pl.col("a_min_age")))
             | (pl.col("a_max_age").is_not_null() & (age > pl.col("a_max_age"))))
    return A_FOUND & B_FOUND & wrong.fill_null(False)
