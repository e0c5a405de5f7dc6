"""`ramu validate` (cli-contract.md; docs/decisions.md, "`ramu validate`").

Each file is VALID, USABLE (faulty rows that liquidation sets aside) or
INVALID (unusable: exit 3). Validate writes nothing.
"""

from __future__ import annotations

import csv
import json
import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import FIXTURE_COVERAGE
from ramu_cli.cli import app
from ramu_cli.tariffs import default_tariff_folder
from ramu_cli.validation import validate_batch

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "2026-10"
ROLES = ["beneficiaries", "providers", "invoices", "contributions", "remittances"]


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def by_role(report: dict) -> dict[str, dict]:
    return {f["role"]: f for f in report["files"]}


def sample_rows(role: str) -> list[dict]:
    with (SAMPLE / f"{role}.csv").open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


# A small clean batch, every value hand-written.
BENEFICIARIES = [
    dict(beneficiary_id="0001", principal_id="0001", relationship="PRINCIPAL", ogd="CMSS", sex="F",
         birth_date=date(1980, 5, 1), student=False, disabled=False, rights_start=date(2025, 1, 1),
         rights_end=None),
    dict(beneficiary_id="0002", principal_id="0001", relationship="CHILD", ogd="CMSS", sex="M",
         birth_date=date(2018, 3, 2), student=False, disabled=False, rights_start=date(2025, 1, 1),
         rights_end=None),
]
PROVIDERS = [dict(provider_id="0310", name="CSCOM de Médine", level="CSCOM", region="Bamako",
                  convention_start=date(2020, 1, 1), convention_end=None, bank_code="ML079",
                  account_number="014517045578")]
INVOICES = [dict(invoice_id="F1", line_no=1, provider_id="0310", beneficiary_id="0002", ogd="CMSS",
                 service_date=date(2026, 10, 3), submission_date=date(2026, 10, 10),
                 act_code="CONS", quantity=1, unit_price=1000, referral=False, emergency=False)]
CONTRIBUTIONS = [
    dict(ogd="CMSS", period="2026-09", contributor_id="E1", amount_due=100000,
         amount_collected=100000, collection_date=date(2026, 9, 20)),
    dict(ogd="INPS", period="2026-09", contributor_id="E2", amount_due=50000,
         amount_collected=0, collection_date=None),
]
REMITTANCES = [dict(transfer_id="T1", ogd="CMSS", period="2026-09", amount=100000,
                    value_date=date(2026, 10, 10))]


def clean_batch(write_batch, folder: Path, **overrides) -> Path:
    tables = dict(beneficiaries=BENEFICIARIES, providers=PROVIDERS, invoices=INVOICES,
                  contributions=CONTRIBUTIONS, remittances=REMITTANCES)
    tables.update(overrides)
    return write_batch(folder, **tables)


# ---------------------------------------------------------------------------
# The shipped sample
# ---------------------------------------------------------------------------

def test_sample_table_on_stderr(monkeypatch):
    monkeypatch.chdir(SAMPLE.parent)  # short paths: the table is not wrapped
    result = invoke("validate", "2026-10")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    for role in ROLES:
        assert f"2026-10/{role}.csv" in result.stderr
    assert "Contrôle du lot" in result.stderr
    assert "UTILISABLE" in result.stderr and "VALIDE" in result.stderr
    assert "INVALIDE" not in result.stderr


