"""Benchmark the signals against the liquidation they follow (issue 12: at most 5 % more).

Not a test: run by hand on the target machine, on a batch made by `ramu samples`
(e.g. the 2,000,000-line one of bench_liquidate.py):

    .venv/bin/python benchmarks/bench_signals.py bench-data/2000000/2026-10 --out bench-data/2000000/out

It times the installed `ramu liquidate` once (subprocess, wall seconds), then
builds in memory what the pipeline hands to the signals (liquidation.parquet,
the invoices' emergency flag joined by row_id, the providers' level) and times
`compute_signals` alone (max_qty already carried, as the pipeline will),
`with_max_qty` (needed only when reading a liquidation.parquet back), then
signals.csv and the report section: best wall and best CPU seconds of
--repeat runs each. On a shared machine compare CPU seconds: wall time
follows the load.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

from ramu_cli.contract import INVOICES
from ramu_cli.io.readers import scan_table
from ramu_cli.signals import compute_signals, with_max_qty
from ramu_cli.signals.output import write_signals_csv
from ramu_cli.signals.report import render_signals_section
from ramu_cli.tariffs import default_tariff_folder, load_tariffs

RAMU = str(Path(sys.executable).with_name("ramu"))


def timed(fn, repeat: int) -> tuple[float, float, object]:
    """Best wall seconds and best CPU seconds (every thread of this process) over `repeat` runs."""
    walls, cpus, result = [], [], None
    for _ in range(repeat):
        start, cpu = time.perf_counter(), time.process_time()
        result = fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return min(walls), min(cpus), result


def liquidate(batch: Path, out: Path) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one `ramu liquidate`, measured by the kernel."""
    probe = ("import resource, subprocess, sys\n"
             f"rc = subprocess.run({[RAMU, 'liquidate', str(batch), '--out', str(out), '--json']!r}, "
             "stdout=subprocess.DEVNULL).returncode\n"
             "u = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
             "print(u.ru_utime + u.ru_stime, rc)\n")
    start = time.perf_counter()
    cpu, rc = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True,
                             text=True).stdout.split()
    if rc != "0":
        raise SystemExit(f"ramu liquidate exited {rc}")
    return time.perf_counter() - start, float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("batch", type=Path)
    parser.add_argument("--out", type=Path, required=True, help="liquidation output folder")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-liquidate", action="store_true", help="reuse --out as it is")
    args = parser.parse_args()

    if not args.skip_liquidate:
        wall, cpu = liquidate(args.batch, args.out)
        print(f"ramu liquidate: wall {wall:.2f} s, CPU {cpu:.2f} s")

    acts = load_tariffs(default_tariff_folder()).acts
    invoices = next(args.batch.glob("invoices.*"))
    flags = scan_table(invoices, INVOICES).typed().select("row_id", "emergency")
    providers = pl.read_parquet(next(args.batch.glob("providers.*")))
    lines = (pl.scan_parquet(args.out / "liquidation.parquet")
             .join(flags, on="row_id", how="left", maintain_order="left")
             .join(providers.lazy().select("provider_id", "level"), on="provider_id", how="left",
                   maintain_order="left")).collect()
    print(f"lines in memory: {lines.height:,} rows")

    wall, cpu, _ = timed(lambda: with_max_qty(lines.lazy(), acts).collect(), args.repeat)
    print(f"with_max_qty (only for a liquidation.parquet read back): wall {wall:.3f} s, CPU {cpu:.3f} s")
    lines = with_max_qty(lines.lazy(), acts).collect()    # as the pipeline will carry it
    wall, cpu, signals = timed(lambda: compute_signals(lines.lazy()).collect(), args.repeat)
    assert isinstance(signals, pl.DataFrame)
    print(f"compute_signals: wall {wall:.3f} s, CPU {cpu:.3f} s -> {signals.height} signals")
    with tempfile.TemporaryDirectory() as tmp:
        wall, cpu, _ = timed(lambda: write_signals_csv(signals, Path(tmp) / "signals.csv", providers), args.repeat)
    print(f"signals.csv: wall {wall:.3f} s, CPU {cpu:.3f} s")
    wall, cpu, _ = timed(lambda: render_signals_section(signals, providers=providers), args.repeat)
    print(f"report section: wall {wall:.3f} s, CPU {cpu:.3f} s")

if __name__ == "__main__":
    main()
