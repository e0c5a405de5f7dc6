"""Each line's codes as a list, in registry order (rules.CODES), from a bit mask.

Building a list row by row costs ten times more than a join; a table of every
possible mask (2^16 rows for 16 codes, 2^21 for the 21 of version 2) cost about 0.26 s on every run. So each
row's codes become a bit mask `_mask`, and lists are built only for the
distinct masks of the batch (a few hundred at most), then joined back.
"""

from __future__ import annotations

import polars as pl


def mask(codes: dict[str, pl.Expr], order: list[str] | None = None) -> pl.Expr:
    """Bit i set when the code `order[i]` applies (order: `codes`' own by default; Int32:
    at most 31 codes). A part of the codes gives a part of the mask: parts add up."""
    order = list(codes) if order is None else order
    if len(order) > 31:
        raise ValueError(f"{len(order)} codes: a bit mask in Int32 holds at most 31")
    return pl.sum_horizontal([pl.lit(0, pl.Int32)] + [
        pl.when(expr).then(pl.lit(1 << order.index(code), pl.Int32)).otherwise(pl.lit(0, pl.Int32))
        for code, expr in codes.items()])


def with_reason_lists(frame: pl.LazyFrame, codes: list[str]) -> pl.LazyFrame:
    """`frame` (with `_mask`) plus `reasons`: the codes whose bits are set, in `codes` order."""
    bit = pl.col("_mask")
    lists = frame.select("_mask").unique().with_columns(reasons=pl.concat_list(
        [pl.when((bit & (1 << i)) != 0).then(pl.lit(code)).otherwise(pl.lit(None, pl.String))
         for i, code in enumerate(codes)]).list.drop_nulls())
    return frame.join(lists, on="_mask", how="left", maintain_order="left")
