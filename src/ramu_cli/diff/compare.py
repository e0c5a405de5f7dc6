"""The core of `ramu diff`: pair the lines of A and B, keep those that differ.

Pure functions over polars frames (no file, no printing). Lines are paired on
the line key (provider_id, invoice_id, line_no). A line whose key is
incomplete (an unreadable invoice line has no invoice_id or line_no; an R14
copy of a repeated key counts as one, see `checks`) is paired by row_id with a
line of the other side left without a partner, when both sides have a row_id
column; otherwise it stays unmatched. Two lines with complete but
different keys are never paired: that is one line only in A and one only in B.

A paired line "differs" when any column both sides have, except row_id (a
position in the invoices file, not a decision), is different; null equals
null, and `reasons` is compared as a sorted set of codes. Pairing runs on each
side's digest (`checks.digest`: a hash of the compared columns stands for
them); `detail` then reads the differing lines in full and names the columns
that differ.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ramu_cli.diff.sides import COMPARED, FILE_ROW, KEY, LIQUIDATION_TABLE

ONLY_A, ONLY_B, CHANGED = "only_a", "only_b", "changed"
BY_KEY, BY_ROW_ID = "key", "row_id"
# Shown side by side first, after the key: what the contract names.
MAIN = ("status", "reasons", "allowed", "payable")
# Every other liquidation column, side by side too (null where a side lacks it).
OTHERS = tuple(c for c in COMPARED if c not in MAIN)
ALL_COLUMNS = ("row_id", *COMPARED)


@dataclass
class Pairing:
    """The pairing of two digests."""

    candidates: pl.DataFrame   # kind, matched_by, file_row_a, file_row_b: the lines not the same
    transitions: pl.DataFrame  # per (status_a, status_b): lines, changed, payable A and B, Σ|Δ|, by_row_id


# What pairing needs of each line (the digest holds these and the key).
PAIRING = (FILE_ROW, "row_id", "status", "payable", "digest", "keyed")


def _suffixed(df: pl.DataFrame, s: str) -> pl.DataFrame:
    return df.rename(lambda c: f"{c}_{s}")


def _key_pairs(a: pl.DataFrame, b: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """The keyed lines paired on their key: (pairs, lines of A left alone, lines of B left alone).

    The join runs on positions and the key's 64-bit hash only (narrow and on one
    integer: several times faster than joining every column on three, two of
    them text); the few columns pairing needs are then gathered by position.
    When a pair so joined has different keys (a hash collision), the join is
    redone on the key itself.
    """
    def positions(df: pl.DataFrame, s: str, on: list[str]) -> pl.DataFrame:
        return df.with_row_index(f"i_{s}").filter(pl.col(f"keyed_{s}")).select(f"i_{s}", *on)

    def gathered(idx: pl.DataFrame, names: list[str]) -> pl.DataFrame:
        return pl.concat([a.select([f"{n}_a" for n in names])[idx["i_a"]],
                          b.select([f"{n}_b" for n in names])[idx["i_b"]]], how="horizontal")

    idx = positions(a, "a", ["key_hash_a"]).join(positions(b, "b", ["key_hash_b"]), how="inner",
                                                 left_on="key_hash_a", right_on="key_hash_b")
    same = pl.all_horizontal([pl.col(f"{k}_a") == pl.col(f"{k}_b") for k in KEY]).all()
    if not gathered(idx, list(KEY)).select(same).item():
        idx = positions(a, "a", [f"{k}_a" for k in KEY]).join(
            positions(b, "b", [f"{k}_b" for k in KEY]), how="inner",
            left_on=[f"{k}_a" for k in KEY], right_on=[f"{k}_b" for k in KEY])
    alone_a = a.filter(~pl.zeros(a.height, pl.Boolean, eager=True).scatter(idx["i_a"], True))
    alone_b = b.filter(~pl.zeros(b.height, pl.Boolean, eager=True).scatter(idx["i_b"], True))
    return gathered(idx, list(PAIRING)), alone_a, alone_b


def _parts(a: pl.DataFrame, b: pl.DataFrame, by_row_id: bool) -> list[pl.DataFrame]:
    """Every line of A and of B once, in parts: paired by key, paired by row_id, alone in A, alone in B."""
    matched, alone_a, alone_b = _key_pairs(a, b)
    matched = matched.with_columns(matched_by=pl.lit(BY_KEY))
    if not by_row_id:
        return _widened([matched, alone_a, alone_b])
    # row_id is unique on each side (checks): a 1:1 join; at least one of the two keys incomplete.
    by_rid = (alone_a.filter(pl.col("row_id_a").is_not_null())
              .join(alone_b.filter(pl.col("row_id_b").is_not_null()), left_on="row_id_a",
                    right_on="row_id_b", how="inner", coalesce=False)
              .filter(~pl.col("keyed_a") | ~pl.col("keyed_b"))
              .with_columns(matched_by=pl.lit(BY_ROW_ID)))
    alone_a = alone_a.filter(~pl.col(f"{FILE_ROW}_a").is_in(by_rid[f"{FILE_ROW}_a"].implode()))
    alone_b = alone_b.filter(~pl.col(f"{FILE_ROW}_b").is_in(by_rid[f"{FILE_ROW}_b"].implode()))
    return _widened([matched, by_rid, alone_a, alone_b])


def _widened(parts: list[pl.DataFrame]) -> list[pl.DataFrame]:
    """Every part with the first part's columns (both sides and matched_by), nulls where it lacks one."""
    schema = parts[0].schema
    return [part.with_columns(pl.lit(None, dtype).alias(name) for name, dtype in schema.items()
                              if name not in part.columns).select(list(schema)) for part in parts]


