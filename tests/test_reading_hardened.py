"""Hostile inputs (issue 11): the contract's "Reading, for every input file" and the R14 bounds.

Each test writes real files (CSV with every line ending and encoding, XLSX
workbooks written by xlsxwriter, Parquet files with float, decimal and nested
columns) and reads them with `scan_table` or the real command. Expected values
are written by hand from the rulebook:
- a default line (liq_helpers.line) is B100 (CMSS) at P-CSCOM, CONS x 1 at
  1 000 FCFA on 05/10/2026: tariff 1 000, rate 70 % -> PAID, payable 700,
  copay 300.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import xlsxwriter
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import write_batch_folder
from liq_helpers import (
    BENEFICIARY_COLUMNS,
    DEFAULT_BENEFICIARIES,
    DEFAULT_PROVIDERS,
    INVOICE_COLUMNS,
    PROVIDER_COLUMNS,
    check_invariants,
    explain,
    invoke,
    line,
    liquidate_args,
    run_ok,
)
from ramu_cli import contract
from ramu_cli.errors import InputError
from ramu_cli.io import csv_sniff
from ramu_cli.io.readers import scan_table

# invoice_id … emergency, in the contract's order (a version 1 file: without the optional authorization_id)
INV_HEADER = [n for n in contract.INVOICES.names if n != "authorization_id"]
OK = dict(invoice_id="F001", line_no="1", provider_id="007", beneficiary_id="0000123", ogd="CMSS",
          service_date="2026-10-01", submission_date="2026-10-05", act_code="CS001",
          quantity="1", unit_price="1000", referral="non", emergency="non")
COLUMNS = {"invoices": INVOICE_COLUMNS, "beneficiaries": BENEFICIARY_COLUMNS,
           "providers": PROVIDER_COLUMNS}


def typed_rows(path: Path, table: contract.Table = contract.INVOICES) -> list[dict]:
    return scan_table(path, table).typed().collect().to_dicts()


def expected_row(row_id: int, **kw) -> dict:
    """The typed form of OK (row `row_id`), with `kw` changed."""
    row = dict(row_id=row_id, invoice_id="F001", line_no=1, provider_id="007",
               beneficiary_id="0000123", ogd="CMSS", service_date=date(2026, 10, 1),
               submission_date=date(2026, 10, 5), act_code="CS001", quantity=1, unit_price=1000,
               referral=False, emergency=False, authorization_id=None, cell_fault=False)
    row.update(kw)
    return row


def write_lines(path: Path, lines: list[str], encoding: str = "utf-8", eol: str = "\r\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((eol.join(lines) + eol).encode(encoding))
    return path


def ok_line(**kw: str) -> str:
    row = {**OK, **kw}
    return ",".join(row[c] for c in INV_HEADER)


def write_batch_as(folder: Path, fmt: str, invoices: list[dict]) -> Path:
    """The default registry and `invoices` as CSV, Parquet (all text) or XLSX (all text)."""
    rows = [dict(r, invoice_id=r.get("invoice_id", f"F{i}"), line_no=r.get("line_no", 1))
            for i, r in enumerate(invoices, start=1)]
    tables = {"beneficiaries": DEFAULT_BENEFICIARIES, "providers": DEFAULT_PROVIDERS, "invoices": rows}
    if fmt == "csv":
        return write_batch_folder(folder, "utf8", columns=COLUMNS, **tables)
    scratch = folder.parent / f".scratch-{folder.name}"
    write_batch_folder(scratch, "utf8", columns=COLUMNS, **tables)
    folder.mkdir(parents=True, exist_ok=True)
    for role in tables:
        df = pl.read_csv((scratch / f"{role}.csv").read_bytes(), infer_schema=False)
        if fmt == "parquet":
            df.write_parquet(folder / f"{role}.parquet")
        else:
            write_workbook(folder / f"{role}.xlsx", {"Feuil1": df})
    return folder


def write_workbook(path: Path, sheets: dict[str, pl.DataFrame | None],
                   hidden: tuple[str, ...] = ()) -> Path:
    """A workbook as Excel writes one: text cells, sheets in order, some hidden."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(path)
    for name, df in sheets.items():
        ws = wb.add_worksheet(name)
        if df is not None:
            ws.write_row(0, 0, df.columns)
            for i, row in enumerate(df.iter_rows(), start=1):
                ws.write_row(i, 0, ["" if v is None else v for v in row])
        if name in hidden:
            ws.hide()
    # Excel cannot hide the active sheet: activate the first visible one.
    visible = [n for n in sheets if n not in hidden]
    if visible:
        wb.get_worksheet_by_name(visible[0]).activate()
    wb.close()
    return path


