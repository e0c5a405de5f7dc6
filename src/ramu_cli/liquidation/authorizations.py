"""Prior authorizations (accords préalables): the optional `authorizations.*` batch file.

Read like the registry: a row that breaks the data contract is not fatal. It
is listed among the run's anomalies and treated as absent (Z absent), so a
line that relies on it gets R17 when its act needs an authorization, and
nobody is paid on a doubtful record. Unusable: a duplicate authorization_id
(every row with that id), an empty or unreadable value in a column that is
not nullable (only provider_id may be empty: any provider), valid_to before
valid_from. A batch without the file has no authorization at all.
"""

from __future__ import annotations

import polars as pl

from ramu_cli.contract import AUTHORIZATIONS
from ramu_cli.io.readers import TableScan
from ramu_cli.liquidation.registry import ANOMALY_SCHEMA, anomaly_rows, cell_fault_rows
from ramu_cli.rules.authorization import Z_COLUMNS

# The usable rows, one per authorization_id (what the Z lookup joins on).
AUTHORIZATION_LOOKUP = ["authorization_id", "beneficiary_id", "act_code", "provider_id",
                        "valid_from", "valid_to"]
DUPLICATE_MESSAGE = "identifiant d'accord préalable en double : toutes ses lignes sont écartées"
BACKWARDS_MESSAGE = "fin de validité de l'accord antérieure à son début"


def empty_authorizations() -> pl.DataFrame:
    """No authorization: the usable frame of a batch without the file."""
    return pl.DataFrame(schema={c: AUTHORIZATIONS.column(c).dtype for c in AUTHORIZATION_LOOKUP})


def load_authorizations(scan: TableScan | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(usable authorizations, anomalies): the rows Z may be, and the rows set aside.

    `usable` has AUTHORIZATION_LOOKUP columns, one row per authorization_id;
    `anomalies` has the registry's anomaly columns (sorted by row, column).
    """
    if scan is None:
        return empty_authorizations(), pl.DataFrame(schema=ANOMALY_SCHEMA)
    df = scan.typed().collect()
    dup = (pl.len().over("authorization_id") > 1) & pl.col("authorization_id").is_not_null()
    backwards = (pl.col("valid_to") < pl.col("valid_from")).fill_null(False)
    parts = [cell_fault_rows(scan, df),
             anomaly_rows(df.filter(dup), scan.label, "authorization_id", "duplicate_id", DUPLICATE_MESSAGE),
             anomaly_rows(df.filter(backwards), scan.label, "valid_to", "validity_backwards", BACKWARDS_MESSAGE)]
    usable = df.filter(~pl.col("cell_fault") & ~dup & ~backwards).select(AUTHORIZATION_LOOKUP)
    anomalies = pl.concat([p.cast(ANOMALY_SCHEMA) for p in parts]).sort("row", "column")
    return usable, anomalies


def join_authorizations(lines: pl.LazyFrame, usable: pl.DataFrame | None,
                        maintain_order: bool = True) -> pl.LazyFrame:
    """The lines with Z's columns (Z_COLUMNS), null where Z is absent; same rows, same order
    (in any order with `maintain_order=False`, for a caller that sorts afterwards).

    Left join on authorization_id against the usable authorizations (unique ids,
    so no line is repeated); a line without authorization_id never matches.
    """
    auths = empty_authorizations() if usable is None else usable
    z = auths.lazy().select(
        "authorization_id", *[pl.col(c[2:]).alias(c) for c in Z_COLUMNS])
    return lines.join(z, on="authorization_id", how="left",
                      maintain_order="left" if maintain_order else "none")
