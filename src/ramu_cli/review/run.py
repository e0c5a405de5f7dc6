"""Opening a liquidation run folder for review: checked against its manifest.

Both `review draw` and `review extrapolate` start from the run folder written
by `ramu liquidate`. The folder must be one (its manifest says `liquidate`), and
its `liquidation.parquet` must be the file the manifest recorded: a review
drawn from a modified table would not be the review of what was paid.

Provider names and act labels are shown to people when the run's own inputs
are still where the manifest says and unchanged; otherwise the codes alone are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from ramu_cli.contract import ACTS, PROVIDERS
from ramu_cli.errors import InputError, Problem
from ramu_cli.io.readers import find_input, scan_table
from ramu_cli.manifest import LIQUIDATION_FILE, MANIFEST_NAME, Manifest, read_manifest, sha256_file

KEY = ("provider_id", "invoice_id", "line_no")
REVIEWED_STATUSES = ("PAID", "REDUCED")
# Columns of liquidation.parquet a review uses (the key, what was paid, what the adviser reads).
LINE_COLUMNS = (*KEY, "row_id", "ogd", "beneficiary_id", "act_code", "service_date", "quantity",
                "unit_price", "billed", "allowed", "payable", "status")


@dataclass
class LiquidationRun:
    """A liquidation run folder whose table matches its manifest."""

    folder: Path
    manifest: Manifest
    parquet: Path
    run_id: str
    month: str
    rows: int
    # Inputs read besides liquidation.parquet (role -> (path, rows)), for the review's manifest.
    extra_inputs: dict[str, tuple[Path, int]] = field(default_factory=dict)

    @property
    def liquidation_date(self) -> date | None:
        value = self.manifest.options.get("liquidation_date")
        return date.fromisoformat(value) if isinstance(value, str) else None

    @property
    def tariffs_folder(self) -> Path | None:
        value = self.manifest.options.get("tariffs")
        return Path(value) if isinstance(value, str) else None


def _not_a_run(folder: Path, why: str) -> InputError:
    return InputError(f"« {folder} » n'est pas le dossier d'une liquidation utilisable : {why}. "
                      "Indiquez le dossier de sortie de « ramu liquidate » (celui qui contient "
                      "liquidation.parquet et manifest.json).",
                      [Problem(str(folder), why, code="not_a_liquidation_run")])


def open_run(folder: Path) -> LiquidationRun:
    """The liquidation run in `folder`; exit 3 when it is not one or was modified."""
    manifest = read_manifest(folder)
    if manifest.command != "liquidate":
        raise _not_a_run(folder, f"son manifeste est celui de la commande « {manifest.command} »")
    parquet = folder / LIQUIDATION_FILE
    record = manifest.outputs.get(LIQUIDATION_FILE)
    if record is None or not parquet.is_file():
        raise _not_a_run(folder, f"{LIQUIDATION_FILE} est absent")
    if sha256_file(parquet) != record.sha256:
        raise InputError(f"{parquet} : le fichier a été modifié depuis la liquidation (son empreinte "
                         f"SHA-256 n'est plus celle de {MANIFEST_NAME}). Le contrôle doit porter sur "
                         "ce qui a été liquidé : relancez « ramu liquidate » ou restaurez le fichier.",
                         [Problem(str(parquet), "empreinte différente de celle du manifeste",
                                  code="liquidation_modified")])
    schema = pl.scan_parquet(parquet, glob=False).collect_schema()
    missing = [c for c in LINE_COLUMNS if c not in schema.names()]
    if missing:
        raise _not_a_run(folder, f"colonne(s) absente(s) de {LIQUIDATION_FILE} : {', '.join(missing)}")
    month = manifest.options.get("month") or ""
    run_id = manifest.run_id or ""
    return LiquidationRun(folder, manifest, parquet, run_id, month, int(record.rows or 0))


def universe(run: LiquidationRun) -> pl.DataFrame:
    """The PAID and REDUCED lines of the run: what a review may examine.

    Their keys are unique in a liquidation (duplicates are rejected, R09); the
    draw refuses a table where two paid lines share a key (found as equal random
    keys, without a pass of its own).
    """
    lines = (pl.scan_parquet(run.parquet, glob=False)
             .filter(pl.col("status").is_in(REVIEWED_STATUSES))
             .select(LINE_COLUMNS).collect())
    if lines.select(pl.any_horizontal(pl.col(KEY).is_null()).any()).item():
        raise InputError(f"{run.parquet} : une ligne payée a une clé incomplète : vérifiez la liquidation.",
                         [Problem(str(run.parquet), "clé incomplète", code="incomplete_line_key")])
    return lines


def _recorded_input(run: LiquidationRun, role: str) -> Path | None:
    """The run's input file for `role` when it is still there, unchanged."""
    record = run.manifest.inputs.get(role)
    if record is None:
        return None
    path = Path(record.path)
    if not path.is_file() or sha256_file(path) != record.sha256:
        return None
    return path


def provider_details(run: LiquidationRun) -> pl.DataFrame:
    """provider_id, provider_name, level, region from the run's providers file (or no rows)."""
    empty = pl.DataFrame(schema={"provider_id": pl.String, "provider_name": pl.String,
                                 "level": pl.String, "region": pl.String})
    path = _recorded_input(run, "providers")
    if path is None:
        return empty
    try:
        typed = scan_table(path, PROVIDERS).typed().filter(~pl.col("cell_fault")).collect()
    except (InputError, pl.exceptions.PolarsError):
        return empty
    run.extra_inputs["providers"] = (path, typed.height)
    return (typed.select("provider_id", pl.col("name").alias("provider_name"), "level", "region")
            .unique("provider_id", keep="first", maintain_order=True))


def act_labels(run: LiquidationRun) -> pl.DataFrame:
    """act_code, act_label (the latest label) from the run's tariff folder, when unchanged."""
    empty = pl.DataFrame(schema={"act_code": pl.String, "act_label": pl.String})
    folder = run.tariffs_folder
    if folder is None or not folder.is_dir():
        return empty
    from ramu_cli.tariffs import POLICY_FILE, folder_digest
    try:
        files = [find_input(folder, role) for role in ("acts", "prices", "coverage")]
        paths = [p for p in files if p is not None] + [folder / POLICY_FILE]
        if len(paths) != 4 or folder_digest(paths) != run.manifest.tariffs_digest:
            return empty
        acts = scan_table(paths[0], ACTS).typed().filter(~pl.col("cell_fault")).collect()
    except (InputError, OSError, pl.exceptions.PolarsError):
        return empty
    run.extra_inputs["acts"] = (paths[0], acts.height)
    return (acts.sort("act_code", "valid_from", "row_id")
            .group_by("act_code", maintain_order=True).agg(pl.col("label").last().alias("act_label")))
