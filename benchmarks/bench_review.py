"""Benchmark `ramu review draw` (and extrapolate) on a 2,000,000-line liquidation run.

Not a test: run by hand on the target machine, e.g.

    .venv/bin/python benchmarks/bench_review.py --invoices 2000000

Writes (once, cached under --work) the synthetic month of bench_liquidate.py and
its liquidation run, then times the installed `ramu review draw` (5 %, at least
10 lines, certainty from 100 000 FCFA), a filled sheet from `ramu samples
--review-results` and `ramu review extrapolate` on it, each in a subprocess:
wall and CPU seconds and the child's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_liquidate import RAMU, ensure_batch


def measure(cmd: list[str]) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds (user + system) and peak RSS (MiB) of one child process.

    CPU seconds say more than wall seconds on a shared machine: they do not grow
    while the process waits for a core.
    """
    start = time.perf_counter()
    probe = (
        "import resource, subprocess, sys\n"
        f"rc = subprocess.run({cmd!r}, stdout=subprocess.DEVNULL).returncode\n"
        "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(u.ru_utime + u.ru_stime, u.ru_maxrss, rc)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    seconds = time.perf_counter() - start
    cpu, rss_kib, rc = out.split()
    if rc != "0":
        raise SystemExit(f"{cmd} exited {rc}")
    return seconds, float(cpu), int(rss_kib) / 1024


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
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'step':<26} {'wall s':>7} {'CPU s':>7} {'peak RSS MiB':>13}")
    for name, cmd in steps:
        seconds, cpu, rss = measure(cmd)
        print(f"{name:<26} {seconds:>7.1f} {cpu:>7.1f} {rss:>13.0f}", flush=True)
    totals = json.loads((base / "draw" / "manifest.json").read_text(encoding="utf-8"))["totals"]
    print(f"run: {totals['universe_lines']:,} paid or reduced lines, {totals['providers']:,} providers, "
          f"{totals['lines_drawn']:,} lines drawn")


if __name__ == "__main__":
    main()
