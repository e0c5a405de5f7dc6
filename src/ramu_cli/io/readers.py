"""Reading the contract's tables from Parquet, CSV or XLSX, lazily.

A table is read in two steps. `scan_raw` finds the columns and yields text
cells (trimmed, empty as null) or, for Parquet, the native values. `TableScan`
then parses each cell into its logical type and keeps, per row, whether any
cell broke the contract, so bad invoice rows can be rejected (R14) rather than
stop the batch. Large Parquet and CSV files stay lazy scans end to end.
"""

from __future__ import annotations

import atexit
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal, overload

import polars as pl
import pyarrow.parquet as pq
from polars.expr.whenthen import ChainedThen, Then

from ramu_cli.contract import Column, Kind, Table, sheet_names
from ramu_cli.errors import InputError, Problem
from ramu_cli.io import scratch
from ramu_cli.io.csv_sniff import CsvDialect, copy_as_utf8_lf, sniff_csv
from ramu_cli.io.workbook import read_workbook

SUPPORTED_EXTENSIONS = (".parquet", ".csv", ".xlsx")
ROW_ID = "row_id"

_transcoded_dir: tempfile.TemporaryDirectory | None = None


def _scratch_dir() -> Path:
    """A folder for UTF-8 copies of latin-1 CSVs, removed when the process ends."""
    global _transcoded_dir
    if _transcoded_dir is None:
        _transcoded_dir = tempfile.TemporaryDirectory(prefix="ramu-csv-")
        atexit.register(_transcoded_dir.cleanup)
        scratch.register(Path(_transcoded_dir.name))  # removed on SIGINT/SIGTERM/SIGHUP too
    return Path(_transcoded_dir.name)


@overload
def find_input(batch_dir: Path, role: str, required: Literal[True] = ...) -> Path: ...
@overload
def find_input(batch_dir: Path, role: str, required: bool) -> Path | None: ...
def find_input(batch_dir: Path, role: str, required: bool = True) -> Path | None:
    """The batch file playing `role`, whatever its supported extension."""
    if not batch_dir.is_dir():
        raise InputError(f"Le dossier du lot « {batch_dir} » n'existe pas : "
                         "indiquez le dossier qui contient les fichiers du mois.")
    found = sorted(p for p in batch_dir.iterdir()
                   if p.is_file() and p.stem == role and p.suffix.lower() in SUPPORTED_EXTENSIONS)
    if len(found) > 1:
        names = ", ".join(p.name for p in found)
        raise InputError(f"{batch_dir} : deux fichiers pour le rôle « {role} » ({names}) ; "
                         "ne gardez qu'un seul fichier par rôle.",
                         [Problem(str(p), "fichier en double pour ce rôle", code="duplicate_role_file") for p in found])
    if not found:
        if required:
            raise InputError(f"{batch_dir} : fichier « {role}.parquet », « {role}.csv » ou "
                             f"« {role}.xlsx » introuvable ; ajoutez-le au dossier du lot.",
                             [Problem(str(batch_dir / role), "fichier manquant", code="missing_file")])
        return None
    return found[0]


def _utf8_copy(path: Path, dialect: CsvDialect) -> Path:
    """A UTF-8, LF copy of a Windows-1252 or CR-only CSV, that polars can scan lazily."""
    target = _scratch_dir() / f"{len(list(_scratch_dir().iterdir()))}-{path.name}"
    return copy_as_utf8_lf(path, dialect, target)


def _read_error(path: Path, exc: Exception) -> InputError:
    return InputError(f"{path} : fichier illisible ({exc}). Vérifiez qu'il s'agit bien d'un "
                      f"fichier {path.suffix.lstrip('.').upper()} complet et non protégé.",
                      [Problem(str(path), "fichier illisible", code="unreadable_file")])


