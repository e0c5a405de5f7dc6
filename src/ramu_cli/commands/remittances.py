"""`ramu remittances`: contributions and transfers in, the remittance audit out.

Thin: strict reading (remittance_input) → reconcile → check_invariants →
files in an atomic run folder → a French summary (or one JSON object).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

import polars as pl
import typer
from rich.table import Table as RichTable

from ramu_cli import __version__
from ramu_cli.commands.common import JSON_HELP, TARIFFS_HELP, console, emit_json, progress, resolve_tariffs, run_command
from ramu_cli.documents.french import date_fr, fcfa, percent_fr
from ramu_cli.errors import InvariantError, Problem
from ramu_cli.remittances import PenaltyPolicy, RemittanceResult, check_invariants, reconcile

HELP = """Contrôle des reversements : rapproche les cotisations encaissées par chaque OGD (CMSS, INPS, UTM) des virements reçus par la CANAM ; calcule par OGD et par période le dû, l'encaissé, le reversé (à temps ou en retard), le restant dû, l'excédent et les pénalités de retard ; écrit remittances.parquet, remittance_chunks.parquet, remittances.xlsx, report.html et manifest.json.

Une ligne de cotisation ou de virement invalide arrête la commande (code 3) avec la liste de toutes les lignes fautives : un audit a besoin de chiffres complets.

Exemple : ramu remittances samples/2026-10 --out sorties/reversements-2026-10 --as-of 2026-12-31
"""

TOTAL_KEYS = ("due", "collected", "remitted", "outstanding", "excess", "penalty")

PERIODS_FILE = "remittances.parquet"
CHUNKS_FILE = "remittance_chunks.parquet"
XLSX_FILE = "remittances.xlsx"
REPORT_FILE = "report.html"
# An OUT_DIR holding only these (or an earlier run's manifest.json) may be replaced.
OUTPUT_NAMES = frozenset({PERIODS_FILE, CHUNKS_FILE, XLSX_FILE, REPORT_FILE, "manifest.json"})

# French headings of the XLSX sheets (machine files keep the English names).
PERIOD_HEADINGS = {
    "ogd": "OGD", "period": "Période", "due": "Cotisations dues",
    "collected": "Cotisations encaissées", "collection_rate": "Taux de recouvrement",
    "remitted": "Reversé", "remitted_on_time": "Reversé à temps",
    "remitted_late": "Reversé en retard", "outstanding": "Restant dû par l'OGD",
    "excess": "Excédent versé", "max_days_late": "Retard maximal (jours)",
    "penalty": "Pénalités de retard",
}
OGD_HEADINGS = {k: v for k, v in PERIOD_HEADINGS.items() if k not in ("period", "max_days_late")}
CHUNK_HEADINGS = {
    "ogd": "OGD", "period": "Période", "deadline": "Échéance de reversement",
    "amount": "Montant", "transfer_id": "N° de virement", "value_date": "Date de valeur",
    "days_late": "Jours de retard", "penalty": "Pénalité",
}
SHEET_PERIODS, SHEET_OGD, SHEET_CHUNKS = "Par période", "Par OGD", "Tranches"
PERIOD_SUMS = ["due", "collected", "remitted", "remitted_on_time", "remitted_late",
               "outstanding", "excess", "penalty"]
XLSX_TOTALS = {SHEET_PERIODS: PERIOD_SUMS, SHEET_OGD: PERIOD_SUMS,
               SHEET_CHUNKS: ["amount", "penalty"]}


@dataclass
class RunOptions:
    batch_dir: Path
    out: Path
    as_of: date
    tariffs: Path


def run_totals(result: RemittanceResult) -> dict[str, int]:
    """The manifest's totals: integer sums over every (ogd, period)."""
    row = result.periods.select(pl.col(list(TOTAL_KEYS)).sum()).row(0, named=True)
    return {k: int(row[k] or 0) for k in TOTAL_KEYS}


def _rate_text(df: pl.DataFrame) -> pl.DataFrame:
    """collection_rate as French text ("87,5 %"): the workbook writer keeps ints and dates only."""
    return df.with_columns(pl.Series("collection_rate",
                                     [percent_fr(v) for v in df["collection_rate"].to_list()],
                                     dtype=pl.String))


