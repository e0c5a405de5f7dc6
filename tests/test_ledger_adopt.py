"""`ramu ledger adopt`: the journal of a ledger folder written before it existed.

The folder is built by hand the way ramu wrote ledgers before the journal:
`<run_id>.parquet` files with LEDGER_COLUMNS. Adoption writes one chained line
per file, in name order, and refuses anything that is not a ledger file.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from liq_helpers import explain, invoke
from ramu_cli.io.writers import write_parquet
from ramu_cli.ledger import LEDGER_COLUMNS, LEDGER_SCHEMA, scan_ledger

D = date
RID_A = "2026-09-0123456789ab"
RID_B = "2026-10-abcdef012345"


def ledger_rows(rid: str, payables: list[int]) -> pl.DataFrame:
    return pl.DataFrame([("P001", f"INV-{rid}", i, "B001", "C001", D(2026, 9, i), "CMSS", 1, p, rid)
                         for i, p in enumerate(payables, start=1)], schema=LEDGER_SCHEMA, orient="row")


@pytest.fixture
def old_ledger(tmp_path: Path) -> Path:
    """Two committed runs, no journal: A holds 2 lines (1 400 + 2 500 F), B one line (700 F)."""
    ledger = tmp_path / "registre"
    ledger.mkdir()
    write_parquet(ledger_rows(RID_A, [1400, 2500]), ledger / f"{RID_A}.parquet")
    write_parquet(ledger_rows(RID_B, [700]), ledger / f"{RID_B}.parquet")
    (ledger / ".lock").touch()
    return ledger


def test_a_ledger_without_journal_is_refused_until_adopted(old_ledger: Path, tmp_path: Path):
    result = invoke(["verify", old_ledger, "--json"])
    assert result.exit_code == 3
    payload = json.loads(result.stdout)
    assert "ramu ledger adopt" in payload["error"]
    assert [p["code"] for p in payload["problems"]] == ["journal_absent", "journal_absent"]

    result = invoke(["ledger", "adopt", old_ledger, "--json"])
    assert result.exit_code == 0, explain(result)
    a = hashlib.sha256((old_ledger / f"{RID_A}.parquet").read_bytes()).hexdigest()
    b = hashlib.sha256((old_ledger / f"{RID_B}.parquet").read_bytes()).hexdigest()
    line_a = f'{{"run_id":"{RID_A}","file":"{RID_A}.parquet","sha256":"{a}","rows":2,"payable":3900,"prev":""}}'
    head_a = hashlib.sha256(line_a.encode()).hexdigest()
    line_b = f'{{"run_id":"{RID_B}","file":"{RID_B}.parquet","sha256":"{b}","rows":1,"payable":700,"prev":"{head_a}"}}'
    assert (old_ledger / "ledger.jsonl").read_bytes() == f"{line_a}\n{line_b}\n".encode()
    payload = json.loads(result.stdout)
    assert payload["status"] == "adopted"
    assert payload["head"] == hashlib.sha256(line_b.encode()).hexdigest()
    assert [f["rows"] for f in payload["files"]] == [2, 1]

    assert invoke(["verify", old_ledger]).exit_code == 0
    lines = scan_ledger(old_ledger)
    assert lines is not None and lines.collect().height == 3
    # A journal is there now: adopting again is refused, the journal untouched.
    again = invoke(["ledger", "adopt", old_ledger])
    assert again.exit_code == 3
    assert "déjà un journal" in " ".join(again.stderr.split())


def _wrong_name(ledger: Path) -> str:
    write_parquet(ledger_rows(RID_A, [1]), ledger / "copie.parquet")
    return "ledger_file_name_invalid"


def _not_parquet(ledger: Path) -> str:
    (ledger / "2026-11-aaaaaaaaaaaa.parquet").write_bytes(b"PAR1 not really")
    return "unreadable_file"


def _missing_column(ledger: Path) -> str:
    rid = "2026-11-bbbbbbbbbbbb"
    write_parquet(ledger_rows(rid, [1]).drop("ogd"), ledger / f"{rid}.parquet")
    return "missing_column"


def _version_1(ledger: Path) -> str:
    rid = "2026-11-cccccccccccc"
    write_parquet(ledger_rows(rid, [1]).drop("allowed_qty"), ledger / f"{rid}.parquet")
    return "ledger_file_version_1"


def _foreign_rows(ledger: Path) -> str:
    rid = "2026-11-dddddddddddd"
    write_parquet(ledger_rows(RID_A, [1]), ledger / f"{rid}.parquet")   # rows of run A under another name
    return "ledger_file_foreign_rows"


@pytest.mark.parametrize("make", [_wrong_name, _not_parquet, _missing_column, _version_1, _foreign_rows])
def test_adoption_refuses_a_file_that_is_not_a_ledger_file(old_ledger: Path, make):
    code = make(old_ledger)
    result = invoke(["ledger", "adopt", old_ledger, "--json"])
    assert result.exit_code == 3, explain(result)
    payload = json.loads(result.stdout)
    assert code in [p["code"] for p in payload["problems"]]
    assert "aucun journal n'a été écrit" in payload["error"]
    assert not (old_ledger / "ledger.jsonl").exists()


def test_adoption_of_an_empty_or_missing_folder_is_refused(tmp_path: Path):
    (tmp_path / "vide").mkdir()
    assert invoke(["ledger", "adopt", tmp_path / "vide"]).exit_code == 3
    assert not (tmp_path / "vide" / "ledger.jsonl").exists()
    assert invoke(["ledger", "adopt", tmp_path / "absent"]).exit_code == 3


def test_adopt_help_is_french_with_an_example():
    result = invoke(["ledger", "adopt", "--help"])
    assert result.exit_code == 0
    assert "Exemple : ramu ledger adopt registre/" in result.stdout


def test_ledger_columns_are_unchanged():
    assert LEDGER_COLUMNS == ["provider_id", "invoice_id", "line_no", "beneficiary_id", "act_code",
                              "service_date", "ogd", "allowed_qty", "payable", "run_id"]
