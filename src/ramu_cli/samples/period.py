"""The batch month as the draws see it: day numbers, the tariff window, the policy."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ramu_cli.contract import LEVELS, OGDS
from ramu_cli.samples.dates import day_number, parse_month
from ramu_cli.tariffs import Policy

# Old care billed late (R10) reaches this far before the month: the deadline plus this margin.
WINDOW_MARGIN_DAYS = 140


@dataclass(frozen=True)
class Period:
    """The month being generated and the policy its invoices must (or must not) respect."""

    month: str                     # YYYY-MM
    first_day: int                 # day numbers (days since 1970-01-01)
    last_day: int
    window_start: int              # first day of the tariff arrays (late care, R10)
    child_limit: int
    student_limit: int
    deadline: int                  # submission deadline in days (R10)
    referral_ogds: np.ndarray      # bool per OGD index: patients who need a referral (R11)
    referral_levels: np.ndarray    # bool per level index: levels that need one (R11)
    service_cdf: np.ndarray        # cumulative weight of each day of the month (fewer visits on Sundays)


def period_of(month: str, policy: Policy) -> Period:
    first, last = parse_month(month)
    m0, m1 = day_number(first), day_number(last)
    days = np.arange(m0, m1 + 1)
    weekday = (days + 3) % 7                       # 1970-01-01 was a Thursday; 0 = Monday
    w = np.where(weekday == 6, 0.35, np.where(weekday == 5, 0.7, 1.0))
    return Period(
        month=month, first_day=m0, last_day=m1,
        window_start=m0 - (policy.submission_deadline_days + WINDOW_MARGIN_DAYS),
        child_limit=policy.child_age_limit, student_limit=policy.student_age_limit,
        deadline=policy.submission_deadline_days,
        referral_ogds=np.array([o in policy.referral_required_ogds for o in OGDS]),
        referral_levels=np.array([lv in policy.referral_levels for lv in LEVELS]),
        service_cdf=np.cumsum(w / w.sum()))
