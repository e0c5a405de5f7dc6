"""Benchmark of `ramu remittances` at national scale.

Generates (numpy, seeded) a year of contributions — 3 OGDs × 12 periods ×
N contributors (default 100 000, i.e. 3.6 million rows) — and the OGDs'
transfers to CANAM, as Parquet in a temporary folder, then runs the installed
`ramu remittances` in a subprocess and prints rows, seconds, rows/s and the
subprocess's peak RSS.

    .venv/bin/python benchmarks/bench_remittances.py [--contributors 100000] [--keep DIR]

What the data looks like (per contributor and month):
- amount_due: lognormal around 60 000 FCFA (employers and administrations);
- 70 % pay in full during the period, 8 % in full one or two months late,
  10 % pay part of it, 12 % pay nothing;
- each OGD remits each period in 1 to 4 transfers; ~60 % of periods are fully
  remitted on time, others late, short by up to 15 %, or over by up to 2 %.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl

OGDS = ("CMSS", "INPS", "UTM")
YEAR = 2026
AS_OF = "2027-03-31"


def _month_end(year: int, month: int) -> np.datetime64:
    return (np.datetime64(f"{year:04d}-{month:02d}", "M") + 1).astype("datetime64[D]") - 1


def contributions(n: int, rng: np.random.Generator) -> pl.DataFrame:
    per_period = len(OGDS) * n
    frames = []
    ids = np.char.add("EMP", np.char.zfill(np.arange(n).astype(str), 7))
    for month in range(1, 13):
        start = np.datetime64(f"{YEAR}-{month:02d}-01")
        due = np.round(rng.lognormal(mean=11.0, sigma=0.8, size=per_period), -2).astype(np.int64)
        kind = rng.choice(4, size=per_period, p=[0.70, 0.08, 0.10, 0.12])
        collected = np.where(kind <= 1, due, 0)
        partial = kind == 2
        collected[partial] = (due[partial] * rng.uniform(0.2, 0.9, partial.sum())).astype(np.int64)
        # Collection day: during the period, or one or two months late for kind 1.
        offset = rng.integers(0, 28, size=per_period)
        offset = offset + np.where(kind == 1, rng.integers(1, 3, size=per_period) * 30, 0)
        cdate = (start + offset.astype("timedelta64[D]"))
        frames.append(pl.DataFrame({
            "ogd": np.repeat(np.array(OGDS), n),
            "period": np.full(per_period, f"{YEAR}-{month:02d}"),
            "contributor_id": np.tile(ids, len(OGDS)),
            "amount_due": due,
            "amount_collected": collected,
            "collection_date": cdate,
        }).with_columns(pl.when(pl.col("amount_collected") > 0).then(pl.col("collection_date"))
                        .cast(pl.Date).alias("collection_date")))
    return pl.concat(frames)


def remittances(contrib: pl.DataFrame, rng: np.random.Generator) -> pl.DataFrame:
    sums = (contrib.group_by("ogd", "period").agg(pl.col("amount_collected").sum())
            .sort("ogd", "period"))
    rows = []
    for ogd, period, collected in sums.iter_rows():
        year, month = map(int, period.split("-"))
        deadline = _month_end(year, month) + np.timedelta64(15, "D")
        profile = rng.choice(4, p=[0.6, 0.2, 0.15, 0.05])   # on time, late, short, over
        factor = {0: 1.0, 1: 1.0, 2: rng.uniform(0.85, 0.99), 3: rng.uniform(1.0, 1.02)}[profile]
        total = int(collected * factor)
        parts = rng.integers(1, 5)
        weights = rng.dirichlet(np.ones(parts))
        amounts = np.floor(weights * total).astype(np.int64)
        amounts[-1] += total - amounts.sum()
        for k, amount in enumerate(amounts):
            delay = int(rng.integers(-14, 1)) if profile != 1 else int(rng.integers(1, 90))
            value = deadline + np.timedelta64(delay + 10 * k, "D")
            rows.append((f"{ogd}-{period}-{k + 1:02d}", ogd, period, int(amount),
                         value.astype(date)))
    return pl.DataFrame(rows, schema={"transfer_id": pl.String, "ogd": pl.String,
                                      "period": pl.String, "amount": pl.Int64,
                                      "value_date": pl.Date}, orient="row")


def ramu_executable() -> str:
    here = Path(sys.executable).parent / "ramu"
    return str(here) if here.exists() else (shutil.which("ramu") or "ramu")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contributors", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--keep", type=Path, help="keep the batch and the output here")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ramu-bench-rem-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    batch, out = work / "lot", work / "sortie"
    batch.mkdir(exist_ok=True)
    try:
        t0 = time.perf_counter()
        rng = np.random.default_rng(args.seed)
        contrib = contributions(args.contributors, rng)
        transfers = remittances(contrib, rng)
        contrib.write_parquet(batch / "contributions.parquet")
        transfers.write_parquet(batch / "remittances.parquet")
        rows = contrib.height + transfers.height
        print(f"generated {contrib.height:,} contributions + {transfers.height:,} transfers "
              f"in {time.perf_counter() - t0:.1f} s "
              f"({(batch / 'contributions.parquet').stat().st_size / 1e6:.0f} MB parquet)")
        del contrib, transfers

        cmd = [ramu_executable(), "remittances", str(batch), "--out", str(out),
               "--as-of", AS_OF, "--json"]
        t1 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True,
                              env={**os.environ, "POLARS_VERBOSE": "0"})
        seconds = time.perf_counter() - t1
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss   # KiB on Linux
        if proc.returncode != 0:
            print(proc.stdout, proc.stderr, sep="\n", file=sys.stderr)
            print(f"ramu remittances failed with exit code {proc.returncode}", file=sys.stderr)
            return proc.returncode
        print(f"ramu remittances: exit 0, {proc.stdout.strip()[:300]}…")
        print(f"rows      {rows:,}")
        print(f"seconds   {seconds:.2f}")
        print(f"rows/s    {rows / seconds:,.0f}")
        print(f"peak RSS  {peak_kb / 1024:.0f} MiB")
        return 0
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
