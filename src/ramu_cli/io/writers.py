"""Writing run outputs: an atomic run folder and byte-stable files.

Everything a run writes goes into a temporary folder beside OUT_DIR and is
moved into place only when complete, so an interrupted run leaves nothing
half-written. Files are deterministic: the same frame gives the same bytes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

import polars as pl
import xlsxwriter

from ramu_cli.errors import UsageError

# Fixed workbook creation time: without it XLSX bytes change on every run.
XLSX_CREATED = datetime(2000, 1, 1)
# Cells starting with these are formulas to Excel: a leading quote keeps them text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _check_replaceable(out_dir: Path, replaceable: frozenset[str]) -> None:
    """OUT_DIR is replaced whole: only a new or empty folder, an earlier run (it has a
    manifest.json) or a folder holding nothing but `replaceable` files may be."""
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise UsageError(f"« {out_dir} » est un fichier, pas un dossier : choisissez un dossier de sortie.")
    names = {p.name for p in out_dir.iterdir()}
    if not names or "manifest.json" in names or names <= replaceable:
        return
    shown = ", ".join(sorted(names)[:5]) + (" …" if len(names) > 5 else "")
    raise UsageError(f"« {out_dir} » contient déjà d'autres fichiers ({shown}) et serait remplacé en "
                     "entier : choisissez un dossier nouveau, vide ou issu d'une exécution précédente.")


@contextmanager
def run_folder(out_dir: Path, replaceable: frozenset[str] = frozenset()) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces OUT_DIR, on failure it vanishes."""
    out_dir = out_dir.resolve()
    _check_replaceable(out_dir, replaceable)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    # mkdtemp makes a private (0700) folder; results are shared: the usual mode.
    mask = os.umask(0)
    os.umask(mask)
    tmp.chmod(0o777 & ~mask)
    old = None
    if out_dir.exists():
        old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
        os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_parquet(df: pl.DataFrame, path: Path) -> None:
    # No statistics timestamps exist in parquet; compression fixed for stable bytes.
    df.write_parquet(path, compression="zstd", statistics=True)


def neutralise(text: str) -> str:
    """Keep a cell inert in a spreadsheet: a leading formula character gets a quote."""
    return "'" + text if text and text.startswith(FORMULA_STARTS) else text


def _text_cells(df: pl.DataFrame) -> pl.DataFrame:
    """Every column as the text a person reads: dd/mm/yyyy, oui/non, lists joined, inert strings."""
    exprs = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if dtype == pl.Date:
            col = col.dt.strftime("%d/%m/%Y")
        elif dtype == pl.Boolean:
            col = pl.when(col).then(pl.lit("oui")).when(col.not_()).then(pl.lit("non"))
        elif isinstance(dtype, pl.List):
            col = col.cast(pl.List(pl.String)).list.join(", ")
        elif dtype == pl.String:
            col = pl.when(col.str.contains(r"^[=+\-@\t\r]")).then(pl.lit("'") + col).otherwise(col)
        exprs.append(col.cast(pl.String).alias(name))
    return df.select(exprs)


def write_csv(df: pl.DataFrame, path: Path, headings: dict[str, str] | None = None) -> None:
    """A CSV for people: Windows-1252 (opens right in a French Excel), ';', dd/mm/yyyy."""
    headings = headings or {}
    text = _text_cells(df).rename(lambda c: headings.get(c, c)).write_csv(
        separator=";", line_terminator="\r\n", quote_style="necessary")
    path.write_bytes(text.encode("cp1252", errors="replace"))


def write_xlsx(sheets: dict[str, tuple[pl.DataFrame, dict[str, str]]], path: Path,
               totals: dict[str, list[str]] | None = None) -> None:
    """A workbook with one sheet per frame: French headings, frozen header, filters.

    `totals[sheet]` names integer columns that get a totals row, written with
    its value cached so a reader without formulas sees the figure.
    """
    totals = totals or {}
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"created": XLSX_CREATED, "author": "ramu-cli"})
    bold = wb.add_format({"bold": True, "bg_color": "#E8EEF4", "border": 1, "text_wrap": True})
    money = wb.add_format({"num_format": "# ##0"})
    day = wb.add_format({"num_format": "dd/mm/yyyy"})
    total_fmt = wb.add_format({"bold": True, "num_format": "# ##0", "top": 1})
    for name, (df, headings) in sheets.items():
        ws = wb.add_worksheet(name[:31])
        for j, col in enumerate(df.columns):
            ws.write_string(0, j, headings.get(col, col), bold)
            dtype = df.schema[col]
            width = max(10, min(45, len(headings.get(col, col)) + 2))
            if dtype == pl.Date:
                ws.set_column(j, j, 12, day)
            elif dtype.is_integer():
                ws.set_column(j, j, max(width, 12), money)
            else:
                ws.set_column(j, j, width)
        for i, row in enumerate(df.iter_rows(), start=1):
            for j, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, bool):
                    ws.write_string(i, j, "oui" if value else "non")
                elif isinstance(value, int):
                    ws.write_number(i, j, value)
                elif isinstance(value, date):
                    ws.write_datetime(i, j, datetime(value.year, value.month, value.day))
                else:
                    ws.write_string(i, j, neutralise(", ".join(map(str, value)) if isinstance(value, list) else str(value)))
        ws.freeze_panes(1, 0)
        if df.width:
            ws.autofilter(0, 0, max(df.height, 1), df.width - 1)
        total_cols = totals.get(name, [])
        if total_cols and df.width:
            last = df.height + 1
            ws.write_string(last, 0, "Total", total_fmt)
            for col in total_cols:
                j = df.columns.index(col)
                letter = xlsxwriter.utility.xl_col_to_name(j)
                ws.write_formula(last, j, f"=SUBTOTAL(9,{letter}2:{letter}{last})", total_fmt,
                                 int(df[col].sum() or 0))
    wb.close()
