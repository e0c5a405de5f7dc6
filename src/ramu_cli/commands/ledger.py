"""`ramu ledger adopt`: start the journal of a ledger folder written before it existed."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from ramu_cli.commands.common import JSON_HELP, console, emit_json, run_command
from ramu_cli.french import count_fr, group_digits

ADOPT_HELP = """Adopter un registre écrit avant l'existence de son journal (ledger.jsonl).

Depuis la version 2, chaque usage du registre (liquidate --ledger, commit,
verify) le contrôle contre son journal, où « ramu commit » inscrit chaque
fichier avec son empreinte SHA-256 : un fichier retiré, renommé ou modifié
est alors refusé au lieu de faire payer ses lignes une seconde fois.

Un registre tenu avant n'a pas de journal. Vérifiez d'abord qu'il est
complet et intact (comparez-le à sa sauvegarde) : en l'adoptant, vous vous
portez garant de ses fichiers. Chaque fichier <run_id>.parquet est contrôlé
(nom, lecture, colonnes de la version 2, run_id de chaque ligne) ; si un seul
ne convient pas, ou si un journal existe déjà, rien n'est écrit (code 3).
Un fichier de version 1 (sans allowed_qty) se met à jour avant l'adoption :
« ramu commit DOSSIER_DE_LA_LIQUIDATION --ledger REGISTRE ».

Exemple : ramu ledger adopt registre/
"""

app = typer.Typer(name="ledger", help="Registre des exécutions enregistrées : adoption d'un registre "
                  "antérieur au journal.", no_args_is_help=True, rich_markup_mode="rich")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="ledger")


@app.command("adopt", help=ADOPT_HELP)
def adopt(
    ledger_dir: Path = typer.Argument(..., metavar="LEDGER_DIR", help="Dossier du registre à adopter."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    from ramu_cli.ledger.adopt import AdoptResult, adopt_ledger

    result: AdoptResult = run_command(lambda: adopt_ledger(ledger_dir), as_json)
    if as_json:
        emit_json({"status": "adopted", **result.as_dict()})
        return
    for e in result.entries:
        console.print(f"  {e.file} : {count_fr(e.rows)} ligne(s), {group_digits(e.payable)} F à payer, "
                      f"SHA-256 {e.sha256[:12]}…", soft_wrap=True, markup=False, highlight=False)
    console.print(f"[bold green]Registre adopté[/] : {len(result.entries)} fichier(s) inscrits au journal "
                  f"{escape(str(result.ledger_dir / 'ledger.jsonl'))} ; tête du journal {result.head[:12]}…",
                  soft_wrap=True)
