"""The liquidation rulebook (liquidation-rules.md), code by code, through the CLI.

Every expected value is computed by hand from the rulebook and the fixture
tariffs of conftest.py; the arithmetic is in the comment next to it. Unless a
test says otherwise: batch month 2026-10 (liquidation date L = 31/10/2026),
line = B100 (CMSS principal, M, born 10/05/1980) at P-CSCOM (CSCOM), CONS × 1
at 1000 FCFA, care 05/10/2026, received 20/10/2026, no referral/emergency.

Reminders used below:
  payable = (allowed × rate + 50) // 100, copay = allowed − payable,
  disallowed = billed − allowed, billed = quantity × unit_price.
  CMSS/INPS/UTM 70 % AMBULATORY, 80 % HOSPITAL; ANAM 100 %; free care 100 %.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from liq_helpers import (
    BENEFICIARY_COLUMNS,
    DEFAULT_BENEFICIARIES,
    DEFAULT_PROVIDERS,
    INVOICE_COLUMNS,
    PROVIDER_COLUMNS,
    D,
    ben,
    check_fixture_parses,
    check_row,
    check_rows,
    child,
    explain,
    invoke,
    line,
    liquidate_args,
    liquidate_batch,
    ok,
    payment_orders,
    payment_orders_total,
    prov,
    rej,
)

# CONS × 1 at 1000 at CSCOM on or before 15/10/2026 (tariff 1000), CMSS 70 %:
#   allowed = 1 × min(1000, 1000) = 1000; payable = (1000×70 + 50)//100 = 70050//100 = 700;
#   copay = 1000 − 700 = 300; billed = 1000; disallowed = 1000 − 1000 = 0.
CONS_PAID = ok(billed=1000, tariff=1000, qty=1, allowed=1000, rate=70, payable=700, copay=300,
               disallowed=0)
# The same line rejected: billed 1 × 1000 = 1000, all of it disallowed.
CONS_BILLED = 1000


@pytest.fixture
def liq(tmp_path, tariff_dir, write_batch):
    """liq(invoices, **options) -> output rows of `ramu liquidate` on that batch."""
    def run(invoices, **kw):
        return liquidate_batch(write_batch, tariff_dir, tmp_path, invoices, **kw)
    return run


# ---------------------------------------------------------------------------
# The fixtures themselves (these pass before the engine exists)
# ---------------------------------------------------------------------------

def test_fixture_tariff_folder_loads(tariff_dir):
    from ramu_cli.liquidation.lookups import in_force
    from ramu_cli.tariffs import load_tariffs

    def valid_on(table: pl.DataFrame, day: D) -> pl.DataFrame:  # the pipeline's own lookup, on one day
        return in_force(table, pl.LazyFrame({"service_date": [day]})).collect()
    t = load_tariffs(tariff_dir)
    assert t.acts.height == 8 and t.prices.height == 23 and t.coverage.height == 8
    assert (t.policy.child_age_limit, t.policy.student_age_limit) == (14, 21)
    assert t.policy.submission_deadline_days == 90
    assert t.policy.referral_required_ogds == ("ANAM",)
    assert t.policy.referral_levels == ("CSREF", "HR", "EPH")
    cons = t.prices.filter((pl.col("act_code") == "CONS") & (pl.col("level") == "CSCOM"))
    assert valid_on(cons, D(2026, 10, 15))["price"].to_list() == [1000]
    assert valid_on(cons, D(2026, 10, 16))["price"].to_list() == [1500]
    assert t.acts.filter(pl.col("act_code") == "SIROP")["max_qty"].to_list() == [None]
    assert t.acts.filter(pl.col("act_code") == "PALU")["free_care"].to_list() == ["MALARIA_U5"]


@pytest.mark.parametrize("dialect", ["utf8", "latin1", "utf8-bom"])
def test_fixture_batch_csv_reads_as_intended(tmp_path, write_batch, dialect):
    from ramu_cli.contract import BENEFICIARIES, INVOICES
    from ramu_cli.io.readers import scan_table
    batch = write_batch(
        tmp_path / "lot", dialect,
        columns={"invoices": INVOICE_COLUMNS, "beneficiaries": BENEFICIARY_COLUMNS,
                 "providers": PROVIDER_COLUMNS},
        beneficiaries=[*DEFAULT_BENEFICIARIES, child("S1", D(2005, 3, 1), student=True)],
        providers=DEFAULT_PROVIDERS,
        invoices=[dict(line(act_code="CHIR", provider_id="P-HR", unit_price=50000, referral=True),
                       invoice_id="0042", line_no=1)])
    check_fixture_parses(batch, 1)
    inv = scan_table(batch / "invoices.csv", INVOICES).typed().collect().to_dicts()[0]
    assert inv["invoice_id"] == "0042" and inv["unit_price"] == 50000 and inv["referral"] is True
    assert inv["emergency"] is False and inv["service_date"] == D(2026, 10, 5)
    bens = scan_table(batch / "beneficiaries.csv", BENEFICIARIES).typed().collect()
    s1 = bens.filter(pl.col("beneficiary_id") == "S1").to_dicts()[0]
    assert s1["student"] is True and s1["disabled"] is False and s1["rights_end"] is None
    assert s1["birth_date"] == D(2005, 3, 1)
    if dialect == "latin1":
        raw = (batch / "providers.csv").read_bytes()
        assert "CSRéf".encode("latin-1") in raw and b";" in raw


# ---------------------------------------------------------------------------
# PAID, and the output file itself
# ---------------------------------------------------------------------------

@pytest.mark.parametrize("dialect", ["utf8", "latin1", "utf8-bom"])
def test_plain_paid_line(liq, dialect):
    rows = liq([line()], dialect=dialect)
    check_rows(rows, [CONS_PAID])
    check_row(rows[0], dict(row_id=1, invoice_id="F1", line_no=1, provider_id="P-CSCOM",
                            beneficiary_id="B100", ogd="CMSS", act_code="CONS",
                            service_date=D(2026, 10, 5), submission_date=D(2026, 10, 20),
                            quantity=1, unit_price=1000))


def test_output_schema_is_the_contract(liq):
    from ramu_cli.contract import LIQUIDATION_COLUMNS
    run = liq([line()])
    df = pl.read_parquet(run.out / "liquidation.parquet")
    assert df.columns == list(LIQUIDATION_COLUMNS)
    assert dict(df.schema) == dict(LIQUIDATION_COLUMNS)


# ---------------------------------------------------------------------------
# R01 … R14
# ---------------------------------------------------------------------------

def test_r01_unknown_beneficiary(liq):
    # B999 is not in the registry: R01 only (R02, R03, R07, R08, R11 need B).
    rows = liq([line(beneficiary_id="B999")])
    check_rows(rows, [rej("R01", billed=CONS_BILLED)])


def test_r02_rights_edges_and_principal_rights(liq):
    extra = [
        ben("B110", end=D(2026, 10, 5)),                 # rights end on 05/10/2026
        ben("B111", start=D(2026, 10, 6)),               # rights start on 06/10/2026
        ben("B120", end=D(2026, 9, 30)),                 # principal closed 30/09/2026
        ben("B121", rel="SPOUSE", principal="B120", sex="F", birth=D(1985, 1, 1)),  # own rights open
    ]
    rows = liq([
        line(beneficiary_id="B110", service_date=D(2026, 10, 5)),   # rights end = d: ok
        line(beneficiary_id="B110", service_date=D(2026, 10, 6)),   # rights ended the day before d
        line(beneficiary_id="B111", service_date=D(2026, 10, 5)),   # before rights_start
        line(beneficiary_id="B111", service_date=D(2026, 10, 6)),   # rights start = d: ok
        line(beneficiary_id="B121", service_date=D(2026, 10, 5)),   # outside P's rights
    ], extra_beneficiaries=extra)
    check_rows(rows, [CONS_PAID, rej("R02", billed=1000), rej("R02", billed=1000), CONS_PAID,
                      rej("R02", billed=1000)])


def test_r03_child_on_the_day_of_the_14th_birthday(liq):
    # Born 10/10/2012: on 09/10/2026 age 13 (< 14, ok); on 10/10/2026 age 14 (R03).
    rows = liq([line(beneficiary_id="B140", service_date=D(2026, 10, 9)),
                line(beneficiary_id="B140", service_date=D(2026, 10, 10))],
               extra_beneficiaries=[child("B140", D(2012, 10, 10))])
    check_rows(rows, [CONS_PAID, rej("R03", billed=1000)])


def test_r03_students_disabled_and_spouses(liq):
    extra = [
        child("B141", D(2005, 3, 1), student=True),    # 21 on 05/10/2026, student: ok
        child("B142", D(2004, 10, 5), student=True),   # 22 that very day: R03
        child("B145", D(2004, 10, 6), student=True),   # 21 (22 tomorrow): ok
        child("B143", D(1990, 1, 1), disabled=True),   # 36, disabled: ok
        child("B144", D(2005, 3, 1), student=False),   # 21, not a student: R03
        ben("B148", rel="SPOUSE", principal="B100", sex="F", birth=D(2006, 1, 1)),  # 20, spouse: no R03
    ]
    rows = liq([line(beneficiary_id=b) for b in ("B141", "B142", "B145", "B143", "B144", "B148")],
               extra_beneficiaries=extra, dialect="latin1")
    check_rows(rows, [CONS_PAID, rej("R03", billed=1000), CONS_PAID, CONS_PAID,
                      rej("R03", billed=1000), CONS_PAID])


def test_r03_born_29_february_turns_14_on_1_march_of_a_common_year(liq):
    # Born 29/02/2012, child, not a student. 2026 is a common year:
    #   28/02/2026: (2,28) < (2,29), 2026 anniversary not passed → age 13: ok.
    #   01/03/2026: (3,1) ≥ (2,29) → age 14: R03.
    # Batch month 2026-03 (L = 31/03/2026); CONS at CSCOM in March 2026 costs 1000.
    rows = liq([line(beneficiary_id="B147", service_date=D(2026, 2, 28),
                     submission_date=D(2026, 3, 5)),
                line(beneficiary_id="B147", service_date=D(2026, 3, 1),
                     submission_date=D(2026, 3, 5))],
               extra_beneficiaries=[child("B147", D(2012, 2, 29))], month="2026-03")
    check_rows(rows, [CONS_PAID, rej("R03", billed=1000)])


def test_r07_born_29_february_against_max_age(liq):
    # Born 29/02/2012, girl, student (so R03 never applies at 14–15). SIROP max_age 14.
    #   28/02/2027: anniversaries 2013…2026 passed, 2027's not yet → age 14 ≤ 14: ok.
    #   01/03/2027: (3,1) ≥ (2,29) → age 15 > 14: R07.
    # SIROP × 1 at 800 (tariff 800): allowed 800; payable (800×70 + 50)//100 = 56050//100 = 560;
    # copay 800 − 560 = 240.
    rows = liq([line(beneficiary_id="B146", act_code="SIROP", unit_price=800,
                     service_date=D(2027, 2, 28), submission_date=D(2027, 3, 5)),
                line(beneficiary_id="B146", act_code="SIROP", unit_price=800,
                     service_date=D(2027, 3, 1), submission_date=D(2027, 3, 5))],
               extra_beneficiaries=[child("B146", D(2012, 2, 29), sex="F", student=True)],
               month="2027-03")
    check_rows(rows, [ok(billed=800, tariff=800, qty=1, allowed=800, rate=70, payable=560,
                         copay=240, disallowed=0),
                      rej("R07", billed=800)])


def test_r04_convention_dates_and_unknown_provider(liq):
    extra = [prov("P-NEW", "CSCOM", start=D(2026, 10, 6)),
             prov("P-OLD", "CSCOM", start=D(2020, 1, 1), end=D(2026, 10, 5))]
    rows = liq([
        line(provider_id="P-NEW", service_date=D(2026, 10, 5)),  # before the convention
        line(provider_id="P-NEW", service_date=D(2026, 10, 6)),  # convention starts that day: ok
        line(provider_id="P-OLD", service_date=D(2026, 10, 5)),  # convention ends that day: ok
        line(provider_id="P-OLD", service_date=D(2026, 10, 6)),  # ended the day before
        line(provider_id="P-XXX"),                               # unknown: R04 (R06 needs V)
    ], extra_providers=extra)
    check_rows(rows, [rej("R04", billed=1000), CONS_PAID, CONS_PAID, rej("R04", billed=1000),
                      rej("R04", billed=1000)])


def test_r04_provider_registry_anomalies(liq):
    # P-DUP appears twice (every row with that id is unusable); P-BAD has an unknown level.
    extra = [prov("P-DUP", "CSCOM"), prov("P-DUP", "CSCOM"), prov("P-BAD", "CLINIQUE")]
    rows = liq([line(provider_id="P-DUP"), line(provider_id="P-BAD"), line()],
               extra_providers=extra, registry_faults=True)
    check_rows(rows, [rej("R04", billed=1000), rej("R04", billed=1000), CONS_PAID])


def test_r05_unknown_act_and_act_outside_its_validity(liq):
    # ANCIEN is valid until 10/10/2026, priced 700 at CSCOM.
    # PAID on 10/10: allowed 700; payable (700×70 + 50)//100 = 49050//100 = 490; copay 210.
    rows = liq([
        line(act_code="ZZZ"),                                                       # R05
        line(act_code="ANCIEN", unit_price=700, service_date=D(2026, 10, 10)),      # ok
        line(act_code="ANCIEN", unit_price=700, service_date=D(2026, 10, 11)),      # R05
    ])
    check_rows(rows, [rej("R05", billed=1000),
                      ok(billed=700, tariff=700, qty=1, allowed=700, rate=70, payable=490,
                         copay=210, disallowed=0),
                      rej("R05", billed=700)])


def test_r06_act_not_priced_at_the_level(liq):
    # CHIR is priced only at HR/EPH; ECHO not at CSCOM. billed 1 × 50000; 1 × 5000.
    rows = liq([line(act_code="CHIR", unit_price=50000),
                line(act_code="ECHO", beneficiary_id="B101", unit_price=5000)])
    check_rows(rows, [rej("R06", billed=50000), rej("R06", billed=5000)])


def test_r07_sex_and_age_bounds(liq):
    # ECHO: F only, 12 ≤ age ≤ 50, 5000 at CSREF. Care on 05/10/2026.
    # PAID: allowed 5000; payable (5000×70 + 50)//100 = 350050//100 = 3500; copay 1500.
    extra = [child("E11", D(2015, 1, 1), sex="F"),          # 11
             ben("E51", sex="F", birth=D(1975, 1, 1)),       # 51
             ben("E50", sex="F", birth=D(1976, 10, 5))]      # 50 that very day
    echo_paid = ok(billed=5000, tariff=5000, qty=1, allowed=5000, rate=70, payable=3500,
                   copay=1500, disallowed=0)
    rows = liq([line(beneficiary_id=b, act_code="ECHO", provider_id="P-CSREF", unit_price=5000)
                for b in ("B100", "E11", "E51", "E50", "B101")], extra_beneficiaries=extra)
    check_rows(rows, [rej("R07", billed=5000),   # male
                      rej("R07", billed=5000),   # 11 < 12
                      rej("R07", billed=5000),   # 51 > 50
                      echo_paid,                 # 50 ≤ 50
                      echo_paid])                # 38


def test_r08_other_ogd_and_enum_case(liq):
    # B100 is CMSS, invoice sent to INPS: R08. I300 is INPS; "inps" reads as INPS: PAID
    # (INPS 70 %: 700 / 300 as for CONS_PAID).
    rows = liq([line(ogd="INPS"), line(beneficiary_id="I300", ogd="inps")])
    check_rows(rows, [rej("R08", billed=1000), CONS_PAID])
    assert rows[1]["ogd"] == "INPS"


R09_CASES = {
    # first in order = earlier submission_date, whatever the file order
    "submission_date": ([line(invoice_id="F1", submission_date=D(2026, 10, 20)),
                         line(invoice_id="F2", submission_date=D(2026, 10, 18))],
                        ["R09", "PAID"], "utf8"),
    # same submission date: invoice_id as strings, "10" < "9"
    "invoice_id_as_string": ([line(invoice_id="9"), line(invoice_id="10")],
                             ["R09", "PAID"], "utf8"),
    # same invoice: line_no as numbers, 9 < 10
    "line_no_as_number": ([line(invoice_id="F7", line_no=10), line(invoice_id="F7", line_no=9)],
                          ["R09", "PAID"], "utf8"),
    # DD/MM/YYYY: "02/10/2026" < "30/09/2026" as text, but 30/09 comes first as a date.
    # Care 25/09/2026 (CONS at CSCOM then 1000).
    "dates_as_dates": ([line(invoice_id="F1", service_date=D(2026, 9, 25),
                             submission_date=D(2026, 10, 2)),
                        line(invoice_id="F2", service_date=D(2026, 9, 25),
                             submission_date=D(2026, 9, 30))],
                       ["R09", "PAID"], "latin1"),
    # three copies: only the first in order (received 10/10) is judged normally
    "three_copies": ([line(invoice_id="F1", submission_date=D(2026, 10, 20)),
                      line(invoice_id="F2", submission_date=D(2026, 10, 10)),
                      line(invoice_id="F3", submission_date=D(2026, 10, 15))],
                     ["R09", "PAID", "R09"], "utf8"),
}


@pytest.mark.parametrize("case", list(R09_CASES))
def test_r09_duplicates_in_the_batch(liq, case):
    invoices, outcome, dialect = R09_CASES[case]
    rows = liq(invoices, dialect=dialect)
    check_rows(rows, [CONS_PAID if o == "PAID" else rej("R09", billed=1000) for o in outcome])


def test_r09_needs_all_four_key_fields_equal(liq):
    # Only one of (beneficiary, provider, act, date) differs each time: no R09.
    # MED × 1 at 500 (tariff 500): payable (500×70 + 50)//100 = 35050//100 = 350; copay 150.
    # CONS at CSREF 2000: payable (2000×70 + 50)//100 = 140050//100 = 1400; copay 600.
    rows = liq([line(),
                line(service_date=D(2026, 10, 6)),
                line(beneficiary_id="B101"),
                line(act_code="MED", unit_price=500),
                line(provider_id="P-CSREF", unit_price=2000)])
    check_rows(rows, [CONS_PAID, CONS_PAID, CONS_PAID,
                      ok(billed=500, tariff=500, qty=1, allowed=500, rate=70, payable=350,
                         copay=150, disallowed=0),
                      ok(billed=2000, tariff=2000, qty=1, allowed=2000, rate=70, payable=1400,
                         copay=600, disallowed=0)])


def test_r10_submission_deadline(liq):
    # 22/07 → 20/10/2026: 9 (to 31/07) + 31 (Aug) + 30 (Sep) + 20 = 90 days: ok.
    # 21/07 → 20/10/2026: 91 days > 90: R10. CONS at CSCOM in July: 1000.
    rows = liq([line(service_date=D(2026, 7, 22)), line(service_date=D(2026, 7, 21))],
               dialect="latin1")
    check_rows(rows, [CONS_PAID, rej("R10", billed=1000)])


def test_r11_health_pyramid(liq):
    # A200 is ANAM (referral required); CSREF/HR/EPH need a referral or an emergency.
    # ANAM 100 %: CONS at CSREF 2000 → payable (2000×100 + 50)//100 = 2000, copay 0.
    # CONS at CSCOM 1000 → payable 1000, copay 0. CHIR at HR 50000, HOSPITAL 100 % → 50000.
    # CMSS at CSREF: 2000 × 70 % → (140000 + 50)//100 = 1400, copay 600.
    a = dict(beneficiary_id="A200", ogd="ANAM")
    rows = liq([
        line(**a, provider_id="P-CSREF", unit_price=2000),                                  # R11
        line(**a, provider_id="P-CSREF", unit_price=2000, service_date=D(2026, 10, 6),
             referral=True),                                                                # ok
        line(**a, provider_id="P-CSREF", unit_price=2000, service_date=D(2026, 10, 7),
             emergency=True),                                                               # ok
        line(**a, provider_id="P-EPH", unit_price=5000, referral=False, emergency=False),   # R11
        line(**a, provider_id="P-CSCOM", unit_price=1000),                                  # ok
        line(provider_id="P-CSREF", unit_price=2000),                                       # CMSS
        line(**a, provider_id="P-HR", act_code="CHIR", unit_price=50000, referral=True),    # ok
    ], dialect="utf8-bom")
    anam_csref = ok(billed=2000, tariff=2000, qty=1, allowed=2000, rate=100, payable=2000,
                    copay=0, disallowed=0)
    check_rows(rows, [
        rej("R11", billed=2000), anam_csref, anam_csref, rej("R11", billed=5000),
        ok(billed=1000, tariff=1000, qty=1, allowed=1000, rate=100, payable=1000, copay=0,
           disallowed=0),
        ok(billed=2000, tariff=2000, qty=1, allowed=2000, rate=70, payable=1400, copay=600,
           disallowed=0),
        ok(billed=50000, tariff=50000, qty=1, allowed=50000, rate=100, payable=50000, copay=0,
           disallowed=0),
    ])


def test_referral_flag_spellings(liq):
    # true/false, 1/0, oui/non, O/N in any case; empty = false. A200 (ANAM) at CSREF:
    # with the flag PAID at 100 % (2000 → 2000 / 0), without it R11 (billed 2000).
    yes = ["OUI", "o", "1", "TRUE"]
    no = ["NON", "n", "0", "false", ""]
    rows = liq([line(beneficiary_id="A200", ogd="ANAM", provider_id="P-CSREF", unit_price=2000,
                     referral=flag, service_date=D(2026, 10, 1 + i))
                for i, flag in enumerate(yes + no)])
    paid = ok(billed=2000, tariff=2000, qty=1, allowed=2000, rate=100, payable=2000, copay=0,
              disallowed=0)
    check_rows(rows, [paid] * len(yes) + [rej("R11", billed=2000)] * len(no))


def test_integer_spellings_in_csv(liq):
    # Thousands separated by '.', a no-break space or a narrow no-break space read as 1000:
    # CONS at 1000 → PAID 700 / 300 (see CONS_PAID).
    rows = liq([line(unit_price=text, service_date=D(2026, 10, 1 + i))
                for i, text in enumerate(["1.000", "1\u00a0000", "1\u202f000", "1000"])])
    check_rows(rows, [CONS_PAID] * 4)


def test_r12_incoherent_dates_and_liquidation_date(liq):
    invoices = [
        line(service_date=D(2026, 10, 10), submission_date=D(2026, 10, 9)),  # care after receipt
        line(service_date=D(2026, 10, 5), submission_date=D(2026, 10, 31)),  # received on L
        line(service_date=D(2026, 10, 6), submission_date=D(2026, 11, 1)),   # received after L
    ]
    first = liq(invoices)  # L = 31/10/2026 (last day of 2026-10)
    check_rows(first, [rej("R12", billed=1000), CONS_PAID, rej("R12", billed=1000)])
    later = liq(invoices, batch=first.batch, args=["--liquidation-date", "2026-11-05"])
    check_rows(later, [rej("R12", billed=1000), CONS_PAID, CONS_PAID])
    earlier = liq(invoices, batch=first.batch, args=["--liquidation-date", "2026-10-30"])
    check_rows(earlier, [rej("R12", billed=1000), rej("R12", billed=1000),
                         rej("R12", billed=1000)])


def _write_ledger(folder: Path, rows: list[dict]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pl.DataFrame(rows, schema={
        "provider_id": pl.String, "invoice_id": pl.String, "line_no": pl.Int64,
        "beneficiary_id": pl.String, "act_code": pl.String, "service_date": pl.Date,
        "ogd": pl.String, "allowed_qty": pl.Int64, "payable": pl.Int64, "run_id": pl.String,
    }).write_parquet(folder / "2026-09-0123456789ab.parquet")
    from ramu_cli.ledger.adopt import adopt_ledger
    adopt_ledger(folder)      # the folder must be listed in its journal (ledger.jsonl) to be used
    return folder


def test_r13_line_key_and_duplicate_key_in_the_ledger(liq, tmp_path):
    ledger = _write_ledger(tmp_path / "registre", [
        # line key (P-CSCOM, F-OLD, 1), other beneficiary/act/date
        dict(provider_id="P-CSCOM", invoice_id="F-OLD", line_no=1, beneficiary_id="B100",
             act_code="MED", service_date=D(2026, 9, 10), ogd="CMSS", allowed_qty=1,
             payable=350, run_id="2026-09-0123456789ab"),
        # duplicate key (B100, P-CSCOM, MED, 25/09/2026) under another invoice
        dict(provider_id="P-CSCOM", invoice_id="F-SEPT", line_no=3, beneficiary_id="B100",
             act_code="MED", service_date=D(2026, 9, 25), ogd="CMSS", allowed_qty=1,
             payable=350, run_id="2026-09-0123456789ab"),
    ])
    invoices = [
        line(invoice_id="F-OLD", line_no=1, beneficiary_id="B101"),                 # line key
        line(invoice_id="F-NEW", line_no=1, act_code="MED", unit_price=500,
             service_date=D(2026, 9, 25), submission_date=D(2026, 10, 2)),          # dup key
        line(invoice_id="F-OLD", line_no=2, service_date=D(2026, 10, 8)),           # neither
    ]
    rows = liq(invoices, args=["--ledger", ledger])
    # row 2: MED × 1 at 500 → billed 500.
    check_rows(rows, [rej("R13", billed=1000), rej("R13", billed=500), CONS_PAID])
    # Without --ledger, R13 is not evaluated: MED 500 → 350 / 150.
    rows = liq(invoices, batch=rows.batch)
    check_rows(rows, [CONS_PAID,
                      ok(billed=500, tariff=500, qty=1, allowed=500, rate=70, payable=350,
                         copay=150, disallowed=0),
                      CONS_PAID])


def test_r14_unreadable_rows(liq):
    """Latin-1, ';', DD/MM/YYYY. Output of an R14 row: what could be read (trimmed),
    null where empty/unreadable; billed = quantity × unit_price only when both are
    readable and valid, else 0. A readable but invalid number (quantity 0, line_no 0,
    unit_price −5) is echoed as read."""
    invoices = [
        line(invoice_id="R14-1", act_code="MED", quantity="0", unit_price=500,
             service_date=D(2026, 10, 6)),                                       # 1 quantity 0
        line(invoice_id="R14-2", act_code="MED", quantity=2, unit_price="12,5",
             service_date=D(2026, 10, 7)),                                       # 2 decimal price
        line(invoice_id="R14-3", service_date="31/02/2026"),                     # 3 no such date
        line(invoice_id=" R14-4 ", ogd="XYZ", act_code=" CONS "),                # 4 unknown ogd
        line(invoice_id="R14-5", beneficiary_id=""),                             # 5 empty id
        line(invoice_id="FDUP", line_no=1),                                      # 6 first copy
        line(invoice_id="FDUP", line_no=1, submission_date=D(2026, 10, 10)),     # 7 later copy
        line(invoice_id="R14-8", quantity=2, unit_price="-5"),                   # 8 negative price
        line(invoice_id="R14-9", referral="peut-être"),                          # 9 bad flag
        line(invoice_id="R14-10", line_no="0"),                                  # 10 line_no 0
        line(invoice_id="R14-11", beneficiary_id="B999", act_code="ZZZ",
             quantity="0"),                                                      # 11 R14 only
        line(invoice_id="R14-12", service_date="5/10/2026"),                     # 12 one-digit day
    ]
    rows = liq(invoices, dialect="latin1", faulty_rows={1, 2, 3, 4, 5, 8, 9, 10, 11, 12})
    check_rows(rows, [
        rej("R14", billed=0),      # quantity 0 is not valid → billed 0
        rej("R14", billed=0),      # unit_price unreadable → billed 0
        rej("R14", billed=1000),   # 1 × 1000
        rej("R14", billed=1000),   # 1 × 1000
        rej("R14", billed=1000),   # 1 × 1000
        CONS_PAID,                 # first copy judged normally; R14 rows never make it an R09
        rej("R14", billed=1000),   # later copy of (P-CSCOM, FDUP, 1), though received earlier
        rej("R14", billed=0),      # unit_price −5 is not valid → billed 0
        rej("R14", billed=1000),   # 1 × 1000
        rej("R14", billed=1000),   # 1 × 1000
        rej("R14", billed=0),      # quantity 0; no R01/R05 on an R14 row
        rej("R14", billed=1000),   # 1 × 1000
    ])
    echo = dict(provider_id="P-CSCOM", beneficiary_id="B100", ogd="CMSS", act_code="CONS",
                service_date=D(2026, 10, 5), submission_date=D(2026, 10, 20), quantity=1,
                unit_price=1000, line_no=1)
    expected_echo = [
        {**echo, "invoice_id": "R14-1", "act_code": "MED", "quantity": 0, "unit_price": 500,
         "service_date": D(2026, 10, 6)},
        {**echo, "invoice_id": "R14-2", "act_code": "MED", "quantity": 2, "unit_price": None,
         "service_date": D(2026, 10, 7)},
        {**echo, "invoice_id": "R14-3", "service_date": None},
        {**echo, "invoice_id": "R14-4", "ogd": None, "act_code": "CONS"},
        {**echo, "invoice_id": "R14-5", "beneficiary_id": None},
        {**echo, "invoice_id": "FDUP"},
        {**echo, "invoice_id": "FDUP", "submission_date": D(2026, 10, 10)},
        {**echo, "invoice_id": "R14-8", "quantity": 2, "unit_price": -5},
        {**echo, "invoice_id": "R14-9"},
        {**echo, "invoice_id": "R14-10", "line_no": 0},
        {**echo, "invoice_id": "R14-11", "beneficiary_id": "B999", "act_code": "ZZZ",
         "quantity": 0},
        {**echo, "invoice_id": "R14-12", "service_date": None},
    ]
    for i, (row, exp) in enumerate(zip(rows, expected_echo, strict=False), start=1):
        check_row(row, {"row_id": i, **exp}, "(echoed values)")


def test_r14_rows_are_ignored_by_r09(liq):
    # Row 1 has the same duplicate key and an earlier submission date, but it is R14
    # (quantity 0 → billed 0): row 2 is judged alone and PAID.
    rows = liq([line(invoice_id="A", quantity="0", submission_date=D(2026, 10, 10)),
                line(invoice_id="B", submission_date=D(2026, 10, 20))], faulty_rows={1})
    check_rows(rows, [rej("R14", billed=0), CONS_PAID])


# ---------------------------------------------------------------------------
# "needs": codes whose lookups are missing are not evaluated
# ---------------------------------------------------------------------------

def test_needs_columns(liq):
    rows = liq([
        # 1 unknown beneficiary + unknown act: R01, R05 (no R02/R03/R07/R08)
        line(beneficiary_id="B999", act_code="ZZZ"),
        # 2 unknown provider, RAMED patient at no level: R04 only (no R06, no R11)
        line(beneficiary_id="A200", ogd="ANAM", provider_id="P-XXX", unit_price=2000),
        # 3 CHIR at CSCOM, sent to INPS, care after receipt: R06, R08, R12
        line(act_code="CHIR", unit_price=50000, ogd="INPS", service_date=D(2026, 10, 10),
             submission_date=D(2026, 10, 9)),
        # 4 ECHO for a man at CSCOM: R06 and R07
        line(act_code="ECHO", unit_price=5000, service_date=D(2026, 10, 6)),
        # 5 nothing known, dates incoherent: R01, R04, R05, R12
        line(beneficiary_id="B999", provider_id="P-XXX", act_code="ZZZ", ogd="ANAM",
             service_date=D(2026, 10, 10), submission_date=D(2026, 10, 9)),
        # 6 RAMED patient, unknown act at CSREF without referral: R05 and R11 (R11 needs B, V)
        line(beneficiary_id="A200", ogd="ANAM", provider_id="P-CSREF", act_code="ZZZ",
             service_date=D(2026, 10, 7)),
        # 7 unknown beneficiary at CSREF sent to ANAM: R01 only (R11 needs B)
        line(beneficiary_id="B999", ogd="ANAM", provider_id="P-CSREF", unit_price=2000),
    ])
    check_rows(rows, [
        rej("R01", "R05", billed=1000),
        rej("R04", billed=2000),
        rej("R06", "R08", "R12", billed=50000),
        rej("R06", "R07", billed=5000),
        rej("R01", "R04", "R05", "R12", billed=1000),
        rej("R05", "R11", billed=1000),
        rej("R01", billed=2000),
    ])


# ---------------------------------------------------------------------------
# Registry anomalies: unusable rows are absent (R01)
# ---------------------------------------------------------------------------

REGISTRY_ANOMALIES = {
    "duplicate_id": ([ben("X1"), ben("X1", sex="F")], "X1", "CMSS", False),
    "dependant_of_duplicated_principal": (
        [ben("X2"), ben("X2"), child("X3", D(2016, 1, 1), principal="X2")], "X3", "CMSS", False),
    "principal_missing": ([ben("X4", rel="SPOUSE", principal="X-NONE", sex="F")], "X4", "CMSS",
                          False),
    "principal_not_a_PRINCIPAL": ([child("X5", D(2018, 1, 1), principal="B101")], "X5", "CMSS",
                                  False),
    "dependant_ogd_differs": ([ben("X6", rel="SPOUSE", principal="B100", ogd="INPS", sex="F")],
                              "X6", "INPS", False),
    "of_right_outside_anam": ([ben("X7", rel="OF_RIGHT", ogd="CMSS")], "X7", "CMSS", False),
    "principal_id_not_own": ([ben("X8", principal="B100")], "X8", "CMSS", False),
    "of_right_principal_not_own": ([ben("X15", rel="OF_RIGHT", ogd="ANAM", principal="A200")],
                                   "X15", "ANAM", False),
    "rights_end_before_start": ([ben("X9", start=D(2026, 1, 1), end=D(2025, 12, 31))], "X9",
                                "CMSS", False),
    "born_after_liquidation_date": ([ben("X10", birth=D(2026, 11, 15))], "X10", "CMSS", False),
    "unreadable_sex": ([ben("X11", sex="X")], "X11", "CMSS", True),
    "unknown_relationship": ([ben("X12", rel="COUSIN")], "X12", "CMSS", True),
    "dependant_of_unreadable_principal": (
        [ben("X13", birth="30/02/1980"), ben("X14", rel="SPOUSE", principal="X13", sex="F")],
        "X14", "CMSS", True),
}


@pytest.mark.parametrize("case", list(REGISTRY_ANOMALIES))
def test_registry_anomaly_makes_the_beneficiary_absent(liq, case):
    extra, target, ogd, faults = REGISTRY_ANOMALIES[case]
    # CSCOM is not a referral level, so even the ANAM case has nothing but R01.
    rows = liq([line(beneficiary_id=target, ogd=ogd),
                line(service_date=D(2026, 10, 6))],                 # B100 still fine
               extra_beneficiaries=extra, registry_faults=faults)
    check_rows(rows, [rej("R01", billed=1000), CONS_PAID])


# ---------------------------------------------------------------------------
# Amounts: A01, A02, tariff dates, rounding, free care
# ---------------------------------------------------------------------------

ADJUSTMENTS = {
    # CONS × 1 at 1200, tariff 1000: allowed 1 × 1000 = 1000 → 700 / 300;
    # billed 1200, disallowed 1200 − 1000 = 200.
    "A01": (line(unit_price=1200),
            ok(billed=1200, tariff=1000, qty=1, allowed=1000, rate=70, payable=700, copay=300,
               disallowed=200, reasons=["A01"])),
    # MED × 5 at 500, max 3: allowed 3 × 500 = 1500; payable (1500×70 + 50)//100 =
    # 105050//100 = 1050; copay 450; billed 2500; disallowed 1000.
    "A02": (line(act_code="MED", quantity=5, unit_price=500),
            ok(billed=2500, tariff=500, qty=3, allowed=1500, rate=70, payable=1050, copay=450,
               disallowed=1000, reasons=["A02"])),
    # MED × 4 at 650: allowed 3 × min(650, 500) = 1500 → 1050 / 450; billed 4 × 650 = 2600;
    # disallowed 2600 − 1500 = 1100.
    "A01+A02": (line(act_code="MED", quantity=4, unit_price=650),
                ok(billed=2600, tariff=500, qty=3, allowed=1500, rate=70, payable=1050,
                   copay=450, disallowed=1100, reasons=["A01", "A02"])),
    # MED × 3 at 450 (below tariff, at max_qty): allowed 3 × 450 = 1350;
    # payable (1350×70 + 50)//100 = 94550//100 = 945; copay 405. PAID.
    "below_tariff_at_max_qty": (line(act_code="MED", quantity=3, unit_price=450),
                                ok(billed=1350, tariff=500, qty=3, allowed=1350, rate=70,
                                   payable=945, copay=405, disallowed=0)),
    # SIROP has no max_qty: × 4 at 800 → allowed 3200; payable (3200×70 + 50)//100 =
    # 224050//100 = 2240; copay 960. PAID.
    "no_max_qty": (line(act_code="SIROP", beneficiary_id="B102", quantity=4, unit_price=800),
                   ok(billed=3200, tariff=800, qty=4, allowed=3200, rate=70, payable=2240,
                      copay=960, disallowed=0)),
    # SIROP × 5 at 900: A01 only; allowed 5 × 800 = 4000; payable (4000×70 + 50)//100 = 2800;
    # copay 1200; billed 4500; disallowed 500.
    "no_max_qty_A01": (line(act_code="SIROP", beneficiary_id="B102", quantity=5,
                            unit_price=900),
                       ok(billed=4500, tariff=800, qty=5, allowed=4000, rate=70, payable=2800,
                          copay=1200, disallowed=500, reasons=["A01"])),
}


@pytest.mark.parametrize("case", list(ADJUSTMENTS))
def test_adjustments(liq, case):
    invoice, expected = ADJUSTMENTS[case]
    check_rows(liq([invoice], dialect="latin1"), [expected])


def test_tariff_change_in_the_middle_of_the_month(liq):
    # CONS at CSCOM: 1000 until 15/10/2026, 1500 from 16/10/2026.
    rows = liq([
        line(unit_price=1500, service_date=D(2026, 10, 15)),
        line(unit_price=1500, service_date=D(2026, 10, 16)),
        line(unit_price=1000, service_date=D(2026, 10, 16), beneficiary_id="B101"),
    ])
    check_rows(rows, [
        # 15/10: tariff 1000 < 1500 → A01; allowed 1000 → 700 / 300; disallowed 1500 − 1000 = 500
        ok(billed=1500, tariff=1000, qty=1, allowed=1000, rate=70, payable=700, copay=300,
           disallowed=500, reasons=["A01"]),
        # 16/10: tariff 1500; allowed 1500; payable (1500×70 + 50)//100 = 105050//100 = 1050;
        # copay 450
        ok(billed=1500, tariff=1500, qty=1, allowed=1500, rate=70, payable=1050, copay=450,
           disallowed=0),
        # 16/10 at 1000 < 1500: allowed 1000 → 700 / 300, tariff_price shown 1500
        ok(billed=1000, tariff=1500, qty=1, allowed=1000, rate=70, payable=700, copay=300,
           disallowed=0),
    ])


def test_half_up_rounding(liq):
    med = dict(act_code="MED")
    rows = liq([
        line(**med, quantity=3, unit_price=335, service_date=D(2026, 10, 1)),
        line(**med, quantity=1, unit_price=335, service_date=D(2026, 10, 2)),
        line(**med, quantity=1, unit_price=333, service_date=D(2026, 10, 3)),
        line(**med, quantity=1, unit_price=1, service_date=D(2026, 10, 4)),
        line(**med, quantity=1, unit_price=15, beneficiary_id="I300", ogd="INPS"),
        line(act_code="CHIR", provider_id="P-HR", unit_price=49999, beneficiary_id="U400",
             ogd="UTM"),
        line(**med, quantity=1, unit_price=0, service_date=D(2026, 10, 5)),
    ])
    check_rows(rows, [
        # 3 × 335 = 1005; 1005×70 = 70350 (703.5); +50 = 70400; //100 = 704; copay 301
        ok(billed=1005, tariff=500, qty=3, allowed=1005, rate=70, payable=704, copay=301,
           disallowed=0),
        # 335×70 = 23450 (234.5, half-even would give 234); +50 = 23500 → 235; copay 100
        ok(billed=335, tariff=500, qty=1, allowed=335, rate=70, payable=235, copay=100,
           disallowed=0),
        # 333×70 = 23310 (233.1); +50 = 23360 → 233; copay 100
        ok(billed=333, tariff=500, qty=1, allowed=333, rate=70, payable=233, copay=100,
           disallowed=0),
        # 1×70 = 70 (0.7); +50 = 120 → 1; copay 0
        ok(billed=1, tariff=500, qty=1, allowed=1, rate=70, payable=1, copay=0, disallowed=0),
        # INPS: 15×70 = 1050 (10.5, half-even would give 10); +50 = 1100 → 11; copay 4
        ok(billed=15, tariff=500, qty=1, allowed=15, rate=70, payable=11, copay=4,
           disallowed=0),
        # UTM HOSPITAL 80 %: 49999×80 = 3999920 (39999.2); +50 = 3999970 → 39999; copay 10000
        ok(billed=49999, tariff=50000, qty=1, allowed=49999, rate=80, payable=39999,
           copay=10000, disallowed=0),
        # price 0: allowed 0, payable (0 + 50)//100 = 0, copay 0: PAID (no code applies)
        ok(billed=0, tariff=500, qty=1, allowed=0, rate=70, payable=0, copay=0, disallowed=0),
    ])


def test_free_care_malaria_under_five(liq):
    # B131 (3 years old) and her principal B130 have rights closed on 30/06/2026.
    # PALU: free care MALARIA_U5, max_age 4, max_qty 2, 1200 at CSCOM, paid at 100 %.
    rows = liq([
        line(beneficiary_id="B131", act_code="PALU", unit_price=1200),
        line(beneficiary_id="B131"),                                               # CONS: R02
        line(beneficiary_id="B130", act_code="PALU", unit_price=1200,
             service_date=D(2026, 10, 6)),                                         # adult
        line(beneficiary_id="B131", act_code="PALU", quantity=3, unit_price=1300,
             service_date=D(2026, 10, 7)),
        line(beneficiary_id="B999", act_code="PALU", unit_price=1200),             # unregistered
    ])
    check_rows(rows, [
        # R02 does not apply to free care: allowed 1200; payable (1200×100 + 50)//100 = 1200
        ok(billed=1200, tariff=1200, qty=1, allowed=1200, rate=100, payable=1200, copay=0,
           disallowed=0, funder="FREE_CARE"),
        rej("R02", billed=1000),
        # 46 > max_age 4: R07 still applies (R02 exempt)
        rej("R07", billed=1200),
        # × 3 at 1300: allowed 2 × 1200 = 2400 → 2400 at 100 %; billed 3900; disallowed 1500
        ok(billed=3900, tariff=1200, qty=2, allowed=2400, rate=100, payable=2400, copay=0,
           disallowed=1500, funder="FREE_CARE", reasons=["A01", "A02"]),
        # free care is for everyone registered: unknown beneficiary is R01
        rej("R01", billed=1200),
    ])


def test_free_care_cesarean_and_hospital_rate(liq):
    extra = [ben("W1", sex="F", birth=D(1995, 5, 5), end=D(2026, 1, 31)),   # rights closed
             child("K16", D(2010, 1, 1), sex="F")]                         # 16, not a student
    rows = liq([
        line(beneficiary_id="A200", ogd="ANAM", provider_id="P-HR", act_code="CESAR",
             unit_price=80000),                                            # no referral: R11 exempt
        line(beneficiary_id="B101", provider_id="P-HR", act_code="CESAR", unit_price=90000,
             service_date=D(2026, 10, 6)),
        line(provider_id="P-HR", act_code="CESAR", unit_price=80000),      # B100 is a man
        line(provider_id="P-HR", act_code="CHIR", unit_price=50000),
        line(beneficiary_id="A200", ogd="ANAM", provider_id="P-HR", act_code="CHIR",
             unit_price=50000, service_date=D(2026, 10, 7)),               # no referral: R11
        line(beneficiary_id="W1", provider_id="P-CSREF", act_code="CESAR", unit_price=60000),
        line(beneficiary_id="K16", provider_id="P-HR", act_code="CESAR", unit_price=80000,
             service_date=D(2026, 10, 8)),                                 # R03 exempt
    ], extra_beneficiaries=extra)
    check_rows(rows, [
        ok(billed=80000, tariff=80000, qty=1, allowed=80000, rate=100, payable=80000, copay=0,
           disallowed=0, funder="FREE_CARE"),
        # 90000 > 80000: A01; allowed 80000 at 100 %; disallowed 10000
        ok(billed=90000, tariff=80000, qty=1, allowed=80000, rate=100, payable=80000, copay=0,
           disallowed=10000, funder="FREE_CARE", reasons=["A01"]),
        rej("R07", billed=80000),
        # CMSS HOSPITAL 80 %: (50000×80 + 50)//100 = 4000050//100 = 40000; copay 10000
        ok(billed=50000, tariff=50000, qty=1, allowed=50000, rate=80, payable=40000,
           copay=10000, disallowed=0),
        rej("R11", billed=50000),
        # rights closed 31/01/2026 but free care: CESAR at CSREF 60000, 100 %
        ok(billed=60000, tariff=60000, qty=1, allowed=60000, rate=100, payable=60000, copay=0,
           disallowed=0, funder="FREE_CARE"),
        ok(billed=80000, tariff=80000, qty=1, allowed=80000, rate=100, payable=80000, copay=0,
           disallowed=0, funder="FREE_CARE"),
    ])


# ---------------------------------------------------------------------------
# Payment orders and rejections (counts and totals only: headings are not fixed)
# ---------------------------------------------------------------------------

def test_payment_orders_group_by_ogd_provider_funder(liq):
    rows = liq([
        line(),                                                                # CMSS P-CSCOM OGD 700
        line(beneficiary_id="B131", act_code="PALU", unit_price=1200),         # CMSS FREE_CARE 1200
        line(beneficiary_id="A200", ogd="ANAM"),                               # ANAM OGD 1000
        line(act_code="CHIR", unit_price=50000),                               # R06: nothing
        line(act_code="MED", unit_price=0, provider_id="P-CSREF"),             # payable 0: no order
        line(beneficiary_id="B101", unit_price=1200, service_date=D(2026, 10, 6)),  # A01: 700
    ])
    assert [r["payable"] for r in rows] == [700, 1200, 1000, 0, 0, 700]
    # Orders: (CMSS, P-CSCOM, OGD) 700 + 700 = 1400; (CMSS, P-CSCOM, FREE_CARE) 1200;
    # (ANAM, P-CSCOM, OGD) 1000; (CMSS, P-CSREF, OGD) sums to 0 → no order. Total 3600.
    _, orders = payment_orders(rows.out)
    assert len(orders) == 3
    assert payment_orders_total(rows.out) == 3600
    # rejections.csv: one row per REJECTED or REDUCED line (rows 4 and 6).
    with (rows.out / "rejections.csv").open(encoding="cp1252", newline="") as fh:
        data = [r for r in fh.read().splitlines() if r.strip()]
    assert len(data) - 1 == 2


# ---------------------------------------------------------------------------
# CLI behaviour
# ---------------------------------------------------------------------------

def _default_batch(write_batch, folder: Path, invoices: list[dict], columns=None) -> Path:
    cols = {"invoices": INVOICE_COLUMNS, "beneficiaries": BENEFICIARY_COLUMNS,
            "providers": PROVIDER_COLUMNS}
    cols.update(columns or {})
    filled = [dict(r, invoice_id=r.get("invoice_id", f"F{i}"), line_no=r.get("line_no", 1))
              for i, r in enumerate(invoices, start=1)]
    return write_batch(folder, "utf8", columns=cols, beneficiaries=DEFAULT_BENEFICIARIES,
                       providers=DEFAULT_PROVIDERS, invoices=filled)


def _nothing_written(runs: Path, out: Path) -> None:
    assert not out.exists()
    assert not runs.exists() or list(runs.iterdir()) == []


def test_cli_missing_required_column_exit_3(tmp_path, tariff_dir, write_batch):
    cols = [c for c in INVOICE_COLUMNS if c != "act_code"]
    batch = _default_batch(write_batch, tmp_path / "lot", [line()], {"invoices": cols})
    runs = tmp_path / "runs"
    out = runs / "out"
    result = invoke(liquidate_args(batch, out, tariff_dir))
    assert result.exit_code == 3, explain(result)
    err = result.stderr.replace("\n", "")
    assert "invoices.csv" in err and "act_code" in err, result.stderr
    _nothing_written(runs, out)


@pytest.mark.parametrize("extra", [["--frobnicate"], ["--month", "2026-13"]])
def test_cli_usage_errors_exit_2(tmp_path, tariff_dir, write_batch, extra):
    batch = _default_batch(write_batch, tmp_path / "lot", [line()])
    runs = tmp_path / "runs"
    out = runs / "out"
    args = ["liquidate", str(batch), "--out", str(out), "--tariffs", str(tariff_dir), *extra]
    if "--month" not in extra:
        args += ["--month", "2026-10"]
    result = invoke(args)
    assert result.exit_code == 2, explain(result)
    _nothing_written(runs, out)


def test_cli_json_prints_one_object(tmp_path, tariff_dir, write_batch):
    batch = _default_batch(write_batch, tmp_path / "lot", [line(), line(beneficiary_id="B999")])
    out = tmp_path / "out"
    result = invoke(liquidate_args(batch, out, tariff_dir, extra=["--json"]))
    assert result.exit_code == 0, explain(result)
    payload = json.loads(result.stdout)
    assert isinstance(payload, dict)
    assert (out / "liquidation.parquet").is_file()


def test_cli_rerun_is_byte_identical(tmp_path, tariff_dir, write_batch):
    batch = _default_batch(write_batch, tmp_path / "lot", [
        line(), line(beneficiary_id="B999"), line(act_code="MED", quantity=5, unit_price=500),
        line(beneficiary_id="B131", act_code="PALU", unit_price=1200),
        line(beneficiary_id="A200", ogd="ANAM", provider_id="P-CSREF", unit_price=2000)])
    for name in ("out1", "out2"):
        result = invoke(liquidate_args(batch, tmp_path / name, tariff_dir))
        assert result.exit_code == 0, explain(result)
    for f in ("liquidation.parquet", "payment_orders.csv", "rejections.csv"):
        assert (tmp_path / "out1" / f).read_bytes() == (tmp_path / "out2" / f).read_bytes(), f


COVERAGE_WITHOUT_ANAM_HOSPITAL = [
    dict(ogd=o, care_type=c, rate_percent=r, valid_from=D(2020, 1, 1), valid_to=None)
    for o, c, r in [("CMSS", "AMBULATORY", 70), ("CMSS", "HOSPITAL", 80),
                    ("INPS", "AMBULATORY", 70), ("INPS", "HOSPITAL", 80),
                    ("UTM", "AMBULATORY", 70), ("UTM", "HOSPITAL", 80),
                    ("ANAM", "AMBULATORY", 100)]]


def test_cli_coverage_gap_exit_3(tmp_path, tariff_factory, write_batch):
    # Coverage without ANAM × HOSPITAL, and a PAID-able ANAM hospital line (CHIR at HR
    # with referral; CHIR is not free care, so it needs the rate).
    tariffs = tariff_factory(tmp_path / "tarifs-trou", coverage=COVERAGE_WITHOUT_ANAM_HOSPITAL)
    batch = _default_batch(write_batch, tmp_path / "lot", [
        line(beneficiary_id="A200", ogd="ANAM", provider_id="P-HR", act_code="CHIR",
             unit_price=50000, referral=True)])
    runs = tmp_path / "runs"
    out = runs / "out"
    result = invoke(liquidate_args(batch, out, tariffs))
    assert result.exit_code == 3, explain(result)
    err = result.stderr.replace("\n", "")
    assert "ANAM" in err and "HOSPITAL" in err, result.stderr
    _nothing_written(runs, out)


def test_cli_coverage_gap_no_line_needs_it_exit_0(tmp_path, tariff_factory, write_batch):
    # Same gap (no ANAM × HOSPITAL rate) but the only ANAM line is ambulatory: the
    # rulebook stops a run only for a line that needs the missing rate.
    tariffs = tariff_factory(tmp_path / "tarifs-trou", coverage=COVERAGE_WITHOUT_ANAM_HOSPITAL)
    batch = _default_batch(write_batch, tmp_path / "lot", [
        line(beneficiary_id="A200", ogd="ANAM", act_code="CONS", unit_price=1000)])
    out = tmp_path / "out"
    result = invoke(liquidate_args(batch, out, tariffs))
    assert result.exit_code == 0, explain(result)
    row = pl.read_parquet(out / "liquidation.parquet").row(0, named=True)
    # CONS at CSCOM on 05/10/2026: 1000 at 100 % (ANAM ambulatory) = 1000
    assert (row["status"], row["rate_percent"], row["payable"]) == ("PAID", 100, 1000)
