"""The vectorised XLSX writer (ramu_cli.io.xlsx): values, layout, package, bytes, size.

Values are read back with the readers people's tools use: calamine through
`pl.read_excel(engine="calamine")` and fastexcel directly. What they return,
and why:
- integers are stored as numbers (an XLSX number is a double): fastexcel gives
  Float64, `pl.read_excel` casts a column of whole numbers back to Int64;
- dates are stored as serial numbers with the "dd/mm/yyyy" format: calamine
  sees a date format and returns a datetime (fastexcel: Datetime[ms] at
  midnight); `pl.read_excel` casts a datetime column without times to Date;
- formula-looking strings come back with the leading apostrophe we add: it is
  part of the stored text (inline strings are never formulas; the quote keeps
  them inert when someone edits the cell or exports it to CSV);
- "007" is an inline string, so it stays the string "007";
- the totals row has a SUBTOTAL formula and its cached value: calamine reads
  the cached value (it does not compute formulas).
"""

from __future__ import annotations

import zipfile
from datetime import date, datetime
from pathlib import Path

import fastexcel
import polars as pl
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from lxml import etree

from ramu_cli.io import writers, xlsx, xlsx_package
from ramu_cli.io.cells import FORMULA_STARTS
from ramu_cli.io.xlsx import write_xlsx

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}

CLAIMS = pl.DataFrame({
    "provider_id": ["<script>&\"", "=1+1", "-5", "@x", "Ségou", "007", None, "+223 70"],
    "billed": pl.Series([1, None, -5, 1_227_714, 0, -1000, 7, None], dtype=pl.Int64),
    "service_date": [date(2026, 1, 31), None, date(2025, 12, 1), date(2000, 2, 29),
                     date(1999, 12, 31), date(2026, 10, 16), None, date(2024, 7, 1)],
    "paid": [True, False, None, True, False, True, None, False],
    "reasons": [["R01", "R05"], [], None, ["R13"], ["R07"], ["R01", "R02", "R03"], None, []],
})
CLAIM_HEADINGS = {"provider_id": "Code prestataire", "billed": "Montant facturé",
                  "service_date": "Date des soins", "paid": "Payé", "reasons": "Codes motifs"}
ORDERS = pl.DataFrame({"funder": ["CMSS", "INPS & Cie"], "lines": [3, 4],
                       "payable": [150_000, 2_500_000]})
ORDER_HEADINGS = {"funder": "Organisme", "lines": "Lignes", "payable": "Montant à payer"}


def _write(path: Path) -> Path:
    write_xlsx({"Lignes rejetées ou réduites": (CLAIMS, CLAIM_HEADINGS),
                "Ordres de paiement": (ORDERS, ORDER_HEADINGS)}, path,
               totals={"Lignes rejetées ou réduites": ["billed"],
                       "Ordres de paiement": ["lines", "payable"]})
    return path


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    return _write(tmp_path / "out.xlsx")


def _sheet_xml(path: Path, n: int = 1) -> etree._Element:
    with zipfile.ZipFile(path) as zf:
        return etree.fromstring(zf.read(f"xl/worksheets/sheet{n}.xml"))


def _cell(root: etree._Element, ref: str) -> etree._Element | None:
    found = root.xpath(f"//m:c[@r='{ref}']", namespaces=NS)
    return found[0] if found else None


# --- values read back --------------------------------------------------------------------

def test_calamine_reads_back_every_value(workbook: Path) -> None:
    got = pl.read_excel(workbook, sheet_name="Lignes rejetées ou réduites", engine="calamine")
    expected = pl.DataFrame({
        "Code prestataire": ["<script>&\"", "'=1+1", "'-5", "'@x", "Ségou", "007", None,
                             "'+223 70", "Total"],
        "Montant facturé": pl.Series([1, None, -5, 1_227_714, 0, -1000, 7, None, 1_226_717],
                                     dtype=pl.Int64),
        "Date des soins": [date(2026, 1, 31), None, date(2025, 12, 1), date(2000, 2, 29),
                           date(1999, 12, 31), date(2026, 10, 16), None, date(2024, 7, 1), None],
        "Payé": ["oui", "non", None, "oui", "non", "oui", None, "non", None],
        # An empty list is an empty string (as xlsxwriter wrote it), a null list no cell.
        "Codes motifs": ["R01, R05", "", None, "R13", "R07", "R01, R02, R03", None, "", None],
    })
    assert got.to_dicts() == expected.to_dicts()
    assert got.schema == expected.schema


def test_second_sheet_and_its_totals(workbook: Path) -> None:
    got = pl.read_excel(workbook, sheet_name="Ordres de paiement", engine="calamine")
    assert got.rows() == [("CMSS", 3, 150_000), ("INPS & Cie", 4, 2_500_000),
                          ("Total", 7, 2_650_000)]
    assert got.columns == ["Organisme", "Lignes", "Montant à payer"]