def invoice_frame(n: int, **kw: str) -> pl.DataFrame:
    """n invoice rows as text, invoice_id F001…, other cells from OK or `kw`."""
    return pl.DataFrame({c: [f"F{i:03d}" if c == "invoice_id" else kw.get(c, OK[c])
                             for i in range(1, n + 1)] for c in INV_HEADER})


def run_refused(args: list[object]) -> str:
    result = invoke(args)
    assert result.exit_code == 3, explain(result)
    return result.stderr


def validate_report(batch: Path, tariffs: Path) -> dict:
    result = invoke(["validate", batch, "--tariffs", tariffs, "--json"])
    return json.loads(result.stdout)


def file_status(batch: Path, tariffs: Path, role: str) -> str:
    report = validate_report(batch, tariffs)
    return next(f["status"] for f in report["files"] if f["role"] == role)


# ---------------------------------------------------------------------------
# 1. A path is never a pattern
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "parquet", "xlsx"])
@pytest.mark.parametrize("name", ["lot?", "lot*", "lot[1]"])
def test_a_folder_name_with_pattern_characters_is_read_as_written(tmp_path, tariff_factory, fmt, name):
    lots = tmp_path / "lots"
    write_batch_as(lots / "lot1", fmt, [line(), line()])  # a neighbour the pattern would match
    batch = write_batch_as(lots / name, fmt, [line(unit_price=900)])
    tariffs = tariff_factory(tmp_path / f"tarifs{name}")
    out = tmp_path / f"sorties{name}"
    df = run_ok(batch, out, tariffs, 1)
    # One line, the folder's own: 900 FCFA, tariff 1 000 -> allowed 900, 70 % -> 630.
    assert df.select("unit_price", "billed", "payable", "status").rows() == [(900, 900, 630, "PAID")]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["invoices"]["path"] == str(batch / f"invoices.{fmt}")
    assert manifest["inputs"]["invoices"]["rows"] == 1
    assert manifest["totals"]["billed"] == 900
    verified = invoke(["verify", out])
    assert verified.exit_code == 0, explain(verified)
    report = validate_report(batch, tariffs)
    assert {f["role"]: (f["status"], f["rows"]) for f in report["files"]
            if f["role"] == "invoices"} == {"invoices": ("VALID", 1)}


# ---------------------------------------------------------------------------
# 2. CSV line endings: LF, CRLF or CR alone
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "cp1252"])
def test_lf_crlf_and_cr_alone_give_identical_frames(tmp_path, encoding):
    lines = [",".join(INV_HEADER), ok_line(), ok_line(line_no="2", act_code="MÉD", unit_price="1 500")]
    frames = [typed_rows(write_lines(tmp_path / f"{k}" / "invoices.csv", lines, encoding, eol))
              for k, eol in enumerate(("\n", "\r\n", "\r"))]
    expected = [expected_row(1), expected_row(2, line_no=2, act_code="MÉD", unit_price=1500)]
    assert frames == [expected, expected, expected]


def test_cr_alone_batch_liquidates_every_line(tmp_path, tariff_dir):
    batch = write_batch_as(tmp_path / "lot", "csv", [line(), line(beneficiary_id="B101", unit_price=800)])
    for path in batch.iterdir():  # old Mac / Excel export: CR alone
        path.write_bytes(path.read_bytes().replace(b"\r\n", b"\r"))
    df = run_ok(batch, tmp_path / "out", tariff_dir, 2)
    # 1 000 -> 700; 800 (under the 1 000 tariff) -> 560. Nobody is unknown (no R01).
    assert df.select("status", "payable").rows() == [("PAID", 700), ("PAID", 560)]
    assert file_status(batch, tariff_dir, "beneficiaries") == "VALID"


