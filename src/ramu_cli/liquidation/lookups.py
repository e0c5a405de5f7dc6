"""Each invoice line joined to what the rules read, as it was at its service date.

Lookups by validity period are equi-joins on (key, service_date) against
tariff rows expanded to the batch's few distinct service dates, so the large
side is never sorted. The beneficiary B is not joined chunk by chunk: the
registry (millions of ids in a national month) is hashed once for the whole
batch (`beneficiary_rows`), and each chunk gathers B's columns at those rows
(`with_beneficiary`). The joins run on a narrow frame (the join keys and the
line's position) without keeping order, which costs half of an order-keeping
join; one sort on the position then puts the looked-up columns back in input
order, beside the lines (a horizontal concat: the lines themselves are never
gathered).
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


# The line columns the joins read; the position that restores input order afterwards.
JOIN_KEYS = ["beneficiary_id", "provider_id", "act_code", "service_date", "authorization_id"]
POSITION = "_lookup_pos"


def _left(frame: pl.LazyFrame, other: pl.LazyFrame, on: str | list[str]) -> pl.LazyFrame:
    # Unique keys on the right (usable registry rows, non-overlapping tariff periods):
    # one output row per line, in whatever order; `lookups` sorts once at the end.
    return frame.join(other, on=on, how="left")


def beneficiary_rows(lines: pl.LazyFrame, registry: Registry) -> pl.Series:
    """Each line's row in registry.beneficiaries (null where its id is not there, or null),
    for the whole batch in one join."""
    rows = registry.beneficiaries.lazy().select("beneficiary_id").with_row_index("_b_row")
    return (lines.select("beneficiary_id").join(rows, on="beneficiary_id", how="left", maintain_order="left")
            .select("_b_row").collect(engine="streaming").to_series())


def with_beneficiary(lines: pl.DataFrame, registry: Registry, rows: pl.Series) -> pl.DataFrame:
    """The lines with B's columns (`b_*`), gathered at their `rows` (beneficiary_rows of
    these lines): what a left join on beneficiary_id gives, registry ids being unique."""
    bens = registry.beneficiaries.select(
        [pl.col(c).alias(f"b_{c}") for c in registry.beneficiaries.columns if c != "beneficiary_id"])
    return lines.hstack(bens.select(pl.all().gather(rows)))


def lookups(base: pl.LazyFrame, registry: Registry, tariffs: Tariffs,
            authorizations: pl.DataFrame | None = None) -> pl.LazyFrame:
    """The lines, which carry B (`b_*`: with_beneficiary), with V (`v_*`), A (`a_*`),
    `price`, `coverage_rate`, `age` and the authorization Z (`z_*`, null without one;
    `authorizations`: the usable rows)."""
    dates = base.select("service_date").drop_nulls().unique()
    acts = in_force(tariffs.acts, dates).select(
        "act_code", "service_date", *[pl.col(c).alias(f"a_{c}") for c in ACT_LOOKUP])
    prices = in_force(tariffs.prices, dates).select(
        "act_code", pl.col("level").alias("v_level"), "service_date", "price")
    coverage = in_force(tariffs.coverage, dates).select(
        pl.col("ogd").alias("b_ogd"), pl.col("care_type").alias("a_care_type"), "service_date",
        pl.col("rate_percent").alias("coverage_rate"))
    provs = registry.providers.lazy().select(
        "provider_id", *[pl.col(c).alias(f"v_{c}") for c in PROVIDER_LOOKUP])
    keys = base.select(*JOIN_KEYS, "b_ogd").with_row_index(POSITION)
    joined = _left(keys, provs, "provider_id")
    joined = _left(joined, acts, ["act_code", "service_date"])
    joined = _left(joined, prices, ["act_code", "v_level", "service_date"])
    joined = _left(joined, coverage, ["b_ogd", "a_care_type", "service_date"])
    joined = join_authorizations(joined, authorizations, maintain_order=False)
    looked = joined.sort(POSITION).drop(POSITION, *JOIN_KEYS, "b_ogd")
    # The age of R03 and R07.
    return pl.concat([base, looked], how="horizontal").with_columns(
        age=age_in_full_years(pl.col("service_date"), pl.col("b_birth_date")))
