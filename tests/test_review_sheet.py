"""The filled review sheet: bad sheets are refused (exit 3, each fault named) and
nothing is written; a sheet saved as latin-1 CSV or as XLSX by a spreadsheet reads back."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from review_helpers import draw, explain, extrapolate, fill, line, lines_of, read_sheet, write_run, write_sheet

RUN_LINES = lines_of("P-A", 40) + lines_of("P-B", 12, payable=3_000) + [line("P-B", "F-EXTRA", 1, 3_000)]


@pytest.fixture
def drawn(tmp_path: Path) -> tuple[Path, list[dict]]:
    run = write_run(tmp_path / "liq", RUN_LINES)
    draw(run, tmp_path / "draw", "--seed", "12")
    return run, fill(read_sheet(tmp_path / "draw"), {})


def _refused(run: Path, rows: list[dict], tmp_path: Path, **kw) -> list[dict]:
    sheet = write_sheet(tmp_path / "rempli.csv", rows, **kw)
    result = extrapolate(run, sheet, tmp_path / "res")
    assert result.exit_code == 3, explain(result)
    assert not (tmp_path / "res").exists()
    return json.loads(result.stdout)["problems"]


def test_a_line_removed(drawn, tmp_path):
    run, rows = drawn
    gone = rows.pop(3)
    problems = _refused(run, rows, tmp_path)
    assert [p["code"] for p in problems] == ["review_line_missing"]
    assert f"ligne 1 de la facture {gone['invoice_id']} du prestataire {gone['provider_id']}" in problems[0]["message"]


def test_a_line_added(drawn, tmp_path):
    run, rows = drawn
    drawn_b = {r["invoice_id"] for r in rows if r["provider_id"] == "P-B"}
    extra = next(f"F-P-B-{i:04d}" for i in range(1, 13) if f"F-P-B-{i:04d}" not in drawn_b)
    rows.append({**rows[-1], "invoice_id": extra})            # a paid line of the run, but not drawn
    rows.append({**rows[-1], "invoice_id": "F-INVENTEE"})     # not even a line of the run
    problems = _refused(run, rows, tmp_path)
    assert [(p["code"], p["row"]) for p in problems] == [("review_line_added", len(rows)),
                                                         ("review_line_added", len(rows) + 1)]
    assert extra in problems[0]["message"] and "F-INVENTEE" in problems[1]["message"]


def test_a_line_twice(drawn, tmp_path):
    run, rows = drawn
    rows.insert(1, dict(rows[0]))
    problems = _refused(run, rows, tmp_path)
    assert [(p["code"], p["row"]) for p in problems] == [("review_line_duplicate", 2), ("review_line_duplicate", 3)]


@pytest.mark.parametrize(("value", "code"), [
    ("5 001", "accepted_payable_above_payable"),   # payable is 5 000
    ("-1", "accepted_payable_negative"),
    ("néant", "accepted_payable_not_integer"),
    ("2500,5", "accepted_payable_not_integer"),
    ("", "accepted_payable_missing"),
])
def test_bad_accepted_payable_is_named_with_its_row(drawn, tmp_path, value, code):
    run, rows = drawn
    index = next(i for i, r in enumerate(rows) if r["provider_id"] == "P-A")
    rows[index]["accepted_payable"] = value
    problems = _refused(run, rows, tmp_path)
    # Row 1 of the sheet is its heading: data row i is sheet row i + 2.
    assert [(p["code"], p["row"], p["column"]) for p in problems] == [(code, index + 2, "accepted_payable")]
    assert (problems[0]["value"] or "") == value.strip()


def test_every_bad_row_is_listed_at_once(drawn, tmp_path):
    run, rows = drawn
    rows[0]["accepted_payable"] = "-5"
    rows[1]["accepted_payable"] = "abc"
    rows.pop(2)
    problems = _refused(run, rows, tmp_path)
    assert sorted(p["code"] for p in problems) == ["accepted_payable_negative", "accepted_payable_not_integer",
                                                   "review_line_missing"]


def test_sheet_of_another_run_or_without_draw_reference(drawn, tmp_path):
    run, rows = drawn
    other = write_run(tmp_path / "liq-autre", RUN_LINES[:-1])
    sheet = write_sheet(tmp_path / "rempli.csv", rows)
    result = extrapolate(other, sheet, tmp_path / "res")
    assert result.exit_code == 3 and json.loads(result.stdout)["problems"][0]["code"] == "review_other_run"
    for r in rows:
        r["draw"] = ""
    assert _refused(run, rows, tmp_path)[0]["code"] == "review_draw_missing"
    rows[0]["draw"] = "execution=x graine=deux"
    assert _refused(run, rows, tmp_path)[0]["code"] == "review_draw_unreadable"


def test_latin1_semicolon_csv_round_trip(drawn, tmp_path):
    run, rows = drawn
    first_a = next(r for r in rows if r["provider_id"] == "P-A")
    first_a["accepted_payable"] = "1 000"                      # 4 000 undue, thousands grouped
    first_a["comment"] = "Ordonnance non présentée ; à revoir"  # accents and ';' inside a cell
    sheet = write_sheet(tmp_path / "rempli.csv", rows, encoding="latin-1", sep=";")
    assert "présentée".encode("latin-1") in sheet.read_bytes()
    result = extrapolate(run, sheet, tmp_path / "res")
    assert result.exit_code == 0, explain(result)
    f = pl.read_parquet(tmp_path / "res" / "extrapolation.parquet").filter(pl.col("provider_id") == "P-A")
    # N = 40, n = 10, one line 4 000: estimate 40 × 400 = 16 000.
    assert f.select("found", "estimate").row(0) == (4_000, 16_000)


def test_xlsx_round_trip_with_french_headings(drawn, tmp_path):
    """The adviser fills review.xlsx in a spreadsheet program and saves it: numbers are numbers."""
    run, _ = drawn
    sheet = pl.read_excel(tmp_path / "draw" / "review.xlsx", engine="calamine", infer_schema_length=0)
    payable = sheet["Montant payé"].cast(pl.Int64).to_list()
    book = xlsxwriter.Workbook(tmp_path / "rempli.xlsx")
    ws = book.add_worksheet("Lignes à contrôler")
    ws.write_row(0, 0, sheet.columns)
    for i, row in enumerate(sheet.iter_rows(), start=1):
        ws.write_row(i, 0, ["" if v is None else v for v in row])
        accepted = payable[i - 1] - (2_500 if i == 1 else 0)
        ws.write_number(i, sheet.columns.index("Montant admis après contrôle"), accepted)
        ws.write_string(i, sheet.columns.index("Constat"), "Acte non justifié" if i == 1 else "Conforme")
    book.close()
    result = extrapolate(run, tmp_path / "rempli.xlsx", tmp_path / "res")
    assert result.exit_code == 0, explain(result)
    totals = json.loads(result.stdout)["totals"]
    # P-A: 10 of 40 lines; P-B: 10 of its 13 (min 10 > ⌈0.65⌉).
    assert (totals["found"], totals["lines_overpaid"], totals["lines_reviewed"]) == (2_500, 1, 20)