# ---------------------------------------------------------------------------
# 3. Encoding: UTF-8, Windows-1252, never a mix
# ---------------------------------------------------------------------------

def test_utf8_file_with_one_windows_1252_byte_is_refused_with_its_line(tmp_path, tariff_dir):
    batch = write_batch_as(tmp_path / "lot", "csv", [line(), line()])
    path = batch / "providers.csv"
    data = path.read_bytes()
    assert "Ségou".encode() in data and "CSRéf".encode() in data  # valid UTF-8 before
    lines = data.split(b"\r\n")
    k = next(i for i, text in enumerate(lines) if b"P-EPH" in text)  # 0-based: file line k + 1
    lines[k] = lines[k].replace(b"CHU du Point G", "CHU du Point G (Bamako é)".encode("cp1252"))
    path.write_bytes(b"\r\n".join(lines))
    out = tmp_path / "out"
    message = run_refused(liquidate_args(batch, out, tariff_dir))
    assert str(path) in message and f"ligne {k + 1}" in message
    assert not out.exists()
    assert file_status(batch, tariff_dir, "providers") == "INVALID"
    with pytest.raises(InputError) as err:
        scan_table(path, contract.PROVIDERS)
    assert [(p.file, p.row, p.code) for p in err.value.problems] == [
        (str(path), k + 1, "mixed_encoding")]


def test_bom_followed_by_windows_1252_is_refused_not_a_missing_column(tmp_path):
    path = tmp_path / "invoices.csv"
    path.write_bytes(b"\xef\xbb\xbf" + "\r\n".join(
        [";".join(INV_HEADER), ok_line(act_code="ÉCHO").replace(",", ";")]).encode("cp1252"))
    with pytest.raises(InputError) as err:
        scan_table(path, contract.INVOICES)
    assert "ligne 2" in err.value.message and str(path) in err.value.message
    assert "colonne" not in err.value.message


@pytest.mark.parametrize("utf8_first", [True, False])
def test_the_mix_is_found_anywhere_in_a_large_file(tmp_path, monkeypatch, utf8_first):
    """Detection runs over the whole file in chunks: the offending byte is far beyond the first."""
    monkeypatch.setattr(csv_sniff, "SNIFF_CHUNK", 4096)  # many chunks without a huge file
    n = 20_000  # about 1.2 MB
    lines = [",".join(INV_HEADER).encode()] + [ok_line(invoice_id=f"F{i}").encode() for i in range(n)]
    early, late = 5, 15_000  # file lines 6 and 15 001
    first, second = ("é".encode(), "é".encode("cp1252")) if utf8_first else ("é".encode("cp1252"), "é".encode())
    lines[early] = lines[early].replace(b"CS001", b"CS" + first)
    lines[late] = lines[late].replace(b"CS001", b"CS" + second)
    path = tmp_path / "invoices.csv"
    path.write_bytes(b"\n".join(lines) + b"\n")
    with pytest.raises(InputError) as err:
        scan_table(path, contract.INVOICES)
    # The offending byte is the first one that is not UTF-8; the message names the other line too.
    bad, other = (late + 1, early + 1) if utf8_first else (early + 1, late + 1)
    assert err.value.problems[0].row == bad
    assert f"ligne {bad}" in err.value.message and f"ligne {other}" in err.value.message


def test_a_utf8_character_cut_by_a_chunk_boundary_is_still_utf8(tmp_path, monkeypatch):
    monkeypatch.setattr(csv_sniff, "SNIFF_CHUNK", 7)
    path = write_lines(tmp_path / "invoices.csv",
                       [",".join(INV_HEADER)] + [ok_line(act_code="ÉÉÉÉÉÉÉÉÉÉÉ")] * 3, eol="\r")
    assert [r["act_code"] for r in typed_rows(path)] == ["ÉÉÉÉÉÉÉÉÉÉÉ"] * 3


