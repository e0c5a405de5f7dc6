"""The ledger journal (ledger.jsonl): the folder is checked against it before every use.

Issue 11, "Paid twice": a ledger file renamed to .bak, deleted, or with one
row removed used to go unnoticed, and the next month paid those lines again.
Each case is reproduced on real files, through the real commands: liquidate
a batch, commit it, tamper with the ledger, then liquidate the same invoices
again with --ledger (exit 3, nothing written) and commit another run (exit 3).
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from liq_helpers import ben, explain, invoke, line, liquidate_args, prov
from ramu_cli.io.writers import write_parquet
from ramu_cli.manifest import liquidation_run_id
from test_manifest_ledger import RUN1, edit_manifest, flat, load, make_run

D = date


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def batch(write_batch, tmp_path: Path) -> Path:
    """Two lines of B100 at P-CSCOM, CONS × 1, on 05/10 and 06/10/2026: both paid."""
    return write_batch(tmp_path / "lot", beneficiaries=[ben("B100")], providers=[prov("P-CSCOM", "CSCOM")],
                       invoices=[line(invoice_id="F1", line_no=1),
                                 line(invoice_id="F2", line_no=1, service_date=D(2026, 10, 6))])


@pytest.fixture
def committed(batch: Path, tariff_dir: Path, tmp_path: Path) -> tuple[Path, Path]:
    """The batch liquidated (sortie1) and committed to registre/; returns (run folder, ledger)."""
    out, ledger = tmp_path / "sortie1", tmp_path / "registre"
    result = invoke(liquidate_args(batch, out, tariff_dir))
    assert result.exit_code == 0, explain(result)
    assert pl.read_parquet(out / "liquidation.parquet")["status"].to_list() == ["PAID", "PAID"]
    result = invoke(["commit", out, "--ledger", ledger])
    assert result.exit_code == 0, explain(result)
    return out, ledger


def ledger_file(ledger: Path) -> Path:
    (path,) = sorted(ledger.glob("*.parquet"))
    return path


def liquidate_again(batch: Path, tariff_dir: Path, ledger: Path, out: Path, *extra: str):
    return invoke(liquidate_args(batch, out, tariff_dir, extra=["--ledger", ledger, *extra]))


def test_intact_ledger_rejects_the_lines_again_and_the_manifest_records_its_head(
        committed, batch: Path, tariff_dir: Path, tmp_path: Path):
    run1, ledger = committed
    assert load(run1)["ledger_head"] == ""          # liquidated without --ledger
    journal = (ledger / "ledger.jsonl").read_bytes()
    assert journal.count(b"\n") == 1 and journal.endswith(b"\n")
    out = tmp_path / "sortie2"
    result = liquidate_again(batch, tariff_dir, ledger, out)
    assert result.exit_code == 0, explain(result)
    df = pl.read_parquet(out / "liquidation.parquet")
    assert df["status"].to_list() == ["REJECTED", "REJECTED"]
    assert df["reason"].to_list() == ["R13", "R13"]
    assert load(out)["ledger_head"] == sha(journal[:-1])   # the journal's only line, without "\n"
    assert invoke(["verify", out]).exit_code == 0


def test_the_chain_links_each_line_to_the_one_before(tmp_path: Path):
    ledger = tmp_path / "registre"
    run1 = make_run(tmp_path, "run1", RUN1)
    run2 = make_run(tmp_path, "run2", [
        ("INV2", 1, "P001", "B999", "CMSS", "C001", D(2026, 10, 5), 1, 2000, 2000, 1, 2000, 70,
         1400, 600, 0, "PAID", [], "OGD")], month="2026-11")
    for run in (run1, run2):
        assert invoke(["commit", run, "--ledger", ledger]).exit_code == 0
    rid1, rid2 = load(run1)["run_id"], load(run2)["run_id"]
    first, second, rest = (ledger / "ledger.jsonl").read_bytes().split(b"\n")
    assert rest == b""
    f2 = (ledger / f"{rid2}.parquet").read_bytes()
    assert second == (f'{{"run_id":"{rid2}","file":"{rid2}.parquet","sha256":"{sha(f2)}","rows":1,'
                      f'"payable":1400,"prev":"{sha(first)}"}}').encode()
    assert json.loads(first)["run_id"] == rid1 and json.loads(first)["prev"] == ""
    result = invoke(["verify", ledger, "--json"])
    assert result.exit_code == 0, explain(result)
    payload = json.loads(result.stdout)
    assert (payload["kind"], payload["head"]) == ("ledger", sha(second))
    assert [f["run_id"] for f in payload["files"]] == [rid1, rid2]


def _rename_to_bak(path: Path) -> None:
    path.rename(path.with_name(path.name + ".bak"))


def _delete(path: Path) -> None:
    path.unlink()


def _drop_one_row(path: Path) -> None:
    """Rewrite the ledger file without its first row (what an editor or a script would do)."""
    df = pl.read_parquet(path)
    os.chmod(path, 0o644)
    write_parquet(df.slice(1), path)


@pytest.mark.parametrize(("tamper", "code"), [(_rename_to_bak, "ledger_file_missing"),
                                              (_delete, "ledger_file_missing"),
                                              (_drop_one_row, "ledger_file_changed")])
def test_a_tampered_ledger_stops_liquidate_commit_and_verify(committed, batch: Path, tariff_dir: Path,
                                                             tmp_path: Path, tamper, code: str):
    _, ledger = committed
    path = ledger_file(ledger)
    tamper(path)
    # Before: liquidate exited 0 and paid both lines again (R13 saw no line). Now: exit 3.
    out = tmp_path / "sortie2"
    result = liquidate_again(batch, tariff_dir, ledger, out, "--json")
    assert result.exit_code == 3, explain(result)
    payload = json.loads(result.stdout)
    assert [p["code"] for p in payload["problems"]] == [code]
    assert payload["problems"][0]["file"] == path.name
    assert "payer deux fois" in payload["error"] and "sauvegarde" in payload["error"]
    assert not out.exists()
    if tamper is _rename_to_bak:
        assert f"{path.name}.bak" in payload["problems"][0]["message"]
    # commit of another run is refused too, and writes nothing.
    run2 = make_run(tmp_path, "run2", [RUN1[0]], month="2026-11")
    before = sorted(os.listdir(ledger))
    journal = (ledger / "ledger.jsonl").read_bytes()
    result = invoke(["commit", run2, "--ledger", ledger])
    assert result.exit_code == 3, explain(result)
    assert path.name in flat(result.stderr)
    assert sorted(os.listdir(ledger)) == before and (ledger / "ledger.jsonl").read_bytes() == journal
    assert invoke(["verify", ledger]).exit_code == 3


def test_an_unlisted_file_and_a_broken_chain_are_refused(tmp_path: Path):
    ledger = tmp_path / "registre"
    run1 = make_run(tmp_path, "run1", RUN1)
    assert invoke(["commit", run1, "--ledger", ledger]).exit_code == 0
    stray = ledger / "2026-12-aaaaaaaaaaaa.parquet"
    write_parquet(pl.read_parquet(ledger_file(ledger)), stray)
    result = invoke(["verify", ledger, "--json"])
    assert result.exit_code == 3
    assert [(p["code"], p["file"]) for p in json.loads(result.stdout)["problems"]] == [
        ("ledger_file_unlisted", stray.name)]
    stray.unlink()
    # A journal line rewritten by hand (prev emptied on a second line) breaks the chain.
    journal = ledger / "ledger.jsonl"
    first = journal.read_bytes()
    journal.write_bytes(first + first)
    result = invoke(["verify", ledger, "--json"])
    assert result.exit_code == 3
    assert [(p["code"], p["row"]) for p in json.loads(result.stdout)["problems"]] == [
        ("journal_chain_broken", 2), ("journal_duplicate_run", 2)]
    # Spaces after ":" make a line non-canonical.
    journal.write_bytes(first.replace(b'","file":"', b'", "file": "'))
    result = invoke(["verify", ledger, "--json"])
    # (the file that line listed is then listed by no valid line either)
    assert [p["code"] for p in json.loads(result.stdout)["problems"]] == [
        "journal_line_invalid", "ledger_file_unlisted"]


def test_an_interrupted_commit_is_completed_by_committing_the_same_run_again(tmp_path: Path):
    """The file was moved into place but the journal line was never written (power cut)."""
    ledger = tmp_path / "registre"
    run1 = make_run(tmp_path, "run1", RUN1)
    assert invoke(["commit", run1, "--ledger", ledger]).exit_code == 0
    journal = (ledger / "ledger.jsonl").read_bytes()
    (ledger / "ledger.jsonl").write_bytes(b"")
    assert invoke(["verify", ledger]).exit_code == 3
    result = invoke(["commit", run1, "--ledger", ledger, "--json"])
    assert result.exit_code == 0, explain(result)
    assert json.loads(result.stdout)["added_lines"] == 3
    assert (ledger / "ledger.jsonl").read_bytes() == journal


def _hostile_month(m: dict) -> None:
    m["options"]["month"] = "../victim/pwned"
    m["run_id"] = liquidation_run_id("../victim/pwned", m["outputs"]["liquidation.parquet"]["sha256"])


def _upper_case_run_id(m: dict) -> None:
    m["run_id"] = m["run_id"].upper()


@pytest.mark.parametrize("change", [_hostile_month, _upper_case_run_id])
def test_a_hand_edited_run_id_is_refused_by_verify_and_commit(tmp_path: Path, change):
    base = tmp_path / "deep" / "er"
    base.mkdir(parents=True)
    run = make_run(base, "run1", RUN1)
    edit_manifest(run, change)
    # Before: verify passed and commit wrote deep/victim/pwned-<hex>.parquet, outside the ledger.
    result = invoke(["verify", run, "--json"])
    assert result.exit_code == 3
    assert "run_id_invalid" in [p["code"] for p in json.loads(result.stdout)["problems"]]
    ledger = base / "registre"
    result = invoke(["commit", run, "--ledger", ledger, "--json"])
    assert result.exit_code == 3, explain(result)
    assert not (base / "victim").exists() and not (tmp_path / "deep" / "victim").exists()
    assert not ledger.exists() or sorted(os.listdir(ledger)) == []


def test_ledger_option_pointing_at_a_file_is_exit_3(committed, batch: Path, tariff_dir: Path, tmp_path: Path):
    run1, _ = committed
    a_file = tmp_path / "registre.txt"
    a_file.write_text("pas un dossier\n", encoding="utf-8")
    result = invoke(["commit", run1, "--ledger", a_file, "--json"])    # before: FileExistsError, exit 1
    assert result.exit_code == 3, explain(result)
    payload = json.loads(result.stdout)
    assert "est un fichier, pas un dossier" in payload["error"]
    assert [p["code"] for p in payload["problems"]] == ["ledger_not_a_folder"]
    result = liquidate_again(batch, tariff_dir, a_file, tmp_path / "sortie2")
    assert result.exit_code == 3, explain(result)
    assert "est un fichier, pas un dossier" in flat(result.stderr)


def test_a_manifest_whose_outputs_is_a_string_is_exit_3(tmp_path: Path):
    run = make_run(tmp_path, "run1", RUN1)
    edit_manifest(run, lambda m: m.update(outputs="liquidation.parquet"))
    for args in (["verify", run, "--json"], ["commit", run, "--ledger", tmp_path / "registre", "--json"]):
        result = invoke(args)
        assert result.exit_code == 3, explain(result)
        assert "manifeste invalide" in json.loads(result.stdout)["error"]


def test_console_messages_with_markup_characters_in_the_ledger_path(tmp_path: Path):
    """A ledger folder named `registre[/]` is printed as is (rich markup escaped), no traceback."""
    ledger = tmp_path / "registre[/]"
    run1 = make_run(tmp_path, "run1", RUN1)
    result = invoke(["commit", run1, "--ledger", ledger])
    assert result.exit_code == 0, explain(result)
    assert str(ledger) in flat(result.stderr)
    result = invoke(["verify", ledger])
    assert result.exit_code == 0, explain(result)
    text = flat(result.stderr)
    assert "Registre conforme à son journal" in text and f"{load(run1)['run_id']}.parquet" in text


def test_verify_refuses_a_ledger_head_that_is_not_a_hash(tmp_path: Path):
    run = make_run(tmp_path, "run1", RUN1)
    assert "ledger_head" not in load(run)      # built without one, as before ledger_head existed
    edit_manifest(run, lambda m: m.update(ledger_head="n'importe quoi"))
    result = invoke(["verify", run, "--json"])
    assert result.exit_code == 3
    assert [p["code"] for p in json.loads(result.stdout)["problems"]] == ["ledger_head_invalid"]
    edit_manifest(run, lambda m: m.update(ledger_head="ab" * 32))
    assert invoke(["verify", run]).exit_code == 0
    # A manifest written before ledger_head existed (no key) is still read and verified.
    edit_manifest(run, lambda m: m.pop("ledger_head"))
    assert invoke(["verify", run]).exit_code == 0
