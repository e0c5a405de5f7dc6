"""The ledger's Parquet files: names, columns, reading one, writing one once.

A ledger file is `<run_id>.parquet` and holds one run's PAID and REDUCED lines
with LEDGER_COLUMNS. Version 2 added `allowed_qty`; a file without it (and
with every other column) was written by ramu before version 2.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import polars as pl

from ramu_cli.errors import InputError, Problem
from ramu_cli.io.writers import write_parquet
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
SUFFIX = ".parquet"


def ledger_files(ledger_dir: Path) -> list[Path]:
    """Parquet files of the folder: `*.parquet`, hidden (temporary) files left out, sorted by name."""
    return sorted(p for p in ledger_dir.iterdir()
                  if p.name.endswith(SUFFIX) and p.is_file() and not p.name.startswith("."))


def check_dir(ledger_dir: Path) -> None:
    """The ledger folder exists and is a folder (a file given by mistake is exit 3, not a traceback)."""
    if ledger_dir.exists() and not ledger_dir.is_dir():
        raise InputError(f"« {ledger_dir} » est un fichier, pas un dossier : --ledger attend le dossier "
                         "du registre (celui qui contient ledger.jsonl et les fichiers <run_id>.parquet).",
                         [Problem(str(ledger_dir), "n'est pas un dossier", code="ledger_not_a_folder")])
    if not ledger_dir.is_dir():
        raise InputError(f"Le dossier du registre « {ledger_dir} » n'existe pas : indiquez le "
                         "dossier où « ramu commit » enregistre les exécutions (--ledger).",
                         [Problem(str(ledger_dir), "dossier introuvable", code="ledger_missing")])


def file_schema(path: Path) -> pl.Schema:
    """The schema of a ledger file; unreadable → exit 3 (restore it, never delete it)."""
    try:
        return pl.scan_parquet(path, glob=False).collect_schema()
    except (pl.exceptions.PolarsError, OSError) as exc:
        raise InputError(f"{path} : fichier du registre illisible ({exc}). Restaurez-le depuis "
                         "la sauvegarde du registre ; ne le supprimez pas, il empêche de "
                         "payer deux fois.", [Problem(str(path), "fichier illisible",
                                                      code="unreadable_file")]) from exc


def scan_file(path: Path) -> pl.LazyFrame:
    """One ledger file, schema checked now, rows read lazily with LEDGER_SCHEMA."""
    schema = file_schema(path)
    missing = [c for c in LEDGER_COLUMNS if c not in schema]
    if missing == [VERSION_2_COLUMN]:
        raise outdated_file(path)
    if missing:
        cols = ", ".join(f"« {c} »" for c in missing)
        raise InputError(f"{path} : colonne(s) absente(s) du fichier du registre : {cols}. "
                         "Ce fichier n'a pas été écrit par « ramu commit » : retirez-le du "
                         "dossier du registre.",
                         [Problem(str(path), "colonne absente", column=c, code="missing_column") for c in missing])
    return pl.scan_parquet(path, glob=False).select(
        [pl.col(c).cast(t) for c, t in LEDGER_SCHEMA.items()])


def outdated_file(path: Path) -> InputError:
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


def is_version_1(path: Path) -> bool:
    names = file_schema(path).names()
    return VERSION_2_COLUMN not in names and all(c in names for c in VERSION_1_COLUMNS)


def rows_and_payable(path: Path) -> tuple[int, int]:
    """What the journal records of a ledger file besides its hash: rows and payable in francs."""
    got = scan_file(path).select(pl.len().cast(pl.Int64), pl.col("payable").sum()).collect()
    return int(got.item(0, 0)), int(got.item(0, 1) or 0)


def fsync_dir(folder: Path) -> None:
    """Make a rename or a new file in `folder` durable (a no-op where folders cannot be opened)."""
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:       # Windows: a folder cannot be opened; NTFS journals the rename itself
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_once(df: pl.DataFrame, target: Path) -> None:
    """Write to a hidden temporary file beside `target`, then move it into place, read-only."""
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write_parquet(df, tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o444)  # the ledger only grows: a committed file is read-only
        if target.exists():   # the version 1 upgrade only; Windows refuses to replace a read-only file
            os.chmod(target, 0o644)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(target.parent)
