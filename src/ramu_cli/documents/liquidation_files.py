"""A liquidation run's documents for people, written into its (temporary) run folder.

The core hands over frames; this module turns them into the files people and
scripts receive. Every file here is deterministic for the same inputs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from ramu_cli.documents import liquidation_report, notices, pain001, payment_orders
from ramu_cli.documents.labels import ORDER_HEADINGS, REJECTION_HEADINGS, SHEET_ORDERS, SHEET_REJECTIONS
from ramu_cli.documents.tables import french_values, orders_table, rejections_table
from ramu_cli.io.writers import write_csv
from ramu_cli.io.xlsx import write_xlsx
from ramu_cli.liquidation.registry import ANOMALY_COLUMNS, Registry


def write_liquidation_documents(folder: Path, lines: pl.DataFrame, orders: pl.DataFrame,
                                registry: Registry, meta: dict) -> dict[str, int]:
    """All files of a liquidation run but liquidation.parquet and the manifest; their row counts."""
    orders = orders_table(orders)
    rejections = rejections_table(lines, registry.providers)
    write_csv(orders, folder / "payment_orders.csv")
    write_xlsx({SHEET_ORDERS: (french_values(orders), ORDER_HEADINGS)},
               folder / "payment_orders.xlsx",
               totals={SHEET_ORDERS: ["lines", "billed", "payable"]})
    write_csv(rejections, folder / "rejections.csv")
    # Registry rows set aside (treated as absent): which file, row and column, and why.
    write_csv(registry.anomalies.select(ANOMALY_COLUMNS), folder / "anomalies.csv")
    write_xlsx({SHEET_REJECTIONS: (rejections, REJECTION_HEADINGS)},
               folder / "rejections.xlsx",
               totals={SHEET_REJECTIONS: ["billed", "allowed", "payable", "disallowed"]})

    providers = registry.providers.select("provider_id", "name", "level", "region")
    registered = dict(registry.beneficiaries.group_by("ogd").len().iter_rows())
    (folder / "report.html").write_text(
        liquidation_report.render_liquidation_report(lines, orders, providers, registered, meta),
        encoding="utf-8")
    (folder / "payment_orders.html").write_text(
        payment_orders.render_payment_orders(orders, meta), encoding="utf-8")
    (folder / "payment_orders.pain001.xml").write_bytes(pain001.render_pain001(orders, meta))
    notice_dir = folder / "rejections"
    notice_dir.mkdir()
    for provider_id, html in sorted(notices.render_rejection_notices(lines, providers, meta).items()):
        (notice_dir / f"{_safe_name(provider_id)}.html").write_text(html, encoding="utf-8")
    return {"payment_orders.csv": orders.height, "payment_orders.xlsx": orders.height,
            "rejections.csv": rejections.height, "rejections.xlsx": rejections.height,
            "anomalies.csv": registry.anomalies.height}


def _safe_name(provider_id: str) -> str:
    """A provider id as a file name: nothing that could leave the folder, one file per provider.

    An id that is already a safe name is used as it is. When characters had to be replaced
    (`A/B` → `A_B`), 8 hex digits of the id's SHA-256 are added (`A_B-1b4f0e98`), so `A/B`
    and `A_B` never overwrite each other's notice and the name is the same on every run."""
    safe = "".join(ch if (ch.isalnum() and ch.isascii()) or ch in "-_." else "_" for ch in provider_id).lstrip(".")
    if safe == provider_id and safe:
        return safe
    return f"{safe or '_'}-{hashlib.sha256(provider_id.encode('utf-8')).hexdigest()[:8]}"
