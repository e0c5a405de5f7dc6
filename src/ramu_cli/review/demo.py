"""A filled-in review sheet for demonstrations: the adviser's findings, invented.

`ramu samples OUT_DIR --review-results DRAW_DIR [--overpayment-rate 10]` reads
a draw folder (written by `ramu review draw`), draws the same lines again from
its liquidation run, and fills the adviser's columns: each line is found
overpaid with probability rate (decided, like the draw, by SHA-256 of
"demo|<seed>|<provider_id>|<invoice_id>|<line_no>", so the same seed gives the
same sheet), and then either not justified at all (nothing accepted) or
billed beyond the medical need (half accepted, rounded down to the franc).
Every invented finding says so in its comment.
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path

import numpy as np
import polars as pl

from ramu_cli.errors import InputError, Problem
from ramu_cli.io.writers import check_replaceable, run_folder, write_csv, write_marker
from ramu_cli.io.xlsx import write_xlsx
from ramu_cli.manifest import MANIFEST_NAME, read_manifest
from ramu_cli.review.draw import DrawParams, draw
from ramu_cli.review.run import act_labels, open_run, provider_details, universe
from ramu_cli.review.sheet import ADVISER_COLUMNS, HEADINGS, SHEET_NAME, WIDTHS, draw_reference, for_people, sheet_frame

NOT_JUSTIFIED = "Acte non justifié par le dossier médical"   # nothing accepted
BEYOND_NEED = "Quantité supérieure au besoin médical"         # half accepted
COMMENT = "Constat fictif (démonstration de ramu samples)"


def _uniforms(lines: pl.DataFrame, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Two numbers per line from its key: one in [0, 1) and one 0 or 1."""
    messages = lines.select(pl.concat_str([pl.lit(f"demo|{seed}"), pl.col("provider_id"), pl.col("invoice_id"),
                                           pl.col("line_no").cast(pl.String)], separator="|")
                            .cast(pl.Binary)).to_series().to_list()
    digests = b"".join([hashlib.sha256(m).digest()[:16] for m in messages])
    words = np.frombuffer(digests, dtype=">u8").astype(np.uint64).reshape(-1, 2) if messages \
        else np.zeros((0, 2), dtype=np.uint64)
    return (words[:, 0] >> np.uint64(11)).astype(np.float64) / 2.0**53, (words[:, 1] & np.uint64(1)).astype(np.int64)


def planted_findings(drawn: pl.DataFrame, rate_percent: Decimal, seed: int) -> pl.DataFrame:
    """Key + accepted_payable, finding, comment: overpaid lines at about `rate_percent` %."""
    uniform, kind = _uniforms(drawn, seed)
    overpaid = pl.Series(uniform < float(rate_percent) / 100)
    half = pl.Series(kind) == 1
    return drawn.select("provider_id", "invoice_id", "line_no", "payable").with_columns(
        accepted_payable=pl.when(overpaid.not_()).then(pl.col("payable"))
        .when(half).then(pl.col("payable") // 2).otherwise(pl.lit(0)),
        finding=pl.when(overpaid.not_()).then(pl.lit("Conforme"))
        .when(half).then(pl.lit(BEYOND_NEED)).otherwise(pl.lit(NOT_JUSTIFIED)),
        comment=pl.when(overpaid).then(pl.lit(COMMENT)),
    ).select("provider_id", "invoice_id", "line_no", *ADVISER_COLUMNS)


def _draw_folder(draw_dir: Path) -> tuple[Path, DrawParams]:
    """The run folder and the parameters of a `review draw` output folder."""
    man = read_manifest(draw_dir)
    review = man.extra.get("review")
    record = man.inputs.get("liquidation")
    liquidation = record.path if record else None
    if man.command != "review draw" or not isinstance(review, dict) or not liquidation:
        raise InputError(f"« {draw_dir} » n'est pas le dossier d'un tirage : indiquez la sortie de "
                         "« ramu review draw ».",
                         [Problem(str(draw_dir / MANIFEST_NAME), "pas un tirage", code="not_a_review_draw")])
    rate_bp = int(Decimal(str(review["rate_percent"])) * 100)
    params = DrawParams(int(review["seed"]), rate_bp, int(review["min_lines"]), review.get("certainty_from"))
    return Path(liquidation).parent, params


# The command recorded in the marker of a filled demo sheet (io.writers.write_marker).
DEMO_COMMAND = "samples --review-results"


def _check_demo_out(out: Path, draw_dir: Path) -> None:
    check_replaceable(out, DEMO_COMMAND, (draw_dir,))


def write_demo_results(out: Path, draw_dir: Path, rate_percent: Decimal, seed: int) -> dict:
    """Write OUT_DIR/review.xlsx and review.csv, filled in; a summary for the command."""
    _check_demo_out(out, draw_dir)
    run_dir, params = _draw_folder(draw_dir)
    run = open_run(run_dir)
    drawn, _ = draw(universe(run), params)
    filled = planted_findings(drawn, rate_percent, seed)
    sheet = sheet_frame(drawn, provider_details(run), act_labels(run), draw_reference(run.run_id, params),
                        filled=filled)
    with run_folder(out, DEMO_COMMAND, (draw_dir,)) as folder:
        write_xlsx({SHEET_NAME: (for_people(sheet), HEADINGS)}, folder / "review.xlsx",
                   editable={SHEET_NAME: list(ADVISER_COLUMNS)}, widths={SHEET_NAME: WIDTHS})
        write_csv(sheet, folder / "review.csv")
        write_marker(folder, DEMO_COMMAND)
    overpaid = sheet.filter(pl.col("accepted_payable") < pl.col("payable"))
    return {"out": str(out), "draw": str(draw_dir), "lines": sheet.height, "lines_overpaid": overpaid.height,
            "overpayment": int((overpaid["payable"] - overpaid["accepted_payable"]).sum() or 0),
            "rate_percent": format(rate_percent.normalize(), "f"), "seed": seed, "run_id": run.run_id}
