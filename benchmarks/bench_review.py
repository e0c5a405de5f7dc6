"""Benchmark `ramu review draw` (and extrapolate) on a 2,000,000-line liquidation run.

Not a test: run by hand on the target machine, e.g.

    .venv/bin/python benchmarks/bench_review.py --invoices 2000000

Writes (once, cached under --work) the synthetic month of bench_liquidate.py and
its liquidation run, then times the installed `ramu review draw` (5 %, at least
10 lines, certainty from 100 000 FCFA), a filled sheet from `ramu samples
--review-results` and `ramu review extrapolate` on it, each in a subprocess:
rows of the run, wall seconds and the child's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_liquidate import RAMU, ensure_batch, peak_rss_of  # noqa: E402


def ensure_run(work: Path, invoices: int) -> Path:
    """The liquidation run of the cached batch (liquidated once)."""
    run = work / f"{invoices}" / "liq"
    if not (run / "manifest.json").exists():
        batch = ensure_batch(work, invoices)
        subprocess.run([RAMU, "liquidate", str(batch), "--out", str(run)], check=True,
                       stdout=subprocess.DEVNULL)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=2_000_000)
    parser.add_argument("--work", type=Path, default=Path("bench-data"))
    args = parser.parse_args()
    run = ensure_run(args.work, args.invoices)
    base = args.work / f"{args.invoices}"
    steps = [
        ("review draw", [RAMU, "review", "draw", str(run), "--out", str(base / "draw"), "--seed", "1",
                         "--certainty-from", "100000"]),
        ("samples --review-results", [RAMU, "samples", str(base / "filled"), "--review-results",
                                      str(base / "draw"), "--overpayment-rate", "10"]),
        ("review extrapolate", [RAMU, "review", "extrapolate", str(run), "--results",
                                str(base / "filled" / "review.xlsx"), "--out", str(base / "result"),
                                "--date", "2026-11-30"]),
    ]
    print(f"{'step':<26} {'seconds':>9} {'peak RSS MiB':>13}")
    for name, cmd in steps:
        seconds, rss = peak_rss_of(cmd)
        print(f"{name:<26} {seconds:>9.1f} {rss:>13.0f}", flush=True)
    totals = json.loads((base / "draw" / "manifest.json").read_text(encoding="utf-8"))["totals"]
    print(f"run: {totals['universe_lines']:,} paid or reduced lines, {totals['providers']:,} providers, "
          f"{totals['lines_drawn']:,} lines drawn")


if __name__ == "__main__":
    main()
