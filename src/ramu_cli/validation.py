"""Checking a whole batch folder and a tariff folder without writing anything.

Each file gets a status: VALID (no fault), USABLE (faulty rows that the
liquidation sets aside: R14 invoice lines, registry and authorization
anomalies) or INVALID
(the file cannot be used: unreadable, a column missing, or a contribution or
remittance row that would stop the audit). Only INVALID makes `validate` fail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from ramu_cli.contract import BATCH_TABLES, INVOICES, OPTIONAL_ROLES
from ramu_cli.errors import InputError, Problem
from ramu_cli.io.readers import TableScan, collect_problems, find_input, scan_table
from ramu_cli.liquidation.authorizations import load_authorizations
from ramu_cli.liquidation.registry import usable_beneficiaries, usable_providers
from ramu_cli.rules.duplicates import LINE_KEY, repeated_line_key
from ramu_cli.tariffs import coverage_gaps, load_tariffs

# Roles whose faulty rows are set aside by liquidation rather than stopping it.
TOLERANT_ROLES = ("beneficiaries", "providers", "invoices", "authorizations")
SHOWN_PROBLEMS = 100


@dataclass
class FileReport:
    role: str
    path: str | None
    rows: int | None
    status: str                       # VALID, USABLE, INVALID, ABSENT
    error_count: int = 0
    problems: list[Problem] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"role": self.role, "path": self.path, "rows": self.rows, "status": self.status,
                "errors": self.error_count, "problems": [p.as_dict() for p in self.problems]}


# The files each command needs: `validate` says a batch is usable only when a command that
# has some of its files present would run on it (it agrees with `liquidate` and `remittances`).
COMMAND_ROLES = {"liquidate": ("beneficiaries", "providers", "invoices"),
                 "remittances": ("contributions", "remittances")}


@dataclass
class ValidationReport:
    files: list[FileReport]

    def ready(self, command: str) -> bool:
        """Would `command` run on this batch: all its files usable and the tariff folder too."""
        by_role = {f.role: f for f in self.files}
        return all(by_role[r].status in ("VALID", "USABLE") for r in (*COMMAND_ROLES[command], "tariffs")) \
            and all(f.status != "INVALID" for f in self.files if f.role in OPTIONAL_ROLES)

    @property
    def valid(self) -> bool:
        return all(f.status != "INVALID" for f in self.files) and any(self.ready(c) for c in COMMAND_ROLES)

    def as_dict(self) -> dict:
        return {"valid": self.valid, "ready": {c: self.ready(c) for c in COMMAND_ROLES},
                "files": [f.as_dict() for f in self.files]}


def _invoice_problems(scan: TableScan) -> list[Problem]:
    repeated = (scan.typed().with_columns(rep=repeated_line_key()).filter(pl.col("rep"))
                .select("row_id", *LINE_KEY).collect())
    return [Problem(scan.label, "clé de ligne (prestataire, facture, ligne) déjà utilisée plus haut : "
                    "ligne rejetée (R14)", column="line_no", row=r["row_id"], value=str(r["line_no"]),
                    code="repeated_line_key")
            for r in repeated.iter_rows(named=True)]


def _row_problems(role: str, scan: TableScan, today: date) -> list[Problem]:
    """Every fault of a file's rows, cell by cell and across rows."""
    if role == "beneficiaries":
        return _anomaly_problems(usable_beneficiaries(scan, today)[1])
    if role == "providers":
        return _anomaly_problems(usable_providers(scan)[1])
    if role == "authorizations":
        return _anomaly_problems(load_authorizations(scan)[1])
    problems = collect_problems(scan)
    if role == "invoices":
        problems += _invoice_problems(scan)
    else:
        from ramu_cli.remittances.input import cross_row_problems
        problems += cross_row_problems(role, scan)
    return sorted(problems, key=lambda p: (p.row or 0, p.column or ""))


def _anomaly_problems(anomalies: pl.DataFrame) -> list[Problem]:
    return [Problem(r["file"], r["message"], column=r["column"], row=r["row"], value=r["value"], code=r["code"])
            for r in anomalies.iter_rows(named=True)]


