"""Errors that stop a command, each tied to an exit code of the CLI contract.

Messages are French sentences for people: they name the file, the column and
the row where there is one, and say what to do.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Problem:
    """One located fault in an input: what a person needs to fix it."""

    file: str
    message: str
    column: str | None = None
    row: int | None = None
    value: str | None = None
    # A stable machine code (snake_case English, e.g. "missing_column") so that a
    # script reading --json never has to match the French message.
    code: str = "input_problem"

    def as_dict(self) -> dict:
        return {"code": self.code, "file": self.file, "column": self.column, "row": self.row,
                "value": self.value, "message": self.message}

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"ligne {self.row}")
        if self.column is not None:
            where.append(f"colonne « {self.column} »")
        value = f" (valeur « {self.value} »)" if self.value not in (None, "") else ""
        return f"{', '.join(where)} : {self.message}{value}"


class RamuError(Exception):
    """Base of the errors that end a command with a known exit code."""

    exit_code = 1

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.message = message
        self.problems: list[Problem] = problems or []

    def as_dict(self) -> dict:
        return {"error": self.message, "exit_code": self.exit_code,
                "problems": [p.as_dict() for p in self.problems]}


class UsageError(RamuError):
    """Wrong usage found after parsing (e.g. an output folder that must not be replaced): exit 2."""

    exit_code = 2


class InputError(RamuError):
    """Unusable input (missing/unreadable file or column, invalid tariff folder): exit 3."""

    exit_code = 3


class OutputError(RamuError):
    """Writing the outputs failed (read-only file system, disk full): nothing written, exit 3.

    The inputs were fine; the place to write is not usable. Exit 3 (not 1: this is no bug),
    with a message that says writing, not reading, failed."""

    exit_code = 3


class InvariantError(RamuError):
    """A run's own arithmetic does not hold: a bug, nothing is written: exit 4."""

    exit_code = 4

