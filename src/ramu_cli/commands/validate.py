"""`ramu validate`: check every file of a batch and the tariff folder; write nothing."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from ramu_cli.commands.common import JSON_HELP, TARIFFS_HELP, console, emit_json, resolve_tariffs, run_command
from ramu_cli.documents.labels import FILE_STATUS_FR
from ramu_cli.french import count_fr
from ramu_cli.validation import ValidationReport, validate_batch

HELP = (
    "Vérifie chaque fichier d'un lot (registre, prestataires, factures, cotisations, reversements, et les "
    "accords préalables s'il y en a) et le dossier des tarifs, sans rien écrire. Code de sortie 0 si tout "
    "est utilisable, 3 sinon.\n"
    "\n"
    "Exemple : ramu validate samples/2026-10\n"
)

STATUS_STYLE = {"VALID": "green", "USABLE": "yellow", "INVALID": "bold red", "ABSENT": "dim"}
SHOWN = 10


def _print(report: ValidationReport) -> None:
    table = RichTable(title="Contrôle du lot", title_justify="left")
    for col in ("Fichier", "Lignes", "Erreurs", "Statut"):
        table.add_column(col, justify="right" if col in ("Lignes", "Erreurs") else "left")
    for f in report.files:
        table.add_row(escape(f.path or f"({f.role})"), count_fr(f.rows) if f.rows is not None else "—",
                      count_fr(f.error_count), f"[{STATUS_STYLE[f.status]}]{FILE_STATUS_FR[f.status]}[/]")
    console.print(table)
    for f in report.files:
        if not f.problems:
            continue
        console.print(f"\n[bold]{escape(f.path or f.role)}[/] — premières erreurs :")
        errors = RichTable(show_header=True)
        for col in ("Ligne", "Colonne", "Valeur", "Message"):
            errors.add_column(col)
        for p in f.problems[:SHOWN]:
            errors.add_row("—" if p.row is None else str(p.row), escape(p.column or "—"), escape(p.value or ""),
                           escape(p.message))
        console.print(errors)
        if f.error_count > SHOWN:
            console.print(f"… et {count_fr(f.error_count - SHOWN)} autre(s).")
    if report.valid:
        console.print("\nLe lot est utilisable. Les lignes fautives seront rejetées (R14) ou écartées "
                      "comme anomalies (registre, prestataires, accords préalables).")
    else:
        console.print("\n[bold red]Le lot n'est pas utilisable[/] : corrigez les fichiers INVALIDES puis relancez.")


def register(app: typer.Typer) -> None:
    @app.command("validate", help=HELP)
    def validate_cmd(
        batch_dir: Path = typer.Argument(..., help="Dossier du lot à vérifier."),
        tariffs: Path | None = typer.Option(None, "--tariffs", help=TARIFFS_HELP),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        report = run_command(lambda: validate_batch(batch_dir, resolve_tariffs(tariffs), date.today()), as_json)
        if as_json:
            emit_json(report.as_dict())
        else:
            _print(report)
        if not report.valid:
            raise typer.Exit(3)
