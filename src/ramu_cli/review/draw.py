"""The draw: which paid lines the médecin-conseil re-examines.

Each provider is its own universe (its PAID and REDUCED lines). A line whose
payable reaches the certainty threshold is always reviewed (certainty
stratum); from the others a simple random sample without replacement of
n = max(min_lines, ⌈rate × N⌉) lines is drawn, all N when there are fewer.

The sample depends only on the seed and the line keys, never on row order,
threads or machine: each line gets a random key, the first 8 bytes (read as an
unsigned big-endian integer) of SHA-256 over the UTF-8 text
"<seed>|<provider_id>|<invoice_id>|<line_no>"; a provider's lines are sorted
by that key (ties, which practically never happen, by invoice_id then
line_no) and the first n are taken. Sorting by a hash of the seed and the key
puts the lines in a uniformly random order, so its first n lines are a simple
random sample, and any auditor can recompute a line's key with `sha256sum`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import polars as pl

CERTAINTY = "certainty"
SAMPLE = "sample"
STRATA = (CERTAINTY, SAMPLE)
SEED_MAX = 999_999_999  # nine digits: a spreadsheet keeps them exactly, even in a CSV
BP_PER_UNIT = 10_000    # basis points in 100 %
KEY = ("provider_id", "invoice_id", "line_no")


@dataclass(frozen=True)
class DrawParams:
    """What fixes a draw, with the line keys: the seed, the rate, the floor, the threshold."""

    seed: int
    rate_bp: int                  # 500 = 5 %
    min_lines: int
    certainty_from: int | None    # FCFA; None: no certainty stratum

    def sample_size(self, universe: int) -> int:
        """n = max(min_lines, ⌈rate × N⌉), at most N (integer arithmetic: no float)."""
        by_rate = -(-self.rate_bp * universe // BP_PER_UNIT)
        return min(universe, max(self.min_lines, by_rate))

    @property
    def rate_text(self) -> str:
        """The rate as written by people, without trailing zeros: "5", "2.5"."""
        return format((Decimal(self.rate_bp) / 100).normalize(), "f")


def default_seed(liquidation_sha256: str) -> int:
    """The seed used when none is given: derived from the run's own table.

    The same run always gets the same draw, and no provider can compute it
    before the month's liquidation exists (it depends on every line of every
    provider). For a seed nobody could foresee, pass --seed drawn at the time.
    """
    digest = hashlib.sha256(f"ramu-review-seed|{liquidation_sha256}".encode()).hexdigest()
    return int(digest[:15], 16) % (SEED_MAX + 1)


def key_message(seed: int) -> pl.Expr:
    """The text hashed for each line: "<seed>|<provider_id>|<invoice_id>|<line_no>"."""
    return pl.concat_str([pl.lit(str(seed)), pl.col("provider_id"), pl.col("invoice_id"),
                          pl.col("line_no").cast(pl.String)], separator="|")


def random_keys(lines: pl.DataFrame, seed: int) -> pl.Series:
    """Each line's random key (UInt64): the first 8 bytes of SHA-256 of its key message."""
    messages = lines.select(key_message(seed).cast(pl.Binary)).to_series().to_list()
    sha256 = hashlib.sha256
    head = b"".join([sha256(m).digest()[:8] for m in messages])
    return pl.Series("draw_key", np.frombuffer(head, dtype=">u8").astype(np.uint64), dtype=pl.UInt64)


def strata_of(lines: pl.DataFrame, params: DrawParams) -> pl.DataFrame:
    """The lines with their stratum: certainty when payable ≥ the threshold."""
    if params.certainty_from is None:
        stratum = pl.lit(SAMPLE)
    else:
        stratum = pl.when(pl.col("payable") >= params.certainty_from).then(pl.lit(CERTAINTY)) \
            .otherwise(pl.lit(SAMPLE))
    return lines.with_columns(stratum=stratum)


