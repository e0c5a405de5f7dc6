"""The ledger: what earlier runs already liquidated (R13), and `commit`.

A ledger is a folder of Parquet files, one per committed liquidation run,
named `<run_id>.parquet` and holding that run's PAID and REDUCED lines. Files
are written once (temporary file + os.replace, under an exclusive lock) and
never rewritten: the ledger only grows, and nothing can be paid twice.

Version 2 of the ledger adds `allowed_qty` (the annual caps R16/A03 count it).
A version 1 file (without it) is refused wherever the ledger is read; the one
exception to "never rewritten" brings it up to date: committing the original
run folder again rewrites that run's file with `allowed_qty` taken from the
run's verified liquidation.parquet, after checking that it holds exactly the
same lines (docs/decisions-ledger.md).
"""

from __future__ import annotations

import fcntl
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from ramu_cli.errors import InputError, InvariantError, Problem
from ramu_cli.io.writers import write_parquet
from ramu_cli.manifest import LIQUIDATION_FILE, check_run, read_manifest
from ramu_cli.rules.duplicates import DUPLICATE_KEY, LINE_KEY

LEDGER_COLUMNS = ["provider_id", "invoice_id", "line_no", "beneficiary_id", "act_code",
                  "service_date", "ogd", "allowed_qty", "payable", "run_id"]
LEDGER_SCHEMA: dict[str, pl.DataType] = {
    c: (pl.Int64() if c in ("line_no", "allowed_qty", "payable") else pl.Date()
        if c == "service_date" else pl.String())
    for c in LEDGER_COLUMNS
}
# New in ledger version 2; a file without it was written by ramu before version 2.
VERSION_2_COLUMN = "allowed_qty"
VERSION_1_COLUMNS = [c for c in LEDGER_COLUMNS if c != VERSION_2_COLUMN]
# R13: a line is already liquidated when the ledger holds its line key or its duplicate key.
KEYS = {"clé de ligne": LINE_KEY, "clé de doublon": DUPLICATE_KEY}
LOCK_NAME = ".lock"
LEDGER_STATUSES = ("PAID", "REDUCED")


def _ledger_files(ledger_dir: Path) -> list[Path]:
    """Committed files: `*.parquet`, hidden (temporary) files left out, sorted by name."""
    return sorted(p for p in ledger_dir.glob("*.parquet")
                  if p.is_file() and not p.name.startswith("."))


def _scan_file(path: Path) -> pl.LazyFrame:
    """One ledger file, schema checked now, rows read lazily."""
    try:
        schema = pl.scan_parquet(path, glob=False).collect_schema()
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"{path} : fichier du registre illisible ({exc}). Restaurez-le depuis "
                         "la sauvegarde du registre ; ne le supprimez pas, il empêche de "
                         "payer deux fois.", [Problem(str(path), "fichier illisible", code="unreadable_file")]) from exc
    missing = [c for c in LEDGER_COLUMNS if c not in schema]
    if missing == [VERSION_2_COLUMN]:
        raise _outdated_file(path)
    if missing:
        cols = ", ".join(f"« {c} »" for c in missing)
        raise InputError(f"{path} : colonne(s) absente(s) du fichier du registre : {cols}. "
                         "Ce fichier n'a pas été écrit par « ramu commit » : retirez-le du "
                         "dossier du registre.",
                         [Problem(str(path), "colonne absente", column=c, code="missing_column") for c in missing])
    return pl.scan_parquet(path, glob=False).select(
        [pl.col(c).cast(t) for c, t in LEDGER_SCHEMA.items()])


def _outdated_file(path: Path) -> InputError:
    """A version 1 ledger file: say how to bring it up to date (commit its run again)."""
    rid = path.stem
    return InputError(
        f"{path} : fichier du registre écrit par une version de ramu antérieure à la version 2 : "
        f"il n'a pas la colonne « {VERSION_2_COLUMN} » (quantité retenue), que le plafond annuel "
        f"(R16) compte. Mettez-le à jour en enregistrant à nouveau l'exécution d'origine : "
        f"« ramu commit DOSSIER --ledger {path.parent} », où DOSSIER est le dossier de sortie de "
        f"la liquidation « {rid} » (son manifest.json porte ce run_id). La colonne est reprise de "
        "cette liquidation après vérification que les lignes sont les mêmes ; rien d'autre ne "
        "change. Puis relancez la commande.",
        [Problem(str(path), f"colonne « {VERSION_2_COLUMN} » absente (registre de version 1)",
                 column=VERSION_2_COLUMN, code="ledger_file_version_1")])


