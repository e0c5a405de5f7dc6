"""Reading the two sides of a diff: a `liquidate` folder or a liquidation table.

A side is read with the project's reading rules (`io.readers.scan_table`:
UTF-8 or Windows-1252, `;` or `,`, dd/mm/yyyy, thousands separators, XLSX) as
the table below, whose only required columns are the line key, the status and
the payable amount. A missing required column stops the command here (exit 3);
`checks` refuses the cells and keys that cannot be compared without guessing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import polars as pl

from ramu_cli.contract import FUNDERS, OGDS, STATUSES, Column, Kind, Table
from ramu_cli.errors import InputError, Problem
from ramu_cli.io.readers import SUPPORTED_EXTENSIONS, TableScan, scan_table

KEY = ("provider_id", "invoice_id", "line_no")
FILE_ROW = "file_row"          # line of the side's file, 1 = first data line
LIQUIDATION_FILE = "liquidation"


def _opt(name: str, kind: Kind, **kw) -> Column:
    return Column(name, kind, nullable=True, optional=True, **kw)


# A liquidation table (liquidation.parquet's columns). Everything but the key,
# the status and the payable may be absent; no bounds are checked: a diff
# compares what each side says, it does not re-validate it.
LIQUIDATION_TABLE = Table("liquidation", "lignes liquidées", (
    _opt("row_id", Kind.INT),
    Column("invoice_id", Kind.ID, nullable=True),    # null: incomplete key (an unreadable invoice line)
    Column("line_no", Kind.INT, nullable=True),
    Column("provider_id", Kind.ID, nullable=True),
    _opt("beneficiary_id", Kind.ID),
    _opt("ogd", Kind.ENUM, values=OGDS),
    _opt("act_code", Kind.ID),
    _opt("service_date", Kind.DATE),
    _opt("submission_date", Kind.DATE),
    _opt("quantity", Kind.INT),
    _opt("unit_price", Kind.INT),
    _opt("billed", Kind.INT),
    _opt("tariff_price", Kind.INT),
    _opt("allowed_qty", Kind.INT),
    _opt("allowed", Kind.INT),
    _opt("rate_percent", Kind.INT),
    Column("payable", Kind.INT),
    _opt("copay", Kind.INT),
    _opt("disallowed", Kind.INT),
    Column("status", Kind.ENUM, values=STATUSES),
    _opt("reason", Kind.ID),
    _opt("reasons", Kind.STRING, list_as_text=True),   # a list in Parquet; "A01 A02", "A01, A02" or "A01;A02" as text
    _opt("funder", Kind.ENUM, values=FUNDERS),
))

# Columns compared when both sides have them, in liquidation.parquet's order.
# row_id is not compared: it is a position in the invoices file, not a decision.
COMPARED = tuple(c.name for c in LIQUIDATION_TABLE.columns if c.name != "row_id")


@dataclass
class Side:
    """One side of the diff: where it was read from, and its lines (lazy, typed)."""

    name: str                  # "A" or "B"
    given: Path                # what the user named (folder or file)
    path: Path                 # the table file actually read
    scan: TableScan            # the file as read by the project's readers
    run_id: str | None = None  # from the folder's manifest.json, when it is a liquidate run

    @property
    def columns(self) -> frozenset[str]:
        """Liquidation columns the file has."""
        return self.scan.present

    @property
    def has_row_id(self) -> bool:
        return "row_id" in self.columns

    @property
    def lines(self) -> pl.LazyFrame:
        """file_row, every LIQUIDATION_TABLE column typed (reasons as a sorted list), cell_fault."""
        return self.scan.typed().with_columns(reasons=reasons_list(pl.col("reasons")))

    def lines_at(self, rows: pl.Series) -> pl.LazyFrame:
        """`lines`, only at these file rows: the rows are picked before any cell is parsed."""
        picked = self.scan.raw.filter(pl.col(FILE_ROW).is_in(rows.drop_nulls().implode()))
        return replace(self.scan, raw=picked).typed().with_columns(reasons=reasons_list(pl.col("reasons")))


def table_path(given: Path, name: str) -> Path:
    """The liquidation table of a side: the file itself, or `liquidation.*` in a run folder."""
    if given.is_dir():
        found = [given / f"{LIQUIDATION_FILE}{ext}" for ext in SUPPORTED_EXTENSIONS
                 if (given / f"{LIQUIDATION_FILE}{ext}").is_file()]
        if len(found) > 1:
            names = ", ".join(p.name for p in found)
            raise InputError(f"{given} (côté {name}) : plusieurs tables de liquidation ({names}) ; "
                             "ne gardez qu'un seul fichier « liquidation » dans le dossier.",
                             [Problem(str(p), "table de liquidation en double", code="duplicate_table")
                              for p in found])
        if not found:
            raise InputError(f"{given} (côté {name}) : ce dossier ne contient pas de « liquidation.parquet » "
                             "(ni .csv, ni .xlsx). Indiquez le dossier de sortie de « ramu liquidate » ou "
                             "directement le fichier de la table de liquidation.",
                             [Problem(str(given), "table de liquidation introuvable", code="missing_file")])
        return found[0]
    if not given.is_file():
        raise InputError(f"« {given} » (côté {name}) n'existe pas : indiquez un dossier de sortie de "
                         "« ramu liquidate » ou un fichier .parquet, .csv ou .xlsx.",
                         [Problem(str(given), "fichier ou dossier introuvable", code="missing_file")])
    if given.suffix.lower() not in SUPPORTED_EXTENSIONS:
        raise InputError(f"{given} (côté {name}) : extension « {given.suffix} » non prise en charge ; "
                         "attendu .parquet, .csv ou .xlsx.",
                         [Problem(str(given), "extension non prise en charge", code="unsupported_format")])
    return given


def _run_id(given: Path) -> str | None:
    """The run id of a liquidate folder's manifest, when there is a readable one."""
    manifest = given / "manifest.json"
    if not given.is_dir() or not manifest.is_file():
        return None
    try:
        value = json.loads(manifest.read_text(encoding="utf-8")).get("run_id")
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
        return None
    return value if isinstance(value, str) else None


def reasons_list(text: pl.Expr) -> pl.Expr:
    """Reason codes as a sorted list without repeats; an empty cell is no reason."""
    codes = text.str.to_uppercase().str.extract_all(r"[^\s,;|]+").list.unique().list.sort()
    return codes.fill_null(pl.lit([], pl.List(pl.String)))


def compared_columns(a: Side, b: Side) -> tuple[str, ...]:
    """The columns compared: those both sides have (row_id aside), in liquidation.parquet's order."""
    return tuple(c for c in COMPARED if c in a.columns and c in b.columns)


def read_side(given: Path, name: str) -> Side:
    """Open one side lazily (its columns are checked now, its cells and keys by `checks`)."""
    path = table_path(given, name)
    return Side(name, given, path, scan_table(path, LIQUIDATION_TABLE, index=FILE_ROW), _run_id(given))
