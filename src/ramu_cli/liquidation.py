"""The liquidation pipeline: invoice rows in, one decision per row out.

read → look up B, P, V, A, price and coverage at the service date → flag
duplicates (R09, R13, R14) → apply R01–R14 → A01/A02 and amounts. One polars
plan with no Python loop over rows; lookups by validity period are equi-joins
on (key, service_date) against tariff rows expanded to the batch's few
distinct service dates, so the large side is never sorted.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

import polars as pl

from ramu_cli import amounts
from ramu_cli.contract import LIQUIDATION_COLUMNS
from ramu_cli.errors import InputError, Problem
from ramu_cli.io.readers import TableScan
from ramu_cli.registry import Registry
from ramu_cli.rules import RuleContext, code_rules
from ramu_cli.rules.common import age_in_full_years, within
from ramu_cli.rules.duplicates import duplicate_flags
from ramu_cli.tariffs import Tariffs

# Columns kept beside the contract's for documents (pyramid level, act category).
EXTRA_COLUMNS = ["level", "category"]


def last_day_of_month(month: str) -> date:
    year, mon = int(month[:4]), int(month[5:7])
    return date(year, mon, calendar.monthrange(year, mon)[1])


@dataclass
class LiquidationResult:
    lines: pl.DataFrame        # LIQUIDATION_COLUMNS + EXTRA_COLUMNS, in input order
    input_rows: int


def _in_force(table: pl.DataFrame, dates: pl.LazyFrame) -> pl.LazyFrame:
    """Tariff rows crossed with the batch's service dates they are valid on."""
    return dates.join(table.lazy(), how="cross").filter(within("valid_from", "valid_to"))


def _lookups(base: pl.LazyFrame, registry: Registry, tariffs: Tariffs) -> pl.LazyFrame:
    dates = base.select("service_date").drop_nulls().unique()
    acts = _in_force(tariffs.acts, dates).select(
        "act_code", "service_date", *[pl.col(c).alias(f"a_{c}") for c in
                                      ("category", "care_type", "sex", "min_age", "max_age", "max_qty", "free_care")])
    prices = _in_force(tariffs.prices, dates).select(
        "act_code", pl.col("level").alias("v_level"), "service_date", "price")
    coverage = _in_force(tariffs.coverage, dates).select(
        pl.col("ogd").alias("b_ogd"), pl.col("care_type").alias("a_care_type"), "service_date",
        pl.col("rate_percent").alias("coverage_rate"))
    bens = registry.beneficiaries.lazy().select(
        "beneficiary_id", *[pl.col(c).alias(f"b_{c}") for c in registry.beneficiaries.columns
                            if c != "beneficiary_id"])
    provs = registry.providers.lazy().select(
        "provider_id", *[pl.col(c).alias(f"v_{c}") for c in
                         ("level", "convention_start", "convention_end")])
    joined = (base.join(bens, on="beneficiary_id", how="left", maintain_order="left")
              .join(provs, on="provider_id", how="left", maintain_order="left")
              .join(acts, on=["act_code", "service_date"], how="left", maintain_order="left")
              .join(prices, on=["act_code", "v_level", "service_date"], how="left", maintain_order="left")
              .join(coverage, on=["b_ogd", "a_care_type", "service_date"], how="left", maintain_order="left"))
    return joined.with_columns(age=age_in_full_years(pl.col("service_date"), pl.col("b_birth_date")))


def _reason_lists(codes: list[str]) -> pl.LazyFrame:
    """Every mask → sorted list of the codes whose bits are set (codes are in sorted order)."""
    bit = pl.col("_mask")
    masks = pl.LazyFrame({"_mask": pl.int_range(0, 1 << len(codes), dtype=pl.Int32, eager=True)})
    return masks.with_columns(reasons=pl.concat_list(
        [pl.when((bit & (1 << i)) != 0).then(pl.lit(code)).otherwise(pl.lit(None, pl.String))
         for i, code in enumerate(codes)]).list.drop_nulls())


