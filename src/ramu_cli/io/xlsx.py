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

import os
import re
import struct
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import polars as pl

from ramu_cli.io.cells import FORMULA_START, XLSX_CREATED

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

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
XML_ILLEGAL_PY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# Excel reads "_x0041_" in a string as the character it codes: escape the escape.
EXCEL_ESCAPE = r"(_[xX][0-9A-Fa-f]{4}_)"
# "\r" as a reference: a literal one would come back as "\n" from any XML parser.
XML_TEXT_ESCAPES = (["&", "<", ">", '"', "\r"], ["&amp;", "&lt;", "&gt;", "&quot;", "&#13;"])

# Deflate level 1: the sheets are repetitive XML (about 8:1 at level 1, 11:1 at
# level 6) and level 6 costs three to four times as long.
DEFLATE_LEVEL = 1
# Rows are built and compressed in pieces of about this many cells, on every core. The
# piece size depends on nothing but the frame's width: the bytes never depend on the machine.
CELLS_PER_PIECE = 250_000
# Fixed ZIP member attributes: 01/01/1980 00:00, a regular rw-r--r-- file made on Unix.
ZIP_DOS_TIME = 0
ZIP_DOS_DATE = (1980 - 1980) << 9 | 1 << 5 | 1
ZIP_EXTERNAL_ATTR = 0o100644 << 16
ZIP_MADE_BY = 3 << 8 | 20  # Unix, ZIP 2.0
ZIP_NEEDED = 20  # ZIP 2.0: deflate
ZIP_DEFLATED = 8
ZIP_MAX = 0xFFFF_FFFF  # beyond this, ZIP64 would be needed: no sheet Excel opens is that big


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
            parts.append(_deflate_sheet(head, pieces, tail))
            filters.append(filter_ref)
    if not names:  # a workbook needs a sheet: xlsxwriter added an empty one too
        names.append("Sheet1")
        head, pieces, tail, filter_ref = _sheet_parts(pl.DataFrame(), {}, [], formula_start,
                                                      selected=True)
        parts.append(_deflate_sheet(head, pieces, tail))
        filters.append(filter_ref)

    created = XLSX_CREATED.strftime("%Y-%m-%dT%H:%M:%SZ")
    small = [
        ("[Content_Types].xml", _content_types(len(names))),
        ("_rels/.rels", _root_rels()),
        ("docProps/core.xml", _core(created)),
        ("docProps/app.xml", _app(names)),
        ("xl/workbook.xml", _workbook(names, filters)),
        ("xl/_rels/workbook.xml.rels", _workbook_rels(len(names))),
        ("xl/styles.xml", _styles(with_editable=bool(editable))),
    ]
    members = [(member, *_deflate_bytes(data)) for member, data in small]
    members += [(f"xl/worksheets/sheet{i}.xml", *part) for i, part in enumerate(parts, start=1)]
    _write_zip(path, members)


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
    filter_ref = None
    if df.width:
        filter_ref = f"A1:{letters[-1]}{max(df.height, 1) + 1}"
        tail.append(f'<autoFilter ref="{filter_ref}"/>')
    tail.append('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
                'footer="0.3"/></worksheet>')

    pieces = _data_rows(df, letters, formula_start, edit_idx) if df.height and df.width else []
    return "".join(head).encode(), pieces, "".join(tail).encode(), filter_ref


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
    return _escape_attr(re.sub(EXCEL_ESCAPE, r"_x005F\1", text))


def _escape_attr(text: str) -> str:
    """Legal XML text or attribute value (sheet names in workbook.xml, app.xml)."""
    text = XML_ILLEGAL_PY.sub("", text)
    for old, new in zip(*XML_TEXT_ESCAPES, strict=True):
        text = text.replace(old, new)
    return text


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


# --- package parts ---------------------------------------------------------------------------

def _content_types(n_sheets: int) -> bytes:
    ct = "application/vnd.openxmlformats-officedocument"
    sheets = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                     f'ContentType="{ct}.spreadsheetml.worksheet+xml"/>'
                     for i in range(1, n_sheets + 1))
    return (XML_DECL + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/docProps/app.xml" ContentType="{ct}.extended-properties+xml"/>'
            '<Override PartName="/docProps/core.xml" '
            'ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
            f'<Override PartName="/xl/styles.xml" ContentType="{ct}.spreadsheetml.styles+xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            f'ContentType="{ct}.spreadsheetml.sheet.main+xml"/>'
            f"{sheets}</Types>").encode()


def _root_rels() -> bytes:
    rel = "http://schemas.openxmlformats.org"
    return (XML_DECL + f'<Relationships xmlns="{PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/package/2006/relationships/metadata/'
            'core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{REL_NS}/extended-properties" '
            'Target="docProps/app.xml"/>'
            "</Relationships>").encode()


