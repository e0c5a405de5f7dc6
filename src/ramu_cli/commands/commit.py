"""`ramu commit`: add a finished liquidation run to the ledger, once."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from ramu_cli.commands.common import JSON_HELP, console, emit_json, run_command
from ramu_cli.french import pluralize
from ramu_cli.ledger import CommitResult, commit_run

HELP = """Enregistrer au registre les lignes PAYÉES et RÉDUITES d'une liquidation.

Le dossier est d'abord revérifié contre son manifeste. Un même dossier
s'enregistre une seule fois : le relancer ne change rien (« déjà enregistré »).
Deux enregistrements simultanés ne peuvent pas écrire ensemble (verrou). Si une
autre exécution déjà enregistrée détient la clé de ligne (prestataire, facture,
n° de ligne) ou la clé de doublon (bénéficiaire, prestataire, acte, date des
soins) d'une ligne, rien n'est enregistré : code de sortie 3 et liste des
lignes en cause, pour ne rien payer deux fois.

Registre de version 1 (fichier sans la colonne allowed_qty, écrit avant la
version 2) : enregistrer à nouveau le dossier de la liquidation d'origine met
son fichier à jour, après vérification que les lignes sont les mêmes.

Exemple : ramu commit sorties/2026-10 --ledger registre/
"""


def register(app: typer.Typer) -> None:
    @app.command("commit", help=HELP)
    def commit(
        out_dir: Path = typer.Argument(..., metavar="OUT_DIR",
                                       help="Dossier de sortie de « ramu liquidate »."),
        ledger: Path = typer.Option(..., "--ledger", metavar="DIR",
                                    help="Dossier du registre (créé s'il n'existe pas)."),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        result: CommitResult = run_command(lambda: commit_run(out_dir, ledger), as_json)
        if as_json:
            status = ("upgraded" if result.upgraded else
                      "already_committed" if result.already_committed else "committed")
            emit_json({"status": status, **result.as_dict(), "ledger": str(ledger)})
        elif result.upgraded:
            console.print(f"Exécution « {result.run_id} » : fichier du registre mis à jour en "
                          f"version 2 (colonne allowed_qty ajoutée, lignes vérifiées) "
                          f"({escape(str(result.path))}).", soft_wrap=True)
        elif result.already_committed:
            console.print(f"Exécution « {result.run_id} » : déjà enregistrée au registre "
                          f"({escape(str(result.path))}) ; rien n'a été ajouté.", soft_wrap=True)
        else:
            lines = pluralize(result.added_lines, "ligne ajoutée", "lignes ajoutées")
            console.print(f"[bold green]Exécution « {result.run_id} » enregistrée[/] : "
                          f"{lines} au registre "
                          f"({escape(str(result.path))}).", soft_wrap=True)
