"""Provider rules: R04 (convention) and R11 (health pyramid)."""

from __future__ import annotations

import polars as pl

from ramu_cli.rules.common import B_FOUND, FREE_CARE, V_FOUND, RuleContext, outside


def r04_provider_not_under_convention(ctx: RuleContext) -> pl.Expr:
    # R04 Prestataire non conventionné: V absent, or d outside V's convention.
    return ~V_FOUND | outside("v_convention_start", "v_convention_end")


def r11_pyramid_not_respected(ctx: RuleContext) -> pl.Expr:
    # R11 Pyramide sanitaire non respectée: RAMED patient at a referral level with
    # neither referral nor emergency. Needs B and V; not for free care.
    policy = ctx.policy
    return (B_FOUND & V_FOUND & ~FREE_CARE
            & pl.col("b_ogd").is_in(list(policy.referral_required_ogds))
            & pl.col("v_level").is_in(list(policy.referral_levels))
            & ~pl.col("referral") & ~pl.col("emergency"))
