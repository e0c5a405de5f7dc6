"""Payment orders: one per (ogd, provider, funder) whose payable sum is > 0.

Order numbers are stable: orders are sorted by (ogd, provider_id, funder) and
numbered per OGD and month, so the same inputs always give the same numbers.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from ramu_cli.tariffs import Policy

ORDER_COLUMNS = ["order_no", "ogd", "provider_id", "provider_name", "level", "region",
                 "bank_code", "account_number", "funder", "lines", "billed", "payable", "due_date"]


def payment_orders(lines: pl.LazyFrame, providers: pl.DataFrame, policy: Policy,
                   month: str, liquidation_date: date) -> pl.DataFrame:
    """The run's payment orders, with bank details and due date."""
    grouped = (lines.filter(pl.col("status") != "REJECTED")
               .group_by("ogd", "provider_id", "funder")
               .agg(pl.len().cast(pl.Int64).alias("lines"), pl.col("billed").sum(), pl.col("payable").sum())
               .filter(pl.col("payable") > 0)
               .sort("ogd", "provider_id", "funder")
               .collect())
    seq = pl.int_range(1, pl.len() + 1).over("ogd")
    stamp = month.replace("-", "")
    due = pl.col("level").replace_strict(policy.payment_due_days, default=30, return_dtype=pl.Int64)
    return (grouped.join(providers.select("provider_id", pl.col("name").alias("provider_name"), "level",
                                          "region", "bank_code", "account_number"),
                         on="provider_id", how="left", maintain_order="left")
            .with_columns(order_no=pl.format("OP-{}-{}-{}", pl.col("ogd"), pl.lit(stamp),
                                             seq.cast(pl.String).str.zfill(5)),
                          due_date=pl.lit(liquidation_date) + pl.duration(days=due))
            .select(ORDER_COLUMNS))

