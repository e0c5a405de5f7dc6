"""Remittance audit: obligations, FIFO chunks, lateness and penalties.

Pure core of `ramu remittances` (remittance-rules.md): typed LazyFrames in,
small frames out. No file I/O, no printing, no Python loop over rows.

How the money is cut (rule « Allocation »): within one (ogd, period), every
obligation occupies the interval [ob_start, ob_end) of the cumulative sum of
obligations sorted by deadline, every transfer the interval
[tr_start, tr_end) of the cumulative sum of transfers sorted by
(value_date, transfer_id). First-in-first-out then simply means: a chunk is
the non-empty intersection of one obligation interval and one transfer
interval; what an obligation has beyond the total transferred is an unpaid
chunk; what was transferred beyond the total collected is excess.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import polars as pl

from ramu_cli.percent import share_percent

KEYS = ["ogd", "period"]

PERIOD_COLUMNS: dict[str, pl.DataType] = {
    "ogd": pl.String(), "period": pl.String(), "due": pl.Int64(),
    "collected": pl.Int64(), "collection_rate": pl.Float64(),
    "remitted": pl.Int64(), "remitted_on_time": pl.Int64(),
    "remitted_late": pl.Int64(), "outstanding": pl.Int64(),
    "excess": pl.Int64(), "max_days_late": pl.Int64(), "penalty": pl.Int64(),
}

CHUNK_COLUMNS: dict[str, pl.DataType] = {
    "ogd": pl.String(), "period": pl.String(), "deadline": pl.Date(),
    "amount": pl.Int64(), "transfer_id": pl.String(), "value_date": pl.Date(),
    "days_late": pl.Int64(), "penalty": pl.Int64(),
}

OGD_TOTAL_COLUMNS: dict[str, pl.DataType] = {
    "ogd": pl.String(), "due": pl.Int64(), "collected": pl.Int64(),
    "collection_rate": pl.Float64(), "remitted": pl.Int64(),
    "remitted_on_time": pl.Int64(), "remitted_late": pl.Int64(),
    "outstanding": pl.Int64(), "excess": pl.Int64(), "penalty": pl.Int64(),
}

# Per (ogd, period): Σ amount of the transfers that exist for the audit
# (value_date ≤ as_of). Kept apart so check_invariants can test
# Σ transfers = remitted + excess against an independent figure.
TRANSFER_TOTAL_COLUMNS: dict[str, pl.DataType] = {
    "ogd": pl.String(), "period": pl.String(), "transferred": pl.Int64(),
}


@dataclass(frozen=True)
class PenaltyPolicy:
    """Section [remittance] of policy.toml, percents already in basis points."""

    deadline_days: int
    initial_bp: int      # basis points, 5.0 % -> 500
    monthly_bp: int      # 1.5 % -> 150


@dataclass
class RemittanceResult:
    periods: pl.DataFrame     # PERIOD_COLUMNS, sorted by ogd, period
    chunks: pl.DataFrame      # CHUNK_COLUMNS, sorted by ogd, period, deadline, value_date (nulls last), transfer_id
    ogd_totals: pl.DataFrame  # OGD_TOTAL_COLUMNS, sorted by ogd
    # Σ transfers per (ogd, period) counted in the audit (TRANSFER_TOTAL_COLUMNS);
    # None when the result was built by hand: that invariant is then not checked.
    transfers: pl.DataFrame | None = field(default=None, repr=False)


# --------------------------------------------------------------------------- #
# Building blocks

def _obligations(contributions: pl.LazyFrame, policy: PenaltyPolicy) -> pl.LazyFrame:
    """One row per (ogd, period, deadline), with its interval [ob_start, ob_end)."""
    period_end = (pl.col("period") + "-01").str.to_date("%Y-%m-%d").dt.month_end()
    collection_end = pl.col("collection_date").dt.month_end()
    # deadline = last day of the later of (period month, collection month) + deadline_days
    # (a null collection date, impossible in valid input, counts as the period month).
    deadline = (pl.max_horizontal(period_end, collection_end)
                + pl.duration(days=policy.deadline_days))
    return (
        contributions
        .filter(pl.col("amount_collected") > 0)
        .group_by(*KEYS, deadline.alias("deadline"))
        .agg(ob_amount=pl.col("amount_collected").sum())
        .with_columns(ob_end=pl.col("ob_amount").cum_sum().over(KEYS, order_by="deadline"))
        .with_columns(ob_start=pl.col("ob_end") - pl.col("ob_amount"))
    )


def _transfers(remittances: pl.LazyFrame, as_of: date) -> pl.LazyFrame:
    """Transfers that exist for the audit, with their interval [tr_start, tr_end)."""
    return (
        remittances
        .select("transfer_id", "ogd", "period", "amount", "value_date")
        .filter(pl.col("value_date") <= as_of)
        .with_columns(tr_end=pl.col("amount").cum_sum()
                      .over(KEYS, order_by=["value_date", "transfer_id"]))
        .with_columns(tr_start=pl.col("tr_end") - pl.col("amount"))
    )


def _chunks(obligations: pl.LazyFrame, transfers: pl.LazyFrame,
            transfer_totals: pl.LazyFrame, as_of: date,
            policy: PenaltyPolicy) -> pl.LazyFrame:
    lo = pl.max_horizontal("ob_start", "tr_start")
    hi = pl.min_horizontal("ob_end", "tr_end")
    paid = (
        obligations.join(transfers, on=KEYS, how="inner")
        .filter(lo < hi)
        .select(*KEYS, "deadline", (hi - lo).alias("amount"),
                "transfer_id", "value_date")
    )
    # Beyond everything transferred, an obligation's remainder is still held by the OGD.
    unpaid_from = pl.max_horizontal("ob_start", "transferred")
    unpaid = (
        obligations.join(transfer_totals, on=KEYS, how="left")
        .with_columns(pl.col("transferred").fill_null(0))
        .filter(unpaid_from < pl.col("ob_end"))
        .select(*KEYS, "deadline", (pl.col("ob_end") - unpaid_from).alias("amount"),
                pl.lit(None, dtype=pl.String).alias("transfer_id"),
                pl.lit(None, dtype=pl.Date).alias("value_date"))
    )
    # days_late = (v or as_of) − D when positive, else 0
    days_late = pl.max_horizontal(
        (pl.coalesce("value_date", pl.lit(as_of)) - pl.col("deadline")).dt.total_days(),
        pl.lit(0, dtype=pl.Int64))
    months_late = (pl.col("days_late") + 29) // 30          # each started month counts
    rate_bp = policy.initial_bp + policy.monthly_bp * months_late
    penalty = (pl.when(pl.col("days_late") > 0)
               .then((pl.col("amount") * rate_bp + 5000) // 10000)   # half up, whole francs
               .otherwise(0))
    return (
        pl.concat([paid, unpaid], how="vertical")
        .with_columns(days_late.alias("days_late"))
        .with_columns(penalty.alias("penalty"))
        .select([pl.col(c).cast(t) for c, t in CHUNK_COLUMNS.items()])
        .sort(*KEYS, "deadline", "value_date", "transfer_id",
              nulls_last=True, maintain_order=True)
    )


def _periods(contributions: pl.LazyFrame, transfer_totals: pl.LazyFrame,
             chunks: pl.LazyFrame) -> pl.LazyFrame:
    keys = pl.concat([contributions.select(KEYS), transfer_totals.select(KEYS)]).unique()
    contrib = contributions.group_by(KEYS).agg(
        due=pl.col("amount_due").sum(), collected=pl.col("amount_collected").sum())
    is_paid = pl.col("transfer_id").is_not_null()
    by_chunks = chunks.group_by(KEYS).agg(
        remitted=pl.col("amount").filter(is_paid).sum(),
        remitted_on_time=pl.col("amount").filter(is_paid & (pl.col("days_late") == 0)).sum(),
        max_days_late=pl.col("days_late").max(),
        penalty=pl.col("penalty").sum(),
    )
    zero = ["due", "collected", "transferred", "remitted", "remitted_on_time",
            "max_days_late", "penalty"]
    return (
        keys
        .join(contrib, on=KEYS, how="left")
        .join(transfer_totals, on=KEYS, how="left")
        .join(by_chunks, on=KEYS, how="left")
        .with_columns(pl.col(zero).fill_null(0))
        .with_columns(
            collection_rate=share_percent(pl.col("collected"), pl.col("due")),
            remitted_late=pl.col("remitted") - pl.col("remitted_on_time"),
            outstanding=pl.col("collected") - pl.col("remitted"),
            excess=pl.col("transferred") - pl.col("remitted"),
        )
        .select([pl.col(c).cast(t) for c, t in PERIOD_COLUMNS.items()])
        .sort(KEYS)
    )


def _ogd_totals(periods: pl.DataFrame) -> pl.DataFrame:
    sums = [c for c, t in OGD_TOTAL_COLUMNS.items() if c not in ("ogd", "collection_rate")]
    return (
        periods.lazy()
        .group_by("ogd").agg(pl.col(sums).sum())
        .with_columns(collection_rate=share_percent(pl.col("collected"), pl.col("due")))
        .select([pl.col(c).cast(t) for c, t in OGD_TOTAL_COLUMNS.items()])
        .sort("ogd")
        .collect()
    )


def reconcile(contributions: pl.LazyFrame, remittances: pl.LazyFrame,
              as_of: date, policy: PenaltyPolicy) -> RemittanceResult:
    """Audit every (ogd, period) of both files at `as_of` (remittance-rules.md)."""
    contributions = contributions.select(
        pl.col("ogd").cast(pl.String), pl.col("period").cast(pl.String),
        pl.col("amount_due").cast(pl.Int64), pl.col("amount_collected").cast(pl.Int64),
        pl.col("collection_date").cast(pl.Date))
    remittances = remittances.select(
        pl.col("transfer_id").cast(pl.String), pl.col("ogd").cast(pl.String),
        pl.col("period").cast(pl.String), pl.col("amount").cast(pl.Int64),
        pl.col("value_date").cast(pl.Date))

    transfers = _transfers(remittances, as_of)
    transfer_totals = transfers.group_by(KEYS).agg(transferred=pl.col("amount").sum())
    obligations = _obligations(contributions, policy)
    chunks_lf = _chunks(obligations, transfers, transfer_totals, as_of, policy)
    periods_lf = _periods(contributions, transfer_totals, chunks_lf)
    totals_lf = (transfer_totals.select([pl.col(c).cast(t) for c, t in
                                         TRANSFER_TOTAL_COLUMNS.items()]).sort(KEYS))
    chunks, periods, totals = pl.collect_all([chunks_lf, periods_lf, totals_lf])
    return RemittanceResult(periods=periods, chunks=chunks,
                            ogd_totals=_ogd_totals(periods), transfers=totals)
