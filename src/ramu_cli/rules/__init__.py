"""Every reason and adjustment code of the rulebook, registered by code.

The rules read one frame per invoice line: the invoice columns, the
beneficiary B (`b_*`, with the principal's rights `b_p_rights_*`), the
provider V (`v_*`), the act A (`a_*`), `price` (the price row at V's level),
`age` (rules.common.age_in_full_years), the flags `r09`, `r13`, `r14`
(rules.duplicates.with_duplicate_flags), the authorization Z (`z_*`) and, for the
codes judged last (CROSS_LINE, A03), the columns `r18`, `r16`, `a03` and
`cap_remaining` that the pipeline joins from rules.frequency.frequency_flags. Each rule is a function of the run's
RuleContext returning a boolean expression, true only where the code applies
and its lookups are present (the rulebook's "needs" column): a missing lookup
makes the expression null, which counts as "does not apply".

To add a code (R15…, A03…): write its function in the module of its family
(or a new module of this package), add one line to REASONS or ADJUSTMENTS
below, and its French label to contract.REASON_LABELS. The order of these
two tables is the order of the codes in each line's `reasons` list.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from ramu_cli.rules import (
    act,
    adjustments,
    authorization,
    duplicates,
    eligibility,
    frequency,
    provider,
    submission,
    waiting,
)
from ramu_cli.rules.common import RuleContext

Rule = Callable[[RuleContext], pl.Expr]

# Reason codes: any one of them makes the line REJECTED.
REASONS: dict[str, Rule] = {
    "R01": eligibility.r01_unknown_beneficiary,
    "R02": eligibility.r02_rights_closed,
    "R03": eligibility.r03_dependant_out_of_conditions,
    "R04": provider.r04_provider_not_under_convention,
    "R05": act.r05_unknown_act,
    "R06": act.r06_act_not_allowed_at_level,
    "R07": act.r07_act_incompatible_with_patient,
    "R08": eligibility.r08_other_ogd,
    "R09": duplicates.r09_duplicate_in_batch,
    "R10": submission.r10_late_submission,
    "R11": provider.r11_pyramid_not_respected,
    "R12": submission.r12_inconsistent_dates,
    "R13": duplicates.r13_already_liquidated,
    "R14": duplicates.r14_unreadable_or_invalid,
    "R15": lambda ctx: waiting.r15_waiting_period(),
    "R16": frequency.r16_annual_cap,
    "R17": lambda ctx: authorization.r17_prior_authorization(),
    "R18": frequency.r18_too_close,
}
# Judged last, on the rows no other reason rejects (rules.frequency): the
# pipeline computes every other code first, then these from frequency_flags.
CROSS_LINE = ("R16", "R18")
# An R14 row gets no other code: its cells cannot be trusted.
EXCLUSIVE = "R14"

# Adjustment codes: on a line no reason rejects, each makes it REDUCED.
ADJUSTMENTS: dict[str, Rule] = {
    "A01": adjustments.a01_price_above_tariff,
    "A02": adjustments.a02_quantity_above_max,
    "A03": frequency.a03_cut_to_annual_cap,
}

CODES = (*REASONS, *ADJUSTMENTS)


def reason_rules(ctx: RuleContext) -> dict[str, pl.Expr]:
    """Every reason code → a boolean expression (never null), in REASONS order."""
    exclusive = REASONS[EXCLUSIVE](ctx)
    return {code: exclusive if code == EXCLUSIVE else rule(ctx).fill_null(False) & ~exclusive
            for code, rule in REASONS.items()}


def ordinary_reason_rules(ctx: RuleContext) -> dict[str, pl.Expr]:
    """The reason codes a line gets on its own (all but CROSS_LINE), in REASONS order."""
    return {code: expr for code, expr in reason_rules(ctx).items() if code not in CROSS_LINE}


__all__ = ["ADJUSTMENTS", "CODES", "CROSS_LINE", "EXCLUSIVE", "REASONS", "RuleContext", "ordinary_reason_rules",
           "reason_rules"]