def test_windows_1252_alone_and_utf8_alone_still_read(tmp_path):
    rows = [",".join(INV_HEADER), ok_line(act_code="ŒDÈME"), ok_line(line_no="2", act_code="€")]
    for encoding in ("utf-8", "cp1252"):
        got = typed_rows(write_lines(tmp_path / encoding / "invoices.csv", rows, encoding))
        assert [r["act_code"] for r in got] == ["ŒDÈME", "€"], encoding


# ---------------------------------------------------------------------------
# 4. Two columns with the same name after trimming and lower-casing
# ---------------------------------------------------------------------------

def _duplicate_column_file(tmp_path: Path, fmt: str, second: str) -> Path:
    header = [*INV_HEADER, second]
    values = [OK[c] for c in INV_HEADER] + ["9999"]
    path = tmp_path / f"invoices.{fmt}"
    if fmt == "csv":
        return write_lines(path, [",".join(header), ",".join(values)])
    if fmt == "xlsx":
        return write_workbook(path, {"Feuil1": pl.DataFrame([values], schema=[f"c{i}" for i in range(len(header))],
                                                            orient="row").rename(dict(zip(
                                                                [f"c{i}" for i in range(len(header))], header,
                                                                strict=True)))})
    table = pa.table([pa.array([v]) for v in values], names=header)
    pq.write_table(table, path)
    return path


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
@pytest.mark.parametrize("second", ["UNIT_PRICE", " Unit_Price ", "unit_price"])
def test_two_columns_with_one_name_are_refused_naming_both(tmp_path, fmt, second):
    if fmt == "xlsx" and second == "unit_price":
        pytest.skip("the same name twice is covered by CSV and Parquet; xlsxwriter writes it too, "
                    "see the next test")
    path = _duplicate_column_file(tmp_path, fmt, second)
    with pytest.raises(InputError) as err:
        scan_table(path, contract.INVOICES)
    assert str(path) in err.value.message
    assert "« unit_price »" in err.value.message and f"« {second.strip()} »" in err.value.message
    assert {p.code for p in err.value.problems} == {"duplicate_column"}


def test_xlsx_same_name_twice_is_refused(tmp_path):
    path = tmp_path / "invoices.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet()
    ws.write_row(0, 0, [*INV_HEADER, "quantity"])
    ws.write_row(1, 0, [OK[c] for c in INV_HEADER] + ["5"])
    wb.close()
    with pytest.raises(InputError) as err:
        scan_table(path, contract.INVOICES)
    assert "« quantity »" in err.value.message


def test_duplicate_columns_make_validate_invalid(tmp_path, tariff_dir):
    batch = write_batch_as(tmp_path / "lot", "csv", [line()])
    path = batch / "beneficiaries.csv"
    text = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join([text[0] + ",OGD"] + [t + ",INPS" for t in text[1:]]) + "\n",
                    encoding="utf-8")
    assert file_status(batch, tariff_dir, "beneficiaries") == "INVALID"
    message = run_refused(liquidate_args(batch, tmp_path / "out", tariff_dir))
    assert "« ogd »" in message and "« OGD »" in message


# ---------------------------------------------------------------------------
# 5. XLSX: which sheet holds the data
# ---------------------------------------------------------------------------

def test_hidden_first_sheet_is_never_read(tmp_path):
    path = write_workbook(tmp_path / "invoices.xlsx",
                          {"Ancien": invoice_frame(5, unit_price="1"), "Feuil2": invoice_frame(2)},
                          hidden=("Ancien",))
    assert typed_rows(path) == [expected_row(1, invoice_id="F001"), expected_row(2, invoice_id="F002")]


def test_a_hidden_sheet_named_after_the_role_is_not_read(tmp_path):
    path = write_workbook(tmp_path / "invoices.xlsx",
                          {"invoices": invoice_frame(5, unit_price="1"), "Saisie": invoice_frame(1)},
                          hidden=("invoices",))
    assert typed_rows(path) == [expected_row(1)]


