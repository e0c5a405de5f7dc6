"""The manifest of a run folder: checksums, row counts, totals — and `verify`.

Modelled on DVC's `dvc.lock`: every input and every output is recorded with
its SHA-256, so a run folder can be re-checked later (`ramu verify`) and a
liquidation run gets a stable id (`run_id`) that the ledger is keyed on.

The manifest is deterministic except for `created_at`: the same inputs and
options give the same manifest bytes apart from that one field.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path, PurePath
from typing import Any

import polars as pl

from ramu_cli.documents.french import group_digits
from ramu_cli.errors import InputError, Problem

MANIFEST_NAME = "manifest.json"
MANIFEST_VERSION = 1
TOOL = "ramu-cli"
LIQUIDATION_FILE = "liquidation.parquet"
REMITTANCES_FILE = "remittances.parquet"
_CHUNK = 1 << 20

# Keys build_manifest writes itself; `extra` may not override them.
RESERVED_KEYS = frozenset({"manifest_version", "tool", "tool_version", "command", "created_at",
                           "options", "tariffs_digest", "inputs", "outputs", "totals", "run_id"})

# Totals recomputed from a run's main table, per command (only keys present in
# the manifest are compared).
LIQUIDATION_SUMS = ("billed", "allowed", "payable", "copay", "disallowed")
LIQUIDATION_COUNTS = {"paid": "PAID", "reduced": "REDUCED", "rejected": "REJECTED"}
REMITTANCE_SUMS = ("due", "collected", "remitted", "outstanding", "excess", "penalty")


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


def _output_files(folder: Path) -> list[str]:
    """Every file of a run folder (subfolders too) except the manifest: relative POSIX, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and p.relative_to(folder).as_posix() != MANIFEST_NAME)


def liquidation_run_id(month: str, liquidation_sha256: str) -> str:
    """Stable id of a liquidation run: `<month>-<12 hex of liquidation.parquet's SHA-256>`."""
    return f"{month}-{liquidation_sha256[:12]}"


def run_id(manifest: dict) -> str:
    """The run id a liquidation manifest should carry."""
    return liquidation_run_id(manifest["options"]["month"], manifest["outputs"][LIQUIDATION_FILE]["sha256"])


def build_manifest(*, command: str, tool_version: str, options: dict, tariffs_digest: str | None,
                   inputs: dict[str, tuple[Path, int]], folder: Path,
                   output_rows: dict[str, int], totals: dict[str, int],
                   extra: dict | None = None) -> dict:
    """The manifest of a run folder whose outputs are all written already.

    Input paths are recorded absolute, so `verify` finds them from any
    working directory. `output_rows` gives the row count of table outputs;
    every other file gets `rows: null`.
    """
    files = _output_files(folder)
    unknown = sorted(set(output_rows) - set(files))
    if unknown:
        raise ValueError(f"output_rows names files absent from {folder}: {unknown}")
    clash = sorted(RESERVED_KEYS & set(extra or {}))
    if clash:
        raise ValueError(f"extra may not override manifest keys: {clash}")
    manifest: dict[str, Any] = {
        "manifest_version": MANIFEST_VERSION,
        "tool": TOOL,
        "tool_version": tool_version,
        "command": command,
        "created_at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "options": _jsonable(options),
        "tariffs_digest": tariffs_digest,
        "inputs": {
            role: {"path": Path(path).resolve().as_posix(), "sha256": sha256_file(Path(path)),
                   "rows": int(rows)}
            for role, (path, rows) in sorted(inputs.items())
        },
        "outputs": {
            name: {"sha256": sha256_file(folder / name),
                   "rows": int(output_rows[name]) if name in output_rows else None}
            for name in files
        },
        "totals": {k: int(v) for k, v in sorted(totals.items())},
    }
    if command == "liquidate":
        if LIQUIDATION_FILE not in manifest["outputs"]:
            raise ValueError(f"a liquidate run needs {LIQUIDATION_FILE} in {folder}")
        manifest["run_id"] = run_id(manifest)
    manifest.update(_jsonable(extra or {}))
    return manifest


