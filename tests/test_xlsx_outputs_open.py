"""Every workbook ramu writes opens in openpyxl (and LibreOffice when installed), and a
sheet beyond Excel's row limit is split into numbered sheets (docs/decisions.md).

openpyxl is strict about the schema (it refused `DefaultTableStyle`, the
capitalised attribute name our styles.xml carried): it stands for the other
spreadsheet programs people open these files with.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from liq_helpers import explain, invoke, line, run_ok
from ramu_cli.io import xlsx
from ramu_cli.io.xlsx import write_xlsx
from test_reading_hardened import write_batch_as

MONTH = "2026-10"


@pytest.fixture(scope="module")
def product_workbooks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A sample batch as XLSX, its liquidation and its remittance audit: every XLSX written."""
    base = tmp_path_factory.mktemp("outputs")
    batch = base / MONTH
    for args in (["samples", batch, "--invoices", 400, "--format", "xlsx"],
                 ["liquidate", batch, "--out", base / "liq"],
                 ["remittances", batch, "--out", base / "rem", "--as-of", "2026-12-31"]):
        result = invoke(args)
        assert result.exit_code == 0, explain(result)
    found = {f"samples/{p.name}": p for p in sorted(batch.glob("*.xlsx"))}
    found |= {f"liquidate/{p.name}": p for p in sorted((base / "liq").glob("*.xlsx"))}
    found |= {f"remittances/{p.name}": p for p in sorted((base / "rem").glob("*.xlsx"))}
    assert sorted(found) == [
        "liquidate/payment_orders.xlsx", "liquidate/rejections.xlsx",
        "remittances/remittances.xlsx",
        "samples/authorizations.xlsx", "samples/beneficiaries.xlsx", "samples/contributions.xlsx",
        "samples/invoices.xlsx",
        "samples/providers.xlsx", "samples/remittances.xlsx"]
    return found


def test_styles_use_the_schema_attribute_names(product_workbooks):
    for name, path in product_workbooks.items():
        with zipfile.ZipFile(path) as zf:
            styles = zf.read("xl/styles.xml").decode()
        assert 'defaultTableStyle="' in styles and 'defaultPivotStyle="' in styles, name
        assert "DefaultTableStyle" not in styles and "DefaultPivotStyle" not in styles, name


def test_every_workbook_opens_in_openpyxl(product_workbooks):
    for name, path in product_workbooks.items():
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        assert book.sheetnames, name
        for sheet in book.worksheets:
            rows = list(sheet.iter_rows(values_only=True))
            assert rows and all(isinstance(h, str) for h in rows[0]), (name, sheet.title)
        book.close()


def _csv_column(path: Path, column: str) -> list[str]:
    with path.open(encoding="cp1252", newline="") as fh:
        return [r[column] for r in csv.DictReader(fh, delimiter=";")]


def test_openpyxl_reads_the_same_figures_as_the_csv(product_workbooks):
    """The rejections workbook: one row per CSV row, and the cached totals are the CSV's sums."""
    liq = product_workbooks["liquidate/rejections.xlsx"].parent
    billed = [int(v.replace(" ", "").replace("\xa0", "")) for v in _csv_column(liq / "rejections.csv", "billed")]
    book = openpyxl.load_workbook(liq / "rejections.xlsx", read_only=True, data_only=True)
    (sheet,) = book.worksheets
    rows = list(sheet.iter_rows(values_only=True))
    heading = list(rows[0])
    column = heading.index("Montant facturé")
    assert len(rows) == 1 + len(billed) + 1  # heading, one row per line, totals
    assert [r[column] for r in rows[1:-1]] == billed
    assert rows[-1][column] == sum(billed)
    book.close()


@pytest.mark.skipif(shutil.which("soffice") is None,
                    reason="LibreOffice (soffice) is not installed here; CI does not install it")
def test_every_workbook_converts_in_libreoffice(product_workbooks, tmp_path):
    for name, path in product_workbooks.items():
        out = tmp_path / name.replace("/", "-")
        out.mkdir()
        done = subprocess.run(["soffice", "--headless", "--convert-to", "csv", "--outdir", str(out),
                               str(path)], capture_output=True, timeout=300, check=False)
        converted = out / (path.stem + ".csv")
        assert done.returncode == 0 and converted.exists(), (name, done.stderr)
        assert converted.read_bytes().splitlines()[0], name


