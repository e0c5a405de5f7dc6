"""The folder of a remittance audit: the Parquet files, the documents, the manifest.

Everything is written into a temporary folder (io.writers.run_folder) that
replaces OUT_DIR only once complete; remittances.parquet is read back and its
totals compared with the run's before anything else is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from ramu_cli import __version__, manifest
from ramu_cli.documents.remittance_files import REPORT_FILE, XLSX_FILE, write_report, write_workbook
from ramu_cli.errors import InvariantError, Problem
from ramu_cli.io.writers import run_folder, write_parquet
from ramu_cli.remittances.core import PenaltyPolicy, RemittanceResult
from ramu_cli.remittances.totals import totals

PERIODS_FILE = manifest.REMITTANCES_FILE
CHUNKS_FILE = "remittance_chunks.parquet"
# An OUT_DIR holding only these (or an earlier run's manifest.json) may be replaced.
OUTPUT_NAMES = frozenset({PERIODS_FILE, CHUNKS_FILE, XLSX_FILE, REPORT_FILE, manifest.MANIFEST_NAME})


@dataclass
class RemittanceRun:
    """What a remittance audit writes, computed and checked already."""

    as_of: date
    result: RemittanceResult
    policy: PenaltyPolicy
    tariffs_digest: str
    totals: dict[str, int]
    options: dict[str, object]
    inputs: dict[str, tuple[Path, int]]


def check_written(path: Path, expected: dict[str, int], rows: int) -> None:
    """The Parquet file on disk says what the run computed (else exit 4, nothing kept)."""
    lf = pl.scan_parquet(path, glob=False)
    got = totals(lf)
    found_rows = int(lf.select(pl.len()).collect().item())
    if got != expected or found_rows != rows:
        raise InvariantError(
            f"{path.name} relu ne donne pas les totaux calculés ({got} ≠ {expected}) : erreur du "
            "programme, rien n'a été écrit.",
            [Problem(path.name, "totaux relus différents", code="written_totals_differ")])


def _meta(run: RemittanceRun) -> dict:
    """What the report shows about the run itself."""
    return {"as_of": run.as_of, "tool_version": __version__, "tariffs_digest": run.tariffs_digest,
            "deadline_days": run.policy.deadline_days, "penalty_initial_bp": run.policy.initial_bp,
            "penalty_monthly_bp": run.policy.monthly_bp}


def write_run(out: Path, run: RemittanceRun, report_next: Callable[[], object] = lambda: None
              ) -> manifest.Manifest:
    """Write the whole run folder; the manifest written. `report_next` is called (for the
    progress display) once the Parquet files and the workbook are written."""
    result = run.result
    with run_folder(out, "remittances") as folder:
        write_parquet(result.periods, folder / PERIODS_FILE)
        check_written(folder / PERIODS_FILE, run.totals, result.periods.height)
        write_parquet(result.chunks, folder / CHUNKS_FILE)
        write_workbook(result, folder / XLSX_FILE)
        report_next()
        write_report(folder / REPORT_FILE, result, _meta(run))
        man = manifest.build_manifest(
            command="remittances", tool_version=__version__, options=run.options,
            tariffs_digest=run.tariffs_digest, inputs=run.inputs, folder=folder,
            output_rows={PERIODS_FILE: result.periods.height, CHUNKS_FILE: result.chunks.height},
            totals=run.totals,
            extra={"as_of": run.as_of.isoformat(), "periods": result.periods.height,
                   "chunks": result.chunks.height})
        manifest.write_manifest(man, folder)
    return man
