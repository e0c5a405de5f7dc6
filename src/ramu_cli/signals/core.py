"""Signals: the providers and beneficiaries whose month stands out from their peers.

Pure functions over LazyFrames. They read the line-level liquidation result and
never change it: a signal is a lead for an auditor, not a decision.

Providers: each of the six indicators is compared with the providers of the
same level that have at least `min_peer_lines` lines in the month (itself
included). With m = median and MAD = median(|x − m|) over those peers (the
median of an even count is the mean of the two middle values), the robust
z-score is 0.6745 × (x − m) / MAD; a provider is flagged when z exceeds
`z_threshold` (high side only), never when MAD is 0 or when fewer than
`min_peers` peers have a value. Beneficiaries: flagged when the month holds at
least `beneficiary_providers` distinct providers or `beneficiary_lines` lines.
"""

from __future__ import annotations

import polars as pl

from ramu_cli.signals.indicators import (
    BENEFICIARY_INDICATORS,
    INDICATORS,
    PROVIDER_INDICATORS,
    REQUIRED_COLUMNS,
    beneficiary_counts,
    pair_counts,
    provider_counts,
    provider_values,
)
from ramu_cli.signals.thresholds import SignalThresholds

Z_FACTOR = 0.6745  # makes the MAD comparable to a standard deviation for normal data

SIGNAL_SCHEMA: dict[str, pl.DataType] = {
    "kind": pl.String(),          # "provider" or "beneficiary"
    "id": pl.String(),            # provider_id or beneficiary_id
    "level": pl.String(),         # the provider's level (its peers); null for a beneficiary
    "indicator": pl.String(),     # code, see indicators.py
    "label": pl.String(),         # French label of the indicator
    "value": pl.Float64(),        # the entity's value (francs are whole numbers, shares fractions)
    "peer_median": pl.Float64(),  # median over the peers (null for a beneficiary)
    "peer_mad": pl.Float64(),     # median absolute deviation over the peers
    "robust_z": pl.Float64(),     # 0.6745 × (value − median) / MAD
    "peers": pl.Int64(),          # peers with a value for this indicator, itself included
    "threshold": pl.Float64(),    # z threshold (provider) or count threshold (beneficiary)
    "lines": pl.Int64(),          # the entity's lines in the month
    "rank": pl.Int64(),           # 1 = most striking within (kind, indicator)
}
KIND_ORDER = {"provider": 0, "beneficiary": 1}
INDICATOR_ORDER = {code: i for i, code in enumerate(INDICATORS)}


def with_max_qty(lines: pl.LazyFrame, acts: pl.DataFrame) -> pl.LazyFrame:
    """Add the act's `max_qty` in force on each line's service date (null when none).

    The same lookup as the liquidation's: the acts row of (act_code) whose
    validity period holds the service date, found by an equi-join on the
    batch's few distinct service dates.
    """
    dates = lines.select("service_date").drop_nulls().unique().with_columns(_all=pl.lit(0))
    # An equi-join on a constant, not how="cross": polars 2.1 panics when a cross join
    # sits under the cached subplan of compute_signals.
    periods = acts.lazy().select("act_code", "max_qty", "valid_from", "valid_to", _all=pl.lit(0))
    in_force = (dates.join(periods, on="_all")
                .filter((pl.col("valid_from") <= pl.col("service_date"))
                        & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= pl.col("service_date"))))
                .select("act_code", "service_date", pl.col("max_qty").cast(pl.Int64)))
    return lines.join(in_force, on=["act_code", "service_date"], how="left", maintain_order="left")


