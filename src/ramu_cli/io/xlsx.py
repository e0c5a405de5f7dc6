"""A vectorised XLSX writer: worksheet XML built by polars, no loop over cells.

The cell-by-cell xlsxwriter loop took 16.6 s for 200,000 rows x 25 columns.
Here each column becomes a few polars string pieces (`<c r="B` + row number +
`" s="2"><v>` + value + `</v></c>`), each row one flat `concat_str` over every
column's pieces, and the sheet those rows one per line: the only Python loops
run over sheets and columns, never over rows or cells.

Polars also compresses the sheet: its gzip writer gives the same DEFLATE
stream zipfile would store, about 2.5 times faster than the zlib module, and
without turning hundreds of megabytes of XML into Python objects. Since
zipfile cannot take an already compressed stream, the few dozen lines of ZIP
container (local headers, central directory) are written here; tests read the
result back with zipfile, calamine and lxml.

The package is deterministic: fixed document times, fixed ZIP member times,
attributes and order, so the same frames give byte-identical files.

Cells, as the former xlsxwriter writer wrote them:
- integers: numbers, number format "# ##0";
- dates: Excel serial numbers (days since 1899-12-30), format "dd/mm/yyyy";
- booleans: the strings "oui" / "non";
- lists: their items joined with ", ";
- anything else: inline strings, with characters illegal in XML 1.0 removed and
  a leading apostrophe when the text starts like a formula (FORMULA_STARTS);
- nulls: no cell at all.
"""

from __future__ import annotations

import io
import re
import struct
import zlib
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import polars as pl

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
STYLE_INTEGER = 2  # "# ##0"
STYLE_DATE = 3  # "dd/mm/yyyy"
STYLE_TOTAL = 4  # bold, "# ##0", top border

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
# Fixed ZIP member attributes: 01/01/1980 00:00, a regular rw-r--r-- file made on Unix.
ZIP_DOS_TIME = 0
ZIP_DOS_DATE = (1980 - 1980) << 9 | 1 << 5 | 1
ZIP_EXTERNAL_ATTR = 0o100644 << 16
ZIP_MADE_BY = 3 << 8 | 20  # Unix, ZIP 2.0
ZIP_NEEDED = 20  # ZIP 2.0: deflate
ZIP_DEFLATED = 8
ZIP_MAX = 0xFFFF_FFFF  # beyond this, ZIP64 would be needed: no sheet Excel opens is that big


def write_xlsx(sheets: dict[str, tuple[pl.DataFrame, dict[str, str]]], path: Path,
               totals: dict[str, list[str]] | None = None) -> None:
    """A workbook with one sheet per frame: French headings, frozen header, filters.

    `totals[sheet]` names integer columns that get a totals row, written with
    its value cached so a reader without formulas sees the figure.
    """
    # Imported here: writers.py re-exports this function, so a top-level import
    # would be circular whichever module is imported first.
    from ramu_cli.io.writers import FORMULA_STARTS, XLSX_CREATED

    totals = totals or {}
    formula_start = "^[" + "".join(f"\\x{{{ord(ch):X}}}" for ch in FORMULA_STARTS) + "]"
    names: list[str] = []
    parts: list[tuple[int, int, bytes | memoryview]] = []
    filters: list[str | None] = []
    for name, (df, headings) in sheets.items():
        names.append(_sheet_name(name, len(names) + 1, names))
        lines, filter_ref = _sheet_lines(df, headings, totals.get(name, []), formula_start,
                                         selected=not parts)
        parts.append(_deflate_lines(lines))
        filters.append(filter_ref)
    if not names:  # a workbook needs a sheet: xlsxwriter added an empty one too
        names.append("Sheet1")
        lines, filter_ref = _sheet_lines(pl.DataFrame(), {}, [], formula_start, selected=True)
        parts.append(_deflate_lines(lines))
        filters.append(filter_ref)

    created = XLSX_CREATED.strftime("%Y-%m-%dT%H:%M:%SZ")
    small = [
        ("[Content_Types].xml", _content_types(len(names))),
        ("_rels/.rels", _root_rels()),
        ("docProps/core.xml", _core(created)),
        ("docProps/app.xml", _app(names)),
        ("xl/workbook.xml", _workbook(names, filters)),
        ("xl/_rels/workbook.xml.rels", _workbook_rels(len(names))),
        ("xl/styles.xml", _styles()),
    ]
    members = [(member, *_deflate_bytes(data)) for member, data in small]
    members += [(f"xl/worksheets/sheet{i}.xml", *part) for i, part in enumerate(parts, start=1)]
    _write_zip(path, members)


# --- one worksheet ---------------------------------------------------------------------------

