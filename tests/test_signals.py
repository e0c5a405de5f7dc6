"""Signals on hand-built months: peers, median, MAD, robust z, thresholds — computed by hand.

The lines below are what `compute_signals` reads: the liquidation's columns it
needs, the provider's level, the invoice's emergency flag and the act's
max_qty. Every provider bills 2 lines per beneficiary at 1 000 FCFA payable,
PAID, no A01, acts limited to 1 unit, unless a test says otherwise: so every
indicator but the one under test is the same for all providers (MAD = 0, no
flag) and each test expects exactly the rows it names.
"""

from __future__ import annotations

import tomllib
from datetime import date

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ramu_cli.errors import InputError
from ramu_cli.signals import SIGNAL_SCHEMA, SignalThresholds, compute_signals, thresholds_from_policy, with_max_qty
from ramu_cli.signals.indicators import provider_counts, provider_values
from ramu_cli.signals.output import write_signals_csv
from ramu_cli.signals.report import render_signals_section

LINE_SCHEMA = {"provider_id": pl.String, "beneficiary_id": pl.String, "act_code": pl.String,
               "quantity": pl.Int64, "status": pl.String, "reasons": pl.List(pl.String), "payable": pl.Int64,
               "level": pl.String, "emergency": pl.Boolean, "max_qty": pl.Int64}


def provider_lines(pid: str, n: int, *, level: str = "CSCOM", emergencies: int = 0, rejected: int = 0,
                   a01: int = 0, payable: int = 1000, per_beneficiary: int = 2) -> list[dict]:
    """n lines of provider `pid`: the first `emergencies` lines are emergencies, the first
    `rejected` REJECTED (payable 0), the next `a01` REDUCED with A01."""
    rows = []
    for i in range(n):
        status, reasons, pay = "PAID", [], payable
        if i < rejected:
            status, reasons, pay = "REJECTED", ["R06"], 0
        elif i < rejected + a01:
            status, reasons = "REDUCED", ["A01"]
        rows.append(dict(provider_id=pid, beneficiary_id=f"{pid}-B{i // per_beneficiary}", act_code="CONS",
                         quantity=1, status=status, reasons=reasons, payable=pay, level=level,
                         emergency=i < emergencies, max_qty=1))
    return rows


def frame(rows: list[dict]) -> pl.LazyFrame:
    return pl.LazyFrame(rows, schema=LINE_SCHEMA)


def signals_of(rows: list[dict], thresholds: SignalThresholds | None = None) -> pl.DataFrame:
    return compute_signals(frame(rows), thresholds).collect()


def emergency_month(counts: list[int], lines: int = 32, level: str = "CSCOM") -> list[dict]:
    """Providers P1, P2, … of `lines` lines each, with counts[i] emergency lines."""
    rows = []
    for i, k in enumerate(counts, start=1):
        rows += provider_lines(f"P{i}", lines, level=level, emergencies=k)
    return rows


def test_known_outlier_exact_median_mad_and_z():
    # Six CSCOM providers of 32 lines; emergency lines 0, 2, 2, 4, 4, 16, i.e. shares
    # 0, 1/16, 1/16, 1/8, 1/8, 1/2. Even count: median = mean of the two middle values
    # (1/16 + 1/8) / 2 = 3/32 = 0.09375. |x − median| = 3/32, 1/32, 1/32, 1/32, 1/32, 13/32;
    # sorted 1, 1, 1, 1, 3, 13 (/32): MAD = (1/32 + 1/32) / 2 = 1/32 = 0.03125.
    # z(P6) = 0.6745 × (16/32 − 3/32) / (1/32) = 0.6745 × 13 = 8.7685 > 3.5: flagged.
    # z(P4) = z(P5) = 0.6745 × (4/32 − 3/32) / (1/32) = 0.6745: not flagged.
    out = signals_of(emergency_month([0, 2, 2, 4, 4, 16]))
    assert out.schema == pl.Schema(SIGNAL_SCHEMA)
    assert out.height == 1
    row = out.row(0, named=True)
    assert {k: row[k] for k in ("kind", "id", "level", "indicator", "label", "peers", "lines", "rank")} == {
        "kind": "provider", "id": "P6", "level": "CSCOM", "indicator": "share_emergency",
        "label": "Part des lignes en urgence", "peers": 6, "lines": 32, "rank": 1}
    assert row["value"] == 0.5
    assert row["peer_median"] == pytest.approx(0.09375, abs=1e-15)
    assert row["peer_mad"] == pytest.approx(0.03125, abs=1e-15)
    assert row["robust_z"] == pytest.approx(8.7685, rel=1e-12)
    assert row["threshold"] == 3.5


