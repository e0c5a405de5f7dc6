"""The installed `ramu` console script, run as a real process, and the help of every command."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from ramu_cli.cli import app

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "2026-10"
RAMU = shutil.which("ramu", path=str(Path(sys.executable).parent)) or shutil.which("ramu")
COMMANDS = ["liquidate", "remittances", "validate", "samples", "verify", "commit", "diff"]


@pytest.mark.skipif(RAMU is None, reason="la commande ramu n'est pas installée dans cet environnement")
def test_installed_ramu_liquidates_the_shipped_sample(tmp_path):
    out = tmp_path / "sorties" / "2026-10"
    proc = subprocess.run([RAMU, "liquidate", str(SAMPLE), "--out", str(out), "--json"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)  # exactly one JSON object on stdout
    assert proc.stdout.count("\n") == 1
    lines = pl.read_parquet(out / "liquidation.parquet")
    invoices = pl.read_csv(SAMPLE / "invoices.csv", separator=";", infer_schema=False, encoding="utf8-lossy")
    assert lines.height == invoices.height == summary["totals"]["lines"]
    for key in ("billed", "payable", "copay", "disallowed"):
        assert summary["totals"][key] == lines[key].sum()
    assert summary["month"] == "2026-10"
    # the month defaults to the folder's name and the liquidation date to its last day
    assert summary["liquidation_date"] == "2026-10-31"
    verify = subprocess.run([RAMU, "verify", str(out)], capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stderr


@pytest.mark.skipif(RAMU is None, reason="la commande ramu n'est pas installée dans cet environnement")
def test_installed_ramu_unknown_option_is_exit_2():
    proc = subprocess.run([RAMU, "liquidate", str(SAMPLE), "--out", "x", "--bogus"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_french_help_with_an_example(command):
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Exemple" in result.stdout and f"ramu {command}" in result.stdout
    assert "pas encore disponible" not in result.stdout.lower()


def test_root_help_lists_every_command():
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for command in COMMANDS:
        assert command in result.stdout