def check_file(batch_dir: Path, role: str, today: date) -> FileReport:
    try:
        path = find_input(batch_dir, role, required=False)
        if path is None:
            return FileReport(role, None, None, "ABSENT")
        scan = scan_table(path, BATCH_TABLES[role])
        rows = scan.raw.select(pl.len()).collect().item()
        problems = _row_problems(role, scan, today)
    except InputError as exc:
        problems = exc.problems or [Problem(str(batch_dir), exc.message, code="unusable_file")]
        return FileReport(role, problems[0].file, None, "INVALID", len(problems), problems[:SHOWN_PROBLEMS])
    except pl.exceptions.PolarsError as exc:
        problem = Problem(str(path), f"fichier illisible ({exc})", code="unreadable_file")
        return FileReport(role, str(path), None, "INVALID", 1, [problem])
    status = "VALID" if not problems else "USABLE" if role in TOLERANT_ROLES else "INVALID"
    return FileReport(role, str(path), rows, status, len(problems), problems[:SHOWN_PROBLEMS])


def check_tariffs(folder: Path) -> FileReport:
    try:
        tariffs = load_tariffs(folder)
    except InputError as exc:
        problems = exc.problems or [Problem(str(folder), exc.message, code="unusable_tariffs")]
        return FileReport("tariffs", str(folder), None, "INVALID", len(problems), problems[:SHOWN_PROBLEMS])
    # A coverage gap stops a liquidation only for a line that needs the rate.
    gaps = coverage_gaps(tariffs)
    return FileReport("tariffs", str(folder), None, "USABLE" if gaps else "VALID", len(gaps), gaps)


def validate_batch(batch_dir: Path, tariffs: Path, today: date) -> ValidationReport:
    if not batch_dir.is_dir():
        raise InputError(f"Le dossier du lot « {batch_dir} » n'existe pas.")
    reports = [check_file(batch_dir, role, today) for role in BATCH_TABLES]
    # An optional file (authorizations) is reported only when the batch has one.
    reports = [r for r in reports if not (r.role in OPTIONAL_ROLES and r.status == "ABSENT")]
    _missing_in_a_started_set(reports, batch_dir)
    reports.append(check_tariffs(tariffs))
    report = ValidationReport(reports)
    if report.ready("liquidate") and reports[-1].status == "USABLE":
        _gaps_a_line_needs(report, batch_dir, tariffs, today)
    return report


def _missing_in_a_started_set(reports: list[FileReport], batch_dir: Path) -> None:
    """A file missing beside the other files of its command (invoices beside beneficiaries and
    providers) stops that command: INVALID, not ABSENT."""
    by_role = {r.role: r for r in reports}
    for command, roles in COMMAND_ROLES.items():
        present = [r for r in roles if by_role[r].status != "ABSENT"]
        for role in roles if present else ():
            if by_role[role].status == "ABSENT":
                by_role[role].status, by_role[role].error_count = "INVALID", 1
                by_role[role].problems = [Problem(
                    str(batch_dir), f"fichier « {role} » absent : « ramu {command} » a besoin de "
                    f"{', '.join(roles)} ; ajoutez-le (.parquet, .csv ou .xlsx) au dossier du lot.",
                    code="missing_file")]


def _gaps_a_line_needs(report: ValidationReport, batch_dir: Path, tariffs: Path, today: date) -> None:
    """A coverage gap stops `liquidate` when a line with no R code needs the rate: run the
    decisions (nothing written) to know, and mark the tariff folder INVALID when one does."""
    from ramu_cli.io.parts import work_folder
    from ramu_cli.liquidation.pipeline import liquidate
    from ramu_cli.liquidation.registry import load_registry

    scans = {role: scan_table(find_input(batch_dir, role), BATCH_TABLES[role])
             for role in COMMAND_ROLES["liquidate"]}
    registry = load_registry(scans["beneficiaries"], scans["providers"], today)
    try:
        with work_folder() as work:
            liquidate(scans["invoices"], registry, load_tariffs(tariffs), None, today, work=work)
    except InputError as exc:
        tariff_report = report.files[-1]
        tariff_report.status = "INVALID"
        tariff_report.problems = (exc.problems + tariff_report.problems)[:SHOWN_PROBLEMS]
        tariff_report.error_count += len(exc.problems)


__all__ = ["INVOICES", "FileReport", "ValidationReport", "validate_batch"]