def write_manifest(manifest: dict, folder: Path) -> Path:
    """manifest.json: sorted keys, indent 2, UTF-8, one newline at the end."""
    path = folder / MANIFEST_NAME
    text = json.dumps(manifest, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    path.write_bytes(text.encode("utf-8"))
    return path


def read_manifest(out_dir: Path) -> dict:
    """The manifest of a run folder; a missing folder or an unreadable manifest is exit 3."""
    if not out_dir.is_dir():
        raise InputError(f"Le dossier « {out_dir} » n'existe pas : indiquez le dossier de "
                         "sortie d'une exécution (celui qui contient manifest.json).")
    path = out_dir / MANIFEST_NAME
    if not path.is_file():
        raise InputError(f"{path} : manifeste introuvable. Ce dossier n'a pas été écrit par "
                         "ramu, ou l'exécution n'est pas allée à son terme : relancez-la.")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} : manifeste illisible ({exc}). Relancez la commande qui a "
                         "produit ce dossier pour le régénérer.") from exc
    missing = [k for k in ("command", "inputs", "outputs", "totals") if k not in manifest] \
        if isinstance(manifest, dict) else ["(objet JSON)"]
    if missing:
        raise InputError(f"{path} : manifeste incomplet, clé(s) absente(s) : "
                         f"{', '.join(missing)}. Relancez la commande pour le régénérer.")
    return manifest


@dataclass
class CheckedFile:
    """One file compared with the manifest."""

    name: str
    kind: str            # "sortie" or "entrée"
    sha256: str
    rows: int | None
    ok: bool

    def as_dict(self) -> dict:
        return {"file": self.name, "kind": self.kind, "sha256": self.sha256,
                "rows": self.rows, "ok": self.ok}


@dataclass
class VerifyReport:
    """What `verify` found: every file checked and every difference (French)."""

    out_dir: Path
    manifest: dict
    files: list[CheckedFile] = field(default_factory=list)
    totals_checked: list[str] = field(default_factory=list)
    differences: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.differences


def _short(digest: str) -> str:
    return f"{digest[:12]}…"


def _recomputed_totals(command: str, out_dir: Path) -> dict[str, int] | None:
    """Totals recomputed from the run's main table; None when there is nothing to recompute."""
    if command == "liquidate":
        lf = pl.scan_parquet(out_dir / LIQUIDATION_FILE, glob=False)
        exprs = [pl.len().alias("lines")]
        exprs += [pl.col(c).sum().alias(c) for c in LIQUIDATION_SUMS]
        exprs += [(pl.col("status") == s).sum().alias(k) for k, s in LIQUIDATION_COUNTS.items()]
        # Written by `liquidate` too: what free-care programmes bear.
        exprs.append(pl.col("payable").filter(pl.col("funder") == "FREE_CARE").sum()
                     .alias("payable_free_care"))
    elif command == "remittances":
        lf = pl.scan_parquet(out_dir / REMITTANCES_FILE, glob=False)
        exprs = [pl.col(c).sum().alias(c) for c in REMITTANCE_SUMS]
    else:
        return None
    row = lf.select(exprs).collect().row(0, named=True)
    return {k: int(v or 0) for k, v in row.items()}


