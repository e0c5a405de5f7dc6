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

# The usable rows, one per authorization_id (what the Z lookup joins on).
AUTHORIZATION_LOOKUP = ["authorization_id", "beneficiary_id", "act_code", "provider_id",
                        "valid_from", "valid_to"]
# Same columns as the registry's anomalies, so both go into one anomalies.csv.
ANOMALY_SCHEMA = pl.Schema({"file": pl.String(), "row": pl.Int64(), "column": pl.String(),
                            "value": pl.String(), "message": pl.String()})
DUPLICATE_MESSAGE = "identifiant d'accord préalable en double : toutes ses lignes sont écartées"
BACKWARDS_MESSAGE = "fin de validité de l'accord antérieure à son début"


def empty_authorizations() -> pl.DataFrame:
    """No authorization: the usable frame of a batch without the file."""
    return pl.DataFrame(schema={c: AUTHORIZATIONS.column(c).dtype for c in AUTHORIZATION_LOOKUP})


def _empty_anomalies() -> pl.DataFrame:
    return pl.DataFrame(schema=ANOMALY_SCHEMA)


def _anomalies(df: pl.DataFrame, file: str, column: str, message: str) -> pl.DataFrame:
    return df.select(pl.lit(file).alias("file"), pl.col("row_id").alias("row"),
                     pl.lit(column).alias("column"), pl.col(column).cast(pl.String).alias("value"),
                     pl.lit(message).alias("message"))


def _cell_faults(scan: TableScan, typed: pl.DataFrame) -> pl.DataFrame:
    """Empty or unreadable cells, read again only when the typed rows say there are some."""
    if not typed["cell_fault"].any():
        return _empty_anomalies()
    return scan.problems().select(pl.lit(scan.label).alias("file"), pl.col("row_id").alias("row"),
                                  "column", "value", "message").collect()


def load_authorizations(scan: TableScan | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(usable authorizations, anomalies): the rows Z may be, and the rows set aside.

    `usable` has AUTHORIZATION_LOOKUP columns, one row per authorization_id;
    `anomalies` has file, row, column, value, message (sorted by row, column).
    """
    if scan is None:
        return empty_authorizations(), _empty_anomalies()
    df = scan.typed().collect()
    dup = (pl.len().over("authorization_id") > 1) & pl.col("authorization_id").is_not_null()
    backwards = (pl.col("valid_to") < pl.col("valid_from")).fill_null(False)
    parts = [_cell_faults(scan, df),
             _anomalies(df.filter(dup), scan.label, "authorization_id", DUPLICATE_MESSAGE),
             _anomalies(df.filter(backwards), scan.label, "valid_to", BACKWARDS_MESSAGE)]
    usable = df.filter(~pl.col("cell_fault") & ~dup & ~backwards).select(AUTHORIZATION_LOOKUP)
    anomalies = pl.concat([p.cast(ANOMALY_SCHEMA) for p in parts]).sort("row", "column")
    return usable, anomalies
