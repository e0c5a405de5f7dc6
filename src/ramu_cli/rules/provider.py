"""Provider rules: R04 (convention) and R11 (health pyramid)."""

from __future__ import annotations

import polars as pl

from ramu_cli.tariffs import Policy

D = pl.col("service_date")
V_FOUND = pl.col("v_level").is_not_null()


def r04_provider_not_under_convention() -> pl.Expr:
    # R04 Prestataire non conventionné: V absent, or d outside V's convention.
    outside = (pl.col("v_convention_start") > D) | (
        pl.col("v_convention_end").is_not_null() & (pl.col("v_convention_end") < D))
    return ~V_FOUND | outside


def r11_pyramid_not_respected(policy: Policy) -> pl.Expr:
    # R11 Pyramide sanitaire non respectée: RAMED patient at a referral level with
    # neither referral nor emergency. Needs B and V; free care is exempt.
    return (pl.col("b_relationship").is_not_null() & V_FOUND
            & pl.col("a_free_care").is_null()
            & pl.col("b_ogd").is_in(list(policy.referral_required_ogds))
            & pl.col("v_level").is_in(list(policy.referral_levels))
            & ~pl.col("referral") & ~pl.col("emergency"))
