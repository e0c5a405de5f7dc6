"""manifest.json: a run folder's typed, versioned record (`ramu verify` checks it: run_check.py).

Modelled on DVC's `dvc.lock` (every input and output with its SHA-256, so a
run folder can be re-checked later by `ramu verify`) and on dbt's artifacts
(a dataclass tagged with a format version, checked when read): `Manifest` is
what `liquidate` and `remittances` write and what `verify` and `commit` read.
A manifest of a newer format than this program knows stops them (exit 3)
rather than being half understood. A liquidation run gets a stable id
(`run_id`, `YYYY-MM-` and 12 hex digits, checked) that the ledger is keyed on,
and records the head of the ledger journal it was checked against
(`ledger_head`; absent from manifests written before it, which stay readable).

The manifest is deterministic except for `created_at`: the same inputs and
options give the same manifest bytes apart from that one field.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePath
from typing import Any

from ramu_cli import __version__
from ramu_cli.errors import InputError, Problem

MANIFEST_NAME = "manifest.json"
# Format of manifest.json. Raise it when a field changes meaning or disappears
# (adding a command-specific fact does not); teach `Manifest.from_dict` to read
# the older formats, so folders written before stay verifiable.
MANIFEST_VERSION = 1
TOOL = "ramu-cli"
LIQUIDATION_FILE = "liquidation.parquet"
REMITTANCES_FILE = "remittances.parquet"
_CHUNK = 1 << 20
# A liquidation run id: the month, then 12 lower-case hex digits of liquidation.parquet's
# SHA-256. It names a ledger file, so any other shape (a path, "..") is refused.
RUN_ID_PATTERN = re.compile(r"\d{4}-(0[1-9]|1[0-2])-[0-9a-f]{12}")


def valid_run_id(value: object) -> bool:
    """True for `YYYY-MM-` and 12 lower-case hex digits, nothing else (no path, no newline)."""
    return isinstance(value, str) and RUN_ID_PATTERN.fullmatch(value) is not None

# Keys the manifest writes itself; the command-specific facts (`extra`) may not use them.
RESERVED_KEYS = frozenset({"manifest_version", "tool", "tool_version", "command", "created_at",
                           "options", "tariffs_digest", "inputs", "outputs", "totals", "run_id",
                           "ledger_head"})
REQUIRED_KEYS = ("manifest_version", "command", "inputs", "outputs", "totals")

def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks (outputs can be large)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _jsonable(value: Any) -> Any:
    """Options as JSON values: paths as POSIX strings, dates ISO, tuples as lists."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, PurePath):
        return value.as_posix()
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    return value