def _sheet_lines(df: pl.DataFrame, headings: dict[str, str], total_cols: Sequence[str],
                 formula_start: str, selected: bool) -> tuple[pl.DataFrame, str | None]:
    """The worksheet XML as a one-column frame of lines; and the autofilter's range."""
    if df.height > EXCEL_MAX_ROWS - 2:
        # xlsxwriter silently dropped rows past Excel's limit: refuse instead.
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
                        '<t xml:space="preserve">Total</t></is></c>')
        for j, col in zip(total_idx, total_cols):
            letter = letters[j]
            cached = int(df[col].sum() or 0)
            cells[j] = (f'<c r="{letter}{last_row}" s="{STYLE_TOTAL}"><f>SUBTOTAL(9,{letter}2:'
                        f'{letter}{data_end})</f><v>{cached}</v></c>')
        tail.append(f'<row r="{last_row}">' + "".join(cells[j] for j in sorted(cells)) + "</row>")
    tail.append("</sheetData>")
    filter_ref = None
    if df.width:
        filter_ref = f"A1:{letters[-1]}{max(df.height, 1) + 1}"
        tail.append(f'<autoFilter ref="{filter_ref}"/>')
    tail.append('<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
                'footer="0.3"/></worksheet>')

    frames = [pl.DataFrame({"xml": ["".join(head)]})]
    if df.height and df.width:
        frames.append(_data_rows(df, letters, formula_start))
    frames.append(pl.DataFrame({"xml": ["".join(tail)]}))
    return pl.concat(frames, how="vertical"), filter_ref


def _data_rows(df: pl.DataFrame, letters: list[str], formula_start: str) -> pl.DataFrame:
    """One `<row>` element per data row, built column-wise: one flat concat_str per row."""
    # Columns renamed by position so that no column name can clash with the row number "r".
    frame = df.select([pl.col(col).alias(f"c{j}") for j, col in enumerate(df.columns)])
    row = pl.col("r")
    pieces: list[str | pl.Expr] = ['<row r="', row, '">']
    for j, dtype in enumerate(frame.dtypes):
        open_tag, value, (middle, close_tag) = _cell_parts(pl.col(f"c{j}"), dtype, letters[j],
                                                           formula_start)
        if frame.get_column(f"c{j}").null_count():
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
    return (frame.lazy()
            .with_columns(r=pl.int_range(2, pl.len() + 2, dtype=pl.Int64).cast(pl.String))
            .select(pl.concat_str(exprs, separator="", ignore_nulls=True).alias("xml"))
            .collect())


def _cell_parts(col: pl.Expr, dtype: pl.DataType, letter: str, formula_start: str
                ) -> tuple[str, pl.Expr, tuple[str, str]]:
    """A cell as `open_tag + row number + middle + value + close_tag`."""
    open_tag = f'<c r="{letter}'
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
    if isinstance(dtype, (pl.List, pl.Array)):
        col = col.cast(pl.List(pl.String)).list.join(", ")
    return open_tag, _safe_text(col.cast(pl.String), formula_start), inline


def _safe_text(text: pl.Expr, formula_start: str) -> pl.Expr:
    """Text fit for a cell: legal XML, inert in Excel, at most 32,767 characters, escaped."""
    text = text.str.replace_all(XML_ILLEGAL, "")
    text = text.str.replace(f"({formula_start})", "'$1")  # neutralise(): a leading quote
    text = text.str.slice(0, EXCEL_MAX_CHARS)
    text = text.str.replace_all(EXCEL_ESCAPE, "_x005F$1")
    return text.str.replace_many(*XML_TEXT_ESCAPES)


def _escape_text(text: str) -> str:
    """The Python twin of _safe_text but for neutralising: headings are written as given."""
    return _escape_attr(re.sub(EXCEL_ESCAPE, r"_x005F\1", text))


def _escape_attr(text: str) -> str:
    """Legal XML text or attribute value (sheet names in workbook.xml, app.xml)."""
    text = XML_ILLEGAL_PY.sub("", text)
    for old, new in zip(*XML_TEXT_ESCAPES):
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
            f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.spreadsheetml.sheet.main+xml"/>'
            f"{sheets}</Types>").encode()


def _root_rels() -> bytes:
    rel = "http://schemas.openxmlformats.org"
    return (XML_DECL + f'<Relationships xmlns="{PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/package/2006/relationships/metadata/core-properties"'
            ' Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{REL_NS}/extended-properties" Target="docProps/app.xml"/>'
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
        for i, (n, ref) in enumerate(zip(names, filters)) if ref)
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