def decision_plan(flagged: pl.LazyFrame, registry: Registry, tariffs: Tariffs,
                  liquidation_date: date) -> pl.LazyFrame:
    """The lazy plan of the line-level result (plus `coverage_missing` for the caller)."""
    policy = tariffs.policy
    frame = _lookups(flagged, registry, tariffs)

    codes, rejected = code_rules(RuleContext(policy, liquidation_date))
    # Each row's codes as a bit mask, turned into the sorted list by a join on a
    # table of every mask (2^16 rows, built once): building lists row by row
    # costs ten times more.
    mask = pl.sum_horizontal([pl.when(expr).then(pl.lit(1 << i, pl.Int32)).otherwise(pl.lit(0, pl.Int32))
                              for i, expr in enumerate(codes.values())])
    frame = frame.with_columns(_rejected=rejected, _mask=mask, billed=amounts.billed(),
                               **amounts.amount_columns(rejected))
    frame = frame.join(_reason_lists(list(codes)), on="_mask", how="left", maintain_order="left")
    frame = frame.with_columns(
        copay=pl.col("allowed") - pl.col("payable"),
        disallowed=pl.col("billed") - pl.col("allowed"),
        status=pl.when(pl.col("_rejected")).then(pl.lit("REJECTED"))
        .when(pl.col("reasons").list.len() > 0).then(pl.lit("REDUCED")).otherwise(pl.lit("PAID")),
        reason=pl.col("reasons").list.first(),
        coverage_missing=~pl.col("_rejected") & pl.col("rate_percent").is_null(),
        level=pl.col("v_level"), category=pl.col("a_category"),
    )
    return frame.select(
        *[pl.col(name).cast(dtype) for name, dtype in LIQUIDATION_COLUMNS.items()],
        *EXTRA_COLUMNS, "coverage_missing", pl.col("b_ogd").alias("_coverage_ogd"),
        pl.col("a_care_type").alias("_coverage_care_type"))


def liquidate(invoices: TableScan, registry: Registry, tariffs: Tariffs,
              ledger: pl.LazyFrame | None, liquidation_date: date) -> LiquidationResult:
    """Run the plan; a missing coverage rate for a line that needs one stops the run."""
    # Each stage is read several times by the next (R09 groups, distinct service
    # dates, lookups): collected once, it is not computed again for each reader.
    typed = invoices.typed().collect()
    input_rows = typed.height
    flagged = duplicate_flags(typed.lazy(), ledger).collect()
    del typed  # flagged holds every column: keep one copy of the lines in memory
    df = decision_plan(flagged.lazy(), registry, tariffs, liquidation_date).collect()
    del flagged
    gaps = df.filter(pl.col("coverage_missing"))
    if gaps.height:
        summary = (gaps.group_by("_coverage_ogd", "_coverage_care_type")
                   .agg(pl.col("service_date").min().alias("first"), pl.col("service_date").max().alias("last"),
                        pl.col("row_id").min().alias("row")).sort("_coverage_ogd", "_coverage_care_type"))
        problems = [Problem(str(tariffs.coverage_file),
                            f"aucun taux de prise en charge pour {r['_coverage_ogd']} × {r['_coverage_care_type']} "
                            f"entre le {r['first']:%d/%m/%Y} et le {r['last']:%d/%m/%Y} "
                            f"(première ligne concernée : {r['row']} de {invoices.label})", column="rate_percent")
                    for r in summary.iter_rows(named=True)]
        raise InputError(f"Taux de prise en charge manquant dans le dossier des tarifs : ajoutez les taux "
                         f"manquants à {tariffs.coverage_file.name} puis relancez. Rien n'a été écrit.", problems)
    lines = df.drop("coverage_missing", "_coverage_ogd", "_coverage_care_type")
    return LiquidationResult(lines=lines, input_rows=input_rows)
