"""Minimum interval (R18), then annual caps (R16, A03): what else the beneficiary received.

Both rules look across lines, so they are judged last, on the *eligible* rows
(no other R code), R18 first:

- R18 Acte trop rapproché du précédent. Per (beneficiary_id, act_code), in the
  order (service_date, then the R09 order), a row is rejected when a row kept
  before it, or any ledger line of the same beneficiary and act, is less than
  A.min_interval_days days away. Emergencies and rows whose authorization Z
  matches them (`z_match`) are never rejected; every row not rejected is kept
  and counts for the rows after it.
- R16 Plafond annuel de l'acte atteint / A03 Quantité ramenée au plafond annuel.
  Per (beneficiary_id, act_code, year of service_date), in the R09 order,
  used = the ledger's allowed_qty of that year + the capped_qty (min(quantity,
  A.max_qty)) of the eligible rows before it that R18 kept; remaining =
  max(0, A.max_per_year − used): 0 → R16; 0 < remaining < capped_qty → A03,
  allowed_qty = remaining.

Set-based at national scale. R18's keep-or-reject walk is sequential by nature
(whether a row counts depends on whether the rows before it were kept), so it
runs only where it can change something: a row can be rejected by the batch
only if another row of its (beneficiary, act) lies less than the interval
away, and then two consecutive service dates of the pair are closer than the
pair's largest interval. The pairs seen at least twice are found on a 64-bit
hash of the pair (cheap to compute and compare; two pairs sharing a hash only
add candidates, every decision is then taken on the real ids), one group_by
over those few rows keeps the pairs with two dates that close, and the Python
walk visits only their rows: in a month of 2,000,000 lines, a few thousand
(the walk's cost is linear in them; its worst case, every row of a pair a day
apart, stays linear too). Ledger lines always count, kept or not, so they are
checked for every row at once with an as-of join (the nearest ledger date of
the same pair) and do not need the walk. The ledger is scanned once for both
rules, narrowed to the acts concerned, the dates R18 can reach and the years
R16 counts, and to the batch's pairs (by hash).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, timedelta

import polars as pl

from ramu_cli.rules.authorization import Z_MATCH
from ramu_cli.rules.common import RuleContext
from ramu_cli.rules.duplicates import R09_ORDER

GROUP = ["beneficiary_id", "act_code"]
K = "a_min_interval_days"
CAP = "a_max_per_year"
# What frequency_flags reads from the eligible rows, and from the ledger.
INPUT_COLUMNS = ["row_id", "beneficiary_id", "act_code", "service_date", "submission_date",
                 "provider_id", "invoice_id", "line_no", "quantity", "a_max_qty", CAP, K,
                 "emergency", Z_MATCH]
LEDGER_INPUT = ["beneficiary_id", "act_code", "service_date", "allowed_qty"]
OUTPUT_SCHEMA = pl.Schema({"row_id": pl.Int64(), "r18": pl.Boolean(), "r16": pl.Boolean(),
                           "a03": pl.Boolean(), "cap_remaining": pl.Int64()})
WALK_ORDER = [*GROUP, "service_date", *R09_ORDER]


def frequency_flags(eligible: pl.LazyFrame, ledger: pl.LazyFrame | None,
                    interval_acts: Collection[str] | None = None) -> pl.DataFrame:
    """R18, R16 and A03 of the eligible rows (INPUT_COLUMNS), against the ledger (LEDGER_INPUT).

    `interval_acts`: the act codes that have a min_interval_days in some period
    of the tariff table (found in `eligible` when not given, at the cost of one
    more pass over it). Returns OUTPUT_SCHEMA for the rows these rules concern
    (acts with an interval or a cap); a row_id that is absent has no flag and no
    cap. `cap_remaining` is set for every capped row that R18 kept.
    """
    if interval_acts is None:
        interval_acts = (eligible.filter(pl.col(K).is_not_null()).select("act_code").unique()
                         .collect()["act_code"].to_list())
    rows = _concerned_rows(eligible, interval_acts)
    if rows.is_empty():
        return pl.DataFrame(schema=OUTPUT_SCHEMA)
    timed = rows.filter(pl.col("_timed"))
    lines = _ledger_slice(rows, ledger)
    by_ledger = _ledger_r18(timed, lines)
    rejected = pl.concat([by_ledger, _walk_r18(timed, by_ledger)])
    rows = rows.with_columns(r18=pl.col("row_id").is_in(rejected.implode()))
    caps = _annual_caps(rows.filter(~pl.col("r18") & pl.col(CAP).is_not_null()), lines)
    return (rows.select("row_id", "r18")
            .join(caps, on="row_id", how="left", maintain_order="left")
            .with_columns(pl.col("r16").fill_null(False), pl.col("a03").fill_null(False))
            .select(list(OUTPUT_SCHEMA)).cast(OUTPUT_SCHEMA))


def r18_too_close(ctx: RuleContext) -> pl.Expr:
    # R18 Acte trop rapproché du précédent: the `r18` flag of frequency_flags,
    # joined by the pipeline (null, so false, for rows it does not concern).
    return pl.col("r18").fill_null(False)


def r16_annual_cap(ctx: RuleContext) -> pl.Expr:
    # R16 Plafond annuel de l'acte atteint: nothing of A.max_per_year left (`r16`).
    return pl.col("r16").fill_null(False)


def a03_cut_to_annual_cap(ctx: RuleContext) -> pl.Expr:
    # A03 Quantité ramenée au plafond annuel: 0 < remaining < capped_qty (`a03`);
    # the amounts then take allowed_qty = remaining (`cap_remaining`).
    return pl.col("a03").fill_null(False)


def _pair_hash() -> pl.Expr:
    """64-bit hash of (beneficiary_id, act_code): narrows candidates, never decides."""
    return pl.col("beneficiary_id").hash(1) ^ pl.col("act_code").hash(2)


def _timed(interval_acts: Collection[str]) -> pl.Expr:
    return pl.col(K).is_not_null() | pl.col("act_code").is_in(list(interval_acts))


def concerned(interval_acts: Collection[str]) -> pl.Expr:
    """The rows these rules read: acts that have an interval (at any date) or a cap.

    Every row of an act with an interval takes part in R18's walk, even one
    whose act row at its date has none (it is kept and counts for the others).
    """
    return _timed(interval_acts) | pl.col(CAP).is_not_null()


def _concerned_rows(eligible: pl.LazyFrame, interval_acts: Collection[str]) -> pl.DataFrame:
    """Eligible rows `concerned` by these rules, collected once."""
    timed = _timed(interval_acts)
    exempt = pl.col("emergency").fill_null(False) | pl.col(Z_MATCH).fill_null(False)
    return (eligible.filter(concerned(interval_acts))
            .select(*INPUT_COLUMNS, _timed=timed, _exempt=exempt, _pair=_pair_hash())
            .collect())


def _judged(timed: pl.DataFrame) -> pl.DataFrame:
    """The rows R18 may reject: an interval at their date, and not exempt."""
    return timed.filter(pl.col(K).is_not_null() & ~pl.col("_exempt"))


def _ledger_slice(rows: pl.DataFrame, ledger: pl.LazyFrame | None) -> pl.DataFrame | None:
    """The ledger lines either rule can use, read in one scan: the acts concerned, dates that
    R18 can reach or in a year R16 counts, and the batch's pairs (by hash). A line kept here
    that neither rule needs is harmless: R18 matches pairs exactly, R16 pairs and years."""
    if ledger is None:
        return None
    judged = _judged(rows.filter(pl.col("_timed")))
    capped = rows.filter(pl.col(CAP).is_not_null())
    d = pl.col("service_date")
    periods = []
    if not judged.is_empty():
        reach = timedelta(days=int(judged[K].max()))   # type: ignore[arg-type]
        periods.append(d.is_between(judged["service_date"].min() - reach,   # type: ignore[operator]
                                    judged["service_date"].max() + reach))   # type: ignore[operator]
    if not capped.is_empty():
        years = capped["service_date"].dt.year()
        periods.append(d.is_between(date(int(years.min()), 1, 1), date(int(years.max()), 12, 31)))  # type: ignore[arg-type]
    if not periods:
        return None
    acts = pl.concat([judged["act_code"], capped["act_code"]]).unique().to_list()
    pairs = pl.concat([judged.select("_pair"), capped.select("_pair")]).unique()
    return (ledger.select(*LEDGER_INPUT)
            .filter(pl.col("act_code").is_in(acts) & pl.any_horizontal(periods))
            .with_columns(_pair=_pair_hash(), allowed_qty=pl.col("allowed_qty").cast(pl.Int64))
            .join(pairs.lazy(), on="_pair", how="semi")
            .collect())


def _ledger_r18(timed: pl.DataFrame, lines: pl.DataFrame | None) -> pl.Series:
    """row_id of the rows a ledger line of the same pair is less than their interval away from."""
    none = pl.Series("row_id", [], pl.Int64)
    if lines is None or lines.is_empty():
        return none
    dates = lines.select(*GROUP, "_pair", pl.col("service_date").alias("ledger_date")).unique()
    judged = (_judged(timed).join(dates.select("_pair").unique(), on="_pair", how="semi")
              .select("row_id", *GROUP, "service_date", K))
    if judged.is_empty():
        return none
    nearest = judged.sort("service_date").join_asof(
        dates.drop("_pair").sort("ledger_date"), left_on="service_date", right_on="ledger_date",
        by=GROUP, strategy="nearest", check_sortedness=False)
    gap = (pl.col("service_date") - pl.col("ledger_date")).dt.total_days().abs()
    return nearest.filter(gap < pl.col(K))["row_id"]


def _walk_r18(timed: pl.DataFrame, by_ledger: pl.Series) -> pl.Series:
    """row_id of the rows a kept row of the batch is less than their interval away from.

    The rows the ledger already rejects (`by_ledger`) do not count: they are left out.
    """
    walkers = timed.filter(~pl.col("row_id").is_in(by_ledger.implode()) & pl.col("_pair").is_duplicated())
    judged_k = pl.col(K).filter(~pl.col("_exempt"))
    close = (walkers.group_by(GROUP)
             .agg(gap=pl.col("service_date").sort().diff().dt.total_days().min(),
                  reach=judged_k.max())
             .filter(pl.col("gap") < pl.col("reach")))
    if close.is_empty():
        return pl.Series("row_id", [], pl.Int64)
    walk = walkers.join(close.select(GROUP), on=GROUP, how="semi").sort(WALK_ORDER)
    return pl.Series("row_id", _walk(walk), pl.Int64)
def _walk(walk: pl.DataFrame) -> list[int]:
    """The one-by-one walk of R18 over rows sorted by WALK_ORDER (a few groups only).

    Dates are sorted inside a group, so the kept row nearest before a row is the
    last one kept: one comparison per row.
    """
    first = (pl.col("beneficiary_id") != pl.col("beneficiary_id").shift(1)) | (
        pl.col("act_code") != pl.col("act_code").shift(1))
    cols = walk.select("row_id", first.fill_null(True).alias("first"),
                       pl.col("service_date").cast(pl.Int32).alias("day"), K, "_exempt")
    rejected: list[int] = []
    last_kept: int | None = None
    for row_id, first_of_group, day, k, exempt in cols.iter_rows():
        if first_of_group:
            last_kept = None
        if k is not None and not exempt and last_kept is not None and day - last_kept < k:
            rejected.append(row_id)     # R18: does not count for the rows after it
        else:
            last_kept = day
    return rejected


def _annual_caps(capped: pl.DataFrame, lines: pl.DataFrame | None) -> pl.DataFrame:
    """row_id, r16, a03, cap_remaining of the capped rows R18 kept (R09 order per pair and year)."""
    if capped.is_empty():
        return pl.DataFrame(schema={c: OUTPUT_SCHEMA[c] for c in ("row_id", "r16", "a03",
                                                                    "cap_remaining")})
    key = [*GROUP, "year"]
    rows = capped.with_columns(year=pl.col("service_date").dt.year(),
                               capped_qty=pl.min_horizontal("quantity", "a_max_qty"))
    before = (pl.col("capped_qty").cum_sum().over(key, order_by=R09_ORDER) - pl.col("capped_qty"))
    used = pl.col("ledger_used").fill_null(0) + before
    remaining = pl.max_horizontal(pl.col(CAP) - used, pl.lit(0, pl.Int64))
    return (rows.join(_ledger_used(rows, lines), on=key, how="left", maintain_order="left")
            .with_columns(cap_remaining=remaining)
            .select("row_id", "cap_remaining",
                    r16=pl.col("cap_remaining") == 0,
                    a03=(pl.col("cap_remaining") > 0) & (pl.col("cap_remaining") < pl.col("capped_qty"))))


def _ledger_used(rows: pl.DataFrame, lines: pl.DataFrame | None) -> pl.DataFrame:
    """Σ allowed_qty of the ledger per (beneficiary, act, year) of the capped rows."""
    key = [*GROUP, "year"]
    schema = pl.Schema({"beneficiary_id": pl.String(), "act_code": pl.String(), "year": pl.Int32(),
                        "ledger_used": pl.Int64()})
    if lines is None:
        return pl.DataFrame(schema=schema)
    return (lines.with_columns(year=pl.col("service_date").dt.year())
            .join(rows.select(key).unique(), on=key, how="semi")
            .group_by(key).agg(ledger_used=pl.col("allowed_qty").sum())
            .cast(schema))
