"""R15, R17, R18, R16 and A03 as functions, on small hand-built frames (and real files
for the registry and the authorizations), every expectation worked out by hand
from the rulebook; then a property test against a plain-Python reading of it.

Dates are in October 2026 unless said otherwise; "day n" is 2026-10-n.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import write_csv_table
from ramu_cli.contract import AUTHORIZATIONS, BENEFICIARIES
from ramu_cli.io.readers import scan_table
from ramu_cli.liquidation.authorizations import join_authorizations, load_authorizations
from ramu_cli.liquidation.registry import usable_beneficiaries
from ramu_cli.rules.authorization import Z_MATCH, r17_prior_authorization, z_matches
from ramu_cli.rules.frequency import INPUT_COLUMNS, frequency_flags
from ramu_cli.rules.waiting import r15_waiting_period

D = date


def day(n: int) -> date:
    return D(2026, 10, n)


# ---------------------------------------------------------------------------
# R15 — waiting period, counted from the principal's rights_start
# ---------------------------------------------------------------------------

REGISTRY = [
    # P1: principal insured from 01/09/2026; C1 its child, with rights of its own from 20/09/2026.
    dict(beneficiary_id="P1", principal_id="P1", relationship="PRINCIPAL", ogd="CMSS", sex="F",
         birth_date=D(1990, 1, 1), rights_start=D(2026, 9, 1)),
    dict(beneficiary_id="C1", principal_id="P1", relationship="CHILD", ogd="CMSS", sex="M",
         birth_date=D(2020, 1, 1), rights_start=D(2026, 9, 20)),
    # P2: insured since 2020; S2 its spouse, added to the family on 25/09/2026.
    dict(beneficiary_id="P2", principal_id="P2", relationship="PRINCIPAL", ogd="CMSS", sex="M",
         birth_date=D(1980, 1, 1), rights_start=D(2020, 1, 1)),
    dict(beneficiary_id="S2", principal_id="P2", relationship="SPOUSE", ogd="CMSS", sex="F",
         birth_date=D(1985, 1, 1), rights_start=D(2026, 9, 25)),
]


def looked_up(tmp_path, lines: list[dict]) -> pl.DataFrame:
    """The lines with B's columns as the pipeline names them (b_*), from a real registry file."""
    path = write_csv_table(tmp_path / "beneficiaries.csv", REGISTRY, "latin1")
    bens, anomalies = usable_beneficiaries(scan_table(path, BENEFICIARIES), D(2026, 10, 31))
    assert anomalies.is_empty()
    b = bens.select("beneficiary_id", *[pl.col(c).alias(f"b_{c}") for c in bens.columns
                                        if c != "beneficiary_id"])
    frame = pl.DataFrame(lines, schema={"beneficiary_id": pl.String, "service_date": pl.Date,
                                        "emergency": pl.Boolean, "a_waiting_days": pl.Int64,
                                        "a_free_care": pl.String})
    return frame.join(b, on="beneficiary_id", how="left", maintain_order="left")


def w(ben: str, d: date, waiting: int | None = 30, emergency: bool = False,
      free_care: str | None = None) -> dict:
    return dict(beneficiary_id=ben, service_date=d, emergency=emergency, a_waiting_days=waiting,
                a_free_care=free_care)


def test_r15_waiting_period(tmp_path):
    # P1's rights from 01/09/2026, 30 days: R15 up to 30/09 (01/09 + 29 days), covered from 01/10.
    lines = [
        w("P1", D(2026, 9, 29)),            # 1 R15
        w("P1", D(2026, 9, 30)),            # 2 R15: the last day of the waiting period
        w("P1", D(2026, 10, 1)),            # 3 covered: the first day after it
        w("C1", D(2026, 9, 30)),            # 4 R15: the principal's start counts (01/09)
        w("C1", D(2026, 10, 1)),            # 5 covered, though C1's own rights began 20/09
        w("S2", D(2026, 9, 26)),            # 6 covered: counted from P2's start (2020)
        w("P1", D(2026, 9, 10), emergency=True),           # 7 emergency: exempt
        w("P1", D(2026, 9, 10), free_care="CESAREAN"),     # 8 free care: exempt
        w("P1", D(2026, 9, 10), waiting=None),             # 9 no waiting period for the act
        w("X9", D(2026, 9, 10)),            # 10 B absent: not evaluated (R01's business)
        w("P1", D(2026, 9, 1), waiting=1),  # 11 R15: first day of rights, 1 day to wait
        w("P1", D(2026, 9, 2), waiting=1),  # 12 covered
    ]
    got = looked_up(tmp_path, lines).select(r15_waiting_period())
    assert got.to_series().to_list() == [True, True, False, True, False, False, False, False,
                                         False, False, True, False]


