"""The core of `ramu diff`: pair the lines of A and B, keep those that differ.

Pure functions over LazyFrames (no file, no printing). Lines are paired on the
line key (provider_id, invoice_id, line_no). A line whose key is incomplete
(an unreadable invoice line has no invoice_id or line_no; an R14 copy of a
repeated key counts as one, see `sides`) is paired by row_id
with a line of the other side left without a partner, when both sides have a
row_id column; otherwise it stays unmatched. Two lines with complete but
different keys are never paired: that is one line only in A and one only in B.

A paired line "differs" when any column both sides have, except row_id (a
position in the invoices file, not a decision), is different; null equals
null, and `reasons` is compared as a sorted set of codes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import polars as pl

from ramu_cli.diff.sides import COMPARED, FILE_ROW, KEY, LIQUIDATION_TABLE

ONLY_A, ONLY_B, CHANGED = "only_a", "only_b", "changed"
KINDS = (ONLY_A, ONLY_B, CHANGED)
BY_KEY, BY_ROW_ID = "key", "row_id"
# Shown side by side first, after the key: what the contract names.
MAIN = ("status", "reasons", "allowed", "payable")
# Every other liquidation column, side by side too (null where a side lacks it).
OTHERS = tuple(c for c in COMPARED if c not in MAIN)
ALL_COLUMNS = ("row_id", *COMPARED)


@dataclass
class Comparison:
    """The diff as lazy frames: collect them together (they share the join)."""

    rows: pl.LazyFrame       # one row per line only in A, only in B, or changed; sorted by key
    transitions: pl.LazyFrame  # per (status_a, status_b): lines, changed, payable A and B, Σ|Δ|, by_row_id
    compared: tuple[str, ...]  # the columns compared (both sides have them)


def _side(lines: pl.LazyFrame, present: frozenset[str], s: str) -> pl.LazyFrame:
    """One side's lines as `<col>_<s>`, a column the file lacks as null, and whether it is paired on its key."""
    types = {c.name: c.dtype for c in LIQUIDATION_TABLE.columns}
    types["reasons"] = pl.List(pl.String)
    cols = [pl.col(FILE_ROW).alias(f"{FILE_ROW}_{s}")]
    for c in ALL_COLUMNS:
        value = pl.col(c) if c in present else pl.lit(None, types[c])
        cols.append(value.cast(types[c]).alias(f"{c}_{s}"))
    return lines.select(*cols, pl.col("keyed").alias(f"complete_{s}"))


def _pairs(a: pl.LazyFrame, b: pl.LazyFrame, by_row_id: bool) -> pl.LazyFrame:
    """Every line of A and of B once: paired (by key or row_id) or alone."""
    a_cols, b_cols = a.collect_schema().names(), b.collect_schema().names()
    keyed = a.filter(pl.col("complete_a")).join(
        b.filter(pl.col("complete_b")), how="full", coalesce=False, nulls_equal=False,
        left_on=[f"{k}_a" for k in KEY], right_on=[f"{k}_b" for k in KEY])
    in_a, in_b = pl.col(f"{FILE_ROW}_a").is_not_null(), pl.col(f"{FILE_ROW}_b").is_not_null()
    matched = keyed.filter(in_a & in_b).with_columns(matched_by=pl.lit(BY_KEY))
    pool_a = pl.concat([a.filter(~pl.col("complete_a")), keyed.filter(~in_b).select(a_cols)])
    pool_b = pl.concat([b.filter(~pl.col("complete_b")), keyed.filter(~in_a).select(b_cols)])
    if not by_row_id:
        return pl.concat([matched, pool_a, pool_b], how="diagonal")
    by_rid = (pool_a.filter(pl.col("row_id_a").is_not_null())
              .join(pool_b.filter(pl.col("row_id_b").is_not_null()), left_on="row_id_a",
                    right_on="row_id_b", how="inner", coalesce=False)
              .filter(~pl.col("complete_a") | ~pl.col("complete_b"))
              .with_columns(matched_by=pl.lit(BY_ROW_ID)))
    rest_a = pool_a.join(by_rid.select(f"{FILE_ROW}_a"), on=f"{FILE_ROW}_a", how="anti")
    rest_b = pool_b.join(by_rid.select(f"{FILE_ROW}_b"), on=f"{FILE_ROW}_b", how="anti")
    return pl.concat([matched, by_rid, rest_a, rest_b], how="diagonal")


