"""Usable registry rows: beneficiaries (B, with their principal P) and providers (V).

A registry row that breaks the data contract is not fatal: it is listed among
the run's anomalies and treated as absent, so the lines that need it are
rejected with R01 or R04 and nobody is paid on a doubtful record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import polars as pl

from ramu_cli.io.readers import TableScan

BENEFICIARY_LOOKUP = ["beneficiary_id", "relationship", "ogd", "sex", "birth_date", "student",
                      "disabled", "rights_start", "rights_end", "p_rights_start", "p_rights_end"]
PROVIDER_LOOKUP = ["provider_id", "name", "level", "region", "convention_start", "convention_end",
                   "bank_code", "account_number"]


@dataclass
class Registry:
    beneficiaries: pl.DataFrame   # BENEFICIARY_LOOKUP columns, one row per usable id
    providers: pl.DataFrame       # PROVIDER_LOOKUP columns, one row per usable id
    anomalies: pl.DataFrame       # ANOMALY_COLUMNS and `code` (the Problem code, for --json)


# The columns of anomalies.csv (and `code`, the Problem code, for --json).
ANOMALY_COLUMNS = ["file", "row", "column", "value", "message"]
ANOMALY_SCHEMA = pl.Schema({"file": pl.String(), "row": pl.Int64(), "column": pl.String(),
                            "value": pl.String(), "message": pl.String(), "code": pl.String()})


def anomaly_rows(df: pl.DataFrame, file: str, column: str, code: str, message: str) -> pl.DataFrame:
    return df.select(pl.lit(file).alias("file"), pl.col("row_id").alias("row"),
                     pl.lit(column).alias("column"), pl.col(column).cast(pl.String).alias("value"),
                     pl.lit(message).alias("message"), pl.lit(code).alias("code"))


def cell_fault_rows(scan: TableScan, typed: pl.DataFrame) -> pl.DataFrame:
    """The faulty cells, read again only when the typed rows say there are some."""
    if not typed["cell_fault"].any():
        return pl.DataFrame(schema=ANOMALY_SCHEMA)
    return scan.problems().select(pl.lit(scan.label).alias("file"), pl.col("row_id").alias("row"),
                                  "column", "value", "message", pl.lit("cell_fault").alias("code")).collect()


def usable_beneficiaries(scan: TableScan, liquidation_date: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Beneficiaries that can be relied on, each with its principal's rights; and the rest."""
    df = scan.typed().collect()
    file = scan.label
    dup = pl.len().over("beneficiary_id") > 1
    own = pl.col("relationship").is_in(["PRINCIPAL", "OF_RIGHT"])
    # Faults a row has on its own, each with the column it concerns.
    own_faults = [
        (dup & pl.col("beneficiary_id").is_not_null(), "beneficiary_id", "duplicate_id",
         "identifiant en double dans le registre"),
        (pl.col("rights_end") < pl.col("rights_start"), "rights_end", "rights_end_before_start",
         "fin de droits antérieure au début"),
        (own & (pl.col("principal_id") != pl.col("beneficiary_id")), "principal_id", "not_own_principal",
         "un assuré principal ou admis de droit doit être son propre principal"),
        ((pl.col("relationship") == "OF_RIGHT") & (pl.col("ogd") != "ANAM"), "ogd", "of_right_not_anam",
         "un admis de droit relève de l'ANAM"),
        (pl.col("birth_date") > liquidation_date, "birth_date", "born_after_liquidation",
         "date de naissance postérieure à la date de liquidation"),
    ]
    flagged = df.with_columns(bad=pl.col("cell_fault") | pl.any_horizontal(
        [c.fill_null(False) for c, _, _, _ in own_faults]))
    parts = [cell_fault_rows(scan, df)]
    for cond, column, code, message in own_faults:
        parts.append(anomaly_rows(df.filter(cond.fill_null(False)), file, column, code, message))

    principals = flagged.filter(~pl.col("bad") & (pl.col("relationship") == "PRINCIPAL")).select(
        pl.col("beneficiary_id").alias("principal_id"), pl.col("ogd").alias("p_ogd"),
        pl.col("rights_start").alias("p_rights_start"), pl.col("rights_end").alias("p_rights_end"))
    linked = flagged.join(principals, on="principal_id", how="left", maintain_order="left")
    dependant = ~own
    no_principal = dependant & ~pl.col("bad") & pl.col("p_ogd").is_null()
    other_ogd = dependant & ~pl.col("bad") & pl.col("p_ogd").is_not_null() & (pl.col("p_ogd") != pl.col("ogd"))
    parts.append(anomaly_rows(linked.filter(no_principal), file, "principal_id", "principal_missing",
                            "assuré principal absent, inutilisable ou qui n'est pas un PRINCIPAL"))
    parts.append(anomaly_rows(linked.filter(other_ogd), file, "ogd", "ogd_differs_from_principal",
                            "OGD différent de celui de l'assuré principal"))

    usable = linked.filter(~pl.col("bad") & ~no_principal & ~other_ogd).with_columns(
        p_rights_start=pl.when(own).then(pl.col("rights_start")).otherwise(pl.col("p_rights_start")),
        p_rights_end=pl.when(own).then(pl.col("rights_end")).otherwise(pl.col("p_rights_end")),
    ).select(BENEFICIARY_LOOKUP)
    return usable, pl.concat(parts).sort("row", "column")


def usable_providers(scan: TableScan) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Providers with a unique id and readable values; and the rest as anomalies."""
    df = scan.typed().collect()
    dup = (pl.len().over("provider_id") > 1) & pl.col("provider_id").is_not_null()
    parts = [cell_fault_rows(scan, df),
             anomaly_rows(df.filter(dup), scan.label, "provider_id", "duplicate_id",
                        "identifiant en double dans la liste des prestataires")]
    usable = df.filter(~pl.col("cell_fault") & ~dup).select(PROVIDER_LOOKUP)
    return usable, pl.concat(parts).sort("row", "column")


def load_registry(beneficiaries: TableScan, providers: TableScan, liquidation_date: date) -> Registry:
    bens, ben_anomalies = usable_beneficiaries(beneficiaries, liquidation_date)
    provs, prov_anomalies = usable_providers(providers)
    return Registry(bens, provs, pl.concat([ben_anomalies, prov_anomalies]))
