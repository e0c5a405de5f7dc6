"""The ledger: what earlier runs already liquidated (R13, R16), its journal, and `commit`.

A ledger is a folder of Parquet files, one per committed liquidation run,
named `<run_id>.parquet` and holding that run's PAID and REDUCED lines, and a
hash-chained journal `ledger.jsonl` listing them. Files are written once
(temporary file + os.replace, under an exclusive lock) and never rewritten
(but for the version 1 upgrade, before the journal): the ledger only grows,
and every use checks the folder against the journal first, so that a file
renamed, deleted or edited cannot make a line be paid twice.

files.py    a ledger file: columns, reading, writing once
journal.py  ledger.jsonl: lines, chain, the folder compared with it
state.py    the checked ledger that liquidate reads (open_ledger, scan_ledger)
lock.py     the lock (filelock: POSIX and Windows)
commit.py   `ramu commit` under the lock
adopt.py    `ramu ledger adopt`: the journal of a folder written before it
"""

from ramu_cli.ledger.commit import CommitResult, commit_run, run_lines
from ramu_cli.ledger.files import LEDGER_COLUMNS, LEDGER_SCHEMA, VERSION_2_COLUMN
from ramu_cli.ledger.journal import JOURNAL_NAME, JournalCheck, check_journal
from ramu_cli.ledger.lock import LOCK_NAME, ledger_lock
from ramu_cli.ledger.state import LedgerView, open_ledger, scan_ledger

__all__ = ["JOURNAL_NAME", "LEDGER_COLUMNS", "LEDGER_SCHEMA", "LOCK_NAME", "VERSION_2_COLUMN",
           "CommitResult", "JournalCheck", "LedgerView", "check_journal", "commit_run", "ledger_lock",
           "open_ledger", "run_lines", "scan_ledger"]
