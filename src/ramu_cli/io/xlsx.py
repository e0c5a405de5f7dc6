"""A vectorised XLSX writer: worksheet XML built by polars, no loop over cells.

The cell-by-cell xlsxwriter loop took 16.6 s for 200,000 rows x 25 columns.
Here each column becomes a few polars string pieces (`<c r="B` + row number +
`" s="2"><v>` + value + `</v></c>`) and each row one flat `concat_str` over every
column's pieces: the only Python loops run over sheets and columns, never over
rows or cells. Text steps (illegal characters, formula starts, escapes) run
only on the columns where some value needs them.

Rows are built and deflated in pieces of about CELLS_PER_PIECE cells, on every
core: polars hands each piece's UTF-8 bytes to zlib through Arrow's buffer (no
Python strings), and each piece gets its own compressor ending on a sync flush,
so the pieces join into one DEFLATE stream (pigz's method). The pieces depend
only on the frame's width, never on the number of cores, so neither do the
bytes. zipfile cannot take an already compressed stream: the few dozen lines of
ZIP container (local headers, central directory) are written here, and the
tests read the result back with zipfile, calamine, fastexcel and lxml.

The package is deterministic: fixed document times, fixed ZIP member times,
attributes and order, so the same frames give byte-identical files.

Cells, as the former xlsxwriter writer wrote them:
- integers: numbers, number format "#,##0" (the reader's thousands separator: a space in French Excel);
- dates: Excel serial numbers (days since 1899-12-30), format "dd/mm/yyyy";
- booleans: the strings "oui" / "non";
- lists: their items joined with ", ";
- anything else: inline strings, with characters illegal in XML 1.0 removed and
  a leading apostrophe when the text starts like a formula (FORMULA_STARTS);
- nulls: no cell at all.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import polars as pl

from ramu_cli.io.cells import FORMULA_START, XLSX_CREATED
from ramu_cli.io.xlsx_package import (
    MAIN_NS,
    REL_NS,
    XML_DECL,
    XML_TEXT_ESCAPES,
    app_part,
    content_types_part,
    core_part,
    deflate_bytes,
    deflate_sheet,
    escape_attr,
    root_rels_part,
    styles_part,
    workbook_part,
    workbook_rels_part,
    write_zip,
)

EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLS = 16_384
EXCEL_MAX_CHARS = 32_767  # characters in one cell
SHEET_NAME_MAX = 31
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")

# Cell style indexes in xl/styles.xml (cellXfs), in the order written there.
STYLE_HEADER = 1  # bold, shaded, bordered, wrapped
STYLE_INTEGER = 2  # "#,##0"
STYLE_DATE = 3  # "dd/mm/yyyy"
STYLE_TOTAL = 4  # bold, "#,##0", top border
# Only in workbooks with editable columns (the review sheet): unlocked, shaded cells.
STYLE_EDIT_TEXT = 5
STYLE_EDIT_INTEGER = 6  # "#,##0"
# A protected sheet where people may still filter, sort and resize; no password: it
# guards against slips, not against someone who means to change a locked cell.
SHEET_PROTECTION = ('<sheetProtection sheet="1" objects="1" scenarios="1" formatColumns="0" '
                    'formatRows="0" sort="0" autoFilter="0"/>')

# Days from 1899-12-30 (Excel's day 0) to 1970-01-01 (polars' day 0).
EXCEL_EPOCH_OFFSET = (date(1970, 1, 1) - date(1899, 12, 30)).days  # 25569
# Excel counts 29/02/1900, which never was: serials before 01/03/1900 are one less.
EXCEL_LEAP_BUG = (date(1900, 3, 1) - date(1970, 1, 1)).days

# Characters XML 1.0 forbids (tab, line feed and carriage return are allowed).
XML_ILLEGAL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\x{FFFE}\x{FFFF}]"
# Excel reads "_x0041_" in a string as the character it codes: escape the escape.
EXCEL_ESCAPE = r"(_[xX][0-9A-Fa-f]{4}_)"
# "\r" as a reference: a literal one would come back as "\n" from any XML parser.

# Rows are built and compressed in pieces of about this many cells, on every core. The
# piece size depends on nothing but the frame's width: the bytes never depend on the machine.
CELLS_PER_PIECE = 250_000


def write_xlsx(sheets: dict[str, tuple[pl.DataFrame, dict[str, str]]], path: Path,
               totals: dict[str, list[str]] | None = None,
               editable: dict[str, list[str]] | None = None,
               widths: dict[str, dict[str, float]] | None = None) -> None:
    """A workbook with one sheet per frame: French headings, frozen header, filters.

    `totals[sheet]` names integer columns that get a totals row, written with
    its value cached so a reader without formulas sees the figure.
    `editable[sheet]` names the columns people fill in: that sheet is protected
    (no password), those columns stay unlocked and shaded. Without `editable`
    the bytes are those of a workbook written before the option existed.
    `widths[sheet]` gives some columns a width in characters (long names, comments).
    """
    totals = totals or {}
    editable = {k: v for k, v in (editable or {}).items() if v}
    formula_start = FORMULA_START
    names: list[str] = []
    parts: list[tuple[int, int, list[bytes]]] = []
    filters: list[str | None] = []
    for name, (whole, headings) in sheets.items():
        # Beyond Excel's row limit, numbered sheets each with their own sub-total.
        per_sheet = EXCEL_MAX_ROWS - 2  # the heading and the totals row
        count = max(1, -(-whole.height // per_sheet))
        label = "Total" if count == 1 else "Sous-total"
        for k in range(count):
            df = whole.slice(k * per_sheet, per_sheet) if count > 1 else whole
            title = name if count == 1 else (name[:SHEET_NAME_MAX - len(f" ({count})")].rstrip()
                                             + f" ({k + 1})")
            names.append(_sheet_name(title, len(names) + 1, names))
            head, pieces, tail, filter_ref = _sheet_parts(df, headings, totals.get(name, []),
                                                          formula_start, selected=not parts,
                                                          total_label=label, editable=editable.get(name),
                                                          widths=(widths or {}).get(name))
            parts.append(deflate_sheet(head, pieces, tail))
            filters.append(filter_ref)
    if not names:  # a workbook needs a sheet: xlsxwriter added an empty one too
        names.append("Sheet1")
        head, pieces, tail, filter_ref = _sheet_parts(pl.DataFrame(), {}, [], formula_start,
                                                      selected=True)
        parts.append(deflate_sheet(head, pieces, tail))
        filters.append(filter_ref)

    created = XLSX_CREATED.strftime("%Y-%m-%dT%H:%M:%SZ")
    small = [
        ("[Content_Types].xml", content_types_part(len(names))),
        ("_rels/.rels", root_rels_part()),
        ("docProps/core.xml", core_part(created)),
        ("docProps/app.xml", app_part(names)),
        ("xl/workbook.xml", workbook_part(names, filters)),
        ("xl/_rels/workbook.xml.rels", workbook_rels_part(len(names))),
        ("xl/styles.xml", styles_part(with_editable=bool(editable))),
    ]
    members = [(member, *deflate_bytes(data)) for member, data in small]
    members += [(f"xl/worksheets/sheet{i}.xml", *part) for i, part in enumerate(parts, start=1)]
    write_zip(path, members)


# --- one worksheet ---------------------------------------------------------------------------

def _sheet_parts(df: pl.DataFrame, headings: dict[str, str], total_cols: Sequence[str],
                 formula_start: str, selected: bool, total_label: str = "Total",
                 editable: Sequence[str] | None = None, widths: dict[str, float] | None = None,
                 ) -> tuple[bytes, list[pl.LazyFrame], bytes, str | None]:
    """The worksheet XML: head, data rows in lazy pieces, tail; and the autofilter's range."""
    edit_idx = frozenset(df.columns.index(col) for col in editable or ())
    if df.height > EXCEL_MAX_ROWS - 2:
        # xlsxwriter silently dropped rows past Excel's limit: write_xlsx splits the frame.
        raise ValueError(f"{df.height} rows do not fit in one Excel sheet "
                         f"(at most {EXCEL_MAX_ROWS - 2} with heading and totals)")
    if df.width > EXCEL_MAX_COLS:
        raise ValueError(f"{df.width} columns do not fit in one Excel sheet")
    letters = [_col_letter(j) for j in range(df.width)]
    data_end = df.height + 1  # last data row, 1-based (row 1 is the heading)
    total_idx = [df.columns.index(col) for col in total_cols] if df.width else []
    last_row = data_end + 1 if total_idx else data_end

    head = _sheet_head(df, headings, letters, last_row, selected, edit_idx, widths)
    tail = _sheet_tail(df, total_cols, total_idx, letters, data_end, last_row, total_label, edit_idx)
    filter_ref = f"A1:{letters[-1]}{max(df.height, 1) + 1}" if df.width else None

    pieces = _data_rows(df, letters, formula_start, edit_idx) if df.height and df.width else []
    return head, pieces, tail, filter_ref