@pytest.mark.parametrize("sheet", ["invoices", "Factures", " FACTURES "])
def test_the_sheet_named_after_the_role_is_read(tmp_path, sheet):
    path = write_workbook(tmp_path / "invoices.xlsx",
                          {"Notes": invoice_frame(3, unit_price="1"), sheet: invoice_frame(1),
                           "Brouillon": invoice_frame(2, unit_price="2")})
    assert typed_rows(path) == [expected_row(1)]


def test_french_role_names_with_and_without_accent(tmp_path):
    ben = pl.DataFrame({"beneficiary_id": ["B1"], "principal_id": ["B1"], "relationship": ["PRINCIPAL"],
                        "ogd": ["CMSS"], "sex": ["F"], "birth_date": ["1990-01-01"],
                        "rights_start": ["2020-01-01"]})
    for sheet in ("Bénéficiaires", "beneficiaires"):
        path = write_workbook(tmp_path / sheet / "beneficiaries.xlsx",
                              {"Autre": ben.with_columns(beneficiary_id=pl.lit("X")), sheet: ben})
        assert [r["beneficiary_id"] for r in typed_rows(path, contract.BENEFICIARIES)] == ["B1"]


def test_an_empty_visible_sheet_does_not_count(tmp_path):
    path = write_workbook(tmp_path / "invoices.xlsx", {"Feuil1": None, "Saisie": invoice_frame(1),
                                                       "Feuil3": None})
    assert typed_rows(path) == [expected_row(1)]


def test_two_visible_data_sheets_and_none_named_is_refused_listing_them(tmp_path, tariff_dir):
    batch = write_batch_as(tmp_path / "lot", "csv", [line()])
    (batch / "invoices.csv").unlink()
    path = write_workbook(batch / "invoices.xlsx", {"Octobre": invoice_frame(1), "Novembre": invoice_frame(2),
                                                    "Cachée": invoice_frame(1)}, hidden=("Cachée",))
    with pytest.raises(InputError) as err:
        scan_table(path, contract.INVOICES)
    message = err.value.message
    assert str(path) in message and "« Octobre »" in message and "« Novembre »" in message
    assert "Cachée" not in message
    assert "« invoices »" in message and "« factures »" in message  # says how to fix it
    assert [p.code for p in err.value.problems] == ["ambiguous_sheet"]
    assert file_status(batch, tariff_dir, "invoices") == "INVALID"
    run_refused(liquidate_args(batch, tmp_path / "out", tariff_dir))


# ---------------------------------------------------------------------------
# 6. Parquet: integers stored as float or decimal
# ---------------------------------------------------------------------------

def _parquet(path: Path, **columns: pa.Array) -> Path:
    values = {c: pa.array([OK[c], OK[c]]) for c in INV_HEADER}
    values["invoice_id"] = pa.array(["F001", "F002"])
    values.update(columns)
    pq.write_table(pa.table(values), path)
    return path


def test_whole_floats_and_decimals_are_read_as_integers(tmp_path):
    path = _parquet(tmp_path / "invoices.parquet",
                    line_no=pa.array([1.0, 2.0]),
                    quantity=pa.array([Decimal("2.00"), Decimal("3")], pa.decimal128(10, 2)),
                    unit_price=pa.array([1500.0, 1_227_714.0], pa.float32()),
                    beneficiary_id=pa.array([123.0, 4567.0]))
    assert typed_rows(path) == [
        expected_row(1, invoice_id="F001", quantity=2, unit_price=1500, beneficiary_id="123"),
        expected_row(2, invoice_id="F002", line_no=2, quantity=3, unit_price=1_227_714,
                     beneficiary_id="4567")]


def test_nan_in_a_float_column_is_an_empty_cell(tmp_path):
    path = _parquet(tmp_path / "invoices.parquet", quantity=pa.array([2.0, float("nan")]))
    rows = typed_rows(path)
    assert [(r["quantity"], r["cell_fault"]) for r in rows] == [(2, False), (None, True)]


