"""`ramu review draw` and `ramu review extrapolate`: the medical review after payment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

import polars as pl
import typer
from rich.markup import escape

from ramu_cli.commands.common import JSON_HELP, TARIFFS_HELP, console, emit_json, progress, run_command
from ramu_cli.french import count_fr, fcfa

DRAW_HELP = (
    "Tire les lignes payées qu'un médecin-conseil réexamine, prestataire par prestataire.\n\n"
    "Toute ligne payée au moins --certainty-from FCFA est examinée (strate de certitude) ; parmi les "
    "autres, un échantillon aléatoire simple de max(--min-lines, ⌈taux × N⌉) lignes, toutes s'il y en a "
    "moins. Le tirage ne dépend que de la graine et des clés des lignes : la même graine redonne les "
    "mêmes lignes, sur toute machine et quel que soit l'ordre du fichier. Écrit la feuille de contrôle "
    "review.xlsx (seules les colonnes du médecin-conseil sont modifiables), review.csv et manifest.json.\n\n"
    "Exemple : ramu review draw sorties/2026-10 --out sorties/controle-2026-10 --certainty-from 100000 "
    "--seed 20261130\n"
)

EXTRAPOLATE_HELP = (
    "Transforme les constats du médecin-conseil en montant à reverser par prestataire.\n\n"
    "Lit la feuille de contrôle remplie (XLSX ou CSV), vérifie qu'elle contient exactement les lignes "
    "tirées de cette liquidation et que chaque montant admis est un nombre entier de francs entre 0 et le "
    "montant payé. Par prestataire, l'indu constaté sur la strate de certitude est réclamé tel quel ; "
    "pour les lignes tirées au sort, la borne basse de l'intervalle de confiance de l'indu extrapolé, "
    "jamais moins que l'indu constaté. Écrit extrapolation.parquet, les ordres de reversement (CSV, XLSX, "
    "HTML : une page A4 par prestataire), report.html et manifest.json.\n\n"
    "Exemple : ramu review extrapolate sorties/2026-10 --results sorties/controle-rempli/review.xlsx "
    "--out sorties/reversements-2026-10\n"
)

app = typer.Typer(name="review", help="Contrôle médical a posteriori : tirage des lignes, puis extrapolation "
                  "des constats en ordres de reversement.", no_args_is_help=True, rich_markup_mode="rich")


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="review")


def percent_option(value: float, option: str, low: Decimal, high: Decimal, high_open: bool = False) -> Decimal:
    """A percent option as an exact decimal with at most two decimals; usage error otherwise."""
    try:
        dec = Decimal(str(value))
    except InvalidOperation:
        dec = Decimal("NaN")
    in_range = dec.is_finite() and low <= dec and (dec < high if high_open else dec <= high)
    if not in_range or dec * 100 != (dec * 100).to_integral_value():
        bound = f"moins de {high}" if high_open else f"au plus {high}"
        raise typer.BadParameter(f"« {value} » : attendu un pourcentage entre {low} et {bound}, "
                                 "avec au plus deux décimales (par exemple 5 ou 2.5).", param_hint=option)
    return dec


# --- review draw --------------------------------------------------------------------------------

@dataclass
class DrawOptions:
    run_dir: Path
    out: Path
    rate: Decimal
    min_lines: int
    certainty_from: int | None
    seed: int | None


def _draw(opts: DrawOptions) -> dict:
    from ramu_cli.manifest import LIQUIDATION_FILE
    from ramu_cli.review.draw import DrawParams, default_seed, draw
    from ramu_cli.review.outputs import DRAW_COMMAND, check_out_dir, write_draw
    from ramu_cli.review.run import act_labels, open_run, provider_details, universe
    from ramu_cli.review.sheet import draw_reference, sheet_frame

    with progress() as bar:
        bar.add_task("Tirage des lignes à contrôler", total=None)
        run = open_run(opts.run_dir)
        check_out_dir(opts.out, DRAW_COMMAND, [run.folder])
        seed = opts.seed if opts.seed is not None else \
            default_seed(run.manifest.outputs[LIQUIDATION_FILE].sha256)
        params = DrawParams(seed, int(opts.rate * 100), opts.min_lines, opts.certainty_from)
        drawn, sizes = draw(universe(run), params)
        sheet = sheet_frame(drawn, provider_details(run), act_labels(run), draw_reference(run.run_id, params))
        options = {"run_dir": opts.run_dir, "rate": params.rate_text, "min_lines": opts.min_lines,
                   "certainty_from": opts.certainty_from, "seed": opts.seed}
        inputs = {"liquidation": (run.parquet, run.rows), **run.extra_inputs}
        man = write_draw(opts.out, sheet, sizes, options=options, inputs=inputs, params=params,
                         run_id=run.run_id)
    return {"command": DRAW_COMMAND, "out": str(opts.out), "run_id": run.run_id, "month": run.month,
            "seed": seed, "seed_given": opts.seed is not None, "rate_percent": params.rate_text,
            "min_lines": params.min_lines, "certainty_from": params.certainty_from,
            "totals": man.totals, "strata": sizes.to_dicts(), "outputs": sorted(man.outputs)}


@app.command("draw", help=DRAW_HELP, short_help="Tirer les lignes à réexaminer (feuille de contrôle).")
def draw_cmd(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR", help="Dossier de sortie de « ramu liquidate »."),
    out: Path = typer.Option(..., "--out", metavar="OUT_DIR",
                             help="Dossier de la feuille de contrôle (remplacé en entier)."),
    rate: float = typer.Option(5.0, "--rate", metavar="POURCENT",
                               help="Part des lignes tirées par prestataire, en %."),
    min_lines: int = typer.Option(10, "--min-lines", min=1, metavar="N",
                                  help="Lignes tirées au moins par prestataire."),
    certainty_from: int | None = typer.Option(
        None, "--certainty-from", min=1, metavar="FCFA",
        help="Examiner toute ligne payée au moins ce montant (par défaut : pas de strate de certitude)."),
    seed: int | None = typer.Option(
        None, "--seed", min=0, max=999_999_999, metavar="S",
        help="Graine du tirage (0 à 999 999 999). Par défaut : dérivée de l'empreinte de la liquidation."),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    opts = DrawOptions(run_dir, out, percent_option(rate, "--rate", Decimal(0), Decimal(100)), min_lines,
                       certainty_from, seed)
    summary = run_command(lambda: _draw(opts), as_json)
    if as_json:
        emit_json(summary)
        return
    t = summary["totals"]
    console.print(f"Tirage de {count_fr(t['lines_drawn'])} lignes sur {count_fr(t['universe_lines'])} "
                  f"lignes payées ({count_fr(t['providers'])} prestataires), graine {summary['seed']}"
                  f"{'' if summary['seed_given'] else ' (dérivée de la liquidation)'}.", soft_wrap=True)
    console.print(f"Feuille à remplir par le médecin-conseil : {escape(str(Path(summary['out']) / 'review.xlsx'))} "
                  "(colonnes Montant admis, Constat, Commentaire).", soft_wrap=True)


# --- review extrapolate -------------------------------------------------------------------------

@dataclass
class ExtrapolateOptions:
    run_dir: Path
    results: Path
    out: Path
    confidence: Decimal
    issue_date: date
    tariffs: Path | None


def _extrapolate(opts: ExtrapolateOptions) -> dict:
    from ramu_cli import __version__
    from ramu_cli.errors import InputError, Problem
    from ramu_cli.manifest import sha256_file
    from ramu_cli.review.documents import OrderMeta, orders_frame
    from ramu_cli.review.draw import draw
    from ramu_cli.review.extrapolate import extrapolate, provider_demands
    from ramu_cli.review.outputs import EXTRAPOLATE_COMMAND, check_out_dir, write_extrapolation
    from ramu_cli.review.policy import recovery_due_days
    from ramu_cli.review.run import open_run, provider_details, universe
    from ramu_cli.review.sheet import check_filled, read_filled
    from ramu_cli.tariffs import default_tariff_folder

    with progress() as bar:
        bar.add_task("Extrapolation des constats", total=None)
        run = open_run(opts.run_dir)
        check_out_dir(opts.out, EXTRAPOLATE_COMMAND, [run.folder, opts.results.parent])
        filled = read_filled(opts.results)
        if filled.run_id != run.run_id:
            raise InputError(f"{opts.results} : cette feuille a été tirée de l'exécution « {filled.run_id} », "
                             f"pas de « {run.run_id} » ({opts.run_dir}). Indiquez le dossier de la liquidation "
                             "dont elle est issue.",
                             [Problem(str(opts.results), "feuille d'une autre liquidation", column="draw",
                                      value=filled.run_id, code="review_other_run")])
        lines = universe(run)
        drawn, sizes = draw(lines, filled.params)
        reviewed = check_filled(filled, drawn, f"l'exécution {run.run_id}")
        figures = extrapolate(reviewed, sizes, opts.confidence)
        providers = provider_demands(figures)
        details = provider_details(run).select("provider_id", "provider_name", "level", "region")
        ogds = lines.group_by("provider_id").agg(pl.col("ogd").drop_nulls().unique().sort().str.join(", ")
                                                 .alias("ogds"))
        tariffs = opts.tariffs or run.tariffs_folder
        if tariffs is None or not tariffs.is_dir():
            tariffs = default_tariff_folder()
        meta = OrderMeta(run.month, run.run_id, run.liquidation_date, filled.params, opts.confidence,
                         opts.issue_date, recovery_due_days(tariffs), __version__)
        orders = orders_frame(providers, figures, details, ogds, meta)
        results_sha = sha256_file(opts.results)
        options = {"run_dir": opts.run_dir, "results": opts.results,
                   "confidence": format(opts.confidence.normalize(), "f"),
                   "date": opts.issue_date, "tariffs": tariffs}
        inputs = {"liquidation": (run.parquet, run.rows), "results": (opts.results, filled.rows.height),
                  **run.extra_inputs}
        man = write_extrapolation(opts.out, figures, providers, orders, details, meta, options=options,
                                  inputs=inputs, results={"results_name": opts.results.name,
                                                          "results_sha256": results_sha})
    return {"command": EXTRAPOLATE_COMMAND, "out": str(opts.out), "run_id": run.run_id, "month": run.month,
            "confidence_percent": options["confidence"], "totals": man.totals,
            "orders": orders.select("order_no", "provider_id", "demand", "due_date").to_dicts(),
            "outputs": sorted(man.outputs)}


@app.command("extrapolate", help=EXTRAPOLATE_HELP,
             short_help="Extrapoler les constats en ordres de reversement.")
def extrapolate_cmd(
    run_dir: Path = typer.Argument(..., metavar="RUN_DIR",
                                   help="Dossier de sortie de « ramu liquidate » contrôlé."),
    results: Path = typer.Option(..., "--results", metavar="FICHIER",
                                 help="Feuille de contrôle remplie (review.xlsx ou review.csv)."),
    out: Path = typer.Option(..., "--out", metavar="OUT_DIR", help="Dossier des résultats (remplacé en entier)."),
    confidence: float = typer.Option(90.0, "--confidence", metavar="POURCENT",
                                     help="Niveau de confiance de l'intervalle bilatéral, en %."),
    issue_date: datetime | None = typer.Option(
        None, "--date", formats=["%Y-%m-%d"],
        help="Date d'émission des ordres AAAA-MM-JJ (par défaut : aujourd'hui) ; l'échéance en découle."),
    tariffs: Path | None = typer.Option(
        None, "--tariffs", metavar="DIR",
        help=TARIFFS_HELP.replace("Par défaut : les tarifs livrés.",
                                  "Par défaut : ceux de la liquidation ([review] recovery_due_days).")),
    as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
) -> None:
    level = percent_option(confidence, "--confidence", Decimal("0.01"), Decimal(100), high_open=True)
    opts = ExtrapolateOptions(run_dir, results, out, level,
                              issue_date.date() if issue_date else date.today(), tariffs)
    summary = run_command(lambda: _extrapolate(opts), as_json)
    if as_json:
        emit_json(summary)
        return
    t = summary["totals"]
    console.print(f"{count_fr(t['lines_reviewed'])} lignes examinées, {count_fr(t['lines_overpaid'])} avec un "
                  f"indu ({fcfa(t['found'])} constatés) ; montant réclamé : {fcfa(t['demand'])} en "
                  f"{count_fr(t['orders'])} ordre(s) de reversement — résultats dans {summary['out']}.",
                  soft_wrap=True)


# --- ramu samples --review-results (the hook lives in commands/samples.py) ----------------------

def demo_results(out: Path, draw_dir: Path, overpayment_rate: float, seed: int, as_json: bool) -> None:
    """`ramu samples OUT_DIR --review-results DRAW_DIR`: a filled sheet with invented findings."""
    from ramu_cli.review.demo import write_demo_results

    rate = percent_option(overpayment_rate, "--overpayment-rate", Decimal(0), Decimal(100))
    done = run_command(lambda: write_demo_results(out, draw_dir, rate, seed), as_json=as_json)
    if as_json:
        emit_json({"command": "samples", "review_results": str(out), **done})
        return
    console.print(f"Feuille de contrôle remplie (constats fictifs) écrite dans {escape(str(out))} : "
                  f"{count_fr(done['lines_overpaid'])} lignes en indu sur {count_fr(done['lines'])} "
                  f"({fcfa(done['overpayment'])}), taux visé {done['rate_percent']} %, graine {done['seed']}.",
                  soft_wrap=True)
