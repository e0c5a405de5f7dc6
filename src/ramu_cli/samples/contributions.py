"""Contributions collected by the OGD and their remittances (transfers) to CANAM.

Twelve periods ending at the batch month for CMSS, INPS and UTM, collected in
full, partly, late or not yet; one to three transfers per OGD and period, most
on time, some late, partial or missing, one in excess. The batch is an extract
taken on the 14th of the following month: collections are known up to the last
day of the month, transfers up to the 14th of the next.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from ramu_cli.samples.dates import add_months, date_of, date_series, day_number
from ramu_cli.samples.draws import largest_remainder
from ramu_cli.samples.period import Period

COLLECTING = ("CMSS", "INPS", "UTM")
CONTRIBUTOR_SHARES = np.array([0.10, 0.60, 0.30])
MEDIAN_DUE = (1_500_000, 300_000, 150_000)     # francs a month per contributor, by OGD
EXTRACT_DAY = 14                                # transfers known up to the 14th of the next month
REMITTANCE_SCHEMA = {"transfer_id": pl.String, "ogd": pl.String, "period": pl.String,
                     "amount": pl.Int64, "value_date": pl.Date}


def draw_contributions(rng: np.random.Generator, n: int, period: Period) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The `contributions` table (n contributors × 12 periods) and the `remittances` table."""
    first_month = date_of(period.first_day)
    periods = [add_months(first_month, -11 + i) for i in range(12)]
    per_ogd = np.maximum(largest_remainder(n, CONTRIBUTOR_SHARES), 1)
    rows = []
    for o, (name, count) in enumerate(zip(COLLECTING, per_ogd, strict=True)):
        serial = np.sort(rng.choice(10**6 if name == "INPS" else 10**4, count, replace=False))
        digits = pl.Series(serial).cast(pl.String)
        # Administrations (CMSS), employers' numbers (INPS), mutual health organisations (UTM).
        ids = {"CMSS": "ADM-" + digits.str.zfill(4), "INPS": digits.str.zfill(8),
               "UTM": "MUT-" + digits.str.zfill(4)}[name]
        base = np.clip(rng.lognormal(np.log(MEDIAN_DUE[o]), 0.9, count), 50_000, 5_000_000)
        for p in periods:
            rows.append(_period_rows(rng, name, ids, base, p, period.last_day))
    contributions = pl.concat(rows)
    return contributions, draw_remittances(rng, contributions, periods, period.last_day)


def _period_rows(rng: np.random.Generator, ogd: str, ids: pl.Series, base: np.ndarray, p: date,
                 m1: int) -> pl.DataFrame:
    """One period's dues and collections: in full (60 %), a month late (20 %), partly (7 %),
    two months late (6 %), nothing (7 %); nothing yet when collected after the month."""
    count = base.size
    due = np.round(base * rng.normal(1, 0.03, count)).astype(np.int64)
    due = np.clip(due, 50_000, 5_000_000)
    status = rng.choice(5, count, p=[0.60, 0.20, 0.07, 0.06, 0.07])
    month_offset = np.array([0, 1, 0, 2, 0])[status]
    month_offset = np.where((status == 2) & (rng.random(count) < 0.5), 1, month_offset)
    day = np.where(month_offset == 0, rng.integers(5, 29, count), rng.integers(1, 21, count))
    starts = np.array([day_number(add_months(p, k)) for k in range(3)])
    when = starts[month_offset] + day - 1
    collected = np.where(status == 2, (due * rng.uniform(0.3, 0.9, count)).astype(np.int64), due)
    collected = np.where(status == 4, 0, collected)
    not_yet = when > m1
    collected = np.where(not_yet, 0, collected)
    none = (collected == 0)
    return pl.DataFrame({
        "ogd": [ogd] * count, "period": [p.strftime("%Y-%m")] * count,
        "contributor_id": ids, "amount_due": due, "amount_collected": collected,
        "collection_date": date_series(np.where(none, 0, when), none)})


def draw_remittances(rng: np.random.Generator, contributions: pl.DataFrame, periods: list[date],
                     m1: int) -> pl.DataFrame:
    """Transfers to CANAM per OGD and period: most on time, some late, partial or missing."""
    cutoff = m1 + EXTRACT_DAY
    groups = [(o, p.strftime("%Y-%m")) for o in COLLECTING for p in periods]
    scenario = list(rng.choice(["on_time", "late", "partial", "missing", "split"], len(groups),
                               p=[0.72, 0.12, 0.08, 0.05, 0.03]))
    # At least one of each on older periods, where the effect is visible; one excess.
    older = [i for i, (_, per) in enumerate(groups) if per <= periods[-4].strftime("%Y-%m")]
    forced = rng.permutation(older)
    for i, name in zip(forced, ("late", "partial", "missing", "excess"), strict=False):
        scenario[int(i)] = name
    obligations = (contributions.filter(pl.col("amount_collected") > 0)
                   .with_columns(cmonth=pl.col("collection_date").dt.truncate("1mo"))
                   .group_by("ogd", "period", "cmonth").agg(pl.col("amount_collected").sum())
                   .sort("ogd", "period", "cmonth"))
    by_group: dict[tuple[str, str], list[tuple[date, int]]] = {}
    for r in obligations.iter_rows(named=True):
        by_group.setdefault((r["ogd"], r["period"]), []).append((r["cmonth"], r["amount_collected"]))
    out = []
    for (ogd, period), sc in zip(groups, scenario, strict=True):
        transfers = _transfers(rng, by_group.get((ogd, period), []), period, str(sc))
        transfers = sorted((d, a) for d, a in transfers if d <= cutoff and a > 0)
        for i, (d, a) in enumerate(transfers, start=1):
            out.append({"transfer_id": f"VIR-{ogd}-{period}-{i:03d}", "ogd": ogd, "period": period,
                        "amount": a, "value_date": date_of(d)})
    return pl.DataFrame(out, schema=REMITTANCE_SCHEMA)


def _transfers(rng: np.random.Generator, obligations: list[tuple[date, int]], period: str,
               scenario: str) -> list[tuple[int, int]]:
    """(value day, amount) of one OGD's transfers for one period, under its scenario.

    Each month's collections are due by the 15th of the next month.
    """
    pstart = date(int(period[:4]), int(period[5:]), 1)
    transfers: list[tuple[int, int]] = []
    for cmonth, amount in obligations:
        month = max(cmonth, pstart)
        due_day = day_number(add_months(month, 1)) + 14           # the 15th of the next month
        on_time = due_day - int(rng.integers(1, 13))
        if scenario == "late":
            transfers.append((due_day + int(rng.integers(5, 90)), amount))
        elif scenario == "split" and amount > 1000:
            part = amount * 6 // 10
            transfers += [(on_time - 3, part), (on_time, amount - part)]
        else:
            transfers.append((on_time, amount))
    total = sum(a for _, a in transfers)
    if scenario == "missing":
        transfers = []
    elif scenario == "partial" and transfers:
        keep = int(total * rng.uniform(0.6, 0.95))
        transfers = [(transfers[0][0], keep)]
    elif scenario == "excess" and transfers:
        transfers.append((transfers[-1][0] + 1, max(1000, int(total * rng.uniform(0.05, 0.2)))))
    return transfers
