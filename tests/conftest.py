"""Shared test fixtures: a small hand-made tariff folder and a CSV batch writer.

The tariff folder is NOT the shipped `tariffs/`: it is small, written by hand,
and fixed here, so that expected amounts in tests never move when the shipped
tables change. Every price below is what the liquidation tests compute with.

Fixture tariffs (levels CSCOM / CSREF / HR / EPH, prices in FCFA):

act    | category     | care_type  | sex | age   | max_qty | free_care  | CSCOM              | CSREF | HR    | EPH
------ | ------------ | ---------- | --- | ----- | ------- | ---------- | ------------------ | ----- | ----- | ------
CONS   | CONSULTATION | AMBULATORY |     |       | 1       |            | 1000 ≤ 15/10/2026, | 2000  | 3000  | 5000
       |              |            |     |       |         |            | 1500 ≥ 16/10/2026  |       |       |
MED    | MEDICINE     | AMBULATORY |     |       | 3       |            | 500                | 600   | 700   |
ECHO   | IMAGING      | AMBULATORY | F   | 12–50 | 1       |            |                    | 5000  | 6000  | 8000
SIROP  | MEDICINE     | AMBULATORY |     | ≤ 14  | (none)  |            | 800                | 800   | 800   |
CHIR   | SURGERY      | HOSPITAL   |     |       | 1       |            |                    |       | 50000 | 75000
PALU   | MEDICINE     | AMBULATORY |     | ≤ 4   | 2       | MALARIA_U5 | 1200               | 1200  | 1200  |
CESAR  | MATERNITY    | HOSPITAL   | F   |       | 1       | CESAREAN   |                    | 60000 | 80000 | 100000
ANCIEN | CONSULTATION | AMBULATORY |     |       | 1       |            | 700                |       |       |

Every act is valid from 2020-01-01, open-ended, except ANCIEN (valid until
2026-10-10). Coverage from 2020-01-01, open: CMSS, INPS, UTM 70 % AMBULATORY /
80 % HOSPITAL; ANAM 100 % / 100 %. policy.toml holds exactly the rulebook's keys.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from pathlib import Path

import pytest

# ---------------------------------------------------------------------------
# CSV dialects officers really send (data-contract.md, "Formats")
# ---------------------------------------------------------------------------

DIALECTS: dict[str, dict] = {
    # UTF-8, comma, ISO dates, true/false, plain integers.
    "utf8": dict(encoding="utf-8", sep=",", date_format="%Y-%m-%d", true="true", false="false",
                 group_thousands=False),
    # Latin-1, semicolon, DD/MM/YYYY, oui/non, "50 000" style thousands.
    "latin1": dict(encoding="latin-1", sep=";", date_format="%d/%m/%Y", true="oui", false="non",
                   group_thousands=True),
    # UTF-8 with BOM, semicolon, ISO dates, O/N.
    "utf8-bom": dict(encoding="utf-8-sig", sep=";", date_format="%Y-%m-%d", true="O", false="N",
                     group_thousands=False),
}


def _cell(value: object, dialect: Mapping) -> str:
    """One value as a CSV cell: dates, booleans and ints per dialect; strings verbatim."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return dialect["true"] if value else dialect["false"]
    if isinstance(value, date):
        return value.strftime(dialect["date_format"])
    if isinstance(value, int):
        if dialect["group_thousands"] and abs(value) >= 1000:
            return f"{value:,}".replace(",", " ")
        return str(value)
    return str(value)  # strings are written as given (used for unreadable values)