def _sheet_head(df: pl.DataFrame, headings: dict[str, str], letters: list[str], last_row: int,
                selected: bool, edit_idx: frozenset[int], widths: dict[str, float] | None) -> bytes:
    """The worksheet up to its first data row: dimension, frozen pane, columns, headings."""
    head = [XML_DECL, f'<worksheet xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">']
    dimension = f"A1:{letters[-1]}{last_row}" if df.width else "A1"
    head.append(f'<dimension ref="{dimension.removesuffix(":A1")}"/>')
    head.append("<sheetViews><sheetView " + ('tabSelected="1" ' if selected else "")
                + 'workbookViewId="0"><pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" '
                'state="frozen"/><selection pane="bottomLeft"/></sheetView></sheetViews>')
    head.append('<sheetFormatPr defaultRowHeight="15"/>')
    if df.width:
        head.append("<cols>")
        for j, (col, dtype) in enumerate(df.schema.items(), start=1):
            width, style = _column_layout(dtype, headings.get(col, col))
            if j - 1 in edit_idx:
                width, style = max(width, 16), _edit_style(dtype)
            width = (widths or {}).get(col, width)
            head.append(f'<col min="{j}" max="{j}" width="{_excel_width(width)}"'
                        + (f' style="{style}"' if style else "") + ' customWidth="1"/>')
        head.append("</cols>")
        head.append('<sheetData><row r="1">')
        head += [f'<c r="{letters[j]}1" s="{STYLE_HEADER}" t="inlineStr"><is>'
                 f'<t xml:space="preserve">{_escape_text(headings.get(col, col))}</t></is></c>'
                 for j, col in enumerate(df.columns)]
        head.append("</row>")
    else:
        head.append("<sheetData>")

    return "".join(head).encode()


