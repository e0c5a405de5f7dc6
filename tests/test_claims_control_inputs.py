"""Rulebook version 2 inputs: the acts' four optional columns, the invoices'
optional authorization_id, and the optional authorizations file (reading,
anomalies, `ramu validate`). Real CSV files, expectations written by hand.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from conftest import ACT_COLUMNS, FIXTURE_ACTS, write_csv_table
from ramu_cli.cli import app
from ramu_cli.contract import AUTHORIZATIONS, INVOICES
from ramu_cli.errors import InputError, Problem
from ramu_cli.io.readers import scan_batch_table, scan_table
from ramu_cli.liquidation.authorizations import AUTHORIZATION_LOOKUP, load_authorizations
from ramu_cli.tariffs import load_tariffs

D = date
V2_ACT_COLUMNS = [*ACT_COLUMNS[:9], "waiting_days", "max_per_year", "prior_authorization",
                  "min_interval_days", "valid_from", "valid_to"]


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def v2_acts(**by_code: dict) -> list[dict]:
    """The fixture acts with version 2 columns; `by_code` sets some of them per act."""
    rows = []
    for act in FIXTURE_ACTS:
        row = dict(act, waiting_days=None, max_per_year=None, prior_authorization=None,
                   min_interval_days=None)
        row.update(by_code.get(act["act_code"], {}))
        rows.append(row)
    return rows


def write_v2_acts(folder: Path, acts: list[dict], dialect: str = "utf8") -> Path:
    write_csv_table(folder / "acts.csv", acts, dialect, V2_ACT_COLUMNS)
    return folder


# ---------------------------------------------------------------------------
# Tariffs: the four optional act columns
# ---------------------------------------------------------------------------

def test_version_1_tariff_folder_loads_with_empty_columns(tariff_dir):
    header = (tariff_dir / "acts.csv").read_text(encoding="utf-8").splitlines()[0]
    assert "waiting_days" not in header      # the fixture folder is a version 1 folder
    acts = load_tariffs(tariff_dir).acts
    assert acts.height == len(FIXTURE_ACTS)
    assert acts.schema["waiting_days"] == pl.Int64 and acts.schema["prior_authorization"] == pl.Boolean
    assert acts["waiting_days"].null_count() == acts.height
    assert acts["max_per_year"].null_count() == acts.height
    assert acts["min_interval_days"].null_count() == acts.height
    assert acts["prior_authorization"].to_list() == [False] * acts.height


@pytest.mark.parametrize("dialect", ["utf8", "latin1"])
def test_version_2_columns_read(tmp_path, tariff_factory, dialect):
    folder = tariff_factory(tmp_path / "t")
    write_v2_acts(folder, v2_acts(
        CONS=dict(min_interval_days=7), ECHO=dict(max_per_year=3),
        CHIR=dict(waiting_days=90, prior_authorization=True),
        CESAR=dict(prior_authorization=False)), dialect)
    acts = load_tariffs(folder).acts.select(
        "act_code", "waiting_days", "max_per_year", "prior_authorization", "min_interval_days")
    assert acts.rows() == [
        ("CONS", None, None, False, 7), ("MED", None, None, False, None),
        ("ECHO", None, 3, False, None), ("SIROP", None, None, False, None),
        ("CHIR", 90, None, True, None), ("PALU", None, None, False, None),
        ("CESAR", None, None, False, None), ("ANCIEN", None, None, False, None)]


def test_version_2_columns_checked(tmp_path, tariff_factory):
    folder = tariff_factory(tmp_path / "t")
    write_v2_acts(folder, v2_acts(
        CONS=dict(min_interval_days=0),              # row 1: < 1
        MED=dict(max_per_year="trois"),              # row 2: unreadable
        ECHO=dict(prior_authorization="peut-être"),  # row 3: unreadable bool
        CHIR=dict(waiting_days="12,5")))             # row 5: a decimal
    acts = str(folder / "acts.csv")
    whole = "un nombre entier de francs ou d'unités ≥ 1 (sans décimales)"
    with pytest.raises(InputError) as err:
        load_tariffs(folder)
    assert err.value.exit_code == 3
    assert err.value.problems == [
        Problem(acts, f"valeur hors limites : attendu {whole}", column="min_interval_days",
                row=1, value="0", code="cell_fault"),
        Problem(acts, f"valeur illisible : attendu {whole}", column="max_per_year", row=2,
                value="trois", code="cell_fault"),
        Problem(acts, "valeur illisible : attendu oui/non, O/N, true/false ou 1/0",
                column="prior_authorization", row=3, value="peut-être", code="cell_fault"),
        Problem(acts, f"valeur illisible : attendu {whole}", column="waiting_days", row=5,
                value="12,5", code="cell_fault")]


def test_only_some_version_2_columns(tmp_path, tariff_factory):
    """Each of the four columns is optional on its own."""
    folder = tariff_factory(tmp_path / "t")
    columns = [c for c in V2_ACT_COLUMNS if c not in ("waiting_days", "prior_authorization")]
    write_csv_table(folder / "acts.csv", v2_acts(ECHO=dict(max_per_year=3)), "utf8", columns)
    acts = load_tariffs(folder).acts
    assert acts.filter(pl.col("act_code") == "ECHO")["max_per_year"].to_list() == [3]
    assert acts["prior_authorization"].to_list() == [False] * len(FIXTURE_ACTS)


# ---------------------------------------------------------------------------
# Invoices: the optional authorization_id
# ---------------------------------------------------------------------------

INVOICE = dict(invoice_id="F1", line_no=1, provider_id="P1", beneficiary_id="B1", ogd="CMSS",
               service_date=D(2026, 10, 3), submission_date=D(2026, 10, 10), act_code="CONS",
               quantity=1, unit_price=1000)


def test_invoices_without_authorization_id(tmp_path):
    path = write_csv_table(tmp_path / "invoices.csv", [INVOICE], "latin1")
    typed = scan_table(path, INVOICES).typed().collect()
    assert typed["authorization_id"].to_list() == [None]
    assert typed["cell_fault"].to_list() == [False]


def test_invoices_with_authorization_id(tmp_path):
    rows = [dict(INVOICE, authorization_id="AP-0007"),
            dict(INVOICE, line_no=2, authorization_id=None)]
    path = write_csv_table(tmp_path / "invoices.csv", rows, "utf8-bom")
    typed = scan_table(path, INVOICES).typed().collect()
    assert typed["authorization_id"].to_list() == ["AP-0007", None]
    assert typed["cell_fault"].to_list() == [False, False]


# ---------------------------------------------------------------------------
# The authorizations file
# ---------------------------------------------------------------------------

def auth(aid: str | None, ben: str | None = "B100", act: str | None = "CHIR",
         prov: str | None = "P-HR", start: object = D(2026, 10, 1), end: object = D(2026, 10, 31)) -> dict:
    return dict(authorization_id=aid, beneficiary_id=ben, act_code=act, provider_id=prov,
                valid_from=start, valid_to=end)


AUTHS = [
    auth("AP1"),                                         # 1 usable
    auth("AP2", prov=None),                              # 2 usable: any provider
    auth("AP3"), auth("AP3", ben="B101"),                # 3, 4 duplicate id: both set aside
    auth("AP4", start="2026-13-01"),                     # 5 unreadable valid_from
    auth("AP5", end=D(2026, 9, 30)),                     # 6 valid_to before valid_from
    auth(None),                                          # 7 empty id
    auth("AP6", act=None),                               # 8 empty act_code
    auth("0042", start=D(2026, 10, 5), end=D(2026, 10, 5)),  # 9 usable, one day, leading zeros
]


def test_load_authorizations_usable_and_anomalies(tmp_path):
    path = write_csv_table(tmp_path / "authorizations.csv", AUTHS, "latin1")
    usable, anomalies = load_authorizations(scan_table(path, AUTHORIZATIONS))
    assert usable.columns == AUTHORIZATION_LOOKUP
    assert usable.rows() == [
        ("AP1", "B100", "CHIR", "P-HR", D(2026, 10, 1), D(2026, 10, 31)),
        ("AP2", "B100", "CHIR", None, D(2026, 10, 1), D(2026, 10, 31)),
        ("0042", "B100", "CHIR", "P-HR", D(2026, 10, 5), D(2026, 10, 5))]
    f = str(path)
    dup = "identifiant d'accord préalable en double : toutes ses lignes sont écartées"
    assert anomalies.columns == ["file", "row", "column", "value", "message", "code"]
    assert anomalies.rows() == [
        (f, 3, "authorization_id", "AP3", dup, "duplicate_id"),
        (f, 4, "authorization_id", "AP3", dup, "duplicate_id"),
        (f, 5, "valid_from", "2026-13-01",
         "valeur illisible : attendu une date AAAA-MM-JJ ou JJ/MM/AAAA", "cell_fault"),
        (f, 6, "valid_to", "2026-09-30", "fin de validité de l'accord antérieure à son début",
         "validity_backwards"),
        (f, 7, "authorization_id", None, "valeur manquante", "cell_fault"),
        (f, 8, "act_code", None, "valeur manquante", "cell_fault")]


def test_no_authorizations_file(tmp_path):
    batch = tmp_path / "lot"
    batch.mkdir()
    scan = scan_batch_table(batch, AUTHORIZATIONS, required=False)
    assert scan is None
    usable, anomalies = load_authorizations(scan)
    assert usable.is_empty() and usable.columns == AUTHORIZATION_LOOKUP
    assert anomalies.is_empty() and anomalies.columns == ["file", "row", "column", "value", "message", "code"]


def test_authorizations_missing_column_is_unusable(tmp_path):
    columns = [c for c in AUTHORIZATION_LOOKUP if c != "provider_id"]
    path = write_csv_table(tmp_path / "authorizations.csv", AUTHS[:1], "utf8", columns)
    with pytest.raises(InputError) as err:
        scan_table(path, AUTHORIZATIONS)
    assert err.value.exit_code == 3
    assert [(p.column, p.message) for p in err.value.problems] == [
        ("provider_id", "colonne obligatoire absente")]


# ---------------------------------------------------------------------------
# ramu validate
# ---------------------------------------------------------------------------

BATCH = dict(
    beneficiaries=[dict(beneficiary_id="B100", principal_id="B100", relationship="PRINCIPAL",
                        ogd="CMSS", sex="M", birth_date=D(1980, 5, 10), student=False,
                        disabled=False, rights_start=D(2020, 1, 1), rights_end=None)],
    providers=[dict(provider_id="P-HR", name="Hôpital de Ségou", level="HR", region="Ségou",
                    convention_start=D(2020, 1, 1), convention_end=None, bank_code="ML016",
                    account_number="0001")],
    invoices=[dict(INVOICE, provider_id="P-HR", beneficiary_id="B100", act_code="CHIR",
                   unit_price=50000, referral=False, emergency=False, authorization_id="AP1")])


def test_validate_reports_authorizations(tmp_path, write_batch, tariff_dir):
    batch = write_batch(tmp_path / "lot", dialect="latin1", authorizations=AUTHS, **BATCH)
    result = invoke("validate", batch, "--tariffs", tariff_dir, "--json")
    assert result.exit_code == 0, result.output
    files = {f["role"]: f for f in json.loads(result.stdout)["files"]}
    report = files["authorizations"]
    assert (report["path"], report["rows"], report["status"], report["errors"]) == (
        str(batch / "authorizations.csv"), 9, "USABLE", 6)
    assert [(p["row"], p["column"]) for p in report["problems"]] == [
        (3, "authorization_id"), (4, "authorization_id"), (5, "valid_from"), (6, "valid_to"),
        (7, "authorization_id"), (8, "act_code")]
    text = invoke("validate", batch, "--tariffs", tariff_dir)
    assert text.exit_code == 0
    assert "authorizations.csv" in text.stderr and "UTILISABLE" in text.stderr


def test_validate_clean_authorizations(tmp_path, write_batch, tariff_dir):
    batch = write_batch(tmp_path / "lot", authorizations=[AUTHS[0], AUTHS[1]], **BATCH)
    result = invoke("validate", batch, "--tariffs", tariff_dir, "--json")
    files = {f["role"]: f for f in json.loads(result.stdout)["files"]}
    assert (files["authorizations"]["status"], files["authorizations"]["rows"]) == ("VALID", 2)


def test_validate_without_authorizations_lists_no_such_file(tmp_path, write_batch, tariff_dir):
    batch = write_batch(tmp_path / "lot", **BATCH)
    result = invoke("validate", batch, "--tariffs", tariff_dir, "--json")
    assert result.exit_code == 0, result.output
    roles = [f["role"] for f in json.loads(result.stdout)["files"]]
    assert roles == ["beneficiaries", "providers", "invoices", "contributions", "remittances",
                     "tariffs"]


def test_validate_authorizations_without_a_column_is_invalid(tmp_path, write_batch, tariff_dir):
    batch = write_batch(tmp_path / "lot", columns={"authorizations": AUTHORIZATION_LOOKUP[:-1]},
                        authorizations=AUTHS[:1], **BATCH)
    result = invoke("validate", batch, "--tariffs", tariff_dir, "--json")
    assert result.exit_code == 3, result.output
    files = {f["role"]: f for f in json.loads(result.stdout)["files"]}
    assert files["authorizations"]["status"] == "INVALID"
    assert [p["column"] for p in files["authorizations"]["problems"]] == ["valid_to"]


def test_validate_version_2_tariffs(tmp_path, write_batch, tariff_factory):
    folder = write_v2_acts(tariff_factory(tmp_path / "t"), v2_acts(CONS=dict(min_interval_days=7)))
    batch = write_batch(tmp_path / "lot", **BATCH)
    result = invoke("validate", batch, "--tariffs", folder, "--json")
    assert result.exit_code == 0, result.output
    files = {f["role"]: f for f in json.loads(result.stdout)["files"]}
    assert files["tariffs"]["status"] == "VALID"


# ---------------------------------------------------------------------------
# The shipped tariffs
# ---------------------------------------------------------------------------

def test_shipped_claims_control_values():
    from ramu_cli.tariffs import default_tariff_folder
    folder = default_tariff_folder()
    acts = load_tariffs(folder).acts

    def codes(expr: pl.Expr) -> set[str]:
        return set(acts.filter(expr)["act_code"])

    consultations = {"CS001", "CS002", "CS003", "CS005", "DEN001"} | {f"CS{n:03d}" for n in range(10, 30)}
    # AMO: one consultation per discipline per 7 days; emergencies, follow-ups and programmes have none.
    assert codes(pl.col("min_interval_days") == 7) == consultations
    assert codes(pl.col("min_interval_days").is_not_null()) == consultations
    assert not consultations & {"CS004", "CS006", "CS030", "CS031", "CS032", "CS033"}
    # AMO: 3 obstetric ultrasounds per pregnancy, read as 3 a calendar year.
    assert acts.filter(pl.col("act_code") == "IMG009")["max_per_year"].to_list() == [3]
    assert codes(pl.col("max_per_year").is_not_null()) == {"IMG009", "DEN004", "PRO018"}
    assert codes(pl.col("waiting_days").is_not_null()) == {"CHI010", "CHI012", "CHI014", "CHI015", "CHI018"}
    assert codes(pl.col("prior_authorization")) == {"IMG017", "IMG018", "PRO014", "CHI010", "CHI012",
                                                    "CHI015", "HOS003"}
    # Every act given a value is named in tariffs/README.md with its source.
    readme = (folder / "README.md").read_text(encoding="utf-8")
    controlled = codes(pl.col("waiting_days").is_not_null() | pl.col("max_per_year").is_not_null()
                       | pl.col("prior_authorization") | pl.col("min_interval_days").is_not_null())
    named = {c for c in controlled if f"`{c}`" in readme}
    ranges = {f"CS{n:03d}" for n in range(11, 29)}   # "CS010 à CS029"
    assert controlled - named == ranges


def test_rules_document_names_every_code_with_its_label():
    from ramu_cli.contract import REASON_LABELS
    root = Path(__file__).resolve().parent.parent
    text = (root / "docs" / "regles.md").read_text(encoding="utf-8")
    assert [c for c in REASON_LABELS] == [f"R{i:02d}" for i in range(1, 19)] + ["A01", "A02", "A03"]
    for code, label in REASON_LABELS.items():
        assert f"| {code} | {label} |" in text, code      # the summary table, exact label
    for code in [f"R{i:02d}" for i in range(1, 19)]:
        assert f"### {code} — {REASON_LABELS[code]}" in text or (
            code == "R16" and "### R16 — Plafond annuel de l'acte atteint (et A03)" in text), code
    for doc in (root / "docs" / "regles.md", root / "tariffs" / "README.md", root / "README.md"):
        assert "../shared" not in doc.read_text(encoding="utf-8"), doc
    assert "docs/regles.md" in (root / "README.md").read_text(encoding="utf-8")
