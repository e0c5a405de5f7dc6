"""The tariff folder (data-contract.md, "tariffs/"; docs/decisions.md, "Coverage gaps").

The shipped folder is checked for what the product relies on; faults are
injected into the small hand-made folder of conftest.py, whose row numbers are
known: acts 1 CONS … 8 ANCIEN; prices 1–2 CONS CSCOM, 3 CSREF, 4 HR, 5 EPH,
6–8 MED, … 23 ANCIEN; coverage 1–8 CMSS, INPS, UTM, ANAM × AMBULATORY, HOSPITAL.
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path

import polars as pl
import pytest

from conftest import FIXTURE_ACTS, FIXTURE_COVERAGE, FIXTURE_POLICY, FIXTURE_PRICES
from ramu_cli.contract import CATEGORIES, LEVELS
from ramu_cli.errors import InputError, Problem
from ramu_cli.liquidation.lookups import in_force
from ramu_cli.tariffs import coverage_gaps, default_tariff_folder, load_policy, load_tariffs

PROGRAMMES = {"CESAREAN", "MALARIA_U5", "TB", "HIV", "LEPROSY", "VACCINATION"}
LEVEL_VALUES = "l'une des valeurs CSCOM, CSREF, HR, EPH, PRIVATE, PHARMACY"


def in_force_on(table: pl.DataFrame, day: date) -> pl.DataFrame:
    """The rows of a tariff table the liquidation's lookup (lookups.in_force) finds for `day`."""
    return in_force(table, pl.LazyFrame({"service_date": [day]})).collect()


@pytest.fixture(scope="module")
def shipped():
    return load_tariffs(default_tariff_folder())


# ---------------------------------------------------------------------------
# The shipped folder
# ---------------------------------------------------------------------------

def test_shipped_nomenclature(shipped):
    acts = shipped.acts
    assert acts["act_code"].n_unique() >= 150
    assert set(acts["category"]) == set(CATEGORIES)
    assert set(acts["care_type"]) == {"AMBULATORY", "HOSPITAL"}
    assert {"F", "M"} <= set(acts["sex"].drop_nulls())
    assert acts.filter(pl.col("min_age").is_not_null()).height > 0
    assert acts.filter(pl.col("max_age").is_not_null()).height > 0
    assert set(acts["free_care"].drop_nulls()) >= PROGRAMMES
    cesarean = acts.filter(pl.col("free_care") == "CESAREAN")
    assert set(cesarean["sex"]) == {"F"}
    malaria = acts.filter(pl.col("free_care") == "MALARIA_U5")
    assert malaria["max_age"].to_list() == [4] * malaria.height


def test_shipped_surgery_not_billable_at_cscom(shipped):
    surgery = set(shipped.acts.filter(pl.col("category") == "SURGERY")["act_code"])
    by_level = {lvl: set(shipped.prices.filter(pl.col("level") == lvl)["act_code"]) for lvl in LEVELS}
    assert surgery & (by_level["HR"] - by_level["CSCOM"])


def test_shipped_price_change_inside_a_month(shipped):
    p = shipped.prices.sort("act_code", "level", "valid_from")
    nxt = p.with_columns(next_from=pl.col("valid_from").shift(-1).over("act_code", "level"))
    changes = nxt.filter(pl.col("valid_to").is_not_null() & pl.col("next_from").is_not_null())
    inside = [(r["act_code"], r["level"], r["valid_to"]) for r in changes.iter_rows(named=True)
              if r["next_from"] == r["valid_to"] + timedelta(days=1)
              and (r["valid_to"].year, r["valid_to"].month) == (r["next_from"].year, r["next_from"].month)]
    assert ("CS001", "CSCOM", date(2026, 10, 15)) in inside
    cs001 = in_force_on(shipped.prices.filter((pl.col("act_code") == "CS001") & (pl.col("level") == "CSCOM")),
                     date(2026, 10, 15))["price"].to_list()
    after = in_force_on(shipped.prices.filter((pl.col("act_code") == "CS001") & (pl.col("level") == "CSCOM")),
                     date(2026, 10, 16))["price"].to_list()
    assert (cs001, after) == ([1000], [1500])