@pytest.mark.parametrize("column, array, value", [
    ("unit_price", pa.array([1500.0, 1500.5]), "1500.5"),
    ("quantity", pa.array([Decimal("1.00"), Decimal("2.50")], pa.decimal128(6, 2)), "2.50"),
    ("line_no", pa.array([1.0, float("inf")]), "inf"),
])
def test_a_fraction_makes_the_file_unusable_naming_the_column(tmp_path, column, array, value):
    path = _parquet(tmp_path / "invoices.parquet", **{column: array})
    with pytest.raises(InputError) as err:
        scan_table(path, contract.INVOICES)
    assert str(path) in err.value.message and f"« {column} »" in err.value.message
    assert value in err.value.message
    assert [(p.column, p.row, p.code) for p in err.value.problems] == [(column, 2, "fractional_number")]


@pytest.mark.parametrize("column, array", [
    ("quantity", pa.array([[1], [2]])),
    ("act_code", pa.array([{"code": "CS001"}, {"code": "CS002"}])),
])
def test_a_nested_type_makes_the_file_unusable(tmp_path, column, array):
    path = _parquet(tmp_path / "invoices.parquet", **{column: array})
    with pytest.raises(InputError) as err:
        scan_table(path, contract.INVOICES)
    assert f"« {column} »" in err.value.message
    assert [(p.column, p.code) for p in err.value.problems] == [(column, "nested_type")]


def test_float_batch_liquidates_like_an_integer_one_and_validates(tmp_path, tariff_dir):
    batch = write_batch_as(tmp_path / "lot", "parquet", [line(), line(beneficiary_id="B101", unit_price=800)])
    path = batch / "invoices.parquet"
    df = pl.read_parquet(path).with_columns(pl.col("line_no", "quantity", "unit_price").cast(pl.Float64))
    df.write_parquet(path)
    out = run_ok(batch, tmp_path / "out", tariff_dir, 2)
    assert out.select("status", "billed", "payable").rows() == [("PAID", 1000, 700), ("PAID", 800, 560)]
    assert file_status(batch, tariff_dir, "invoices") == "VALID"
    df.with_columns(pl.Series("unit_price", [1000.0, 800.25])).write_parquet(path)
    assert file_status(batch, tariff_dir, "invoices") == "INVALID"
    message = run_refused(liquidate_args(batch, tmp_path / "out2", tariff_dir))
    assert "« unit_price »" in message and str(path) in message


# ---------------------------------------------------------------------------
# 7. R14 bounds: quantity 1..100 000, unit_price 0..1 000 000 000; no overflow
# ---------------------------------------------------------------------------

def test_bounds_of_quantity_and_unit_price(tmp_path):
    lines = [",".join(INV_HEADER),
             ok_line(quantity="100000", unit_price="1000000000"),
             ok_line(line_no="2", quantity="100001"),
             ok_line(line_no="3", unit_price="1000000001"),
             ok_line(line_no="4", unit_price="0")]
    scan = scan_table(write_lines(tmp_path / "invoices.csv", lines), contract.INVOICES)
    rows = scan.typed().collect().select("row_id", "quantity", "unit_price", "cell_fault").rows()
    assert rows == [(1, 100_000, 1_000_000_000, False), (2, 100_001, 1000, True),
                    (3, 1, 1_000_000_001, True), (4, 1, 0, False)]
    problems = scan.problems().collect().select("row_id", "column").rows()
    assert problems == [(2, "quantity"), (3, "unit_price")]


def test_huge_unit_prices_are_r14_with_billed_0_and_totals_do_not_wrap(tmp_path, tariff_dir):
    huge = 4_611_686_018_427_387_904  # 2^62: two of them wrapped the month's total
    top = 2**63 - 1
    invoices = [line(),                                              # PAID 1 000 -> 700
                line(unit_price=huge), line(unit_price=huge),
                line(unit_price=top), line(quantity=2, unit_price=top),
                line(quantity=100_001),
                line(beneficiary_id="B101", unit_price=1_000_000_000)]  # A01: 1e9 -> tariff 1 000
    batch = write_batch_as(tmp_path / "lot", "csv", invoices)
    out = tmp_path / "out"
    df = run_ok(batch, out, tariff_dir, 7)
    got = df.select("unit_price", "status", "reasons", "billed", "payable", "disallowed").rows()
    assert got == [
        (1000, "PAID", [], 1000, 700, 0),
        (huge, "REJECTED", ["R14"], 0, 0, 0),
        (huge, "REJECTED", ["R14"], 0, 0, 0),
        (top, "REJECTED", ["R14"], 0, 0, 0),
        (top, "REJECTED", ["R14"], 0, 0, 0),
        (1000, "REJECTED", ["R14"], 0, 0, 0),
        (1_000_000_000, "REDUCED", ["A01"], 1_000_000_000, 700, 999_999_000),
    ]
    totals = json.loads((out / "manifest.json").read_text(encoding="utf-8"))["totals"]
    assert (totals["billed"], totals["payable"], totals["rejected"]) == (1_000_001_000, 1400, 5)
    verified = invoke(["verify", out])
    assert verified.exit_code == 0, explain(verified)
    check_invariants(df, 7)


