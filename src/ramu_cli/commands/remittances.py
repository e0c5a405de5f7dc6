"""`ramu remittances` (not yet available)."""

from __future__ import annotations

import typer

from ramu_cli.commands.common import console


def register(app: typer.Typer) -> None:
    @app.command("remittances", help="Pas encore disponible.")
    def _cmd() -> None:
        console.print("Commande « remittances » : pas encore disponible.")
        raise typer.Exit(1)
