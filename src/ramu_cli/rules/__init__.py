"""Every reason and adjustment code of the rulebook, registered by code.

The rules read one frame per invoice line: the invoice columns, the
beneficiary B (`b_*`, with the principal's rights `b_p_rights_*`), the
provider V (`v_*`), the act A (`a_*`), `price` (the price row at V's level),
`age` (rules.common.age_in_full_years) and the flags `r09`, `r13`, `r14`
(rules.duplicates.duplicate_flags). Each rule is a function of the run's
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

from ramu_cli.rules import act, adjustments, duplicates, eligibility, provider, submission
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
}
# An R14 row gets no other code: its cells cannot be trusted.
EXCLUSIVE = "R14"

# Adjustment codes: on a line no reason rejects, each makes it REDUCED.
ADJUSTMENTS: dict[str, Rule] = {
    "A01": adjustments.a01_price_above_tariff,
    "A02": adjustments.a02_quantity_above_max,
}

CODES = (*REASONS, *ADJUSTMENTS)


def reason_rules(ctx: RuleContext) -> dict[str, pl.Expr]:
    """Every reason code → a boolean expression (never null), in REASONS order."""
    exclusive = REASONS[EXCLUSIVE](ctx)
    return {code: exclusive if code == EXCLUSIVE else rule(ctx).fill_null(False) & ~exclusive
            for code, rule in REASONS.items()}


def code_rules(ctx: RuleContext) -> tuple[dict[str, pl.Expr], pl.Expr]:
    """Every code (reasons, then adjustments) → its expression; and `rejected`."""
    reasons = reason_rules(ctx)
    rejected = pl.any_horizontal(list(reasons.values()))
    adjusted = {code: rule(ctx) & ~rejected for code, rule in ADJUSTMENTS.items()}
    return {**reasons, **adjusted}, rejected


__all__ = ["ADJUSTMENTS", "CODES", "EXCLUSIVE", "REASONS", "RuleContext", "code_rules", "reason_rules"]
