"""The ledger lock, `ledger_dir/.lock`, through filelock: flock on POSIX, msvcrt on Windows.

fcntl (POSIX only) used to be imported here at start-up, and ramu could not
start on Windows; filelock is well kept and locks the same way on both.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock

LOCK_NAME = ".lock"


@contextmanager
def ledger_lock(ledger_dir: Path) -> Iterator[None]:
    """Exclusive lock on ledger_dir/.lock (blocking): one commit at a time, on Windows too."""
    with FileLock(ledger_dir / LOCK_NAME):
        yield


@contextmanager
def reading_lock(ledger_dir: Path) -> Iterator[None]:
    """The same lock while a reader checks the folder against its journal, so that it never sees a
    commit half done; on a folder it may not write to (a read-only copy), no commit can run: no lock."""
    try:
        lock = FileLock(ledger_dir / LOCK_NAME)
        lock.acquire()
    except OSError:
        yield
        return
    try:
        yield
    finally:
        lock.release()
