"""Benchmark `ramu liquidate` on a synthetic month made by `ramu samples`.

Not a test: run by hand on the target machine (2 cores, 24 GiB), e.g.

    .venv/bin/python benchmarks/bench_liquidate.py --invoices 2000000 10000000

For each size it writes a batch once (cached under --work), then times the
installed `ramu liquidate` in a subprocess and prints rows, wall seconds,
rows/s and the child's peak RSS. 2,000,000 lines come with 1,000,000
registered beneficiaries and 2,000 providers, as the issue's target states.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

RAMU = str(Path(sys.executable).with_name("ramu"))


def peak_rss_of(cmd: list[str]) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process, measured by the kernel."""
    start = time.perf_counter()
    # A fresh Python process per measurement so RUSAGE_CHILDREN holds only this child.
    probe = (
        "import resource, subprocess, sys\n"
        f"rc = subprocess.run({cmd!r}, stdout=subprocess.DEVNULL).returncode\n"
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, rc)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    seconds = time.perf_counter() - start
    rss_kib, rc = out.split()
    if rc != "0":
        raise SystemExit(f"{cmd} exited {rc}")
    return seconds, int(rss_kib) / 1024


def ensure_batch(work: Path, invoices: int) -> Path:
    batch = work / f"{invoices}" / "2026-10"
    if not (batch / "invoices.parquet").exists():
        shutil.rmtree(batch, ignore_errors=True)
        beneficiaries = max(1000, invoices // 2)
        providers = 2000 if invoices >= 100_000 else 200
        subprocess.run([RAMU, "samples", str(batch), "--month", "2026-10", "--invoices", str(invoices),
                        "--beneficiaries", str(beneficiaries), "--providers", str(providers),
                        "--seed", "7"], check=True)
    return batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, nargs="+", default=[2_000_000])
    parser.add_argument("--work", type=Path, default=Path("bench-data"))
    args = parser.parse_args()
    print(f"{'rows':>12} {'seconds':>9} {'rows/s':>12} {'peak RSS MiB':>13}")
    for n in args.invoices:
        batch = ensure_batch(args.work, n)
        out = args.work / f"{n}" / "out"
        seconds, rss = peak_rss_of([RAMU, "liquidate", str(batch), "--out", str(out), "--json"])
        print(f"{n:>12} {seconds:>9.2f} {n / seconds:>12,.0f} {rss:>13,.0f}")


if __name__ == "__main__":
    main()
