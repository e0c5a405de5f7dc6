"""Beneficiary rules: R01, R02, R03, R08 (B is the beneficiary, P its principal)."""

from __future__ import annotations

import polars as pl

from ramu_cli.tariffs import Policy

D = pl.col("service_date")
B_FOUND = pl.col("b_relationship").is_not_null()
FREE_CARE = pl.col("a_free_care").is_not_null()  # free care: R02, R03 and R11 do not apply


def _outside(start: str, end: str) -> pl.Expr:
    """d outside [start, end], both ends inclusive, an empty end open."""
    return (pl.col(start) > D) | (pl.col(end).is_not_null() & (pl.col(end) < D))


def r01_unknown_beneficiary() -> pl.Expr:
    # R01 Bénéficiaire inconnu: B is absent.
    return ~B_FOUND


def r02_rights_closed() -> pl.Expr:
    # R02 Droits non ouverts: d outside B's rights or outside P's rights. Needs B.
    return B_FOUND & ~FREE_CARE & (_outside("b_rights_start", "b_rights_end")
                                   | _outside("b_p_rights_start", "b_p_rights_end"))


def r03_dependant_out_of_conditions(policy: Policy) -> pl.Expr:
    # R03 Ayant droit hors conditions: a CHILD for whom no condition holds. Needs B.
    age = pl.col("age")
    entitled = ((age < policy.child_age_limit)
                | (pl.col("b_student") & (age <= policy.student_age_limit))
                | pl.col("b_disabled"))
    return B_FOUND & ~FREE_CARE & (pl.col("b_relationship") == "CHILD") & ~entitled


def r08_other_ogd() -> pl.Expr:
    # R08 Facture adressée à un autre OGD: invoice ogd ≠ B.ogd. Needs B.
    return B_FOUND & (pl.col("ogd") != pl.col("b_ogd"))
