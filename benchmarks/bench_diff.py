"""Benchmark `ramu diff` on two liquidations of a synthetic month made by `ramu samples`.

Not a test: run by hand on the target machine (2 cores), e.g.

    .venv/bin/python benchmarks/bench_diff.py --invoices 2000000

It writes a batch once (cached under --work, the same layout as
bench_liquidate.py), liquidates it once (side A), then writes side B: a copy
of A's liquidation.parquet perturbed the way an OGD's declaration may differ
(statuses, amounts, deleted and added lines, broken keys; see `perturb`).
Then it times the installed `ramu diff A B --out …` in a subprocess and prints
rows, wall seconds, rows/s (lines of A + B per second) and the child's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_liquidate import RAMU, ensure_batch, peak_rss_of


def perturb(a: Path, b: Path) -> dict[str, int]:
    """Side B: A with every 1000th line, when PAID, rejected (R04), every 997th paid 500 FCFA more,
    every 2003rd deleted, every 5003rd key broken (no invoice_id), 1000 lines added."""
    lines = pl.read_parquet(a)
    i = pl.int_range(pl.len())
    rejected = (i % 1000 == 1) & (pl.col("status") == "PAID")
    more, deleted, broken = i % 997 == 2, i % 2003 == 3, i % 5003 == 4
    changed = lines.with_columns(
        status=pl.when(rejected).then(pl.lit("REJECTED")).otherwise("status"),
        reasons=pl.when(rejected).then(pl.lit(["R04"])).otherwise("reasons"),
        reason=pl.when(rejected).then(pl.lit("R04")).otherwise("reason"),
        payable=pl.when(rejected).then(0).when(more).then(pl.col("payable") + 500).otherwise("payable"),
        invoice_id=pl.when(broken).then(None).otherwise("invoice_id"),
    ).filter(~deleted)
    added = lines.head(1000).with_columns(invoice_id=pl.lit("AJOUT-") + pl.col("invoice_id"),
                                          row_id=pl.col("row_id") + lines.height)
    pl.concat([changed, added]).write_parquet(b, compression="zstd")
    return {"rows_a": lines.height, "rows_b": changed.height + added.height}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=2_000_000)
    parser.add_argument("--work", type=Path, default=Path("bench-data"))
    args = parser.parse_args()
    batch = ensure_batch(args.work, args.invoices)
    side_a = args.work / f"{args.invoices}" / "diff-a"
    if not (side_a / "liquidation.parquet").exists():
        subprocess.run([RAMU, "liquidate", str(batch), "--out", str(side_a), "--json"], check=True,
                       stdout=subprocess.DEVNULL)
    side_b = args.work / f"{args.invoices}" / "diff-b.parquet"
    sizes = perturb(side_a / "liquidation.parquet", side_b)
    out = args.work / f"{args.invoices}" / "diff-out"
    seconds, rss = peak_rss_of([RAMU, "diff", str(side_a), str(side_b), "--out", str(out), "--json"])
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    rows = sizes["rows_a"] + sizes["rows_b"]
    print(f"{'rows A + B':>12} {'seconds':>9} {'rows/s':>12} {'peak RSS MiB':>13} {'diff rows':>10}")
    print(f"{rows:>12} {seconds:>9.2f} {rows / seconds:>12,.0f} {rss:>13,.0f} "
          f"{manifest['outputs']['diff.parquet']['rows']:>10}")
    print(json.dumps(manifest["totals"], sort_keys=True))


if __name__ == "__main__":
    main()
