"""Dates as day numbers (days since 1970-01-01), so that draws stay vectorised.

numpy draws work on int64 day numbers; these helpers turn them back into
`date`s, polars Date series, and full years of age.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

EPOCH = date(1970, 1, 1)


def day_number(d: date) -> int:
    return (d - EPOCH).days


def date_of(day: int) -> date:
    return EPOCH + timedelta(days=int(day))


def add_months(d: date, n: int) -> date:
    """The first day of the month n months after d's."""
    m = d.month - 1 + n
    return date(d.year + m // 12, m % 12 + 1, 1)


def parse_month(month: str) -> tuple[date, date]:
    """First and last day of a YYYY-MM month (ValueError if it is not one)."""
    year, mon = month.split("-")
    if len(year) != 4 or len(mon) != 2:
        raise ValueError(month)
    first = date(int(year), int(mon), 1)
    return first, add_months(first, 1) - timedelta(days=1)


def year_month_day(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    dt = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    y = dt.astype("datetime64[Y]").astype(np.int64) + 1970
    m = dt.astype("datetime64[M]").astype(np.int64) % 12 + 1
    d = (dt - dt.astype("datetime64[M]")).astype(np.int64) + 1
    return y, m, d


def age_in_years(birth: np.ndarray, at: np.ndarray | int) -> np.ndarray:
    """Full years at `at`: an anniversary is passed when (month, day) ≥ the birth's."""
    by, bm, bd = year_month_day(birth)
    ay, am, ad = year_month_day(np.broadcast_to(at, np.shape(birth)))
    return ay - by - ((am * 100 + ad) < (bm * 100 + bd))


def date_series(days: np.ndarray, null: np.ndarray | None = None) -> pl.Series:
    """A polars Date series from day numbers, null where `null` is set."""
    s = pl.Series(np.asarray(days, dtype=np.int32)).cast(pl.Date)
    if null is not None and null.any():
        s = s.scatter(np.flatnonzero(null), None)
    return s