# ---------------------------------------------------------------------------
# R17 — prior authorization, with the Z lookup from a real authorizations file
# ---------------------------------------------------------------------------

AUTHS = [
    dict(authorization_id="AP1", beneficiary_id="B100", act_code="CHIR", provider_id="P-HR",
         valid_from=day(1), valid_to=day(31)),
    dict(authorization_id="AP2", beneficiary_id="B100", act_code="CHIR", provider_id=None,
         valid_from=day(1), valid_to=day(31)),
    dict(authorization_id="AP3", beneficiary_id="B100", act_code="CHIR", provider_id="P-HR",
         valid_from=day(1), valid_to=day(31)),
    dict(authorization_id="AP3", beneficiary_id="B100", act_code="CHIR", provider_id="P-HR",
         valid_from=day(1), valid_to=day(31)),
    dict(authorization_id="AP4", beneficiary_id="B100", act_code="CHIR", provider_id="P-HR",
         valid_from=day(20), valid_to=day(10)),      # ends before it starts: unusable
]


def z_frame(tmp_path, lines: list[dict]) -> pl.DataFrame:
    path = write_csv_table(tmp_path / "authorizations.csv", AUTHS, "utf8-bom")
    usable, anomalies = load_authorizations(scan_table(path, AUTHORIZATIONS))
    assert anomalies["row"].to_list() == [3, 4, 5]
    frame = pl.DataFrame(lines, schema={
        "beneficiary_id": pl.String, "act_code": pl.String, "provider_id": pl.String,
        "service_date": pl.Date, "authorization_id": pl.String, "emergency": pl.Boolean,
        "a_prior_authorization": pl.Boolean, "a_free_care": pl.String})
    joined = join_authorizations(frame.lazy(), usable).collect()
    assert joined.height == frame.height
    return joined


def z(auth: str | None, *, ben: str = "B100", act: str = "CHIR", prov: str = "P-HR", d: date = day(15),
      needed: bool | None = True, emergency: bool = False, free_care: str | None = None) -> dict:
    return dict(beneficiary_id=ben, act_code=act, provider_id=prov, service_date=d,
                authorization_id=auth, emergency=emergency, a_prior_authorization=needed,
                a_free_care=free_care)


def test_r17_prior_authorization(tmp_path):
    lines = [
        z(None),                          # 1 missing → R17
        z("AP404"),                       # 2 unknown id → R17
        z("AP3"),                         # 3 duplicate id, set aside → R17
        z("AP1", ben="B101"),             # 4 another beneficiary's → R17
        z("AP1", act="ECHO"),             # 5 for another act → R17
        z("AP1", prov="P-EPH"),           # 6 for another provider → R17
        z("AP1", d=D(2026, 9, 30)),       # 7 the day before its validity → R17
        z("AP1", d=D(2026, 11, 1)),       # 8 the day after → R17
        z("AP1", d=day(1)),               # 9 first day of validity: covered
        z("AP1", d=day(31)),              # 10 last day: covered
        z("AP2", prov="P-EPH"),           # 11 no provider named: any provider
        z(None, emergency=True),          # 12 emergency: exempt
        z(None, free_care="CESAREAN"),    # 13 free care: exempt
        z(None, needed=False),            # 14 the act needs none
        z(None, needed=None),             # 15 A absent: not evaluated (R05's business)
        z("AP4"),                         # 16 validity ends before it starts: unusable → R17
    ]
    frame = z_frame(tmp_path, lines)
    assert frame.select(r17_prior_authorization()).to_series().to_list() == [
        True, True, True, True, True, True, True, True, False, False, False, False, False,
        False, False, True]
    # The same match exempts from R18: only 9, 10 and 11 have a Z that matches.
    assert frame.select(z_matches()).to_series().to_list() == [
        False] * 8 + [True, True, True] + [False] * 5
    assert frame["z_provider_id"].to_list()[8:11] == ["P-HR", "P-HR", None]