def test_fastexcel_raw_types(workbook: Path) -> None:
    """fastexcel, without polars' casts: numbers are floats, dates datetimes at midnight."""
    reader = fastexcel.read_excel(workbook)
    assert reader.sheet_names == ["Lignes rejetées ou réduites", "Ordres de paiement"]
    sheet = reader.load_sheet_by_name("Lignes rejetées ou réduites")
    assert [(c.name, c.dtype) for c in sheet.available_columns()] == [
        ("Code prestataire", "string"), ("Montant facturé", "float"),
        ("Date des soins", "datetime"), ("Payé", "string"), ("Codes motifs", "string")]
    df = sheet.to_polars()
    assert df["Code prestataire"].to_list()[:6] == ["<script>&\"", "'=1+1", "'-5", "'@x",
                                                    "Ségou", "007"]
    assert df["Montant facturé"].to_list() == [1.0, None, -5.0, 1_227_714.0, 0.0, -1000.0,
                                               7.0, None, 1_226_717.0]
    assert df["Date des soins"].to_list()[:3] == [datetime(2026, 1, 31), None,
                                                  datetime(2025, 12, 1)]
    totals = reader.load_sheet_by_name("Ordres de paiement").to_polars().row(-1)
    assert totals == ("Total", 7.0, 2_650_000.0)  # the cached values


def test_text_is_made_legal_and_inert(tmp_path: Path) -> None:
    texts = ["a\x00b\x01c\x08\x0b\x0c\x0e\x1fd", "\tTab", "\rCR", "x\r\ny", "ligne\nsuivante",
             "_x0041_", "  espaces  ", "=SUM(A1)", "\x01=1"]
    path = tmp_path / "t.xlsx"
    write_xlsx({"T": (pl.DataFrame({"t": texts}), {})}, path)
    got = pl.read_excel(path, engine="calamine")["t"].to_list()
    assert got == ["abcd", "'\tTab", "'\rCR", "x\r\ny", "ligne\nsuivante", "_x0041_",
                   "  espaces  ", "'=SUM(A1)", "'=1"]


def test_text_longer_than_excel_allows_is_cut(tmp_path: Path) -> None:
    path = tmp_path / "long.xlsx"
    write_xlsx({"L": (pl.DataFrame({"t": ["é" * 40_000, "=" + "a" * 32_767, "court"]}), {})},
               path)
    got = pl.read_excel(path, engine="calamine")["t"].to_list()
    assert got == ["é" * 32_767, "'=" + "a" * 32_765, "court"]


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@example(["=x", "\x00", "", " ", "\r\n", "a\u0085b\u2028c", "\ufffe\uffff"])
@given(st.lists(st.text(st.characters(exclude_categories=("Cs",)), max_size=30),
                min_size=1, max_size=8))
def test_any_text_round_trips(tmp_path: Path, texts: list[str]) -> None:
    """Whatever the text, calamine reads back the text less illegal characters, neutralised."""
    path = tmp_path / "p.xlsx"
    write_xlsx({"P": (pl.DataFrame({"t": texts}, schema={"t": pl.String}), {})}, path)
    legal = ["".join(ch for ch in t if not (ord(ch) < 32 and ch not in "\t\n\r")
                     and ch not in "\ufffe\uffff") for t in texts]
    expected = ["'" + t if t.startswith(FORMULA_STARTS) else t for t in legal]
    got = pl.read_excel(path, engine="calamine", infer_schema_length=0,
                        read_options={"header_row": None, "skip_rows": 1})
    values = got.to_series().to_list() if got.width else []
    values += [None] * (len(expected) - len(values))  # trailing empty rows are not read
    assert [v or "" for v in values] == expected


def test_datetime_is_written_as_its_day(tmp_path: Path) -> None:
    path = tmp_path / "dt.xlsx"
    write_xlsx({"D": (pl.DataFrame({"at": [datetime(2026, 3, 4, 15, 30)]}), {})}, path)
    assert pl.read_excel(path, engine="calamine")["at"].to_list() == [date(2026, 3, 4)]


# --- layout and XML ---------------------------------------------------------------------

