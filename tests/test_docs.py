"""Every command documents itself the same way (the sqlite-utils `test_docs.py` pattern).

The commands are found by walking the Typer app, so a command added later
(`diff`, `review draw` …) is checked without touching this file: French help
with an example, a `--json` option that answers with exactly one JSON object,
and a row in the README's table of commands.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from ramu_cli.cli import app

README = Path(__file__).resolve().parents[1] / "README.md"
runner = CliRunner()

# Words a French sentence of the help is bound to contain, and English ones it must not.
FRENCH_WORDS = re.compile(r"\b(le|la|les|de|des|du|un|une|et|à|au|aux|pour|par|sur|dans|avec|sans)\b", re.I)
ENGLISH_WORDS = re.compile(r"\b(the|and|with|without|for|from|of|this|file|folder|default)\b", re.I)


def _walk(command, path: tuple[str, ...] = ()):
    """(path, click command) of every runnable command under `command`, depth first."""
    subcommands = getattr(command, "commands", None)
    if subcommands is None:
        yield path, command
        return
    for name, sub in sorted(subcommands.items()):
        yield from _walk(sub, (*path, name))


ROOT = typer.main.get_command(app)
COMMANDS = dict(_walk(ROOT))
IDS = [" ".join(path) for path in COMMANDS]


def test_the_walk_finds_the_known_commands():
    known = {("liquidate",), ("remittances",), ("validate",), ("samples",), ("verify",), ("commit",)}
    assert known <= set(COMMANDS)


def _looks_french(text: str) -> bool:
    """French prose; options (--as-of), paths and file names are left out of the check."""
    prose = re.sub(r"--[\w-]+|\S*[/._]\S*", " ", text)
    return bool(FRENCH_WORDS.search(prose)) and not ENGLISH_WORDS.search(prose)


@pytest.mark.parametrize("path", COMMANDS, ids=IDS)
def test_help_is_french_with_an_example(path):
    command = COMMANDS[path]
    text = command.help or ""
    assert _looks_french(text), text
    assert re.search(rf"Exemple\s*:\s*ramu {' '.join(path)}\b", text), f"no « Exemple : ramu {' '.join(path)} … »"
    for param in command.params:
        if param.name == "help":
            continue
        assert param.help and _looks_french(param.help), (param.name, param.help)
    result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Exemple" in result.stdout


def test_root_help_is_french_with_an_example():
    assert _looks_french(ROOT.help) and "Exemple : ramu " in ROOT.help


@pytest.mark.parametrize("path", COMMANDS, ids=IDS)
def test_accepts_json(path):
    assert any("--json" in param.opts for param in COMMANDS[path].params), "no --json option"


@pytest.mark.parametrize("path", COMMANDS, ids=IDS)
def test_json_failure_is_one_json_object(path, tmp_path):
    """A cheap run that fails (a folder that does not exist, required options pointing
    into an empty folder): exit 2 or 3, stdout exactly one JSON object, nothing written."""
    command = COMMANDS[path]
    args = [*path]
    for param in command.params:
        if param.param_type_name == "argument":
            args += [str(tmp_path / "absent")] * (1 if param.nargs == 1 else max(param.nargs, 1))
        elif param.required:
            args += [param.opts[0], str(tmp_path / param.name)]
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code in (2, 3), (result.exit_code, result.output)
    payload = json.loads(result.stdout)                  # one document: json.loads refuses extra data
    assert isinstance(payload, dict)
    assert payload["exit_code"] == result.exit_code and payload["error"]
    assert "option inconnue" not in payload["error"], payload["error"]      # --json itself was understood
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("path", COMMANDS, ids=IDS)
def test_json_usage_error_is_one_json_object(path):
    """Missing arguments or options are reported by typer before the command runs: JSON too."""
    command = COMMANDS[path]
    if not any(param.required for param in command.params):
        pytest.skip("nothing required: the bare command would run")
    result = runner.invoke(app, [*path, "--json"])
    assert result.exit_code == 2, result.output
    payload = json.loads(result.stdout)
    assert payload["exit_code"] == 2 and "option inconnue" not in payload["error"], payload["error"]


@pytest.mark.parametrize("path", COMMANDS, ids=IDS)
def test_readme_lists_the_command(path):
    table = [line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith("| `ramu ")]
    name = " ".join(path)
    assert any(re.match(rf"\| `ramu {re.escape(name)}[ `]", line) for line in table), \
        f"README.md: no row « | `ramu {name} …` | … | » in the table of commands"