def test_shipped_coverage_and_policy(shipped):
    rates = {(r["ogd"], r["care_type"]): r["rate_percent"]
             for r in in_force_on(shipped.coverage, date(2026, 10, 15)).iter_rows(named=True)}
    assert rates == {("CMSS", "AMBULATORY"): 70, ("CMSS", "HOSPITAL"): 80,
                     ("INPS", "AMBULATORY"): 70, ("INPS", "HOSPITAL"): 80,
                     ("UTM", "AMBULATORY"): 70, ("UTM", "HOSPITAL"): 80,
                     ("ANAM", "AMBULATORY"): 100, ("ANAM", "HOSPITAL"): 100}
    assert coverage_gaps(shipped) == []
    pol = shipped.policy
    assert pol.child_age_limit == 14
    assert pol.student_age_limit == 21
    assert pol.submission_deadline_days == 90
    assert pol.referral_required_ogds == ("ANAM",)
    assert pol.referral_levels == ("CSREF", "HR", "EPH")
    assert pol.remittance_deadline_days == 15
    assert (pol.penalty_initial_bp, pol.penalty_monthly_bp) == (500, 150)
    assert pol.payment_due_days == {"CSCOM": 30, "CSREF": 30, "HR": 30, "EPH": 30,
                                    "PRIVATE": 30, "PHARMACY": 15}
    assert pol.contest_days == 30


# ---------------------------------------------------------------------------
# Faults: each one stops the folder with a located Problem
# ---------------------------------------------------------------------------

def _fault(folder: Path) -> list[Problem]:
    with pytest.raises(InputError) as err:
        load_tariffs(folder)
    assert err.value.exit_code == 3
    assert str(folder) in err.value.message
    return err.value.problems


def test_overlapping_act_periods(tmp_path, tariff_factory):
    acts = [*FIXTURE_ACTS, dict(FIXTURE_ACTS[0], valid_from=date(2025, 1, 1))]  # row 9
    folder = tariff_factory(tmp_path / "t", acts=acts)
    assert _fault(folder) == [Problem(
        str(folder / "acts.csv"), "période de validité qui chevauche celle de la ligne 1 pour CONS",
        column="valid_from", row=9, value="2025-01-01", code="overlapping_validity")]


def test_overlapping_price_periods_inclusive_end(tmp_path, tariff_factory):
    # Row 1 ends on 15/10/2026 (inclusive); row 2 now starts that same day.
    prices = [dict(p) for p in FIXTURE_PRICES]
    prices[1]["valid_from"] = date(2026, 10, 15)
    folder = tariff_factory(tmp_path / "t", prices=prices)
    assert _fault(folder) == [Problem(
        str(folder / "prices.csv"),
        "période de validité qui chevauche celle de la ligne 1 pour CONS / CSCOM",
        column="valid_from", row=2, value="2026-10-15", code="overlapping_validity")]


def test_overlapping_coverage_periods(tmp_path, tariff_factory):
    coverage = [*FIXTURE_COVERAGE, dict(ogd="ANAM", care_type="HOSPITAL", rate_percent=90,
                                        valid_from=date(2026, 1, 1), valid_to=None)]  # row 9
    folder = tariff_factory(tmp_path / "t", coverage=coverage)
    assert _fault(folder) == [Problem(
        str(folder / "coverage.csv"),
        "période de validité qui chevauche celle de la ligne 8 pour ANAM / HOSPITAL",
        column="valid_from", row=9, value="2026-01-01", code="overlapping_validity")]


def test_valid_to_before_valid_from(tmp_path, tariff_factory):
    acts = [dict(a) for a in FIXTURE_ACTS]
    acts[7]["valid_to"] = date(2019, 12, 31)  # ANCIEN, from 2020-01-01
    folder = tariff_factory(tmp_path / "t", acts=acts)
    assert _fault(folder) == [Problem(str(folder / "acts.csv"), "fin de validité antérieure au début",
                                      column="valid_to", row=8, value="2019-12-31",
                                      code="validity_ends_before_start")]