def check_run(out_dir: Path) -> VerifyReport:
    """Compare a run folder with its manifest: outputs, inputs, row counts, totals."""
    manifest = read_manifest(out_dir)
    report = VerifyReport(out_dir=out_dir, manifest=manifest)
    diff = report.differences
    outputs: dict[str, dict] = manifest["outputs"]

    # Outputs: missing, changed, extra; Parquet row counts.
    present = set(_output_files(out_dir))
    for name, rec in sorted(outputs.items()):
        path = out_dir / name
        if name not in present:
            diff.append(Problem(name, "fichier de sortie manquant (inscrit au manifeste) : "
                                "relancez la commande pour régénérer le dossier."))
            continue
        actual = sha256_file(path)
        ok = actual == rec.get("sha256")
        if not ok:
            diff.append(Problem(name, "fichier modifié depuis l'écriture du manifeste (SHA-256 "
                                f"attendu {_short(str(rec.get('sha256')))}, trouvé "
                                f"{_short(actual)}) : ne l'utilisez pas, relancez la commande."))
        rows = rec.get("rows")
        if name.endswith(".parquet") and rows is not None:
            try:
                found = int(pl.scan_parquet(path, glob=False).select(pl.len()).collect().item())
            except (pl.exceptions.PolarsError, OSError) as exc:
                ok = False
                diff.append(Problem(name, f"fichier Parquet illisible ({exc}) : relancez la "
                                    "commande pour régénérer le dossier."))
            else:
                if found != rows:
                    ok = False
                    diff.append(Problem(name, f"{group_digits(found)} ligne(s) au lieu de "
                                        f"{group_digits(rows)} selon le manifeste."))
        report.files.append(CheckedFile(name, "sortie", actual, rows, ok))
    for name in sorted(present - set(outputs)):
        diff.append(Problem(name, "fichier en trop, absent du manifeste : retirez-le ou "
                            "relancez la commande."))

    # Inputs: re-hashed when they still exist; a vanished input is a difference too.
    for role, rec in sorted(manifest["inputs"].items()):
        path = Path(rec["path"])
        if not path.is_file():
            diff.append(Problem(str(path), f"fichier d'entrée (rôle « {role} ») introuvable : "
                                "son empreinte ne peut pas être vérifiée. Remettez-le à sa "
                                "place pour vérifier le dossier."))
            continue
        actual = sha256_file(path)
        ok = actual == rec.get("sha256")
        if not ok:
            diff.append(Problem(str(path), f"fichier d'entrée (rôle « {role} ») modifié depuis "
                                f"l'exécution (SHA-256 attendu {_short(str(rec.get('sha256')))}"
                                f", trouvé {_short(actual)}) : les sorties ne correspondent plus "
                                "à ce fichier ; relancez la commande."))
        report.files.append(CheckedFile(str(path), "entrée", actual, rec.get("rows"), ok))

    # Run id: must be the one its liquidation.parquet gives.
    command = manifest["command"]
    if command == "liquidate" and LIQUIDATION_FILE in outputs:
        try:
            expected = run_id(manifest)
        except (KeyError, TypeError):
            expected = None
        if manifest.get("run_id") != expected:
            diff.append(Problem(MANIFEST_NAME, f"identifiant d'exécution « {manifest.get('run_id')}"
                                f" » incohérent (attendu « {expected} ») : le manifeste a été "
                                "modifié ; relancez la commande."))

    # Totals: recomputed from the main table, when it is there and readable.
    main = {"liquidate": LIQUIDATION_FILE, "remittances": REMITTANCES_FILE}.get(command)
    if main is not None and main in present:
        try:
            recomputed = _recomputed_totals(command, out_dir)
        except (pl.exceptions.PolarsError, OSError) as exc:
            diff.append(Problem(main, f"totaux impossibles à recalculer ({exc})."))
            recomputed = None
        for key, value in sorted((recomputed or {}).items()):
            if key not in manifest["totals"]:
                continue
            report.totals_checked.append(key)
            stated = manifest["totals"][key]
            if stated != value:
                diff.append(Problem(MANIFEST_NAME, f"total « {key} » : {_num(stated)} selon le "
                                    f"manifeste, {_num(value)} recalculé sur {main}."))
    return report


def _num(value: object) -> str:
    return group_digits(value) if isinstance(value, int) and not isinstance(value, bool) \
        else repr(value)


def verify_run(out_dir: Path) -> list[str]:
    """French descriptions of every difference between a run folder and its manifest; [] when all match."""
    return [str(p) for p in check_run(out_dir).differences]
