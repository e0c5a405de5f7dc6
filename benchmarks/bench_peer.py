"""Benchmark `ramu liquidate` against the DuckDB peer, both run in turn on the same batch.

Not a test: run by hand on the target machine. Machines differ, so speed is
stated as a ratio to the peer (a hand-written DuckDB SQL pipeline of the same
rules that writes only `liquidation.parquet`), measured in the same minutes.

    pip install -e '.[bench]'                       # duckdb, openpyxl, matplotlib
    python benchmarks/bench_peer.py --invoices 2000000 --repeat 2
    python benchmarks/bench_peer.py --scale --sizes 0.5 1 2 5 10          # millions of lines, one pair each
    python benchmarks/bench_peer.py --plot-only                            # redraw the curve from scale.json

For one batch (`ramu samples --invoices N --beneficiaries N/2 --providers 2000`,
Parquet, cached under --work), each repeat runs, one whole process after the
other: `ramu liquidate` (every document), `ramu liquidate --no-documents` (only
if the installed `ramu liquidate --help` offers it) and the peer. Each child's
wall seconds and peak RSS come from the kernel (`os.wait4`). The table gives
medians, and the ratios ramu/peer as the median of the ratios pair by pair:
on a shared machine absolute times are noisy, ratios of runs made side by side
much less. CPU seconds (user + system, every thread) are printed too: other
people's load stretches wall time far more than CPU time. Then ramu's and the
peer's `liquidation.parquet` are compared row by row (the peer is the
cross-check of the rules): differing rows per column, by (status, reason) on
each side, and a few examples.

--scale measures each size once (or --repeat times), records every point in
benchmarks/scale.json (points of later runs are merged in, so 5 and 10 million
can be added on another day) and draws benchmarks/scale.png from all of them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
HERE = Path(__file__).resolve().parent
MONTH = "2026-10"


def ramu_executable(given: str | None) -> str:
    if given:
        return given
    beside = Path(sys.executable).with_name("ramu")
    found = str(beside) if beside.exists() else shutil.which("ramu")
    if not found:
        sys.exit("commande « ramu » introuvable : installez le paquet (pip install -e '.[bench]')")
    return found


@dataclass
class Run:
    variant: str          # "ramu", "ramu --no-documents", "peer"
    lines: int
    seconds: float
    rss_mib: float
    repeat: int
    cpu: float = 0.0      # user + system seconds of the child, every thread


def timed(cmd: list[str], log: Path) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MiB) and CPU seconds of one child process, measured by the kernel (wait4)."""
    with log.open("wb") as out:
        start = time.perf_counter()
        child = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        sys.exit(f"{' '.join(cmd)} : code de sortie {child.returncode}\n{log.read_text(errors='replace')[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime  # ru_maxrss: KiB on Linux


def offers_no_documents(ramu: str) -> bool:
    """Whether the installed `ramu liquidate` has --no-documents (issue 9 adds it)."""
    env = {**os.environ, "COLUMNS": "300", "NO_COLOR": "1", "TERM": "dumb"}
    text = subprocess.run([ramu, "liquidate", "--help"], capture_output=True, text=True, env=env).stdout
    return "--no-documents" in text


def ensure_batch(args: argparse.Namespace, ramu: str, invoices: int) -> Path:
    """The batch for this size, written once by `ramu samples` and kept under --work."""
    beneficiaries = max(50, invoices // 2)
    batch = args.work / f"{invoices}-b{beneficiaries}-p{args.providers}-s{args.seed}" / MONTH
    if not (batch / "invoices.parquet").exists():
        shutil.rmtree(batch, ignore_errors=True)
        print(f"ramu samples : {invoices:,} lignes, {beneficiaries:,} bénéficiaires…", flush=True)
        subprocess.run([ramu, "samples", str(batch), "--month", MONTH, "--invoices", str(invoices),
                        "--beneficiaries", str(beneficiaries), "--providers", str(args.providers),
                        "--seed", str(args.seed)], check=True, capture_output=True)
    return batch


def commands(args: argparse.Namespace, ramu: str, batch: Path, no_docs: bool) -> dict[str, tuple[list[str], Path]]:
    """Variant → (command, output folder), in the order they alternate."""
    outs = batch.parent
    tariffs = str(args.tariffs)
    cmds = {"ramu": ([ramu, "liquidate", str(batch), "--out", str(outs / "out-ramu"), "--tariffs", tariffs,
                      "--json"], outs / "out-ramu")}
    if no_docs:
        cmds["ramu --no-documents"] = ([ramu, "liquidate", str(batch), "--out", str(outs / "out-ramu-nodocs"),
                                        "--tariffs", tariffs, "--no-documents", "--json"], outs / "out-ramu-nodocs")
    cmds["peer"] = ([sys.executable, str(args.peer), str(batch), "--out", str(outs / "out-peer"),
                     "--tariffs", tariffs], outs / "out-peer")
    return cmds


def measure(args: argparse.Namespace, ramu: str, invoices: int, repeat: int, no_docs: bool) -> tuple[list[Run], Path]:
    batch = ensure_batch(args, ramu, invoices)
    cmds = commands(args, ramu, batch, no_docs)
    runs = []
    for i in range(repeat):
        for variant, (cmd, out) in cmds.items():
            shutil.rmtree(out, ignore_errors=True)  # neither pays for removing a previous output
            seconds, rss, cpu = timed(cmd, batch.parent / f"{variant.replace(' ', '')}.log")
            runs.append(Run(variant, invoices, seconds, rss, i, cpu))
            print(f"  [{i + 1}/{repeat}] {variant:<20} {seconds:8.2f} s {rss:8,.0f} MiB  CPU {cpu:7.2f} s  "
                  f"(charge {os.getloadavg()[0]:.1f})", flush=True)
    return runs, batch.parent


def pair_ratio(runs: list[Run], variant: str, attr: str) -> float | None:
    """Median over repeats of variant/peer, each pair measured side by side."""
    by = {(r.variant, r.repeat): getattr(r, attr) for r in runs}
    ratios = [by[(variant, i)] / by[("peer", i)] for (v, i) in by if v == variant and ("peer", i) in by]
    return statistics.median(ratios) if ratios else None


def print_table(runs: list[Run]) -> None:
    print(f"\n{'variant':<22}{'lines':>12}{'seconds':>10}{'lines/s':>12}{'peak RSS MiB':>14}{'CPU s':>9}"
          f"{'wall / peer':>13}{'RSS / peer':>12}{'CPU / peer':>12}   (médianes ; rapports : médiane des paires)")
    for variant in dict.fromkeys(r.variant for r in runs):
        mine = [r for r in runs if r.variant == variant]
        sec = statistics.median(r.seconds for r in mine)
        rss = statistics.median(r.rss_mib for r in mine)
        cpu = statistics.median(r.cpu for r in mine)
        wall_ratio, rss_ratio = pair_ratio(runs, variant, "seconds"), pair_ratio(runs, variant, "rss_mib")
        cpu_ratio = pair_ratio(runs, variant, "cpu")
        spread = f"  [{min(r.seconds for r in mine):.2f}–{max(r.seconds for r in mine):.2f} s]" if len(mine) > 1 else ""
        print(f"{variant:<22}{mine[0].lines:>12,}{sec:>10.2f}{mine[0].lines / sec:>12,.0f}{rss:>14,.0f}{cpu:>9.1f}"
              f"{wall_ratio:>13.2f}{rss_ratio:>12.2f}{cpu_ratio:>12.2f}{spread}")


# --- agreement ---------------------------------------------------------------------------------

def compare(mine: Path, peer: Path, show: int = 5) -> int:
    """Rows of two liquidation.parquet files that differ in any column; prints where. Column by
    column, so memory stays at a few columns even at 10 million lines."""
    a_schema, b_schema = pl.read_parquet_schema(mine), pl.read_parquet_schema(peer)
    n_a = pl.scan_parquet(mine).select(pl.len()).collect().item()
    n_b = pl.scan_parquet(peer).select(pl.len()).collect().item()
    print(f"\nAccord {mine.parent.name} / {peer.parent.name} : {n_a:,} / {n_b:,} lignes")
    if n_a != n_b or set(a_schema) != set(b_schema):
        print(f"  nombre de lignes ou colonnes différents : {sorted(set(a_schema) ^ set(b_schema))}")
        return max(n_a, n_b)
    kinds = [c for c in a_schema if a_schema[c] != b_schema[c]]
    if kinds:
        print("  types différents (comparés après conversion vers le type du pair) : "
              + ", ".join(f"{c} {a_schema[c]}≠{b_schema[c]}" for c in kinds))
    differs = pl.Series("differs", [False] * n_a)
    per_column = {}
    for col in a_schema:
        x = pl.scan_parquet(mine).select(pl.col(col).cast(b_schema[col]).alias("x"))
        y = pl.scan_parquet(peer).select(pl.col(col).alias("y"))
        mask = pl.concat([x, y], how="horizontal").select(~pl.col("x").eq_missing(pl.col("y"))).collect().to_series()
        if mask.any():
            per_column[col] = int(mask.sum())
            differs = differs | mask
    total = int(differs.sum())
    print(f"  lignes différentes : {total:,}" + (f" — par colonne : {per_column}" if per_column else ""))
    if total:
        shown = ("row_id", "status", "reason", "reasons")
        keys = [*shown, *[c for c in per_column if c not in shown]]
        a = pl.read_parquet(mine, columns=keys).filter(differs)
        b = pl.read_parquet(peer, columns=keys).filter(differs)
        both = a.join(b, on="row_id", suffix="_peer")
        with pl.Config(tbl_rows=30, tbl_cols=30, fmt_str_lengths=40, tbl_width_chars=200):
            print(both.group_by("status", "reason", "status_peer", "reason_peer").len().sort("len", descending=True))
            print(both.head(show))
    return total


# --- scale curve -------------------------------------------------------------------------------

def record(points: list[dict], path: Path) -> list[dict]:
    """Merge new points into scale.json (a later run replaces the same size and variant)."""
    old = json.loads(path.read_text()) if path.exists() else []
    fresh = {(p["lines"], p["variant"]) for p in points}
    merged = [p for p in old if (p["lines"], p["variant"]) not in fresh] + points
    merged.sort(key=lambda p: (p["variant"], p["lines"]))
    path.write_text(json.dumps(merged, indent=1) + "\n")
    return merged


def plot(points: list[dict], png: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    panels = [("seconds", 1, "secondes (mur)", "Durée"), ("cpu", 1, "secondes CPU (tous les fils)", "Temps CPU"),
              ("rss_mib", 1024, "Gio", "Mémoire de pointe (RSS)")]
    fig, axes = plt.subplots(1, len(panels), figsize=(15, 4.4))
    styles = {"ramu": "o-", "ramu --no-documents": "s--", "peer": "^-"}
    labels = {"peer": "pair DuckDB", "ramu": "ramu (documents compris)"}
    for variant in dict.fromkeys(p["variant"] for p in points):
        mine = sorted((p for p in points if p["variant"] == variant), key=lambda p: p["lines"])
        for ax, (key, unit, _, _) in zip(axes, panels, strict=True):
            shown = [p for p in mine if key in p]
            ax.plot([p["lines"] / 1e6 for p in shown], [p[key] / unit for p in shown],
                    styles.get(variant, "x-"), label=labels.get(variant, variant))
    for ax, (_, _, ylabel, title) in zip(axes, panels, strict=True):
        ax.set(xlabel="millions de lignes", ylabel=ylabel, title=title)
        ax.grid(alpha=0.3)
        ax.set_xlim(left=0)
        ax.set_ylim(bottom=0)
        ax.legend()
    days = sorted({p["date"] for p in points})
    loads = [p["load"] for p in points if "load" in p]
    fig.suptitle(f"ramu liquidate et le pair DuckDB, 2 cœurs partagés ({', '.join(days)} ; "
                 f"charge de la machine {min(loads):.0f} à {max(loads):.0f})")
    fig.tight_layout()
    fig.savefig(png, dpi=100)
    print(f"courbe : {png}")


TARGETS = "2 M : avec documents ≤ 1,0 × le pair (mur) et RSS ≤ le pair ; sans documents ≤ 0,6 × ; " \
          "10 M : RSS ≤ 3 Gio et mur ≤ 5,5 × le mur de ramu à 2 M"


def print_targets(points: list[dict]) -> None:
    """The issue's targets, read from the recorded points (same-size runs were made side by side)."""
    at = {(p["lines"], p["variant"]): p for p in points}
    print(f"\nCibles ({TARGETS})")
    for variant in ("ramu", "ramu --no-documents"):
        for lines in (2_000_000, 10_000_000):
            mine, peer = at.get((lines, variant)), at.get((lines, "peer"))
            if not mine:
                continue
            text = f"  {variant:<22}{lines:>12,} : {mine['seconds']:7.2f} s, {mine['rss_mib']:6,} Mio"
            if peer:
                text += (f" — mur / pair {mine['seconds'] / peer['seconds']:.2f}, "
                         f"RSS / pair {mine['rss_mib'] / peer['rss_mib']:.2f}")
            two = at.get((2_000_000, variant))
            if lines == 10_000_000 and two:
                text += f" — mur / mur à 2 M {mine['seconds'] / two['seconds']:.2f}"
            print(text)


def scale(args: argparse.Namespace, ramu: str, no_docs: bool) -> None:
    today = date.today().isoformat()
    for millions in args.sizes:
        n = round(millions * 1_000_000)
        print(f"\n{n:,} lignes", flush=True)
        runs, outs = measure(args, ramu, n, args.repeat, no_docs)
        print_table(runs)
        if not args.no_compare:
            compare(outs / "out-ramu" / "liquidation.parquet", outs / "out-peer" / "liquidation.parquet")
        points = [{"lines": n, "variant": v,
                   "seconds": round(statistics.median(r.seconds for r in runs if r.variant == v), 2),
                   "rss_mib": round(statistics.median(r.rss_mib for r in runs if r.variant == v)),
                   "cpu": round(statistics.median(r.cpu for r in runs if r.variant == v), 2),
                   "repeats": args.repeat, "date": today, "load": round(os.getloadavg()[0], 1)}
                  for v in dict.fromkeys(r.variant for r in runs)]
        plot(record(points, args.json), args.png)  # after each size: an interrupted run keeps its points
        if args.clean:
            for out in ("out-ramu", "out-ramu-nodocs", "out-peer"):
                shutil.rmtree(outs / out, ignore_errors=True)
    print_targets(json.loads(args.json.read_text()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--invoices", type=int, default=2_000_000, help="lines of the batch (default 2,000,000)")
    parser.add_argument("--providers", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=None, help="alternations A B A B… (3; 1 with --scale)")
    parser.add_argument("--peer", type=Path, default=ROOT.parent / "shared" / "bench" / "duckdb_peer.py",
                        help="path of duckdb_peer.py (default: ../shared/bench/duckdb_peer.py from the project root)")
    parser.add_argument("--ramu", help="the ramu executable (default: beside this Python, else on PATH)")
    parser.add_argument("--tariffs", type=Path, default=ROOT / "tariffs")
    parser.add_argument("--work", type=Path, default=ROOT / "bench-data" / "peer", help="batches and outputs")
    parser.add_argument("--scale", action="store_true", help="measure every --sizes and draw the curve")
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.5, 1, 2, 5, 10], help="millions of lines")
    parser.add_argument("--json", type=Path, default=HERE / "scale.json", help="points of the curve")
    parser.add_argument("--png", type=Path, default=HERE / "scale.png")
    parser.add_argument("--plot-only", action="store_true", help="redraw the PNG from --json, run nothing")
    parser.add_argument("--no-compare", action="store_true", help="skip the row-by-row agreement check")
    parser.add_argument("--clean", action="store_true", help="--scale: delete each size's outputs once measured")
    parser.add_argument("--no-docs-variant", choices=["auto", "skip"], default="auto",
                        help="auto: time --no-documents when `ramu liquidate --help` offers it")
    args = parser.parse_args()
    if args.plot_only:
        plot(json.loads(args.json.read_text()), args.png)
        print_targets(json.loads(args.json.read_text()))
        return
    if not args.peer.exists():
        sys.exit(f"pair introuvable : {args.peer} (option --peer)")
    try:
        import duckdb  # noqa: F401
    except ImportError:
        sys.exit("duckdb absent : pip install -e '.[bench]'")
    ramu = ramu_executable(args.ramu)
    no_docs = args.no_docs_variant == "auto" and offers_no_documents(ramu)
    print(f"ramu : {ramu} — --no-documents {'proposé' if no_docs else 'absent de ramu liquidate --help : non mesuré'}")
    print(f"pair : {args.peer} — {os.cpu_count()} cœurs, charge {os.getloadavg()}")
    args.work.mkdir(parents=True, exist_ok=True)
    if args.scale:
        args.repeat = args.repeat or 1
        scale(args, ramu, no_docs)
        return
    runs, outs = measure(args, ramu, args.invoices, args.repeat or 3, no_docs)
    print_table(runs)
    if not args.no_compare:
        compare(outs / "out-ramu" / "liquidation.parquet", outs / "out-peer" / "liquidation.parquet")
        if no_docs:
            compare(outs / "out-ramu" / "liquidation.parquet", outs / "out-ramu-nodocs" / "liquidation.parquet")
    print(f"charge en fin de mesure : {os.getloadavg()}")


if __name__ == "__main__":
    main()