def test_unknown_level_in_prices(tmp_path, tariff_factory):
    prices = [dict(p) for p in FIXTURE_PRICES]
    prices[4]["level"] = "CLINIQUE"  # CONS EPH
    folder = tariff_factory(tmp_path / "t", prices=prices)
    assert _fault(folder) == [Problem(str(folder / "prices.csv"),
                                      f"valeur illisible : attendu {LEVEL_VALUES}",
                                      column="level", row=5, value="CLINIQUE", code="cell_fault")]


def test_unknown_category_in_acts(tmp_path, tariff_factory):
    acts = [dict(a) for a in FIXTURE_ACTS]
    acts[2]["category"] = "RADIOLOGIE"  # ECHO
    folder = tariff_factory(tmp_path / "t", acts=acts)
    assert _fault(folder) == [Problem(
        str(folder / "acts.csv"),
        "valeur illisible : attendu l'une des valeurs CONSULTATION, LAB, IMAGING, PROCEDURE, "
        "SURGERY, HOSPITAL_DAY, MATERNITY, DENTAL, MEDICINE",
        column="category", row=3, value="RADIOLOGIE", code="cell_fault")]


def test_rate_above_100(tmp_path, tariff_factory):
    coverage = [dict(c) for c in FIXTURE_COVERAGE]
    coverage[0]["rate_percent"] = 101
    folder = tariff_factory(tmp_path / "t", coverage=coverage)
    assert _fault(folder) == [Problem(
        str(folder / "coverage.csv"),
        "valeur hors limites : attendu un nombre entier de francs ou d'unités ≥ 0 et ≤ 100 "
        "(sans décimales)", column="rate_percent", row=1, value="101", code="cell_fault")]


def test_price_of_an_act_absent_from_acts(tmp_path, tariff_factory):
    prices = [*FIXTURE_PRICES, dict(act_code="FANTOME", level="CSCOM", price=100,
                                    valid_from=date(2020, 1, 1), valid_to=None)]  # row 24
    folder = tariff_factory(tmp_path / "t", prices=prices)
    assert _fault(folder) == [Problem(str(folder / "prices.csv"),
                                      "prix d'un acte absent de la nomenclature",
                                      column="act_code", row=24, value="FANTOME", code="price_of_unknown_act")]


def test_faults_in_a_copy_of_the_shipped_folder(tmp_path):
    folder = tmp_path / "tarifs"
    shutil.copytree(default_tariff_folder(), folder)
    prices = folder / "prices.csv"
    data_rows = len(prices.read_text(encoding="utf-8").splitlines()) - 1
    with prices.open("a", encoding="utf-8") as fh:
        fh.write("CS001,CLINIQUE,5000,2024-01-01,\n")
    assert _fault(folder) == [Problem(str(prices), f"valeur illisible : attendu {LEVEL_VALUES}",
                                      column="level", row=data_rows + 1, value="CLINIQUE", code="cell_fault")]


def test_missing_policy_key(tmp_path, tariff_factory):
    policy = FIXTURE_POLICY.replace(
        "deadline_days = 15               # after the last day of the collection month\n", "")
    assert policy != FIXTURE_POLICY
    folder = tariff_factory(tmp_path / "t", policy=policy)
    assert _fault(folder) == [Problem(str(folder / "policy.toml"), "clé absente",
                                      column="[remittance] deadline_days", code="missing_key")]


def test_percent_with_three_decimals(tmp_path, tariff_factory):
    policy = FIXTURE_POLICY.replace("penalty_monthly_percent = 1.5", "penalty_monthly_percent = 1.255")
    assert policy != FIXTURE_POLICY
    folder = tariff_factory(tmp_path / "t", policy=policy)
    key = "[remittance] penalty_monthly_percent"
    assert _fault(folder) == [Problem(str(folder / "policy.toml"), "plus de deux décimales",
                                      column=key, value="1.255", code="too_many_decimals")]
    with pytest.raises(InputError) as err:
        load_policy(folder / "policy.toml")
    assert f"« {key} » = 1.255 a plus de deux décimales" in err.value.message


