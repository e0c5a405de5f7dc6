"""What is measured for each provider and each beneficiary in a month.

Each indicator has a code (the `indicator` column of signals.csv), a French
label and a unit that says how people read its value. Values are computed
from the line-level liquidation result; they only read it.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str        # French, as in signals.csv and the report
    unit: str         # "fcfa" (whole francs), "ratio" (lines per person), "share" (fraction 0–1), "count"
    hint: str         # one line for the auditor: what a high value may mean


PROVIDER_INDICATORS = (
    Indicator("payable_per_beneficiary", "Montant à payer par bénéficiaire", "fcfa",
              "soins plus lourds ou plus chers que chez les pairs pour chaque patient"),
    Indicator("lines_per_beneficiary", "Lignes par bénéficiaire", "ratio",
              "patients revus ou actes multipliés plus souvent que chez les pairs"),
    Indicator("share_cut_to_tariff", "Part des lignes ramenées au tarif (A01)", "share",
              "prix facturés au-dessus du tarif de référence"),
    Indicator("share_rejected", "Part des lignes rejetées", "share",
              "factures mal établies ou prestations non remboursables"),
    Indicator("share_emergency", "Part des lignes en urgence", "share",
              "urgences déclarées pour passer outre la référence"),
    Indicator("share_at_max_qty", "Part des lignes à la quantité maximale", "share",
              "quantités facturées au plafond de la nomenclature"),
)

BENEFICIARY_INDICATORS = (
    Indicator("distinct_providers", "Prestataires distincts dans le mois", "count",
              "nomadisme médical, ou carte utilisée par d'autres personnes"),
    Indicator("beneficiary_lines", "Lignes dans le mois", "count",
              "consommation très élevée, ou carte utilisée par d'autres personnes"),
)

INDICATORS = {i.code: i for i in PROVIDER_INDICATORS + BENEFICIARY_INDICATORS}

# Columns the signals read from the liquidation's lines.
REQUIRED_COLUMNS = ("provider_id", "beneficiary_id", "quantity", "status", "reasons", "payable",
                    "level", "emergency", "max_qty")


def pair_counts(lines: pl.LazyFrame) -> pl.LazyFrame:
    """Lines per (provider, beneficiary) pair: both distinct counts come from this one grouping."""
    return lines.group_by("provider_id", "beneficiary_id").agg(pl.len().cast(pl.Int64).alias("pair_lines"))


def provider_counts(lines: pl.LazyFrame, pairs: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """One row per provider: level, lines and the counts every indicator is built from.

    A line with no readable provider belongs to no provider. `capped` counts the
    lines whose act allows more than one unit (max_qty ≥ 2): a consultation
    limited to 1 is always "at its maximum" and says nothing.
    """
    pairs = pair_counts(lines) if pairs is None else pairs
    distinct = (pairs.filter(pl.col("provider_id").is_not_null() & pl.col("beneficiary_id").is_not_null())
                .group_by("provider_id").agg(pl.len().cast(pl.Int64).alias("beneficiaries")))
    capped = pl.col("max_qty") >= 2
    sums = (lines.filter(pl.col("provider_id").is_not_null())
            .group_by("provider_id")
            .agg(pl.col("level").first(),
                 pl.len().cast(pl.Int64).alias("lines"),
                 pl.col("payable").sum().cast(pl.Int64).alias("payable"),
                 pl.col("reasons").list.contains("A01").sum().cast(pl.Int64).alias("cut_to_tariff"),
                 (pl.col("status") == "REJECTED").sum().cast(pl.Int64).alias("rejected"),
                 pl.col("emergency").fill_null(False).sum().cast(pl.Int64).alias("emergency"),
                 capped.fill_null(False).sum().cast(pl.Int64).alias("capped"),
                 (capped & (pl.col("quantity") >= pl.col("max_qty"))).fill_null(False)
                 .sum().cast(pl.Int64).alias("at_max_qty")))
    return (sums.join(distinct, on="provider_id", how="left")
            .with_columns(pl.col("beneficiaries").fill_null(0)))


def provider_values(counts: pl.LazyFrame) -> pl.LazyFrame:
    """The six indicators of each provider (Float64; null when undefined).

    Payable per beneficiary is whole francs, rounded half up; shares are
    fractions of the provider's lines (of its capped lines for the last one).
    """
    ben, lines = pl.col("beneficiaries"), pl.col("lines")
    has_ben = ben > 0
    return counts.select(
        "provider_id", "level", "lines",
        payable_per_beneficiary=pl.when(has_ben).then(
            (2 * pl.col("payable") + ben) // (2 * ben)).cast(pl.Float64),
        lines_per_beneficiary=pl.when(has_ben).then(lines / ben),
        share_cut_to_tariff=pl.col("cut_to_tariff") / lines,
        share_rejected=pl.col("rejected") / lines,
        share_emergency=pl.col("emergency") / lines,
        share_at_max_qty=pl.when(pl.col("capped") > 0).then(pl.col("at_max_qty") / pl.col("capped")),
    )


def beneficiary_counts(lines: pl.LazyFrame, pairs: pl.LazyFrame | None = None) -> pl.LazyFrame:
    """One row per beneficiary: distinct providers and lines in the month, whatever their status."""
    pairs = pair_counts(lines) if pairs is None else pairs
    return (pairs.filter(pl.col("beneficiary_id").is_not_null())
            .group_by("beneficiary_id")
            .agg(pl.col("provider_id").count().cast(pl.Int64).alias("distinct_providers"),
                 pl.col("pair_lines").sum().cast(pl.Int64).alias("beneficiary_lines")))