def test_join_authorizations_without_file():
    frame = pl.DataFrame([z("AP1")]).lazy()
    joined = join_authorizations(frame, None).collect()
    assert joined.select("z_beneficiary_id", "z_act_code", "z_provider_id", "z_valid_from",
                         "z_valid_to").row(0) == (None, None, None, None, None)
    assert joined.select(r17_prior_authorization(), z_matches()).row(0) == (True, False)


# ---------------------------------------------------------------------------
# R18, R16, A03 — frequency_flags on the eligible rows
# ---------------------------------------------------------------------------

def row(row_id: int, d: date, *, ben: str = "B1", act: str = "CONS", sub: date = day(20),
        prov: str = "P1", inv: str | None = None, line_no: int = 1, qty: int = 1,
        max_qty: int | None = None, cap: int | None = None, k: int | None = 7,
        emergency: bool = False, z_match: bool = False) -> dict:
    return dict(row_id=row_id, beneficiary_id=ben, act_code=act, service_date=d,
                submission_date=sub, provider_id=prov, invoice_id=inv or f"F{row_id}",
                line_no=line_no, quantity=qty, a_max_qty=max_qty, a_max_per_year=cap,
                a_min_interval_days=k, emergency=emergency, **{Z_MATCH: z_match})


SCHEMA = {"row_id": pl.Int64, "beneficiary_id": pl.String, "act_code": pl.String,
          "service_date": pl.Date, "submission_date": pl.Date, "provider_id": pl.String,
          "invoice_id": pl.String, "line_no": pl.Int64, "quantity": pl.Int64,
          "a_max_qty": pl.Int64, "a_max_per_year": pl.Int64, "a_min_interval_days": pl.Int64,
          "emergency": pl.Boolean, Z_MATCH: pl.Boolean}


def ledger_frame(lines: list[tuple]) -> pl.LazyFrame:
    return pl.LazyFrame(lines, schema={"beneficiary_id": pl.String, "act_code": pl.String,
                                       "service_date": pl.Date, "allowed_qty": pl.Int64},
                        orient="row")


def flags(rows: list[dict], ledger: list[tuple] | None = None) -> dict[int, tuple]:
    """row_id → (r18, r16, a03, cap_remaining); rows the rules do not concern are absent."""
    frame = pl.LazyFrame(rows, schema=SCHEMA)
    assert list(SCHEMA) == INPUT_COLUMNS
    out = frequency_flags(frame, None if ledger is None else ledger_frame(ledger))
    return {r[0]: r[1:] for r in out.rows()}


KEPT = (False, False, False, None)
R18 = (True, False, False, None)


def test_r18_days_1_5_9():
    # k = 7: day 5 is 4 days after the kept day 1 → R18; day 9 is 8 days after day 1
    # (day 5 was rejected and does not count) → kept.
    assert flags([row(1, day(1)), row(2, day(5)), row(3, day(9))]) == {1: KEPT, 2: R18, 3: KEPT}


def test_r18_exactly_k_days_apart_is_kept():
    assert flags([row(1, day(1)), row(2, day(8)), row(3, day(14))]) == {1: KEPT, 2: KEPT, 3: R18}


def test_r18_in_service_date_order_not_file_order():
    # Row 1 (day 9) comes after row 2 (day 3) in service-date order: row 2 kept, row 1 R18.
    assert flags([row(1, day(9)), row(2, day(3))]) == {1: R18, 2: KEPT}


def test_r18_against_a_ledger_line_after_the_service_date():
    ledger = [("B1", "CONS", day(12), 1), ("B2", "CONS", day(12), 1),
              ("B3", "ECHO", day(12), 1), ("B4", "CONS", D(2026, 9, 30), 1)]
    rows = [row(1, day(5)),               # B1: 7 days before the ledger's 12/10 → kept
            row(2, day(19)),              # B1: 7 days after it, 14 after row 1 → kept
            row(3, day(8), ben="B2"),     # B2: 4 days before the ledger's 12/10 → R18
            row(4, day(13), ben="B2"),    # B2: 1 day after it → R18 (ledger lines always count)
            row(5, day(10), ben="B3"),    # B3: the ledger line is another act → kept
            row(6, day(6), ben="B4")]     # B4: 6 days after the ledger's 30/09 → R18
    assert flags(rows, ledger) == {1: KEPT, 2: KEPT, 3: R18, 4: R18, 5: KEPT, 6: R18}


