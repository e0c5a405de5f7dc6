"""Pure core of the remittance audit (remittance-rules.md).

Every expected figure below is computed by hand in the comment next to it.
Unless stated, the policy is: deadline 15 days, 5 % initial, 1.5 % per started month.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ramu_cli.errors import InputError, InvariantError
from ramu_cli.remittances.core import PenaltyPolicy, RemittanceResult, reconcile
from ramu_cli.remittances.invariants import check_invariants
from ramu_cli.tariffs import percent_to_bp

POLICY = PenaltyPolicy(deadline_days=15, initial_bp=500, monthly_bp=150)
D = date

PERIOD_SCHEMA = {
    "ogd": pl.String, "period": pl.String, "due": pl.Int64, "collected": pl.Int64,
    "collection_rate": pl.Float64, "remitted": pl.Int64, "remitted_on_time": pl.Int64,
    "remitted_late": pl.Int64, "outstanding": pl.Int64, "excess": pl.Int64,
    "max_days_late": pl.Int64, "penalty": pl.Int64,
}
CHUNK_SCHEMA = {
    "ogd": pl.String, "period": pl.String, "deadline": pl.Date, "amount": pl.Int64,
    "transfer_id": pl.String, "value_date": pl.Date, "days_late": pl.Int64,
    "penalty": pl.Int64,
}


def contributions(*rows) -> pl.LazyFrame:
    """rows: (ogd, period, amount_due, amount_collected, collection_date)."""
    return pl.LazyFrame(
        {"ogd": [r[0] for r in rows], "period": [r[1] for r in rows],
         "contributor_id": [f"E{i:03d}" for i in range(len(rows))],
         "amount_due": [r[2] for r in rows], "amount_collected": [r[3] for r in rows],
         "collection_date": [r[4] for r in rows]},
        schema={"ogd": pl.String, "period": pl.String, "contributor_id": pl.String,
                "amount_due": pl.Int64, "amount_collected": pl.Int64,
                "collection_date": pl.Date})


def transfers(*rows) -> pl.LazyFrame:
    """rows: (transfer_id, ogd, period, amount, value_date)."""
    return pl.LazyFrame(
        {"transfer_id": [r[0] for r in rows], "ogd": [r[1] for r in rows],
         "period": [r[2] for r in rows], "amount": [r[3] for r in rows],
         "value_date": [r[4] for r in rows]},
        schema={"transfer_id": pl.String, "ogd": pl.String, "period": pl.String,
                "amount": pl.Int64, "value_date": pl.Date})


def run(contrib, remit, as_of, policy=POLICY) -> RemittanceResult:
    result = reconcile(contrib, remit, as_of, policy)
    check_invariants(result)
    return result


def period(result, ogd, per) -> dict:
    rows = result.periods.filter(ogd=ogd, period=per).to_dicts()
    assert len(rows) == 1, result.periods
    return rows[0]


def chunk_tuples(result, ogd=None, per=None) -> list[tuple]:
    c = result.chunks
    if ogd is not None:
        c = c.filter(ogd=ogd, period=per)
    return [tuple(r) for r in
            c.select("deadline", "amount", "transfer_id", "value_date", "days_late",
                     "penalty").iter_rows()]


# --------------------------------------------------------------------------- #
# Deadline boundary

def test_transfer_on_deadline_is_on_time_one_day_after_is_one_month():
    # Collected 2026-01-20 for 2026-01: deadline = 2026-01-31 + 15 = 2026-02-15.
    res = run(contributions(("CMSS", "2026-01", 1_200_000, 1_000_000, D(2026, 1, 20))),
              transfers(("T1", "CMSS", "2026-01", 600_000, D(2026, 2, 15)),
                        ("T2", "CMSS", "2026-01", 400_000, D(2026, 2, 16))),
              as_of=D(2026, 3, 31))
    assert chunk_tuples(res) == [
        # on the deadline: 0 day late, no penalty
        (D(2026, 2, 15), 600_000, "T1", D(2026, 2, 15), 0, 0),
        # 1 day late -> 1 started month -> 500 + 150 = 650 bp;
        # 400 000 × 650 = 260 000 000; (260 000 000 + 5 000) // 10 000 = 26 000
        (D(2026, 2, 15), 400_000, "T2", D(2026, 2, 16), 1, 26_000),
    ]
    assert period(res, "CMSS", "2026-01") == {
        "ogd": "CMSS", "period": "2026-01", "due": 1_200_000, "collected": 1_000_000,
        # (1 000 000 × 1000 + 600 000) // 1 200 000 = 833 -> 83.3
        "collection_rate": 83.3,
        "remitted": 1_000_000, "remitted_on_time": 600_000, "remitted_late": 400_000,
        "outstanding": 0, "excess": 0, "max_days_late": 1, "penalty": 26_000,
    }


def test_30_days_late_is_one_month_31_days_is_two():
    # Deadline 2026-02-15; February 2026 has 28 days:
    # 02-15 -> 03-17 = 13 + 17 = 30 days; 03-18 = 31 days.
    res = run(contributions(("INPS", "2026-01", 200_000, 200_000, D(2026, 1, 10))),
              transfers(("A", "INPS", "2026-01", 100_000, D(2026, 3, 17)),
                        ("B", "INPS", "2026-01", 100_000, D(2026, 3, 18))),
              as_of=D(2026, 4, 30))
    assert chunk_tuples(res) == [
        # ceil(30/30) = 1 -> 650 bp: 100 000 × 650 = 65 000 000 -> 6 500
        (D(2026, 2, 15), 100_000, "A", D(2026, 3, 17), 30, 6_500),
        # ceil(31/30) = 2 -> 500 + 300 = 800 bp: 100 000 × 800 = 80 000 000 -> 8 000
        (D(2026, 2, 15), 100_000, "B", D(2026, 3, 18), 31, 8_000),
    ]
    row = period(res, "INPS", "2026-01")
    assert (row["penalty"], row["max_days_late"], row["remitted_late"]) == (14_500, 31, 200_000)


# --------------------------------------------------------------------------- #
# Obligations

def test_late_collection_has_its_own_later_deadline_and_advance_collection_the_period_one():
    res = run(contributions(
        # collected in the period: 2026-01-31 + 15 = 2026-02-15
        ("UTM", "2026-01", 500_000, 500_000, D(2026, 1, 25)),
        # collected in advance (2025-12): the later month is the period's -> 2026-02-15
        ("UTM", "2026-01", 200_000, 200_000, D(2025, 12, 28)),
        # collected two months late (2026-03): 2026-03-31 + 15 = 2026-04-15
        ("UTM", "2026-01", 300_000, 300_000, D(2026, 3, 10))),
        transfers(("T1", "UTM", "2026-01", 700_000, D(2026, 2, 10)),
                  ("T2", "UTM", "2026-01", 300_000, D(2026, 4, 15))),
        as_of=D(2026, 5, 31))
    assert chunk_tuples(res) == [
        # 500 000 + 200 000 share the deadline 02-15: one obligation of 700 000
        (D(2026, 2, 15), 700_000, "T1", D(2026, 2, 10), 0, 0),
        # paid on its own deadline: on time (would be 59 days late against 02-15)
        (D(2026, 4, 15), 300_000, "T2", D(2026, 4, 15), 0, 0),
    ]
    row = period(res, "UTM", "2026-01")
    assert (row["remitted"], row["remitted_on_time"], row["penalty"]) == (1_000_000, 1_000_000, 0)


def test_zero_collected_rows_create_no_obligation():
    res = run(contributions(("CMSS", "2026-01", 50_000, 0, None),
                            ("CMSS", "2026-01", 70_000, 70_000, D(2026, 1, 31))),
              transfers(), as_of=D(2026, 2, 10))
    # one unpaid chunk of 70 000, due 02-15, not yet late on 02-10
    assert chunk_tuples(res) == [(D(2026, 2, 15), 70_000, None, None, 0, 0)]
    # (70 000 × 1000 + 60 000) // 120 000 = 583 -> 58.3
    assert period(res, "CMSS", "2026-01")["collection_rate"] == 58.3


# --------------------------------------------------------------------------- #
# FIFO

def test_transfers_on_one_day_are_taken_in_transfer_id_order():
    # Obligation A: collected in 2026-01 -> due 02-15; B: collected in 2026-02 -> due 03-15.
    res = run(contributions(("CMSS", "2026-01", 200_000, 100_000, D(2026, 1, 5)),
                            ("CMSS", "2026-01", 0, 100_000, D(2026, 2, 3))),
              # given in reverse order on purpose; same value date
              transfers(("T-B", "CMSS", "2026-01", 150_000, D(2026, 3, 1)),
                        ("T-A", "CMSS", "2026-01", 50_000, D(2026, 3, 1))),
              as_of=D(2026, 3, 31))
    # 02-15 -> 03-01 = 14 days -> 1 month -> 650 bp; 50 000 × 650 = 32 500 000 -> 3 250
    assert chunk_tuples(res) == [
        (D(2026, 2, 15), 50_000, "T-A", D(2026, 3, 1), 14, 3_250),   # T-A first: [0, 50k)
        (D(2026, 2, 15), 50_000, "T-B", D(2026, 3, 1), 14, 3_250),   # T-B: [50k, 100k) of A
        (D(2026, 3, 15), 100_000, "T-B", D(2026, 3, 1), 0, 0),       # ... and all of B
    ]
    assert period(res, "CMSS", "2026-01")["penalty"] == 6_500        # 3 250 + 3 250


def test_value_date_comes_before_transfer_id():
    res = run(contributions(("INPS", "2026-01", 100_000, 100_000, D(2026, 1, 5)),
                            ("INPS", "2026-01", 0, 100_000, D(2026, 2, 3))),
              transfers(("A-late", "INPS", "2026-01", 100_000, D(2026, 3, 20)),
                        ("Z-early", "INPS", "2026-01", 100_000, D(2026, 2, 1))),
              as_of=D(2026, 3, 31))
    assert chunk_tuples(res) == [
        (D(2026, 2, 15), 100_000, "Z-early", D(2026, 2, 1), 0, 0),
        # 03-15 -> 03-20 = 5 days -> 650 bp: 100 000 × 650 / 10 000 = 6 500
        (D(2026, 3, 15), 100_000, "A-late", D(2026, 3, 20), 5, 6_500),
    ]


def test_one_transfer_spanning_two_obligations():
    res = run(contributions(("UTM", "2026-01", 300_000, 300_000, D(2026, 1, 15)),
                            ("UTM", "2026-01", 200_000, 200_000, D(2026, 2, 15))),
              transfers(("T1", "UTM", "2026-01", 500_000, D(2026, 3, 10))),
              as_of=D(2026, 3, 31))
    assert chunk_tuples(res) == [
        # 02-15 -> 03-10 = 13 + 10 = 23 days -> 650 bp; 300 000 × 650 = 195 000 000 -> 19 500
        (D(2026, 2, 15), 300_000, "T1", D(2026, 3, 10), 23, 19_500),
        # due 2026-02-28 + 15 = 03-15: on time
        (D(2026, 3, 15), 200_000, "T1", D(2026, 3, 10), 0, 0),
    ]
    row = period(res, "UTM", "2026-01")
    assert (row["remitted"], row["remitted_on_time"], row["remitted_late"]) == \
        (500_000, 200_000, 300_000)


# --------------------------------------------------------------------------- #
# Unpaid money

def test_unpaid_remainder_accrues_to_as_of_and_not_yet_due_has_no_penalty():
    res = run(contributions(("CMSS", "2026-01", 400_000, 400_000, D(2026, 1, 20)),
                            # due 2026-03-31 + 15 = 04-15, after as_of
                            ("CMSS", "2026-03", 250_000, 250_000, D(2026, 3, 5))),
              transfers(("T1", "CMSS", "2026-01", 150_000, D(2026, 2, 10))),
              as_of=D(2026, 4, 1))
    assert chunk_tuples(res, "CMSS", "2026-01") == [
        (D(2026, 2, 15), 150_000, "T1", D(2026, 2, 10), 0, 0),
        # 02-15 -> 04-01 = 13 + 31 + 1 = 45 days -> ceil(45/30) = 2 -> 800 bp
        # 250 000 × 800 = 200 000 000 -> 20 000
        (D(2026, 2, 15), 250_000, None, None, 45, 20_000),
    ]
    assert chunk_tuples(res, "CMSS", "2026-03") == [(D(2026, 4, 15), 250_000, None, None, 0, 0)]
    jan = period(res, "CMSS", "2026-01")
    assert (jan["remitted"], jan["outstanding"], jan["max_days_late"], jan["penalty"]) == \
        (150_000, 250_000, 45, 20_000)
    mar = period(res, "CMSS", "2026-03")
    assert (mar["outstanding"], mar["max_days_late"], mar["penalty"]) == (250_000, 0, 0)


@pytest.mark.parametrize(("as_of", "days", "penalty"), [
    (D(2026, 2, 15), 0, 0),            # as_of = deadline: not late yet
    (D(2026, 2, 16), 1, 6_500),        # 100 000 × 650 / 10 000 = 6 500
])
def test_unpaid_on_the_deadline_day(as_of, days, penalty):
    res = run(contributions(("INPS", "2026-01", 100_000, 100_000, D(2026, 1, 2))),
              transfers(), as_of)
    assert chunk_tuples(res) == [(D(2026, 2, 15), 100_000, None, None, days, penalty)]


# --------------------------------------------------------------------------- #
# Excess, periods from one file only

def test_excess_periods_with_only_transfers_or_nothing_due():
    res = run(contributions(("CMSS", "2026-01", 100_000, 100_000, D(2026, 1, 15)),
                            # nothing due, nothing collected
                            ("CMSS", "2026-04", 0, 0, None),
                            # collected, never remitted: excess elsewhere does not offset it
                            ("INPS", "2026-03", 60_000, 60_000, D(2026, 3, 10))),
              transfers(("T1", "CMSS", "2026-01", 80_000, D(2026, 2, 1)),
                        ("T2", "CMSS", "2026-01", 50_000, D(2026, 2, 5)),
                        ("T3", "INPS", "2026-02", 70_000, D(2026, 3, 1))),
              as_of=D(2026, 3, 31))
    assert chunk_tuples(res, "CMSS", "2026-01") == [
        (D(2026, 2, 15), 80_000, "T1", D(2026, 2, 1), 0, 0),
        (D(2026, 2, 15), 20_000, "T2", D(2026, 2, 5), 0, 0),   # 100 000 − 80 000
    ]
    assert res.periods.select("ogd", "period").rows() == [
        ("CMSS", "2026-01"), ("CMSS", "2026-04"), ("INPS", "2026-02"), ("INPS", "2026-03")]
    jan = period(res, "CMSS", "2026-01")
    # Σ transfers 130 000 − remitted 100 000 = 30 000 excess
    assert (jan["collection_rate"], jan["remitted"], jan["outstanding"], jan["excess"]) == \
        (100.0, 100_000, 0, 30_000)
    assert period(res, "CMSS", "2026-04") == {
        "ogd": "CMSS", "period": "2026-04", "due": 0, "collected": 0,
        "collection_rate": None, "remitted": 0, "remitted_on_time": 0, "remitted_late": 0,
        "outstanding": 0, "excess": 0, "max_days_late": 0, "penalty": 0}
    assert period(res, "INPS", "2026-02") == {
        "ogd": "INPS", "period": "2026-02", "due": 0, "collected": 0,
        "collection_rate": None, "remitted": 0, "remitted_on_time": 0, "remitted_late": 0,
        "outstanding": 0, "excess": 70_000, "max_days_late": 0, "penalty": 0}
    mar = period(res, "INPS", "2026-03")
    assert (mar["outstanding"], mar["excess"]) == (60_000, 0)
    assert res.ogd_totals.rows(named=True) == [
        {"ogd": "CMSS", "due": 100_000, "collected": 100_000, "collection_rate": 100.0,
         "remitted": 100_000, "remitted_on_time": 100_000, "remitted_late": 0,
         "outstanding": 0, "excess": 30_000, "penalty": 0},
        # 60 000 / 60 000 = 100.0 %
        {"ogd": "INPS", "due": 60_000, "collected": 60_000, "collection_rate": 100.0,
         "remitted": 0, "remitted_on_time": 0, "remitted_late": 0,
         "outstanding": 60_000, "excess": 70_000, "penalty": 0},
    ]


# --------------------------------------------------------------------------- #
# Rounding and as_of

def test_penalty_rounds_half_up():
    # 1 day late -> 650 bp; 1 000 100 × 650 = 650 065 000 -> 65 006.5 francs
    # (650 065 000 + 5 000) // 10 000 = 65 007 (truncation would give 65 006)
    res = run(contributions(("UTM", "2026-01", 1_000_100, 1_000_100, D(2026, 1, 31))),
              transfers(("T1", "UTM", "2026-01", 1_000_100, D(2026, 2, 16))),
              as_of=D(2026, 2, 28))
    assert chunk_tuples(res) == [(D(2026, 2, 15), 1_000_100, "T1", D(2026, 2, 16), 1, 65_007)]


def test_collection_rate_rounds_half_up():
    # due 2 000, collected 1 999: (1 999 000 + 1 000) // 2 000 = 1 000 -> 100.0 (not 99.9)
    # due 3, collected 2: (2 000 + 1) // 3 = 667 -> 66.7
    res = run(contributions(("CMSS", "2026-01", 2_000, 1_999, D(2026, 1, 2)),
                            ("INPS", "2026-01", 3, 2, D(2026, 1, 2))),
              transfers(), as_of=D(2026, 1, 31))
    assert res.periods["collection_rate"].to_list() == [100.0, 66.7]


def test_transfers_after_as_of_do_not_exist():
    res = run(contributions(("CMSS", "2026-01", 200_000, 200_000, D(2026, 1, 20))),
              transfers(("T1", "CMSS", "2026-01", 200_000, D(2026, 3, 20)),
                        ("T9", "CMSS", "2026-02", 10_000, D(2026, 3, 2))),
              as_of=D(2026, 3, 1))
    # 02-15 -> 03-01 = 14 days -> 650 bp: 200 000 × 650 = 130 000 000 -> 13 000
    assert chunk_tuples(res) == [(D(2026, 2, 15), 200_000, None, None, 14, 13_000)]
    row = period(res, "CMSS", "2026-01")
    assert (row["remitted"], row["excess"], row["outstanding"]) == (0, 0, 200_000)
    # the 2026-02 period has only a transfer after as_of: it is not in the audit
    assert res.periods["period"].to_list() == ["2026-01"]
    assert res.transfers.height == 0


# --------------------------------------------------------------------------- #
# Shapes

def test_output_schemas_and_extra_columns_ignored():
    contrib = contributions(("CMSS", "2026-01", 10, 10, D(2026, 1, 2))).with_columns(
        row_id=pl.lit(1, pl.Int64), cell_fault=pl.lit(False))
    remit = transfers(("T1", "CMSS", "2026-01", 10, D(2026, 1, 3))).with_columns(
        row_id=pl.lit(1, pl.Int64), cell_fault=pl.lit(False))
    res = run(contrib, remit, D(2026, 1, 31))
    assert dict(res.periods.schema) == PERIOD_SCHEMA
    assert dict(res.chunks.schema) == CHUNK_SCHEMA
    assert res.ogd_totals.columns == [
        "ogd", "due", "collected", "collection_rate", "remitted", "remitted_on_time",
        "remitted_late", "outstanding", "excess", "penalty"]


def test_empty_inputs_give_empty_typed_frames():
    res = run(contributions(), transfers(), D(2026, 1, 31))
    assert res.periods.height == res.chunks.height == res.ogd_totals.height == 0
    assert dict(res.periods.schema) == PERIOD_SCHEMA
    assert dict(res.chunks.schema) == CHUNK_SCHEMA


def test_rows_are_sorted():
    res = run(contributions(("UTM", "2026-02", 1, 1, D(2026, 2, 1)),
                            ("CMSS", "2026-02", 1, 1, D(2026, 2, 1)),
                            ("CMSS", "2026-01", 1, 1, D(2026, 3, 1)),
                            ("CMSS", "2026-01", 1, 1, D(2026, 1, 1))),
              transfers(), D(2026, 1, 31))
    assert res.periods.select("ogd", "period").rows() == [
        ("CMSS", "2026-01"), ("CMSS", "2026-02"), ("UTM", "2026-02")]
    assert res.chunks.select("ogd", "period", "deadline").rows() == [
        ("CMSS", "2026-01", D(2026, 2, 15)), ("CMSS", "2026-01", D(2026, 4, 15)),
        ("CMSS", "2026-02", D(2026, 3, 15)), ("UTM", "2026-02", D(2026, 3, 15))]


# --------------------------------------------------------------------------- #
# check_invariants

def _sample() -> RemittanceResult:
    return run(contributions(("CMSS", "2026-01", 100, 100, D(2026, 1, 2))),
               transfers(("T1", "CMSS", "2026-01", 60, D(2026, 2, 1))), D(2026, 2, 28))


def test_invariant_collected_equals_remitted_plus_outstanding():
    res = _sample()
    broken = replace(res, periods=res.periods.with_columns(outstanding=pl.lit(39, pl.Int64)))
    with pytest.raises(InvariantError, match=r"CMSS.*2026-01") as err:
        check_invariants(broken)
    assert err.value.exit_code == 4


def test_invariant_transfers_equal_remitted_plus_excess():
    res = _sample()
    broken = replace(res, transfers=res.transfers.with_columns(transferred=pl.lit(61, pl.Int64)))
    with pytest.raises(InvariantError, match=r"CMSS.*2026-01.*virements"):
        check_invariants(broken)


def test_invariant_chunks_sum_to_period_figures():
    res = _sample()
    broken = replace(res, chunks=res.chunks.with_columns(
        amount=pl.when(pl.col("transfer_id").is_null()).then(41).otherwise("amount")))
    with pytest.raises(InvariantError, match=r"CMSS.*2026-01.*tranches"):
        check_invariants(broken)


def test_invariant_ogd_totals():
    res = _sample()
    broken = replace(res, ogd_totals=res.ogd_totals.with_columns(penalty=pl.lit(1, pl.Int64)))
    with pytest.raises(InvariantError, match="CMSS"):
        check_invariants(broken)


# --------------------------------------------------------------------------- #
# percent_to_bp

@pytest.mark.parametrize(("value", "bp"), [
    ("1.5", 150), (5, 500), (2.25, 225), (5.0, 500), ("0", 0), ("1.50", 150), (0.1, 10)])
def test_percent_to_bp(value, bp):
    assert percent_to_bp(value, "penalty_monthly_percent") == bp


@pytest.mark.parametrize("value", ["1.255", 1.255, "abc", "", "-1", True, float("nan")])
def test_percent_to_bp_rejects(value):
    with pytest.raises(InputError, match="penalty_initial_percent") as err:
        percent_to_bp(value, "penalty_initial_percent")
    assert err.value.exit_code == 3


# --------------------------------------------------------------------------- #
# Properties

OGDS = ["CMSS", "INPS", "UTM"]
PERIODS = ["2026-01", "2026-02", "2026-03"]
START = D(2025, 12, 1)


@st.composite
def batches(draw):
    contrib = draw(st.lists(st.tuples(
        st.sampled_from(OGDS), st.sampled_from(PERIODS),
        st.integers(0, 1_000_000), st.integers(0, 1_000_000),
        st.integers(0, 150)), max_size=12))
    crows = [(o, p, due, col, START + timedelta(days=off) if col else None)
             for o, p, due, col, off in contrib]
    remit = draw(st.lists(st.tuples(
        st.sampled_from(OGDS), st.sampled_from(PERIODS),
        st.integers(1, 1_000_000), st.integers(0, 150)), max_size=12))
    ids = draw(st.lists(st.text("ABC0123", min_size=1, max_size=3),
                        min_size=len(remit), max_size=len(remit), unique=True))
    trows = [(tid, o, p, amt, START + timedelta(days=off))
             for tid, (o, p, amt, off) in zip(ids, remit, strict=False)]
    as_of = START + timedelta(days=draw(st.integers(0, 200)))
    later = as_of + timedelta(days=draw(st.integers(0, 200)))
    policy = PenaltyPolicy(draw(st.integers(0, 40)), draw(st.integers(0, 1000)),
                           draw(st.integers(0, 500)))
    return crows, trows, as_of, later, policy


def _last_day(year: int, month: int) -> date:
    return (date(year + month // 12, month % 12 + 1, 1) - timedelta(days=1))


def reference_penalty(crows, trows, as_of, policy) -> int:
    """Plain-Python FIFO, row by row, as an oracle for the vectorised core."""
    total = 0
    for key in {(r[0], r[1]) for r in crows}:
        obligations: dict[date, int] = {}
        for o, p, _due, col, cd in crows:
            if (o, p) != key or col == 0:
                continue
            y, m = int(p[:4]), int(p[5:])
            end = max(_last_day(y, m), _last_day(cd.year, cd.month))
            dl = end + timedelta(days=policy.deadline_days)
            obligations[dl] = obligations.get(dl, 0) + col
        queue = sorted((v, t, a) for t, o, p, a, v in trows if (o, p) == key and v <= as_of)
        for dl in sorted(obligations):
            left = obligations[dl]
            while left and queue:
                v, t, a = queue[0]
                x = min(left, a)
                left -= x
                queue[0] = (v, t, a - x)
                if queue[0][2] == 0:
                    queue.pop(0)
                total += _penalty(x, (v - dl).days, policy)
            if left:
                total += _penalty(left, (as_of - dl).days, policy)
    return total


def _penalty(x: int, days: int, policy) -> int:
    if days <= 0:
        return 0
    rate = policy.initial_bp + policy.monthly_bp * ((days + 29) // 30)
    return (x * rate + 5000) // 10000


FAST = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(batches())
def test_property_invariants_and_chunks_cover_collected(batch):
    crows, trows, as_of, _later, policy = batch
    res = reconcile(contributions(*crows), transfers(*trows), as_of, policy)
    check_invariants(res)
    p = res.periods
    assert (p["collected"] == p["remitted"] + p["outstanding"]).all()
    counted = sum(a for _t, _o, _p, a, v in trows if v <= as_of)
    assert counted == p["remitted"].sum() + p["excess"].sum()
    assert res.chunks["amount"].sum() == sum(r[3] for r in crows)
    assert (res.chunks["amount"] > 0).all()
    assert p["penalty"].sum() == reference_penalty(crows, trows, as_of, policy)


@FAST
@given(batches())
def test_property_later_as_of_never_lowers_penalty(batch):
    crows, trows, as_of, later, policy = batch
    trows = [t for t in trows if t[4] <= as_of]
    early = reconcile(contributions(*crows), transfers(*trows), as_of, policy)
    late = reconcile(contributions(*crows), transfers(*trows), later, policy)
    check_invariants(late)
    assert late.periods["penalty"].sum() >= early.periods["penalty"].sum()
    # and nothing else moves: transfers are the same
    assert late.periods.drop("max_days_late", "penalty").equals(
        early.periods.drop("max_days_late", "penalty"))