def _open_raw(path: Path, table: Table) -> pl.LazyFrame:
    """The file as a lazy frame, once its column names as written are checked.

    Every scan is told `glob=False`: `*`, `?` and `[` in a path are plain characters.
    """
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            names = pq.read_schema(path).names
            _check_names(path, names)
            return pl.scan_parquet(path, glob=False)
        if suffix == ".csv":
            dialect = sniff_csv(path)
            _check_names(path, dialect.header)
            plain = dialect.encoding == "utf-8" and not dialect.cr_only
            source = path if plain else _utf8_copy(path, dialect)
            lf = pl.scan_csv(source, separator=dialect.separator, infer_schema=False,
                             raise_if_empty=True, glob=False)
            lf.collect_schema()
            return lf
        if suffix == ".xlsx":
            df, header = read_workbook(path, sheet_names(table.role))
            _check_names(path, header)
            return df.lazy()
    except InputError:
        raise
    except Exception as exc:  # polars/fastexcel/pyarrow say why in English; we say where
        raise _read_error(path, exc) from exc
    raise InputError(f"{path} : extension non prise en charge (attendu .parquet, .csv ou .xlsx).")


def _column_key(name: str) -> str:
    return name.strip().lstrip("\ufeff").strip().lower()


def _check_names(path: Path, names: list[str]) -> None:
    """Two columns whose names are equal after trimming and lower-casing: unusable."""
    seen: dict[str, str] = {}
    for name in names:
        key = _column_key(name)
        if not key:  # unnamed columns (trailing separators) are never read
            continue
        if key in seen:
            first, second = seen[key].strip().lstrip("\ufeff"), name.strip()
            raise InputError(
                f"{path} : deux colonnes portent le même nom, « {first} » et « {second} » (la "
                "casse et les espaces ne comptent pas) : on ne peut pas savoir laquelle lire. "
                "Supprimez ou renommez l'une des deux, puis relancez.",
                [Problem(str(path), f"colonnes « {first} » et « {second} » en double", column=key,
                         row=1, code="duplicate_column")])
        seen[key] = name


def _as_text(expr: pl.Expr, dtype: pl.DataType, column: Column) -> pl.Expr:
    """A cell as trimmed text, empty as null (XLSX dates lose their midnight time)."""
    if dtype == pl.String:
        text = expr.str.strip_chars()
    elif dtype.is_float() or dtype.is_decimal():
        text = _whole_text(expr, dtype)
    elif isinstance(dtype, pl.Datetime) or dtype == pl.Date:
        text = expr.cast(pl.Date).dt.strftime("%Y-%m-%d")
    elif isinstance(dtype, pl.List):  # e.g. a liquidation's `reasons`: items joined by a space
        text = expr.cast(pl.List(pl.String)).list.join(" ")
    elif dtype == pl.Boolean:
        text = expr.cast(pl.String).str.to_lowercase()
    else:
        text = expr.cast(pl.String).str.strip_chars()
    if column.kind is Kind.DATE:
        text = text.str.replace(r"^(\d{4}-\d{2}-\d{2})[ T]00:00:00(?:\.0+)?$", "${1}")
    return pl.when(text != "").then(text)


