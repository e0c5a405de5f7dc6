"""`ramu commit`: add a verified liquidation run to the ledger, once, under a lock.

Under the lock the folder is first checked against its journal (ledger.jsonl),
then the run's file is written (temporary file + os.replace, read-only) and
its journal line appended. A version 1 file (without allowed_qty) is brought
up to date by committing its original run again, before the journal exists
(docs/decisions-ledger.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ramu_cli.errors import InputError, InvariantError, Problem
from ramu_cli.ledger import journal
from ramu_cli.ledger.files import (
    KEYS,
    LEDGER_COLUMNS,
    LEDGER_SCHEMA,
    SUFFIX,
    VERSION_1_COLUMNS,
    check_dir,
    is_version_1,
    rows_and_payable,
    scan_file,
    write_once,
)
from ramu_cli.ledger.lock import ledger_lock
from ramu_cli.ledger.state import require_consistent
from ramu_cli.manifest import LIQUIDATION_FILE, read_manifest, sha256_file, valid_run_id
from ramu_cli.rules.duplicates import LINE_KEY
from ramu_cli.run_check import check_run

LEDGER_STATUSES = ("PAID", "REDUCED")


@dataclass
class CommitResult:
    run_id: str
    added_lines: int
    already_committed: bool
    path: Path
    upgraded: bool = False    # a version 1 file of this run was brought up to date

    def as_dict(self) -> dict:
        return {"run_id": self.run_id, "added_lines": self.added_lines,
                "already_committed": self.already_committed, "upgraded": self.upgraded,
                "path": str(self.path)}


def run_lines(out_dir: Path, rid: str) -> pl.DataFrame:
    """The PAID and REDUCED lines of a run, with `row_id` first, then LEDGER_COLUMNS."""
    cols = [c for c in LEDGER_COLUMNS if c != "run_id"]
    return (
        pl.scan_parquet(out_dir / LIQUIDATION_FILE, glob=False)
        .filter(pl.col("status").is_in(LEDGER_STATUSES))
        .select(pl.col("row_id").cast(pl.Int64),
                *[pl.col(c).cast(LEDGER_SCHEMA[c]) for c in cols],
                pl.lit(rid, pl.String).alias("run_id"))
        .collect()
    )


def _key_text(row: dict, key: list[str]) -> str:
    return " / ".join(str(row[c]) for c in key)


def _internal_duplicates(lines: pl.DataFrame) -> list[Problem]:
    """A run's own PAID/REDUCED lines must be unique by both keys (R09, R14): else a bug."""
    problems = []
    for label, key in KEYS.items():
        dup = lines.filter(pl.struct(key).is_duplicated()).sort("row_id")
        for row in dup.iter_rows(named=True):
            problems.append(Problem(LIQUIDATION_FILE, f"{label} présente deux fois dans "
                                    "l'exécution", column=", ".join(key), row=row["row_id"],
                                    value=_key_text(row, key), code="duplicate_in_run"))
    return problems


def _conflicts(lines: pl.DataFrame, files: list[Path]) -> list[Problem]:
    """Every line of the run whose line key or duplicate key another committed run holds."""
    if not files or lines.is_empty():
        return []
    ledger = pl.concat([scan_file(f).with_columns(pl.lit(f.name).alias("ledger_file"))
                        for f in files], how="vertical")
    problems: list[tuple[int, int, Problem]] = []
    for order, (label, key) in enumerate(KEYS.items()):
        hits = (
            lines.lazy().select("row_id", *key)
            .join(ledger.select(*key, pl.col("run_id").alias("other_run"), "ledger_file"),
                  on=key, how="inner")
            .unique()
            .sort("row_id", "other_run", "ledger_file")
            .collect(engine="streaming")
        )
        for row in hits.iter_rows(named=True):
            problems.append((row["row_id"], order, Problem(
                LIQUIDATION_FILE,
                f"{label} déjà enregistrée au registre par l'exécution "
                f"« {row['other_run']} » (fichier {row['ledger_file']})",
                column=", ".join(key), row=row["row_id"], value=_key_text(row, key),
                code="already_in_ledger")))
    return [p for _, _, p in sorted(problems, key=lambda t: (t[0], t[1]))]


def _verified_run(out_dir: Path) -> str:
    """The run id of a liquidation folder that still matches its manifest (else exit 3)."""
    manifest = read_manifest(out_dir)
    if manifest.command != "liquidate":
        raise InputError(f"{out_dir} : ce dossier vient de « ramu {manifest.command} », "
                         "pas de « ramu liquidate » : seule une liquidation s'enregistre au "
                         "registre.")
    report = check_run(out_dir)
    if not report.valid:
        raise InputError(f"{out_dir} ne correspond plus à son manifeste "
                         f"({len(report.differences)} différence(s)) : rien n'a été enregistré. "
                         "Relancez la liquidation, puis « ramu commit ».", report.differences)
    rid = manifest.run_id
    if not valid_run_id(rid):   # verified already; a second guard, as it names a file
        raise InputError(f"{out_dir} : identifiant d'exécution « {rid} » invalide : relancez la "
                         "liquidation, puis « ramu commit ».",
                         [Problem("manifest.json", "run_id invalide", column="run_id", value=str(rid),
                                  code="run_id_invalid")])
    assert rid is not None
    return rid


