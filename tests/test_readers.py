"""Reading the contract's tables (data-contract.md, "Formats"; docs/decisions.md, "Reading inputs").

Every test writes a real file to tmp_path, reads it back with `scan_table`, and
compares the typed values with values written out by hand here.
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from typer.testing import CliRunner

from ramu_cli import contract
from ramu_cli.cli import app
from ramu_cli.errors import InputError, Problem
from ramu_cli.io.readers import TableScan, find_input, scan_batch_table, scan_table

# invoice_id … emergency, in the contract's order (without the optional authorization_id)
INV_HEADER = [n for n in contract.INVOICES.names if n != "authorization_id"]
ILLISIBLE = "valeur illisible"
HORS_LIMITES = "valeur hors limites"
MANQUANTE = "valeur manquante"


def write_text(path: Path, lines: list[str], encoding: str = "utf-8", eol: str = "\r\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((eol.join(lines) + eol).encode(encoding))
    return path


def read(path: Path, table: contract.Table = contract.INVOICES) -> tuple[list[dict], list[tuple]]:
    """(typed rows as dicts, problems as (row_id, column, value, message) tuples)."""
    scan = scan_table(path, table)
    typed = scan.typed().collect().to_dicts()
    problems = [tuple(r.values()) for r in scan.problems().collect().iter_rows(named=True)]
    return typed, problems


def inv(row_id: int, invoice_id="F001", line_no=1, provider_id="007", beneficiary_id="0000123",
        ogd="CMSS", service_date=date(2026, 10, 1), submission_date=date(2026, 10, 5),
        act_code="CS001", quantity=1, unit_price=1000, referral=False, emergency=False,
        cell_fault=False) -> dict:
    """An expected typed invoice row."""
    return dict(row_id=row_id, invoice_id=invoice_id, line_no=line_no, provider_id=provider_id,
                beneficiary_id=beneficiary_id, ogd=ogd, service_date=service_date,
                submission_date=submission_date, act_code=act_code, quantity=quantity,
                unit_price=unit_price, referral=referral, emergency=emergency,
                authorization_id=None, cell_fault=cell_fault)


# ---------------------------------------------------------------------------
# CSV dialects
# ---------------------------------------------------------------------------

def test_utf8_comma(tmp_path):
    path = write_text(tmp_path / "invoices.csv", [
        ",".join(INV_HEADER),
        "F001,1,007,0000123,cmss,2026-10-01,2026-10-05,CS001,2,1500,true,false",
        "F001,2,007,0000123,CMSS,2026-10-01,2026-10-05,MED017,3,425,,",
        "F002,1,0042,0000999,Anam,2026-10-03,2026-10-20,LAB002,1,0,false,true",
    ])
    typed, problems = read(path)
    assert problems == []
    assert typed == [
        inv(1, quantity=2, unit_price=1500, referral=True),
        inv(2, line_no=2, act_code="MED017", quantity=3, unit_price=425),
        inv(3, invoice_id="F002", provider_id="0042", beneficiary_id="0000999", ogd="ANAM",
            service_date=date(2026, 10, 3), submission_date=date(2026, 10, 20),
            act_code="LAB002", unit_price=0, emergency=True),
    ]


def test_utf8_bom_semicolon(tmp_path):
    path = tmp_path / "invoices.csv"
    write_text(path, [
        ";".join(INV_HEADER),
        "F001;1;007;0000123;INPS;2026-10-01;2026-10-05;CS001;1;1000;non;non",
        "F001;2;007;0000123;INPS;2026-10-01;2026-10-05;MED017;2;250;oui;non",
    ], encoding="utf-8-sig")
    assert path.read_bytes()[:3] == b"\xef\xbb\xbf"
    typed, problems = read(path)
    assert problems == []
    assert typed == [
        inv(1, ogd="INPS"),
        inv(2, line_no=2, ogd="INPS", act_code="MED017", quantity=2, unit_price=250, referral=True),
    ]


@pytest.mark.parametrize("encoding, name, region", [
    # ’ (0x92) and œ (0x9c) exist only in Windows-1252, not in latin-1.
    ("cp1252", "Clinique Cœur d’Or de Ségou", "Ségou"),
    ("latin-1", "CSRéf de Ségou", "Ségou"),
])
def test_windows_1252_and_latin1_semicolon(tmp_path, encoding, name, region):
    path = write_text(tmp_path / "providers.csv", [
        "provider_id;name;level;region;convention_start;convention_end;bank_code;account_number",
        f"0310;{name};csref;{region};22/10/2020;;ML079;014517045578",
        "0311;Pharmacie de Kayes;PHARMACY;Kayes;2021-01-01;31/12/2027;ML001;025673635434",
    ], encoding=encoding)
    with pytest.raises(UnicodeDecodeError):  # really not UTF-8
        path.read_bytes().decode("utf-8")
    typed, problems = read(path, contract.PROVIDERS)
    assert problems == []
    assert typed == [
        dict(row_id=1, provider_id="0310", name=name, level="CSREF", region=region,
             convention_start=date(2020, 10, 22), convention_end=None, bank_code="ML079",
             account_number="014517045578", cell_fault=False),
        dict(row_id=2, provider_id="0311", name="Pharmacie de Kayes", level="PHARMACY",
             region="Kayes", convention_start=date(2021, 1, 1), convention_end=date(2027, 12, 31),
             bank_code="ML001", account_number="025673635434", cell_fault=False),
    ]


def test_windows_1252_with_a_byte_it_leaves_undefined(tmp_path):
    """decisions.md: Windows-1252, with latin-1 only for its five undefined bytes."""
    path = tmp_path / "providers.csv"
    path.write_bytes(
        "provider_id;name;level;region;convention_start;convention_end;bank_code;account_number\r\n"
        "0310;Clinique Cœur d’Or;CSREF;Ségou;22/10/2020;;ML079;0145\r\n".encode("cp1252")
        + b"0311;Pharmacie \x81;PHARMACY;Kayes;2021-01-01;;ML001;0256\r\n")
    typed, problems = read(path, contract.PROVIDERS)
    assert problems == []
    assert [(r["name"], r["region"]) for r in typed] == [("Clinique Cœur d’Or", "Ségou"),
                                                         ("Pharmacie \u0081", "Kayes")]


def test_latin1_file_whose_last_byte_is_an_accent(tmp_path):
    """A latin-1 "é" as the very last byte (no final newline) is not a cut UTF-8 sequence."""
    path = tmp_path / "providers.csv"
    path.write_bytes(
        "provider_id;level;convention_start;bank_code;account_number;region;name\r\n"
        "0310;CSREF;22/10/2020;ML079;0145;Kayes;CSRéf de Kéniéba\r\n"
        "0311;CSCOM;22/10/2020;ML079;0146;Ségou;CSCOM de Ségou Santé".encode("latin-1"))
    assert path.read_bytes()[-1:] == b"\xe9"
    typed, problems = read(path, contract.PROVIDERS)
    assert problems == []
    assert [(r["name"], r["region"]) for r in typed] == [("CSRéf de Kéniéba", "Kayes"),
                                                         ("CSCOM de Ségou Santé", "Ségou")]


def test_both_date_formats_in_one_file(tmp_path):
    path = write_text(tmp_path / "invoices.csv", [
        ";".join(INV_HEADER),
        "F001;1;007;0000123;CMSS;2026-10-01;05/10/2026;CS001;1;1000;;",
        "F001;2;007;0000123;CMSS;31/10/2026;2026-11-02;CS001;1;1000;;",
        "F001;3;007;0000123;CMSS;29/02/2024;2024-12-31;CS001;1;1000;;",
    ])
    typed, problems = read(path)
    assert problems == []
    assert [(r["service_date"], r["submission_date"]) for r in typed] == [
        (date(2026, 10, 1), date(2026, 10, 5)),
        (date(2026, 10, 31), date(2026, 11, 2)),
        (date(2024, 2, 29), date(2024, 12, 31)),
    ]


def test_booleans_every_spelling_and_empty_is_false(tmp_path):
    cells = [("true", "FALSE"), ("True", "false"), ("1", "0"), ("oui", "non"), ("OUI", "Non"),
             ("O", "N"), ("o", "n"), ("", "")]
    lines = ["beneficiary_id;principal_id;relationship;ogd;sex;birth_date;student;disabled;"
             "rights_start;rights_end"]
    for i, (student, disabled) in enumerate(cells, start=1):
        lines.append(f"00{i};00{i};PRINCIPAL;CMSS;F;1990-01-0{i};{student};{disabled};"
                     f"01/01/2025;")
    typed, problems = read(write_text(tmp_path / "beneficiaries.csv", lines), contract.BENEFICIARIES)
    assert problems == []
    assert [(r["student"], r["disabled"]) for r in typed] == [(True, False)] * 7 + [(False, False)]
    assert typed[0] == dict(row_id=1, beneficiary_id="001", principal_id="001",
                            relationship="PRINCIPAL", ogd="CMSS", sex="F",
                            birth_date=date(1990, 1, 1), student=True, disabled=False,
                            rights_start=date(2025, 1, 1), rights_end=None, cell_fault=False)
    # Invoices: the same words in referral / emergency.
    path = write_text(tmp_path / "invoices.csv", [
        ";".join(INV_HEADER),
        "F1;1;P;B;CMSS;2026-10-01;2026-10-05;A;1;10;OUI;n",
        "F1;2;P;B;CMSS;2026-10-01;2026-10-05;A;1;10;0;Oui",
        "F1;3;P;B;CMSS;2026-10-01;2026-10-05;A;1;10;;TRUE",
    ])
    typed, problems = read(path)
    assert problems == []
    assert [(r["referral"], r["emergency"]) for r in typed] == [(True, False), (False, True),
                                                               (False, True)]


@pytest.mark.parametrize("written, expected", [
    ("1 000", 1000),
    ("1\u00a0000", 1000),        # no-break space
    ("1\u202f000", 1000),        # narrow no-break space
    ("1.000", 1000),
    ("1.227.714", 1_227_714),
    ("12 345 678", 12_345_678),
    ("1000", 1000),
])
def test_thousands_separators(tmp_path, written, expected):
    path = write_text(tmp_path / "invoices.csv", [
        ";".join(INV_HEADER),
        f"F001;1;007;0000123;CMSS;2026-10-01;2026-10-05;CS001;1;{written};;",
    ])
    typed, problems = read(path)
    assert problems == []
    assert typed == [inv(1, unit_price=expected)]
    assert isinstance(typed[0]["unit_price"], int)


def test_header_names_trimmed_and_case_insensitive(tmp_path):
    header = ["Invoice_ID", " LINE_NO", "provider_id ", "Beneficiary_Id", "OGD", "service_date",
              "Submission_Date", "  Act_Code ", "Quantity", "unit_price", "Referral", "EMERGENCY",
              "commentaire"]
    path = write_text(tmp_path / "invoices.csv", [
        ",".join(header),
        "F001,1,007,0000123,CMSS,2026-10-01,2026-10-05,CS001,1,1000,oui,non,colonne en trop",
    ])
    typed, problems = read(path)
    assert problems == []
    assert typed == [inv(1, referral=True)]


def test_optional_columns_may_be_absent(tmp_path):
    header = [n for n in INV_HEADER if n not in ("referral", "emergency")]
    path = write_text(tmp_path / "invoices.csv", [
        ",".join(header), "F001,1,007,0000123,CMSS,2026-10-01,2026-10-05,CS001,1,1000"])
    typed, problems = read(path)
    assert problems == []
    assert typed == [inv(1)]


# ---------------------------------------------------------------------------
# XLSX and Parquet
# ---------------------------------------------------------------------------

def test_xlsx_strings_numbers_date_cells_and_date_strings(tmp_path):
    path = tmp_path / "invoices.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Factures")
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    ws.write_row(0, 0, INV_HEADER)
    # Row 1: ids as text, numbers as numbers, real date cells, booleans as words.
    ws.write_string(1, 0, "F001")
    ws.write_number(1, 1, 1)
    ws.write_string(1, 2, "007")
    ws.write_string(1, 3, "0000123")
    ws.write_string(1, 4, "cmss")
    ws.write_datetime(1, 5, datetime(2026, 10, 1), date_fmt)
    ws.write_datetime(1, 6, datetime(2026, 10, 5), date_fmt)
    ws.write_string(1, 7, "CS001")
    ws.write_number(1, 8, 2)
    ws.write_number(1, 9, 1_227_714)
    ws.write_string(1, 10, "oui")
    ws.write_string(1, 11, "N")
    # Row 2: dates as text in both formats, numbers as text with a separator.
    ws.write_row(2, 0, ["F001", "2", "007", "0000123", "INPS", "31/10/2026", "2026-11-02",
                        "MED017", "3", "1 500", "", "true"])
    wb.close()
    typed, problems = read(path)
    assert problems == []
    assert typed == [
        inv(1, quantity=2, unit_price=1_227_714, referral=True),
        inv(2, line_no=2, ogd="INPS", service_date=date(2026, 10, 31),
            submission_date=date(2026, 11, 2), act_code="MED017", quantity=3, unit_price=1500,
            emergency=True),
    ]


EXPECTED_PARQUET = [
    inv(1, quantity=2, unit_price=1500, referral=True),
    inv(2, invoice_id="0000456", line_no=2, beneficiary_id="0000999", ogd="ANAM",
        service_date=date(2026, 10, 31), submission_date=date(2026, 11, 2), act_code="MED017",
        quantity=3, unit_price=1_227_714, emergency=True),
]


def test_parquet_native_types(tmp_path):
    path = tmp_path / "invoices.parquet"
    pl.DataFrame({
        "invoice_id": ["F001", "0000456"], "line_no": [1, 2], "provider_id": ["007", "007"],
        "beneficiary_id": ["0000123", "0000999"], "ogd": ["CMSS", "anam"],
        "service_date": [date(2026, 10, 1), date(2026, 10, 31)],
        "submission_date": [date(2026, 10, 5), date(2026, 11, 2)],
        "act_code": ["CS001", "MED017"], "quantity": [2, 3], "unit_price": [1500, 1_227_714],
        "referral": [True, None], "emergency": [False, True],
    }, schema_overrides={"line_no": pl.Int64, "quantity": pl.Int32, "unit_price": pl.Int64,
                         "referral": pl.Boolean}).write_parquet(path)
    scan = scan_table(path, contract.INVOICES)
    assert {"line_no", "quantity", "unit_price", "service_date", "submission_date",
            "referral", "emergency"} <= scan.native
    typed, problems = read(path)
    assert problems == []
    assert typed == EXPECTED_PARQUET


def test_parquet_all_strings_gives_same_values(tmp_path):
    path = tmp_path / "invoices.parquet"
    pl.DataFrame({
        "invoice_id": ["F001", "0000456"], "line_no": ["1", "2"], "provider_id": ["007", "007"],
        "beneficiary_id": ["0000123", "0000999"], "ogd": ["CMSS", "anam"],
        "service_date": ["2026-10-01", "31/10/2026"], "submission_date": ["05/10/2026", "2026-11-02"],
        "act_code": ["CS001", "MED017"], "quantity": ["2", "3"], "unit_price": ["1500", "1.227.714"],
        "referral": ["oui", ""], "emergency": ["false", "O"],
    }).write_parquet(path)
    assert scan_table(path, contract.INVOICES).native == frozenset()
    typed, problems = read(path)
    assert problems == []
    assert typed == EXPECTED_PARQUET


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "parquet"])
def test_leading_zeros_kept(tmp_path, fmt):
    ids = {"invoice_id": "000789", "provider_id": "007", "beneficiary_id": "0000123",
           "act_code": "0042"}
    row = {"invoice_id": ids["invoice_id"], "line_no": "1", "provider_id": ids["provider_id"],
           "beneficiary_id": ids["beneficiary_id"], "ogd": "UTM", "service_date": "2026-10-01",
           "submission_date": "2026-10-05", "act_code": ids["act_code"], "quantity": "1",
           "unit_price": "0100", "referral": "", "emergency": ""}
    path = tmp_path / f"invoices.{fmt}"
    if fmt == "csv":
        write_text(path, [",".join(INV_HEADER), ",".join(row[c] for c in INV_HEADER)])
    elif fmt == "xlsx":
        wb = xlsxwriter.Workbook(path)
        ws = wb.add_worksheet()
        ws.write_row(0, 0, INV_HEADER)
        for j, c in enumerate(INV_HEADER):
            ws.write_string(1, j, row[c])
        wb.close()
    else:
        pl.DataFrame({c: [row[c]] for c in INV_HEADER}).write_parquet(path)
    typed, problems = read(path)
    assert problems == []
    assert typed == [inv(1, invoice_id="000789", act_code="0042", ogd="UTM", unit_price=100)]


# ---------------------------------------------------------------------------
# Unreadable and out-of-bounds cells: kept as rows, listed as problems
# ---------------------------------------------------------------------------

OK = dict(invoice_id="F001", line_no="1", provider_id="007", beneficiary_id="0000123", ogd="CMSS",
          service_date="2026-10-01", submission_date="2026-10-05", act_code="CS001",
          quantity="1", unit_price="1000", referral="non", emergency="non")

# (row, column, written value, expected typed value, message prefix)
BAD_CELLS = [
    (1, "unit_price", "12,5", None, ILLISIBLE),
    (2, "unit_price", "1.5", None, ILLISIBLE),
    (3, "unit_price", "1 00", None, ILLISIBLE),
    (4, "service_date", "2026-02-30", None, ILLISIBLE),
    (5, "service_date", "31/02/2026", None, ILLISIBLE),
    (6, "service_date", "2026-2-03", None, ILLISIBLE),
    (7, "ogd", "XYZ", None, ILLISIBLE),
    (8, "referral", "peut-être", None, ILLISIBLE),
    (9, "quantity", "0", 0, HORS_LIMITES),            # readable, kept, rejected R14
    (10, "unit_price", "-5", -5, HORS_LIMITES),
    (11, "invoice_id", "", None, MANQUANTE),
    (12, "line_no", "0", 0, HORS_LIMITES),
    (13, "submission_date", "1/10/2026", None, ILLISIBLE),
]


def test_unreadable_cells_are_listed_and_typed_null(tmp_path):
    lines = [";".join(INV_HEADER)]
    for _, column, value, _, _ in BAD_CELLS:
        lines.append(";".join(value if c == column else OK[c] for c in INV_HEADER))
    lines.append(";".join(OK[c] for c in INV_HEADER))  # row 14: clean
    scan = scan_table(write_text(tmp_path / "invoices.csv", lines), contract.INVOICES)
    problems = scan.problems().collect()
    assert [(r["row_id"], r["column"], r["value"]) for r in problems.iter_rows(named=True)] == [
        (row, column, value or None) for row, column, value, _, _ in BAD_CELLS]
    for r, (_, _, _, _, prefix) in zip(problems.iter_rows(named=True), BAD_CELLS, strict=True):
        assert r["message"].startswith(prefix), r
    # The exact message of two of them.
    # (R14 bounds: unit_price 0 to 1 000 000 000, quantity 1 to 100 000; no-break spaces.)
    assert problems["message"][0] == ("valeur illisible : attendu un nombre entier de francs ou "
                                      "d'unités ≥ 0 et ≤ 1\u00a0000\u00a0000\u00a0000 (sans décimales)")
    assert problems["message"][8] == ("valeur hors limites : attendu un nombre entier de francs ou "
                                      "d'unités ≥ 1 et ≤ 100\u00a0000 (sans décimales)")
    typed = scan.typed().collect()
    assert typed.height == 14
    for row, column, _, expected, _ in BAD_CELLS:
        assert typed[column][row - 1] == expected, (row, column)
        assert typed["cell_fault"][row - 1] is True
    assert typed["cell_fault"][13] is False
    # Other cells of a faulty row keep their values.
    assert typed.row(0, named=True)["act_code"] == "CS001"
    assert typed.row(6, named=True)["unit_price"] == 1000


def test_unreadable_cells_in_parquet_and_xlsx(tmp_path):
    parquet = tmp_path / "invoices.parquet"
    pl.DataFrame({**{c: [OK[c], OK[c]] for c in INV_HEADER},
                  "quantity": [0, 2], "service_date": [date(2026, 10, 1), None]},
                 schema_overrides={"quantity": pl.Int64}).write_parquet(parquet)
    _, problems = read(parquet)
    assert [(p[0], p[1], p[2]) for p in problems] == [(1, "quantity", "0"),
                                                      (2, "service_date", None)]
    assert problems[0][3].startswith(HORS_LIMITES) and problems[1][3] == MANQUANTE

    xlsx = tmp_path / "x" / "invoices.xlsx"
    xlsx.parent.mkdir()
    wb = xlsxwriter.Workbook(xlsx)
    ws = wb.add_worksheet()
    ws.write_row(0, 0, INV_HEADER)
    ws.write_row(1, 0, [OK[c] for c in INV_HEADER])
    ws.write_number(1, 9, 12.5)  # a decimal price
    wb.close()
    typed, problems = read(xlsx)
    assert [(p[0], p[1], p[2]) for p in problems] == [(1, "unit_price", "12.5")]
    assert typed[0]["unit_price"] is None


# ---------------------------------------------------------------------------
# Files that cannot be used at all
# ---------------------------------------------------------------------------

def test_missing_required_column_scan_table(tmp_path):
    header = [c for c in INV_HEADER if c != "act_code"]
    path = write_text(tmp_path / "invoices.csv", [",".join(header),
                                                  ",".join(OK[c] for c in header)])
    with pytest.raises(InputError) as err:
        scan_table(path, contract.INVOICES)
    assert str(path) in err.value.message
    assert "« act_code »" in err.value.message
    assert err.value.exit_code == 3
    assert [(p.file, p.column) for p in err.value.problems] == [(str(path), "act_code")]


def test_missing_required_column_cli_exit_3(tmp_path):
    header = [c for c in INV_HEADER if c != "quantity"]
    batch = tmp_path / "2026-10"
    path = write_text(batch / "invoices.csv", [",".join(header), ",".join(OK[c] for c in header)])
    result = CliRunner().invoke(app, ["validate", str(batch), "--json"])
    assert result.exit_code == 3, result.output
    report = json.loads(result.stdout)
    invoices = next(f for f in report["files"] if f["role"] == "invoices")
    assert invoices["status"] == "INVALID"
    assert [(p["file"], p["column"]) for p in invoices["problems"]] == [(str(path), "quantity")]


def test_two_files_for_one_role(tmp_path):
    write_text(tmp_path / "invoices.csv", [",".join(INV_HEADER), ",".join(OK[c] for c in INV_HEADER)])
    pl.DataFrame({c: [OK[c]] for c in INV_HEADER}).write_parquet(tmp_path / "invoices.parquet")
    for call in (lambda: find_input(tmp_path, "invoices"),
                 lambda: scan_batch_table(tmp_path, contract.INVOICES)):
        with pytest.raises(InputError) as err:
            call()
        assert "invoices.csv" in err.value.message and "invoices.parquet" in err.value.message
        assert sorted(p.file for p in err.value.problems) == [str(tmp_path / "invoices.csv"),
                                                              str(tmp_path / "invoices.parquet")]


def _valid_parquet_bytes(tmp_path: Path) -> bytes:
    scratch = tmp_path / "scratch.parquet"
    pl.DataFrame({c: [OK[c]] * 50 for c in INV_HEADER}).write_parquet(scratch)
    return scratch.read_bytes()


@pytest.mark.parametrize("content", ["random", "truncated"])
def test_corrupt_parquet(tmp_path, content):
    if content == "random":
        data = os.urandom(4096)
    else:
        whole = _valid_parquet_bytes(tmp_path)
        data = whole[: len(whole) // 2]
    path = tmp_path / "lot" / "invoices.parquet"
    path.parent.mkdir()
    path.write_bytes(data)
    with pytest.raises(InputError) as err:
        scan_table(path, contract.INVOICES)
    assert str(path) in err.value.message
    assert [p.file for p in err.value.problems] == [str(path)]


@pytest.mark.parametrize("name", ["invoices.csv", "invoices.xlsx"])
def test_empty_file(tmp_path, name):
    path = tmp_path / name
    path.write_bytes(b"")
    with pytest.raises(InputError) as err:
        scan_table(path, contract.INVOICES)
    assert str(path) in err.value.message
    assert err.value.problems == [Problem(str(path), "fichier illisible", code="unreadable_file")]


def test_header_only_csv_reads_zero_rows(tmp_path):
    path = write_text(tmp_path / "invoices.csv", [",".join(INV_HEADER)])
    typed, problems = read(path)
    assert typed == [] and problems == []


# ---------------------------------------------------------------------------
# Large files stay lazy
# ---------------------------------------------------------------------------

def test_large_csv_is_scanned_lazily(tmp_path, monkeypatch):
    n = 200_000
    line = "F{0},1,007,0000123,CMSS,2026-10-01,2026-10-05,CS001,1,1000,non,non\n"
    path = tmp_path / "invoices.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write(",".join(INV_HEADER) + "\n")
        fh.writelines(line.format(i) for i in range(n))

    def no_collect(*args, **kwargs):
        raise AssertionError("scan_table must not collect the rows")

    with monkeypatch.context() as m:
        m.setattr(pl.LazyFrame, "collect", no_collect)
        scan = scan_table(path, contract.INVOICES)
    assert isinstance(scan, TableScan)
    assert isinstance(scan.raw, pl.LazyFrame)
    assert isinstance(scan.typed(), pl.LazyFrame)
    assert scan.typed().select(pl.len()).collect().item() == n
    assert scan.typed().filter(pl.col("cell_fault")).select(pl.len()).collect().item() == 0
