"""`ramu liquidate`: a month of invoice lines in, decisions, orders and notices out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from pathlib import Path

import polars as pl
import typer
from rich.markup import escape
from rich.table import Table as RichTable

from ramu_cli.commands.common import (
    JSON_HELP,
    TARIFFS_HELP,
    console,
    emit_json,
    progress,
    resolve_month,
    resolve_tariffs,
    run_command,
)
from ramu_cli.contract import AUTHORIZATIONS, BENEFICIARIES, INVOICES, PROVIDERS
from ramu_cli.documents.labels import STATUS_PLURAL_FR
from ramu_cli.french import count_fr, fcfa, month_title
from ramu_cli.io.parts import work_folder
from ramu_cli.io.readers import scan_batch_table
from ramu_cli.io.writers import check_replaceable
from ramu_cli.liquidation.authorizations import load_authorizations
from ramu_cli.liquidation.invariants import check_orders
from ramu_cli.liquidation.orders import payment_orders
from ramu_cli.liquidation.pipeline import last_day_of_month, liquidate
from ramu_cli.liquidation.registry import load_registry
from ramu_cli.liquidation.totals import totals
from ramu_cli.signals import compute_signals
from ramu_cli.tariffs import Tariffs, load_tariffs

HELP = (
    "Liquide les lignes de factures d'un mois : chaque ligne devient PAYÉE, RÉDUITE ou REJETÉE avec ses "
    "motifs ; écrit le résultat ligne à ligne, les ordres de paiement, les avis de rejet, un rapport HTML"
    " et un manifeste.\n"
    "\n"
    "Exemple : ramu liquidate samples/2026-10 --out sorties/2026-10\n"
)


@dataclass
class RunOptions:
    batch_dir: Path
    out: Path
    month: str
    liquidation_date: date
    tariffs: Path
    ledger: Path | None
    documents: bool = True


def _run(opts: RunOptions, as_json: bool) -> dict:
    with progress(not as_json) as bar:
        task = bar.add_task("Lecture des tarifs et du registre", total=4)
        tariffs = load_tariffs(opts.tariffs)
        check_replaceable(opts.out.resolve(), "liquidate")   # before the work, not after it
        with work_folder(opts.out) as work:
            return _liquidate_into(opts, tariffs, work, lambda text: bar.update(task, advance=1, description=text))


def _liquidate_into(opts: RunOptions, tariffs: Tariffs, work: Path, step: Callable[[str], object]) -> dict:
    from ramu_cli.ledger import open_ledger
    from ramu_cli.liquidation.outputs import LiquidationRun, write_run

    scans = {t.role: scan_batch_table(opts.batch_dir, t) for t in (BENEFICIARIES, PROVIDERS, INVOICES)}
    registry = load_registry(scans["beneficiaries"], scans["providers"], opts.liquidation_date)
    auth_scan = scan_batch_table(opts.batch_dir, AUTHORIZATIONS, required=False)
    authorizations, auth_anomalies = load_authorizations(auth_scan)
    if auth_scan is not None:   # its unusable rows go to anomalies.csv with the registry's
        scans["authorizations"] = auth_scan
        registry = replace(registry, anomalies=pl.concat([registry.anomalies, auth_anomalies]))
    ledger = open_ledger(opts.ledger)   # checked against its journal (ledger.jsonl) first
    step("Liquidation des lignes")
    result = liquidate(scans["invoices"], registry, tariffs, ledger.lines, opts.liquidation_date,
                       authorizations if auth_scan is not None else None, work=work)
    lines = result.lines        # read from the work folder's parts, never whole in memory
    run_totals = totals(lines)  # summed in Int128: exit 4 before any Int64 sum could wrap
    orders = payment_orders(lines, registry.providers, tariffs.policy, opts.month, opts.liquidation_date)
    check_orders(lines, orders)
    # Signals only read the checked lines: they never change a decision or an amount.
    # They are shown in the documents (report, signals.csv): not computed without them.
    signals = compute_signals(lines, tariffs.policy.signals).collect() if opts.documents else None
    step("Écriture des résultats")
    run = LiquidationRun(
        month=opts.month, liquidation_date=opts.liquidation_date, lines=lines, input_rows=result.input_rows,
        orders=orders, registry=registry, tariffs=tariffs, totals=run_totals,
        options={"month": opts.month, "liquidation_date": opts.liquidation_date.isoformat(),
                 "tariffs": str(opts.tariffs), "ledger": str(opts.ledger) if opts.ledger else None,
                 "batch_dir": str(opts.batch_dir),
                 # Recorded only when left out, so a default run's manifest is unchanged.
                 **({} if opts.documents else {"documents": False})},
        inputs={role: (scan.path, scan.raw.select(pl.len()).collect().item()) for role, scan in scans.items()},
        signals=signals, ledger_head=ledger.head, documents=opts.documents, parts=result.parts)
    man = write_run(opts.out, run, lambda: step("Documents"))
    step("Terminé")
    return {"command": "liquidate", "month": opts.month, "out": str(opts.out),
            "liquidation_date": opts.liquidation_date.isoformat(), "run_id": man.run_id,
            "totals": run.totals, "anomalies": registry.anomalies.height, "orders": orders.height,
            "by_status": _summed(lines, "status"), "by_ogd": _summed(lines, "ogd"),
            "outputs": sorted(man.outputs), "signals": None if signals is None else signals.height}


def _summed(lines: pl.LazyFrame, key: str) -> list[dict]:
    return (lines.group_by(key).agg(pl.len().alias("lines"), pl.col("billed").sum(), pl.col("payable").sum())
            .sort(key, nulls_last=True).collect().to_dicts())


def _print_summary(summary: dict) -> None:
    t = summary["totals"]
    table = RichTable(title=f"Liquidation de {month_title(summary['month'])}", title_justify="left")
    for col in ("", "Lignes", "Facturé", "À payer"):
        table.add_column(col, justify="right" if col else "left")
    by_status = {row["status"]: row for row in summary["by_status"]}
    for status, label in STATUS_PLURAL_FR.items():
        row = by_status.get(status, {"lines": 0, "billed": 0, "payable": 0})
        table.add_row(label, count_fr(row["lines"]), fcfa(row["billed"]), fcfa(row["payable"]))
    table.add_section()
    for row in summary["by_ogd"]:
        table.add_row(f"OGD {row['ogd'] or '(illisible)'}", count_fr(row["lines"]),
                      fcfa(row["billed"]), fcfa(row["payable"]))
    table.add_section()
    table.add_row("[bold]Total[/]", count_fr(t["lines"]), fcfa(t["billed"]), fcfa(t["payable"]))
    console.print(table)
    console.print(f"Ordres de paiement : {summary['orders']} — anomalies du registre : "
                  f"{summary['anomalies']} — résultats dans {escape(summary['out'])}")


# A month is liquidated within a year of its end; beyond, the date is a typo (9999-12-31).
LATEST_LIQUIDATION_DAYS = 366


def check_liquidation_date(month: str, when: date) -> None:
    """--liquidation-date between the month's first day and a year after its last (exit 2 otherwise).

    Every date the run computes from it (payment due dates, contest deadlines: at most
    3 650 days, see tariffs.MAX_DAYS) then stays a real date."""
    first = date.fromisoformat(f"{month}-01")
    last = last_day_of_month(month)
    latest = last + timedelta(days=LATEST_LIQUIDATION_DAYS)
    if not first <= when <= latest or when.year > 9989:
        raise typer.BadParameter(
            f"{when.strftime('%d/%m/%Y')} n'est pas une date de liquidation possible pour {month_title(month)} : "
            f"donnez une date entre le {first.strftime('%d/%m/%Y')} et le {latest.strftime('%d/%m/%Y')}.",
            param_hint="--liquidation-date")


def register(app: typer.Typer) -> None:
    @app.command("liquidate", help=HELP)
    def liquidate_cmd(
        batch_dir: Path = typer.Argument(..., help="Dossier du lot (beneficiaries, providers, invoices)."),
        out: Path = typer.Option(..., "--out", help="Dossier de sortie (remplacé en entier une fois complet)."),
        month: str | None = typer.Option(None, "--month", help="Mois AAAA-MM (par défaut : le nom du dossier)."),
        tariffs: Path | None = typer.Option(None, "--tariffs", help=TARIFFS_HELP),
        ledger: Path | None = typer.Option(None, "--ledger",
                                           help="Registre des lots déjà liquidés (motifs R13, R16, R18)."),
        liquidation_date: datetime | None = typer.Option(
            None, "--liquidation-date", formats=["%Y-%m-%d"],
            help="Date de liquidation AAAA-MM-JJ (par défaut : dernier jour du mois)."),
        documents: bool = typer.Option(
            True, "--documents/--no-documents",
            help="Sans documents : seulement liquidation.parquet, payment_orders.csv, rejections.csv, "
                 "anomalies.csv et manifest.json (contrôle automatique, nouvelle exécution d'audit)."),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        the_month = resolve_month(batch_dir, month)
        the_date = liquidation_date.date() if liquidation_date else last_day_of_month(the_month)
        check_liquidation_date(the_month, the_date)
        opts = RunOptions(batch_dir, out, the_month, the_date, resolve_tariffs(tariffs), ledger, documents)
        summary = run_command(lambda: _run(opts, as_json), as_json)
        if as_json:
            emit_json(summary)
        else:
            _print_summary(summary)