def test_r18_a_row_rejected_by_the_ledger_does_not_count():
    ledger = [("B1", "CONS", day(1), 1)]
    # Day 7 is 6 days after the ledger's 01/10 → R18; day 9 is 8 days after it, and the
    # rejected day 7 does not count → kept.
    assert flags([row(1, day(7)), row(2, day(9))], ledger) == {1: R18, 2: KEPT}


def test_r18_same_day_at_two_providers():
    # Same day, same submission date: the R09 order puts provider P-A before P-B,
    # whatever the file order. (R09 does not apply: the providers differ.)
    rows = [row(1, day(3), prov="P-B"), row(2, day(3), prov="P-A")]
    assert flags(rows) == {1: R18, 2: KEPT}
    # An earlier submission comes first.
    rows = [row(1, day(3), prov="P-B", sub=day(10)), row(2, day(3), prov="P-A")]
    assert flags(rows) == {1: KEPT, 2: R18}


def test_r18_emergency_and_authorization_exempt_and_counted():
    rows = [row(1, day(1)),
            row(2, day(3), emergency=True),       # exempt: kept, and counts
            row(3, day(5), z_match=True),         # exempt: kept, and counts
            row(4, day(11))]                      # 6 days after the kept day 5 → R18
    assert flags(rows) == {1: KEPT, 2: KEPT, 3: KEPT, 4: R18}
    ledger = [("B1", "CONS", day(2), 1)]
    assert flags([row(1, day(3), emergency=True), row(2, day(4), z_match=True)], ledger) == {
        1: KEPT, 2: KEPT}


def test_r18_other_beneficiaries_acts_and_acts_without_interval():
    rows = [row(1, day(1)), row(2, day(2), ben="B2"), row(3, day(2), act="CS002"),
            row(4, day(1), act="MED", k=None), row(5, day(2), act="MED", k=None)]
    assert flags(rows) == {1: KEPT, 2: KEPT, 3: KEPT}     # MED has no interval nor cap: absent


def test_r18_row_without_interval_still_counts_for_the_act():
    # The act's row at day 1 has no interval (an older tariff period), day 4 has 7 days.
    rows = [row(1, day(1), k=None), row(2, day(4))]
    assert flags(rows) == {1: KEPT, 2: R18}


def test_r18_interval_acts_given_by_the_tariff():
    """The caller names the acts with an interval in some tariff period: a batch whose rows of
    that act all fall in a period without one still lists them (kept), and nothing changes."""
    rows = [row(1, day(1), k=None), row(2, day(4), k=None)]
    frame = pl.LazyFrame(rows, schema=SCHEMA)
    assert frequency_flags(frame, None, ["CONS"]).rows() == [(1, *KEPT), (2, *KEPT)]
    assert frequency_flags(frame, None, []).is_empty()
    assert frequency_flags(frame, None).is_empty()


CAP = dict(act="ECHO", k=None, cap=3)


def test_r16_consumed_by_the_ledger_of_the_same_year_only():
    ledger = [("B1", "ECHO", D(2026, 3, 10), 2),       # this year: counts
              ("B1", "ECHO", D(2025, 12, 20), 3),      # the year before: does not
              ("B2", "ECHO", D(2026, 5, 1), 1)]        # another beneficiary: does not
    rows = [row(1, day(5), sub=day(10), **CAP),        # used 2 → remaining 1 = capped 1: untouched
            row(2, day(6), sub=day(12), **CAP)]        # used 2 + 1 → remaining 0 → R16
    assert flags(rows, ledger) == {1: (False, False, False, 1), 2: (False, True, False, 0)}
    # Without the ledger only the batch counts.
    assert flags(rows) == {1: (False, False, False, 3), 2: (False, False, False, 2)}


