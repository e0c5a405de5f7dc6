"""What every command shares: the stderr console, JSON output, exit codes.

Commands stay thin: they parse options, call the core inside `run_command`,
and hand results to writers. Errors raised anywhere become the contract's exit
codes here, with a French message on stderr (or one JSON object with --json).
"""

from __future__ import annotations

import json
import os
import re
import sys
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from typer.core import TyperGroup
from typer.exceptions import TyperException

from ramu_cli.errors import InputError, RamuError, UsageError
from ramu_cli.io import scratch

# Progress and messages go to stderr; stdout is kept for --json. Off a terminal
# (logs, cron mail) tables get 120 columns so amounts are not wrapped.
console = Console(stderr=True, highlight=False)
if not console.is_terminal:
    console.width = max(console.width, 120)

TARIFFS_HELP = "Dossier des tarifs (actes, prix, taux, politique). Par défaut : les tarifs livrés."
JSON_HELP = "Écrire un seul objet JSON sur la sortie standard (pour les scripts)."


def emit_json(payload: dict[str, Any]) -> None:
    """The one JSON object of a --json run, on stdout."""
    scratch.wait_if_interrupted()
    sys.stdout.write(json.dumps(payload, ensure_ascii=False, sort_keys=True, default=str) + "\n")
    sys.stdout.flush()


def fail(exc: RamuError, as_json: bool) -> None:
    """Report a known error and exit with its code."""
    scratch.wait_if_interrupted()
    if as_json:
        emit_json(exc.as_dict())
    # escape: a message naming "[signals] z_threshold" is text, not rich markup
    console.print(f"[bold red]Erreur :[/] {escape(exc.message)}", soft_wrap=True)
    for problem in exc.problems[:50]:
        console.print(f"  • {escape(str(problem))}", soft_wrap=True)
    if len(exc.problems) > 50:
        console.print(f"  … et {len(exc.problems) - 50} autre(s) problème(s).")
    raise typer.Exit(exc.exit_code)


class RamuGroup(TyperGroup):
    """The `ramu` group: with --json on the line, a usage error is JSON too.

    Typer reports a missing or unknown option, or a bad value, in a panel on
    stderr before any command runs; a script that asked for --json then gets
    one JSON object on stdout all the same (exit 2), with a French message.
    """

    def make_context(self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any) -> Any:
        as_json = "--json" in args
        try:
            ctx = super().make_context(info_name, args, parent=parent, **extra)
        except TyperException as exc:
            _usage_failure(exc, as_json)
            raise
        ctx.meta[_JSON_META] = as_json
        return ctx

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except TyperException as exc:
            _usage_failure(exc, bool(ctx.meta.get(_JSON_META)))
            raise
        except (typer.Exit, typer.Abort):
            raise
        except Exception as exc:
            internal_failure(exc, bool(ctx.meta.get(_JSON_META)))


_JSON_META = "ramu_cli.json"


def _usage_failure(exc: TyperException, as_json: bool) -> None:
    if as_json and exc.exit_code == 2:
        fail(UsageError(usage_message(exc)), as_json=True)


def usage_message(exc: TyperException) -> str:
    """A usage error in French (typer's own messages are in English)."""
    ctx = getattr(exc, "ctx", None)
    see = f" Voir « {ctx.command_path} --help »." if ctx is not None else ""
    param = getattr(exc, "param", None)
    hint = getattr(exc, "param_hint", None) or (param.get_error_hint().replace("'", "") if param else "")
    if hasattr(exc, "param_type"):                                  # missing option or argument
        what = "l'option" if getattr(param, "param_type_name", "") == "option" else "l'argument"
        return f"il manque {what} {hint}.{see}"
    if hasattr(exc, "option_name") and hasattr(exc, "possibilities"):
        return f"option inconnue : {exc.option_name}.{see}"
    if hasattr(exc, "param_hint") and hint:                         # a bad value
        return f"valeur invalide pour {hint} : {exc.message}{see}"
    unknown = re.match(r"No such command '(.+?)'", exc.message)
    if unknown:
        return f"commande inconnue : {unknown.group(1)}.{see}"
    return f"{exc.format_message()}{see}"


# Set to 1 to see the traceback of an internal error (exit 1) on stderr, for a bug report.
TRACEBACK_ENV = "RAMU_TRACEBACK"


def internal_failure(exc: BaseException, as_json: bool) -> None:
    """An unexpected error is a bug: exit 1, one French line (and one JSON object with --json).

    No traceback on stdout ever; on stderr only when RAMU_TRACEBACK=1 (it may show
    paths and values of the month's data, so it is not printed by default)."""
    scratch.wait_if_interrupted()
    kind = type(exc).__name__
    message = (f"Erreur interne de ramu ({kind}) : c'est un défaut du programme, pas de vos fichiers. "
               f"Signalez-le aux mainteneurs avec la commande lancée ; relancez avec {TRACEBACK_ENV}=1 "
               "pour joindre le détail technique.")
    if as_json:
        emit_json({"error": message, "exit_code": 1, "exception": kind, "problems": []})
    console.print(f"[bold red]Erreur :[/] {escape(message)}", soft_wrap=True)
    if os.environ.get(TRACEBACK_ENV) == "1":
        traceback.print_exception(exc, file=sys.stderr)
    raise typer.Exit(1)


def run_command(body: Callable[[], Any], as_json: bool) -> Any:
    """Run a command body, turning known errors into exit codes 3 and 4."""
    try:
        return body()
    except RamuError as exc:
        fail(exc, as_json)
    except pl.exceptions.PolarsError as exc:
        # Raised while reading a file lazily (ragged CSV, corrupt Parquet): unusable input.
        fail(InputError(f"Lecture impossible d'un fichier d'entrée : {exc}. Vérifiez le fichier "
                        "indiqué, puis relancez."), as_json)
    except (typer.Exit, typer.Abort, TyperException):
        raise
    except Exception as exc:
        internal_failure(exc, as_json)


@contextmanager
def progress(enabled: bool = True):
    """A rich progress display on stderr, shown only on a terminal."""
    bar = Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                   TimeElapsedColumn(), console=console, transient=True,
                   disable=not (enabled and console.is_terminal))
    with bar:
        yield bar


def resolve_month(folder: Path, month: str | None) -> str:
    """--month, or the folder's own name when it is YYYY-MM; a usage error (exit 2) otherwise."""
    from ramu_cli.contract import PERIOD_PATTERN
    if month is None:
        if re.match(PERIOD_PATTERN, folder.name):
            return folder.name
        raise typer.BadParameter(f"le dossier « {folder.name} » n'est pas nommé AAAA-MM : précisez "
                                 "le mois avec --month AAAA-MM (par exemple 2026-10).", param_hint="--month")
    if not re.match(PERIOD_PATTERN, month):
        raise typer.BadParameter(f"« {month} » n'est pas un mois AAAA-MM (par exemple 2026-10).",
                                 param_hint="--month")
    return month


def resolve_tariffs(tariffs: Path | None) -> Path:
    from ramu_cli.tariffs import default_tariff_folder
    return tariffs if tariffs is not None else default_tariff_folder()