def _sheet_tail(df: pl.DataFrame, total_cols: Sequence[str], total_idx: list[int], letters: list[str],
                data_end: int, last_row: int, total_label: str, edit_idx: frozenset[int]) -> bytes:
    """The worksheet after its data rows: the totals row, protection, filter, margins."""
    tail = []
    if total_idx:
        cells = {}
        if 0 not in total_idx:  # a total in column A would overwrite the label, as before
            cells[0] = (f'<c r="A{last_row}" s="{STYLE_TOTAL}" t="inlineStr"><is>'
                        f'<t xml:space="preserve">{_escape_text(total_label)}</t></is></c>')
        for j, col in zip(total_idx, total_cols, strict=True):
            letter = letters[j]
            cached = int(df[col].sum() or 0)
            cells[j] = (f'<c r="{letter}{last_row}" s="{STYLE_TOTAL}"><f>SUBTOTAL(9,{letter}2:'
                        f'{letter}{data_end})</f><v>{cached}</v></c>')
        tail.append(f'<row r="{last_row}">' + "".join(cells[j] for j in sorted(cells)) + "</row>")
    tail.append("</sheetData>")
    if edit_idx:
        tail.append(SHEET_PROTECTION)
    if df.width:
        tail.append(f'<autoFilter ref="A1:{letters[-1]}{max(df.height, 1) + 1}"/>')
    tail.append('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
                'footer="0.3"/></worksheet>')

    return "".join(tail).encode()


