"""What several rules (and the amounts) share, each defined once.

The frame the rules read is described in `rules/__init__.py`. Every date
range of the rulebook is inclusive at both ends, an empty end open; free care
and the patient's age are read by several codes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from ramu_cli.tariffs import Policy

D = pl.col("service_date")
S = pl.col("submission_date")
B_FOUND = pl.col("b_relationship").is_not_null()   # the beneficiary B is in the registry
V_FOUND = pl.col("v_level").is_not_null()          # the provider V is in the list
A_FOUND = pl.col("a_category").is_not_null()       # the act A is in the nomenclature
# Free care (A.free_care set): R02, R03 and R11 do not apply, the rate is 100 %
# and the payer is the free-care programme (funder FREE_CARE).
FREE_CARE = pl.col("a_free_care").is_not_null()


@dataclass(frozen=True)
class RuleContext:
    """What a rule may read besides the frame: the policy and the liquidation date."""

    policy: Policy
    liquidation_date: date


def within(start: str, end: str, day: pl.Expr = D) -> pl.Expr:
    """`day` in [start, end], both ends inclusive, an empty end open."""
    return (pl.col(start) <= day) & (pl.col(end).is_null() | (pl.col(end) >= day))


def outside(start: str, end: str, day: pl.Expr = D) -> pl.Expr:
    """`day` outside [start, end] (the negation of `within`)."""
    return ~within(start, end, day)


def age_in_full_years(day: pl.Expr, birth: pl.Expr) -> pl.Expr:
    """Anniversaries passed at `day` (read by R03 and R07): one is passed when
    (month, day) of `day` ≥ that of `birth`."""
    not_yet = (day.dt.month().cast(pl.Int32) * 100 + day.dt.day()) < (
        birth.dt.month().cast(pl.Int32) * 100 + birth.dt.day())
    return day.dt.year().cast(pl.Int64) - birth.dt.year().cast(pl.Int64) - not_yet.cast(pl.Int64)
