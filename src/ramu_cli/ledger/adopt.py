"""`ramu ledger adopt`: start the journal of a ledger folder written before it existed.

An officer vouches for the folder's files (checked against the ledger's
backup); each must be a ledger file of version 2: named `<run_id>.parquet`,
readable, every column, every row carrying that run id. Any other file, or a
journal already there, refuses the whole adoption: nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ramu_cli.errors import InputError, Problem
from ramu_cli.ledger import journal
from ramu_cli.ledger.files import SUFFIX, check_dir, ledger_files, rows_and_payable, scan_file
from ramu_cli.ledger.lock import ledger_lock
from ramu_cli.manifest import sha256_file, valid_run_id


@dataclass
class AdoptResult:
    ledger_dir: Path
    entries: list[journal.Entry]
    head: str

    def as_dict(self) -> dict:
        return {"ledger": str(self.ledger_dir), "journal": str(self.ledger_dir / journal.JOURNAL_NAME),
                "files": [e.as_dict() for e in self.entries], "head": self.head}


def _file_problems(path: Path) -> list[Problem]:
    """Why `path` is not a version 2 ledger file of the run its name gives (empty: it is one)."""
    rid = path.name[: -len(SUFFIX)]
    if not valid_run_id(rid):
        return [Problem(path.name, f"nom invalide : un fichier du registre s'appelle <run_id>{SUFFIX}, où "
                        "run_id est AAAA-MM- suivi de 12 chiffres hexadécimaux minuscules. Retirez-le du "
                        "dossier du registre.", code="ledger_file_name_invalid")]
    try:
        frame = scan_file(path)
    except InputError as exc:
        return exc.problems or [Problem(path.name, exc.message, code="unreadable_file")]
    try:
        foreign = frame.filter(pl.col("run_id").ne_missing(rid)).select(pl.len()).collect().item()
    except pl.exceptions.PolarsError as exc:
        return [Problem(path.name, f"fichier illisible ({exc}) : restaurez-le depuis la sauvegarde.",
                        code="unreadable_file")]
    if foreign:
        return [Problem(path.name, f"{foreign} ligne(s) dont la colonne run_id n'est pas « {rid} » : ce "
                        "fichier n'est pas celui que « ramu commit » a écrit pour cette exécution.",
                        column="run_id", code="ledger_file_foreign_rows")]
    return []


def adopt_ledger(ledger_dir: Path) -> AdoptResult:
    """Write ledger.jsonl for every Parquet file of the folder, in name order, once."""
    check_dir(ledger_dir)
    with ledger_lock(ledger_dir):
        if (ledger_dir / journal.JOURNAL_NAME).exists():
            raise InputError(f"{ledger_dir} : le registre a déjà un journal ({journal.JOURNAL_NAME}) : "
                             "il n'y a rien à adopter. « ramu verify " f"{ledger_dir} » le contrôle.",
                             [Problem(journal.JOURNAL_NAME, "journal déjà présent", code="journal_exists")])
        files = ledger_files(ledger_dir)
        if not files:
            raise InputError(f"{ledger_dir} : aucun fichier <run_id>{SUFFIX} à adopter. Un registre vide "
                             "n'a pas besoin d'adoption : « ramu commit » commence le journal.",
                             [Problem(str(ledger_dir), "aucun fichier", code="ledger_empty")])
        problems = [p for f in files for p in _file_problems(f)]
        if problems:
            raise InputError(f"{ledger_dir} : {len(problems)} fichier(s) ne sont pas des fichiers du registre "
                             "de version 2 ; aucun journal n'a été écrit. Corrigez chaque fichier nommé "
                             "(retirez-le, ou mettez à jour un fichier de version 1 comme indiqué), puis "
                             "relancez l'adoption.", problems)
        items = [(f.name[: -len(SUFFIX)], sha256_file(f), *rows_and_payable(f)) for f in files]
        entries = journal.chained(items)
        journal.write_new(ledger_dir, entries)
    return AdoptResult(ledger_dir, entries, journal.line_hash(entries[-1].line()))