def test_sample_json_statuses():
    result = invoke("validate", SAMPLE, "--json")
    assert result.exit_code == 0, result.output
    assert len(result.stdout.strip().splitlines()) == 1
    report = json.loads(result.stdout)
    files = by_role(report)
    assert report["valid"] is True
    assert [f["role"] for f in report["files"]] == [*ROLES, "authorizations", "tariffs"]
    assert {r: f["status"] for r, f in files.items()} == {
        "beneficiaries": "USABLE", "providers": "VALID", "invoices": "USABLE",
        "contributions": "VALID", "remittances": "VALID", "authorizations": "VALID", "tariffs": "VALID"}
    # The sample's prior authorizations break no rule of the contract: unique ids,
    # every required cell filled, validity ending on or after its start.
    auths = sample_rows("authorizations")
    assert files["authorizations"]["rows"] == len(auths) > 0
    assert len({r["authorization_id"] for r in auths}) == len(auths)
    assert all(r["authorization_id"] and r["beneficiary_id"] and r["act_code"] for r in auths)
    assert all(date.fromisoformat("-".join(reversed(r["valid_to"].split("/"))))
               >= date.fromisoformat("-".join(reversed(r["valid_from"].split("/")))) for r in auths)
    for role in ROLES:
        assert files[role]["path"] == str(SAMPLE / f"{role}.csv")
        assert files[role]["rows"] == len(sample_rows(role))
    assert files["tariffs"]["path"] == str(default_tariff_folder())

    # Why beneficiaries is USABLE: one id appears twice (both rows set aside) and
    # one spouse's principal is absent from the registry.
    bens = sample_rows("beneficiaries")
    counts = Counter(r["beneficiary_id"] for r in bens)
    dup_rows = [i for i, r in enumerate(bens, 1) if counts[r["beneficiary_id"]] > 1]
    ids = {r["beneficiary_id"] for r in bens}
    orphan_rows = [i for i, r in enumerate(bens, 1)
                   if r["relationship"] != "PRINCIPAL" and r["relationship"] != "OF_RIGHT"
                   and r["principal_id"] not in ids]
    got = {(p["row"], p["column"]) for p in files["beneficiaries"]["problems"]}
    assert {(r, "beneficiary_id") for r in dup_rows} | {(r, "principal_id") for r in orphan_rows} <= got
    assert dup_rows and orphan_rows
    # Each problem says what it is in a machine code too (scripts never match the French text).
    codes = {(p["row"], p["code"]) for p in files["beneficiaries"]["problems"]}
    assert {(r, "duplicate_id") for r in dup_rows} | {(r, "principal_missing") for r in orphan_rows} <= codes

    # Why invoices is USABLE: R14 rows (quantity 0, an unreadable date, a repeated line key).
    inv = sample_rows("invoices")
    zero_qty = [i for i, r in enumerate(inv, 1) if r["quantity"] == "0"]
    bad_date = [i for i, r in enumerate(inv, 1) if "." in r["service_date"]]
    seen, repeated = set(), []
    for i, r in enumerate(inv, 1):
        key = (r["provider_id"], r["invoice_id"], r["line_no"])
        if key in seen:
            repeated.append(i)
        seen.add(key)
    expected = ({(r, "quantity") for r in zero_qty} | {(r, "service_date") for r in bad_date}
                | {(r, "line_no") for r in repeated})
    assert zero_qty and bad_date and repeated
    got = {(p["row"], p["column"]) for p in files["invoices"]["problems"]}
    assert got == expected
    assert {p["row"] for p in files["invoices"]["problems"] if p["code"] == "repeated_line_key"} == set(repeated)
    assert files["invoices"]["errors"] == len(expected)


def test_json_equals_core_report():
    result = invoke("validate", SAMPLE, "--json")
    core = validate_batch(SAMPLE, default_tariff_folder(), date.today()).as_dict()
    assert json.loads(result.stdout) == json.loads(json.dumps(core, default=str))


# ---------------------------------------------------------------------------
# Hand-made batches
# ---------------------------------------------------------------------------

def test_clean_batch_all_valid(tmp_path, write_batch, tariff_dir):
    batch = clean_batch(write_batch, tmp_path / "2026-10", dialect="latin1")
    result = invoke("validate", batch, "--tariffs", tariff_dir, "--json")
    assert result.exit_code == 0, result.output
    files = by_role(json.loads(result.stdout))
    assert {r: (f["status"], f["rows"], f["errors"]) for r, f in files.items()} == {
        "beneficiaries": ("VALID", 2, 0), "providers": ("VALID", 1, 0),
        "invoices": ("VALID", 1, 0), "contributions": ("VALID", 2, 0),
        "remittances": ("VALID", 1, 0), "tariffs": ("VALID", None, 0)}


def test_missing_invoice_column(tmp_path, write_batch, tariff_dir):
    columns = {"invoices": [c for c in INVOICES[0] if c != "act_code"]}
    batch = write_batch(tmp_path / "lot", columns=columns, beneficiaries=BENEFICIARIES,
                        providers=PROVIDERS, invoices=INVOICES)
    result = invoke("validate", batch, "--tariffs", tariff_dir, "--json")
    assert result.exit_code == 3, result.output
    report = json.loads(result.stdout)
    assert report["valid"] is False
    invoices = by_role(report)["invoices"]
    assert invoices["status"] == "INVALID"
    assert invoices["path"] == str(batch / "invoices.csv")
    assert [(p["file"], p["column"], p["message"]) for p in invoices["problems"]] == [
        (str(batch / "invoices.csv"), "act_code", "colonne obligatoire absente")]
    # Text mode names them too.
    text = invoke("validate", batch, "--tariffs", tariff_dir)
    assert text.exit_code == 3
    assert "INVALIDE" in text.stderr and "act_code" in text.stderr


def test_negative_contribution_is_invalid(tmp_path, write_batch, tariff_dir):
    contributions = [dict(CONTRIBUTIONS[0]), dict(CONTRIBUTIONS[1], amount_due=-100)]
    batch = clean_batch(write_batch, tmp_path / "lot", contributions=contributions)
    result = invoke("validate", batch, "--tariffs", tariff_dir, "--json")
    assert result.exit_code == 3, result.output
    files = by_role(json.loads(result.stdout))
    assert files["contributions"]["status"] == "INVALID"
    assert files["invoices"]["status"] == "VALID"
    [problem] = files["contributions"]["problems"]
    assert (problem["file"], problem["row"], problem["column"], problem["value"]) == (
        str(batch / "contributions.csv"), 2, "amount_due", "-100")
    assert problem["message"].startswith("valeur hors limites")


