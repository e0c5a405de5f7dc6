"""Writing run outputs: an atomic run folder and byte-stable files.

Everything a run writes goes into a temporary folder beside OUT_DIR and is
moved into place only when complete, so an interrupted run leaves nothing
half-written. Files are deterministic: the same frame gives the same bytes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from ramu_cli.errors import UsageError
from ramu_cli.io.cells import FORMULA_START


def _check_replaceable(out_dir: Path, replaceable: frozenset[str]) -> None:
    """OUT_DIR is replaced whole: only a new or empty folder, an earlier run (it has a
    manifest.json) or a folder holding nothing but `replaceable` files may be."""
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise UsageError(f"« {out_dir} » est un fichier, pas un dossier : choisissez un dossier de sortie.")
    names = {p.name for p in out_dir.iterdir()}
    if not names or "manifest.json" in names or names <= replaceable:
        return
    shown = ", ".join(sorted(names)[:5]) + (" …" if len(names) > 5 else "")
    raise UsageError(f"« {out_dir} » contient déjà d'autres fichiers ({shown}) et serait remplacé en "
                     "entier : choisissez un dossier nouveau, vide ou issu d'une exécution précédente.")


@contextmanager
def run_folder(out_dir: Path, replaceable: frozenset[str] = frozenset()) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces OUT_DIR, on failure it vanishes."""
    out_dir = out_dir.resolve()
    _check_replaceable(out_dir, replaceable)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=out_dir.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    # mkdtemp makes a private (0700) folder; results are shared: the usual mode.
    mask = os.umask(0)
    os.umask(mask)
    tmp.chmod(0o777 & ~mask)
    old = None
    if out_dir.exists():
        old = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"
        os.replace(out_dir, old)
    os.replace(tmp, out_dir)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_parquet(df: pl.DataFrame, path: Path) -> None:
    # No statistics timestamps exist in parquet; compression fixed for stable bytes.
    df.write_parquet(path, compression="zstd", statistics=True)


def _text_cells(df: pl.DataFrame) -> pl.DataFrame:
    """Every column as the text a person reads: dd/mm/yyyy, oui/non, lists joined, inert strings."""
    exprs = []
    for name, dtype in df.schema.items():
        col = pl.col(name)
        if dtype == pl.Date:
            col = col.dt.strftime("%d/%m/%Y")
        elif dtype == pl.Boolean:
            col = pl.when(col).then(pl.lit("oui")).when(col.not_()).then(pl.lit("non"))
        elif isinstance(dtype, pl.List):
            col = col.cast(pl.List(pl.String)).list.join(", ")
        elif dtype == pl.String:
            col = pl.when(col.str.contains(FORMULA_START)).then(pl.lit("'") + col).otherwise(col)
        exprs.append(col.cast(pl.String).alias(name))
    return df.select(exprs)


def write_csv(df: pl.DataFrame, path: Path, headings: dict[str, str] | None = None) -> None:
    """A CSV for people: Windows-1252 (opens right in a French Excel), ';', dd/mm/yyyy."""
    headings = headings or {}
    text = _text_cells(df).rename(lambda c: headings.get(c, c)).write_csv(
        separator=";", line_terminator="\r\n", quote_style="necessary")
    path.write_bytes(text.encode("cp1252", errors="replace"))

