"""Reading the two sides of a diff: a `liquidate` folder or a liquidation table.

A side is read with the project's reading rules (`io.readers.scan_table`:
UTF-8 or Windows-1252, `;` or `,`, dd/mm/yyyy, thousands separators, XLSX) as
the table below, whose only required columns are the line key, the status and
the payable amount. What cannot be compared without guessing stops the command
(exit 3, nothing written): a missing required column, an unreadable or empty
cell, a line key twice on one side.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ramu_cli.contract import FUNDERS, OGDS, STATUSES, Column, Kind, Table
from ramu_cli.errors import InputError, Problem
from ramu_cli.io.readers import SUPPORTED_EXTENSIONS, TableScan, scan_table

KEY = ("provider_id", "invoice_id", "line_no")
FILE_ROW = "file_row"          # line of the side's file, 1 = first data line
LIQUIDATION_FILE = "liquidation"
MAX_PROBLEMS = 200             # listed in the error; the count says how many there are in all


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
    _opt("reasons", Kind.STRING),   # a list in Parquet; "A01 A02", "A01, A02" or "A01;A02" as text
    _opt("funder", Kind.ENUM, values=FUNDERS),
), key=KEY)

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
    keyless_rows: tuple[int, ...] = ()  # R14 copies of a repeated key: paired like incomplete keys

    @property
    def columns(self) -> frozenset[str]:
        """Liquidation columns the file has."""
        return self.scan.present

    @property
    def has_row_id(self) -> bool:
        return "row_id" in self.columns

    @property
    def lines(self) -> pl.LazyFrame:
        """file_row, every LIQUIDATION_TABLE column typed (reasons as a sorted list), and
        `keyed`: the line is paired on its key (complete, and not an R14 copy of a repeated key)."""
        complete = pl.all_horizontal([pl.col(k).is_not_null() for k in KEY])
        if self.keyless_rows:
            complete = complete & ~pl.col(FILE_ROW).is_in(pl.Series(self.keyless_rows, dtype=pl.Int64))
        return (self.scan.typed().drop("cell_fault")
                .with_columns(reasons=reasons_list(pl.col("reasons")), keyed=complete))


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
    codes = (text.str.to_uppercase().str.replace_all(r"[\s,;|]+", " ").str.strip_chars()
             .str.split(" ").list.eval(pl.element().filter(pl.element() != "")))
    return (pl.when(text.is_null()).then(pl.lit([], pl.List(pl.String)))
            .otherwise(codes.list.unique().list.sort()))


def read_side(given: Path, name: str) -> Side:
    """Open one side lazily (its columns are checked now, its cells by `check_sides`)."""
    path = table_path(given, name)
    return Side(name, given, path, scan_table(path, LIQUIDATION_TABLE, index=FILE_ROW), _run_id(given))


def _complete(lf: pl.LazyFrame) -> pl.LazyFrame:
    return lf.filter(pl.all_horizontal([pl.col(k).is_not_null() for k in KEY]))


def _cell_problems(side: Side) -> tuple[list[Problem], int]:
    """Unreadable or missing cells: (the first MAX_PROBLEMS, how many in all)."""
    df = side.scan.problems().collect()
    problems = [Problem(str(side.path), f"{r['message']} — côté {side.name}", column=r["column"],
                        row=r[FILE_ROW], value=r["value"],
                        code="missing_value" if r["value"] is None else "unreadable_value")
                for r in df.head(MAX_PROBLEMS).iter_rows(named=True)]
    return problems, df.height


def _r14(present: frozenset[str]) -> pl.Expr:
    """A line rejected as unreadable or invalid (R14), as far as the side's columns say."""
    rejected = pl.col("status") == "REJECTED"
    if "reasons" in present:
        return rejected & pl.col("reasons").list.contains("R14")
    if "reason" in present:
        return rejected & (pl.col("reason") == "R14")
    return pl.lit(False)


