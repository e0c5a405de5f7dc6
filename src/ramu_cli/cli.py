"""The `ramu` command: one Typer app joining one module per command."""

from __future__ import annotations

import json
import sys

import typer
from typer import rich_utils

from ramu_cli import __version__
from ramu_cli.commands import commit, diff, ledger, liquidate, remittances, review, samples, validate, verify
from ramu_cli.commands.common import RamuGroup
from ramu_cli.io import scratch

# Typer's help panels, in the officers' language.
rich_utils.ARGUMENTS_PANEL_TITLE = "Arguments"
rich_utils.OPTIONS_PANEL_TITLE = "Options"
rich_utils.COMMANDS_PANEL_TITLE = "Commandes"
rich_utils.ERRORS_PANEL_TITLE = "Erreur"
rich_utils.DEFAULT_STRING = "[par défaut : {}]"
rich_utils.REQUIRED_LONG_STRING = "[obligatoire]"

app = typer.Typer(
    name="ramu",
    cls=RamuGroup,
    help=("Liquidation mensuelle des factures et contrôle des reversements du RAMU (Mali).\n\n"
          "Exemple : ramu liquidate samples/2026-10 --out sorties/2026-10"),
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_show_locals=False,
    rich_markup_mode="rich",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ramu {__version__}")
        raise typer.Exit()


@app.callback()
def root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                      help="Afficher la version et quitter.")) -> None:
    """Liquidation mensuelle des factures et contrôle des reversements du RAMU (Mali)."""


for module in (liquidate, remittances, validate, samples, verify, commit, ledger, diff, review):
    module.register(app)


def _interrupted(as_json: bool):
    """What a run interrupted by a signal says before it exits 128 + the signal's number."""
    def report(signum: int) -> None:
        name = {2: "SIGINT", 15: "SIGTERM", 1: "SIGHUP"}.get(signum, str(signum))
        message = (f"Interrompu ({name}) : les fichiers temporaires ont été supprimés et le dossier de "
                   "sortie est resté tel qu'il était. Relancez la commande.")
        if as_json:
            sys.stdout.write(json.dumps({"error": message, "exit_code": 128 + signum, "problems": []},
                                        ensure_ascii=False, sort_keys=True) + "\n")
            sys.stdout.flush()
        sys.stderr.write(f"Erreur : {message}\n")
    return report


def main() -> None:
    # SIGINT, SIGTERM, SIGHUP: temporary files removed, exit 130 / 143 / 129 (io/scratch.py).
    scratch.install(_interrupted("--json" in sys.argv[1:]))
    try:
        app()
    finally:
        scratch.wait_if_interrupted()
