"""`ramu samples`: write a realistic synthetic batch (all five files) for demos, tests, benchmarks."""

from __future__ import annotations

import time
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape

from ramu_cli.commands.common import (
    JSON_HELP,
    TARIFFS_HELP,
    console,
    emit_json,
    fail,
    progress,
    resolve_month,
    resolve_tariffs,
    run_command,
)
from ramu_cli.errors import UsageError

if TYPE_CHECKING:
    from ramu_cli.samples import SampleOptions, SampleResult

# Recorded in the batch's marker (io.writers.SAMPLES_MARKER, `.ramu-samples.json`): a later
# `ramu samples` replaces a batch only when the marker says it generated it, and holds nothing else.
SAMPLES_COMMAND = "samples"


HELP = """Écrire un lot d'exemple réaliste et reproductible (les cinq fichiers du mois).

Bénéficiaires, prestataires, lignes de factures, cotisations et reversements,
cohérents avec le dossier des tarifs ; environ 10 % des lignes de factures
portent une anomalie (motifs R01 à R14 sauf R13, A01, A02) pour exercer la
liquidation. La même graine donne des fichiers identiques octet pour octet.
OUT_DIR est remplacé s'il contient déjà un lot écrit par « ramu samples » (il porte
le fichier .ramu-samples.json) et rien d'autre ; un autre dossier non vide est refusé.

Exemple : ramu samples sorties/2026-10 --month 2026-10 --invoices 5000

Avec --json, un seul objet JSON sur la sortie standard : chemins des fichiers,
nombre de lignes de chacun, graine, mois, anomalies injectées par motif.
"""


class Format(StrEnum):
    parquet = "parquet"
    csv = "csv"
    xlsx = "xlsx"


def register(app: typer.Typer) -> None:
    @app.command("samples", help=HELP, short_help="Écrire un lot d'exemple réaliste (cinq fichiers).")
    def samples_cmd(
        out_dir: Path = typer.Argument(..., metavar="OUT_DIR", file_okay=False,
                                       help="Dossier du lot à écrire (créé, ou remplacé s'il contient un lot)."),
        month: str | None = typer.Option(
            None, "--month", metavar="AAAA-MM",
            help="Mois du lot. Par défaut : le nom de OUT_DIR s'il est de la forme AAAA-MM."),
        invoices: int = typer.Option(5000, "--invoices", min=1, metavar="N",
                                     help="Nombre de lignes de factures (10 000 000 pour un mois national)."),
        seed: int = typer.Option(0, "--seed", min=0, metavar="S",
                                 help="Graine du tirage : même graine et mêmes options, mêmes fichiers."),
        fmt: Format = typer.Option(Format.parquet, "--format", case_sensitive=False,
                                   help="Format des fichiers : parquet (référence), csv (UTF-8 avec BOM pour Excel, "
                                        "« ; », dates JJ/MM/AAAA) ou xlsx (200 000 lignes au plus)."),
        beneficiaries: int | None = typer.Option(
            None, "--beneficiaries", min=50, metavar="N",
            help="Taille du registre. Par défaut : la moitié des lignes, entre 500 et 1 000 000."),
        providers: int | None = typer.Option(
            None, "--providers", min=6, max=50_000, metavar="N",
            help="Nombre de prestataires. Par défaut : environ 2 000 à l'échelle nationale, 40 au moins."),
        contributors: int | None = typer.Option(
            None, "--contributors", min=3, max=1_000_000, metavar="N",
            help="Nombre total de cotisants (administrations, employeurs, mutuelles) de la CMSS, de "
                 "l'INPS et de l'UTM. Par défaut : 200 au moins."),
        tariffs: Path | None = typer.Option(None, "--tariffs", metavar="DIR", help=TARIFFS_HELP),
        abusers: bool = typer.Option(
            True, "--abusers/--no-abusers",
            help="Placer quelques prestataires et bénéficiaires abusifs (pour les signaux du rapport). "
                 "Par défaut : oui."),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
        review_results: Path | None = typer.Option(
            None, "--review-results", metavar="TIRAGE", file_okay=False,
            help="Au lieu d'un lot : écrire dans OUT_DIR la feuille du tirage TIRAGE (sortie de « ramu review "
                 "draw ») remplie de constats fictifs, pour essayer « ramu review extrapolate »."),
        overpayment_rate: float = typer.Option(
            10.0, "--overpayment-rate", metavar="POURCENT",
            help="Avec --review-results : part des lignes tirées trouvées en indu."),
    ) -> None:
        if review_results is not None:  # a filled review sheet, not a batch (ramu_cli.review.demo)
            from ramu_cli.commands.review import demo_results
            return demo_results(out_dir, review_results, overpayment_rate, seed, as_json)
        from ramu_cli.samples import SampleOptions

        options = SampleOptions(month=resolve_month(out_dir, month), invoices=invoices, seed=seed,
                                fmt=fmt.value, beneficiaries=beneficiaries, providers=providers,
                                contributors=contributors, abusers=abusers)
        result, seconds = _run(out_dir, options, tariffs, as_json)
        if as_json:
            emit_json(_as_json(out_dir, result, seconds))
        else:
            _summary(out_dir, result, seconds)


