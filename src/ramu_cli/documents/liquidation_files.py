"""A liquidation run's documents for people, written into its (temporary) run folder.

The core hands over frames; this module turns them into the files people and
scripts receive. Every file here is deterministic for the same inputs.
`write_data_files` writes what scripts and auditors read (CSV): `ramu liquidate
--no-documents` writes only those; `write_people_documents` writes them and what
people read (XLSX, HTML, pain.001, notices), as independent jobs that a pool of
worker processes may share (io.pool) on a large month.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from ramu_cli.documents import liquidation_report, notices, pain001, payment_orders
from ramu_cli.documents.labels import ORDER_HEADINGS, REJECTION_HEADINGS, SHEET_ORDERS, SHEET_REJECTIONS
from ramu_cli.documents.tables import french_values, orders_table, rejections_table
from ramu_cli.io import pool
from ramu_cli.io.parts import scan_parts
from ramu_cli.io.writers import write_csv
from ramu_cli.io.xlsx import write_xlsx
from ramu_cli.liquidation.registry import ANOMALY_COLUMNS, Registry
from ramu_cli.signals import SignalThresholds
from ramu_cli.signals.output import write_signals_csv
from ramu_cli.signals.report import render_signals_section


def write_data_files(folder: Path, lines: pl.LazyFrame | pl.DataFrame, orders: pl.DataFrame,
                     registry: Registry) -> dict[str, int]:
    """payment_orders.csv, rejections.csv, anomalies.csv: what a re-run or an audit script
    reads; their row counts."""
    rejections = rejections_table(lines, registry.providers)
    write_csv(rejections, folder / "rejections.csv")
    return {**_orders_and_anomalies(folder, orders, registry)[1], "rejections.csv": rejections.height}


def _orders_and_anomalies(folder: Path, orders: pl.DataFrame, registry: Registry
                          ) -> tuple[pl.DataFrame, dict[str, int]]:
    """payment_orders.csv and anomalies.csv; the orders table (with amount_words), which the
    documents show again, and the row counts."""
    orders = orders_table(orders)
    write_csv(orders, folder / "payment_orders.csv")
    # Registry rows set aside (treated as absent): which file, row and column, and why.
    write_csv(registry.anomalies.select(ANOMALY_COLUMNS), folder / "anomalies.csv")
    return orders, {"payment_orders.csv": orders.height, "anomalies.csv": registry.anomalies.height}


# Lines from which the pool is worth its start (a spawned worker imports ramu: ~0.7 s of a
# core): below, every document is written in this process. RAMU_DOCUMENT_WORKERS forces it.
POOL_MIN_LINES = 400_000

# The decided lines: the parts' paths (a worker reads them itself) or a frame (in-process only).
LinesSource = list[Path] | pl.LazyFrame | pl.DataFrame


def _lines(source: LinesSource) -> pl.LazyFrame:
    return scan_parts(source) if isinstance(source, list) else source.lazy()


def document_workers(rows: int, source: LinesSource) -> int:
    """Worker processes for a run's documents: none without the parts' paths (a frame stays here)."""
    return pool.workers_for(rows, POOL_MIN_LINES) if isinstance(source, list) and source else 0


def document_pool(rows: int, source: LinesSource) -> pool.Pool:
    """The pool for a run's documents (maybe without workers); its workers import this module as they start."""
    return pool.Pool(document_workers(rows, source), modules=(__name__,))


def begin_documents(folder: Path, source: LinesSource, registry: Registry, workers: pool.Pool) -> list[pool.Job]:
    """The jobs that need nothing of the run but its lines (not the run id of liquidation.parquet),
    handed to a worker at once: rejections.csv and rejections.xlsx are written while this
    process writes liquidation.parquet. Pass them to write_people_documents (`begun`)."""
    providers = _providers(registry)
    begun = [pool.Job("rejections", rejections_job, (folder, source, providers), 2.3)]
    for job in begun:
        workers.begin(job)
    return begun


def _providers(registry: Registry) -> pl.DataFrame:
    return registry.providers.select("provider_id", "name", "level", "region")


