"""Writing run outputs: an atomic run folder and byte-stable files.

Everything a run writes goes into a temporary folder beside OUT_DIR and is
moved into place only when complete, so an interrupted run leaves nothing
half-written. Files are deterministic: the same frame gives the same bytes.
"""

from __future__ import annotations

import ctypes
import errno
import glob
import json
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from ramu_cli.errors import OutputError, Problem, UsageError
from ramu_cli.io import scratch
from ramu_cli.io.cells import FORMULA_START

MANIFEST_NAME = "manifest.json"
# What `ramu samples` leaves in a batch it generated (a batch has no manifest): the
# command and the files it wrote, so it may later replace that batch and nothing else.
SAMPLES_MARKER = ".ramu-samples.json"
_RECORDS = (MANIFEST_NAME, SAMPLES_MARKER)


def _files_under(folder: Path) -> set[str]:
    """Every file under `folder`, as a relative POSIX path (what a manifest lists)."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir()}


def _written_by(out_dir: Path) -> tuple[str | None, set[str]] | None:
    """(command, files it wrote) from OUT_DIR's manifest or samples marker; None if it has neither."""
    for name in _RECORDS:
        path = out_dir / name
        if not path.is_file():
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return None, set()
        if not isinstance(data, dict):
            return None, set()
        outputs = data.get("outputs")
        listed = set(outputs) if isinstance(outputs, dict | list) else set()
        command = data.get("command")
        return (command if isinstance(command, str) else None), {str(n) for n in listed} | {name}
    return None


def check_replaceable(out_dir: Path, command: str | None, inputs: tuple[Path, ...] = ()) -> None:
    """The one rule for every command: OUT_DIR is replaced whole, so it must be new, empty, or an
    earlier output of the SAME command (its manifest or marker says so) holding nothing else
    than the files that output lists. Otherwise: exit 2, nothing touched."""
    resolved = out_dir.resolve()
    for folder in inputs:
        if resolved == folder.resolve():
            raise UsageError(f"« {out_dir} » est aussi un dossier d'entrée : choisissez un autre dossier de "
                             "sortie, il serait remplacé en entier.")
    if not out_dir.exists():
        return
    if not out_dir.is_dir():
        raise UsageError(f"« {out_dir} » est un fichier, pas un dossier : choisissez un dossier de sortie.")
    present = _files_under(out_dir)
    if not present:
        return
    if command is None:
        raise UsageError(f"« {out_dir} » n'est pas vide et serait remplacé en entier : choisissez un dossier "
                         "nouveau ou vide.")
    record = _written_by(out_dir)
    if record is None:
        shown = ", ".join(sorted(present)[:5]) + (" …" if len(present) > 5 else "")
        raise UsageError(f"« {out_dir} » contient déjà des fichiers ({shown}) qui ne viennent pas d'un "
                         f"« ramu {command} » précédent : il serait remplacé en entier. Choisissez un dossier "
                         "nouveau ou vide.")
    other, listed = record
    if other != command:
        raise UsageError(f"« {out_dir} » contient la sortie d'une autre commande (« {other or 'inconnue'} ») : "
                         f"choisissez un dossier nouveau, vide ou issu d'un « ramu {command} ».")
    foreign = sorted(present - listed)
    if foreign:
        shown = ", ".join(foreign[:5]) + (" …" if len(foreign) > 5 else "")
        raise UsageError(f"« {out_dir} » est la sortie d'un « ramu {command} » précédent mais contient aussi "
                         f"d'autres fichiers ({shown}) qui seraient perdus : déplacez-les, ou choisissez un "
                         "autre dossier de sortie.")


def write_marker(folder: Path, command: str) -> None:
    """Record in `folder` which command wrote it and its files (for a folder without a manifest)."""
    files = sorted(_files_under(folder))
    (folder / SAMPLES_MARKER).write_text(json.dumps({"command": command, "outputs": files}, indent=1) + "\n",
                                         encoding="utf-8")


