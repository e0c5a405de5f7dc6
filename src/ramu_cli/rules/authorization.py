"""Prior authorization (accord préalable): R17, and the match that exempts from R18.

Z is the usable row of the batch's authorizations file whose authorization_id
is the line's (liquidation/authorizations.py reads the file and joins Z). An act with
`prior_authorization` is covered only when Z matches the line: same
beneficiary, same act, same provider when Z names one, and the service date
within Z's validity (both ends included). The same match exempts a line from
R18 (an authorized act may be repeated sooner than the minimum interval).
"""

from __future__ import annotations

import polars as pl

D = pl.col("service_date")
EMERGENCY = pl.col("emergency").fill_null(False)
FREE_CARE = pl.col("a_free_care").is_not_null()
# The Z columns joined onto the lines (null when Z is absent).
Z_COLUMNS = ["z_beneficiary_id", "z_act_code", "z_provider_id", "z_valid_from", "z_valid_to"]
# The column the pipeline fills with z_matches() before R18 (frequency.py reads it).
Z_MATCH = "z_match"


def z_matches() -> pl.Expr:
    """Z is present and matches the line as R17 requires (never null)."""
    found = pl.col("z_valid_from").is_not_null()
    provider_ok = pl.col("z_provider_id").is_null() | (pl.col("z_provider_id") == pl.col("provider_id"))
    within = D.is_between(pl.col("z_valid_from"), pl.col("z_valid_to"))  # both ends included
    return (found & (pl.col("z_beneficiary_id") == pl.col("beneficiary_id"))
            & (pl.col("z_act_code") == pl.col("act_code")) & provider_ok & within).fill_null(False)


def r17_prior_authorization() -> pl.Expr:
    # R17 Accord préalable absent ou invalide: A.prior_authorization is true, the line
    # is not an emergency, and Z is absent, or Z.beneficiary_id ≠ beneficiary_id, or
    # Z.act_code ≠ act_code, or Z.provider_id is set and ≠ provider_id, or d is outside
    # [Z.valid_from, Z.valid_to]. Needs A (a true prior_authorization means A was
    # found). Free care is exempt.
    needed = pl.col("a_prior_authorization").fill_null(False)
    return needed & ~FREE_CARE & ~EMERGENCY & ~z_matches()