# ---------------------------------------------------------------------------
# Beyond Excel's row limit: numbered sheets; CSV and Parquet stay whole
# ---------------------------------------------------------------------------

def _sheets(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    found = {s.title: list(s.iter_rows(values_only=True)) for s in book.worksheets}
    book.close()
    return found


def test_a_frame_beyond_the_row_limit_is_split_into_numbered_sheets(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "EXCEL_MAX_ROWS", 6)  # heading + 4 rows + totals
    df = pl.DataFrame({"provider_id": [f"P{i}" for i in range(1, 11)], "billed": list(range(10, 110, 10))})
    headings = {"provider_id": "Code prestataire", "billed": "Montant facturé"}
    path = tmp_path / "r.xlsx"
    write_xlsx({"Rejets": (df, headings), "Autre": (df.head(2), headings)}, path,
               totals={"Rejets": ["billed"]})
    heading = ("Code prestataire", "Montant facturé")
    assert _sheets(path) == {
        "Rejets (1)": [heading, ("P1", 10), ("P2", 20), ("P3", 30), ("P4", 40), ("Sous-total", 100)],
        "Rejets (2)": [heading, ("P5", 50), ("P6", 60), ("P7", 70), ("P8", 80), ("Sous-total", 260)],
        "Rejets (3)": [heading, ("P9", 90), ("P10", 100), ("Sous-total", 190)],
        "Autre": [heading, ("P1", 10), ("P2", 20)],
    }
    first = path.read_bytes()
    write_xlsx({"Rejets": (df, headings), "Autre": (df.head(2), headings)}, path,
               totals={"Rejets": ["billed"]})
    assert path.read_bytes() == first


def test_exactly_at_the_limit_stays_one_sheet_named_as_asked(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "EXCEL_MAX_ROWS", 6)
    df = pl.DataFrame({"p": ["a", "b", "c", "d"], "n": [1, 2, 3, 4]})
    write_xlsx({"Rejets": (df, {})}, tmp_path / "r.xlsx", totals={"Rejets": ["n"]})
    assert _sheets(tmp_path / "r.xlsx") == {
        "Rejets": [("p", "n"), ("a", 1), ("b", 2), ("c", 3), ("d", 4), ("Total", 10)]}


def test_numbered_sheet_names_fit_in_31_characters(tmp_path, monkeypatch):
    monkeypatch.setattr(xlsx, "EXCEL_MAX_ROWS", 3)  # one row per sheet
    name = "Lignes rejetées ou réduites"  # 27 characters: + " (12)" would make 32
    write_xlsx({name: (pl.DataFrame({"a": list(range(12))}), {})}, tmp_path / "r.xlsx")
    titles = list(_sheets(tmp_path / "r.xlsx"))
    assert titles == [f"Lignes rejetées ou réduite ({k})" for k in range(1, 13)]
    assert max(len(t) for t in titles) == 31


def test_liquidation_with_more_rejections_than_a_sheet_holds(tmp_path, tariff_dir, monkeypatch):
    monkeypatch.setattr(xlsx, "EXCEL_MAX_ROWS", 5)  # 3 rows per sheet
    invoices = [line(beneficiary_id="INCONNU", invoice_id=f"F{i}") for i in range(1, 8)]  # 7 x R01
    batch = write_batch_as(tmp_path / "lot", "csv", invoices)
    out = tmp_path / "out"
    df = run_ok(batch, out, tariff_dir, 7)
    assert df["reason"].to_list() == ["R01"] * 7
    sheets = _sheets(out / "rejections.xlsx")
    base = "Lignes rejetées ou réduites"
    assert list(sheets) == [f"{base} (1)", f"{base} (2)", f"{base} (3)"]
    assert [len(rows) - 2 for rows in sheets.values()] == [3, 3, 1]  # heading and sub-total
    invoice_col = sheets[f"{base} (1)"][0].index("N° de facture")
    assert [r[invoice_col] for rows in sheets.values() for r in rows[1:-1]] == [f"F{i}" for i in range(1, 8)]
    assert len(_csv_column(out / "rejections.csv", "invoice_id")) == 7  # the CSV stays whole