def output_files(folder: Path) -> list[str]:
    """Every file of a run folder (subfolders too) except the manifest: relative POSIX, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and p.relative_to(folder).as_posix() != MANIFEST_NAME)


def liquidation_run_id(month: str, liquidation_sha256: str) -> str:
    """Stable id of a liquidation run: `<month>-<12 hex of liquidation.parquet's SHA-256>`."""
    return f"{month}-{liquidation_sha256[:12]}"


@dataclass(frozen=True)
class InputRecord:
    path: str          # absolute, POSIX
    sha256: str
    rows: int


@dataclass(frozen=True)
class OutputRecord:
    sha256: str
    rows: int | None   # row count of a table output; None for a document


@dataclass
class Manifest:
    """What a run folder holds and how it was made (manifest.json, format MANIFEST_VERSION)."""

    command: str
    tool_version: str
    created_at: str
    options: dict[str, Any]
    tariffs_digest: str | None
    inputs: dict[str, InputRecord]
    outputs: dict[str, OutputRecord]
    totals: dict[str, int]
    run_id: str | None = None
    # liquidate: hash of the last line of the ledger journal the run was checked against
    # ("" without --ledger or for an empty ledger); None in manifests written before it existed.
    ledger_head: str | None = None
    # Facts of the command, kept at the top level of the JSON (liquidate: anomalies,
    # orders, orders_payable; remittances: as_of, periods, chunks).
    extra: dict[str, Any] = field(default_factory=dict)
    manifest_version: int = MANIFEST_VERSION
    tool: str = TOOL

    def expected_run_id(self) -> str:
        """The run id a liquidation manifest must carry (KeyError/TypeError when it cannot)."""
        return liquidation_run_id(self.options["month"], self.outputs[LIQUIDATION_FILE].sha256)

    def to_dict(self) -> dict[str, Any]:
        """The JSON layout (format 1): every field at the top level, `extra` merged in."""
        data: dict[str, Any] = {
            "manifest_version": self.manifest_version, "tool": self.tool,
            "tool_version": self.tool_version, "command": self.command,
            "created_at": self.created_at, "options": self.options,
            "tariffs_digest": self.tariffs_digest,
            "inputs": {role: {"path": r.path, "sha256": r.sha256, "rows": r.rows}
                       for role, r in self.inputs.items()},
            "outputs": {name: {"sha256": r.sha256, "rows": r.rows} for name, r in self.outputs.items()},
            "totals": self.totals,
        }
        if self.run_id is not None:
            data["run_id"] = self.run_id
        if self.ledger_head is not None:
            data["ledger_head"] = self.ledger_head
        data.update(self.extra)
        return data

    @classmethod
    def from_dict(cls, data: Any, source: Path) -> Manifest:
        """A manifest read from JSON, its format and the types of its fields checked (else exit 3)."""
        missing = [k for k in REQUIRED_KEYS if k not in data] if isinstance(data, dict) else ["(objet JSON)"]
        if missing:
            raise InputError(f"{source} : manifeste incomplet, clé(s) absente(s) : "
                             f"{', '.join(missing)}. Relancez la commande pour le régénérer.")
        _check_version(data, source)
        try:
            return cls(
                command=_typed(data["command"], str), tool_version=_typed(data.get("tool_version", ""), str),
                created_at=_typed(data.get("created_at", ""), str),
                options=_typed(data.get("options", {}), dict),
                tariffs_digest=_typed(data.get("tariffs_digest"), str, none=True),
                inputs={_typed(role, str): InputRecord(_typed(r["path"], str), _typed(r["sha256"], str),
                                                       _typed(r["rows"], int))
                        for role, r in _typed(data["inputs"], dict).items()},
                outputs={_typed(name, str): OutputRecord(_typed(r["sha256"], str), _typed(r["rows"], int, none=True))
                         for name, r in _typed(data["outputs"], dict).items()},
                totals={_typed(k, str): _typed(v, int) for k, v in _typed(data["totals"], dict).items()},
                run_id=_typed(data.get("run_id"), str, none=True),
                ledger_head=_typed(data.get("ledger_head"), str, none=True),
                extra={k: v for k, v in data.items() if k not in RESERVED_KEYS},
                manifest_version=data["manifest_version"], tool=_typed(data.get("tool", TOOL), str))
        except (KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"{source} : manifeste invalide (champ manquant ou de type inattendu : "
                             f"{exc}). Relancez la commande pour le régénérer.") from exc


def _typed(value: Any, kind: type, none: bool = False) -> Any:
    """`value` when it is a `kind` (None allowed if `none`); TypeError otherwise (bools are not ints)."""
    if (value is None and none) or (isinstance(value, kind) and not isinstance(value, bool)):
        return value
    raise TypeError(f"{value!r} n'est pas du type attendu")


def _check_version(data: dict, source: Path) -> None:
    """Formats this program reads: 1 … MANIFEST_VERSION; a newer one is refused, clearly."""
    version = data["manifest_version"]
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise InputError(f"{source} : version de manifeste « {version} » invalide (attendu un entier ≥ 1). "
                         "Relancez la commande pour le régénérer.")
    if version > MANIFEST_VERSION:
        writer = data.get("tool_version") or "plus récente"
        raise InputError(
            f"{source} : manifeste au format {version}, écrit par ramu {writer} ; cette version de ramu "
            f"({__version__}) ne lit que le format {MANIFEST_VERSION} et ne peut pas vérifier ce dossier. "
            "Mettez ramu à jour, puis relancez la commande.",
            [Problem(str(source), f"format de manifeste {version} inconnu", column="manifest_version",
                     value=str(version), code="manifest_version_unsupported")])


def build_manifest(*, command: str, tool_version: str, options: dict, tariffs_digest: str | None,
                   inputs: dict[str, tuple[Path, int]], folder: Path,
                   output_rows: dict[str, int], totals: dict[str, int],
                   extra: dict | None = None, ledger_head: str | None = None) -> Manifest:
    """The manifest of a run folder whose outputs are all written already.

    Input paths are recorded absolute, so `verify` finds them from any
    working directory. `output_rows` gives the row count of table outputs;
    every other file gets `rows: null`.
    """
    files = output_files(folder)
    unknown = sorted(set(output_rows) - set(files))
    if unknown:
        raise ValueError(f"output_rows names files absent from {folder}: {unknown}")
    clash = sorted(RESERVED_KEYS & set(extra or {}))
    if clash:
        raise ValueError(f"extra may not override manifest keys: {clash}")
    manifest = Manifest(
        command=command, tool_version=tool_version,
        created_at=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        options=_jsonable(options), tariffs_digest=tariffs_digest,
        inputs={role: InputRecord(Path(path).resolve().as_posix(), sha256_file(Path(path)), int(rows))
                for role, (path, rows) in sorted(inputs.items())},
        outputs={name: OutputRecord(sha256_file(folder / name),
                                    int(output_rows[name]) if name in output_rows else None)
                 for name in files},
        totals={k: int(v) for k, v in sorted(totals.items())},
        ledger_head=ledger_head, extra=_jsonable(extra or {}))
    if command == "liquidate":
        if LIQUIDATION_FILE not in manifest.outputs:
            raise ValueError(f"a liquidate run needs {LIQUIDATION_FILE} in {folder}")
        manifest.run_id = manifest.expected_run_id()
    return manifest


def write_manifest(manifest: Manifest, folder: Path) -> Path:
    """manifest.json: sorted keys, indent 2, UTF-8, one newline at the end."""
    path = folder / MANIFEST_NAME
    text = json.dumps(manifest.to_dict(), sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    path.write_bytes(text.encode("utf-8"))
    return path


def read_manifest(out_dir: Path) -> Manifest:
    """The manifest of a run folder; a missing folder or an unreadable, invalid or newer manifest is exit 3."""
    if not out_dir.is_dir():
        raise InputError(f"Le dossier « {out_dir} » n'existe pas : indiquez le dossier de "
                         "sortie d'une exécution (celui qui contient manifest.json).")
    path = out_dir / MANIFEST_NAME
    if not path.is_file():
        raise InputError(f"{path} : manifeste introuvable. Ce dossier n'a pas été écrit par "
                         "ramu, ou l'exécution n'est pas allée à son terme : relancez-la.")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} : manifeste illisible ({exc}). Relancez la commande qui a "
                         "produit ce dossier pour le régénérer.") from exc
    return Manifest.from_dict(data, path)