def _peer_scores(values: pl.LazyFrame, t: SignalThresholds) -> pl.LazyFrame:
    """Long frame (provider, indicator, value) of the peers, with median, MAD, peers and z."""
    peers = values.filter(pl.col("level").is_not_null() & (pl.col("lines") >= t.min_peer_lines))
    long = peers.unpivot(index=["provider_id", "level", "lines"], on=[i.code for i in PROVIDER_INDICATORS],
                         variable_name="indicator", value_name="value").drop_nulls("value")
    group = ["level", "indicator"]
    long = long.with_columns(peer_median=pl.col("value").median().over(group),
                             peers=pl.len().over(group).cast(pl.Int64))
    long = long.with_columns(peer_mad=(pl.col("value") - pl.col("peer_median")).abs().median().over(group))
    z = Z_FACTOR * (pl.col("value") - pl.col("peer_median")) / pl.col("peer_mad")
    return long.with_columns(robust_z=pl.when(pl.col("peer_mad") > 0).then(z))


def provider_signals(lines: pl.LazyFrame, t: SignalThresholds, pairs: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """One row per flagged (provider, indicator)."""
    scores = _peer_scores(provider_values(provider_counts(lines, pairs)), t)
    flagged = scores.filter((pl.col("peers") >= t.min_peers) & (pl.col("robust_z") > t.z_threshold))
    return flagged.select(
        pl.lit("provider").alias("kind"), pl.col("provider_id").alias("id"), "level", "indicator",
        "value", "peer_median", "peer_mad", "robust_z", "peers",
        pl.lit(float(t.z_threshold)).alias("threshold"), "lines")


def beneficiary_signals(lines: pl.LazyFrame, t: SignalThresholds, pairs: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """One row per flagged (beneficiary, indicator): distinct providers, lines in the month."""
    counts = beneficiary_counts(lines, pairs)
    limits = {"distinct_providers": t.beneficiary_providers, "beneficiary_lines": t.beneficiary_lines}
    parts = [counts.filter(pl.col(i.code) >= limits[i.code]).select(
        pl.lit("beneficiary").alias("kind"), pl.col("beneficiary_id").alias("id"),
        pl.lit(None, pl.String).alias("level"), pl.lit(i.code).alias("indicator"),
        pl.col(i.code).cast(pl.Float64).alias("value"),
        *[pl.lit(None, pl.Float64).alias(c) for c in ("peer_median", "peer_mad", "robust_z")],
        pl.lit(None, pl.Int64).alias("peers"), pl.lit(float(limits[i.code])).alias("threshold"),
        pl.col("beneficiary_lines").alias("lines")) for i in BENEFICIARY_INDICATORS]
    return pl.concat(parts)


def compute_signals(lines: pl.LazyFrame, thresholds: SignalThresholds | None = None) -> pl.LazyFrame:
    """The signals frame (SIGNAL_SCHEMA), ranked: providers first, indicator by indicator.

    `lines` holds the liquidation's line-level columns plus the provider's
    `level`, the invoice's `emergency` flag and the act's `max_qty`
    (`with_max_qty`). Within (kind, indicator) rank 1 is the highest z-score
    (providers) or value (beneficiaries); ties go to the smaller id.
    """
    t = thresholds or SignalThresholds()
    missing = [c for c in REQUIRED_COLUMNS if c not in lines.collect_schema()]
    if missing:
        raise ValueError(f"signals: colonnes absentes des lignes liquidées : {', '.join(missing)}")
    lines = lines.select(REQUIRED_COLUMNS)
    # One grouping by (provider, beneficiary) gives both distinct counts; it is the
    # costliest step, and polars computes a shared subplan once only when told (cache).
    pairs = pair_counts(lines).cache()
    both = pl.concat([provider_signals(lines, t, pairs), beneficiary_signals(lines, t, pairs)])
    labels = pl.LazyFrame({"indicator": list(INDICATORS), "label": [i.label for i in INDICATORS.values()],
                           "_order": list(range(len(INDICATORS)))})
    sort_key = pl.coalesce("robust_z", "value")
    return (both.join(labels, on="indicator", how="left")
            .sort("_order", sort_key, "id", descending=[False, True, False])
            .with_columns(rank=(pl.int_range(pl.len()).over("indicator") + 1).cast(pl.Int64))
            .select([pl.col(name).cast(dtype) for name, dtype in SIGNAL_SCHEMA.items()]))