def write_xlsx_file(result: RemittanceResult, path: Path) -> None:
    from ramu_cli.io.writers import write_xlsx
    write_xlsx({SHEET_PERIODS: (_rate_text(result.periods), PERIOD_HEADINGS),
                SHEET_OGD: (_rate_text(result.ogd_totals), OGD_HEADINGS),
                SHEET_CHUNKS: (result.chunks, CHUNK_HEADINGS)},
               path, totals=XLSX_TOTALS)


def _check_written(path: Path, totals: dict[str, int], rows: int) -> None:
    """The Parquet file on disk says what the run computed (else exit 4, nothing kept)."""
    lf = pl.scan_parquet(path, glob=False)
    found = lf.select(pl.len().alias("rows"), *[pl.col(k).sum() for k in TOTAL_KEYS]).collect()
    got = {k: int(found[k][0] or 0) for k in TOTAL_KEYS}
    if got != totals or int(found["rows"][0]) != rows:
        raise InvariantError(
            f"{path.name} relu ne donne pas les totaux calculés ({got} ≠ {totals}) : erreur du "
            "programme, rien n'a été écrit.", [Problem(path.name, "totaux relus différents")])


def _run(opts: RunOptions, as_json: bool) -> dict:
    from ramu_cli import manifest
    from ramu_cli.documents.remittance_report import render_remittance_report
    from ramu_cli.io.writers import run_folder, write_parquet
    from ramu_cli.remittance_input import read_strict
    from ramu_cli.tariffs import load_tariffs

    with progress(not as_json) as bar:
        task = bar.add_task("Lecture des tarifs et des fichiers", total=4)
        tariffs = load_tariffs(opts.tariffs)
        pol = tariffs.policy
        policy = PenaltyPolicy(deadline_days=pol.remittance_deadline_days,
                               initial_bp=pol.penalty_initial_bp, monthly_bp=pol.penalty_monthly_bp)
        inputs = read_strict(opts.batch_dir)
        bar.update(task, advance=1, description="Rapprochement des reversements")
        result = reconcile(inputs.contributions_typed, inputs.remittances_typed, opts.as_of, policy)
        check_invariants(result)
        totals = run_totals(result)
        bar.update(task, advance=1, description="Écriture des résultats")
        options = {"as_of": opts.as_of.isoformat(), "tariffs": str(opts.tariffs),
                   "batch_dir": str(opts.batch_dir)}
        with run_folder(opts.out, replaceable=OUTPUT_NAMES) as folder:
            write_parquet(result.periods, folder / PERIODS_FILE)
            _check_written(folder / PERIODS_FILE, totals, result.periods.height)
            write_parquet(result.chunks, folder / CHUNKS_FILE)
            write_xlsx_file(result, folder / XLSX_FILE)
            bar.update(task, advance=1, description="Rapport")
            meta = {"as_of": opts.as_of, "tool_version": __version__,
                    "tariffs_digest": tariffs.digest,
                    "deadline_days": policy.deadline_days,
                    "penalty_initial_bp": policy.initial_bp,
                    "penalty_monthly_bp": policy.monthly_bp}
            html = render_remittance_report(result.periods, result.chunks, result.ogd_totals, meta)
            (folder / REPORT_FILE).write_bytes(html.encode("utf-8"))
            man = manifest.build_manifest(
                command="remittances", tool_version=__version__, options=options,
                tariffs_digest=tariffs.digest, inputs=inputs.inputs(), folder=folder,
                output_rows={PERIODS_FILE: result.periods.height,
                             CHUNKS_FILE: result.chunks.height},
                totals=totals,
                extra={"as_of": opts.as_of.isoformat(), "periods": result.periods.height,
                       "chunks": result.chunks.height})
            manifest.write_manifest(man, folder)
        bar.update(task, advance=1)
    return {"command": "remittances", "as_of": opts.as_of.isoformat(), "out": str(opts.out),
            "totals": totals, "periods": result.periods.height, "chunks": result.chunks.height,
            "inputs": {role: rows for role, (_, rows) in inputs.inputs().items()},
            "by_ogd": result.ogd_totals.to_dicts(),
            "outputs": sorted([*man["outputs"], manifest.MANIFEST_NAME])}


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
    console.print(f"{summary['periods']} période(s) contrôlée(s) — résultats dans {summary['out']}",
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