# Pieces of a line: ASCII, a UTF-8 "é" (2 bytes), a UTF-8 "€" (3 bytes), a Windows-1252 "é".
PIECES = [b"a", b";", "é".encode(), "€".encode(), "é".encode("cp1252")]


def _reference(data: bytes) -> tuple[int | None, int | None]:
    """(line of the first non-UTF-8 byte, line of the first UTF-8 character), from the whole
    file decoded at once and lines counted with str.splitlines."""
    text = data.decode("utf-8", "surrogateescape")
    bad = next((i for i, ch in enumerate(text) if "\udc80" <= ch <= "\udcff"), None)
    good = next((i for i, ch in enumerate(text) if ord(ch) > 127 and not "\udc80" <= ch <= "\udcff"),
                None)

    def line(i: int | None) -> int | None:
        return None if i is None else len((text[:i] + "x").splitlines())

    return line(bad), line(good)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.lists(st.sampled_from(PIECES), max_size=6), min_size=1, max_size=12),
       eol=st.sampled_from([b"\n", b"\r\n", b"\r"]), chunk=st.integers(1, 9))
def test_chunked_detection_agrees_with_decoding_the_whole_file(tmp_path, monkeypatch, lines, eol, chunk):
    monkeypatch.setattr(csv_sniff, "SNIFF_CHUNK", chunk)
    data = eol.join(b"".join(pieces) for pieces in lines)
    path = tmp_path / "t.csv"
    path.write_bytes(data)
    bad, good = _reference(data)
    if bad is not None and good is not None:
        with pytest.raises(InputError) as err:
            csv_sniff.sniff_csv(path)
        assert err.value.problems[0].row == bad
        assert f"ligne {bad} " in err.value.message
        assert f"(ligne {good})" in err.value.message  # no BOM among the pieces
    else:
        expected = "cp1252" if bad is not None else "utf-8"
        assert csv_sniff.sniff_csv(path).encoding == expected


@pytest.mark.parametrize("name", ["registre?", "registre[1]", "registre*"])
def test_a_ledger_folder_name_with_pattern_characters(tmp_path, tariff_dir, name):
    """liquidate --ledger, commit and the next month's R13 through a ledger named like a pattern."""
    (tmp_path / "registre1").mkdir()  # a neighbour the pattern would match, left empty
    ledger = tmp_path / name
    ledger.mkdir()
    october = write_batch_as(tmp_path / "oct[1]", "csv", [line()])
    out10 = tmp_path / "sorties[10]"
    run_ok(october, out10, tariff_dir, 1, extra=["--ledger", ledger])
    committed = invoke(["commit", out10, "--ledger", ledger])
    assert committed.exit_code == 0, explain(committed)
    assert len(list(ledger.glob("*.parquet"))) == 1 and not any((tmp_path / "registre1").iterdir())
    # The same line sent again in November: already paid (R13), billed 1 000, nothing to pay.
    november = write_batch_as(tmp_path / "nov[1]", "csv", [line(submission_date=date(2026, 11, 3))])
    df = run_ok(november, tmp_path / "sorties[11]", tariff_dir, 1, month="2026-11",
                extra=["--ledger", ledger])
    assert df.select("status", "reasons", "billed", "payable").rows() == [("REJECTED", ["R13"], 1000, 0)]