def _styles() -> bytes:
    font = '<sz val="11"/><color rgb="FF000000"/><name val="Calibri"/><family val="2"/>'
    thin = '<{0} style="thin"><color auto="1"/></{0}>'
    all_thin = "".join(thin.format(side) for side in ("left", "right", "top", "bottom"))
    return (XML_DECL + f'<styleSheet xmlns="{MAIN_NS}">'
            '<numFmts count="2"><numFmt numFmtId="164" formatCode="# ##0"/>'
            '<numFmt numFmtId="165" formatCode="dd/mm/yyyy"/></numFmts>'
            f'<fonts count="2"><font>{font}</font><font><b/>{font}</font></fonts>'
            '<fills count="3"><fill><patternFill patternType="none"/></fill>'
            '<fill><patternFill patternType="gray125"/></fill>'
            '<fill><patternFill patternType="solid"><fgColor rgb="FFE8EEF4"/>'
            '<bgColor indexed="64"/></patternFill></fill></fills>'
            '<borders count="3"><border><left/><right/><top/><bottom/><diagonal/></border>'
            f"<border>{all_thin}<diagonal/></border>"
            f'<border><left/><right/>{thin.format("top")}<bottom/><diagonal/></border></borders>'
            '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
            '</cellStyleXfs><cellXfs count="5">'
            '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
            '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" '
            'applyFill="1" applyBorder="1" applyAlignment="1"><alignment wrapText="1"/></xf>'
            '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
            '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
            '<xf numFmtId="164" fontId="1" fillId="0" borderId="2" xfId="0" applyNumberFormat="1" '
            'applyFont="1" applyBorder="1"/></cellXfs>'
            '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            '<dxfs count="0"/><tableStyles count="0" DefaultTableStyle="TableStyleMedium9" '
            'DefaultPivotStyle="PivotStyleLight16"/></styleSheet>').encode()


# --- the ZIP container -----------------------------------------------------------------------

def _deflate_bytes(data: bytes) -> tuple[int, int, bytes]:
    """CRC-32, size and raw DEFLATE stream of a small part."""
    packer = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, -15)
    return zlib.crc32(data), len(data), packer.compress(data) + packer.flush()


def _deflate_lines(lines: pl.DataFrame) -> tuple[int, int, bytes | memoryview]:
    """CRC-32, size and raw DEFLATE stream of the lines joined by "\\n", compressed by polars.

    Polars writes one gzip member: a header, the raw DEFLATE stream, then the
    CRC-32 and size of the data (RFC 1952), which is what a ZIP entry holds.
    """
    size = int(lines.get_column("xml").str.len_bytes().sum()) + lines.height
    buffer = io.BytesIO()
    lines.write_csv(buffer, include_header=False, quote_style="never", line_terminator="\n",
                    compression="gzip", compression_level=DEFLATE_LEVEL)
    gz = buffer.getbuffer()
    start = _gzip_payload_start(gz)
    crc, isize = struct.unpack("<II", gz[-8:]) if len(gz) >= 18 else (0, -1)
    if start is None or isize != size & ZIP_MAX:  # not one plain gzip member: compress here
        plain = io.BytesIO()
        lines.write_csv(plain, include_header=False, quote_style="never", line_terminator="\n")
        return _deflate_bytes(plain.getvalue())
    return crc, size, gz[start:len(gz) - 8]


def _gzip_payload_start(gz: memoryview) -> int | None:
    """Where the DEFLATE stream starts in a gzip member (RFC 1952, 2.3), None if not gzip."""
    if len(gz) < 18 or gz[0] != 0x1F or gz[1] != 0x8B or gz[2] != 8:
        return None
    flags, pos = gz[3], 10
    if flags & 4:  # FEXTRA
        pos += 2 + int.from_bytes(gz[pos:pos + 2], "little")
    for flag in (8, 16):  # FNAME, FCOMMENT: zero-terminated
        if flags & flag:
            pos = bytes(gz[pos:pos + 65536]).index(b"\0", 0) + pos + 1
    if flags & 2:  # FHCRC
        pos += 2
    return pos


def _write_zip(path: Path, members: list[tuple[str, int, int, bytes | memoryview]]) -> None:
    """A plain ZIP archive (APPNOTE 6.3: deflate, no data descriptors, no ZIP64), in order."""
    central = []
    offset = 0
    with open(path, "wb") as out:
        for name, crc, size, data in members:
            raw = name.encode("ascii")
            if max(size, len(data), offset) >= ZIP_MAX:
                raise ValueError(f"{name} is too large for an XLSX file ({size} bytes)")
            local = struct.pack("<IHHHHHIIIHH", 0x04034B50, ZIP_NEEDED, 0, ZIP_DEFLATED,
                                ZIP_DOS_TIME, ZIP_DOS_DATE, crc, len(data), size, len(raw), 0)
            out.write(local + raw)
            out.write(data)
            central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, ZIP_MADE_BY, ZIP_NEEDED,
                                       0, ZIP_DEFLATED, ZIP_DOS_TIME, ZIP_DOS_DATE, crc,
                                       len(data), size, len(raw), 0, 0, 0, 0, ZIP_EXTERNAL_ATTR,
                                       offset) + raw)
            offset += len(local) + len(raw) + len(data)
        directory = b"".join(central)
        if offset + len(directory) >= ZIP_MAX:
            raise ValueError("the workbook is too large for an XLSX file")
        out.write(directory)
        out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members),
                              len(directory), offset, 0))