def test_mad_zero_gives_no_flag_however_far_the_value():
    # Shares 0, 0, 0, 0, 0, 1/2: median 0, |x − 0| = 0, 0, 0, 0, 0, 1/2 → MAD 0: no z, no flag.
    assert signals_of(emergency_month([0, 0, 0, 0, 0, 16])).is_empty()


@pytest.mark.parametrize(("counts", "flagged"), [
    # Five peers: shares 0, 2, 2, 4, 14 (/32) → median 2/32, deviations 2, 0, 0, 2, 12 → sorted
    # 0, 0, 2, 2, 12: MAD 2/32; z(P5) = 0.6745 × (12/32) / (2/32) = 0.6745 × 6 = 4.047 > 3.5.
    ([0, 2, 2, 4, 14], True),
    # Four peers (same shape without one "2"): fewer than 5 peers, no signal at all.
    ([0, 2, 4, 14], False),
])
def test_at_least_five_peers(counts, flagged):
    out = signals_of(emergency_month(counts))
    if flagged:
        assert out.select("id", "indicator", "peers").rows() == [("P5", "share_emergency", 5)]
        assert out["robust_z"].item() == pytest.approx(0.6745 * 6, rel=1e-12)
    else:
        assert out.is_empty()


@pytest.mark.parametrize(("fifth_lines", "peers"), [(30, 5), (29, 4)])
def test_peers_need_30_lines_itself_included(fifth_lines, peers):
    # P1–P4: 32 lines, emergencies 0, 2, 4, 14 (shares 0, 1/16, 1/8, 7/16). P5 has no
    # emergency and `fifth_lines` lines. With 30 lines P5 is a peer: shares 0, 0, 1/16, 1/8,
    # 7/16 → median 1/16, deviations 1/16, 1/16, 0, 1/16, 6/16 → MAD 1/16,
    # z(P4) = 0.6745 × (6/16) / (1/16) = 4.047: flagged among 5 peers. With 29 lines P5 is
    # not a peer, 4 are left: no signal.
    rows = emergency_month([0, 2, 4, 14]) + provider_lines("P5", fifth_lines)
    out = signals_of(rows)
    if peers == 5:
        assert out.select("id", "peers").rows() == [("P4", 5)]
        assert out["robust_z"].item() == pytest.approx(4.047, rel=1e-12)
    else:
        assert out.is_empty()


def test_small_providers_neither_peers_nor_flagged():
    # The five peers of test_at_least_five_peers (P5 flagged, z = 4.047) plus three providers
    # of 29 lines that bill nothing but emergencies (share 1). Counted as peers they would
    # move the median to (4/32 + 14/32) / 2 and hide P5; they are not peers, and are not
    # flagged themselves.
    rows = emergency_month([0, 2, 2, 4, 14])
    for pid in ("S1", "S2", "S3"):
        rows += provider_lines(pid, 29, emergencies=29)
    out = signals_of(rows)
    assert out.select("id", "peers").rows() == [("P5", 5)]
    assert out["robust_z"].item() == pytest.approx(4.047, rel=1e-12)


def test_peers_are_providers_of_the_same_level():
    # Three CSCOM and three CSREF providers: no level has 5 peers, so no signal, although
    # the six together would flag P3 (shares 0, 1/16, 1/2 at each level).
    rows = emergency_month([0, 2, 16]) + [dict(r, provider_id="H" + r["provider_id"], level="CSREF",
                                               beneficiary_id="H" + r["beneficiary_id"])
                                          for r in emergency_month([0, 2, 16])]
    assert signals_of(rows).is_empty()
    # An unknown provider (level null: not in the registry) is nobody's peer either.
    rows = emergency_month([0, 2, 2, 4]) + provider_lines("X", 32, level=None, emergencies=16)  # type: ignore[arg-type]
    assert signals_of(rows).is_empty()