def _delta() -> pl.Expr:
    """payable B − A; a side without the line counts 0."""
    return pl.col("payable_b").fill_null(0) - pl.col("payable_a").fill_null(0)


def pair(a: pl.DataFrame, b: pl.DataFrame, by_row_id: bool) -> Pairing:
    """Pair two digests (file_row, row_id, key, key_hash, status, payable, digest, keyed)."""
    kind = (pl.when(pl.col(f"{FILE_ROW}_b").is_null()).then(pl.lit(ONLY_A))
            .when(pl.col(f"{FILE_ROW}_a").is_null()).then(pl.lit(ONLY_B))
            .when(pl.col("digest_a") != pl.col("digest_b")).then(pl.lit(CHANGED)))
    candidates, transitions = [], []
    for part in _parts(_suffixed(a, "a"), _suffixed(b, "b"), by_row_id):
        lines = part.lazy().with_columns(kind=kind, payable_delta=_delta())
        candidates.append(lines.filter(pl.col("kind").is_not_null())
                          .select("kind", "matched_by", f"{FILE_ROW}_a", f"{FILE_ROW}_b"))
        transitions.append(_transitions(lines))
    found = pl.collect_all([pl.concat(candidates), pl.concat(transitions)])
    totals = (found[1].group_by("status_a", "status_b").agg(pl.exclude("status_a", "status_b").sum())
              .sort("status_a", "status_b", nulls_last=True))
    return Pairing(found[0], totals)


def _transitions(pairs: pl.LazyFrame) -> pl.LazyFrame:
    """Every line counted once per (status in A, status in B); null status: the side lacks the line."""
    wide = pl.Int128  # sums of francs over millions of lines cannot wrap
    return (pairs.group_by("status_a", "status_b")
            .agg(pl.len().alias("lines"),
                 (pl.col("kind") == CHANGED).sum().alias("changed"),
                 pl.col("payable_a").cast(wide).sum().alias("payable_a"),
                 pl.col("payable_b").cast(wide).sum().alias("payable_b"),
                 pl.col("payable_delta").cast(wide).abs().sum().alias("stake"),
                 (pl.col("matched_by") == BY_ROW_ID).sum().alias("by_row_id")))


def _side(lines: pl.LazyFrame, present: frozenset[str], s: str) -> pl.LazyFrame:
    """One side's full lines as `<col>_<s>`, a column the file lacks as null."""
    types = {c.name: c.dtype for c in LIQUIDATION_TABLE.columns}
    types["reasons"] = pl.List(pl.String)
    cols = [pl.col(FILE_ROW).alias(f"{FILE_ROW}_{s}")]
    for c in ALL_COLUMNS:
        value = pl.col(c) if c in present else pl.lit(None, types[c])
        cols.append(value.cast(types[c]).alias(f"{c}_{s}"))
    return lines.select(cols)


def _differs(c: str) -> pl.Expr:
    return pl.col(f"{c}_a").ne_missing(pl.col(f"{c}_b"))


def detail(candidates: pl.DataFrame, lines_a: pl.LazyFrame, lines_b: pl.LazyFrame,
           present_a: frozenset[str], present_b: frozenset[str], compared: tuple[str, ...]) -> pl.LazyFrame:
    """diff.parquet: the candidates' lines in full (`lines_*` hold at least those), what changed,
    the payable delta; sorted by key."""
    joined = (candidates.lazy()
              .join(_side(lines_a, present_a, "a"), on=f"{FILE_ROW}_a", how="left", nulls_equal=False)
              .join(_side(lines_b, present_b, "b"), on=f"{FILE_ROW}_b", how="left", nulls_equal=False))
    changed = (pl.concat_list([pl.when(_differs(c)).then(pl.lit(c)) for c in compared]).list.drop_nulls()
               if compared else pl.lit([], pl.List(pl.String)))
    changed = pl.when(pl.col("kind") == CHANGED).then(changed).otherwise(pl.lit([], pl.List(pl.String)))
    key = [pl.coalesce(f"{c}_a", f"{c}_b").alias(c) for c in (*KEY, "ogd")]
    sides = [pl.col(f"{c}_{s}") for c in MAIN for s in "ab"]
    others = [pl.col(f"{c}_{s}") for c in OTHERS for s in "ab"]
    return (joined
            .select(pl.col("kind"), pl.col("matched_by"), *key, changed.alias("changed"), *sides,
                    _delta().alias("payable_delta"), pl.col("row_id_a"), pl.col("row_id_b"),
                    pl.col(f"{FILE_ROW}_a"), pl.col(f"{FILE_ROW}_b"), *others)
            .sort(*KEY, f"{FILE_ROW}_a", f"{FILE_ROW}_b", nulls_last=True))
