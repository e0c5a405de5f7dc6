"""Jobs for tests/test_documents_pool.py: plain module functions, so a spawned worker imports them."""

from __future__ import annotations

import os
import time
from pathlib import Path

from ramu_cli.errors import InputError, Problem


def write_text(path: Path, text: str) -> dict[str, int]:
    """Write `text` into `path`; which process wrote it, as a job result."""
    path.write_text(text, encoding="utf-8")
    return {path.name: os.getpid()}


def fail_with_input_error(name: str) -> None:
    """A job that finds an unusable input: exit 3 with its located problem."""
    raise InputError(f"{name} est illisible : corrigez-le, puis relancez.",
                     [Problem(name, "illisible", column="provider_id", row=7, code="unreadable_cell")])


def fail_writing(path: Path) -> None:
    """A job whose file cannot be written: its folder does not exist (OSError, as a full disk)."""
    (path / "absent" / "x.html").write_text("x", encoding="utf-8")


def write_late(path: Path, delay: float) -> None:
    """A slow job: writes `path` only after `delay` seconds (if it is still alive)."""
    time.sleep(delay)
    path.write_text("trop tard", encoding="utf-8")