def test_the_six_provider_indicators_by_hand():
    # One provider, 8 lines: 4 beneficiaries (2 lines each), payable 1 000 per PAID line;
    # lines 1–2 REJECTED (payable 0), line 3 REDUCED with A01; line 1 is an emergency;
    # lines 5–8 are an act limited to 3 units, billed 3, 3, 1, 4 (at or above the max: 3 of 4).
    rows = provider_lines("P", 8, rejected=2, a01=1, emergencies=1)
    for row, qty in zip(rows[4:], (3, 3, 1, 4), strict=True):
        row.update(act_code="MED", max_qty=3, quantity=qty)
    values = provider_values(provider_counts(frame(rows))).collect().row(0, named=True)
    assert values == {
        "provider_id": "P", "level": "CSCOM", "lines": 8,
        "payable_per_beneficiary": 1500.0,   # 6 000 FCFA / 4 beneficiaries
        "lines_per_beneficiary": 2.0,        # 8 / 4
        "share_cut_to_tariff": 0.125,        # 1 / 8
        "share_rejected": 0.25,              # 2 / 8
        "share_emergency": 0.125,            # 1 / 8
        "share_at_max_qty": 0.75,            # 3 / 4 lines whose act allows more than 1 unit
    }


@pytest.mark.parametrize(("payable", "beneficiaries", "expected"), [
    (2501, 2, 1251.0),   # 1 250.5 → half up → 1 251 FCFA
    (2500, 3, 833.0),    # 833.33… → 833 FCFA
    (2502, 3, 834.0),    # 834 exactly
])
def test_payable_per_beneficiary_is_whole_francs_half_up(payable, beneficiaries, expected):
    rows = [dict(provider_id="P", beneficiary_id=f"B{i}", act_code="CONS", quantity=1, status="PAID",
                 reasons=[], payable=payable if i == 0 else 0, level="CSCOM", emergency=False, max_qty=1)
            for i in range(beneficiaries)]
    values = provider_values(provider_counts(frame(rows))).collect()
    assert values["payable_per_beneficiary"].to_list() == [expected]


def test_no_capped_line_means_no_max_qty_value():
    rows = provider_lines("P", 4)   # every act limited to 1 unit: nothing to say about max_qty
    assert provider_values(provider_counts(frame(rows))).collect()["share_at_max_qty"].to_list() == [None]


def _visits(bid: str, providers: int, lines: int) -> list[dict]:
    """`lines` lines of beneficiary `bid`, spread over `providers` providers; every other one REJECTED."""
    return [dict(provider_id=f"V{i % providers}", beneficiary_id=bid, act_code="CONS", quantity=1,
                 status="REJECTED" if i % 2 else "PAID", reasons=["R06"] if i % 2 else [],
                 payable=0 if i % 2 else 1000, level="PHARMACY", emergency=False, max_qty=1)
            for i in range(lines)]


def test_beneficiary_thresholds_at_4_providers_and_40_lines():
    rows = (_visits("THREE", 3, 6) + _visits("FOUR", 4, 8)
            + _visits("L39", 1, 39) + _visits("L40", 1, 40) + _visits("BOTH", 5, 45))
    out = signals_of(rows).filter(pl.col("kind") == "beneficiary")
    assert out.select("id", "indicator", "value", "threshold", "lines", "rank").rows() == [
        ("BOTH", "distinct_providers", 5.0, 4.0, 45, 1),
        ("FOUR", "distinct_providers", 4.0, 4.0, 8, 2),
        ("BOTH", "beneficiary_lines", 45.0, 40.0, 45, 1),
        ("L40", "beneficiary_lines", 40.0, 40.0, 40, 2),
    ]
    assert out["peer_median"].null_count() == out.height and out["level"].null_count() == out.height


