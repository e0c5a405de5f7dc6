"""`ramu verify`: re-check a run folder against its manifest, or a ledger folder against its journal."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from ramu_cli.commands.common import JSON_HELP, console, emit_json, run_command
from ramu_cli.errors import InputError
from ramu_cli.french import count_fr, group_digits
from ramu_cli.ledger import JournalCheck
from ramu_cli.ledger.state import is_ledger_folder, verify_ledger
from ramu_cli.run_check import VerifyReport, check_run

HELP = """Revérifier un dossier de sortie contre son manifeste (manifest.json),
ou un dossier du registre contre son journal (ledger.jsonl).

Dossier de sortie : recalcule l'empreinte SHA-256 de chaque fichier produit
(fichiers manquants, en trop ou modifiés), celle de chaque fichier d'entrée
encore présent, le nombre de lignes des fichiers Parquet et les totaux.

Dossier du registre (sans manifest.json, avec ledger.jsonl ou des fichiers
<run_id>.parquet) : suit la chaîne d'empreintes du journal, recalcule
l'empreinte, le nombre de lignes et le montant à payer de chaque fichier
inscrit, et signale tout fichier manquant, renommé, modifié ou non inscrit.

Code de sortie 0 si tout concorde, 3 sinon (avec la liste des différences).

Exemple : ramu verify sorties/2026-10
Exemple (registre) : ramu verify registre/
"""


def _render(report: VerifyReport) -> None:
    table = Table(title=f"Fichiers vérifiés — {escape(str(report.out_dir))}", title_justify="left")
    table.add_column("Fichier", overflow="fold")
    table.add_column("Type")
    table.add_column("Lignes", justify="right")
    table.add_column("SHA-256")
    table.add_column("État")
    for f in report.files:
        table.add_row(escape(f.name), f.kind, "" if f.rows is None else count_fr(f.rows),
                      f"{f.sha256[:12]}…", "conforme" if f.ok else "[red]différent[/]")
    console.print(table)
    totals = ", ".join(report.totals_checked) or "aucun"
    console.print(f"Totaux recalculés : {totals}.", soft_wrap=True)
    console.print(f"[bold green]Dossier conforme à son manifeste[/] ({escape(str(report.out_dir))}).",
                  soft_wrap=True)


def _render_ledger(check: JournalCheck) -> None:
    table = Table(title=f"Registre vérifié — {escape(str(check.ledger_dir))}", title_justify="left")
    for col, justify in (("Fichier", "left"), ("Lignes", "right"), ("À payer (F)", "right"),
                         ("SHA-256", "left"), ("État", "left")):
        table.add_column(col, justify=justify, overflow="fold")  # type: ignore[arg-type]
    for e in check.entries:
        table.add_row(escape(e.file), count_fr(e.rows), group_digits(e.payable), f"{e.sha256[:12]}…", "conforme")
    console.print(table)
    head = check.head[:12] + "…" if check.head else "(journal vide)"
    console.print(f"[bold green]Registre conforme à son journal[/] ({escape(str(check.ledger_dir))}) ; "
                  f"tête du journal : {head}", soft_wrap=True)


def _ledger_json(check: JournalCheck) -> dict:
    return {"status": "ok", "kind": "ledger", "ledger": str(check.ledger_dir), "head": check.head,
            "files": [e.as_dict() for e in check.entries], "differences": []}


def register(app: typer.Typer) -> None:
    @app.command("verify", help=HELP)
    def verify(
        out_dir: Path = typer.Argument(..., metavar="OUT_DIR",
                                       help="Dossier de sortie d'une exécution (avec manifest.json), "
                                            "ou dossier du registre (avec ledger.jsonl)."),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        if is_ledger_folder(out_dir):
            check = run_command(lambda: verify_ledger(out_dir), as_json)
            if as_json:
                emit_json(_ledger_json(check))
            else:
                _render_ledger(check)
            return

        def body() -> VerifyReport:
            report = check_run(out_dir)
            if not report.valid:
                raise InputError(
                    f"Le dossier « {out_dir} » ne correspond pas à son manifeste : "
                    f"{len(report.differences)} différence(s). N'utilisez pas ces fichiers : "
                    "relancez la commande qui les a produits.", report.differences)
            return report

        report = run_command(body, as_json)
        if as_json:
            emit_json({"status": "ok", "kind": "run", "out_dir": str(out_dir),
                       "command": report.manifest.command,
                       "run_id": report.manifest.run_id,
                       "files": [f.as_dict() for f in report.files],
                       "totals_checked": report.totals_checked, "differences": []})
        else:
            _render(report)