def test_faulty_invoice_rows_leave_file_usable(tmp_path, write_batch, tariff_dir):
    invoices = [*INVOICES, dict(INVOICES[0], line_no=2, quantity=0),
                dict(INVOICES[0], line_no=3, service_date="31/02/2026")]
    batch = clean_batch(write_batch, tmp_path / "lot", invoices=invoices)
    result = invoke("validate", batch, "--tariffs", tariff_dir, "--json")
    assert result.exit_code == 0, result.output
    invoices_report = by_role(json.loads(result.stdout))["invoices"]
    assert invoices_report["status"] == "USABLE"
    assert [(p["row"], p["column"], p["value"]) for p in invoices_report["problems"]] == [
        (2, "quantity", "0"), (3, "service_date", "31/02/2026")]


def test_no_batch_file_at_all(tmp_path, tariff_dir):
    batch = tmp_path / "vide"
    batch.mkdir()
    (batch / "notes.txt").write_text("rien ici", encoding="utf-8")
    result = invoke("validate", batch, "--tariffs", tariff_dir, "--json")
    assert result.exit_code == 3, result.output
    report = json.loads(result.stdout)
    assert report["valid"] is False
    assert {r: f["status"] for r, f in by_role(report).items()} == {
        **{r: "ABSENT" for r in ROLES}, "tariffs": "VALID"}


def test_only_remittance_files_is_fine(tmp_path, write_batch, tariff_dir):
    batch = write_batch(tmp_path / "lot", contributions=CONTRIBUTIONS, remittances=REMITTANCES)
    result = invoke("validate", batch, "--tariffs", tariff_dir, "--json")
    assert result.exit_code == 0, result.output
    statuses = {r: f["status"] for r, f in by_role(json.loads(result.stdout)).items()}
    assert statuses == {"beneficiaries": "ABSENT", "providers": "ABSENT", "invoices": "ABSENT",
                        "contributions": "VALID", "remittances": "VALID", "tariffs": "VALID"}


def test_invalid_tariff_folder(tmp_path, write_batch, tariff_factory):
    coverage = [dict(c) for c in FIXTURE_COVERAGE]
    coverage[3]["care_type"] = "DENTAIRE"  # INPS HOSPITAL
    tariffs = tariff_factory(tmp_path / "tarifs", coverage=coverage)
    batch = clean_batch(write_batch, tmp_path / "lot")
    result = invoke("validate", batch, "--tariffs", tariffs, "--json")
    assert result.exit_code == 3, result.output
    files = by_role(json.loads(result.stdout))
    assert files["tariffs"]["status"] == "INVALID"
    assert [(p["file"], p["row"], p["column"], p["value"]) for p in files["tariffs"]["problems"]] == [
        (str(tariffs / "coverage.csv"), 4, "care_type", "DENTAIRE")]
    assert all(files[r]["status"] == "VALID" for r in ROLES)


def test_coverage_gap_is_usable(tmp_path, write_batch, tariff_factory):
    coverage = [c for c in FIXTURE_COVERAGE if (c["ogd"], c["care_type"]) != ("ANAM", "HOSPITAL")]
    tariffs = tariff_factory(tmp_path / "tarifs", coverage=coverage)
    batch = clean_batch(write_batch, tmp_path / "lot")
    result = invoke("validate", batch, "--tariffs", tariffs, "--json")
    assert result.exit_code == 0, result.output
    report = by_role(json.loads(result.stdout))["tariffs"]
    assert report["status"] == "USABLE"
    assert [(p["file"], p["message"]) for p in report["problems"]] == [
        (str(tariffs / "coverage.csv"), "aucun taux pour ANAM × HOSPITAL")]


def test_missing_batch_folder_exit_3(tmp_path, tariff_dir):
    result = invoke("validate", tmp_path / "absent", "--tariffs", tariff_dir, "--json")
    assert result.exit_code == 3
    assert json.loads(result.stdout)["exit_code"] == 3


# ---------------------------------------------------------------------------
# Validate writes nothing
# ---------------------------------------------------------------------------

def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.stat().st_mtime_ns, p.stat().st_size)
            for p in sorted(root.rglob("*"))}


@pytest.mark.parametrize("as_json", [False, True])
def test_validate_writes_nothing(tmp_path, as_json):
    batch = tmp_path / "2026-10"
    shutil.copytree(SAMPLE, batch)
    tariffs = tmp_path / "tarifs"
    shutil.copytree(default_tariff_folder(), tariffs)
    providers = batch / "providers.csv"  # Windows-1252: transcoding must not write here
    providers.write_bytes(providers.read_text(encoding="utf-8-sig").encode("cp1252"))
    before = _snapshot(tmp_path)
    result = invoke("validate", batch, "--tariffs", tariffs, *(["--json"] if as_json else []))
    assert result.exit_code == 0, result.output
    assert _snapshot(tmp_path) == before
