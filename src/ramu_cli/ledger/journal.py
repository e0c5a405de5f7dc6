"""The ledger journal, `ledger.jsonl`: one hash-chained line per committed run.

Each line is the JSON object {"run_id", "file", "sha256", "rows", "payable",
"prev"} in that key order, UTF-8, no spaces, `\\n` after it; `prev` is the hex
SHA-256 of the previous line's bytes (without the `\\n`), "" for the first.
The folder is checked against it before every use: a listed file missing,
renamed or altered, a Parquet file it does not list, or a broken chain stops
the command (exit 3), so that no line is paid twice.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from ramu_cli.errors import Problem
from ramu_cli.ledger.files import SUFFIX, fsync_dir, ledger_files
from ramu_cli.manifest import sha256_file, valid_run_id

JOURNAL_NAME = "ledger.jsonl"
KEY_ORDER = ("run_id", "file", "sha256", "rows", "payable", "prev")
_HEX64 = re.compile(r"[0-9a-f]{64}")


def line_hash(line: bytes) -> str:
    """A journal line's hash: SHA-256 of its bytes without the `\\n`."""
    return hashlib.sha256(line).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One journal line: a committed run's file, its hash, rows and payable total."""

    run_id: str
    file: str
    sha256: str
    rows: int
    payable: int
    prev: str

    def line(self) -> bytes:
        """The line's exact bytes (without `\\n`)."""
        data = {k: getattr(self, k) for k in KEY_ORDER}
        return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in KEY_ORDER}


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def parse_line(raw: bytes) -> tuple[Entry | None, str]:
    """An entry from a line's bytes, or None and what is wrong (French)."""
    try:
        pairs = json.loads(raw.decode("utf-8"), object_pairs_hook=list)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        return None, f"ligne illisible ({exc})"
    if not isinstance(pairs, list) or [k for k, _ in pairs] != list(KEY_ORDER):
        return None, f"clés attendues, dans cet ordre : {', '.join(KEY_ORDER)}"
    v = dict(pairs)
    if not valid_run_id(v["run_id"]):
        return None, f"run_id « {v['run_id']} » invalide (attendu AAAA-MM- et 12 chiffres hexadécimaux)"
    if v["file"] != v["run_id"] + SUFFIX:
        return None, f"file « {v['file']} » n'est pas « {v['run_id']}{SUFFIX} »"
    if not (isinstance(v["sha256"], str) and _HEX64.fullmatch(v["sha256"])):
        return None, "sha256 n'est pas une empreinte SHA-256 hexadécimale"
    if not (_is_int(v["rows"]) and v["rows"] >= 0 and _is_int(v["payable"])):
        return None, "rows ou payable n'est pas un entier"
    if not (isinstance(v["prev"], str) and (v["prev"] == "" or _HEX64.fullmatch(v["prev"]))):
        return None, "prev n'est ni vide ni une empreinte SHA-256 hexadécimale"
    entry = Entry(**v)
    if entry.line() != raw:
        return None, "ligne non canonique (espaces, échappements ou chiffres réécrits à la main)"
    return entry, ""


@dataclass
class JournalCheck:
    """The journal read and the folder compared with it."""

    ledger_dir: Path
    exists: bool
    entries: list[Entry] = field(default_factory=list)
    head: str = ""                      # hash of the last line; "" for an empty journal
    differences: list[Problem] = field(default_factory=list)
    unlisted: list[Path] = field(default_factory=list)
    checked: set[str] = field(default_factory=set)   # files whose hash matched

    @property
    def valid(self) -> bool:
        return not self.differences


def _read_lines(check: JournalCheck, path: Path) -> list[bytes]:
    try:
        data = path.read_bytes()
    except OSError as exc:
        check.differences.append(Problem(path.name, f"journal illisible ({exc}) : restaurez-le depuis la "
                                         "sauvegarde du registre.", code="journal_unreadable"))
        return []
    if data and not data.endswith(b"\n"):
        n = data.count(b"\n") + 1
        check.differences.append(Problem(path.name, "dernière ligne du journal incomplète (sans fin de "
                                         "ligne) : il a été tronqué ou modifié ; restaurez-le depuis la "
                                         "sauvegarde du registre.", row=n, code="journal_truncated"))
    return data.split(b"\n")[:-1] if data.endswith(b"\n") else data.split(b"\n") if data else []