def test_every_part_is_well_formed_and_in_fixed_order(workbook: Path) -> None:
    with zipfile.ZipFile(workbook) as zf:
        assert zf.testzip() is None  # every CRC checks
        infos = zf.infolist()
        assert [i.filename for i in infos] == [
            "[Content_Types].xml", "_rels/.rels", "docProps/core.xml", "docProps/app.xml",
            "xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml",
            "xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"]
        for info in infos:
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert info.external_attr == 0o100644 << 16
            etree.fromstring(zf.read(info))  # raises on any malformed part
        core = etree.fromstring(zf.read("docProps/core.xml"))
        workbook_xml = etree.fromstring(zf.read("xl/workbook.xml"))
        styles = etree.fromstring(zf.read("xl/styles.xml"))
    dc = {"dc": "http://purl.org/dc/elements/1.1/", "dcterms": "http://purl.org/dc/terms/"}
    assert core.xpath("string(dc:creator)", namespaces=dc) == "ramu-cli"
    assert core.xpath("string(dcterms:created)", namespaces=dc) == "2000-01-01T00:00:00Z"
    assert core.xpath("string(dcterms:modified)", namespaces=dc) == "2000-01-01T00:00:00Z"

    assert [s.get("name") for s in workbook_xml.xpath("//m:sheet", namespaces=NS)] == [
        "Lignes rejetées ou réduites", "Ordres de paiement"]
    names = workbook_xml.xpath("//m:definedName", namespaces=NS)
    assert [(d.get("name"), d.get("localSheetId"), d.get("hidden"), d.text) for d in names] == [
        ("_xlnm._FilterDatabase", "0", "1", "'Lignes rejetées ou réduites'!$A$1:$E$9"),
        ("_xlnm._FilterDatabase", "1", "1", "'Ordres de paiement'!$A$1:$C$3")]

    formats = {f.get("numFmtId"): f.get("formatCode")
               for f in styles.xpath("//m:numFmt", namespaces=NS)}
    xfs = styles.xpath("//m:cellXfs/m:xf", namespaces=NS)

    def number_format(cell: etree._Element) -> str | None:
        return formats.get(xfs[int(cell.get("s", 0))].get("numFmtId"))

    sheet = _sheet_xml(workbook)
    pane = sheet.xpath("//m:pane", namespaces=NS)[0]
    assert (pane.get("ySplit"), pane.get("state"), pane.get("topLeftCell")) == ("1", "frozen", "A2")
    assert sheet.xpath("//m:autoFilter/@ref", namespaces=NS) == ["A1:E9"]
    assert sheet.xpath("//m:dimension/@ref", namespaces=NS) == ["A1:E10"]
    widths = [float(c.get("width")) for c in sheet.xpath("//m:col", namespaces=NS)]
    # Characters + Excel's padding (5 px on 7-px digits): heading + 2 within 10..45,
    # integers at least 12, dates 12.
    assert widths == [18.7109375, 17.7109375, 12.7109375, 10.7109375, 14.7109375]

    header = _cell(sheet, "A1")
    header_xf = xfs[int(header.get("s"))]
    font = styles.xpath("//m:fonts/m:font", namespaces=NS)[int(header_xf.get("fontId"))]
    fill = styles.xpath("//m:fills/m:fill", namespaces=NS)[int(header_xf.get("fillId"))]
    border = styles.xpath("//m:borders/m:border", namespaces=NS)[int(header_xf.get("borderId"))]
    assert font.find("m:b", NS) is not None
    assert fill.xpath("string(.//m:fgColor/@rgb)", namespaces=NS) == "FFE8EEF4"
    assert border.xpath("string(m:left/@style)", namespaces=NS) == "thin"
    assert header_xf.find("m:alignment", NS).get("wrapText") == "1"

    amount, day = _cell(sheet, "B2"), _cell(sheet, "C2")
    assert (amount.get("t"), amount.findtext("m:v", namespaces=NS)) == (None, "1")
    assert number_format(amount) == "#,##0"
    assert day.findtext("m:v", namespaces=NS) == "46053"  # 31/01/2026 - 30/12/1899
    assert number_format(day) == "dd/mm/yyyy"
    formula = _cell(sheet, "A3")
    assert formula.get("t") == "inlineStr"
    assert formula.findtext("m:is/m:t", namespaces=NS) == "'=1+1"
    assert formula.find("m:is/m:t", NS).get("{http://www.w3.org/XML/1998/namespace}space") \
        == "preserve"
    assert _cell(sheet, "B3") is None and _cell(sheet, "C3") is None  # nulls: no cell

    total_label, total = _cell(sheet, "A10"), _cell(sheet, "B10")
    assert total_label.findtext("m:is/m:t", namespaces=NS) == "Total"
    assert total.findtext("m:f", namespaces=NS) == "SUBTOTAL(9,B2:B9)"
    assert total.findtext("m:v", namespaces=NS) == "1226717"
    for cell in (total_label, total):
        assert styles.xpath("//m:fonts/m:font", namespaces=NS)[
            int(xfs[int(cell.get("s"))].get("fontId"))].find("m:b", NS) is not None
    assert number_format(total) == "#,##0"