@dataclass
class TableScan:
    """One input table read lazily: raw text, typed values and row faults."""

    path: Path
    table: Table
    raw: pl.LazyFrame          # row_id + contract columns, as text or native
    native: frozenset[str]     # columns whose Parquet type is already the logical one
    present: frozenset[str] = frozenset()  # contract columns the file has (absent optional ones read as null)
    # Name of the file row number column. A table that has a `row_id` column of its
    # own (a liquidation table) gets its row numbers under another name.
    index: str = ROW_ID

    @property
    def label(self) -> str:
        return str(self.path)

    def _typed_expr(self, column: Column) -> pl.Expr:
        col = pl.col(column.name)
        if column.name in self.native:
            if column.kind is Kind.BOOL:
                return col.fill_null(False)
            return col
        return column.parse(col).cast(column.dtype)

    def _fault_exprs(self) -> dict[str, pl.Expr]:
        """Per column: the French message of the fault in this cell, or null."""
        faults = {}
        for column in self.table.columns:
            raw = pl.col(column.name)
            typed = pl.col(f"__t_{column.name}")
            msg: Then | ChainedThen = pl.when(raw.is_not_null() & typed.is_null()).then(
                pl.lit(f"valeur illisible : attendu {column.describe_fr()}"))
            if not column.nullable and column.kind is not Kind.BOOL:
                msg = msg.when(raw.is_null()).then(pl.lit("valeur manquante"))
            ok = column.value_ok(typed)
            if ok is not None:
                msg = msg.when(ok.not_()).then(pl.lit(f"valeur hors limites : attendu {column.describe_fr()}"))
            faults[column.name] = msg.otherwise(pl.lit(None, pl.String))
        return faults

    @cached_property
    def _checked(self) -> pl.LazyFrame:
        typed = self.raw.with_columns(
            **{f"__t_{c.name}": self._typed_expr(c) for c in self.table.columns})
        return typed.with_columns(**{f"__f_{k}": v for k, v in self._fault_exprs().items()})

    def typed(self) -> pl.LazyFrame:
        """row_id, every contract column in its logical type, and `cell_fault` (bool)."""
        names = self.table.names
        any_fault = pl.any_horizontal([pl.col(f"__f_{n}").is_not_null() for n in names])
        return self._checked.select(
            pl.col(self.index), *[pl.col(f"__t_{n}").alias(n) for n in names],
            any_fault.alias("cell_fault"))

    def problems(self) -> pl.LazyFrame:
        """One row per faulty cell: row_id, column, value (as text), message."""
        names = self.table.names
        faults = [pl.col(f"__f_{n}") for n in names]
        # One pass over the file keeps the (few) faulty rows; they are then
        # split cell by cell in memory instead of re-reading the file per column.
        faulty = (self._checked.filter(pl.any_horizontal([f.is_not_null() for f in faults]))
                  .select(self.index, *[pl.col(n).cast(pl.String) for n in names], *faults)
                  .collect().lazy())
        parts = [faulty.filter(pl.col(f"__f_{n}").is_not_null()).select(
                     pl.col(self.index), pl.lit(n).alias("column"), pl.col(n).alias("value"),
                     pl.col(f"__f_{n}").alias("message"))
                 for n in names]
        return pl.concat(parts).sort(self.index, "column")


def scan_table(path: Path, table: Table, index: str = ROW_ID) -> TableScan:
    """Open `path` as `table`: checks the columns now, reads the rows lazily.

    The file row number (1 for the first data row) is the column `index`.
    """
    lf = _open_raw(path, table)
    try:
        schema = lf.collect_schema()
    except Exception as exc:
        raise _read_error(path, exc) from exc
    present = {name.strip().lstrip("\ufeff").lower(): name for name in schema.names()}
    sources = {c.name: _heading(c, present) for c in table.columns}
    missing = [n for n in table.required_names if sources[n] is None]
    if missing:
        cols = ", ".join(f"« {m} »" for m in missing)
        raise InputError(
            f"{path} : colonne(s) obligatoire(s) absente(s) : {cols}. Le fichier des "
            f"{table.label_fr} doit avoir les colonnes {', '.join(table.required_names)}.",
            [Problem(str(path), "colonne obligatoire absente", column=m, row=1, code="missing_column")
             for m in missing])
    if path.suffix.lower() == ".parquet":
        _check_parquet_numbers(path, lf, {c.name: source for c in table.columns
                                          if (source := sources[c.name]) is not None
                                          and not (c.list_as_text and isinstance(schema[source], pl.List))})
    exprs, native = [], set()
    for column in table.columns:
        source = sources[column.name]
        if source is None:
            exprs.append(pl.lit(None, pl.String).alias(column.name))
            continue
        dtype = schema[source]
        expr = pl.col(source)
        if path.suffix.lower() == ".parquet" and _is_native(dtype, column):
            native.add(column.name)
            exprs.append(expr.cast(column.dtype).alias(column.name))
        else:
            exprs.append(_as_text(expr, dtype, column).alias(column.name))
    # The row number comes first, so a filter on it runs before any cell is converted
    # (under a name no file uses: the file's own columns are still all there).
    raw = (lf.with_row_index("__ramu_row__", offset=1)
           .select(pl.col("__ramu_row__").cast(pl.Int64).alias(index), *exprs))
    found = frozenset(c.name for c in table.columns if sources[c.name] is not None)
    return TableScan(path, table, raw, frozenset(native), found, index)