def _repeated_keys(side: Side) -> pl.LazyFrame:
    """Keys held by more than one line: their file rows (in order) and which are R14 rejections."""
    return (_complete(side.lines)
            .select(*KEY, FILE_ROW, _r14(side.columns).alias("r14"))
            .group_by(list(KEY)).agg(pl.col(FILE_ROW), pl.col("r14"))
            .filter(pl.col(FILE_ROW).list.len() > 1)
            .sort(pl.col(FILE_ROW).list.min()))


def _repeated_row_ids(side: Side) -> pl.LazyFrame:
    return (side.lines.filter(pl.col("row_id").is_not_null())
            .group_by("row_id").agg(pl.col(FILE_ROW).sort())
            .filter(pl.col(FILE_ROW).list.len() > 1)
            .sort(pl.col(FILE_ROW).list.first()))


def _key_holders(groups: pl.DataFrame, side: Side) -> tuple[list[int], list[Problem]]:
    """Which lines of a repeated key lose it, and the repeats that are errors.

    `liquidate` keeps a repeated invoice line and rejects every copy after the
    first with R14: the key stays with the first line that is not an R14
    rejection (or the first line), the R14 copies are paired like lines with an
    incomplete key. Two lines of one key that are not R14 rejections: exit 3.
    """
    keyless: list[int] = []
    problems: list[Problem] = []
    for r in groups.iter_rows(named=True):
        rows = sorted(zip(r[FILE_ROW], r["r14"], strict=True))
        valid = [row for row, r14 in rows if not r14]
        if len(valid) > 1:
            listed = ", ".join(str(x) for x, _ in rows)
            problems.append(Problem(
                str(side.path), f"la ligne de facture (prestataire {r['provider_id']}, facture {r['invoice_id']}, "
                f"ligne {r['line_no']}) figure {len(rows)} fois, lignes {listed} du fichier — côté {side.name}. "
                "Une liquidation n'a qu'une ligne par clé (les copies d'une clé sont rejetées R14) : retirez les "
                "lignes en double", column=", ".join(KEY), row=valid[1],
                value=f"{r['provider_id']} / {r['invoice_id']} / {r['line_no']}", code="duplicate_key"))
            continue
        holder = valid[0] if valid else rows[0][0]
        keyless += [row for row, _ in rows if row != holder]
    return keyless, problems


def _duplicate_problems(side: Side, row_ids: bool) -> list[Problem]:
    """A line key twice (and, when row_id may pair lines, a row_id twice) on one side."""
    frames = [_repeated_keys(side)] + ([_repeated_row_ids(side)] if row_ids else [])
    found = pl.collect_all(frames)
    keyless, problems = _key_holders(found[0], side)
    side.keyless_rows = tuple(sorted(keyless))
    if row_ids:
        for r in found[1].head(MAX_PROBLEMS).iter_rows(named=True):
            rows = ", ".join(str(x) for x in r[FILE_ROW])
            problems.append(Problem(
                str(side.path), f"row_id {r['row_id']} figure {len(r[FILE_ROW])} fois, lignes {rows} du fichier "
                f"— côté {side.name} ; il sert à apparier les lignes dont la clé est incomplète : "
                "corrigez-le ou retirez la colonne row_id",
                column="row_id", row=r[FILE_ROW][1], value=str(r["row_id"]), code="duplicate_row_id"))
    return problems[:MAX_PROBLEMS]


def check_sides(a: Side, b: Side) -> None:
    """Refuse (exit 3) sides whose cells or keys cannot be compared without guessing."""
    problems: list[Problem] = []
    counts = []
    for side in (a, b):
        cells, n_cells = _cell_problems(side)
        problems += cells
        if n_cells:
            counts.append(f"{n_cells} cellule(s) illisible(s) ou vide(s) dans {side.path} (côté {side.name})")
            continue  # keys cannot be trusted until the cells read
        dups = _duplicate_problems(side, a.has_row_id and b.has_row_id)
        if dups:
            counts.append(f"{len(dups)} doublon(s) dans {side.path} (côté {side.name})")
        problems += dups
    if problems:
        raise InputError("Comparaison impossible : " + " ; ".join(counts) + ". Corrigez le fichier indiqué "
                         "(ligne et colonne ci-dessous), puis relancez « ramu diff ».", problems)