def write_people_documents(folder: Path, source: LinesSource, orders: pl.DataFrame, registry: Registry,
                           meta: dict, signals: pl.DataFrame | None = None,
                           thresholds: SignalThresholds | None = None,
                           workers: pool.Pool | None = None, begun: list[pool.Job] | None = None) -> dict[str, int]:
    """Every file of a run with documents but liquidation.parquet and the manifest; row counts.

    The data files of write_data_files, plus workbooks, report, printable orders,
    pain.001, notices and signals, written by independent jobs: in this process
    and, given a started `workers` pool, in its worker processes too. Each job
    writes its own files, so the bytes never depend on who wrote them.
    `begun` are the jobs of begin_documents (the rejections), else they are made here.
    `signals` (compute_signals, collected) gives signals.csv and the report's
    "Signaux à examiner" section; None leaves both out."""
    orders, rows = _orders_and_anomalies(folder, orders, registry)
    providers = _providers(registry)
    registered = dict(registry.beneficiaries.group_by("ogd").len().iter_rows())
    # Seconds each took in-process on a 2 000 000-line month: the largest jobs are handed out
    # first, each to whichever process is free (on 2 cores: the rejections, begun early, and
    # the report in the worker; notices and orders here).
    jobs = [*(begun or [pool.Job("rejections", rejections_job, (folder, source, providers), 2.3)]),
            pool.Job("notices", notices_job, (folder, source, providers, meta), 1.3),
            pool.Job("orders", orders_job, (folder, orders, meta), 0.5),
            pool.Job("report", report_job, (folder, source, orders, providers, registered, meta, signals,
                                            thresholds), 1.0)]
    for counts in (workers or pool.Pool(0)).run(jobs):
        rows.update(counts)
    return rows


def rejections_job(folder: Path, source: LinesSource, providers: pl.DataFrame) -> dict[str, int]:
    """rejections.csv and rejections.xlsx: every REJECTED or REDUCED line."""
    rejections = rejections_table(_lines(source), providers)
    write_csv(rejections, folder / "rejections.csv")
    write_xlsx({SHEET_REJECTIONS: (rejections, REJECTION_HEADINGS)},
               folder / "rejections.xlsx",
               totals={SHEET_REJECTIONS: ["billed", "allowed", "payable", "disallowed"]})
    return {"rejections.csv": rejections.height, "rejections.xlsx": rejections.height}


def orders_job(folder: Path, orders: pl.DataFrame, meta: dict) -> dict[str, int]:
    """payment_orders.xlsx, the printable orders (one file per OGD) and the pain.001 bank file."""
    write_xlsx({SHEET_ORDERS: (french_values(orders), ORDER_HEADINGS)},
               folder / "payment_orders.xlsx",
               totals={SHEET_ORDERS: ["lines", "billed", "payable"]})
    order_dir = folder / "payment_orders"
    order_dir.mkdir()
    for ogd, html in payment_orders.payment_orders_by_ogd(orders, meta):
        (order_dir / f"{_safe_name(ogd)}.html").write_text(html, encoding="utf-8")
    (folder / "payment_orders.pain001.xml").write_bytes(pain001.render_pain001(orders, meta))
    return {"payment_orders.xlsx": orders.height}


def notices_job(folder: Path, source: LinesSource, providers: pl.DataFrame, meta: dict) -> dict[str, int]:
    """rejections/<provider>.html: one notice per provider with REJECTED or REDUCED lines."""
    notice_dir = folder / "rejections"
    notice_dir.mkdir()
    # Each notice is written as soon as it is rendered: the month's notices are never held together.
    for provider_id, html in notices.rejection_notices(_lines(source), providers, meta):
        (notice_dir / f"{_safe_name(provider_id)}.html").write_text(html, encoding="utf-8")
    return {}


def report_job(folder: Path, source: LinesSource, orders: pl.DataFrame, providers: pl.DataFrame,
               registered: dict[str, int], meta: dict, signals: pl.DataFrame | None,
               thresholds: SignalThresholds | None) -> dict[str, int]:
    """report.html, with its "Signaux à examiner" section and signals.csv when signals were computed."""
    rows, section = {}, None
    if signals is not None:
        rows["signals.csv"] = write_signals_csv(signals, folder / "signals.csv", providers)
        section = render_signals_section(signals, thresholds, providers)
    (folder / "report.html").write_text(
        liquidation_report.render_liquidation_report(_lines(source), orders, providers, registered, meta,
                                                     section),
        encoding="utf-8")
    return rows


def _safe_name(provider_id: str) -> str:
    """A provider id as a file name: nothing that could leave the folder, one file per provider.

    An id that is already a safe name is used as it is. When characters had to be replaced
    (`A/B` → `A_B`), 8 hex digits of the id's SHA-256 are added (`A_B-1b4f0e98`), so `A/B`
    and `A_B` never overwrite each other's notice and the name is the same on every run."""
    safe = "".join(ch if (ch.isalnum() and ch.isascii()) or ch in "-_." else "_" for ch in provider_id).lstrip(".")
    if safe == provider_id and safe:
        return safe
    return f"{safe or '_'}-{hashlib.sha256(provider_id.encode('utf-8')).hexdigest()[:8]}"
