"""`ramu diff`: two liquidations of the same invoices, compared line by line in francs."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.markup import escape
from rich.table import Table as RichTable

from ramu_cli import __version__
from ramu_cli.commands.common import JSON_HELP, console, emit_json, progress, run_command
from ramu_cli.diff.checks import checked_digests
from ramu_cli.diff.compare import detail, pair
from ramu_cli.diff.report import render_report, signed_fcfa, write_parquet, write_workbook
from ramu_cli.diff.sides import Side, compared_columns, read_side
from ramu_cli.diff.summary import DiffSummary, summarise
from ramu_cli.errors import UsageError
from ramu_cli.french import count_fr, fcfa
from ramu_cli.io.writers import run_folder

HELP = """Compare deux liquidations des mêmes factures, ligne à ligne : lignes
seulement dans A, seulement dans B ou différentes (décision, motifs, montants),
et francs en jeu par OGD et par prestataire.

A et B : chacun un dossier de sortie de « ramu liquidate » ou une table de
liquidation (.parquet, .csv, .xlsx) ayant au moins les colonnes provider_id,
invoice_id, line_no, status et payable. Les écarts sont comptés B − A. Écrit
diff.parquet, diff.xlsx, report.html et manifest.json. Code de sortie 0 que les
liquidations soient identiques ou non.

Exemple : ramu diff declaration-cmss.csv sorties/2026-10 --out ecarts/2026-10
"""


if TYPE_CHECKING:
    from ramu_cli.manifest import Manifest

def _check_out(out: Path, sides: list[Side]) -> None:
    """OUT_DIR is replaced whole: it must not be, or hold, one of the sides."""
    target = out.resolve()
    for side in sides:
        if side.path.resolve().is_relative_to(target):
            raise UsageError(f"Le dossier de sortie « {out} » contient le côté {side.name} ({side.path}) et "
                             "serait remplacé : choisissez un autre dossier pour --out.")


def write_diff_manifest(folder: Path, a: Side, b: Side, summary: DiffSummary,
                        output_rows: dict[str, int]) -> Manifest:
    """manifest.json of a diff folder: both sides' SHA-256 and row counts, the counts and francs."""
    from ramu_cli import manifest

    counts = summary.counts
    man = manifest.build_manifest(
        command="diff", tool_version=__version__,
        options={"a": a.given, "b": b.given}, tariffs_digest=None,
        inputs={"a": (a.path, counts["lines_a"]), "b": (b.path, counts["lines_b"])},
        folder=folder, output_rows=output_rows,
        totals={**counts, "payable_a": summary.payable_a, "payable_b": summary.payable_b,
                "francs_at_stake": summary.stake, "net_delta": summary.net},
        extra={"identical": summary.identical, "compared_columns": list(summary.compared),
               "run_ids": {"a": a.run_id, "b": b.run_id}})
    manifest.write_manifest(man, folder)
    return man


def _run(path_a: Path, path_b: Path, out: Path, as_json: bool) -> dict:
    from ramu_cli.manifest import sha256_file

    with progress(not as_json) as bar:
        task = bar.add_task("Lecture des deux liquidations", total=3)
        a, b = read_side(path_a, "A"), read_side(path_b, "B")
        _check_out(out, [a, b])
        compared = compared_columns(a, b)
        digest_a, digest_b = checked_digests(a, b, compared)
        bar.update(task, advance=1, description="Comparaison ligne à ligne")
        pairing = pair(digest_a, digest_b, by_row_id=a.has_row_id and b.has_row_id)
        del digest_a, digest_b
        cands = pairing.candidates
        rows = detail(cands, a.lines_at(cands["file_row_a"]), b.lines_at(cands["file_row_b"]),
                      a.columns, b.columns, compared).collect(engine="streaming")
        summary = summarise(rows, pairing.transitions, compared)
        bar.update(task, advance=1, description="Écriture des résultats")
        with run_folder(out, "diff") as folder:
            write_parquet(rows, folder / "diff.parquet")
            xlsx_rows = write_workbook(rows, summary, folder / "diff.xlsx")
            sides = [(a, sha256_file(a.path)), (b, sha256_file(b.path))]
            meta = {"tool_version": __version__, "xlsx_rows": xlsx_rows}
            (folder / "report.html").write_text(render_report(summary, sides, meta), encoding="utf-8")
            man = write_diff_manifest(folder, a, b, summary,
                                      {"diff.parquet": rows.height, "diff.xlsx": xlsx_rows})
        bar.update(task, advance=1)
    return {"command": "diff", **summary.as_json(), "a": str(a.path), "b": str(b.path), "out": str(out),
            "outputs": sorted(man.outputs), "xlsx_rows": xlsx_rows, "xlsx_complete": xlsx_rows == rows.height}


def _print_summary(result: dict) -> None:
    c = result["counts"]
    table = RichTable(title="Comparaison ligne à ligne", title_justify="left")
    table.add_column("")
    table.add_column("Lignes", justify="right")
    table.add_row("Lignes de A / de B", f"{count_fr(c['lines_a'])} / {count_fr(c['lines_b'])}")
    table.add_row("Identiques", count_fr(c["identical"]))
    table.add_row("Différentes", count_fr(c["changed"]))
    table.add_row("Seulement dans A", count_fr(c["only_a"]))
    table.add_row("Seulement dans B", count_fr(c["only_b"]))
    console.print(table)
    verdict = "[bold green]identiques[/]" if result["identical"] else "[bold red]différentes[/]"
    console.print(f"Liquidations {verdict} — francs en jeu : {fcfa(result['francs_at_stake'])} — "
                  f"écart net (B − A) : {signed_fcfa(result['net_delta'])} — résultats dans {escape(result['out'])}",
                  soft_wrap=True)
    if not result["xlsx_complete"]:
        console.print(f"diff.xlsx n'a que les {count_fr(result['xlsx_rows'])} premières lignes en écart "
                      "(limite d'Excel) ; toutes sont dans diff.parquet.", soft_wrap=True)


def register(app: typer.Typer) -> None:
    @app.command("diff", help=HELP)
    def diff_cmd(
        a: Path = typer.Argument(..., metavar="A", help="Liquidation de référence : dossier de sortie ou table."),
        b: Path = typer.Argument(..., metavar="B", help="Liquidation comparée : dossier de sortie ou table."),
        out: Path = typer.Option(..., "--out", help="Dossier de sortie (remplacé en entier une fois complet)."),
        as_json: bool = typer.Option(False, "--json", help=JSON_HELP),
    ) -> None:
        result = run_command(lambda: _run(a, b, out, as_json), as_json)
        if as_json:
            emit_json(result)
        else:
            _print_summary(result)
