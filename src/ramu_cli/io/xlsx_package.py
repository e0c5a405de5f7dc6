"""The XLSX package around the worksheets: its small XML parts and the ZIP container.

`io/xlsx.py` builds each worksheet's XML with polars; this module writes what
every workbook needs besides (content types, relationships, document
properties, workbook, styles) and the ZIP archive itself, with fixed times and
attributes so the same sheets always give the same bytes.
"""

from __future__ import annotations

import os
import re
import struct
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import polars as pl

MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
XML_ILLEGAL_PY = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
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


def escape_attr(text: str) -> str:
    """Legal XML text or attribute value (sheet names in workbook.xml, app.xml)."""
    text = XML_ILLEGAL_PY.sub("", text)
    for old, new in zip(*XML_TEXT_ESCAPES, strict=True):
        text = text.replace(old, new)
    return text


# --- package parts ---------------------------------------------------------------------------

def content_types_part(n_sheets: int) -> bytes:
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


def root_rels_part() -> bytes:
    rel = "http://schemas.openxmlformats.org"
    return (XML_DECL + f'<Relationships xmlns="{PKG_REL_NS}">'
            f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
            f'<Relationship Id="rId2" Type="{rel}/package/2006/relationships/metadata/'
            'core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{REL_NS}/extended-properties" '
            'Target="docProps/app.xml"/>'
            "</Relationships>").encode()


def core_part(created: str) -> bytes:
    return (XML_DECL + '<cp:coreProperties '
            'xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            "<dc:creator>ramu-cli</dc:creator><cp:lastModifiedBy>ramu-cli</cp:lastModifiedBy>"
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{created}</dcterms:modified>'
            "</cp:coreProperties>").encode()


def app_part(names: list[str]) -> bytes:
    titles = "".join(f"<vt:lpstr>{escape_attr(n)}</vt:lpstr>" for n in names)
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


def workbook_part(names: list[str], filters: list[str | None]) -> bytes:
    sheets = "".join(f'<sheet name="{escape_attr(n)}" sheetId="{i}" r:id="rId{i}"/>'
                     for i, n in enumerate(names, start=1))
    defined = "".join(
        f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
        f"{escape_attr(_quote_sheet(n))}!{_absolute(ref)}</definedName>"
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


def workbook_rels_part(n_sheets: int) -> bytes:
    rels = "".join(f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" '
                   f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, n_sheets + 1))
    return (XML_DECL + f'<Relationships xmlns="{PKG_REL_NS}">{rels}'
            f'<Relationship Id="rId{n_sheets + 1}" Type="{REL_NS}/styles" Target="styles.xml"/>'
            "</Relationships>").encode()


def styles_part(with_editable: bool = False) -> bytes:
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

def deflate_bytes(data: bytes) -> tuple[int, int, list[bytes]]:
    """CRC-32, size and raw DEFLATE stream of a small part."""
    packer = zlib.compressobj(DEFLATE_LEVEL, zlib.DEFLATED, -15)
    return zlib.crc32(data), len(data), [packer.compress(data) + packer.flush()]


def deflate_sheet(head: bytes, pieces: list[pl.LazyFrame], tail: bytes
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
        return deflate_bytes(head + tail)
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


def write_zip(path: Path, members: list[tuple[str, int, int, list[bytes]]]) -> None:
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