@contextmanager
def run_folder(out_dir: Path, command: str | None = None, inputs: tuple[Path, ...] = ()) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces OUT_DIR, on failure or interruption it vanishes.

    `command` names the command writing (as its manifest or marker will): an earlier output of
    that command may be replaced. Without it, only a new or empty OUT_DIR is accepted.

    An OSError while writing (read-only file system, disk full) becomes an OutputError (exit 3)
    saying that writing failed, with nothing left behind."""
    out_dir = out_dir.resolve()
    check_replaceable(out_dir, command, inputs)
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        sweep_leftovers(out_dir)
        tmp = Path(tempfile.mkdtemp(prefix=leftover_prefix(out_dir, "tmp"), dir=out_dir.parent))
    except OSError as exc:
        raise write_failed(out_dir, exc) from exc
    scratch.register(tmp)
    try:
        yield tmp
        # mkdtemp makes a private (0700) folder; results are shared: the usual mode.
        mask = os.umask(0)
        os.umask(mask)
        tmp.chmod(0o777 & ~mask)
        _swap(tmp, out_dir)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise write_failed(out_dir, exc) from exc
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        scratch.forget(tmp)


def leftover_prefix(out_dir: Path, kind: str) -> str:
    """Name prefix of a run's hidden folder beside OUT_DIR (`tmp`: the output being written,
    `work`: the work files, `old`: the previous output being replaced), with the process id."""
    return f".{out_dir.name}.{kind}-{os.getpid()}-"


def sweep_leftovers(out_dir: Path) -> None:
    """Remove the hidden folders a killed run (SIGKILL, power cut) left beside OUT_DIR: those
    of a process that no longer runs. A run that is still going keeps its own."""
    pattern = re.compile(rf"\.{re.escape(out_dir.name)}\.(?:tmp|work|old)-(\d+)-")
    for path in out_dir.parent.glob(f".{glob.escape(out_dir.name)}.*-*"):
        found = pattern.match(path.name)
        if found and not _running(int(found.group(1))):
            shutil.rmtree(path, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True      # exists, owned by someone else
    return True


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one step (Linux renameat2 RENAME_EXCHANGE); False where unavailable.
    OUT_DIR is then never missing, even if the process is killed during the swap."""
    rename = getattr(ctypes.CDLL(None, use_errno=True), "renameat2", None) if sys.platform == "linux" else None
    if rename is None:
        return False
    at_cwd, exchange = -100, 2
    return rename(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), exchange) == 0


def _swap(tmp: Path, out_dir: Path) -> None:
    """Move the finished folder into place; a signal waits for the renames (scratch.swap_lock)."""
    with scratch.swap_lock:
        if out_dir.exists() and _exchange(tmp, out_dir):
            # tmp now holds the previous output (still registered: removed if a signal comes now).
            shutil.rmtree(tmp, ignore_errors=True)
            return
        old = None
        if out_dir.exists():
            old = Path(tempfile.mkdtemp(prefix=leftover_prefix(out_dir, "old"), dir=out_dir.parent))
            os.replace(out_dir, old)
            scratch.register(old)            # removed even if a signal ends the process now
        try:
            os.replace(tmp, out_dir)
        except OSError:
            if old is not None:
                os.replace(old, out_dir)
                scratch.forget(old)
            raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
        scratch.forget(old)


def write_failed(out_dir: Path, exc: OSError) -> OutputError:
    reason = {errno.ENOSPC: "le disque est plein", errno.EROFS: "le système de fichiers est en lecture seule",
              errno.EACCES: "permission refusée", errno.EPERM: "permission refusée",
              errno.EDQUOT: "le quota disque est atteint"}.get(exc.errno or 0, exc.strerror or str(exc))
    where = exc.filename or out_dir
    return OutputError(f"Écriture impossible dans « {out_dir} » : {reason} ({where}). Rien n'a été écrit : "
                       "libérez de la place ou choisissez un dossier de sortie accessible en écriture, "
                       "puis relancez.", [Problem(str(where), reason, code="write_failed")])


# Rows per Parquet row group, fixed: left to polars, the row groups follow the frame's chunks,
# which follow the number of threads (POLARS_MAX_THREADS, the cores): another machine would
# write other bytes, another run id. RAMU_PARQUET_ROW_GROUP_SIZE changes it (tests use a small
# one to span several row groups with a small batch); 262 144 is polars' own default size.
ROW_GROUP_ENV = "RAMU_PARQUET_ROW_GROUP_SIZE"
DEFAULT_ROW_GROUP_SIZE = 262_144


def row_group_size() -> int:
    value = os.environ.get(ROW_GROUP_ENV, "")
    return int(value) if value.isdigit() and int(value) > 0 else DEFAULT_ROW_GROUP_SIZE


def write_parquet(df: pl.DataFrame, path: Path) -> None:
    """Byte-identical on any machine: one chunk, fixed row groups, fixed compression."""
    with writing_to(path.parent):
        df.rechunk().write_parquet(path, compression="zstd", statistics=True, row_group_size=row_group_size())


def sink_parquet(frame: pl.LazyFrame, path: Path) -> None:
    """A result too large to hold, streamed to Parquet. Byte-identical on any machine as long
    as what it reads has row groups of row_group_size() (io.parts writes them so)."""
    with writing_to(path.parent):
        frame.sink_parquet(path, compression="zstd", statistics=True, row_group_size=row_group_size())


@contextmanager
def writing_to(folder: Path) -> Iterator[None]:
    """polars reports a full disk as its own error ("… (os error 28)"), which would read as
    an unreadable input: it becomes the OutputError of write_failed (exit 3, "Écriture
    impossible … le disque est plein"), naming `folder`."""
    try:
        yield
    except pl.exceptions.PolarsError as exc:
        found = re.search(r"\(os error (\d+)\)", str(exc))
        if found is None:
            raise
        code = int(found.group(1))
        raise write_failed(folder, OSError(code, os.strerror(code), str(folder))) from exc


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