def _core(created: str) -> bytes:
    return (XML_DECL + '<cp:coreProperties '
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            "<dc:creator>ramu-cli</dc:creator><cp:lastModifiedBy>ramu-cli</cp:lastModifiedBy>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{created}</dcterms:modified>'
            "</cp:coreProperties>").encode()


def _app(names: list[str]) -> bytes:
    titles = "".join(f"<vt:lpstr>{_escape_attr(n)}</vt:lpstr>" for n in names)
    return (XML_DECL + '<Properties '
            'xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties" '
            'xmlns:vt="http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes">'
            "<Application>ramu-cli</Application><DocSecurity>0</DocSecurity>"
            "<ScaleCrop>false</ScaleCrop><HeadingPairs>"
            '<vt:vector size="2" baseType="variant"><vt:variant><vt:lpstr>Worksheets</vt:lpstr>'
            f"</vt:variant><vt:variant><vt:i4>{len(names)}</vt:i4></vt:variant></vt:vector>"
            f'</HeadingPairs><TitlesOfParts><vt:vector size="{len(names)}" baseType="lpstr">'
            f"{titles}</vt:vector></TitlesOfParts><LinksUpToDate>false</LinksUpToDate>"
            "<SharedDoc>false</SharedDoc><HyperlinksChanged>false</HyperlinksChanged>"
            "<AppVersion>12.0000</AppVersion></Properties>").encode()


def _workbook(names: list[str], filters: list[str | None]) -> bytes:
    sheets = "".join(f'<sheet name="{_escape_attr(n)}" sheetId="{i}" r:id="rId{i}"/>'
                     for i, n in enumerate(names, start=1))
    defined = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
        f"{_escape_attr(_quote_sheet(n))}!{_absolute(ref)}</definedName>"
        for i, (n, ref) in enumerate(zip(names, filters, strict=True)) if ref)
    return (XML_DECL + f'<workbook xmlns="{MAIN_NS}" xmlns:r="{REL_NS}">'
            '<fileVersion appName="xl" lastEdited="4" lowestEdited="4" rupBuild="4505"/>'
            "<workbookPr/><bookViews>"
            '<workbookView xWindow="240" yWindow="15" windowWidth="16095" windowHeight="9660"/>'
            f"</bookViews><sheets>{sheets}</sheets>"
            + (f"<definedNames>{defined}</definedNames>" if defined else "")
            + '<calcPr calcId="124519" fullCalcOnLoad="1"/></workbook>').encode()


def _quote_sheet(name: str) -> str:
    return "'" + name.replace("'", "''") + "'"


def _absolute(ref: str) -> str:
    """A1:Y200001 -> $A$1:$Y$200001."""
    return ":".join(re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", cell) for cell in ref.split(":"))


def _workbook_rels(n_sheets: int) -> bytes:
    rels = "".join(f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" '
                   f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, n_sheets + 1))
    return (XML_DECL + f'<Relationships xmlns="{PKG_REL_NS}">{rels}'
            f'<Relationship Id="rId{n_sheets + 1}" Type="{REL_NS}/styles" Target="styles.xml"/>'
            "</Relationships>").encode()


def _styles(with_editable: bool = False) -> bytes:
    """xl/styles.xml; `with_editable` adds a light yellow fill and the two unlocked styles."""
    font = '<sz val="11"/><color rgb="FF000000"/><name val="Calibri"/><family val="2"/>'
    thin = '<{0} style="thin"><color auto="1"/></{0}>'
    all_thin = "".join(thin.format(side) for side in ("left", "right", "top", "bottom"))
    fills = ('<fill><patternFill patternType="none"/></fill>'
             '<fill><patternFill patternType="gray125"/></fill>'
             '<fill><patternFill patternType="solid"><fgColor rgb="FFE8EEF4"/>'
             '<bgColor indexed="64"/></patternFill></fill>')
    xfs = ('<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
           '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" '
           'applyFill="1" applyBorder="1" applyAlignment="1"><alignment wrapText="1"/></xf>'
           '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
           '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
           '<xf numFmtId="164" fontId="1" fillId="0" borderId="2" xfId="0" applyNumberFormat="1" '
           'applyFont="1" applyBorder="1"/>')
    n_fills, n_xfs = 3, 5
    if with_editable:
        fills += ('<fill><patternFill patternType="solid"><fgColor rgb="FFFFF4C2"/>'
                  '<bgColor indexed="64"/></patternFill></fill>')
        unlocked = 'applyProtection="1"><protection locked="0"/></xf>'
        xfs += (f'<xf numFmtId="0" fontId="0" fillId="3" borderId="1" xfId="0" applyFill="1" '
                f'applyBorder="1" {unlocked}'
                f'<xf numFmtId="164" fontId="0" fillId="3" borderId="1" xfId="0" '
                f'applyNumberFormat="1" applyFill="1" applyBorder="1" {unlocked}')
        n_fills, n_xfs = 4, 7
    return (XML_DECL + f'<styleSheet xmlns="{MAIN_NS}">'
            '<numFmts count="2"><numFmt numFmtId="164" formatCode="#,##0"/>'
            '<numFmt numFmtId="165" formatCode="dd/mm/yyyy"/></numFmts>'
            f'<fonts count="2"><font>{font}</font><font><b/>{font}</font></fonts>'
            f'<fills count="{n_fills}">{fills}</fills>'
            '<borders count="3"><border><left/><right/><top/><bottom/><diagonal/></border>'
            f"<border>{all_thin}<diagonal/></border>"
            f'<border><left/><right/>{thin.format("top")}<bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            f'</cellStyleXfs><cellXfs count="{n_xfs}">{xfs}</cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            '<dxfs count="0"/><tableStyles count="0" defaultTableStyle="TableStyleMedium9" '
            'defaultPivotStyle="PivotStyleLight16"/></styleSheet>').encode()


