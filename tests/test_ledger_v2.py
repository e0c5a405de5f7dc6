"""Ledger version 2: `allowed_qty` in every ledger file; version 1 files refused, then upgraded.

Run 1 is the hand-made run of test_manifest_ledger.py (its table gives the
lines): PAID/REDUCED rows 1, 2 and 4 with allowed_qty 1, 2 and 1. A version 1
ledger file is the same three lines written by hand without allowed_qty.
"""

from __future__ import annotations

import json
import os
import stat
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from ramu_cli.errors import InputError
from ramu_cli.io.writers import write_parquet
from ramu_cli.ledger import LEDGER_COLUMNS, commit_run, scan_ledger
from test_manifest_ledger import RUN1, flat, invoke, load, make_run

D = date
V1_COLUMNS = ["provider_id", "invoice_id", "line_no", "beneficiary_id", "act_code",
              "service_date", "ogd", "payable", "run_id"]


def v1_rows(rid: str) -> list[tuple]:
    """Run 1's PAID and REDUCED lines as a version 1 ledger held them (by hand)."""
    return [("P001", "INV1", 1, "B001", "C001", D(2026, 10, 3), "CMSS", 1400, rid),
            ("P001", "INV1", 2, "B001", "L010", D(2026, 10, 3), "CMSS", 1400, rid),
            ("P002", "INV3", 1, "B002", "C001", D(2026, 10, 7), "ANAM", 2500, rid)]


def write_v1_file(ledger: Path, rid: str, rows: list[tuple]) -> Path:
    ledger.mkdir(parents=True, exist_ok=True)
    path = ledger / f"{rid}.parquet"
    df = pl.DataFrame(rows, schema={"provider_id": pl.String, "invoice_id": pl.String,
                                    "line_no": pl.Int64, "beneficiary_id": pl.String,
                                    "act_code": pl.String, "service_date": pl.Date,
                                    "ogd": pl.String, "payable": pl.Int64, "run_id": pl.String},
                      orient="row")
    write_parquet(df, path)
    os.chmod(path, 0o444)   # as commit leaves it
    return path


@pytest.fixture
def run1(tmp_path: Path) -> Path:
    return make_run(tmp_path, "run1", RUN1)


def test_commit_writes_allowed_qty(run1: Path, tmp_path: Path):
    rid = load(run1)["run_id"]
    result = commit_run(run1, tmp_path / "registre")
    df = pl.read_parquet(result.path)
    assert df.columns == LEDGER_COLUMNS
    assert df.select("invoice_id", "line_no", "allowed_qty", "payable").rows() == [
        ("INV1", 1, 1, 1400), ("INV1", 2, 2, 1400), ("INV3", 1, 1, 2500)]
    union = scan_ledger(tmp_path / "registre")
    assert union is not None
    assert union.select("beneficiary_id", "act_code", "service_date", "allowed_qty").collect().rows() == [
        ("B001", "C001", D(2026, 10, 3), 1), ("B001", "L010", D(2026, 10, 3), 2),
        ("B002", "C001", D(2026, 10, 7), 1)]
    assert rid in str(result.path)


def test_version_1_file_is_refused_with_the_way_to_upgrade(run1: Path, tmp_path: Path):
    rid = load(run1)["run_id"]
    ledger = tmp_path / "registre"
    path = write_v1_file(ledger, rid, v1_rows(rid))
    with pytest.raises(InputError) as err:
        scan_ledger(ledger)
    assert err.value.exit_code == 3
    message = err.value.message
    assert message.startswith(f"{path} : fichier du registre écrit par une version de ramu "
                              "antérieure à la version 2")
    assert f"« ramu commit DOSSIER --ledger {ledger} »" in message
    assert f"la liquidation « {rid} »" in message
    [problem] = err.value.problems
    assert (problem.file, problem.column, problem.code) == (str(path), "allowed_qty",
                                                            "ledger_file_version_1")


def test_liquidate_with_a_version_1_ledger_exits_3(run1: Path, tmp_path: Path, write_batch,
                                                   tariff_dir: Path):
    from liq_helpers import explain, line, liquidate_args
    from liq_helpers import invoke as invoke_cli
    rid = load(run1)["run_id"]
    ledger = tmp_path / "registre"
    write_v1_file(ledger, rid, v1_rows(rid))
    batch = write_batch(tmp_path / "lot",
                        beneficiaries=[dict(beneficiary_id="B100", principal_id="B100",
                                            relationship="PRINCIPAL", ogd="CMSS", sex="M",
                                            birth_date=D(1980, 5, 10),
                                            rights_start=D(2020, 1, 1))],
                        providers=[dict(provider_id="P-CSCOM", name="CSCom", level="CSCOM",
                                        region="Bamako", convention_start=D(2020, 1, 1),
                                        bank_code="ML016", account_number="0001")],
                        invoices=[dict(line(), invoice_id="F1", line_no=1)])
    out = tmp_path / "sortie"
    result = invoke_cli(liquidate_args(batch, out, tariff_dir, extra=["--ledger", ledger]))
    assert result.exit_code == 3, explain(result)
    text = flat(result.stderr)
    assert "antérieure à la version 2" in text and "ramu commit DOSSIER --ledger" in text
    assert not out.exists()