def _read_entries(check: JournalCheck, path: Path) -> None:
    """Parse every line and follow the hash chain; the head is the last line's hash."""
    prev = ""
    seen: set[str] = set()
    for n, raw in enumerate(_read_lines(check, path), 1):
        entry, why = parse_line(raw)
        if entry is None:
            check.differences.append(Problem(path.name, f"ligne {n} invalide : {why}. Le journal a été "
                                             "modifié : restaurez-le depuis la sauvegarde du registre.",
                                             row=n, code="journal_line_invalid"))
        else:
            if entry.prev != prev:
                check.differences.append(Problem(
                    path.name, f"chaîne rompue à la ligne {n} : « prev » n'est pas l'empreinte de la ligne "
                    "précédente (ligne ajoutée, retirée ou modifiée) ; restaurez le journal depuis la "
                    "sauvegarde du registre.", row=n, column="prev", code="journal_chain_broken"))
            if entry.run_id in seen:
                check.differences.append(Problem(path.name, f"exécution « {entry.run_id} » inscrite deux "
                                                 "fois au journal.", row=n, code="journal_duplicate_run"))
            seen.add(entry.run_id)
            check.entries.append(entry)
        prev = line_hash(raw)
    check.head = prev


def _compare_files(check: JournalCheck) -> None:
    """Every listed file present with its hash; every Parquet file listed."""
    listed = {e.file for e in check.entries}
    present = {p.name: p for p in ledger_files(check.ledger_dir)}
    check.unlisted = [p for name, p in sorted(present.items()) if name not in listed]
    for e in check.entries:
        path = check.ledger_dir / e.file
        if e.file not in present:
            others = sorted(p.name for p in check.ledger_dir.iterdir() if p.name.startswith(e.run_id)
                            and p.name != e.file)
            hint = f" (un fichier « {others[0]} » est là : renommé ?)" if others else ""
            check.differences.append(Problem(
                e.file, f"fichier inscrit au journal introuvable{hint} : remettez-le à sa place sous son "
                f"nom « {e.file} » (ou restaurez-le depuis la sauvegarde du registre). Sans lui, ses "
                f"{e.rows} ligne(s) pourraient être payées deux fois.", value=e.run_id, code="ledger_file_missing"))
            continue
        actual = sha256_file(path)
        if actual != e.sha256:
            check.differences.append(Problem(
                e.file, f"fichier modifié depuis son enregistrement (SHA-256 attendu {e.sha256[:12]}…, trouvé "
                f"{actual[:12]}…) : des lignes ont pu en être retirées ; restaurez-le depuis la sauvegarde "
                "du registre.", value=e.run_id, code="ledger_file_changed"))
        else:
            check.checked.add(e.file)
    for p in check.unlisted:
        check.differences.append(Problem(
            p.name, "fichier Parquet absent du journal : il n'a pas été enregistré par « ramu commit ». "
            "Retirez-le du dossier du registre, ou, si « ramu commit » a été interrompu, relancez-le "
            "pour la même exécution.", code="ledger_file_unlisted"))


def check_journal(ledger_dir: Path) -> JournalCheck:
    """Read ledger.jsonl and compare the folder with it (no journal: every Parquet file is unlisted)."""
    path = ledger_dir / JOURNAL_NAME
    check = JournalCheck(ledger_dir, exists=path.exists())
    if check.exists:
        _read_entries(check, path)
    _compare_files(check)
    return check


def append(ledger_dir: Path, entry: Entry) -> None:
    """Add one line to the journal (under the ledger lock), durably."""
    path = ledger_dir / JOURNAL_NAME
    with open(path, "ab") as fh:
        fh.write(entry.line() + b"\n")
        fh.flush()
        os.fsync(fh.fileno())
    fsync_dir(ledger_dir)


def write_new(ledger_dir: Path, entries: list[Entry]) -> None:
    """A whole new journal (adoption): temporary file, fsync, then moved into place."""
    path = ledger_dir / JOURNAL_NAME
    tmp = ledger_dir / f".{JOURNAL_NAME}.tmp"
    try:
        with open(tmp, "wb") as fh:
            fh.write(b"".join(e.line() + b"\n" for e in entries))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(ledger_dir)


def chained(items: list[tuple[str, str, int, int]], prev: str = "") -> list[Entry]:
    """Journal entries for (run_id, sha256, rows, payable), each chained to the one before."""
    entries = []
    for rid, digest, rows, payable in items:
        entry = Entry(rid, rid + SUFFIX, digest, rows, payable, prev)
        entries.append(entry)
        prev = line_hash(entry.line())
    return entries
