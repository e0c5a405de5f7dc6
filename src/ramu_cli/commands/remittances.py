"""`ramu remittances`: contributions and transfers in, the remittance audit out.

Thin: strict reading (remittances.input) → reconcile → check_invariants →
the run folder (remittances.outputs) → a French summary (or one JSON object).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from ramu_cli.commands.common import JSON_HELP, TARIFFS_HELP, console, emit_json, progress, resolve_tariffs, run_command
from ramu_cli.french import date_fr, fcfa
from ramu_cli.manifest import MANIFEST_NAME
from ramu_cli.remittances.core import PenaltyPolicy, reconcile
from ramu_cli.remittances.invariants import check_invariants
from ramu_cli.remittances.totals import check_input_sums, totals

HELP = (
    "Contrôle des reversements : rapproche les cotisations encaissées par chaque OGD (CMSS, INPS, UTM) "
    "des virements reçus par la CANAM ; calcule par OGD et par période le dû, l'encaissé, le reversé (à "
    "temps ou en retard), le restant dû, l'excédent et les pénalités de retard ; écrit "
    "remittances.parquet, remittance_chunks.parquet, remittances.xlsx, report.html et manifest.json.\n"
    "\n"
    "Une ligne de cotisation ou de virement invalide arrête la commande (code 3) avec la liste de toutes "
    "les lignes fautives : un audit a besoin de chiffres complets.\n"
    "\n"
    "Exemple : ramu remittances samples/2026-10 --out sorties/reversements-2026-10 --as-of 2026-12-31\n"
)


@dataclass
class RunOptions:
    batch_dir: Path
    out: Path
    as_of: date
    tariffs: Path


def _run(opts: RunOptions, as_json: bool) -> dict:
    from ramu_cli.remittances.input import read_strict
    from ramu_cli.remittances.outputs import RemittanceRun, write_run
    from ramu_cli.tariffs import load_tariffs

    with progress(not as_json) as bar:
        task = bar.add_task("Lecture des tarifs et des fichiers", total=4)
        tariffs = load_tariffs(opts.tariffs)
        pol = tariffs.policy
        policy = PenaltyPolicy(deadline_days=pol.remittance_deadline_days,
                               initial_bp=pol.penalty_initial_bp, monthly_bp=pol.penalty_monthly_bp)
        inputs = read_strict(opts.batch_dir)
        check_input_sums({"contributions": (inputs.contributions_typed, ("amount_due", "amount_collected")),
                          "remittances": (inputs.remittances_typed, ("amount",))})
        bar.update(task, advance=1, description="Rapprochement des reversements")
        result = reconcile(inputs.contributions_typed, inputs.remittances_typed, opts.as_of, policy)
        check_invariants(result)
        bar.update(task, advance=1, description="Écriture des résultats")
        run = RemittanceRun(as_of=opts.as_of, result=result, policy=policy, tariffs_digest=tariffs.digest,
                            totals=totals(result.periods.lazy()),
                            options={"as_of": opts.as_of.isoformat(), "tariffs": str(opts.tariffs),
                                     "batch_dir": str(opts.batch_dir)},
                            inputs=inputs.inputs())
        man = write_run(opts.out, run, lambda: bar.update(task, advance=1, description="Rapport"))
        bar.update(task, advance=1)
    return {"command": "remittances", "as_of": opts.as_of.isoformat(), "out": str(opts.out),
            "totals": run.totals, "periods": result.periods.height, "chunks": result.chunks.height,
            "inputs": {role: rows for role, (_, rows) in run.inputs.items()},
            "by_ogd": result.ogd_totals.to_dicts(),
            "outputs": sorted([*man.outputs, MANIFEST_NAME])}


def _print_summary(summary: dict) -> None:
    as_of = date_fr(date.fromisoformat(summary["as_of"]))
    table = RichTable(title=f"Reversements des OGD à la CANAM au {as_of}", title_justify="left")
    for col in ("OGD", "Encaissé", "Reversé", "Restant dû", "Pénalités"):
        # Digits are never cut off: a narrow terminal folds them, a log gets a wide table.
        table.add_column(col, justify="left" if col == "OGD" else "right", overflow="fold",
                         min_width=4)
    for row in summary["by_ogd"]:
        table.add_row(row["ogd"], fcfa(row["collected"]), fcfa(row["remitted"]),
                      fcfa(row["outstanding"]), fcfa(row["penalty"]))
    t = summary["totals"]
    table.add_row("[bold]Total[/]", fcfa(t["collected"]), fcfa(t["remitted"]),
                  fcfa(t["outstanding"]), fcfa(t["penalty"]))
    console.print(table)
    if t["excess"]:
        excess = ", ".join(f"{r['ogd']} {fcfa(r['excess'])}" for r in summary["by_ogd"] if r["excess"])
        console.print(f"Versé au-delà de l'encaissé (excédent, jamais imputé ailleurs) : "
                      f"{fcfa(t['excess'])} ({excess}).", soft_wrap=True)
    console.print(f"{summary['periods']} période(s) contrôlée(s) — résultats dans {escape(summary['out'])}",
                  soft_wrap=True)


def register(app: typer.Typer) -> None:
    @app.command("remittances", help=HELP)
    def remittances_cmd(
        batch_dir: Path = typer.Argument(..., help="Dossier du lot (contributions, remittances)."),
        out: Path = typer.Option(..., "--out", help="Dossier de sortie (remplacé en entier une fois complet)."),
        as_of: datetime | None = typer.Option(
            None, "--as-of", formats=["%Y-%m-%d"],
            help="Date de l'audit AAAA-MM-JJ : seuls les virements de date de valeur antérieure "
                 "ou égale comptent, les retards courent jusqu'à elle (par défaut : aujourd'hui)."),
        tariffs: Path | None = typer.Option(None, "--tariffs", help=TARIFFS_HELP),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        opts = RunOptions(batch_dir, out, as_of.date() if as_of else date.today(),
                          resolve_tariffs(tariffs))
        summary = run_command(lambda: _run(opts, as_json), as_json)
        if as_json:
            emit_json(summary)
        else:
            _print_summary(summary)