def _not_whole(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A float or decimal value with a fraction (or infinite); NaN counts as an empty cell."""
    if dtype.is_float():
        return expr.is_not_nan() & (expr.is_infinite() | (expr != expr.floor()))
    return expr != expr.floor()


def _check_parquet_numbers(path: Path, lf: pl.LazyFrame, sources: dict[str, str]) -> None:
    """Nested columns, and float or decimal columns with a fraction, make the file unusable.

    One pass over the float and decimal columns only (Parquet reads just those).
    """
    schema = lf.collect_schema()
    for name, source in sources.items():
        if schema[source].is_nested():
            raise InputError(
                f"{path} : la colonne « {name} » contient des listes ou des structures "
                f"({schema[source]}), pas une valeur par cellule : enregistrez-la comme une "
                "colonne simple (texte ou nombre), puis relancez.",
                [Problem(str(path), "type imbriqué", column=name, code="nested_type")])
    numeric = {n: s for n, s in sources.items() if schema[s].is_float() or schema[s].is_decimal()}
    if not numeric:
        return
    columns = lf.select(*[pl.col(s).alias(n) for n, s in numeric.items()]).with_row_index("#", offset=1)
    found = columns.select(*[
        expr for name, source in numeric.items()
        for bad in [_not_whole(pl.col(name), schema[source])]
        for expr in (pl.col("#").filter(bad).first().alias(f"row/{name}"),
                     pl.col(name).filter(bad).first().cast(pl.String).alias(f"value/{name}"))
    ]).collect(engine="streaming").row(0, named=True)
    for name in numeric:
        if found[f"row/{name}"] is not None:
            value, at = found[f"value/{name}"], found[f"row/{name}"]
            raise InputError(
                f"{path} : la colonne « {name} » doit contenir des nombres entiers, mais la ligne "
                f"{at} contient {value} : corrigez la valeur, puis relancez.",
                [Problem(str(path), "nombre à virgule dans une colonne d'entiers", column=name,
                         row=at, value=value, code="fractional_number")])


def _whole_text(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A whole float or decimal as the integer's text ("1500.0" -> "1500"); NaN as empty.

    A value beyond a 64-bit integer keeps its own text, which no column reads (R14).
    """
    if dtype.is_float():
        expr = pl.when(expr.is_not_nan()).then(expr)
    as_int = expr.cast(pl.Int64, strict=False)
    return pl.when(as_int.is_not_null()).then(as_int.cast(pl.String)).otherwise(expr.cast(pl.String))


def _heading(column: Column, present: dict[str, str]) -> str | None:
    """The file's heading for `column`: its name, else the first of its aliases found."""
    for name in (column.name, *column.aliases):
        if name.lower() in present:
            return present[name.lower()]
    return None


def _is_native(dtype: pl.DataType, column: Column) -> bool:
    if column.kind is Kind.INT:
        return dtype.is_integer()
    if column.kind is Kind.DATE:
        return dtype == pl.Date
    if column.kind is Kind.BOOL:
        return dtype == pl.Boolean
    return False


@overload
def scan_batch_table(batch_dir: Path, table: Table, required: Literal[True] = ...) -> TableScan: ...
@overload
def scan_batch_table(batch_dir: Path, table: Table, required: bool) -> TableScan | None: ...
def scan_batch_table(batch_dir: Path, table: Table, required: bool = True) -> TableScan | None:
    path = find_input(batch_dir, table.role, required)
    return scan_table(path, table) if path else None


def collect_problems(scan: TableScan, limit: int | None = None) -> list[Problem]:
    """The faulty cells of a table as Problems (for messages and `validate`)."""
    lf = scan.problems()
    if limit is not None:
        lf = lf.head(limit)
    try:
        df = lf.collect()
    except Exception as exc:
        raise _read_error(scan.path, exc) from exc
    return [Problem(scan.label, r["message"], column=r["column"], row=r[scan.index], value=r["value"],
                    code="cell_fault") for r in df.iter_rows(named=True)]
