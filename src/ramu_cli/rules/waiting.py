"""Waiting period (délai de stage): R15.

An act with `waiting_days = n` is not covered during the first n days of the
principal's rights: the beneficiary (or, for a dependant, the principal it
hangs on) must have held rights for n days. Counted from P.rights_start, so a
child born into a family that has been insured for years waits for nothing.
"""

from __future__ import annotations

import polars as pl

D = pl.col("service_date")
WAITING = pl.col("a_waiting_days")
P_RIGHTS_START = pl.col("b_p_rights_start")   # the principal's rights_start (B itself for a principal)
EMERGENCY = pl.col("emergency").fill_null(False)
FREE_CARE = pl.col("a_free_care").is_not_null()


def r15_waiting_period() -> pl.Expr:
    # R15 Délai de stage non écoulé: A.waiting_days is set, d < P.rights_start +
    # A.waiting_days days, and the line is not an emergency. Needs A and B
    # (a set waiting_days means A was found; P.rights_start is set for every usable B).
    # Free care is exempt. With rights from 01/01 and 30 days: R15 up to 30/01, covered from 31/01.
    days_held = (D - P_RIGHTS_START).dt.total_days()
    return (WAITING.is_not_null() & P_RIGHTS_START.is_not_null() & ~FREE_CARE & ~EMERGENCY
            & (days_held < WAITING)).fill_null(False)
