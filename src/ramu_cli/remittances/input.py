"""Strict reading of the remittance audit's inputs (contributions, remittances).

Unlike invoices, a contribution or remittance row that breaks the data
contract stops `ramu remittances` with exit code 3 and the list of every bad
row (remittance-rules.md): an audit needs complete figures, not a partial sum.

Bad rows are of two kinds:
- cell problems, from the contract (`TableScan.problems()`): negative amount,
  unreadable period or date, unknown OGD — ANAM included, since the contract's
  OGD enum for these two tables has no ANAM;
- cross-row rules, here: amount_collected > 0 with no collection_date, and a
  transfer_id used more than once (every copy is listed).

At national scale the happy path costs one streaming pass per file (row count
and "is anything wrong?"); the full list of problems is only built when
something is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ramu_cli.contract import CONTRIBUTIONS, REMITTANCES
from ramu_cli.errors import InputError, Problem
from ramu_cli.io.readers import ROW_ID, TableScan, collect_problems, scan_batch_table

# Problems listed in the error (they are all counted in the message).
MAX_LISTED = 1000

ANAM_MESSAGE = ("ANAM ne collecte pas de cotisations et ne reverse rien (RAMED non contributif) : "
                "attendu CMSS, INPS ou UTM")
NO_DATE_MESSAGE = ("montant encaissé ({amount}) sans date d'encaissement : indiquez la date "
                   "(collection_date) ou mettez amount_collected à 0")
DUPLICATE_MESSAGE = ("numéro de virement utilisé par plusieurs lignes (lignes {rows}) : "
                     "chaque virement doit avoir un transfer_id unique")


@dataclass
class StrictInputs:
    """The two scans, their typed frames (checked clean) and their row counts."""

    contributions: TableScan
    remittances: TableScan
    contributions_typed: pl.LazyFrame
    remittances_typed: pl.LazyFrame
    rows: dict[str, int]

    def inputs(self) -> dict[str, tuple[Path, int]]:
        """{role: (path, rows)} as the manifest wants it."""
        return {"contributions": (self.contributions.path, self.rows["contributions"]),
                "remittances": (self.remittances.path, self.rows["remittances"])}


def _raw_int(scan: TableScan, name: str) -> pl.Expr:
    """An int column of `scan.raw` in its logical type (null when unreadable)."""
    if name in scan.native:
        return pl.col(name)
    return scan.table.column(name).parse(pl.col(name)).cast(pl.Int64)


def cross_row_problems(role: str, scan: TableScan) -> list[Problem]:
    """Faults no single cell shows: collected without date; duplicate transfer_id.

    Used by `read_strict` and by `ramu validate`. Cell faults (an unreadable
    date, say) are not repeated here.
    """
    if role == "contributions":
        # Raw cell empty (not merely unreadable: that is already a cell fault).
        rows = (scan.raw
                .filter((_raw_int(scan, "amount_collected") > 0)
                        & pl.col("collection_date").is_null())
                .select(ROW_ID, pl.col("amount_collected").cast(pl.String).alias("value"))
                .collect())
        return [Problem(scan.label, NO_DATE_MESSAGE.format(amount=r["value"]),
                        column="collection_date", row=r[ROW_ID], value=None, code="collection_date_missing")
                for r in rows.iter_rows(named=True)]
    if role == "remittances":
        dup = (scan.typed()
               .select(ROW_ID, "transfer_id")
               .filter(pl.col("transfer_id").is_not_null()
                       & pl.col("transfer_id").is_duplicated())
               .with_columns(rows=pl.col(ROW_ID).cast(pl.String).str.join(", ")
                             .over("transfer_id"))
               .sort(ROW_ID)
               .collect())
        return [Problem(scan.label, DUPLICATE_MESSAGE.format(rows=r["rows"]), column="transfer_id",
                        row=r[ROW_ID], value=r["transfer_id"], code="duplicate_transfer_id")
                for r in dup.iter_rows(named=True)]
    return []


def strict_problems(role: str, scan: TableScan) -> list[Problem]:
    """Every bad row of a contributions or remittances file, by row then column."""
    problems = []
    for p in collect_problems(scan):
        if p.column == "ogd" and (p.value or "").strip().upper() == "ANAM":
            p = Problem(p.file, ANAM_MESSAGE, column=p.column, row=p.row, value=p.value, code="ogd_not_collecting")
        problems.append(p)
    problems += cross_row_problems(role, scan)
    return sorted(problems, key=lambda p: (p.row or 0, p.column or ""))


def _health(role: str, typed: pl.LazyFrame) -> pl.LazyFrame:
    """One row: the file's row count and whether any row may be bad (cheap, streaming)."""
    suspect = pl.col("cell_fault").any()
    if role == "contributions":
        # A null typed date is either missing (cross-row rule) or unreadable (cell fault).
        suspect = suspect | ((pl.col("amount_collected") > 0)
                             & pl.col("collection_date").is_null()).any()
    else:
        suspect = suspect | (pl.col("transfer_id").n_unique() < pl.len())
    return typed.select(pl.len().alias("rows"), suspect.alias("suspect"))


def read_strict(batch_dir: Path) -> StrictInputs:
    """Scan both files; raise InputError (exit 3) listing every bad row of both, if any."""
    scans = {t.role: scan_batch_table(batch_dir, t) for t in (CONTRIBUTIONS, REMITTANCES)}
    typed = {role: scan.typed() for role, scan in scans.items()}
    health = pl.collect_all([_health(role, lf) for role, lf in typed.items()],
                            engine="streaming")
    rows, problems = {}, []
    for (role, scan), frame in zip(scans.items(), health, strict=True):
        rows[role] = int(frame["rows"][0])
        if frame["suspect"][0]:
            problems += strict_problems(role, scan)
    if problems:
        files = sorted({p.file for p in problems})
        bad_rows = len({(p.file, p.row) for p in problems})
        listed = problems[:MAX_LISTED]
        raise InputError(
            f"{bad_rows} ligne(s) invalide(s) ({len(problems)} problème(s)) dans "
            f"{' et '.join(files)} : le contrôle des "
            "reversements a besoin de chiffres complets, pas d'une somme partielle ; rien n'a été "
            "écrit. Corrigez chaque ligne listée (fichier, ligne, colonne) puis relancez.",
            listed)
    return StrictInputs(scans["contributions"], scans["remittances"],
                        typed["contributions"], typed["remittances"], rows)
