"""A share in percent, computed on integers and rounded half up: one definition.

The collection rate of a remittance audit (a column of remittances.parquet)
and the shares the reports show are all `share_percent`, so a figure in a
file and the same figure in a document cannot drift apart. (Policy percents
become integer basis points in `tariffs.percent_to_bp`.)
"""

from __future__ import annotations

from typing import overload

import polars as pl


@overload
def share_percent(part: int, whole: int) -> float | None: ...
@overload
def share_percent(part: pl.Expr, whole: pl.Expr) -> pl.Expr: ...
def share_percent(part: int | pl.Expr, whole: int | pl.Expr) -> float | pl.Expr | None:
    """part / whole in percent with one decimal, half up (87.46 → 87.5); None (null) when whole is 0.

    Works on Python integers and on polars integer expressions alike. The last
    division may differ in its last bit between the two (polars stores 89.10000000000001
    where Python computes 89.1, as remittances.parquet always has): the same figure to
    one decimal, which is all any document shows.
    """
    if isinstance(part, pl.Expr) or isinstance(whole, pl.Expr):
        return (pl.when(whole != 0)
                .then(((part * 1000 + whole // 2) // whole) / 10)
                .otherwise(None)
                .cast(pl.Float64))
    if not whole:
        return None
    return ((part * 1000 + whole // 2) // whole) / 10