def test_thresholds_from_policy_change_the_cut():
    rows = _visits("THREE", 3, 6)
    t = SignalThresholds(beneficiary_providers=3)
    assert signals_of(rows, t).select("id", "value", "threshold").rows() == [("THREE", 3.0, 3.0)]
    # z 4.047 (test_at_least_five_peers) is not above a threshold of 4.5.
    assert signals_of(emergency_month([0, 2, 2, 4, 14]), SignalThresholds(z_threshold=4.5)).is_empty()


def test_ranked_within_indicator_by_z():
    # Seven providers; shares 0, 2, 2, 2, 4, 12, 16 (/32): median 2/32, deviations
    # 2, 0, 0, 0, 2, 10, 14 → sorted 0, 0, 0, 2, 2, 10, 14: MAD 2/32.
    # z(P7) = 0.6745 × 14/2 = 4.7215 (rank 1), z(P6) = 0.6745 × 10/2 = 3.3725: not flagged;
    # with 13 instead of 12: z(P6) = 0.6745 × 11/2 = 3.70975 (rank 2).
    out = signals_of(emergency_month([0, 2, 2, 2, 4, 13, 16]))
    assert out.select("id", "rank").rows() == [("P7", 1), ("P6", 2)]
    assert out["robust_z"].to_list() == pytest.approx([4.7215, 3.70975], rel=1e-12)
    assert signals_of(emergency_month([0, 2, 2, 2, 4, 12, 16]))["id"].to_list() == ["P7"]


def test_signals_only_read_the_lines():
    rows = emergency_month([0, 2, 2, 4, 4, 16]) + _visits("FOUR", 4, 8)
    before = pl.DataFrame(rows, schema=LINE_SCHEMA)
    lines = before.clone()
    out = compute_signals(lines.lazy()).collect()
    assert out.height == 2
    assert lines.equals(before)                       # not a cell changed, payable included
    assert not {"payable", "status", "allowed"} & set(out.columns)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 25), st.booleans(), st.booleans(),
                          st.integers(0, 5000)), min_size=1, max_size=300), st.randoms(use_true_random=False))
def test_same_signals_whatever_the_row_order(cells, random):
    # Byte-identical outputs: the signals depend on the lines, not on their order.
    rows = [dict(provider_id=f"P{p}", beneficiary_id=f"B{b}", act_code="MED", quantity=1 + b % 3,
                 status="REJECTED" if rej else "PAID", reasons=["R06"] if rej else [], payable=0 if rej else pay,
                 level="CSCOM", emergency=em, max_qty=3) for p, b, rej, em, pay in cells]
    t = SignalThresholds(min_peer_lines=1, min_peers=3, beneficiary_providers=3, beneficiary_lines=5)
    first = signals_of(rows, t)
    random.shuffle(rows)
    assert signals_of(rows, t).equals(first)


def test_with_max_qty_follows_validity_periods():
    acts = pl.DataFrame({"act_code": ["MED", "MED", "CONS"], "max_qty": [2, 3, None],
                         "valid_from": [date(2020, 1, 1), date(2026, 10, 16), date(2020, 1, 1)],
                         "valid_to": [date(2026, 10, 15), None, None]},
                        schema={"act_code": pl.String, "max_qty": pl.Int64, "valid_from": pl.Date,
                                "valid_to": pl.Date})
    lines = pl.LazyFrame({"act_code": ["MED", "MED", "CONS", "ZZZ", "MED"],
                          "service_date": [date(2026, 10, 15), date(2026, 10, 16), date(2026, 10, 1),
                                           date(2026, 10, 1), None]})
    out = with_max_qty(lines, acts).collect()
    assert out["max_qty"].to_list() == [2, 3, None, None, None]
    assert out["act_code"].to_list() == ["MED", "MED", "CONS", "ZZZ", "MED"]   # order kept


# ---------------------------------------------------------------------------
# policy.toml keys
# ---------------------------------------------------------------------------

def test_thresholds_default_and_from_toml():
    assert thresholds_from_policy({}) == SignalThresholds(3.5, 30, 5, 4, 40)
    doc = tomllib.loads("[signals]\nz_threshold = 4\nmin_peer_lines = 50\nbeneficiary_lines = 60\n")
    assert thresholds_from_policy(doc) == SignalThresholds(4.0, 50, 5, 4, 60)