# --- the ZIP container -----------------------------------------------------------------------

def _deflate_bytes(data: bytes) -> tuple[int, int, list[bytes]]:
    """CRC-32, size and raw DEFLATE stream of a small part."""
    packer = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, -15)
    return zlib.crc32(data), len(data), [packer.compress(data) + packer.flush()]


def _deflate_sheet(head: bytes, pieces: list[pl.LazyFrame], tail: bytes
                   ) -> tuple[int, int, list[bytes]]:
    """CRC-32, size and raw DEFLATE stream (in pieces) of head + rows + tail.

    The pieces are built and compressed on every core at once, each with its own
    compressor ending on a sync flush (the last one finishes the stream): they
    join into one valid stream, as pigz's do. The rows' UTF-8 bytes go from
    polars to zlib through Arrow's buffer, never through Python strings.
    """
    last = len(pieces) - 1

    def build(k: int) -> tuple[memoryview, bytes]:
        rows = _utf8(pieces[k].collect())
        packer = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, -15)
        packed = (packer.compress(head) if k == 0 else b"") + packer.compress(rows)
        if k == last:
            return rows, packed + packer.compress(tail) + packer.flush()
        return rows, packed + packer.flush(zlib.Z_SYNC_FLUSH)

    if not pieces:
        return _deflate_bytes(head + tail)
    crc, size, packed = zlib.crc32(head), len(head), []
    with ThreadPoolExecutor(max_workers=min(len(pieces), os.cpu_count() or 1)) as pool:
        for rows, deflated in pool.map(build, range(len(pieces))):  # in order
            crc, size = zlib.crc32(rows, crc), size + len(rows)
            packed.append(deflated)
    return zlib.crc32(tail, crc), size + len(tail), packed


def _utf8(lines: pl.DataFrame) -> memoryview:
    """A string column's values, joined, as UTF-8: Arrow's data buffer, not a Python copy."""
    array = lines.get_column("xml").to_arrow(compat_level=pl.CompatLevel.oldest())
    if hasattr(array, "combine_chunks"):  # a ChunkedArray
        array = array.combine_chunks()
    _, offsets, data = array.buffers()  # large_string: validity, int64 offsets, bytes
    bounds = memoryview(offsets).cast("B").cast("q")
    return memoryview(data).cast("B")[bounds[array.offset]:bounds[array.offset + len(array)]]


def _write_zip(path: Path, members: list[tuple[str, int, int, list[bytes]]]) -> None:
    """A plain ZIP archive (APPNOTE 6.3: deflate, no data descriptors, no ZIP64), in order."""
    central = []
    offset = 0
    with open(path, "wb") as out:
        for name, crc, size, pieces in members:
            raw = name.encode("ascii")
            packed = sum(len(piece) for piece in pieces)
            if max(size, packed, offset) >= ZIP_MAX:
                raise ValueError(f"{name} is too large for an XLSX file ({size} bytes)")
            local = struct.pack("<IHHHHHIIIHH", 0x04034B50, ZIP_NEEDED, 0, ZIP_DEFLATED,
                                ZIP_DOS_TIME, ZIP_DOS_DATE, crc, packed, size, len(raw), 0)
            out.write(local + raw)
            out.writelines(pieces)
            central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, ZIP_MADE_BY, ZIP_NEEDED,
                                       0, ZIP_DEFLATED, ZIP_DOS_TIME, ZIP_DOS_DATE, crc,
                                       packed, size, len(raw), 0, 0, 0, 0, ZIP_EXTERNAL_ATTR,
                                       offset) + raw)
            offset += len(local) + len(raw) + packed
        directory = b"".join(central)
        if offset + len(directory) >= ZIP_MAX:
            raise ValueError("the workbook is too large for an XLSX file")
        out.write(directory)
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members),
                              len(directory), offset, 0))