def draw(lines: pl.DataFrame, params: DrawParams) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(drawn lines with their stratum, sizes per provider and stratum).

    `lines` are a run's PAID and REDUCED lines (key, payable, anything else kept).
    Sizes: provider_id, stratum, universe_lines (N), universe_payable,
    sample_lines (n), sample_payable.
    """
    lines = strata_of(lines, params)
    certain = lines.filter(pl.col("stratum") == CERTAINTY)
    others = lines.filter(pl.col("stratum") == SAMPLE)
    if certain.height and (certain.select(pl.struct(KEY).is_duplicated().any()).item()
                           or certain.join(others, on=list(KEY), how="semi").height):
        _refuse_duplicate_keys(lines)
    sampled = others[_sample_rows(others, params)]
    order = pl.col("stratum").replace_strict(STRATA, [0, 1], return_dtype=pl.Int8)
    drawn = pl.concat([certain, sampled]).sort("provider_id", order, "invoice_id", "line_no")
    return drawn, sizes(lines, drawn)


def _sample_rows(others: pl.DataFrame, params: DrawParams) -> pl.Series:
    """Row numbers of the first n lines of each provider in random-key order.

    Only a narrow frame is sorted: the provider as a number (any numbering: only
    the grouping matters), the random key and the row number. Two lines of one
    provider with the same 64-bit key practically never happen; if they do, the
    order falls back to the full tie-break (invoice_id, line_no).
    """
    keyed = others.select(provider=pl.col("provider_id").cast(pl.Categorical).to_physical(),
                          draw_key=random_keys(others, params.seed),
                          row=pl.int_range(pl.len(), dtype=pl.UInt32))
    ordered = keyed.sort("provider", "draw_key")
    tie = (pl.col("draw_key") == pl.col("draw_key").shift(1)) & (pl.col("provider") == pl.col("provider").shift(1))
    if ordered.select(tie.any()).item():
        _refuse_duplicate_keys(others)
        ordered = (keyed.with_columns(others.select("provider_id", "invoice_id", "line_no"))
                   .sort("provider_id", "draw_key", "invoice_id", "line_no"))  # keeps `row`
    universe = pl.len().over("provider")
    by_rate = (universe * params.rate_bp + (BP_PER_UNIT - 1)) // BP_PER_UNIT
    size = pl.min_horizontal(universe, pl.max_horizontal(pl.lit(params.min_lines), by_rate))
    rank = pl.int_range(1, pl.len() + 1).over("provider")
    return ordered.filter(rank <= size).get_column("row")


def _refuse_duplicate_keys(lines: pl.DataFrame) -> None:
    """Two paid lines with one key cannot be told apart by a review: exit 3."""
    from ramu_cli.errors import InputError, Problem

    clash = lines.filter(pl.struct(KEY).is_duplicated())
    if clash.height:
        raise InputError(f"liquidation.parquet : {clash.height} lignes payées partagent une même clé "
                         "(prestataire, facture, ligne) : le contrôle ne peut pas les distinguer. "
                         "Vérifiez la liquidation.",
                         [Problem("liquidation.parquet", "clé de ligne en double",
                                  value=f"{r['provider_id']} / {r['invoice_id']} / {r['line_no']}",
                                  code="duplicate_line_key") for r in clash.head(50).iter_rows(named=True)])


def sizes(lines: pl.DataFrame, drawn: pl.DataFrame) -> pl.DataFrame:
    """Per provider and stratum: N and the payable of the universe, n and the payable drawn."""
    group = ["provider_id", "stratum"]
    universe = lines.group_by(group).agg(universe_lines=pl.len(),
                                         universe_payable=pl.col("payable").sum())
    sample = drawn.group_by(group).agg(sample_lines=pl.len(), sample_payable=pl.col("payable").sum())
    order = pl.col("stratum").replace_strict(STRATA, [0, 1], return_dtype=pl.Int8)
    return (universe.join(sample, on=group, how="left")
            .with_columns(pl.col("sample_lines", "sample_payable").fill_null(0).cast(pl.Int64),
                          pl.col("universe_lines").cast(pl.Int64))
            .sort("provider_id", order)
            .select(*group, "universe_lines", "universe_payable", "sample_lines", "sample_payable"))
