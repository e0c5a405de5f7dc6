"""Benchmark the XLSX writer (`ramu_cli.io.xlsx.write_xlsx`) at the largest size it serves.

Not a test: the suite checks what the writer produces, never how fast (a
wall-clock limit fails at random on a shared machine). Run by hand:

    .venv/bin/python benchmarks/bench_xlsx.py                  # 200 000 rows × 20 columns
    .venv/bin/python benchmarks/bench_xlsx.py --rows 50000 --repeat 5

Prints rows, columns, the best and median wall seconds of --repeat runs, rows/s
and the file's size. The frame looks like a sheet of rejected lines (codes,
amounts, dates, reason lists, text that must be made inert, booleans with nulls).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import polars as pl

from ramu_cli.io.xlsx import write_xlsx


def rejection_like_frame(rows: int, columns: int) -> pl.DataFrame:
    """Built without Python loops over rows (the same shape as tests/test_xlsx.py's big frame)."""
    i = pl.int_range(rows, dtype=pl.Int64)
    kinds = [
        lambda: pl.format("PR-{}", (i * 7919 % 99_991).cast(pl.String).str.zfill(5)),
        lambda: i * 1_337 % 2_000_000 - 500_000,
        lambda: (pl.lit(date(2025, 1, 1)) + pl.duration(days=i % 365)),
        lambda: pl.concat_list(pl.format("R{}", (i % 13).cast(pl.String).str.zfill(2)), pl.lit("R07")),
        lambda: pl.when(i % 5 == 0).then(pl.lit("=1+1 & <Ségou>"))
        .otherwise(pl.lit("Centre de santé communautaire de Bamako")),
        lambda: pl.when(i % 11 == 0).then(None).otherwise(i % 3 == 0),
    ]
    return pl.select([kinds[j % len(kinds)]().alias(f"col{j}") for j in range(columns)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--columns", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    df = rejection_like_frame(args.rows, args.columns)
    seconds = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.xlsx"
        for _ in range(args.repeat):
            start = time.perf_counter()
            write_xlsx({"Rejets": (df, {})}, path, totals={"Rejets": ["col1", "col7"]})
            seconds.append(time.perf_counter() - start)
        size = path.stat().st_size / 2**20
    best, median = min(seconds), statistics.median(seconds)
    print(f"{'rows':>10} {'columns':>8} {'best s':>8} {'median s':>9} {'rows/s':>10} {'MiB':>6}")
    print(f"{args.rows:>10} {args.columns:>8} {best:>8.2f} {median:>9.2f} {args.rows / best:>10.0f} {size:>6.1f}")


if __name__ == "__main__":
    main()