def write_csv_table(path: Path, rows: Iterable[Mapping[str, object]], dialect: str = "utf8",
                    columns: list[str] | None = None) -> Path:
    """Write dict rows as a real CSV file. Columns: `columns`, else keys in first-seen order."""
    rows = list(rows)
    d = DIALECTS[dialect]
    if columns is None:
        columns = []
        for row in rows:
            for key in row:
                if key not in columns:
                    columns.append(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding=d["encoding"], newline="") as fh:
        writer = csv.writer(fh, delimiter=d["sep"], lineterminator="\r\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([_cell(row.get(c), d) for c in columns])
    return path


def write_batch_folder(batch_dir: Path, dialect: str = "utf8",
                       columns: Mapping[str, list[str]] | None = None,
                       **tables: Iterable[Mapping[str, object]]) -> Path:
    """Write `<role>.csv` for every table given (beneficiaries=[...], invoices=[...], ...)."""
    batch_dir.mkdir(parents=True, exist_ok=True)
    for role, rows in tables.items():
        write_csv_table(batch_dir / f"{role}.csv", rows, dialect,
                        (columns or {}).get(role))
    return batch_dir


@pytest.fixture
def write_batch() -> Callable[..., Path]:
    """write_batch(batch_dir, dialect="utf8", columns=None, **tables) -> batch_dir."""
    return write_batch_folder


# ---------------------------------------------------------------------------
# The hand-made tariff folder
# ---------------------------------------------------------------------------

FROM = date(2020, 1, 1)

ACT_COLUMNS = ["act_code", "label", "category", "care_type", "sex", "min_age", "max_age",
               "max_qty", "free_care", "valid_from", "valid_to"]


def _act(code, label, category, care, *, sex=None, min_age=None, max_age=None, max_qty=None,
         free_care=None, valid_to=None):
    return dict(act_code=code, label=label, category=category, care_type=care, sex=sex,
                min_age=min_age, max_age=max_age, max_qty=max_qty, free_care=free_care,
                valid_from=FROM, valid_to=valid_to)


FIXTURE_ACTS = [
    _act("CONS", "Consultation de médecine générale", "CONSULTATION", "AMBULATORY", max_qty=1),
    _act("MED", "Médicament essentiel (boîte)", "MEDICINE", "AMBULATORY", max_qty=3),
    _act("ECHO", "Échographie obstétricale", "IMAGING", "AMBULATORY", sex="F", min_age=12,
         max_age=50, max_qty=1),
    _act("SIROP", "Sirop pédiatrique", "MEDICINE", "AMBULATORY", max_age=14),
    _act("CHIR", "Intervention chirurgicale", "SURGERY", "HOSPITAL", max_qty=1),
    _act("PALU", "Traitement du paludisme de l'enfant de moins de cinq ans", "MEDICINE",
         "AMBULATORY", max_age=4, max_qty=2, free_care="MALARIA_U5"),
    _act("CESAR", "Césarienne", "MATERNITY", "HOSPITAL", sex="F", max_qty=1, free_care="CESAREAN"),
    _act("ANCIEN", "Consultation (ancienne nomenclature)", "CONSULTATION", "AMBULATORY", max_qty=1,
         valid_to=date(2026, 10, 10)),
]


def _price(code, level, price, valid_from=FROM, valid_to=None):
    return dict(act_code=code, level=level, price=price, valid_from=valid_from, valid_to=valid_to)


FIXTURE_PRICES = [
    # CONS at CSCOM changes price in the middle of October 2026.
    _price("CONS", "CSCOM", 1000, FROM, date(2026, 10, 15)),
    _price("CONS", "CSCOM", 1500, date(2026, 10, 16)),
    _price("CONS", "CSREF", 2000),
    _price("CONS", "HR", 3000),
    _price("CONS", "EPH", 5000),
    _price("MED", "CSCOM", 500),
    _price("MED", "CSREF", 600),
    _price("MED", "HR", 700),
    _price("ECHO", "CSREF", 5000),
    _price("ECHO", "HR", 6000),
    _price("ECHO", "EPH", 8000),
    _price("SIROP", "CSCOM", 800),
    _price("SIROP", "CSREF", 800),
    _price("SIROP", "HR", 800),
    _price("CHIR", "HR", 50000),
    _price("CHIR", "EPH", 75000),
    _price("PALU", "CSCOM", 1200),
    _price("PALU", "CSREF", 1200),
    _price("PALU", "HR", 1200),
    _price("CESAR", "CSREF", 60000),
    _price("CESAR", "HR", 80000),
    _price("CESAR", "EPH", 100000),
    _price("ANCIEN", "CSCOM", 700),
]


def _rate(ogd, care, rate):
    return dict(ogd=ogd, care_type=care, rate_percent=rate, valid_from=FROM, valid_to=None)


FIXTURE_COVERAGE = [
    _rate("CMSS", "AMBULATORY", 70), _rate("CMSS", "HOSPITAL", 80),
    _rate("INPS", "AMBULATORY", 70), _rate("INPS", "HOSPITAL", 80),
    _rate("UTM", "AMBULATORY", 70), _rate("UTM", "HOSPITAL", 80),
    _rate("ANAM", "AMBULATORY", 100), _rate("ANAM", "HOSPITAL", 100),
]

FIXTURE_POLICY = """\
# Fixture policy for tests: exactly the keys the rulebook requires.
[eligibility]
child_age_limit = 14          # AMO/RAMED: children under 14
student_age_limit = 21        # children aged 14 to 21 who are studying

[liquidation]
submission_deadline_days = 90            # Morocco's tiers-payant delay
referral_required_ogds = ["ANAM"]        # RAMED beneficiaries respect the pyramid
referral_levels = ["CSREF", "HR", "EPH"] # levels reached only by referral

[remittance]
deadline_days = 15               # after the last day of the collection month
penalty_initial_percent = 5.0    # proposal
penalty_monthly_percent = 1.5    # proposal: per started month of delay
"""


def write_tariff_folder(folder: Path, *, acts=None, prices=None, coverage=None,
                        policy: str | None = None) -> Path:
    """Write a tariff folder (acts.csv, prices.csv, coverage.csv, policy.toml), UTF-8 ','."""
    folder.mkdir(parents=True, exist_ok=True)
    write_csv_table(folder / "acts.csv", FIXTURE_ACTS if acts is None else acts, "utf8",
                    ACT_COLUMNS)
    write_csv_table(folder / "prices.csv", FIXTURE_PRICES if prices is None else prices, "utf8",
                    ["act_code", "level", "price", "valid_from", "valid_to"])
    write_csv_table(folder / "coverage.csv", FIXTURE_COVERAGE if coverage is None else coverage,
                    "utf8", ["ogd", "care_type", "rate_percent", "valid_from", "valid_to"])
    (folder / "policy.toml").write_text(FIXTURE_POLICY if policy is None else policy,
                                        encoding="utf-8")
    return folder


@pytest.fixture
def tariff_dir(tmp_path: Path) -> Path:
    """The hand-made tariff folder described in this module's docstring."""
    return write_tariff_folder(tmp_path / "tarifs")


@pytest.fixture
def tariff_factory() -> Callable[..., Path]:
    """write_tariff_folder(folder, acts=None, prices=None, coverage=None, policy=None)."""
    return write_tariff_folder
