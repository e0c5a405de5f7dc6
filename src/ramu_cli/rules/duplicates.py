"""Duplicate rules: R09 (within the batch), R13 (ledger), R14 (unreadable or repeated key).

The flags are computed by the pipeline (they need whole-batch views); these
expressions read them so every code is named here next to its rule.
"""

from __future__ import annotations

import polars as pl

LINE_KEY = ["provider_id", "invoice_id", "line_no"]
DUPLICATE_KEY = ["beneficiary_id", "provider_id", "act_code", "service_date"]
# R09: who comes first among copies — dates as dates, ids as strings, numbers as numbers.
R09_ORDER = ["submission_date", "provider_id", "invoice_id", "line_no", "row_id"]


def r09_duplicate_in_batch() -> pl.Expr:
    # R09 Doublon dans le lot: an earlier row (R09_ORDER) has the same DUPLICATE_KEY.
    return pl.col("r09")


def r13_already_liquidated() -> pl.Expr:
    # R13 Déjà liquidé: the ledger holds the LINE_KEY or the DUPLICATE_KEY.
    return pl.col("r13")


def r14_unreadable_or_invalid() -> pl.Expr:
    # R14 Ligne illisible ou invalide: a cell breaks the contract, or the LINE_KEY
    # was already used by an earlier row of the file.
    return pl.col("cell_fault") | pl.col("repeated_line_key")


def repeated_line_key() -> pl.Expr:
    """Every copy of a line key after the first, in file order."""
    return (pl.col("row_id") != pl.col("row_id").min().over(LINE_KEY)).fill_null(False)
