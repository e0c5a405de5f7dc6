"""The folder of a liquidation run: liquidation.parquet, the documents, the manifest.

Everything is written into a temporary folder (io.writers.run_folder) that
replaces OUT_DIR only once complete; liquidation.parquet is streamed from the
decided parts, read back and its totals compared with the run's before any
document that shows the run id is written (a worker may write the rejections'
files meanwhile: if the check fails, the folder is removed with them).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from ramu_cli import __version__, manifest
from ramu_cli.contract import LIQUIDATION_COLUMNS
from ramu_cli.documents.liquidation_files import (
    begin_documents,
    document_pool,
    write_data_files,
    write_people_documents,
)
from ramu_cli.io.pool import Pool
from ramu_cli.io.writers import run_folder, sink_parquet
from ramu_cli.liquidation.invariants import check_written
from ramu_cli.liquidation.registry import Registry
from ramu_cli.tariffs import Tariffs

LIQUIDATION_FILE = manifest.LIQUIDATION_FILE


@dataclass
class LiquidationRun:
    """What a liquidation run writes, computed and checked already."""

    month: str
    liquidation_date: date
    lines: pl.LazyFrame        # the decided lines (LiquidationResult.lines), read from the work folder
    input_rows: int
    orders: pl.DataFrame
    registry: Registry
    tariffs: Tariffs
    totals: dict[str, int]
    options: dict[str, object]
    inputs: dict[str, tuple[Path, int]]
    signals: pl.DataFrame | None = None     # signals.compute_signals of the lines (None: not computed)
    # Hash of the last line of the ledger journal the run was checked against ("" without
    # --ledger or for an empty ledger): the manifest's `ledger_head`.
    ledger_head: str = ""
    documents: bool = True     # False: data files only (--no-documents)
    # The parts `lines` is read from (LiquidationResult.parts): what a document worker reads.
    parts: list[Path] = field(default_factory=list)


def _meta(run: LiquidationRun, parquet: Path) -> dict:
    """What the documents show about the run itself."""
    return {"month": run.month, "liquidation_date": run.liquidation_date,
            "tool_version": __version__, "tariffs_digest": run.tariffs.digest,
            "anomalies": run.registry.anomalies.height,
            "contest_days": run.tariffs.policy.contest_days,
            "run_id": manifest.liquidation_run_id(run.month, manifest.sha256_file(parquet))}


def write_run(out: Path, run: LiquidationRun, documents_next: Callable[[], object] = lambda: None
              ) -> manifest.Manifest:
    """Write the whole run folder; the manifest written. `documents_next` is called (for the
    progress display) once liquidation.parquet is written and checked.

    Without documents (run.documents False) the folder holds the data files only:
    liquidation.parquet, payment_orders.csv, rejections.csv, anomalies.csv, manifest.json.
    """
    source = run.parts or run.lines
    # The workers (on a large month) start now: they import ramu while liquidation.parquet is written.
    with run_folder(out, "liquidate") as folder, \
            (document_pool(run.input_rows, source) if run.documents else Pool(0)) as pool:
        # With workers, the rejections' files (they show no run id) are written meanwhile.
        begun = begin_documents(folder, source, run.registry, pool) if run.documents else []
        parquet = folder / LIQUIDATION_FILE
        sink_parquet(run.lines.select(list(LIQUIDATION_COLUMNS)), parquet)   # streamed, fixed row groups
        check_written(parquet, run.totals)
        documents_next()
        if run.documents:
            output_rows = write_people_documents(folder, source, run.orders, run.registry, _meta(run, parquet),
                                                 run.signals, run.tariffs.policy.signals, pool, begun)
        else:
            output_rows = write_data_files(folder, run.lines, run.orders, run.registry)
        output_rows[LIQUIDATION_FILE] = run.input_rows
        man = manifest.build_manifest(
            command="liquidate", tool_version=__version__, options=run.options,
            tariffs_digest=run.tariffs.digest, inputs=run.inputs, folder=folder,
            output_rows=output_rows, totals=run.totals, ledger_head=run.ledger_head,
            extra={"anomalies": run.registry.anomalies.height, "orders": run.orders.height,
                   "orders_payable": int(run.orders["payable"].sum() or 0)})
        manifest.write_manifest(man, folder)
    return man