def _run(out_dir: Path, options: SampleOptions, tariffs: Path | None, as_json: bool) -> tuple[SampleResult, float]:
    """Write the batch into OUT_DIR atomically; the result and the seconds it took."""
    from ramu_cli.french import count_fr
    from ramu_cli.io.writers import run_folder, write_marker
    from ramu_cli.samples import XLSX_MAX_LINES, write_sample_batch
    from ramu_cli.tariffs import load_tariffs

    if options.fmt == Format.xlsx and options.invoices > XLSX_MAX_LINES:
        fail(UsageError(f"le format XLSX est réservé aux petits lots ({count_fr(XLSX_MAX_LINES)} lignes de "
                        f"factures au plus, {count_fr(options.invoices)} demandées) : utilisez --format "
                        "parquet ou csv."), as_json)

    def body() -> tuple[SampleResult, float]:
        loaded = load_tariffs(resolve_tariffs(tariffs))
        started = time.perf_counter()
        with progress(not as_json) as bar:
            task = bar.add_task("Lignes de factures", total=options.invoices)
            with run_folder(out_dir, SAMPLES_COMMAND) as tmp:
                result = write_sample_batch(tmp, options, loaded,
                                            lambda done, _total: bar.update(task, completed=done))
                write_marker(tmp, SAMPLES_COMMAND)
        return result, time.perf_counter() - started

    return run_command(body, as_json)


def _as_json(out_dir: Path, result: SampleResult, seconds: float) -> dict:
    """The --json object: where each file is, its rows, and what was injected."""
    return {"command": "samples", "out_dir": str(out_dir), "month": result.month, "seed": result.seed,
            "format": result.fmt,
            "files": {role: str(out_dir / path.name) for role, path in result.files.items()},
            "rows": result.rows, "invoices": result.invoices, "faults": result.faults,
            "faulty_lines": result.faulty_lines, "free_care_lines": result.free_care_lines,
            "registry_anomalies": result.registry_anomalies,
            "providers_out_of_convention": result.providers_out_of_convention,
            "closed_rights": result.closed_rights, "seconds": round(seconds, 3)}


def _summary(out_dir: Path, result: SampleResult, seconds: float) -> None:
    from ramu_cli.french import count_fr, month_title, percent_fr

    rows = result.rows
    lines = rows["invoices"]
    faults = " · ".join(f"{code} {count_fr(n)}" for code, n in result.faults.items())
    share = 100 * result.faulty_lines / lines if lines else 0
    duration = f"{seconds:.1f}".replace(".", ",")
    console.print(f"Lot d'exemple écrit dans [bold]{escape(str(out_dir))}[/] ({month_title(result.month)}, "
                  f"graine {result.seed}, format {result.fmt.upper()}) en {duration} s :", soft_wrap=True)
    console.print(f"  bénéficiaires : {count_fr(rows['beneficiaries'])} "
                  f"({count_fr(result.registry_anomalies)} lignes en anomalie, "
                  f"{count_fr(result.closed_rights)} droits fermés ou pas encore ouverts)", soft_wrap=True)
    console.print(f"  prestataires : {count_fr(rows['providers'])} "
                  f"({count_fr(result.providers_out_of_convention)} hors convention pendant le mois)", soft_wrap=True)
    console.print(f"  factures : {count_fr(lines)} lignes, {count_fr(result.invoices)} factures "
                  f"({count_fr(result.free_care_lines)} lignes d'actes gratuits)", soft_wrap=True)
    console.print(f"  cotisations : {count_fr(rows['contributions'])} lignes ; "
                  f"reversements : {count_fr(rows['remittances'])} virements", soft_wrap=True)
    console.print(f"Anomalies injectées : {count_fr(result.faulty_lines)} lignes ({percent_fr(share)}) — "
                  f"{faults}", soft_wrap=True)
