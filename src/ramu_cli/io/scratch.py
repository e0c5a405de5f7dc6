"""Temporary files and folders of a run, and a clean end on SIGINT, SIGTERM or SIGHUP.

A run writes into a temporary folder beside OUT_DIR and may copy a CSV into a
scratch folder (a UTF-8 copy that can hold bank details). Both are registered
here; when a signal arrives they are removed and the process exits 128 + the
signal's number (130, 143, 129), leaving any earlier OUT_DIR as it was.

Why a thread: Python runs a signal handler only in the main thread, between
two bytecodes, so a handler waits for a long polars call (minutes on a large
month) to return. The C-level handler writes the signal's number to a pipe
at once (`signal.set_wakeup_fd`); a daemon thread reading that pipe cleans up
and ends the process promptly, whatever the main thread is doing.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import contextmanager, suppress
from pathlib import Path

SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))
_paths: set[Path] = set()
# Held while OUT_DIR is being swapped with the finished folder: a signal then waits for
# the two renames, so OUT_DIR is never left missing.
swap_lock = threading.RLock()
_on_signal: list[Callable[[int], None]] = []
# Called first on a signal: they stop the run's worker processes (io.pool), so that nothing
# is written into a folder while it is being removed.
_stoppers: list[Callable[[], None]] = []
_installed = False


def register(path: Path) -> None:
    """Remove `path` (file or folder) if the process is interrupted."""
    _paths.add(path)


def forget(path: Path) -> None:
    _paths.discard(path)


def register_stopper(stop: Callable[[], None]) -> None:
    """Call `stop` (it kills and waits for worker processes) before removing anything on a signal."""
    _stoppers.append(stop)


def forget_stopper(stop: Callable[[], None]) -> None:
    with suppress(ValueError):
        _stoppers.remove(stop)


def remove_all() -> None:
    for path in list(_paths):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)
        _paths.discard(path)


interrupted: int | None = None          # the signal being handled, once one arrived


def wait_if_interrupted() -> None:
    """Called before reporting or exiting: while a signal is being handled, the main thread
    (which may be failing because its temporary folder vanished) waits for the watching
    thread's exit instead of printing a second report or exiting with another code."""
    if interrupted is not None:
        threading.Event().wait()


def _end(signum: int) -> None:
    global interrupted
    interrupted = signum
    with swap_lock:
        for stop in list(_stoppers):
            with suppress(Exception):  # the clean-up must happen whatever a worker does
                stop()
        remove_all()
        for callback in _on_signal:
            with suppress(Exception):  # the exit must happen whatever a report does
                callback(signum)
        sys.stderr.flush()
        os._exit(128 + signum)


def _watch(read_fd: int) -> None:
    while True:
        data = os.read(read_fd, 1)
        if data:
            _end(data[0])


def _ignore(_signum: int, _frame: object) -> None:
    """Python-level handler: the watching thread does the work (see the module's docstring)."""


def install(on_signal: Callable[[int], None] | None = None) -> None:
    """Watch SIGINT, SIGTERM and SIGHUP for the rest of the process (main thread only)."""
    global _installed
    if on_signal is not None:
        _on_signal[:] = [on_signal]
    if _installed or threading.current_thread() is not threading.main_thread():
        return
    read_fd, write_fd = os.pipe()
    os.set_blocking(write_fd, False)
    signal.set_wakeup_fd(write_fd, warn_on_full_buffer=False)
    for signum in SIGNALS:
        signal.signal(signum, _ignore)
    threading.Thread(target=_watch, args=(read_fd,), name="ramu-signals", daemon=True).start()
    _installed = True


@contextmanager
def registered(path: Path):
    """`path` is removed on interruption while the block runs."""
    register(path)
    try:
        yield path
    finally:
        forget(path)
