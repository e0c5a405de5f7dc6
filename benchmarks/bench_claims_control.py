"""Cost of the claims-control rules (R15, R17, R18, R16/A03) on their own, at national scale.

Not a test: run by hand, e.g.

    .venv/bin/python benchmarks/bench_claims_control.py --lines 2000000 --ledger-months 3

Builds, in memory, the frame the pipeline hands the rules: N eligible lines of
1,000,000 beneficiaries over 260 acts (a third of the lines consultations with
a 7-day interval, 1 % obstetric ultrasounds capped at 3 a year), service dates
over the last 92 days, 2 % emergencies, 1 % matching authorizations; and a
ledger of earlier months written to Parquet (N lines a month). Then times
R15 + R17 as expressions, and `frequency_flags` (R18 walk included) against
the ledger scan, and prints how many rows the R18 walk visited.
Until the rules are wired into `ramu liquidate`, this is the figure to set
against the run's wall time (benchmarks/README.md).
"""

from __future__ import annotations

import argparse
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import polars as pl

from ramu_cli.rules import frequency
from ramu_cli.rules.authorization import Z_MATCH, r17_prior_authorization
from ramu_cli.rules.waiting import r15_waiting_period

ACTS = 260
CONSULTATIONS = 26          # act codes 0..25: the 7-day interval
ECHO = 100                  # the capped act


def lines(n: int, seed: int, end: date, beneficiaries: int = 1_000_000) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    consult = rng.random(n) < 1 / 3
    act = np.where(consult, rng.integers(0, CONSULTATIONS, n), rng.integers(CONSULTATIONS, ACTS, n))
    act = np.where(rng.random(n) < 0.01, ECHO, act)
    days = rng.integers(0, 92, n)
    return pl.DataFrame({
        "row_id": np.arange(1, n + 1),
        "beneficiary_id": pl.Series(rng.integers(0, beneficiaries, n)).cast(pl.String),
        "act_code": pl.Series(act).cast(pl.String),
        "service_date": pl.Series([end] * n, dtype=pl.Date) - pl.Series(days).cast(pl.Duration("ms")) * 86_400_000,
        "submission_date": pl.Series([end] * n, dtype=pl.Date),
        "provider_id": pl.Series(rng.integers(0, 2000, n)).cast(pl.String),
        "invoice_id": pl.Series(rng.integers(0, 10**7, n)).cast(pl.String),
        "line_no": rng.integers(1, 5, n),
        "quantity": rng.integers(1, 3, n),
        "a_max_qty": pl.Series([1] * n, dtype=pl.Int64),
        "a_max_per_year": pl.Series(np.where(act == ECHO, 3, -1)).replace(-1, None),
        "a_min_interval_days": pl.Series(np.where(act < CONSULTATIONS, 7, -1)).replace(-1, None),
        "emergency": rng.random(n) < 0.02,
        Z_MATCH: rng.random(n) < 0.01,
        # R15 / R17 inputs
        "a_waiting_days": pl.Series(np.where(act % 50 == 7, 90, -1)).replace(-1, None),
        "b_p_rights_start": pl.Series([end] * n, dtype=pl.Date)
        - pl.Series(rng.integers(0, 3 * 365, n)).cast(pl.Duration("ms")) * 86_400_000,
        "a_free_care": pl.Series([None] * n, dtype=pl.String),
        "a_prior_authorization": act % 40 == 3,
        "z_beneficiary_id": pl.Series([None] * n, dtype=pl.String),
        "z_act_code": pl.Series([None] * n, dtype=pl.String),
        "z_provider_id": pl.Series([None] * n, dtype=pl.String),
        "z_valid_from": pl.Series([None] * n, dtype=pl.Date),
        "z_valid_to": pl.Series([None] * n, dtype=pl.Date),
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=2_000_000)
    parser.add_argument("--ledger-months", type=int, default=3, help="0: no ledger")
    parser.add_argument("--work", type=Path, default=Path("bench-data") / "claims-control")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    end = date(2026, 10, 31)
    ledger_files = []
    for m in range(1, args.ledger_months + 1):
        path = args.work / f"ledger-{args.lines}-{m}.parquet"
        if not path.exists():
            prev = lines(args.lines, seed=100 + m, end=end - timedelta(days=30 * m))
            prev.select("beneficiary_id", "act_code", "service_date",
                        pl.col("quantity").alias("allowed_qty")).write_parquet(path)
        ledger_files.append(path)
    batch = lines(args.lines, seed=1, end=end)
    ledger = pl.concat([pl.scan_parquet(p) for p in ledger_files]) if ledger_files else None

    start, cpu = time.perf_counter(), time.process_time()
    flagged = batch.select("row_id", r15=r15_waiting_period(), r17=r17_prior_authorization())
    t_expr, c_expr = time.perf_counter() - start, time.process_time() - cpu

    visited = {}
    original = frequency._walk

    def counting_walk(walk: pl.DataFrame) -> list[int]:
        visited["rows"] = walk.height
        return original(walk)

    frequency._walk = counting_walk
    interval_acts = [str(a) for a in range(CONSULTATIONS)]   # what the tariff table says
    start, cpu = time.perf_counter(), time.process_time()
    out = frequency.frequency_flags(batch.lazy(), ledger, interval_acts)
    t_freq, c_freq = time.perf_counter() - start, time.process_time() - cpu
    print(f"lines {args.lines:,}, ledger {args.ledger_months} month(s) of {args.lines:,} lines")
    print(f"R15 + R17 expressions: {t_expr:.2f} s wall, {c_expr:.2f} s CPU "
          f"({int(flagged['r15'].sum()):,} R15, {int(flagged['r17'].sum()):,} R17)")
    print(f"frequency_flags: {t_freq:.2f} s wall, {c_freq:.2f} s CPU; {out.height:,} rows concerned, "
          f"{int(out['r18'].sum()):,} R18, {int(out['r16'].sum()):,} R16, {int(out['a03'].sum()):,} A03; "
          f"R18 walk visited {visited.get('rows', 0):,} rows")


if __name__ == "__main__":
    main()
