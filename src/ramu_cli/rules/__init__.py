"""The reason codes R01–R14 as polars expressions over the looked-up invoice frame.

The frame the rules read has the invoice columns, the beneficiary B (`b_*`,
with the principal's rights `b_p_rights_*`), the provider V (`v_*`), the act A
(`a_*`), `price` (price row at V's level), `age`, and the flags `r09`, `r13`,
`r14` computed by the duplicate rules. Each rule is true only where it applies
and its lookups are present (the rulebook's "needs" column); missing lookups
make an expression null, which counts as "does not apply".
"""

from __future__ import annotations

from datetime import date

import polars as pl

from ramu_cli.rules import act, duplicates, eligibility, provider, submission
from ramu_cli.tariffs import Policy

R_CODES = tuple(f"R{i:02d}" for i in range(1, 15))


def reason_rules(policy: Policy, liquidation_date: date) -> dict[str, pl.Expr]:
    """Every R code → a boolean expression (null-safe), in code order."""
    rules = {
        "R01": eligibility.r01_unknown_beneficiary(),
        "R02": eligibility.r02_rights_closed(),
        "R03": eligibility.r03_dependant_out_of_conditions(policy),
        "R04": provider.r04_provider_not_under_convention(),
        "R05": act.r05_unknown_act(),
        "R06": act.r06_act_not_allowed_at_level(),
        "R07": act.r07_act_incompatible_with_patient(),
        "R08": eligibility.r08_other_ogd(),
        "R09": duplicates.r09_duplicate_in_batch(),
        "R10": submission.r10_late_submission(policy),
        "R11": provider.r11_pyramid_not_respected(policy),
        "R12": submission.r12_inconsistent_dates(liquidation_date),
        "R13": duplicates.r13_already_liquidated(),
    }
    r14 = duplicates.r14_unreadable_or_invalid()
    # An R14 row gets no other code; the others look only at rows without R14.
    out = {code: (expr.fill_null(False) & ~r14) for code, expr in rules.items()}
    out["R14"] = r14
    return out