def test_commit_of_the_original_run_upgrades_its_file(run1: Path, tmp_path: Path):
    rid = load(run1)["run_id"]
    ledger = tmp_path / "registre"
    path = write_v1_file(ledger, rid, v1_rows(rid))
    result = invoke("commit", run1, "--ledger", ledger, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "status": "upgraded", "run_id": rid, "added_lines": 0, "already_committed": True,
        "upgraded": True, "path": str(path), "ledger": str(ledger)}
    df = pl.read_parquet(path)
    assert df.columns == LEDGER_COLUMNS
    assert df.rows() == [
        ("P001", "INV1", 1, "B001", "C001", D(2026, 10, 3), "CMSS", 1, 1400, rid),
        ("P001", "INV1", 2, "B001", "L010", D(2026, 10, 3), "CMSS", 2, 1400, rid),
        ("P002", "INV3", 1, "B002", "C001", D(2026, 10, 7), "ANAM", 1, 2500, rid)]
    assert stat.S_IMODE(path.stat().st_mode) == 0o444
    assert sorted(p.name for p in ledger.iterdir()) == [".lock", f"{rid}.parquet"]
    # Upgraded before the journal exists: the folder must now be adopted before any use.
    with pytest.raises(InputError, match="ramu ledger adopt") as err:
        scan_ledger(ledger)
    assert [p.code for p in err.value.problems] == ["journal_absent"]
    adopted = invoke("ledger", "adopt", ledger, "--json")
    assert adopted.exit_code == 0, adopted.output
    assert [f["file"] for f in json.loads(adopted.stdout)["files"]] == [f"{rid}.parquet"]
    assert scan_ledger(ledger) is not None

    # Once upgraded and adopted, committing again changes nothing.
    content = path.read_bytes()
    again = invoke("commit", run1, "--ledger", ledger)
    assert again.exit_code == 0
    assert "déjà enregistrée au registre" in flat(again.stderr)
    assert path.read_bytes() == content


def test_upgrade_message_on_the_console(run1: Path, tmp_path: Path):
    rid = load(run1)["run_id"]
    ledger = tmp_path / "registre"
    write_v1_file(ledger, rid, v1_rows(rid))
    result = invoke("commit", run1, "--ledger", ledger)
    assert result.exit_code == 0, result.output
    assert (f"Exécution « {rid} » : fichier du registre mis à jour en version 2 (colonne "
            "allowed_qty ajoutée, lignes vérifiées)") in flat(result.stderr)


def test_upgrade_refused_when_the_lines_differ(run1: Path, tmp_path: Path):
    rid = load(run1)["run_id"]
    ledger = tmp_path / "registre"
    rows = v1_rows(rid)
    rows[2] = ("P002", "INV3", 1, "B002", "C001", D(2026, 10, 7), "ANAM", 9999, rid)  # payable
    path = write_v1_file(ledger, rid, rows)
    content = path.read_bytes()
    with pytest.raises(InputError) as err:
        commit_run(run1, ledger)
    assert err.value.exit_code == 3
    assert [(p.file, p.message, p.value) for p in err.value.problems] == [
        (path.name, "ligne du registre absente de l'exécution", "P002 / INV3 / 1"),
        ("liquidation.parquet", "ligne de l'exécution absente du fichier du registre",
         "P002 / INV3 / 1")]
    assert "il n'a pas été mis à jour" in err.value.message
    assert path.read_bytes() == content


def test_upgrade_refused_when_a_line_is_missing(run1: Path, tmp_path: Path):
    rid = load(run1)["run_id"]
    ledger = tmp_path / "registre"
    path = write_v1_file(ledger, rid, v1_rows(rid)[:2])
    result = invoke("commit", run1, "--ledger", ledger, "--json")
    assert result.exit_code == 3
    payload = json.loads(result.stdout)
    assert [(p["file"], p["value"], p["code"]) for p in payload["problems"]] == [
        ("liquidation.parquet", "P002 / INV3 / 1", "ledger_upgrade_mismatch")]
    assert pl.read_parquet(path).columns == V1_COLUMNS


def test_new_run_refused_while_another_file_is_version_1(run1: Path, tmp_path: Path):
    rid = load(run1)["run_id"]
    ledger = tmp_path / "registre"
    write_v1_file(ledger, rid, v1_rows(rid))
    run2 = make_run(tmp_path, "run2", [
        ("INV8", 1, "P003", "B010", "INPS", "C001", D(2026, 11, 2), 1, 2000, 2000, 1, 2000, 70,
         1400, 600, 0, "PAID", [], "OGD")], month="2026-11")
    result = invoke("commit", run2, "--ledger", ledger)
    assert result.exit_code == 3
    assert f"la liquidation « {rid} »" in flat(result.stderr)
    # The way out: upgrade run 1's file, adopt the folder (start its journal), then run 2 commits.
    assert invoke("commit", run1, "--ledger", ledger).exit_code == 0
    assert invoke("ledger", "adopt", ledger).exit_code == 0
    assert invoke("commit", run2, "--ledger", ledger).exit_code == 0
    union = scan_ledger(ledger)
    assert union is not None and union.collect().height == 4
