"""Which sheet of an input workbook holds the table, and its cells as text.

The contract (data-contract.md, "Reading, for every input file"): the data is
on the sheet named after the file's role (`invoices`, `factures`, …) when
there is one, else on the only visible sheet that holds data; several visible
data sheets and none named so make the workbook unusable. Hidden sheets are
never read. fastexcel tells a sheet's visibility only once the sheet is
loaded, so each sheet is loaded once (every cell as text) and the chosen one
is converted; the named sheets are tried first, so a workbook whose table
sheet is named never loads the others.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

import fastexcel
import polars as pl

from ramu_cli.errors import InputError, Problem


def sheet_key(name: str) -> str:
    """A sheet name compared without case, accents or surrounding spaces."""
    decomposed = unicodedata.normalize("NFKD", name.strip().casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _load(reader: fastexcel.ExcelReader, name: str) -> fastexcel.ExcelSheet:
    # No header row: the first row comes back as data, so the column names are
    # seen as written (fastexcel would rename a repeated one "x_1").
    return reader.load_sheet(name, header_row=None, dtypes="string")


def _choose(path: Path, reader: fastexcel.ExcelReader, role_names: tuple[str, ...]
            ) -> fastexcel.ExcelSheet | None:
    """The sheet to read, or None when the workbook has no visible sheet."""
    names = reader.sheet_names
    wanted = {sheet_key(n) for n in role_names}
    named = [n for n in names if sheet_key(n) in wanted]
    visible_named = [s for s in (_load(reader, n) for n in named) if s.visible == "visible"]
    if len(visible_named) == 1:
        return visible_named[0]
    if len(visible_named) > 1:
        raise _ambiguous(path, [s.name for s in visible_named], role_names)
    visible = [s for s in (_load(reader, n) for n in names if n not in named)
               if s.visible == "visible"]
    holding = [s for s in visible if s.total_height > 0]
    if len(holding) > 1:
        raise _ambiguous(path, [s.name for s in holding], role_names)
    if holding:
        return holding[0]
    return visible[0] if visible else None


def _ambiguous(path: Path, sheets: list[str], role_names: tuple[str, ...]) -> InputError:
    listed = ", ".join(f"« {s} »" for s in sheets)
    accepted = " ou ".join(f"« {n} »" for n in role_names)
    return InputError(
        f"{path} : plusieurs feuilles visibles contiennent des données ({listed}) et aucune ne "
        f"porte le nom du fichier : renommez la feuille à lire {accepted}, ou supprimez ou "
        "masquez les autres, puis relancez.",
        [Problem(str(path), f"feuilles possibles : {', '.join(sheets)}", code="ambiguous_sheet")])


def read_workbook(path: Path, role_names: tuple[str, ...]) -> tuple[pl.DataFrame, list[str]]:
    """(the chosen sheet's rows as text, its column names as written).

    Like `pl.read_excel`: empty rows and empty unnamed columns are dropped; a
    workbook with nothing to read raises polars' NoDataError.
    """
    reader = fastexcel.read_excel(path)
    sheet = _choose(path, reader, role_names)
    if sheet is None or sheet.total_height == 0:
        raise pl.exceptions.NoDataError("empty Excel sheet")
    cells = sheet.to_polars()
    header = ["" if v is None else str(v) for v in cells.row(0)]
    names = [h if h.strip() else f"__UNNAMED__{i}" for i, h in enumerate(header)]
    rows = cells.slice(1)
    if len(set(names)) == len(names):  # repeated names are refused by the caller
        rows = rows.rename(dict(zip(rows.columns, names, strict=True)))
    empty = [c for c, n in zip(rows.columns, header, strict=True)
             if not n.strip() and rows.get_column(c).null_count() == rows.height]
    rows = rows.drop(empty)
    rows = rows.filter(~pl.all_horizontal(pl.all().is_null())) if rows.width else rows
    return rows, header