def _differs(c: str) -> pl.Expr:
    return pl.col(f"{c}_a").ne_missing(pl.col(f"{c}_b"))


def _delta() -> pl.Expr:
    """payable B − A; a side without the line counts 0."""
    return pl.col("payable_b").fill_null(0) - pl.col("payable_a").fill_null(0)


def compare(a: pl.LazyFrame, b: pl.LazyFrame, present_a: frozenset[str], present_b: frozenset[str]
            ) -> Comparison:
    """Pair A's and B's lines and describe every line that is not the same on both sides."""
    compared = tuple(c for c in COMPARED if c in present_a and c in present_b)
    by_row_id = "row_id" in present_a and "row_id" in present_b
    pairs = _pairs(_side(a, present_a, "a"), _side(b, present_b, "b"), by_row_id)
    in_a, in_b = pl.col(f"{FILE_ROW}_a").is_not_null(), pl.col(f"{FILE_ROW}_b").is_not_null()
    any_diff = pl.any_horizontal([_differs(c) for c in compared]) if compared else pl.lit(False)
    pairs = pairs.with_columns(
        kind=pl.when(~in_b).then(pl.lit(ONLY_A)).when(~in_a).then(pl.lit(ONLY_B))
        .when(any_diff).then(pl.lit(CHANGED)),
        payable_delta=_delta())
    return Comparison(_rows(pairs, compared), _transitions(pairs), compared)


def _rows(pairs: pl.LazyFrame, compared: Sequence[str]) -> pl.LazyFrame:
    """diff.parquet: the key, what changed, each side's values and the payable delta."""
    changed = (pl.concat_list([pl.when(_differs(c)).then(pl.lit(c)) for c in compared]).list.drop_nulls()
               if compared else pl.lit([], pl.List(pl.String)))
    changed = pl.when(pl.col("kind") == CHANGED).then(changed).otherwise(pl.lit([], pl.List(pl.String)))
    key = [pl.coalesce(f"{c}_a", f"{c}_b").alias(c) for c in (*KEY, "ogd")]
    sides = [pl.col(f"{c}_{s}") for c in MAIN for s in "ab"]
    others = [pl.col(f"{c}_{s}") for c in OTHERS for s in "ab"]
    return (pairs.filter(pl.col("kind").is_not_null())
            .select(pl.col("kind"), pl.col("matched_by"), *key, changed.alias("changed"), *sides,
                    pl.col("payable_delta"), pl.col("row_id_a"), pl.col("row_id_b"),
                    pl.col(f"{FILE_ROW}_a"), pl.col(f"{FILE_ROW}_b"), *others)
            .sort(*KEY, f"{FILE_ROW}_a", f"{FILE_ROW}_b", nulls_last=True))


def _transitions(pairs: pl.LazyFrame) -> pl.LazyFrame:
    """Every line counted once per (status in A, status in B); null status: the side lacks the line."""
    wide = pl.Int128  # sums of francs over millions of lines cannot wrap
    return (pairs.group_by("status_a", "status_b")
            .agg(pl.len().alias("lines"),
                 (pl.col("kind") == CHANGED).sum().alias("changed"),
                 pl.col("payable_a").cast(wide).sum().alias("payable_a"),
                 pl.col("payable_b").cast(wide).sum().alias("payable_b"),
                 pl.col("payable_delta").cast(wide).abs().sum().alias("stake"),
                 (pl.col("matched_by") == BY_ROW_ID).sum().alias("by_row_id"))
            .sort("status_a", "status_b", nulls_last=True))