def _open_for_commit(ledger_dir: Path) -> None:
    """The ledger folder, created when absent; a file in its place is exit 3."""
    if ledger_dir.exists() or ledger_dir.is_symlink():
        check_dir(ledger_dir)
        return
    try:
        ledger_dir.mkdir(parents=True)
    except OSError as exc:
        raise InputError(f"Le dossier du registre « {ledger_dir} » ne peut pas être créé ({exc}) : "
                         "indiquez un dossier où vous pouvez écrire.",
                         [Problem(str(ledger_dir), "création impossible", code="ledger_not_writable")]) from exc


def commit_run(out_dir: Path, ledger_dir: Path) -> CommitResult:
    """Add a verified liquidation run's PAID and REDUCED lines to the ledger, once."""
    rid = _verified_run(out_dir)
    lines = run_lines(out_dir, rid)
    inner = _internal_duplicates(lines)
    if inner:
        raise InvariantError(f"{out_dir} : des lignes payées figurent deux fois dans la même "
                             "exécution ; rien n'a été enregistré. C'est une anomalie de "
                             "ramu : signalez-la.", inner)
    _open_for_commit(ledger_dir)
    target = ledger_dir / f"{rid}{SUFFIX}"
    with ledger_lock(ledger_dir):
        check = journal.check_journal(ledger_dir)
        if not check.exists and target.exists() and is_version_1(target):
            _upgrade(target, lines)     # version 1 files are brought up to date before adoption
            return CommitResult(rid, 0, True, target, upgraded=True)
        if _interrupted(check, target, lines):
            journal.append(ledger_dir, _entry(target, rid, check.head))
            return CommitResult(rid, lines.height, False, target)
        require_consistent(check)
        if target.exists():
            return CommitResult(rid, 0, True, target)
        conflicts = _conflicts(lines, [ledger_dir / e.file for e in check.entries])
        if conflicts:
            n = len({p.row for p in conflicts})
            raise InputError(f"{out_dir} : {n} ligne(s) déjà enregistrée(s) au registre par une "
                             "autre exécution ; rien n'a été enregistré, pour ne rien payer deux "
                             "fois. Relancez la liquidation avec --ledger "
                             f"{ledger_dir} (règle R13), puis « ramu commit ».", conflicts)
        write_once(lines.select(LEDGER_COLUMNS), target)
        journal.append(ledger_dir, _entry(target, rid, check.head))
    return CommitResult(rid, lines.height, False, target)


def _entry(target: Path, rid: str, head: str) -> journal.Entry:
    rows, payable = rows_and_payable(target)
    return journal.chained([(rid, sha256_file(target), rows, payable)], head)[0]


def _interrupted(check: journal.JournalCheck, target: Path, lines: pl.DataFrame) -> bool:
    """A commit of this very run stopped between its file and its journal line.

    True only when the journal exists, the sole difference is this run's file
    missing from it, and that file holds exactly the run's lines: the commit
    is then completed (its journal line appended), nothing else.
    """
    if not (check.exists and check.unlisted == [target]):
        return False
    if [p.code for p in check.differences] != ["ledger_file_unlisted"]:
        return False
    try:
        held = scan_file(target).collect()
    except InputError:
        return False
    return held.equals(lines.select(LEDGER_COLUMNS))


def _upgrade(target: Path, lines: pl.DataFrame) -> None:
    """Rewrite a version 1 ledger file with allowed_qty, when it holds exactly the run's lines.

    The only rewrite of a ledger file: same rows, same keys, same amounts, and
    the one new column taken from the run's verified liquidation.parquet.
    """
    old = pl.read_parquet(target, glob=False).select([pl.col(c).cast(LEDGER_SCHEMA[c]) for c in VERSION_1_COLUMNS])
    new = lines.select(VERSION_1_COLUMNS)
    mismatches = _mismatches(old, new, target)
    if mismatches:
        raise InputError(
            f"{target} ne contient pas les mêmes lignes que l'exécution enregistrée à nouveau "
            f"({len(mismatches)} écart(s)) : il n'a pas été mis à jour. Vérifiez que le dossier "
            "donné est bien celui de la liquidation d'origine de ce fichier.", mismatches)
    write_once(lines.select(LEDGER_COLUMNS), target)


def _mismatches(old: pl.DataFrame, new: pl.DataFrame, target: Path) -> list[Problem]:
    """Lines in one and not in the other (every version 1 column compared), or repeated."""
    problems = []
    sides = ((old, new, target.name, "ligne du registre absente de l'exécution"),
             (new, old, LIQUIDATION_FILE, "ligne de l'exécution absente du fichier du registre"))
    for mine, other, file, message in sides:
        for r in mine.join(other, on=VERSION_1_COLUMNS, how="anti", nulls_equal=True).iter_rows(named=True):
            problems.append(Problem(file, message, column=", ".join(LINE_KEY), value=_key_text(r, LINE_KEY),
                                    code="ledger_upgrade_mismatch"))
    if not problems and old.height != new.height:
        problems.append(Problem(target.name, f"{old.height} lignes au registre, {new.height} dans "
                                "l'exécution", code="ledger_upgrade_mismatch"))
    return problems
