"""Each invoice line joined to what the rules read, as it was at its service date.

Lookups by validity period are equi-joins on (key, service_date) against
tariff rows expanded to the batch's few distinct service dates, so the large
side is never sorted.
"""

from __future__ import annotations

import polars as pl

from ramu_cli.liquidation.authorizations import join_authorizations
from ramu_cli.liquidation.registry import Registry
from ramu_cli.rules.common import age_in_full_years, within
from ramu_cli.tariffs import Tariffs

ACT_LOOKUP = ("category", "care_type", "sex", "min_age", "max_age", "max_qty", "free_care",
              # version 2 (null, or false, when the tariff folder lacks them): R15–R18, A03
              "waiting_days", "max_per_year", "prior_authorization", "min_interval_days")
PROVIDER_LOOKUP = ("level", "convention_start", "convention_end")


def in_force(table: pl.DataFrame, dates: pl.LazyFrame) -> pl.LazyFrame:
    """Tariff rows crossed with the service dates (`dates.service_date`) they are valid on."""
    return dates.join(table.lazy(), how="cross").filter(within("valid_from", "valid_to"))


def _left(frame: pl.LazyFrame, other: pl.LazyFrame, on: str | list[str]) -> pl.LazyFrame:
    return frame.join(other, on=on, how="left", maintain_order="left")


def lookups(base: pl.LazyFrame, registry: Registry, tariffs: Tariffs,
            authorizations: pl.DataFrame | None = None) -> pl.LazyFrame:
    """The lines with B (`b_*`), V (`v_*`), A (`a_*`), `price`, `coverage_rate`, `age` and
    the authorization Z (`z_*`, null without one; `authorizations`: the usable rows)."""
    dates = base.select("service_date").drop_nulls().unique()
    acts = in_force(tariffs.acts, dates).select(
        "act_code", "service_date", *[pl.col(c).alias(f"a_{c}") for c in ACT_LOOKUP])
    prices = in_force(tariffs.prices, dates).select(
        "act_code", pl.col("level").alias("v_level"), "service_date", "price")
    coverage = in_force(tariffs.coverage, dates).select(
        pl.col("ogd").alias("b_ogd"), pl.col("care_type").alias("a_care_type"), "service_date",
        pl.col("rate_percent").alias("coverage_rate"))
    bens = registry.beneficiaries.lazy().select(
        "beneficiary_id", *[pl.col(c).alias(f"b_{c}") for c in registry.beneficiaries.columns
                            if c != "beneficiary_id"])
    provs = registry.providers.lazy().select(
        "provider_id", *[pl.col(c).alias(f"v_{c}") for c in PROVIDER_LOOKUP])
    joined = _left(base, bens, "beneficiary_id")
    joined = _left(joined, provs, "provider_id")
    joined = _left(joined, acts, ["act_code", "service_date"])
    joined = _left(joined, prices, ["act_code", "v_level", "service_date"])
    joined = _left(joined, coverage, ["b_ogd", "a_care_type", "service_date"])
    joined = join_authorizations(joined, authorizations)
    # The age of R03 and R07.
    return joined.with_columns(age=age_in_full_years(pl.col("service_date"), pl.col("b_birth_date")))
