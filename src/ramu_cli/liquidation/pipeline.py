"""The liquidation pipeline: invoice rows in, one decision per row out.

read → flag duplicates (R09, R13, R14: rules.duplicates) → look up B, V, A,
price, coverage and the authorization Z at the service date (lookups) → every
code a line gets on its own (rules) → R18, then R16/A03, on the lines no other
code rejects, over the batch and the ledger (rules.frequency) → A01–A03 and
amounts (amounts) → status and reasons. Polars plans each step; Python loops
only over chunks of rows (io.parts: the month is never held whole, see
`liquidate`) and in R18's walk over the few lines two of which are closer than
the interval.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

from ramu_cli.contract import LIQUIDATION_COLUMNS
from ramu_cli.errors import InputError, Problem
from ramu_cli.io.parts import chunks, scan_parts, write_part
from ramu_cli.io.readers import TableScan
from ramu_cli.liquidation import amounts
from ramu_cli.liquidation.codes import mask, with_reason_lists
from ramu_cli.liquidation.invariants import check_lines
from ramu_cli.liquidation.lookups import beneficiary_rows, lookups, with_beneficiary
from ramu_cli.liquidation.registry import Registry
from ramu_cli.rules import ADJUSTMENTS, CODES, CROSS_LINE, REASONS, RuleContext, ordinary_reason_rules
from ramu_cli.rules.authorization import Z_MATCH, z_matches
from ramu_cli.rules.duplicates import duplicate_marks, with_duplicate_flags
from ramu_cli.rules.frequency import INPUT_COLUMNS, concerned, frequency_flags
from ramu_cli.tariffs import Tariffs

# Columns kept beside the contract's for documents (pyramid level, act category) and for
# the signals (the invoice's emergency flag, the act's max_qty at the service date).
EXTRA_COLUMNS = ["level", "category", "emergency", "max_qty"]
# What decision_plan reads of the looked-up lines (the other lookup columns served the
# ordinary rules and R18/R16 only): the rest is dropped before it runs, which lowers the
# run's peak (2 000 000 lines: about 290 MiB). A column missing here fails loudly
# (ColumnNotFoundError), never silently.
DECISION_INPUTS = ["row_id", "invoice_id", "line_no", "provider_id", "beneficiary_id", "ogd",
                   "service_date", "submission_date", "act_code", "quantity", "unit_price",
                   "emergency", "b_ogd", "v_level", "a_category", "a_care_type", "a_max_qty",
                   "a_free_care", "price", "coverage_rate", "_mask", "_other_rejected"]
# Kept for the caller's check of missing coverage rates, then dropped.
COVERAGE_CHECK = ["coverage_missing", "_coverage_ogd", "_coverage_care_type"]


def last_day_of_month(month: str) -> date:
    year, mon = int(month[:4]), int(month[5:7])
    return date(year, mon, calendar.monthrange(year, mon)[1])


@dataclass
class LiquidationResult:
    """The decided lines, kept in the run's work folder (never whole in memory)."""

    parts: list[Path]          # LIQUIDATION_COLUMNS + EXTRA_COLUMNS, chunk by chunk, in input order
    input_rows: int

    @property
    def lines(self) -> pl.LazyFrame:
        """Every decided line, read lazily from the parts."""
        return scan_parts(self.parts)


def ordinary_codes(flagged: pl.LazyFrame, registry: Registry, tariffs: Tariffs, ctx: RuleContext,
                   authorizations: pl.DataFrame | None) -> pl.LazyFrame:
    """The looked-up lines with `_mask` holding every code but CROSS_LINE and the adjustments,
    `_other_rejected` (some such code applies) and `z_match` (what R18 exempts)."""
    partial = mask(ordinary_reason_rules(ctx), list(CODES))
    return lookups(flagged, registry, tariffs, authorizations).with_columns(
        _mask=partial, **{Z_MATCH: z_matches()}).with_columns(_other_rejected=pl.col("_mask") != 0)


def interval_acts(tariffs: Tariffs) -> list[str]:
    """Acts that have a min_interval_days in some period of the tariff table (R18)."""
    return tariffs.acts.filter(pl.col("min_interval_days").is_not_null())["act_code"].unique().sort().to_list()


def cross_line_inputs(lines: pl.LazyFrame, acts: list[str]) -> pl.LazyFrame:
    """What R18/R16 read of some lines: the rows no other code rejects (the rulebook's
    *eligible* rows) of the acts these rules concern, their INPUT_COLUMNS."""
    return lines.filter(~pl.col("_other_rejected") & concerned(acts)).select(INPUT_COLUMNS)


def decision_plan(lines: pl.LazyFrame, flags: pl.DataFrame, ctx: RuleContext) -> pl.LazyFrame:
    """The lazy plan of the line-level result (plus COVERAGE_CHECK for the caller), from the
    lines of ordinary_codes and the flags of cross_line_flags."""
    # Joined on the row_id column alone, then set beside the lines: an order-keeping join
    # of the whole frame would gather every one of its columns.
    flag_columns = lines.select("row_id").join(flags.lazy(), on="row_id", how="left",
                                               maintain_order="left").drop("row_id")
    frame = pl.concat([lines, flag_columns], how="horizontal")
    late = {code: REASONS[code](ctx) for code in CROSS_LINE}
    rejected = pl.col("_other_rejected") | pl.any_horizontal(list(late.values()))
    adjusted = {code: rule(ctx) & ~rejected for code, rule in ADJUSTMENTS.items()}
    frame = frame.with_columns(_rejected=rejected, _mask=pl.col("_mask") + mask({**late, **adjusted}, list(CODES)),
                               billed=amounts.billed(), **amounts.amount_columns(rejected))
    frame = with_reason_lists(frame, list(CODES)).with_columns(
        copay=pl.col("allowed") - pl.col("payable"),
        disallowed=pl.col("billed") - pl.col("allowed"),
        status=pl.when(pl.col("_rejected")).then(pl.lit("REJECTED"))
        .when(pl.col("reasons").list.len() > 0).then(pl.lit("REDUCED")).otherwise(pl.lit("PAID")),
        reason=pl.col("reasons").list.first(),
        coverage_missing=~pl.col("_rejected") & pl.col("rate_percent").is_null(),
        level=pl.col("v_level"), category=pl.col("a_category"),
        max_qty=pl.col("a_max_qty").cast(pl.Int64),
    )
    return frame.select(
        *[pl.col(name).cast(dtype) for name, dtype in LIQUIDATION_COLUMNS.items()],
        *EXTRA_COLUMNS, "coverage_missing", pl.col("b_ogd").alias("_coverage_ogd"),
        pl.col("a_care_type").alias("_coverage_care_type"))


