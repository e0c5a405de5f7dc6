"""`ramu verify` of a run folder: every file and total compared with its manifest.

The manifest (manifest.py) says what a run folder held when it was written;
this module re-hashes the outputs and the inputs, recounts the Parquet rows,
recomputes the totals with the command's own `totals()` and checks the run id,
listing every difference in French.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from ramu_cli.errors import Problem
from ramu_cli.french import group_digits
from ramu_cli.liquidation.totals import totals as liquidation_totals
from ramu_cli.manifest import (
    LIQUIDATION_FILE,
    MANIFEST_NAME,
    REMITTANCES_FILE,
    Manifest,
    output_files,
    read_manifest,
    sha256_file,
    valid_run_id,
)
from ramu_cli.remittances.totals import totals as remittance_totals

# The table each command's totals are recomputed from, and the one definition of those totals.
TOTALS_SOURCES: dict[str, tuple[str, Callable[[pl.LazyFrame], dict[str, int]]]] = {
    "liquidate": (LIQUIDATION_FILE, liquidation_totals),
    "remittances": (REMITTANCES_FILE, remittance_totals),
}


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
    manifest: Manifest
    files: list[CheckedFile] = field(default_factory=list)
    totals_checked: list[str] = field(default_factory=list)
    differences: list[Problem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return not self.differences


def _short(digest: str) -> str:
    return f"{digest[:12]}…"


def _num(value: int) -> str:
    return group_digits(value)


def _parquet_rows(report: VerifyReport, name: str, expected: int) -> bool:
    """A table output still has the row count the manifest gives."""
    try:
        found = int(pl.scan_parquet(report.out_dir / name, glob=False).select(pl.len()).collect().item())
    except (pl.exceptions.PolarsError, OSError) as exc:
        report.differences.append(Problem(name, f"fichier Parquet illisible ({exc}) : relancez la "
                                          "commande pour régénérer le dossier.", code="output_unreadable"))
        return False
    if found != expected:
        report.differences.append(Problem(name, f"{_num(found)} ligne(s) au lieu de {_num(expected)} "
                                          "selon le manifeste.", code="row_count_differs"))
        return False
    return True


def _check_outputs(report: VerifyReport, present: set[str]) -> None:
    """Outputs: missing, changed, extra; Parquet row counts."""
    diff = report.differences
    for name, rec in sorted(report.manifest.outputs.items()):
        if name not in present:
            diff.append(Problem(name, "fichier de sortie manquant (inscrit au manifeste) : "
                                "relancez la commande pour régénérer le dossier.", code="output_missing"))
            continue
        actual = sha256_file(report.out_dir / name)
        ok = actual == rec.sha256
        if not ok:
            diff.append(Problem(name, "fichier modifié depuis l'écriture du manifeste (SHA-256 "
                                f"attendu {_short(rec.sha256)}, trouvé {_short(actual)}) : "
                                "ne l'utilisez pas, relancez la commande.", code="output_changed"))
        if name.endswith(".parquet") and rec.rows is not None:
            ok = _parquet_rows(report, name, rec.rows) and ok
        report.files.append(CheckedFile(name, "sortie", actual, rec.rows, ok))
    for name in sorted(present - set(report.manifest.outputs)):
        diff.append(Problem(name, "fichier en trop, absent du manifeste : retirez-le ou "
                            "relancez la commande.", code="output_unexpected"))


def _check_inputs(report: VerifyReport) -> None:
    """Inputs: re-hashed when they still exist; a vanished input is a difference too."""
    for role, rec in sorted(report.manifest.inputs.items()):
        path = Path(rec.path)
        if not path.is_file():
            report.differences.append(Problem(
                str(path), f"fichier d'entrée (rôle « {role} ») introuvable : son empreinte ne "
                "peut pas être vérifiée. Remettez-le à sa place pour vérifier le dossier.", code="input_missing"))
            continue
        actual = sha256_file(path)
        ok = actual == rec.sha256
        if not ok:
            report.differences.append(Problem(
                str(path), f"fichier d'entrée (rôle « {role} ») modifié depuis l'exécution (SHA-256 "
                f"attendu {_short(rec.sha256)}, trouvé {_short(actual)}) : les sorties ne "
                "correspondent plus à ce fichier ; relancez la commande.", code="input_changed"))
        report.files.append(CheckedFile(str(path), "entrée", actual, rec.rows, ok))


def _check_run_id(report: VerifyReport) -> None:
    """A liquidation's run id must be the one its liquidation.parquet gives."""
    manifest = report.manifest
    if manifest.command != "liquidate" or LIQUIDATION_FILE not in manifest.outputs:
        return
    try:
        expected: str | None = manifest.expected_run_id()
    except (KeyError, TypeError):
        expected = None
    if not valid_run_id(manifest.run_id):
        report.differences.append(Problem(
            MANIFEST_NAME, f"identifiant d'exécution « {manifest.run_id} » invalide (attendu AAAA-MM- "
            "suivi de 12 chiffres hexadécimaux minuscules, l'option « month » AAAA-MM) : le manifeste a "
            "été modifié ; relancez la liquidation.", column="run_id", value=str(manifest.run_id),
            code="run_id_invalid"))
    elif manifest.run_id != expected:
        report.differences.append(Problem(
            MANIFEST_NAME, f"identifiant d'exécution « {manifest.run_id} » incohérent (attendu "
            f"« {expected} ») : le manifeste a été modifié ; relancez la commande.", code="run_id_mismatch"))


def _check_ledger_head(report: VerifyReport) -> None:
    """`ledger_head`, when present, is "" or a hex SHA-256 (the ledger journal's last line)."""
    head = report.manifest.ledger_head
    if head is not None and head != "" and not re.fullmatch(r"[0-9a-f]{64}", head):
        report.differences.append(Problem(
            MANIFEST_NAME, f"« ledger_head » invalide (« {head} ») : ni vide ni une empreinte SHA-256 ; "
            "le manifeste a été modifié, relancez la liquidation.", column="ledger_head", value=head,
            code="ledger_head_invalid"))


def _check_totals(report: VerifyReport, present: set[str]) -> None:
    """Totals recomputed from the run's main table, when it is there and readable."""
    source = TOTALS_SOURCES.get(report.manifest.command)
    if source is None or source[0] not in present:
        return
    main, totals = source
    try:
        recomputed = totals(pl.scan_parquet(report.out_dir / main, glob=False))
    except (pl.exceptions.PolarsError, OSError) as exc:
        report.differences.append(Problem(main, f"totaux impossibles à recalculer ({exc}).",
                                          code="totals_unrecomputable"))
        return
    stated = report.manifest.totals
    for key, value in sorted(recomputed.items()):
        if key not in stated:
            continue
        report.totals_checked.append(key)
        if stated[key] != value:
            report.differences.append(Problem(
                MANIFEST_NAME, f"total « {key} » : {_num(stated[key])} selon le manifeste, "
                f"{_num(value)} recalculé sur {main}.", code="total_differs"))


def check_run(out_dir: Path) -> VerifyReport:
    """Compare a run folder with its manifest: outputs, inputs, row counts, run id, totals."""
    report = VerifyReport(out_dir=out_dir, manifest=read_manifest(out_dir))
    present = set(output_files(out_dir))
    _check_outputs(report, present)
    _check_inputs(report)
    _check_run_id(report)
    _check_ledger_head(report)
    _check_totals(report, present)
    return report
