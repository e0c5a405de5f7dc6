"""A month in parts: the rows cut into chunks, each chunk's result kept in a work folder.

A national month does not fit in an office machine's memory when every step
holds all of its lines. `liquidate` therefore works a chunk of rows at a time
and keeps what each step produced as Parquet files in a work folder beside
OUT_DIR (the same disk, never /tmp, which may be memory). The folder is removed
when the run ends, succeeds or fails, and on SIGINT/SIGTERM/SIGHUP.

Why the sizes are fixed: a Parquet file written by polars' streaming sink
follows the row groups of the files it reads. Parts are always written with
io.writers.row_group_size() rows per group and a chunk is a whole number of
groups, so the final file has the same bytes whatever the chunk size.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from ramu_cli.io import scratch
from ramu_cli.io.writers import leftover_prefix, row_group_size, sweep_leftovers, write_failed, writing_to

# Rows per chunk (two row groups). At 2 000 000 lines, chunks of 1 048 576 rows peaked at
# 1.4 GiB, of 524 288 at 1.1 GiB in the same time; 262 144 was no lower and 2 % slower.
# RAMU_CHUNK_ROWS (a positive integer) overrides it; tests force tiny chunks with it.
CHUNK_ENV = "RAMU_CHUNK_ROWS"
DEFAULT_CHUNK_ROWS = 524_288


def chunk_rows() -> int:
    """Rows per chunk: RAMU_CHUNK_ROWS (or the default) rounded up to whole row groups."""
    value = os.environ.get(CHUNK_ENV, "")
    wanted = int(value) if value.isdigit() and int(value) > 0 else DEFAULT_CHUNK_ROWS
    group = row_group_size()
    return -(-wanted // group) * group


def chunks(rows: int) -> list[tuple[int, int]]:
    """(offset, length) of each chunk; one empty chunk for no rows, so every step has a part."""
    size = chunk_rows()
    return [(offset, min(size, rows - offset)) for offset in range(0, rows, size)] or [(0, 0)]


def write_part(df: pl.DataFrame, path: Path) -> Path:
    """A work file: uncompressed (quick to write and to read back), in the fixed row groups
    the final sink relies on. A full disk names the folder beside OUT_DIR (exit 3)."""
    with writing_to(path.parent.parent):
        df.write_parquet(path, compression="uncompressed", statistics=False, row_group_size=row_group_size())
    return path


def scan_parts(paths: list[Path]) -> pl.LazyFrame:
    """The parts read as one frame, in their order."""
    return pl.concat([pl.scan_parquet(p, glob=False) for p in paths], how="vertical")


@contextmanager
def work_folder(near: Path | None = None) -> Iterator[Path]:
    """A private folder for a run's parts, beside `near` (OUT_DIR) when given; always removed."""
    try:
        if near is not None:
            out_dir = near.resolve()
            out_dir.parent.mkdir(parents=True, exist_ok=True)
            sweep_leftovers(out_dir)
            path = Path(tempfile.mkdtemp(prefix=leftover_prefix(out_dir, "work"), dir=out_dir.parent))
        else:
            path = Path(tempfile.mkdtemp(prefix="ramu-work-"))
    except OSError as exc:
        raise write_failed(near or Path(tempfile.gettempdir()), exc) from exc
    with scratch.registered(path):
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)