def test_r16_a03_in_r09_order_inside_the_batch():
    # MED: max_qty 3, 5 a year. R09 order: row 2 (sub 05/10), row 3 (10/10), row 1 (20/10).
    med = dict(act="MED", k=None, cap=5, max_qty=3)
    rows = [row(1, day(2), sub=day(20), qty=2, **med),
            row(2, day(3), sub=day(5), qty=4, **med),   # capped 3; used 0 → remaining 5
            row(3, day(4), sub=day(10), qty=3, **med)]  # used 3 → remaining 2 < 3 → A03
    # Row 1: used 3 + 3 (row 3 counts with its capped 3 though it was cut) → 0 → R16.
    assert flags(rows) == {1: (False, True, False, 0), 2: (False, False, False, 5),
                           3: (False, False, True, 2)}


def test_r16_r09_order_ties_broken_by_provider_invoice_line_and_row():
    med = dict(act="MED", k=None, cap=2, qty=1)
    rows = [row(1, day(2), prov="P2", **med),
            row(2, day(2), prov="P1", inv="F10", **med),   # "F10" < "F9" as strings
            row(3, day(2), prov="P1", inv="F9", **med)]
    assert flags(rows) == {2: (False, False, False, 2), 3: (False, False, False, 1),
                           1: (False, True, False, 0)}


def test_r16_rows_rejected_by_r18_do_not_count():
    both = dict(k=7, cap=2)
    rows = [row(1, day(1), **both), row(2, day(3), **both),   # day 3: R18
            row(3, day(10), **both), row(4, day(20), **both)]
    # Counted: rows 1 and 3 only. Row 4: used 2 → R16. (Had row 2 counted, row 3 would be R16.)
    assert flags(rows) == {1: (False, False, False, 2), 2: R18, 3: (False, False, False, 1),
                           4: (False, True, False, 0)}


def test_r16_calendar_years_are_separate():
    rows = [row(1, D(2026, 12, 30), sub=D(2027, 1, 5), qty=3, **CAP),
            row(2, D(2027, 1, 2), sub=D(2027, 1, 5), qty=2, **CAP),
            row(3, D(2026, 12, 31), sub=D(2027, 1, 6), qty=1, **CAP)]
    # 2026: row 1 uses 3 → row 3 R16; 2027: row 2 alone → remaining 3, capped 2: untouched.
    assert flags(rows) == {1: (False, False, False, 3), 2: (False, False, False, 3),
                           3: (False, True, False, 0)}


def test_nothing_concerned():
    assert flags([row(1, day(1), k=None)]) == {}
    assert flags([]) == {}


# ---------------------------------------------------------------------------
# Property: frequency_flags equals a plain reading of the rulebook, row by row
# ---------------------------------------------------------------------------

def r09_key(r: dict) -> tuple:
    return (r["submission_date"], r["provider_id"], r["invoice_id"], r["line_no"], r["row_id"])


def reference(rows: list[dict], ledger: list[tuple]) -> dict[int, tuple]:
    """R18 then R16/A03, written straight from "Frequency and annual caps", one row at a time."""
    rejected: set[int] = set()
    by_pair = defaultdict(list)
    for r in rows:
        by_pair[(r["beneficiary_id"], r["act_code"])].append(r)
    for pair, group in by_pair.items():
        kept_days: list[date] = []
        ledger_days = [d for b, a, d, _ in ledger if (b, a) == pair]
        for r in sorted(group, key=lambda r: (r["service_date"], *r09_key(r))):
            k, d = r["a_min_interval_days"], r["service_date"]
            exempt = r["emergency"] or r[Z_MATCH]
            if k is not None and not exempt and any(
                    abs((d - other).days) < k for other in kept_days + ledger_days):
                rejected.add(r["row_id"])
            else:
                kept_days.append(d)
    out = {r["row_id"]: R18 if r["row_id"] in rejected else KEPT for r in rows
           if r["a_max_per_year"] is not None or any(
               o["a_min_interval_days"] is not None for o in rows if o["act_code"] == r["act_code"])}

    def capped(r: dict) -> int:
        return r["quantity"] if r["a_max_qty"] is None else min(r["quantity"], r["a_max_qty"])

    counted = sorted((r for r in rows if r["row_id"] not in rejected and r["a_max_per_year"] is not None),
                     key=r09_key)
    for i, r in enumerate(counted):
        same = (r["beneficiary_id"], r["act_code"], r["service_date"].year)
        used = sum(q for b, a, d, q in ledger if (b, a, d.year) == same)
        used += sum(capped(p) for p in counted[:i]
                    if (p["beneficiary_id"], p["act_code"], p["service_date"].year) == same)
        remaining = max(0, r["a_max_per_year"] - used)
        out[r["row_id"]] = (False, remaining == 0, 0 < remaining < capped(r), remaining)
    return out


