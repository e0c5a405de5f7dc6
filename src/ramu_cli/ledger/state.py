"""The ledger as `liquidate --ledger` and `commit` use it: checked against its journal first."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ramu_cli.errors import InputError, Problem
from ramu_cli.ledger.files import check_dir, ledger_files, rows_and_payable, scan_file
from ramu_cli.ledger.journal import JOURNAL_NAME, JournalCheck, check_journal
from ramu_cli.ledger.lock import reading_lock
from ramu_cli.manifest import MANIFEST_NAME


def _no_journal(check: JournalCheck) -> InputError:
    """Parquet files but no journal: a ledger written before the journal existed, to adopt."""
    for path in check.unlisted:     # an unreadable or version 1 file is said first: fix it before adopting
        scan_file(path)
    names = ", ".join(p.name for p in check.unlisted[:5]) + (" …" if len(check.unlisted) > 5 else "")
    return InputError(
        f"{check.ledger_dir} : registre sans journal ({JOURNAL_NAME}) ; il contient "
        f"{len(check.unlisted)} fichier(s) ({names}) que rien ne garantit. S'il s'agit bien du registre "
        "tenu jusqu'ici (vérifiez-le avec sa sauvegarde), faites-le adopter : « ramu ledger adopt "
        f"{check.ledger_dir} », puis relancez la commande.",
        [Problem(p.name, "fichier du registre sans journal", code="journal_absent") for p in check.unlisted])


def require_consistent(check: JournalCheck) -> JournalCheck:
    """The check itself when the folder agrees with its journal; else exit 3 naming each difference."""
    if not check.exists and check.unlisted:
        raise _no_journal(check)
    if check.differences:
        raise InputError(
            f"{check.ledger_dir} : le registre ne correspond pas à son journal ({JOURNAL_NAME}) : "
            f"{len(check.differences)} différence(s). Rien n'a été fait : un fichier retiré, renommé ou "
            "modifié ferait payer deux fois ses lignes. Remettez le registre en état depuis sa "
            "sauvegarde (« ramu verify DOSSIER_DU_REGISTRE » le contrôle), puis relancez.",
            check.differences)
    return check


@dataclass
class LedgerView:
    """A checked ledger: its lines (None when it holds no file) and its journal head."""

    lines: pl.LazyFrame | None
    head: str


def open_ledger(ledger_dir: Path | None) -> LedgerView:
    """The ledger `liquidate --ledger` reads for R13/R16: the folder checked against its journal."""
    if ledger_dir is None:
        return LedgerView(None, "")
    check_dir(ledger_dir)
    with reading_lock(ledger_dir):
        check = require_consistent(check_journal(ledger_dir))
    files = [ledger_dir / e.file for e in check.entries]
    lines = pl.concat([scan_file(f) for f in files], how="vertical") if files else None
    return LedgerView(lines, check.head)


def scan_ledger(ledger_dir: Path | None) -> pl.LazyFrame | None:
    """Every committed line, lazily, with LEDGER_COLUMNS; None without a folder or a file."""
    return open_ledger(ledger_dir).lines


def is_ledger_folder(folder: Path) -> bool:
    """A ledger folder (journal, or ledger Parquet files) rather than a run folder (manifest.json)."""
    if not folder.is_dir() or (folder / MANIFEST_NAME).exists():
        return False
    return (folder / JOURNAL_NAME).exists() or bool(ledger_files(folder))


def verify_ledger(ledger_dir: Path) -> JournalCheck:
    """`ramu verify LEDGER_DIR`: the journal check, plus each file's rows and payable recounted."""
    with reading_lock(ledger_dir):
        check = check_journal(ledger_dir)
    for e in check.entries:
        if e.file not in check.checked:
            continue
        rows, payable = rows_and_payable(ledger_dir / e.file)
        if (rows, payable) != (e.rows, e.payable):
            check.checked.discard(e.file)
            check.differences.append(Problem(
                e.file, f"{rows} ligne(s) et {payable} F à payer dans le fichier, {e.rows} et {e.payable} "
                "selon le journal : restaurez le registre depuis sa sauvegarde.", value=e.run_id,
                code="ledger_counts_differ"))
    return require_consistent(check)