def test_unknown_policy_key_or_section_is_refused(tmp_path, tariff_factory):
    # Rulebook v2 (cli-contract, Behaviour): an unknown key is a typo and makes the folder invalid.
    policy = FIXTURE_POLICY + '\n[reporting]\nlogo = "canam.png"\n'
    assert _fault(tariff_factory(tmp_path / "t", policy=policy)) == [
        Problem(str(tmp_path / "t" / "policy.toml"),
                "n'est pas une section connue (eligibility, liquidation, remittance, payment, review, signals) : "
                "corrigez son nom ou retirez-la.", column="[reporting]", code="unknown_policy_key")]
    policy = FIXTURE_POLICY.replace("[eligibility]\n", "[eligibility]\nnote = \"texte libre\"\n")
    assert [p.column for p in _fault(tariff_factory(tmp_path / "u", policy=policy))] == ["[eligibility] note"]


def test_required_keys_only_use_documented_defaults(tariff_dir):
    t = load_tariffs(tariff_dir)  # conftest's policy.toml has no [payment]
    assert "[payment]" not in (tariff_dir / "policy.toml").read_text(encoding="utf-8")
    assert t.policy.payment_due_days == {"CSCOM": 30, "CSREF": 30, "HR": 30, "EPH": 30,
                                         "PRIVATE": 30, "PHARMACY": 15}
    assert t.policy.contest_days == 30
    assert (t.policy.remittance_deadline_days, t.policy.penalty_initial_bp,
            t.policy.penalty_monthly_bp) == (15, 500, 150)


# ---------------------------------------------------------------------------
# Coverage gaps: reported, not fatal
# ---------------------------------------------------------------------------

def test_coverage_gap_loads_and_is_listed(tmp_path, tariff_factory):
    coverage = [c for c in FIXTURE_COVERAGE if (c["ogd"], c["care_type"]) != ("ANAM", "HOSPITAL")]
    folder = tariff_factory(tmp_path / "t", coverage=coverage)
    t = load_tariffs(folder)
    assert coverage_gaps(t) == [Problem(str(folder / "coverage.csv"),
                                        "aucun taux pour ANAM × HOSPITAL", column="rate_percent",
                                        code="coverage_gap")]


def test_coverage_hole_between_periods(tmp_path, tariff_factory):
    coverage = [dict(c) for c in FIXTURE_COVERAGE]
    coverage[0]["valid_to"] = date(2025, 12, 31)                    # CMSS AMBULATORY
    coverage.append(dict(ogd="CMSS", care_type="AMBULATORY", rate_percent=75,
                         valid_from=date(2026, 2, 1), valid_to=None))
    coverage[2]["valid_to"] = date(2025, 12, 31)                    # INPS AMBULATORY: no hole
    coverage.append(dict(ogd="INPS", care_type="AMBULATORY", rate_percent=75,
                         valid_from=date(2026, 1, 1), valid_to=None))
    folder = tariff_factory(tmp_path / "t", coverage=coverage)
    assert coverage_gaps(load_tariffs(folder)) == [Problem(
        str(folder / "coverage.csv"),
        "aucun taux pour CMSS × AMBULATORY entre le 31/12/2025 et le 01/02/2026",
        column="valid_from", code="coverage_gap")]


# ---------------------------------------------------------------------------
# Digest
# ---------------------------------------------------------------------------

def test_digest(tmp_path, shipped):
    copy = tmp_path / "copie"
    shutil.copytree(default_tariff_folder(), copy)
    same = load_tariffs(copy)
    assert len(shipped.digest) == 64
    assert same.digest == shipped.digest == load_tariffs(default_tariff_folder()).digest
    prices = copy / "prices.csv"
    data = prices.read_bytes()
    i = data.index(b",1000,")  # CS001 CSCOM 1000 → 1001: still a valid folder
    prices.write_bytes(data[:i + 4] + b"1" + data[i + 5:])
    changed = load_tariffs(copy)
    assert changed.digest != shipped.digest
