"""From the adviser's findings to a demand per provider (mean per unit, with a bound).

For each drawn line, overpayment y = payable − accepted_payable. Per provider:

- certainty stratum: every line was reviewed; its overpayment counts exactly;
- sampled stratum (N lines, n drawn, found F = Σy, mean ȳ = F / n,
  s² = Σ(y − ȳ)² / (n − 1)): point estimate N·ȳ, standard error
  SE = N·(s/√n)·√(1 − n/N) (finite population correction), lower bound of the
  two-sided `confidence` interval N·ȳ − t·SE with Student's t at n − 1 degrees
  of freedom (scipy's stdtrit, the function behind scipy.stats.t.ppf). The
  demand is the larger of that bound and F:
  never less than what the adviser actually found. With n < 2 there is no
  interval, and with n = N the estimate is exact (SE = 0): the demand is F.
  Nor is it ever more than could have been overpaid: F plus everything paid
  on the lines not reviewed (the rulebook is silent; a bound above that is
  possible when the sample drew the dearest lines).

Amounts are integer francs rounded half up (0.5 away from zero) once, at the
end. Estimate = N·F/n is rounded exactly in integers; SE is the square root of
its exact rational square, taken in decimal arithmetic at 50 significant
digits, and the bound N·F/n − t·SE is computed in the same arithmetic from the
exact decimal value of scipy's double-precision t. No float amount is rounded.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext

import polars as pl

from ramu_cli.review.draw import CERTAINTY, SAMPLE, STRATA

PRECISION = 50  # significant digits of the decimal arithmetic

EXTRAPOLATION_SCHEMA: dict[str, pl.DataType] = {
    "provider_id": pl.String(), "stratum": pl.String(), "universe_lines": pl.Int64(),
    "universe_payable": pl.Int64(), "sample_lines": pl.Int64(), "sample_payable": pl.Int64(),
    "lines_overpaid": pl.Int64(), "found": pl.Int64(), "estimate": pl.Int64(),
    "standard_error": pl.Int64(), "t_value": pl.Float64(), "lower_bound": pl.Int64(),
    "demand": pl.Int64(),
}


@dataclass(frozen=True)
class Figures:
    """One stratum of one provider, in integer francs (None: not defined for this stratum)."""

    universe_lines: int
    sample_lines: int
    lines_overpaid: int
    found: int
    estimate: int
    standard_error: int | None
    t_value: float | None
    lower_bound: int | None
    demand: int


def half_up(value: Decimal) -> int:
    """A decimal amount to integer francs, 0.5 away from zero."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def t_quantile(confidence_percent: Decimal, degrees: int) -> float:
    """Student's t quantile for a two-sided interval: t.ppf((1 + c) / 2, degrees).

    scipy.special.stdtrit is what scipy.stats.t.ppf computes with (same values);
    importing it costs a fraction of importing scipy.stats, and only here.
    """
    from scipy.special import stdtrit

    upper = (1 + confidence_percent / 100) / 2
    return float(stdtrit(degrees, float(upper)))


def certainty_figures(overpayments: list[int]) -> Figures:
    """Every line reviewed: the overpayment found is exact, and is the demand."""
    found, n = sum(overpayments), len(overpayments)
    return Figures(n, n, sum(1 for y in overpayments if y > 0), found, found, 0, None, found, found)


def sample_figures(universe: int, overpayments: list[int], confidence_percent: Decimal,
                   unreviewed_payable: int | None = None) -> Figures:
    """A simple random sample of n of the N lines: estimate, SE, lower bound, demand.

    `unreviewed_payable` (what was paid on the N − n lines not drawn) caps the demand.
    """
    n, big_n = len(overpayments), universe
    found = sum(overpayments)
    overpaid = sum(1 for y in overpayments if y > 0)
    if n == 0:
        raise ValueError("a sampled stratum always has at least one line drawn")
    estimate = (2 * big_n * found + n) // (2 * n)  # N·F/n rounded half up, in integers
    if n == big_n:   # the whole stratum reviewed: exact
        return Figures(big_n, n, overpaid, found, found, 0, None, found, found)
    if n < 2:        # one line: no variance, no interval
        return Figures(big_n, n, overpaid, found, estimate, None, None, None, found)
    sum_sq = sum(y * y for y in overpayments)
    # SE² = N² · s²/n · (1 − n/N) = N·(N − n)·(n·Σy² − F²) / (n²·(n − 1)), an exact rational.
    se_num = big_n * (big_n - n) * (n * sum_sq - found * found)
    se_den = n * n * (n - 1)
    t_value = t_quantile(confidence_percent, n - 1)
    with localcontext() as ctx:
        ctx.prec = PRECISION
        se = (Decimal(se_num) / Decimal(se_den)).sqrt()
        bound = Decimal(big_n * found) / Decimal(n) - Decimal(t_value) * se
        standard_error, lower = half_up(se), half_up(bound)
    demand = max(lower, found)
    if unreviewed_payable is not None:
        demand = min(demand, found + unreviewed_payable)
    return Figures(big_n, n, overpaid, found, estimate, standard_error, t_value, lower, demand)


def extrapolate(reviewed: pl.DataFrame, sizes: pl.DataFrame, confidence_percent: Decimal) -> pl.DataFrame:
    """Per provider and stratum (EXTRAPOLATION_SCHEMA): the figures and the demand.

    `reviewed`: every drawn line with provider_id, stratum, overpayment;
    `sizes`: per provider and stratum, universe_lines, universe_payable, sample_payable.
    """
    found = {(r["provider_id"], r["stratum"]): r["overpayment"]
             for r in reviewed.group_by("provider_id", "stratum").agg(pl.col("overpayment"))
             .iter_rows(named=True)}
    rows = []
    for r in sizes.iter_rows(named=True):
        ys = [int(y) for y in found.get((r["provider_id"], r["stratum"]), [])]
        if r["stratum"] == CERTAINTY:
            figures = certainty_figures(ys)
        else:
            figures = sample_figures(r["universe_lines"], ys, confidence_percent,
                                     r["universe_payable"] - r["sample_payable"])
        rows.append({"provider_id": r["provider_id"], "stratum": r["stratum"],
                     "universe_payable": r["universe_payable"], "sample_payable": r["sample_payable"],
                     **asdict(figures)})
    order = pl.col("stratum").replace_strict(STRATA, [0, 1], return_dtype=pl.Int8)
    return (pl.DataFrame(rows, schema=EXTRAPOLATION_SCHEMA).sort("provider_id", order)
            .select(list(EXTRAPOLATION_SCHEMA)))


def provider_demands(figures: pl.DataFrame) -> pl.DataFrame:
    """Per provider: what each stratum found and demands, and the total demand."""
    def pick(stratum: str, column: str) -> pl.Expr:
        return pl.col(column).filter(pl.col("stratum") == stratum).sum()
    return (figures.group_by("provider_id", maintain_order=True)
            .agg(universe_lines=pl.col("universe_lines").sum(),
                 universe_payable=pl.col("universe_payable").sum(),
                 sample_lines=pl.col("sample_lines").sum(),
                 sample_payable=pl.col("sample_payable").sum(),
                 lines_overpaid=pl.col("lines_overpaid").sum(),
                 found=pl.col("found").sum(),
                 certainty_demand=pick(CERTAINTY, "demand"),
                 sample_demand=pick(SAMPLE, "demand"),
                 demand=pl.col("demand").sum()))
