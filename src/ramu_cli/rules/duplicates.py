"""Duplicate codes: R09 (within the batch), R13 (ledger), R14 (unreadable or repeated key).

They need whole-batch views (every copy of a key, the ledger). `duplicate_marks`
reads only the key columns of the whole batch and keeps what it found small
(the row_ids marked, the ledger's keys); `with_duplicate_flags` then sets the
flag columns `r09`, `r13` and `r14` on any chunk of rows before the other rules
run; the reason expressions below read the flags.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from ramu_cli.rules.common import RuleContext

LINE_KEY = ["provider_id", "invoice_id", "line_no"]
DUPLICATE_KEY = ["beneficiary_id", "provider_id", "act_code", "service_date"]
# R09: who comes first among copies — dates as dates, ids as strings, numbers as numbers.
R09_ORDER = ["submission_date", "provider_id", "invoice_id", "line_no", "row_id"]


def _candidates(frame: pl.LazyFrame, key: list[str]) -> pl.LazyFrame:
    """The rows whose 64-bit hash of `key` is repeated: every row of a repeated key, and
    (rarely) a few more whose hashes collide. Cheaper than grouping on the key's strings;
    the exact rule then runs on these rows alone, so a collision changes nothing."""
    return frame.filter(pl.struct(key).hash().is_duplicated())


def repeated_line_key() -> pl.Expr:
    """Every copy of a line key after the first, in file order (validation's expression)."""
    return (pl.col("row_id") != pl.col("row_id").min().over(LINE_KEY)).fill_null(False)


def repeated_line_key_rows(base: pl.LazyFrame) -> pl.LazyFrame:
    """row_id of every copy of a line key after the first, in file order (part of R14):
    repeated_line_key() on the candidate rows only."""
    copies = _candidates(base.select("row_id", *LINE_KEY), LINE_KEY)
    return copies.filter(pl.col("row_id") != pl.col("row_id").min().over(LINE_KEY)).select("row_id")


def r09_rows(base: pl.LazyFrame) -> pl.LazyFrame:
    # R09 Doublon dans le lot: row_id of every row (without R14) that an earlier
    # copy (R09_ORDER) of its DUPLICATE_KEY precedes.
    judged = base.filter(~pl.col("r14")).select(*dict.fromkeys([*DUPLICATE_KEY, *R09_ORDER]))
    judged = _candidates(judged, DUPLICATE_KEY)
    repeated = judged.group_by(DUPLICATE_KEY).agg(pl.len().alias("n")).filter(pl.col("n") > 1)
    copies = judged.join(repeated.select(DUPLICATE_KEY), on=DUPLICATE_KEY, how="semi")
    first = pl.col("row_id").sort_by(R09_ORDER).first().over(DUPLICATE_KEY)
    return copies.filter(pl.col("row_id") != first).select("row_id")


@dataclass
class DuplicateMarks:
    """What R09, R13 and R14 need from the whole batch and the ledger, kept small: the
    row_ids R14 (repeated line key) and R09 mark, and the keys the ledger has seen."""

    r14_copies: pl.Series
    r09: pl.Series
    ledger_lines: pl.DataFrame | None    # LINE_KEY, unique (None without a ledger)
    ledger_dups: pl.DataFrame | None     # DUPLICATE_KEY, unique


def duplicate_marks(invoices: pl.LazyFrame, ledger: pl.LazyFrame | None) -> DuplicateMarks:
    """The whole-batch part of R09/R13/R14, kept small.

    One pass hashes each row's LINE_KEY and DUPLICATE_KEY (nothing else is parsed); only
    the rows whose hash is repeated (a few percent, `_candidates`) are then read in full,
    `cell_fault` included, and the exact rules run on them alone."""
    hashes = (invoices.select("row_id", _line=pl.struct(LINE_KEY).hash(), _dup=pl.struct(DUPLICATE_KEY).hash())
              .collect(engine="streaming"))
    wanted = hashes.filter(pl.col("_line").is_duplicated() | pl.col("_dup").is_duplicated())
    rows = (invoices.filter(pl.col("row_id").is_in(wanted["row_id"].implode()))
            .select(*dict.fromkeys(["row_id", "cell_fault", *LINE_KEY, *DUPLICATE_KEY, *R09_ORDER])).collect())
    copies = repeated_line_key_rows(rows.lazy()).collect()["row_id"]
    r09 = r09_rows(rows.lazy().with_columns(r14=_r14(copies))).collect()["row_id"]
    if ledger is None:
        return DuplicateMarks(copies, r09, None, None)
    seen = pl.collect_all([ledger.select(LINE_KEY).unique(), ledger.select(DUPLICATE_KEY).unique()])
    return DuplicateMarks(copies, r09, seen[0], seen[1])


def _r14(copies: pl.Series) -> pl.Expr:
    # R14 Ligne illisible ou invalide: a cell breaks the contract, or the LINE_KEY
    # was already used by an earlier row of the file.
    return pl.col("cell_fault") | pl.col("row_id").is_in(copies.implode())


def with_duplicate_flags(lines: pl.LazyFrame, marks: DuplicateMarks) -> pl.LazyFrame:
    """Any rows of the batch (a chunk) with the flags r14, r09 and r13 of the whole batch."""
    flagged = lines.with_columns(r14=_r14(marks.r14_copies), r09=pl.col("row_id").is_in(marks.r09.implode()))
    if marks.ledger_lines is None or marks.ledger_dups is None:
        return flagged.with_columns(r13=pl.lit(False))
    # R13 Déjà liquidé: the ledger holds the LINE_KEY or the DUPLICATE_KEY.
    seen_line = marks.ledger_lines.lazy().with_columns(pl.lit(True).alias("_line_seen"))
    seen_dup = marks.ledger_dups.lazy().with_columns(pl.lit(True).alias("_dup_seen"))
    return (flagged.join(seen_line, on=LINE_KEY, how="left", maintain_order="left")
            .join(seen_dup, on=DUPLICATE_KEY, how="left", maintain_order="left")
            .with_columns(r13=(pl.col("_line_seen") | pl.col("_dup_seen")).fill_null(False))
            .drop("_line_seen", "_dup_seen"))


def r09_duplicate_in_batch(ctx: RuleContext) -> pl.Expr:
    # R09 Doublon dans le lot (flag computed by r09_rows, set by with_duplicate_flags).
    return pl.col("r09")


def r13_already_liquidated(ctx: RuleContext) -> pl.Expr:
    # R13 Déjà liquidé dans un lot précédent (flag set by with_duplicate_flags from the
    # ledger keys that duplicate_marks read).
    return pl.col("r13")


def r14_unreadable_or_invalid(ctx: RuleContext) -> pl.Expr:
    # R14 Ligne illisible ou invalide (flag set by with_duplicate_flags: cell_fault, or a
    # copy of a line key found by duplicate_marks).
    return pl.col("r14")