START = D(2026, 12, 10)   # 36 days across a new year


@st.composite
def batches(draw):
    acts = {"C": (draw(st.sampled_from([None, 1, 3, 7])), draw(st.sampled_from([None, 2, 4]))),
            "E": (draw(st.sampled_from([None, 7, 15])), draw(st.sampled_from([None, 1, 3, 6])))}
    n = draw(st.integers(0, 20))
    rows = []
    for i in range(1, n + 1):
        act = draw(st.sampled_from(sorted(acts)))
        k, cap = acts[act]
        if k is not None and draw(st.integers(0, 9)) == 0:
            k = None          # an older tariff period of the act without an interval
        rows.append(row(
            i, START + timedelta(days=draw(st.integers(0, 35))), ben=draw(st.sampled_from(["B1", "B2"])),
            act=act, sub=START + timedelta(days=draw(st.sampled_from([36, 40, 45]))),
            prov=draw(st.sampled_from(["P1", "P2"])), inv=draw(st.sampled_from(["F1", "F2", "F10"])),
            line_no=draw(st.integers(1, 3)), qty=draw(st.integers(1, 5)),
            max_qty=draw(st.sampled_from([None, 2])), cap=cap, k=k,
            emergency=draw(st.integers(0, 7)) == 0, z_match=draw(st.integers(0, 7)) == 0))
    ledger = [(draw(st.sampled_from(["B1", "B2"])), draw(st.sampled_from(["C", "E"])),
               START + timedelta(days=draw(st.integers(-15, 45))), draw(st.integers(1, 3)))
              for _ in range(draw(st.integers(0, 6)))]
    return acts, rows, ledger


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batches())
def test_frequency_flags_equal_the_rulebook_read_row_by_row(batch):
    acts, rows, ledger = batch
    got = flags(rows, ledger)
    assert got == reference(rows, ledger)
    by_id = {r["row_id"]: r for r in rows}

    # No beneficiary gets more than max_per_year units of an act in a year, ledger included
    # (unless the ledger alone already holds more, and then the batch adds nothing).
    allowed: dict[tuple, int] = defaultdict(int)
    for rid, (r18, r16, _a03, remaining) in got.items():
        r = by_id[rid]
        if r["a_max_per_year"] is not None and not r18 and not r16:
            cap_qty = r["quantity"] if r["a_max_qty"] is None else min(r["quantity"], r["a_max_qty"])
            allowed[(r["beneficiary_id"], r["act_code"], r["service_date"].year)] += min(cap_qty, remaining)
    for (ben, act, year), qty in allowed.items():
        before = sum(q for b, a, d, q in ledger if (b, a, d.year) == (ben, act, year))
        assert before + qty <= max(acts[act][1], before)

    # No kept row is closer than its interval to a kept row before it or a ledger line,
    # unless it is exempt.
    kept = [r for r in rows if r["row_id"] in got and not got[r["row_id"]][0]]
    for r in kept:
        k = r["a_min_interval_days"]
        if k is None or r["emergency"] or r[Z_MATCH]:
            continue
        order = (r["service_date"], *r09_key(r))
        for o in kept:
            if (o["beneficiary_id"], o["act_code"]) == (r["beneficiary_id"], r["act_code"]) \
                    and (o["service_date"], *r09_key(o)) < order:
                assert (r["service_date"] - o["service_date"]).days >= k
        for b, a, d, _ in ledger:
            if (b, a) == (r["beneficiary_id"], r["act_code"]):
                assert abs((r["service_date"] - d).days) >= k


@pytest.mark.parametrize("groups", [1, 40])
def test_walk_agrees_on_long_chains(groups):
    """Many rows of one pair a day apart (the walk's worst case), against the reference."""
    rows = [row(i, START + timedelta(days=(i - 1) % 60), ben=f"B{i % groups}", k=3)
            for i in range(1, 241)]
    assert flags(rows) == reference(rows, [])