@pytest.mark.parametrize(("text", "key", "code"), [
    ("z_treshold = 4", "[signals] z_treshold", "unknown_policy_key"),
    ('min_peers = "5"', "[signals] min_peers", "policy_wrong_type"),
    ("min_peer_lines = 30.5", "[signals] min_peer_lines", "policy_wrong_type"),
    ("z_threshold = true", "[signals] z_threshold", "policy_wrong_type"),
    ("min_peers = 2", "[signals] min_peers", "policy_out_of_range"),
    ("z_threshold = 0", "[signals] z_threshold", "policy_out_of_range"),
    ("beneficiary_lines = -1", "[signals] beneficiary_lines", "policy_out_of_range"),
])
def test_bad_policy_keys_are_input_errors(text, key, code):
    with pytest.raises(InputError) as err:
        thresholds_from_policy(tomllib.loads(f"[signals]\n{text}\n"), "tarifs/policy.toml")
    assert err.value.exit_code == 3
    assert key in err.value.message and "tarifs/policy.toml" in err.value.message
    assert [(p.column, p.code) for p in err.value.problems] == [(key, code)]


def test_signals_not_a_table():
    with pytest.raises(InputError) as err:
        thresholds_from_policy({"signals": 3}, "policy.toml")
    assert err.value.problems[0].column == "[signals]"


# ---------------------------------------------------------------------------
# signals.csv and the report section
# ---------------------------------------------------------------------------

PROVIDERS = pl.DataFrame({"provider_id": [f"P{i}" for i in range(1, 7)],
                          "name": ["CSCom de Médina-Coura", "B", "C", "D", "E", "<script>alert(1)</script>"]})


def test_signals_csv_bytes(tmp_path):
    out = signals_of(emergency_month([0, 2, 2, 4, 4, 16]) + _visits("FOUR", 4, 8))
    path = tmp_path / "signals.csv"
    assert write_signals_csv(out, path, PROVIDERS) == 2
    # 0.09375 → 0,0938 and 0.03125 → 0,0313 (half up), z 8.7685 → 8,77.
    assert path.read_bytes().decode("cp1252") == (
        "rank;kind;id;name;level;indicator;label;value;peer_median;peer_mad;robust_z;peers;threshold;lines\r\n"
        "1;provider;P6;<script>alert(1)</script>;CSCOM;share_emergency;Part des lignes en urgence;"
        "0,5;0,0938;0,0313;8,77;6;3,5;32\r\n"
        "1;beneficiary;FOUR;;;distinct_providers;Prestataires distincts dans le mois;4;;;;;4;8\r\n")


def test_signals_csv_header_only_when_nothing_stands_out(tmp_path):
    path = tmp_path / "signals.csv"
    assert write_signals_csv(signals_of(emergency_month([0, 0, 0, 0, 0, 16])), path) == 0
    assert path.read_bytes().decode("cp1252").count("\r\n") == 1


def test_report_section_names_values_and_medians():
    out = signals_of(emergency_month([0, 2, 2, 4, 4, 16]) + _visits("FOUR", 4, 8))
    html = str(render_signals_section(out, providers=PROVIDERS))
    assert "<h2>Signaux à examiner</h2>" in html
    assert "Un signal est une piste, pas une décision." in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    nb = "\u00a0"
    # value 1/2, peers' median 3/32 = 9.375 % → "9,4 %", z 8.7685 → "8,8"
    row = (f'<td class="num signal-value">50,0{nb}%</td><td class="num">9,4{nb}%</td>'
           '<td class="num">8,8</td><td class="num">6</td><td class="num">32</td>')
    assert row in html
    assert '<tr><td>FOUR</td><td class="num">4</td><td class="num">8</td></tr>' in html
    assert html.count("<svg") == 1 and "Médiane de ses pairs" in html
    assert render_signals_section(out, providers=PROVIDERS) == html      # byte-stable


def test_report_section_without_signals():
    html = str(render_signals_section(signals_of(emergency_month([0, 0, 0, 0, 0, 16]))))
    assert "Aucun prestataire ne se détache de ses pairs" in html
    assert "Aucun bénéficiaire n'a vu 4 prestataires ou plus" in html
    assert "Un signal est une piste, pas une décision." in html and "<svg" not in html
