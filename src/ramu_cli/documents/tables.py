"""Tables for people: rows in the order people expect, orders and rejections for CSV/XLSX.

CSV files keep the contract's English snake_case column names (they are read
by scripts too); XLSX sheets carry the French headings of documents.labels.
Both carry French labels of reasons and amounts in words.
"""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl

from ramu_cli.contract import REASON_LABELS
from ramu_cli.documents.labels import FUNDER_FR, REJECTION_HEADINGS, STATUS_FR
from ramu_cli.french import amount_in_words


def code_rank(key: str, known: Sequence[str]) -> pl.Expr:
    """Sort rank of a code in its contract order (OGDs, levels…); unknown and null codes last."""
    return pl.col(key).replace_strict(list(known), list(range(len(known))), default=len(known),
                                      return_dtype=pl.Int64)


def in_code_order(df: pl.DataFrame, key: str, known: Sequence[str], *more: str) -> pl.DataFrame:
    """Rows by `key` in contract order (then by the code itself, then by `more`), nulls last."""
    return df.sort(code_rank(key, known), key, *more, nulls_last=True)


def orders_table(orders: pl.DataFrame) -> pl.DataFrame:
    """Orders with their amount in French words (few rows: one per provider and funder)."""
    words = [amount_in_words(int(v)) for v in orders["payable"].to_list()]
    return orders.with_columns(amount_words=pl.Series(words, dtype=pl.String))


def reason_labels(reasons: pl.Expr) -> pl.Expr:
    """"R01 Bénéficiaire inconnu ; R05 …" for a list of codes."""
    return reasons.list.eval(pl.element() + pl.lit(" ") + pl.element().replace_strict(
        REASON_LABELS, return_dtype=pl.String)).list.join(" ; ")


def rejections_table(lines: pl.LazyFrame | pl.DataFrame, providers: pl.DataFrame) -> pl.DataFrame:
    """Every REJECTED or REDUCED line, by provider then file order, reasons spelt out."""
    names = providers.lazy().select("provider_id", pl.col("name").alias("provider_name"))
    picked = lines.lazy().filter(pl.col("status") != "PAID")
    return (picked.join(names, on="provider_id", how="left", maintain_order="left")
            .with_columns(status=pl.col("status").replace_strict(STATUS_FR, return_dtype=pl.String),
                          reason_labels=reason_labels(pl.col("reasons")),
                          reasons=pl.col("reasons").list.join(" "))
            .sort("provider_id", "row_id", nulls_last=True)
            .select(list(REJECTION_HEADINGS)).collect())


def french_values(df: pl.DataFrame) -> pl.DataFrame:
    """Enum codes shown to people in French (funder)."""
    if "funder" in df.columns:
        df = df.with_columns(pl.col("funder").replace_strict(FUNDER_FR, default=pl.col("funder")))
    return df
