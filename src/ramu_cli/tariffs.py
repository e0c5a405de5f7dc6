"""The tariff folder: nomenclature, prices, coverage rates and policy.

Loaded whole (it is small), checked strictly, and fingerprinted so a manifest
can say which tariffs a run used. Any fault makes the folder unusable: the
command stops with exit 3, listing every problem found.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path

import polars as pl

from ramu_cli.contract import ACTS, CARE_TYPES, COVERAGE, LEVELS, OGDS, PRICES, Table
from ramu_cli.errors import InputError, Problem
from ramu_cli.io.readers import collect_problems, find_input, scan_table
from ramu_cli.schemas import schema_problems, table_schema
from ramu_cli.signals.thresholds import SignalThresholds, thresholds_from_policy

POLICY_FILE = "policy.toml"
# Days from liquidation to payment when policy.toml has no [payment] due_days:
# the conventions' figures, 15 days for pharmacies and 30 for everyone else.
DEFAULT_DUE_DAYS = {level: (15 if level == "PHARMACY" else 30) for level in LEVELS}
# Days a provider has to contest a decision when policy.toml has no [payment] contest_days.
DEFAULT_CONTEST_DAYS = 30


def default_tariff_folder() -> Path:
    """The shipped tariffs: inside the installed package, or at the repository root."""
    here = Path(__file__).resolve().parent
    packaged = here / "_tariffs"
    return packaged if packaged.is_dir() else here.parent.parent / "tariffs"


@dataclass(frozen=True)
class Policy:
    """Every number that comes from law or practice (policy.toml)."""

    child_age_limit: int
    student_age_limit: int
    submission_deadline_days: int
    referral_required_ogds: tuple[str, ...]
    referral_levels: tuple[str, ...]
    remittance_deadline_days: int
    penalty_initial_bp: int
    penalty_monthly_bp: int
    payment_due_days: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_DUE_DAYS))
    contest_days: int = DEFAULT_CONTEST_DAYS
    signals: SignalThresholds = field(default_factory=SignalThresholds)  # optional [signals] section


@dataclass
class Tariffs:
    folder: Path
    acts: pl.DataFrame
    prices: pl.DataFrame
    coverage: pl.DataFrame
    policy: Policy
    digest: str
    files: list[Path]          # acts, prices, coverage, policy: the files the digest covers

    @property
    def coverage_file(self) -> Path:
        return self.files[2]


def percent_to_bp(value: object, key: str, source: str = POLICY_FILE) -> int:
    """A policy percent (at most two decimals) as integer basis points: 1.5 → 150."""
    try:
        dec = Decimal(str(value))
    except InvalidOperation:
        dec = None
    if dec is None or isinstance(value, bool) or not dec.is_finite() or dec < 0:
        raise InputError(f"{source} : « {key} » doit être un pourcentage positif (par exemple 1.5), "
                         f"pas « {value} ».",
                         [Problem(source, "pourcentage invalide", column=key, code="invalid_percent")])
    bp = dec * 100
    if bp != bp.to_integral_value():
        raise InputError(f"{source} : « {key} » = {value} a plus de deux décimales ; "
                         "arrondissez-le au centième de pour cent.",
                         [Problem(source, "plus de deux décimales", column=key, value=str(value),
                                  code="too_many_decimals")])
    return int(bp)


# Every key policy.toml may hold: section → key → (kind, low, high). Kinds: "int" (days,
# ages), "percent" (int or decimal), "levels" (a table level → days), "ogds"/"levels_list"
# (lists of codes), "number" (int or decimal), "names" (checked by the module reading it).
# A key not listed here is a typo (`contest_day`) and makes the folder invalid: a silently
# ignored key would leave the default in force while the officer believes it changed.
MAX_DAYS = 3650
POLICY_KEYS: dict[str, dict[str, tuple[str, float, float]]] = {
    "eligibility": {"child_age_limit": ("int", 0, 150), "student_age_limit": ("int", 0, 150)},
    "liquidation": {"submission_deadline_days": ("int", 0, MAX_DAYS),
                    "referral_required_ogds": ("ogds", 0, 0), "referral_levels": ("levels_list", 0, 0)},
    "remittance": {"deadline_days": ("int", 0, MAX_DAYS),
                   "penalty_initial_percent": ("percent", 0, 100),
                   "penalty_monthly_percent": ("percent", 0, 100)},
    "payment": {"due_days": ("levels", 0, MAX_DAYS), "contest_days": ("int", 0, MAX_DAYS)},
    # Read (and range-checked) by review/policy.py and signals/thresholds.py.
    "review": {"recovery_due_days": ("int", 0, MAX_DAYS)},
    "signals": {k: ("number", 0, 10**9) for k in ("z_threshold", "min_peer_lines", "min_peers",
                                                 "beneficiary_providers", "beneficiary_lines")},
}
REQUIRED_KEYS = {"eligibility": ("child_age_limit", "student_age_limit"),
                 "liquidation": ("submission_deadline_days", "referral_required_ogds", "referral_levels"),
                 "remittance": ("deadline_days", "penalty_initial_percent", "penalty_monthly_percent")}


def _policy_fault(source: str, name: str, message: str, code: str, value: object = None,
                  short: str | None = None) -> InputError:
    shown = None if value is None else str(value)
    return InputError(f"{source} : « {name} » {message}",
                      [Problem(source, short or message, column=name, value=shown, code=code)])


def _check_number(source: str, name: str, value: object, kind: str, low: float, high: float) -> None:
    is_int = isinstance(value, int) and not isinstance(value, bool)
    ok_type = is_int or (kind in ("percent", "number") and isinstance(value, float) and not isinstance(value, bool))
    if not ok_type:
        what = "un nombre entier" if kind == "int" or kind == "levels" else "un nombre"
        raise _policy_fault(source, name, f"doit être {what}, pas « {value!r} » : corrigez la valeur.",
                            "policy_wrong_type", value)
    if not low <= value <= high:  # type: ignore[operator]
        raise _policy_fault(source, name, f"= {value} est hors de l'intervalle autorisé ({low:g} à {high:g}) : "
                            "corrigez la valeur.", "policy_out_of_range", value)


def _check_codes(source: str, name: str, value: object, allowed: tuple[str, ...]) -> None:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _policy_fault(source, name, f"doit être une liste de codes entre guillemets, pas « {value!r} ».",
                            "policy_wrong_type", value)
    unknown = [v for v in value if v.upper() not in allowed]
    if unknown:
        raise _policy_fault(source, name, f"contient des codes inconnus ({', '.join(unknown)}) ; codes "
                            f"possibles : {', '.join(allowed)}.", "unknown_value", ", ".join(unknown))


def _check_key(source: str, section: str, key: str, value: object) -> None:
    kind, low, high = POLICY_KEYS[section][key]
    name = f"[{section}] {key}"
    if kind == "ogds":
        _check_codes(source, name, value, tuple(OGDS))
    elif kind == "levels_list":
        _check_codes(source, name, value, tuple(LEVELS))
    elif kind == "levels":
        if not isinstance(value, dict):
            raise _policy_fault(source, name, "doit être une table niveau = jours, par exemple "
                                "« { CSCOM = 30, PHARMACY = 15 } ».", "policy_wrong_type", value)
        for level, days in value.items():
            if level.upper() not in LEVELS:
                raise _policy_fault(source, f"{name}.{level}", f"n'est pas un niveau connu ({', '.join(LEVELS)}).",
                                    "unknown_value", level)
            _check_number(source, f"{name}.{level}", days, "int", low, high)
    elif kind in ("int", "percent", "number") and section != "signals":
        _check_number(source, name, value, kind, low, high)


def check_policy_document(doc: dict, source: str) -> None:
    """Refuse (exit 3, naming the key) an unknown section or key, a wrong type, a value out of range."""
    for section, body in doc.items():
        if section not in POLICY_KEYS:
            raise _policy_fault(source, f"[{section}]", f"n'est pas une section connue ({', '.join(POLICY_KEYS)}) : "
                                "corrigez son nom ou retirez-la.", "unknown_policy_key")
        if not isinstance(body, dict):
            raise _policy_fault(source, f"[{section}]", "doit être une section [nom] suivie de ses clés.",
                                "policy_wrong_type", body)
        for key, value in body.items():
            if key not in POLICY_KEYS[section]:
                raise _policy_fault(source, f"[{section}] {key}", "est une clé inconnue (faute de frappe ?) ; "
                                    f"clés possibles : {', '.join(POLICY_KEYS[section])}.", "unknown_policy_key")
            _check_key(source, section, key, value)
    for section, keys in REQUIRED_KEYS.items():
        for key in keys:
            if key not in doc.get(section, {}):
                raise _policy_fault(source, f"[{section}] {key}", "est une clé obligatoire absente ; ajoutez-la "
                                    "(voir tariffs/policy.toml livré).", "missing_key", short="clé absente")


def load_policy(path: Path) -> Policy:
    source = str(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise InputError(f"{path} : fichier de politique introuvable dans le dossier des tarifs.",
                         [Problem(source, "fichier manquant", code="missing_file")]) from exc
    except IsADirectoryError as exc:
        raise InputError(f"{path} est un dossier, pas le fichier de politique : remplacez-le par le "
                         "fichier policy.toml.", [Problem(source, "dossier au lieu d'un fichier",
                                                          code="not_a_file")]) from exc
    except OSError as exc:
        raise InputError(f"{path} : lecture impossible ({exc.strerror or exc}).",
                         [Problem(source, "fichier illisible", code="unreadable_file")]) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} : fichier TOML illisible ({exc}).",
                         [Problem(source, "fichier illisible", code="unreadable_file")]) from exc
    check_policy_document(doc, source)
    due = dict(DEFAULT_DUE_DAYS)
    due.update({level.upper(): days for level, days in doc.get("payment", {}).get("due_days", {}).items()})
    el, liq, rem = doc["eligibility"], doc["liquidation"], doc["remittance"]
    return Policy(
        child_age_limit=el["child_age_limit"],
        student_age_limit=el["student_age_limit"],
        submission_deadline_days=liq["submission_deadline_days"],
        referral_required_ogds=tuple(v.upper() for v in liq["referral_required_ogds"]),
        referral_levels=tuple(v.upper() for v in liq["referral_levels"]),
        remittance_deadline_days=rem["deadline_days"],
        penalty_initial_bp=percent_to_bp(rem["penalty_initial_percent"], "[remittance] penalty_initial_percent",
                                         source),
        penalty_monthly_bp=percent_to_bp(rem["penalty_monthly_percent"], "[remittance] penalty_monthly_percent",
                                         source),
        payment_due_days=due,
        contest_days=doc.get("payment", {}).get("contest_days", DEFAULT_CONTEST_DAYS),
        signals=thresholds_from_policy(doc, source),
    )


def _read_tariff_table(folder: Path, table: Table) -> tuple[Path, pl.DataFrame, list[Problem]]:
    path = find_input(folder, table.role)
    scan = scan_table(path, table)
    problems = collect_problems(scan)
    df = scan.typed().drop("cell_fault").collect()
    if not problems:
        problems = schema_problems(df, table_schema(table), str(path))
    return path, df, problems


def _overlaps(df: pl.DataFrame, key: list[str], source: str) -> list[Problem]:
    """Rows of one key whose validity periods overlap, or that end before they start."""
    problems = []
    backwards = df.filter(pl.col("valid_to") < pl.col("valid_from"))
    for r in backwards.iter_rows(named=True):
        problems.append(Problem(source, "fin de validité antérieure au début", column="valid_to",
                                row=r["row_id"], value=str(r["valid_to"]), code="validity_ends_before_start"))
    ordered = df.sort([*key, "valid_from", "row_id"]).with_columns(
        prev_to=pl.col("valid_to").shift(1).over(key),
        prev_open=(pl.col("valid_to").shift(1).over(key).is_null()
                   & pl.col("row_id").shift(1).over(key).is_not_null()),
        prev_row=pl.col("row_id").shift(1).over(key))
    clash = ordered.filter(pl.col("prev_open") | (pl.col("valid_from") <= pl.col("prev_to")))
    for r in clash.iter_rows(named=True):
        what = " / ".join(str(r[k]) for k in key)
        problems.append(Problem(source, f"période de validité qui chevauche celle de la ligne "
                                f"{r['prev_row']} pour {what}", column="valid_from",
                                row=r["row_id"], value=str(r["valid_from"]), code="overlapping_validity"))
    return problems


def coverage_gaps(tariffs: Tariffs) -> list[Problem]:
    """Periods where an OGD × care type has no rate (reported by `validate`).

    Not an error of the folder by itself: the rulebook stops a liquidation only
    when a line needs the missing rate (liquidation.py says which).
    """
    return _coverage_gaps(tariffs.coverage, str(tariffs.coverage_file))


def _coverage_gaps(coverage: pl.DataFrame, source: str) -> list[Problem]:
    """Every OGD × care type should have a rate with no hole between its periods."""
    problems = []
    for ogd in OGDS:
        for care in CARE_TYPES:
            rows = coverage.filter((pl.col("ogd") == ogd) & (pl.col("care_type") == care)).sort("valid_from")
            if rows.is_empty():
                problems.append(Problem(source, f"aucun taux pour {ogd} × {care}", column="rate_percent",
                                        code="coverage_gap"))
                continue
            ends = rows["valid_to"].to_list()
            starts = rows["valid_from"].to_list()
            for prev_end, start in zip(ends[:-1], starts[1:], strict=True):
                if prev_end is not None and (start - prev_end).days > 1:
                    problems.append(Problem(source, f"aucun taux pour {ogd} × {care} entre le "
                                            f"{prev_end:%d/%m/%Y} et le {start:%d/%m/%Y}",
                                            column="valid_from", code="coverage_gap"))
            if ends[-1] is not None:
                problems.append(Problem(source, f"aucun taux pour {ogd} × {care} après le "
                                        f"{ends[-1]:%d/%m/%Y}", column="valid_to", code="coverage_gap"))
    return problems


def folder_digest(files: list[Path]) -> str:
    """SHA-256 over the files' names and contents: which tariffs a run used."""
    h = hashlib.sha256()
    for path in sorted(files, key=lambda p: p.name):
        h.update(path.name.encode())
        h.update(b"\0")
        h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def load_tariffs(folder: Path) -> Tariffs:
    """Read and check the whole tariff folder; raise InputError listing every fault."""
    if not folder.is_dir():
        raise InputError(f"Le dossier des tarifs « {folder} » n'existe pas.",
                         [Problem(str(folder), "dossier introuvable", code="missing_folder")])
    problems: list[Problem] = []
    acts_path, acts, p = _read_tariff_table(folder, ACTS)
    problems += p
    prices_path, prices, p = _read_tariff_table(folder, PRICES)
    problems += p
    coverage_path, coverage, p = _read_tariff_table(folder, COVERAGE)
    problems += p
    if not problems:
        problems += _overlaps(acts, ["act_code"], str(acts_path))
        problems += _overlaps(prices, ["act_code", "level"], str(prices_path))
        problems += _overlaps(coverage, ["ogd", "care_type"], str(coverage_path))
        unknown = prices.join(acts.select("act_code").unique(), on="act_code", how="anti")
        problems += [Problem(str(prices_path), "prix d'un acte absent de la nomenclature",
                             column="act_code", row=r["row_id"], value=r["act_code"], code="price_of_unknown_act")
                     for r in unknown.iter_rows(named=True)]
    policy_path = folder / POLICY_FILE
    try:
        policy = load_policy(policy_path)
    except InputError as exc:
        problems += exc.problems or [Problem(str(policy_path), exc.message, code="invalid_policy")]
        policy = None
    if problems or policy is None:
        raise InputError(f"Dossier des tarifs « {folder} » invalide : {len(problems)} problème(s). "
                         "Corrigez-les puis relancez (ramu validate les liste tous).", problems)
    files = [acts_path, prices_path, coverage_path, policy_path]
    return Tariffs(folder, acts, prices, coverage, policy, folder_digest(files), files)

