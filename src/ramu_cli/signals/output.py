"""signals.csv: the signals frame as people open it in a French spreadsheet.

Same columns as the signals frame (English snake_case, like the run's other
CSV files) plus the provider's `name`. Decimals are written with a comma so
that a French Excel reads them as numbers ("0,3592", "3,5"): values, medians
and MADs to 4 decimals, z-scores to 2. Windows-1252, `;` (io.writers.write_csv).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ramu_cli.io.writers import write_csv
from ramu_cli.signals.core import SIGNAL_SCHEMA

DECIMALS = {"value": 4, "peer_median": 4, "peer_mad": 4, "robust_z": 2, "threshold": 4}
CSV_COLUMNS = ["rank", "kind", "id", "name", "level", "indicator", "label", "value", "peer_median", "peer_mad",
               "robust_z", "peers", "threshold", "lines"]


def decimal_comma(expr: pl.Expr, decimals: int) -> pl.Expr:
    """A float as text rounded half up to `decimals`, decimal comma, no trailing ",0": 3.50 → "3,5", 4.0 → "4"."""
    text = expr.round(decimals, mode="half_away_from_zero").cast(pl.String)
    return text.str.replace(r"\.0$", "").str.replace(".", ",", literal=True)


def signals_table(signals: pl.DataFrame, providers: pl.DataFrame | None = None) -> pl.DataFrame:
    """The rows of signals.csv, in the signals frame's order."""
    names = (providers.select("provider_id", "name").unique("provider_id", keep="first")
             if providers is not None else pl.DataFrame(schema={"provider_id": pl.String, "name": pl.String}))
    table = signals.join(names.rename({"provider_id": "id"}).with_columns(kind=pl.lit("provider")),
                         on=["kind", "id"], how="left", maintain_order="left")
    return table.with_columns(
        [decimal_comma(pl.col(c), n).alias(c) for c, n in DECIMALS.items()]).select(CSV_COLUMNS)


def write_signals_csv(signals: pl.DataFrame, path: Path, providers: pl.DataFrame | None = None) -> int:
    """Write signals.csv (a header only when nothing stands out); its row count."""
    if signals.columns != list(SIGNAL_SCHEMA):
        raise ValueError("write_signals_csv attend le tableau de compute_signals")
    table = signals_table(signals, providers)
    write_csv(table, path)
    return table.height