def test_sheet_names_are_cut_escaped_and_checked(tmp_path: Path) -> None:
    df = pl.DataFrame({"a": [1]})
    long = "Prestataires & <OGD> de la région de Koulikoro"
    path = tmp_path / "n.xlsx"
    write_xlsx({long: (df, {})}, path, totals={long: ["a"]})
    assert fastexcel.read_excel(path).sheet_names == [long[:31]]
    assert pl.read_excel(path, engine="calamine").rows() == [(1,), (1,)]  # value, total
    with pytest.raises(ValueError, match="Duplicate"):
        write_xlsx({"Feuille": (df, {}), "FEUILLE": (df, {})}, tmp_path / "d.xlsx")
    with pytest.raises(ValueError, match="Invalid"):
        write_xlsx({"a/b": (df, {})}, tmp_path / "i.xlsx")


def test_empty_frames_and_workbooks(tmp_path: Path) -> None:
    path = tmp_path / "e.xlsx"
    empty = CLAIMS.clear()
    write_xlsx({"Vide": (empty, CLAIM_HEADINGS)}, path, totals={"Vide": ["billed"]})
    got = pl.read_excel(path, engine="calamine", infer_schema_length=0)
    assert got.columns == list(CLAIM_HEADINGS.values())
    assert got.rows() == [("Total", "0", None, None, None)]
    write_xlsx({}, tmp_path / "none.xlsx")
    assert fastexcel.read_excel(tmp_path / "none.xlsx").sheet_names == ["Sheet1"]


def test_formula_starts_are_fixed() -> None:
    assert not hasattr(writers, "write_xlsx")  # one writer module each: no import cycle
    assert FORMULA_STARTS == ("=", "+", "-", "@", "\t", "\r")


# --- bytes --------------------------------------------------------------------------------

def test_same_frames_give_identical_bytes(tmp_path: Path) -> None:
    first = _write(tmp_path / "a.xlsx").read_bytes()
    # No clock in the file: member times and document times are fixed (checked above).
    assert _write(tmp_path / "b.xlsx").read_bytes() == first
    write_xlsx({"Autre": (ORDERS, ORDER_HEADINGS)}, tmp_path / "c.xlsx")
    assert (tmp_path / "c.xlsx").read_bytes() != first


# --- size ---------------------------------------------------------------------------------

def _big_frame(rows: int, columns: int) -> pl.DataFrame:
    """A rejection-like frame built without Python loops over rows."""
    i = pl.int_range(rows, dtype=pl.Int64)
    kinds = [
        lambda: pl.format("PR-{}", (i * 7919 % 99_991).cast(pl.String).str.zfill(5)),
        lambda: i * 1_337 % 2_000_000 - 500_000,
        lambda: (pl.lit(date(2025, 1, 1)) + pl.duration(days=i % 365)),
        lambda: pl.concat_list(pl.format("R{}", (i % 13).cast(pl.String).str.zfill(2)),
                               pl.lit("R07")),
        lambda: pl.when(i % 5 == 0).then(pl.lit("=1+1 & <Ségou>"))
        .otherwise(pl.lit("Centre de santé communautaire de Bamako")),
        lambda: pl.when(i % 11 == 0).then(None).otherwise(i % 3 == 0),
    ]
    return pl.select([kinds[j % len(kinds)]().alias(f"col{j}") for j in range(columns)])


def test_200k_rows_by_20_columns_make_a_sound_archive(tmp_path: Path) -> None:
    """The largest sheet the tool writes (XLSX samples stop at 200,000 lines). How fast
    is measured by benchmarks/bench_xlsx.py, never here: a shared machine's clock varies."""
    df = _big_frame(200_000, 20)
    path = tmp_path / "big.xlsx"
    write_xlsx({"Rejets": (df, {})}, path, totals={"Rejets": ["col1", "col7"]})
    # Reading 200,000 rows back would take longer than writing them: the values are
    # checked on small frames above; here only that a sound archive came out.
    with zipfile.ZipFile(path) as zf:
        sheet = zf.getinfo("xl/worksheets/sheet1.xml")
        assert sheet.file_size > 200_000 * 20 * 20 > sheet.compress_size


def test_bytes_do_not_depend_on_the_number_of_cores(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """Sheets are built and deflated in fixed pieces on every core; they join into one stream."""
    monkeypatch.setattr(xlsx, "CELLS_PER_PIECE", 10)  # 2 rows per piece: 4 pieces
    outputs = []
    for cores in (1, 3, 8):
        monkeypatch.setattr(xlsx_package.os, "cpu_count", lambda cores=cores: cores)
        outputs.append(_write(tmp_path / f"{cores}.xlsx").read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]
    with zipfile.ZipFile(tmp_path / "8.xlsx") as zf:
        assert zf.testzip() is None
    got = pl.read_excel(tmp_path / "8.xlsx", sheet_name="Lignes rejetées ou réduites",
                        engine="calamine")
    assert got["Code prestataire"].to_list()[:6] == ["<script>&\"", "'=1+1", "'-5", "'@x",
                                                     "Ségou", "007"]
