"""R15–R18 and A03 through the real `ramu liquidate` (and `ramu commit`), on real CSV files.

Every expectation is worked out by hand from the rulebook ("Reason codes",
"Frequency and annual caps", "Amounts"). The tariff folder is the fixture's
(tests/conftest.py) with the four version 2 act columns added:

    CONS  max_qty 1, min_interval_days 7          CSCOM 1000 up to 15/10/2026, 1500 from 16/10
    MED   max_qty 3, max_per_year 5               CSCOM 500
    ECHO  max_qty 1, max_per_year 2, min_interval_days 10 (sex F, 12–50 years)   CSREF 5000
    CHIR  max_qty 1, waiting_days 90, prior_authorization                        HR 50000
    PALU  free care, max_qty 2, max_per_year 3, waiting_days 30, prior_authorization   CSCOM 1200

Coverage: CMSS 70 % ambulatory, 80 % hospital; free care 100 %.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest

from conftest import ACT_COLUMNS, FIXTURE_ACTS, write_batch_folder, write_csv_table, write_tariff_folder
from liq_helpers import (
    BENEFICIARY_COLUMNS,
    DEFAULT_BENEFICIARIES,
    DEFAULT_PROVIDERS,
    INVOICE_COLUMNS,
    PROVIDER_COLUMNS,
    ben,
    check_rows,
    child,
    explain,
    invoke,
    line,
    ok,
    rej,
    run_ok,
)

D = date
V2_COLUMNS = ["waiting_days", "max_per_year", "prior_authorization", "min_interval_days"]
V2_ACTS = {
    "CONS": dict(min_interval_days=7),
    "MED": dict(max_per_year=5),
    "ECHO": dict(max_per_year=2, min_interval_days=10),
    "CHIR": dict(waiting_days=90, prior_authorization=True),
    "PALU": dict(max_per_year=3, waiting_days=30, prior_authorization=True),
}
AUTH_COLUMNS = ["authorization_id", "beneficiary_id", "act_code", "provider_id", "valid_from", "valid_to"]
REGISTRY = [*DEFAULT_BENEFICIARIES,
            ben("N500", start=D(2026, 8, 1)),                  # insured from 01/08/2026 (CMSS)
            child("K1", D(2023, 3, 1), principal="B100")]      # 3 years old in October 2026


@pytest.fixture
def tariffs_v2(tmp_path: Path) -> Path:
    folder = write_tariff_folder(tmp_path / "tarifs_v2")
    acts = [{**a, **V2_ACTS.get(a["act_code"], {})} for a in FIXTURE_ACTS]
    write_csv_table(folder / "acts.csv", acts, "utf8", [*ACT_COLUMNS, *V2_COLUMNS])
    return folder


def write_lot(folder: Path, invoices: list[dict], authorizations: list[dict] | None = None) -> Path:
    """A batch with invoice_id F<row> and line_no 1 unless given, and the authorizations file."""
    rows = [{"invoice_id": f"F{i:03d}", "line_no": 1, **inv} for i, inv in enumerate(invoices, start=1)]
    tables: dict = dict(beneficiaries=REGISTRY, providers=DEFAULT_PROVIDERS, invoices=rows)
    columns = {"invoices": [*INVOICE_COLUMNS, "authorization_id"], "beneficiaries": BENEFICIARY_COLUMNS,
               "providers": PROVIDER_COLUMNS, "authorizations": AUTH_COLUMNS}
    if authorizations is not None:
        tables["authorizations"] = authorizations
    return write_batch_folder(folder, "utf8", columns, **tables)


def z(aid: str, bid: str, act: str, provider: str | None, start: date, end: date) -> dict:
    return dict(authorization_id=aid, beneficiary_id=bid, act_code=act, provider_id=provider,
                valid_from=start, valid_to=end)


def chir(bid: str, day: int, auth: str | None = None, **kw) -> dict:
    return line(beneficiary_id=bid, provider_id="P-HR", act_code="CHIR", unit_price=50000,
                service_date=D(2026, 10, day), submission_date=D(2026, 10, 31), authorization_id=auth, **kw)


CHIR_PAID = ok(billed=50000, tariff=50000, qty=1, allowed=50000, rate=80, payable=40000, copay=10000,
               disallowed=0)


def test_r15_and_r17_with_their_exemptions(tmp_path, tariffs_v2):
    auths = [z("Z1", "N500", "CHIR", "P-HR", D(2026, 10, 1), D(2026, 10, 31)),
             z("Z2", "B100", "CHIR", None, D(2026, 10, 6), D(2026, 10, 6)),     # any provider, one day
             z("Z3", "B100", "CHIR", "P-HR", D(2026, 10, 1), D(2026, 10, 31)),
             z("ZD", "B100", "CHIR", "P-HR", D(2026, 10, 1), D(2026, 10, 31)),  # duplicate id: unusable
             z("ZD", "B100", "CHIR", "P-HR", D(2026, 10, 1), D(2026, 10, 31)),
             z("ZP", "B100", "CHIR", "P-EPH", D(2026, 10, 1), D(2026, 10, 31))]
    lot = write_lot(tmp_path / "2026-10", [
        chir("N500", 29, "Z1"),        # 01/08 + 89 days: still waiting (R15), authorization fine
        chir("N500", 30, "Z1"),        # day 90 of the rights: covered
        chir("B100", 5),               # no authorization: R17
        chir("B100", 6, "Z2"),         # provider-less authorization, its only day: paid
        chir("B100", 7, "Z2"),         # the day after its validity: R17
        chir("B100", 8, emergency=True),   # emergency: no authorization needed
        chir("B100", 9, "ZD"),         # unusable authorization (anomaly): R17
        chir("B101", 10, "Z3"),        # authorization of another beneficiary: R17
        chir("B100", 11, "ZP"),        # authorization for another provider: R17
        chir("B100", 12, "Z9"),        # unknown authorization: R17
        line(beneficiary_id="K1", act_code="PALU", unit_price=1200, quantity=1),  # free care: exempt
    ], auths)
    df = run_ok(lot, tmp_path / "out", tariffs_v2, 11)
    palu = ok(billed=1200, tariff=1200, qty=1, allowed=1200, rate=100, payable=1200, copay=0, disallowed=0,
              funder="FREE_CARE")
    check_rows(df.to_dicts(), [
        rej("R15", billed=50000), CHIR_PAID, rej("R17", billed=50000), CHIR_PAID,
        rej("R17", billed=50000), CHIR_PAID, rej("R17", billed=50000), rej("R17", billed=50000),
        rej("R17", billed=50000), rej("R17", billed=50000), palu])
    anomalies = pl.read_csv(tmp_path / "out" / "anomalies.csv", separator=";", infer_schema=False,
                            encoding="windows-1252")
    mine = anomalies.filter(pl.col("file").str.contains("authorizations"))
    assert mine["row"].to_list() == ["4", "5"] and set(mine["column"]) == {"authorization_id"}
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text(encoding="utf-8"))
    assert "authorizations" in json.dumps(manifest["inputs"])


def cons(day: int, **kw) -> dict:
    price = 1000 if day <= 15 else 1500
    return line(service_date=D(2026, 10, day), submission_date=D(2026, 10, 31), unit_price=price, **kw)


def test_r18_kept_rejected_kept_emergency_and_other_codes(tmp_path, tariffs_v2):
    lot = write_lot(tmp_path / "2026-10", [
        cons(1), cons(5), cons(9),          # kept, R18, kept
        cons(10, emergency=True),           # exempt, and counts
        cons(12),                           # 2 days after the emergency: R18
        cons(20, ogd="INPS"),               # R08 only: does not count
        cons(22),                           # 12 days after the 10th: kept
    ])
    df = run_ok(lot, tmp_path / "out", tariffs_v2, 7)
    early = ok(billed=1000, tariff=1000, qty=1, allowed=1000, rate=70, payable=700, copay=300, disallowed=0)
    late = ok(billed=1500, tariff=1500, qty=1, allowed=1500, rate=70, payable=1050, copay=450, disallowed=0)
    check_rows(df.to_dicts(), [early, rej("R18", billed=1000), early, early, rej("R18", billed=1000),
                               rej("R08", billed=1500), late])


def med(day: int, qty: int, **kw) -> dict:
    return line(act_code="MED", quantity=qty, unit_price=500, service_date=D(2026, 10, day),
                submission_date=D(2026, 10, 10 + day), **kw)


def test_annual_caps_a02_a03_other_codes_r18_and_free_care(tmp_path, tariffs_v2):
    echo = dict(beneficiary_id="B101", provider_id="P-CSREF", act_code="ECHO", unit_price=5000,
                submission_date=D(2026, 10, 31))
    palu = dict(beneficiary_id="K1", act_code="PALU", unit_price=1200, submission_date=D(2026, 10, 25))
    lot = write_lot(tmp_path / "2026-10", [
        med(1, 3, ogd="INPS"),     # R08: does not count
        med(2, 3),                 # used 0: paid 3
        med(3, 4),                 # capped 3, used 3, remaining 2: A02 and A03, allowed_qty 2
        med(4, 1),                 # used 6 ≥ 5: R16
        line(**echo, service_date=D(2026, 10, 1)),    # kept
        line(**echo, service_date=D(2026, 10, 5)),    # R18 (4 days < 10): does not count for the cap
        line(**echo, service_date=D(2026, 10, 20)),   # used 1 of 2: paid
        line(**echo, service_date=D(2026, 10, 30)),   # 10 days after: not R18; used 2: R16
        line(**palu, service_date=D(2026, 10, 2), quantity=2),   # free care, used 0: paid 2
        line(**palu, service_date=D(2026, 10, 3), quantity=2),   # used 2 of 3: A03, allowed_qty 1
        line(**palu, service_date=D(2026, 10, 4), quantity=1),   # used 4: R16
    ])
    df = run_ok(lot, tmp_path / "out", tariffs_v2, 11)
    echo_paid = ok(billed=5000, tariff=5000, qty=1, allowed=5000, rate=70, payable=3500, copay=1500,
                   disallowed=0)
    check_rows(df.to_dicts(), [
        rej("R08", billed=1500),
        ok(billed=1500, tariff=500, qty=3, allowed=1500, rate=70, payable=1050, copay=450, disallowed=0),
        ok(reasons=("A02", "A03"), billed=2000, tariff=500, qty=2, allowed=1000, rate=70, payable=700, copay=300,
           disallowed=1000),
        rej("R16", billed=500),
        echo_paid, rej("R18", billed=5000), echo_paid, rej("R16", billed=5000),
        ok(billed=2400, tariff=1200, qty=2, allowed=2400, rate=100, payable=2400, copay=0, disallowed=0,
           funder="FREE_CARE"),
        ok(reasons=("A03",), funder="FREE_CARE", billed=2400, tariff=1200, qty=1, allowed=1200, rate=100,
           payable=1200, copay=0, disallowed=1200),
        rej("R16", billed=1200)])


def test_the_ledger_of_the_same_year_consumes_the_cap(tmp_path, tariffs_v2):
    ledger = tmp_path / "registre"
    ledger.mkdir()
    october = write_lot(tmp_path / "2026-10", [med(5, 3), cons(28)])
    run_ok(october, tmp_path / "out10", tariffs_v2, 2)
    committed = invoke(["commit", tmp_path / "out10", "--ledger", ledger])
    assert committed.exit_code == 0, explain(committed)
    november = write_lot(tmp_path / "2026-11", [
        line(act_code="MED", quantity=3, unit_price=500, service_date=D(2026, 11, 3),
             submission_date=D(2026, 11, 10), invoice_id="N001"),   # ledger used 3 of 5: A03, allowed_qty 2
        line(service_date=D(2026, 11, 2), submission_date=D(2026, 11, 10), unit_price=1500,
             invoice_id="N002"),                                # 5 days after the ledger's 28/10: R18
        line(service_date=D(2026, 11, 4), submission_date=D(2026, 11, 10), unit_price=1500,
             invoice_id="N003"),                                # 7 days after: kept
    ])
    df = run_ok(november, tmp_path / "out11", tariffs_v2, 3, month="2026-11", extra=["--ledger", ledger])
    check_rows(df.to_dicts(), [
        ok(reasons=("A03",), billed=1500, tariff=500, qty=2, allowed=1000, rate=70, payable=700, copay=300,
           disallowed=500),
        rej("R18", billed=1500),
        ok(billed=1500, tariff=1500, qty=1, allowed=1500, rate=70, payable=1050, copay=450, disallowed=0)])


def test_version_1_tariffs_and_batch_give_the_same_bytes_as_empty_version_2_columns(tmp_path, tariff_dir):
    """A version 1 batch (no authorization_id, no authorizations file) under the version 1
    fixture folder, and under the same folder with the four columns present but empty:
    the same liquidation.parquet, byte for byte (R15–R18 and A03 never apply)."""
    v2_empty = write_tariff_folder(tmp_path / "tarifs_vides")
    write_csv_table(v2_empty / "acts.csv", FIXTURE_ACTS, "utf8", [*ACT_COLUMNS, *V2_COLUMNS])
    lines = [cons(1), cons(3), med(2, 3), med(3, 4), med(4, 4), chir("B100", 5)]
    lot = write_batch_folder(
        tmp_path / "2026-10", "utf8",
        {"invoices": INVOICE_COLUMNS, "beneficiaries": BENEFICIARY_COLUMNS, "providers": PROVIDER_COLUMNS},
        beneficiaries=REGISTRY, providers=DEFAULT_PROVIDERS,
        invoices=[{"invoice_id": f"F{i}", "line_no": 1, **r} for i, r in enumerate(lines, start=1)])
    v1 = run_ok(lot, tmp_path / "v1", tariff_dir, len(lines))
    run_ok(lot, tmp_path / "v2", v2_empty, len(lines))
    assert (tmp_path / "v1" / "liquidation.parquet").read_bytes() == \
        (tmp_path / "v2" / "liquidation.parquet").read_bytes()
    assert v1["status"].to_list() == ["PAID", "PAID", "PAID", "REDUCED", "REDUCED", "PAID"]