def _is_version_1(path: Path) -> bool:
    names = pl.scan_parquet(path).collect_schema().names()
    return VERSION_2_COLUMN not in names and all(c in names for c in VERSION_1_COLUMNS)


def _check_dir(ledger_dir: Path) -> None:
    if not ledger_dir.is_dir():
        raise InputError(f"Le dossier du registre « {ledger_dir} » n'existe pas : indiquez le "
                         "dossier où « ramu commit » enregistre les exécutions (--ledger).")


def scan_ledger(ledger_dir: Path | None) -> pl.LazyFrame | None:
    """Every committed line, lazily, with LEDGER_COLUMNS; None without a folder or a file."""
    if ledger_dir is None:
        return None
    _check_dir(ledger_dir)
    files = _ledger_files(ledger_dir)
    if not files:
        return None
    return pl.concat([_scan_file(f) for f in files], how="vertical")


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


@contextmanager
def ledger_lock(ledger_dir: Path) -> Iterator[None]:
    """Exclusive lock on ledger_dir/.lock (blocking): one commit at a time."""
    with open(ledger_dir / LOCK_NAME, "a+b") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


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


def _conflicts(lines: pl.DataFrame, ledger_dir: Path) -> list[Problem]:
    """Every line of the run whose line key or duplicate key another committed run holds."""
    files = _ledger_files(ledger_dir)
    if not files or lines.is_empty():
        return []
    ledger = pl.concat([_scan_file(f).with_columns(pl.lit(f.name).alias("ledger_file"))
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


def _write_once(df: pl.DataFrame, target: Path) -> None:
    """Write to a hidden temporary file beside `target`, then move it into place."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write_parquet(df, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o444)  # the ledger only grows: a committed file is read-only
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def commit_run(out_dir: Path, ledger_dir: Path) -> CommitResult:
    """Add a verified liquidation run's PAID and REDUCED lines to the ledger, once."""
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
    if rid is None:  # verified already: a liquidation manifest has one unless hand-made
        raise InputError(f"{out_dir} : manifeste sans identifiant d'exécution (run_id) : relancez la "
                         "liquidation, puis « ramu commit ».")
    lines = run_lines(out_dir, rid)
    inner = _internal_duplicates(lines)
    if inner:
        raise InvariantError(f"{out_dir} : des lignes payées figurent deux fois dans la même "
                             "exécution ; rien n'a été enregistré. C'est une anomalie de "
                             "ramu : signalez-la.", inner)
    ledger_dir.mkdir(parents=True, exist_ok=True)
    target = ledger_dir / f"{rid}.parquet"
    with ledger_lock(ledger_dir):
        if target.exists():
            if _is_version_1(target):
                _upgrade(target, lines)
                return CommitResult(rid, 0, True, target, upgraded=True)
            return CommitResult(rid, 0, True, target)
        conflicts = _conflicts(lines, ledger_dir)
        if conflicts:
            n = len({p.row for p in conflicts})
            raise InputError(f"{out_dir} : {n} ligne(s) déjà enregistrée(s) au registre par une "
                             "autre exécution ; rien n'a été enregistré, pour ne rien payer deux "
                             "fois. Relancez la liquidation avec --ledger "
                             f"{ledger_dir} (règle R13), puis « ramu commit ».", conflicts)
        _write_once(lines.select(LEDGER_COLUMNS), target)
    return CommitResult(rid, lines.height, False, target)


def _upgrade(target: Path, lines: pl.DataFrame) -> None:
    """Rewrite a version 1 ledger file with allowed_qty, when it holds exactly the run's lines.

    The only rewrite of a ledger file: same rows, same keys, same amounts, and
    the one new column taken from the run's verified liquidation.parquet.
    """
    old = pl.read_parquet(target).select([pl.col(c).cast(LEDGER_SCHEMA[c]) for c in VERSION_1_COLUMNS])
    new = lines.select(VERSION_1_COLUMNS)
    mismatches = _mismatches(old, new, target)
    if mismatches:
        raise InputError(
            f"{target} ne contient pas les mêmes lignes que l'exécution enregistrée à nouveau "
            f"({len(mismatches)} écart(s)) : il n'a pas été mis à jour. Vérifiez que le dossier "
            "donné est bien celui de la liquidation d'origine de ce fichier.", mismatches)
    _write_once(lines.select(LEDGER_COLUMNS), target)


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
