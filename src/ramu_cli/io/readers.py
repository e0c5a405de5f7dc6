"""Reading the contract's tables from Parquet, CSV or XLSX, lazily.

A table is read in two steps. `scan_raw` finds the columns and yields text
cells (trimmed, empty as null) or, for Parquet, the native values. `TableScan`
then parses each cell into its logical type and keeps, per row, whether any
cell broke the contract, so bad invoice rows can be rejected (R14) rather than
stop the batch. Large Parquet and CSV files stay lazy scans end to end.
"""

from __future__ import annotations

import atexit
import codecs
import tempfile
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import polars as pl

from ramu_cli.contract import Column, Kind, Table
from ramu_cli.errors import InputError, Problem

SUPPORTED_EXTENSIONS = (".parquet", ".csv", ".xlsx")
ROW_ID = "row_id"

_transcoded_dir: tempfile.TemporaryDirectory | None = None


def _scratch_dir() -> Path:
    """A folder for UTF-8 copies of latin-1 CSVs, removed when the process ends."""
    global _transcoded_dir
    if _transcoded_dir is None:
        _transcoded_dir = tempfile.TemporaryDirectory(prefix="ramu-csv-")
        atexit.register(_transcoded_dir.cleanup)
    return Path(_transcoded_dir.name)


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
                         [Problem(str(p), "fichier en double pour ce rôle") for p in found])
    if not found:
        if required:
            raise InputError(f"{batch_dir} : fichier « {role}.parquet », « {role}.csv » ou "
                             f"« {role}.xlsx » introuvable ; ajoutez-le au dossier du lot.",
                             [Problem(str(batch_dir / role), "fichier manquant")])
        return None
    return found[0]


def _sniff_csv(path: Path) -> tuple[str, str]:
    """(encoding, separator): UTF-8 when the whole file decodes, else Windows-1252."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    encoding = "utf-8"
    with path.open("rb") as fh:
        first = fh.read(1 << 16)
        chunk = first
        while True:
            try:
                # final on the last (empty) read: a file ending inside a UTF-8
                # sequence (a latin-1 "é" as its last byte) is not UTF-8.
                decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError:
                encoding = "cp1252"
                break
            if not chunk:
                break
            chunk = fh.read(1 << 20)
    text = first.decode(encoding if encoding == "utf-8" else "latin-1", errors="replace")
    header = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
    separator = ";" if header.count(";") > header.count(",") else ","
    return encoding, separator


def _transcode_to_utf8(path: Path) -> Path:
    """Stream a Windows-1252/latin-1 file into a UTF-8 copy that polars can scan."""
    target = _scratch_dir() / f"{len(list(_scratch_dir().iterdir()))}-{path.name}"
    # cp1252 leaves five bytes undefined; latin-1 maps them, so a file that
    # uses them still reads instead of failing. Only those bytes fall back to
    # latin-1: the rest of the chunk stays Windows-1252 (œ, ’, € …).
    with path.open("rb") as src, target.open("w", encoding="utf-8", newline="") as dst:
        data = src.read(1 << 22)
        while data:
            dst.write(data.decode("cp1252", errors=_LATIN1_FALLBACK))
            data = src.read(1 << 22)
    return target


def _latin1_for_undefined(exc: UnicodeError) -> tuple[str, int]:
    if not isinstance(exc, UnicodeDecodeError):
        raise exc
    return exc.object[exc.start:exc.end].decode("latin-1"), exc.end


_LATIN1_FALLBACK = "ramu-cp1252-latin1"
codecs.register_error(_LATIN1_FALLBACK, _latin1_for_undefined)


def _read_error(path: Path, exc: Exception) -> InputError:
    return InputError(f"{path} : fichier illisible ({exc}). Vérifiez qu'il s'agit bien d'un "
                      f"fichier {path.suffix.lstrip('.').upper()} complet et non protégé.",
                      [Problem(str(path), "fichier illisible")])


def _open_raw(path: Path) -> pl.LazyFrame:
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            return pl.scan_parquet(path)
        if suffix == ".csv":
            encoding, separator = _sniff_csv(path)
            source = path if encoding == "utf-8" else _transcode_to_utf8(path)
            lf = pl.scan_csv(source, separator=separator, infer_schema=False,
                             raise_if_empty=True)
            lf.collect_schema()
            return lf
        if suffix == ".xlsx":
            return pl.read_excel(path, engine="calamine", infer_schema_length=0).lazy()
    except InputError:
        raise
    except Exception as exc:  # polars/fastexcel say why in English; we say where
        raise _read_error(path, exc) from exc
    raise InputError(f"{path} : extension non prise en charge (attendu .parquet, .csv ou .xlsx).")


def _as_text(expr: pl.Expr, dtype: pl.DataType, column: Column) -> pl.Expr:
    """A cell as trimmed text, empty as null (XLSX dates lose their midnight time)."""
    if dtype == pl.String:
        text = expr.str.strip_chars()
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
            msg = pl.when(raw.is_not_null() & typed.is_null()).then(
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
    lf = _open_raw(path)
    try:
        schema = lf.collect_schema()
    except Exception as exc:
        raise _read_error(path, exc) from exc
    present = {name.strip().lstrip("\ufeff").lower(): name for name in schema.names()}
    missing = [n for n in table.required_names if n not in present]
    if missing:
        cols = ", ".join(f"« {m} »" for m in missing)
        raise InputError(
            f"{path} : colonne(s) obligatoire(s) absente(s) : {cols}. Le fichier des "
            f"{table.label_fr} doit avoir les colonnes {', '.join(table.required_names)}.",
            [Problem(str(path), "colonne obligatoire absente", column=m, row=1) for m in missing])
    exprs, native = [], set()
    for column in table.columns:
        if column.name not in present:
            exprs.append(pl.lit(None, pl.String).alias(column.name))
            continue
        source = present[column.name]
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
    found = frozenset(c.name for c in table.columns if c.name in present)
    return TableScan(path, table, raw, frozenset(native), found, index)


def _is_native(dtype: pl.DataType, column: Column) -> bool:
    if column.kind is Kind.INT:
        return dtype.is_integer()
    if column.kind is Kind.DATE:
        return dtype == pl.Date
    if column.kind is Kind.BOOL:
        return dtype == pl.Boolean
    return False


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
    return [Problem(scan.label, r["message"], column=r["column"], row=r[scan.index], value=r["value"])
            for r in df.iter_rows(named=True)]
