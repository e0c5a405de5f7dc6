"""Issue 11 (CLI part): nothing deleted that the command did not write, --json on every
path, exits 1 with a traceback turned into proper exits, policy values checked.

Every case runs the real command on real files (a batch written by `ramu samples`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from conftest import FIXTURE_POLICY
from ramu_cli.cli import app
from ramu_cli.commands.common import run_command
from ramu_cli.tariffs import default_tariff_folder, load_tariffs


def ramu(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def one_json(result) -> dict:
    """stdout holds exactly one JSON object and nothing else (no traceback)."""
    assert result.stdout.count("\n") == 1, result.stdout
    assert "Traceback" not in result.stdout
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def sample_batch(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("lots") / "2026-10"
    result = ramu("samples", folder, "--invoices", 300, "--seed", 5, "--format", "csv", "--json")
    assert result.exit_code == 0, result.output
    return folder


@pytest.fixture
def batch(sample_batch, tmp_path) -> Path:
    folder = tmp_path / "lot" / "2026-10"
    shutil.copytree(sample_batch, folder)
    return folder


# --- 1. files the command did not write ---------------------------------------------------

def test_liquidate_keeps_a_users_file_beside_an_earlier_run(batch, tmp_path):
    out = tmp_path / "sorties"
    assert ramu("liquidate", batch, "--out", out).exit_code == 0
    (out / "these.docx").write_bytes(b"ma these")
    before = sorted(p.name for p in out.iterdir())
    # Before the fix: exit 0 and these.docx gone (the folder had a manifest.json).
    result = ramu("liquidate", batch, "--out", out, "--json")
    assert result.exit_code == 2
    assert "these.docx" in one_json(result)["error"]
    assert "seraient perdus" in result.stderr
    assert sorted(p.name for p in out.iterdir()) == before
    assert (out / "these.docx").read_bytes() == b"ma these"
    (out / "these.docx").unlink()
    assert ramu("liquidate", batch, "--out", out).exit_code == 0        # its own output: replaced


def test_an_output_of_another_command_is_not_replaced(batch, tmp_path):
    out = tmp_path / "sorties"
    assert ramu("remittances", batch, "--out", out).exit_code == 0
    result = ramu("liquidate", batch, "--out", out)
    assert result.exit_code == 2
    assert "une autre commande (« remittances »)" in result.stderr
    assert (out / "remittances.parquet").is_file()


def test_samples_never_writes_over_a_real_batch(batch):
    real = batch.parent / "reel" / "2026-10"
    real.mkdir(parents=True)
    for name in ("beneficiaries.csv", "providers.csv", "invoices.csv"):
        shutil.copy(batch / name, real / name)           # a real batch: no samples marker
    before = {p.name: p.read_bytes() for p in real.iterdir()}
    # Before the fix: exit 0, the real CSVs replaced by synthetic ones.
    result = ramu("samples", real, "--invoices", 50, "--format", "csv")
    assert result.exit_code == 2, result.output
    assert "ne viennent pas d'un « ramu samples » précédent" in result.stderr
    assert {p.name: p.read_bytes() for p in real.iterdir()} == before
    # its own batch (marker .ramu-samples.json) is replaced
    assert ramu("samples", batch, "--invoices", 50, "--format", "parquet").exit_code == 0
    assert sorted(p.suffix for p in batch.iterdir()) == [".json"] + [".parquet"] * 6


def test_samples_keeps_a_file_added_to_its_own_batch(batch):
    (batch / "notes.txt").write_text("à garder", encoding="utf-8")
    result = ramu("samples", batch, "--invoices", 50)
    assert result.exit_code == 2
    assert "notes.txt" in result.stderr
    assert (batch / "notes.txt").read_text(encoding="utf-8") == "à garder"


# --- 3. --json on every path ------------------------------------------------------------

@pytest.mark.parametrize("args", [
    ["liquidate", "--json", "--inconnue"],
    ["remittances", "lot", "--json"],                       # --out missing
    ["validate", "--json"],                                 # BATCH_DIR missing
    ["samples", "x", "--invoices", "zero", "--json"],
    ["verify", "--json"],
    ["commit", "--json"],
    ["diff", "a", "--json"],
    ["review", "draw", "--json", "--inconnue"],
    ["review", "extrapolate", "--json"],
    ["review", "inconnue", "--json"],
    ["inconnue", "--json"],
])
def test_usage_errors_under_json_are_one_json_object(args):
    result = ramu(*args)
    assert result.exit_code == 2, result.output
    payload = one_json(result)
    assert payload["exit_code"] == 2 and payload["error"]


def test_an_internal_error_is_one_json_object_exit_1(capsys, monkeypatch):
    monkeypatch.delenv("RAMU_TRACEBACK", raising=False)
    with pytest.raises(typer.Exit) as ended:
        run_command(lambda: 1 // 0, as_json=True)
    assert ended.value.exit_code == 1
    out, err = capsys.readouterr()
    payload = json.loads(out)
    assert out.count("\n") == 1
    assert payload["exit_code"] == 1 and payload["exception"] == "ZeroDivisionError"
    assert "défaut du programme" in payload["error"] and "Signalez" in payload["error"]
    assert "Traceback" not in out + err
    monkeypatch.setenv("RAMU_TRACEBACK", "1")
    with pytest.raises(typer.Exit):
        run_command(lambda: 1 // 0, as_json=True)
    out, err = capsys.readouterr()
    assert "Traceback" not in out and "ZeroDivisionError" in err and "Traceback" in err


# --- 4. exits 1 with a traceback, now proper exits ----------------------------------------

def _rename_provider(batch: Path, name: str) -> str:
    path = batch / "providers.csv"
    lines = path.read_text(encoding="utf-8-sig").split("\n")
    fields = lines[1].split(";")
    fields[1] = name
    lines[1] = ";".join(fields)
    path.write_text("\n".join(lines), encoding="utf-8")
    return fields[0]


def test_control_character_and_markup_in_a_provider_name(batch, tmp_path):
    from lxml import etree
    pid = _rename_provider(batch, "Clinique \x07du [bold]Fleuve[/] \x0b")
    out = tmp_path / "sorties [/]"
    # Before: exit 1, "All strings must be XML compatible" (pain.001), then a rich MarkupError.
    result = ramu("liquidate", batch, "--out", out)
    assert result.exit_code == 0, result.output
    assert f"résultats dans {out}" in result.stderr.replace("\n", "")
    tree = etree.parse(str(out / "payment_orders.pain001.xml"))      # valid XML
    names = tree.xpath("//p:Cdtr/p:Nm/text()", namespaces={"p": tree.getroot().nsmap[None]})
    if any("Fleuve" in n for n in names):                            # the provider has an order this month
        assert "Clinique du [bold]Fleuve[/]" in names
    assert all(not any(ord(c) < 32 for c in n) for n in names)
    assert pid


def test_markup_in_a_cell_value_shown_by_validate(batch):
    path = batch / "invoices.csv"
    lines = path.read_text(encoding="utf-8-sig").split("\n")
    fields = lines[1].split(";")
    header = lines[0].split(";")
    fields[header.index("quantity")] = "[/]"
    lines[1] = ";".join(fields)
    path.write_text("\n".join(lines), encoding="utf-8")
    result = ramu("validate", batch)                  # before: exit 1, MarkupError
    assert result.exit_code == 0, result.output
    assert "[/]" in result.stderr


def test_glob_and_markup_characters_in_paths(batch, tmp_path):
    odd = tmp_path / "lots [1]" / "2026-10"
    shutil.copytree(batch, odd)
    result = ramu("liquidate", odd, "--out", tmp_path / "sorties [/] *", "--json")
    assert result.exit_code == 0, result.output
    assert one_json(result)["totals"]["lines"] == 300


@contextmanager
def _tmpfs(folder: Path, options: str) -> Iterator[Path]:
    """A real small disk (tmpfs) at `folder` for the block, unmounted after; skips without root."""
    folder.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None or subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], capture_output=True).returncode:
        pytest.skip("monter un tmpfs demande les droits root (mount -t tmpfs) : impossible ici")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def _refused_write(result, where: Path, reason: str) -> None:
    """Exit 3, "Écriture impossible dans « where » : reason", code write_failed."""
    assert result.exit_code == 3, result.output
    payload = one_json(result)
    assert payload["error"].startswith(f"Écriture impossible dans « {where} » : {reason}")
    assert payload["problems"][0]["code"] == "write_failed"


@pytest.mark.parametrize(("options", "reason"), [
    ("size=64k", "le disque est plein"),
    ("size=1m,ro", "le système de fichiers est en lecture seule"),
])
def test_out_on_a_full_or_read_only_disk(batch, tmp_path, options, reason):
    with _tmpfs(tmp_path / "disque", options) as disk:
        # Before: exit 3 "Lecture impossible d'un fichier d'entrée" (full) or exit 1 with a traceback (ro).
        _refused_write(ramu("liquidate", batch, "--out", disk / "sorties", "--json"), disk / "sorties", reason)
        assert list(disk.iterdir()) == []                             # nothing left behind


def test_a_full_disk_while_the_work_files_are_written(tmp_path):
    # The decisions' work files go beside OUT_DIR: 30 000 lines fill a 256 KiB disk before any
    # output. Before: exit 3 "Lecture impossible d'un fichier d'entrée … os error 28".
    lot = tmp_path / "lot" / "2026-10"
    assert ramu("samples", lot, "--invoices", 30_000, "--seed", 3).exit_code == 0
    with _tmpfs(tmp_path / "disque", "size=256k") as disk:
        _refused_write(ramu("liquidate", lot, "--out", disk / "sorties", "--json"), disk, "le disque est plein")
        assert list(disk.iterdir()) == []                             # no work folder left behind


def test_liquidation_date_out_of_any_month(batch, tmp_path):
    # Before: exit 1, "ValueError: year 10000 is out of range".
    result = ramu("liquidate", batch, "--out", tmp_path / "o", "--liquidation-date", "9999-12-31", "--json")
    assert result.exit_code == 2
    assert "31/12/9999 n'est pas une date de liquidation possible pour octobre 2026" in one_json(result)["error"]
    assert not (tmp_path / "o").exists()


def _tariffs_with_policy(tmp_path: Path, policy: str | None) -> Path:
    folder = tmp_path / "tarifs"
    shutil.copytree(default_tariff_folder(), folder)
    if policy is None:
        (folder / "policy.toml").unlink()
        (folder / "policy.toml").mkdir()
    else:
        (folder / "policy.toml").write_text(policy, encoding="utf-8")
    return folder


# --- 5. policy values checked ------------------------------------------------------------

SHIPPED = (default_tariff_folder() / "policy.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(("change", "column", "code"), [
    (("contest_days = 30", "contest_day = 30"), "[payment] contest_day", "unknown_policy_key"),
    (("due_days = { CSCOM = 30, CSREF = 30, HR = 30, EPH = 30, PRIVATE = 30, PHARMACY = 15 }",
      "due_days = [1, 2]"), "[payment] due_days", "policy_wrong_type"),
    (("deadline_days = 15", "deadline_days = -1"), "[remittance] deadline_days", "policy_out_of_range"),
    (("deadline_days = 15", 'deadline_days = "15"'), "[remittance] deadline_days", "policy_wrong_type"),
    (("penalty_initial_percent = 5.0", "penalty_initial_percent = 100.5"),
     "[remittance] penalty_initial_percent", "policy_out_of_range"),
    (("submission_deadline_days = 90", "submission_deadline_days = 3651"),
     "[liquidation] submission_deadline_days", "policy_out_of_range"),
    (("contest_days = 30", "contest_days = 9223372036854775807"), "[payment] contest_days",
     "policy_out_of_range"),
    (("PHARMACY = 15", "PHARMACY = -15"), "[payment] due_days.PHARMACY", "policy_out_of_range"),
    (("recovery_due_days = 30", "recovery_due_day = 30"), "[review] recovery_due_day", "unknown_policy_key"),
    (("[review]", "[revue]"), "[revue]", "unknown_policy_key"),
])
def test_bad_policy_value_is_exit_3_naming_the_key(batch, tmp_path, change, column, code):
    old, new = change
    assert old in SHIPPED
    tariffs = _tariffs_with_policy(tmp_path, SHIPPED.replace(old, new, 1))
    for command in (["liquidate", batch, "--out", tmp_path / "o"], ["remittances", batch, "--out", tmp_path / "o"]):
        result = ramu(*command, "--tariffs", tariffs, "--json")
        assert result.exit_code == 3, result.output
        problems = one_json(result)["problems"]
        assert [(p["column"], p["code"]) for p in problems] == [(column, code)]
        assert column in result.stderr
    assert not (tmp_path / "o").exists()
    result = ramu("validate", batch, "--tariffs", tariffs)
    assert result.exit_code == 3 and "INVALIDE" in result.stderr


def test_policy_toml_being_a_folder(batch, tmp_path):
    tariffs = _tariffs_with_policy(tmp_path, None)
    # Before: exit 1, IsADirectoryError.
    result = ramu("liquidate", batch, "--out", tmp_path / "o", "--tariffs", tariffs, "--json")
    assert result.exit_code == 3
    assert [p["code"] for p in one_json(result)["problems"]] == ["not_a_file"]


def test_signals_section_and_shipped_policy_load(tmp_path, tariff_factory):
    load_tariffs(default_tariff_folder())                    # the shipped folder stays valid
    policy = FIXTURE_POLICY + "\n[signals]\nz_threshold = 4.0\nmin_peer_lines = 20\nmin_peers = 5\n" \
        "beneficiary_providers = 4\nbeneficiary_lines = 40\n[review]\nrecovery_due_days = 45\n"
    assert load_tariffs(tariff_factory(tmp_path / "t", policy=policy)).policy.child_age_limit == 14


# --- 9. validate agrees with liquidate -----------------------------------------------------

def test_validate_refuses_a_batch_without_invoices(batch, tmp_path):
    (batch / "invoices.csv").unlink()
    assert ramu("liquidate", batch, "--out", tmp_path / "o").exit_code == 3
    # Before: exit 0, invoices ABSENT, the batch said usable.
    result = ramu("validate", batch, "--json")
    assert result.exit_code == 3
    payload = one_json(result)
    assert payload["ready"] == {"liquidate": False, "remittances": True}
    invoices = next(f for f in payload["files"] if f["role"] == "invoices")
    assert (invoices["status"], invoices["problems"][0]["code"]) == ("INVALID", "missing_file")


def test_a_batch_for_remittances_only_is_still_valid(batch):
    for role in ("beneficiaries", "providers", "invoices"):
        (batch / f"{role}.csv").unlink()
    result = ramu("validate", batch, "--json")
    assert result.exit_code == 0, result.output
    assert one_json(result)["ready"] == {"liquidate": False, "remittances": True}


def test_validate_refuses_a_coverage_gap_a_line_needs(batch, tmp_path):
    tariffs = tmp_path / "tarifs"
    shutil.copytree(default_tariff_folder(), tariffs)
    coverage = tariffs / "coverage.csv"
    coverage.write_text("".join(line for line in coverage.read_text(encoding="utf-8").splitlines(keepends=True)
                                if not line.startswith("CMSS,AMBULATORY")), encoding="utf-8")
    liquidated = ramu("liquidate", batch, "--out", tmp_path / "o", "--tariffs", tariffs, "--json")
    assert liquidated.exit_code == 3
    assert {p["code"] for p in one_json(liquidated)["problems"]} == {"coverage_rate_missing"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lot", "tarifs"]   # no OUT_DIR, no work folder left
    # Before: exit 0, the tariff folder UTILISABLE (the gap listed, but the batch said usable).
    result = ramu("validate", batch, "--tariffs", tariffs, "--json")
    assert result.exit_code == 3
    folder = next(f for f in one_json(result)["files"] if f["role"] == "tariffs")
    assert folder["status"] == "INVALID"
    assert "coverage_rate_missing" in {p["code"] for p in folder["problems"]}
