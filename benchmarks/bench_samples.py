"""Benchmark `ramu samples`: run the installed command in a subprocess and measure it.

    python benchmarks/bench_samples.py                      # 10 000 000 lines, Parquet
    python benchmarks/bench_samples.py --invoices 1000000 --format csv

Prints the invoice lines written, wall-clock seconds, lines per second, the
child's peak resident memory (getrusage RUSAGE_CHILDREN: the largest child of
this process, i.e. the `ramu` run) and the size of each file written.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def ramu_executable() -> str:
    beside = Path(sys.executable).with_name("ramu")
    found = str(beside) if beside.exists() else shutil.which("ramu")
    if not found:
        sys.exit("commande « ramu » introuvable : installez le paquet (pip install -e .)")
    return found


def count_lines(path: Path) -> int:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq
        return pq.ParquetFile(path).metadata.num_rows
    if path.suffix == ".csv":
        with path.open("rb") as fh:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 24), b"")) - 1
    import polars as pl
    return pl.read_excel(path).height


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=10_000_000)
    parser.add_argument("--format", default="parquet", choices=("parquet", "csv", "xlsx"))
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--keep", type=Path, help="write the batch here and keep it (default: a temp folder)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ramu-bench-"))
    out = args.keep or work / args.month
    cmd = [ramu_executable(), "samples", str(out), "--month", args.month, "--invoices",
           str(args.invoices), "--seed", str(args.seed), "--format", args.format]
    try:
        started = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if proc.returncode != 0:
            print(proc.stderr, file=sys.stderr)
            return proc.returncode
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
        rows = count_lines(out / f"invoices.{args.format}")
        print(f"command      {' '.join(cmd)}")
        print(f"rows         {rows:,}")
        print(f"seconds      {seconds:.1f}")
        print(f"rows/s       {rows / seconds:,.0f}")
        print(f"peak RSS     {peak_mb:,.0f} MiB")
        for path in sorted(out.iterdir()):
            print(f"  {path.name:<24} {path.stat().st_size / 1e6:10.1f} MB")
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