def _missing_rates(df: pl.DataFrame, tariffs: Tariffs, label: str) -> InputError | None:
    """The error for lines that need a coverage rate the tariff folder lacks; None if none do."""
    gaps = df.filter(pl.col("coverage_missing"))
    if not gaps.height:
        return None
    summary = (gaps.group_by("_coverage_ogd", "_coverage_care_type")
               .agg(pl.col("service_date").min().alias("first"), pl.col("service_date").max().alias("last"),
                    pl.col("row_id").min().alias("row")).sort("_coverage_ogd", "_coverage_care_type"))
    problems = [Problem(str(tariffs.coverage_file),
                        f"aucun taux de prise en charge pour {r['_coverage_ogd']} × {r['_coverage_care_type']} "
                        f"entre le {r['first']:%d/%m/%Y} et le {r['last']:%d/%m/%Y} "
                        f"(première ligne concernée : {r['row']} de {label})", column="rate_percent",
                        code="coverage_rate_missing")
                for r in summary.iter_rows(named=True)]
    return InputError(f"Taux de prise en charge manquant dans le dossier des tarifs : ajoutez les taux "
                      f"manquants à {tariffs.coverage_file.name} puis relancez. Rien n'a été écrit.", problems)


def _decided_chunk(stage: Path, flags: pl.DataFrame, ctx: RuleContext, offset: int, length: int
                   ) -> tuple[pl.DataFrame, pl.DataFrame]:
    """One chunk's result, checked (invariants.check_lines), and its lines lacking a coverage rate
    (the run then stops on them, with the error that names the rates to add: not checked)."""
    df = decision_plan(pl.scan_parquet(stage, glob=False), flags, ctx).collect()
    gaps = df.filter(pl.col("coverage_missing")).select("row_id", "service_date", *COVERAGE_CHECK)
    df = df.drop(COVERAGE_CHECK)
    if gaps.is_empty():
        check_lines(df, offset, length)
    return df, gaps


def liquidate(invoices: TableScan, registry: Registry, tariffs: Tariffs,
              ledger: pl.LazyFrame | None, liquidation_date: date,
              authorizations: pl.DataFrame | None = None, *, work: Path) -> LiquidationResult:
    """Decide every line, a chunk of rows at a time (io.parts), into parts in `work`.

    1. the rows are counted (Parquet: from its footer; CSV: a scan of the lines);
    2. the whole-batch part of R09/R13/R14 reads only their key columns (duplicate_marks);
       each line's row in the registry of beneficiaries is found (one join for the batch);
    3. per chunk (read from the input: Parquet and CSV scans skip to the chunk's rows):
       flags, lookups and ordinary codes; the lines R18/R16 read are kept aside;
    4. R18/R16/A03 over those lines of the whole batch and the ledger (cross-line flags);
    5. per chunk: amounts, status and reasons, checked, written as a part.
    A missing coverage rate for a line that needs one stops the run, after step 5.

    `authorizations`: the usable rows of the batch's authorizations file
    (liquidation.authorizations.load_authorizations), None without the file."""
    typed = invoices.typed()
    input_rows = typed.select(pl.len()).collect().item()
    marks = duplicate_marks(typed, ledger)
    ben_rows = beneficiary_rows(typed, registry)
    ctx = RuleContext(tariffs.policy, liquidation_date)
    acts = interval_acts(tariffs)
    plan = chunks(input_rows)
    stages, eligible = [], []
    for k, (offset, length) in enumerate(plan):
        # Collected: the lookups read the chunk twice (join keys, then the lines beside them).
        flagged = with_duplicate_flags(typed.slice(offset, length), marks).collect()
        flagged = with_beneficiary(flagged, registry, ben_rows.slice(offset, length))
        lines = ordinary_codes(flagged.lazy(), registry, tariffs, ctx, authorizations).collect()
        eligible.append(cross_line_inputs(lines.lazy(), acts).collect())
        stages.append(write_part(lines.select(DECISION_INPUTS), work / f"stage-{k}.parquet"))
        del flagged, lines
    flags = frequency_flags(pl.concat(eligible).lazy(), ledger, acts)
    del eligible
    parts, gaps = [], []
    for k, (stage, (offset, length)) in enumerate(zip(stages, plan, strict=True)):
        df, missing = _decided_chunk(stage, flags, ctx, offset, length)
        gaps.append(missing)
        parts.append(write_part(df, work / f"decided-{k}.parquet"))
        stage.unlink()
    error = _missing_rates(pl.concat(gaps), tariffs, invoices.label)
    if error is not None:
        raise error
    return LiquidationResult(parts=parts, input_rows=input_rows)
