"""Writing the review's folders: the draw's sheet, the extrapolation's tables and documents.

Each folder is written whole into a temporary folder and moved into place
(`run_folder`), with a manifest built by `ramu_cli.manifest` so `ramu verify`
can re-check it. The manifest is built in one place, `review_manifest`.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ramu_cli import __version__, manifest
from ramu_cli.io.writers import check_replaceable, run_folder, write_csv, write_parquet
from ramu_cli.io.xlsx import write_xlsx
from ramu_cli.review.documents import ORDER_HEADINGS, OrderMeta, render_orders, render_report
from ramu_cli.review.draw import DrawParams
from ramu_cli.review.extrapolate import EXTRAPOLATION_SCHEMA
from ramu_cli.review.sheet import ADVISER_COLUMNS, HEADINGS, SHEET_NAME, WIDTHS, for_people

DRAW_COMMAND = "review draw"
EXTRAPOLATE_COMMAND = "review extrapolate"
EXTRAPOLATION_HEADINGS = {
    "provider_id": "Code prestataire", "stratum": "Strate", "universe_lines": "Lignes payées (N)",
    "universe_payable": "Montant payé", "sample_lines": "Lignes examinées (n)",
    "sample_payable": "Montant examiné", "lines_overpaid": "Lignes avec indu", "found": "Indu constaté",
    "estimate": "Estimation", "standard_error": "Erreur-type", "t_value": "t de Student",
    "lower_bound": "Borne basse", "demand": "Montant réclamé",
}


def check_out_dir(out: Path, command: str, keep: list[Path]) -> None:
    """Refuse (exit 2) an OUT_DIR that is one of `keep`, or another command's output."""
    check_replaceable(out, command, tuple(keep))


def review_manifest(folder: Path, *, command: str, options: dict, inputs: dict[str, tuple[Path, int]],
                    output_rows: dict[str, int], totals: dict[str, int], review: dict) -> manifest.Manifest:
    """Build and write manifest.json of a review folder whose other files are written."""
    built = manifest.build_manifest(command=command, tool_version=__version__, options=options,
                                    tariffs_digest=None, inputs=inputs, folder=folder,
                                    output_rows=output_rows, totals=totals, extra={"review": review})
    manifest.write_manifest(built, folder)
    return built


def params_record(params: DrawParams) -> dict:
    return {"seed": params.seed, "rate_percent": params.rate_text, "min_lines": params.min_lines,
            "certainty_from": params.certainty_from}


def write_draw(out: Path, sheet: pl.DataFrame, sizes: pl.DataFrame, *, options: dict,
               inputs: dict[str, tuple[Path, int]], params: DrawParams, run_id: str) -> manifest.Manifest:
    """review.csv, review.xlsx (protected; adviser columns open) and manifest.json."""
    with run_folder(out, DRAW_COMMAND) as folder:
        write_csv(sheet, folder / "review.csv")
        write_xlsx({SHEET_NAME: (for_people(sheet), HEADINGS)}, folder / "review.xlsx",
                   editable={SHEET_NAME: list(ADVISER_COLUMNS)}, widths={SHEET_NAME: WIDTHS})
        totals = {"providers": sizes["provider_id"].n_unique(), "universe_lines": int(sizes["universe_lines"].sum()),
                  "lines_drawn": sheet.height, "payable_drawn": int(sheet["payable"].sum() or 0)}
        review = {"run_id": run_id, **params_record(params), "strata": sizes.to_dicts()}
        return review_manifest(folder, command=DRAW_COMMAND, options=options, inputs=inputs,
                               output_rows={"review.csv": sheet.height, "review.xlsx": sheet.height},
                               totals=totals, review=review)


def write_extrapolation(out: Path, figures: pl.DataFrame, providers: pl.DataFrame, orders: pl.DataFrame,
                        details: pl.DataFrame, meta: OrderMeta, *, options: dict,
                        inputs: dict[str, tuple[Path, int]], results: dict) -> manifest.Manifest:
    """extrapolation.parquet, recovery_orders.csv/.xlsx/.html, report.html, manifest.json."""
    with run_folder(out, EXTRAPOLATE_COMMAND) as folder:
        write_parquet(figures.select(list(EXTRAPOLATION_SCHEMA)), folder / "extrapolation.parquet")
        write_csv(orders, folder / "recovery_orders.csv")
        write_xlsx({"Ordres de reversement": (orders, ORDER_HEADINGS)}, folder / "recovery_orders.xlsx",
                   totals={"Ordres de reversement": ["demand"]})
        (folder / "recovery_orders.html").write_text(render_orders(orders, figures, meta), encoding="utf-8")
        (folder / "report.html").write_text(
            render_report(providers, figures, details, meta, results, orders.height), encoding="utf-8")
        totals = {"providers": providers.height, "lines_reviewed": int(providers["sample_lines"].sum() or 0),
                  "lines_overpaid": int(providers["lines_overpaid"].sum() or 0),
                  "found": int(providers["found"].sum() or 0), "demand": int(providers["demand"].sum() or 0),
                  "orders": orders.height}
        review = {"run_id": meta.run_id, **params_record(meta.params),
                  "confidence_percent": format(meta.confidence.normalize(), "f"),
                  "issue_date": meta.issue_date, "due_date": meta.due_date,
                  "recovery_due_days": meta.due_days}
        return review_manifest(folder, command=EXTRAPOLATE_COMMAND, options=options, inputs=inputs,
                               output_rows={"extrapolation.parquet": figures.height,
                                            "recovery_orders.csv": orders.height,
                                            "recovery_orders.xlsx": orders.height},
                               totals=totals, review=review)