def _data_rows(df: pl.DataFrame, letters: list[str], formula_start: str,
               edit_idx: frozenset[int] = frozenset()) -> list[pl.LazyFrame]:
    """The `<row>` elements, built column-wise (one flat concat_str per row), in pieces.

    Each piece is a lazy query for a slice of rows giving one string column.
    """
    # Columns renamed by position so that no column name can clash with the row number "r";
    # lists and other non-native types turned into the text people read.
    frame = df.select([_as_cell_value(pl.col(col), dtype).alias(f"c{j}")
                       for j, (col, dtype) in enumerate(df.schema.items())])
    texts = [f"c{j}" for j, dtype in enumerate(frame.dtypes) if dtype == pl.String]
    needs = _text_needs(frame, texts, formula_start)
    row = pl.col("r")
    pieces: list[str | pl.Expr] = ['<row r="', row, '">']
    for j, dtype in enumerate(frame.dtypes):
        name = f"c{j}"
        open_tag, value, (middle, close_tag) = _cell_parts(pl.col(name), dtype, letters[j],
                                                           j in edit_idx)
        if name in needs:
            value = _safe_text(value, formula_start, *needs[name])
        if frame.get_column(name).null_count():
            # A null value makes the whole cell null, skipped by the row's concat_str.
            pieces.append(pl.concat_str([pl.lit(open_tag), row, pl.lit(middle), value,
                                         pl.lit(close_tag)]))
        else:
            pieces += [open_tag, row, middle, value, close_tag]
    pieces.append("</row>")
    exprs: list[pl.Expr] = []
    literal = ""
    for piece in pieces:  # adjacent literals merged: fewer, longer pieces
        if isinstance(piece, str):
            literal += piece
        else:
            if literal:
                exprs.append(pl.lit(literal))
            literal = ""
            exprs.append(piece)
    exprs.append(pl.lit(literal))
    xml = pl.concat_str(exprs, separator="", ignore_nulls=True).alias("xml")
    step = max(1, CELLS_PER_PIECE // frame.width)
    return [frame.lazy().slice(start, step)
            .with_columns(r=pl.int_range(start + 2, start + 2 + pl.len(), dtype=pl.Int64)
                          .cast(pl.String))
            .select(xml)
            for start in range(0, frame.height, step)]


def _as_cell_value(col: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Integers, dates and booleans as they are; lists joined with ", "; the rest as text."""
    if dtype.is_integer() or dtype in (pl.Date, pl.Datetime, pl.Boolean):
        return col
    if isinstance(dtype, (pl.List, pl.Array)):
        return col.cast(pl.List(pl.String)).list.join(", ")
    return col.cast(pl.String)


def _text_needs(frame: pl.DataFrame, texts: list[str],
                formula_start: str) -> dict[str, tuple[bool, ...]]:
    """For each text column, which steps of _safe_text some value needs (one scan each).

    Most columns (ids, codes, names) need none or one: skipping the others saves
    a copy of the column per step.
    """
    if not texts:
        return {}
    checks = [(pl.col(name).str.contains(pattern).any() if pattern else
               (pl.col(name).str.len_chars().max() >= EXCEL_MAX_CHARS)).alias(f"{name}/{k}")
              for name in texts
              for k, pattern in enumerate((XML_ILLEGAL, formula_start, None, EXCEL_ESCAPE,
                                           r'[&<>"\r]'))]
    found = frame.select(checks).row(0)
    needs: dict[str, tuple[bool, ...]] = {}
    for i, name in enumerate(texts):
        flags = tuple(bool(f) for f in found[5 * i:5 * i + 5])
        # Removing illegal characters can make a formula start or an "_x0041_": do every step.
        needs[name] = (True,) * 5 if flags[0] else flags
    return needs


def _cell_parts(col: pl.Expr, dtype: pl.DataType, letter: str, editable: bool = False
                ) -> tuple[str, pl.Expr, tuple[str, str]]:
    """A cell as `open_tag + row number + middle + value + close_tag` (text not yet escaped)."""
    open_tag = f'<c r="{letter}'
    if editable and (dtype.is_integer() or dtype == pl.String):
        style = _edit_style(dtype)
        if dtype.is_integer():
            return open_tag, col.cast(pl.String), (f'" s="{style}"><v>', "</v></c>")
        return open_tag, col, (f'" s="{style}" t="inlineStr"><is><t xml:space="preserve">',
                               "</t></is></c>")
    if dtype.is_integer():
        return open_tag, col.cast(pl.String), (f'" s="{STYLE_INTEGER}"><v>', "</v></c>")
    if dtype in (pl.Date, pl.Datetime):
        days = col.cast(pl.Date).cast(pl.Int64)
        serial = days + EXCEL_EPOCH_OFFSET - (days < EXCEL_LEAP_BUG).cast(pl.Int64)
        return open_tag, serial.cast(pl.String), (f'" s="{STYLE_DATE}"><v>', "</v></c>")
    inline = ('" t="inlineStr"><is><t xml:space="preserve">', "</t></is></c>")
    if dtype == pl.Boolean:
        return open_tag, pl.when(col).then(pl.lit("oui")).when(col.not_()).then(pl.lit("non")), \
            inline
    return open_tag, col, inline


def _safe_text(text: pl.Expr, formula_start: str, illegal: bool = True, formula: bool = True,
               long: bool = True, excel_escape: bool = True, xml_escape: bool = True) -> pl.Expr:
    """Text fit for a cell: legal XML, inert in Excel, at most 32,767 characters, escaped.

    The flags skip steps no value of the column needs (see _text_needs).
    """
    if illegal:
        text = text.str.replace_all(XML_ILLEGAL, "")
    if formula:
        text = text.str.replace(f"({formula_start})", "'$1")  # neutralise(): a leading quote
    if long:
        text = text.str.slice(0, EXCEL_MAX_CHARS)
    if excel_escape:
        text = text.str.replace_all(EXCEL_ESCAPE, "_x005F$1")
    if xml_escape:
        text = text.str.replace_many(*XML_TEXT_ESCAPES)
    return text


def _escape_text(text: str) -> str:
    """The Python twin of _safe_text but for neutralising: headings are written as given."""
    return escape_attr(re.sub(EXCEL_ESCAPE, r"_x005F\1", text))




def _column_layout(dtype: pl.DataType, heading: str) -> tuple[float, int]:
    """Width in characters and default style: dates 12, integers at least 12, else by heading."""
    width = max(10, min(45, len(heading) + 2))
    if dtype in (pl.Date, pl.Datetime):
        return 12, STYLE_DATE
    if dtype.is_integer():
        return max(width, 12), STYLE_INTEGER
    return width, 0


def _edit_style(dtype: pl.DataType) -> int:
    """The unlocked style of an editable column: numbers keep their thousands format."""
    return STYLE_EDIT_INTEGER if dtype.is_integer() else STYLE_EDIT_TEXT


def _excel_width(width: float) -> str:
    """Characters to Excel's stored width (Calibri 11: 7-pixel digits, 5 pixels padding)."""
    stored = int((int(width * 7 + 0.5) + 5) / 7 * 256) / 256
    return repr(stored) if stored != int(stored) else str(int(stored))


def _col_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _sheet_name(name: str, number: int, taken: list[str]) -> str:
    """The name Excel shows: at most 31 characters, checked as xlsxwriter did."""
    title = name[:SHEET_NAME_MAX] if name else f"Sheet{number}"
    if SHEET_NAME_FORBIDDEN.search(title):
        raise ValueError(f"Invalid Excel sheet name {title!r}: no [ ] : * ? / \\")
    if title.startswith("'") or title.endswith("'"):
        raise ValueError(f"Invalid Excel sheet name {title!r}: no leading or trailing apostrophe")
    if title.lower() in (t.lower() for t in taken):
        raise ValueError(f"Duplicate Excel sheet name {title!r}")
    return title
