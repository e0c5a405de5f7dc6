"""Properties of `ramu liquidate` over generated batches (liquidation-rules.md).

Each example writes a small batch (fixed registry and providers from
liq_helpers, random invoice lines: acts including an unknown code, quantities
0..5, prices around the tariff, dates around the month, any OGD, copies of
line keys and of duplicate keys) in a random CSV dialect, runs the CLI, and
checks what the rulebook guarantees whatever the data, plus the codes whose
condition can be read straight off the fixed fixtures.
"""

from __future__ import annotations

import tempfile
from datetime import date, timedelta
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from liq_helpers import (
    BENEFICIARY_COLUMNS,
    DEFAULT_BENEFICIARIES,
    DEFAULT_PROVIDERS,
    INVOICE_COLUMNS,
    PROVIDER_COLUMNS,
    payment_orders_total,
    run_ok,
)

L = date(2026, 10, 31)                # liquidation date of batch month 2026-10
FIRST_DAY = date(2026, 7, 1)
BEN_OGD = {b["beneficiary_id"]: b["ogd"] for b in DEFAULT_BENEFICIARIES}
BENEFICIARIES = [*sorted(BEN_OGD), "B999"]               # B999: not registered
PROVIDERS = [p["provider_id"] for p in DEFAULT_PROVIDERS] + ["P-XXX"]  # P-XXX: not contracted
OGDS = ["CMSS", "INPS", "UTM", "ANAM"]
# Fixture nomenclature (conftest.py): max_qty per act, free-care acts, ZZZ unknown.
MAX_QTY = {"CONS": 1, "MED": 3, "ECHO": 1, "SIROP": None, "CHIR": 1, "PALU": 2, "CESAR": 1,
           "ANCIEN": 1}
FREE_CARE = {"PALU", "CESAR"}
ACTS = [*sorted(MAX_QTY), "ZZZ"]
PRICES = [0, 1, 15, 335, 500, 600, 700, 800, 1000, 1005, 1200, 1500, 2000, 3000, 5000, 6000,
          50000, 60000, 75000, 80000, 100000]


@st.composite
def invoice_lines(draw) -> dict:
    """One line; each field is usually plausible and sometimes wrong, so that PAID,
    REDUCED and every kind of rejection all show up."""
    bid = draw(st.sampled_from(BENEFICIARIES))
    own = BEN_OGD.get(bid, "CMSS")
    ogd = draw(st.sampled_from(OGDS)) if draw(st.integers(0, 5)) == 0 else own
    d = FIRST_DAY + timedelta(days=draw(st.integers(0, 122)))        # 01/07 … 31/10/2026
    if draw(st.integers(0, 4)) == 0:
        sub = d + timedelta(days=draw(st.integers(-2, 100)))         # may be late or after L
    else:
        sub = d + timedelta(days=draw(st.integers(0, (L - d).days)))
    act = draw(st.one_of(st.sampled_from(["CONS", "MED", "PALU"]), st.sampled_from(ACTS)))
    provider = draw(st.one_of(st.just("P-CSCOM"), st.sampled_from(PROVIDERS)))
    price = draw(st.one_of(st.sampled_from(PRICES), st.sampled_from(PRICES),
                          st.integers(0, 120000)))
    return dict(invoice_id=str(draw(st.integers(1, 40))), line_no=draw(st.integers(1, 3)),
                provider_id=provider, beneficiary_id=bid, ogd=ogd,
                service_date=d, submission_date=sub, act_code=act,
                quantity=draw(st.one_of(st.just(1), st.integers(0, 5))), unit_price=price,
                referral=draw(st.sampled_from([None, True, False])),
                emergency=draw(st.sampled_from([None, None, True, False])))


@st.composite
def plausible_lines(draw) -> dict:
    """A line that is usually PAID or REDUCED: registered patient with open rights, own
    OGD, CONS or MED at CSCOM/CSREF, received in time, price around the tariff."""
    bid = draw(st.sampled_from(["B100", "B101", "B102", "I300", "U400", "A200"]))
    d = date(2026, 9, 1) + timedelta(days=draw(st.integers(0, 60)))
    return dict(invoice_id=f"C{draw(st.integers(1, 60))}", line_no=draw(st.integers(1, 3)),
                provider_id=draw(st.sampled_from(["P-CSCOM", "P-CSREF"])), beneficiary_id=bid,
                ogd=BEN_OGD[bid], service_date=d,
                submission_date=d + timedelta(days=draw(st.integers(0, (L - d).days))),
                act_code=draw(st.sampled_from(["CONS", "MED"])),
                quantity=draw(st.integers(1, 5)), unit_price=draw(st.integers(0, 2500)),
                referral=draw(st.sampled_from([None, True])), emergency=None)


@st.composite
def batches(draw) -> tuple[list[dict], str]:
    lines = draw(st.lists(st.one_of(invoice_lines(), plausible_lines()), min_size=1, max_size=10))
    for _ in range(draw(st.integers(0, 3))):
        copy = dict(draw(st.sampled_from(lines)))
        if draw(st.booleans()):
            # same duplicate key under another invoice: an R09 candidate
            copy["invoice_id"] = f"D{draw(st.integers(1, 99))}"
            copy["submission_date"] = copy["service_date"] + timedelta(
                days=draw(st.integers(0, 30)))
        # else: the very same line key again (R14 for the later copy)
        lines.insert(draw(st.integers(0, len(lines))), copy)
    return lines, draw(st.sampled_from(["utf8", "latin1", "utf8-bom"]))  # conftest.DIALECTS


def _order_key(row: dict, i: int) -> tuple:
    """R09 order: submission_date, provider_id, invoice_id (strings), line_no, row_id."""
    return (row["submission_date"], row["provider_id"], row["invoice_id"], row["line_no"], i)


def _check_batch(lines: list[dict], out_rows: list[dict], out: Path) -> None:
    n = len(lines)
    # R14 in generated data: quantity 0, or a line key already used by an earlier row.
    seen: set[tuple] = set()
    r14 = []
    for r in lines:
        key = (r["provider_id"], r["invoice_id"], r["line_no"])
        r14.append(r["quantity"] < 1 or key in seen)
        seen.add(key)

    for i, (src, row) in enumerate(zip(lines, out_rows, strict=False)):
        # same order, values echoed
        for c in ("invoice_id", "line_no", "provider_id", "beneficiary_id", "ogd", "act_code",
                  "service_date", "submission_date", "quantity", "unit_price"):
            assert row[c] == src[c], (c, src, row)
        reasons = row["reasons"]
        for code in reasons or ["PAID"]:
            event(code)  # shown by --hypothesis-show-statistics
        assert (row["status"] == "PAID") == (reasons == [])
        assert (row["status"] == "REJECTED") == any(x.startswith("R") for x in reasons)
        assert (row["status"] == "REDUCED") == (bool(reasons)
                                                and all(x.startswith("A") for x in reasons))
        if r14[i]:
            assert reasons == ["R14"], (src, row)
            billed = src["quantity"] * src["unit_price"] if src["quantity"] >= 1 else 0
            assert row["billed"] == billed, (src, row)
            continue
        assert row["billed"] == src["quantity"] * src["unit_price"], (src, row)

        d, sub, bid = src["service_date"], src["submission_date"], src["beneficiary_id"]
        act = src["act_code"]
        expected_in = {
            "R01": bid == "B999",
            "R04": src["provider_id"] == "P-XXX",
            "R05": act == "ZZZ" or (act == "ANCIEN" and d > date(2026, 10, 10)),
            "R08": bid != "B999" and src["ogd"] != BEN_OGD[bid],
            "R10": (sub - d).days > 90,
            "R12": d > sub or sub > L,
        }
        for code, applies in expected_in.items():
            assert (code in reasons) == applies, (code, src, row)
        dup = (bid, src["provider_id"], act, d)
        earlier = any(not r14[j] and (o["beneficiary_id"], o["provider_id"], o["act_code"],
                                      o["service_date"]) == dup
                      and _order_key(o, j) < _order_key(src, i)
                      for j, o in enumerate(lines) if j != i)
        assert ("R09" in reasons) == earlier, (src, row)

        if row["status"] == "REJECTED":
            assert row["tariff_price"] is None and row["rate_percent"] is None
            assert row["funder"] is None
            assert (row["allowed_qty"], row["allowed"], row["payable"], row["copay"]) == (0, 0, 0, 0)
            assert row["disallowed"] == row["billed"]
            continue
        tariff, rate, q, unit = row["tariff_price"], row["rate_percent"], src["quantity"], src["unit_price"]
        assert tariff is not None and rate in (70, 80, 100), row
        max_qty = MAX_QTY[act]
        allowed_qty = q if max_qty is None else min(q, max_qty)
        assert row["allowed_qty"] == allowed_qty
        assert row["allowed"] == allowed_qty * min(unit, tariff)
        assert row["payable"] == (row["allowed"] * rate + 50) // 100
        assert row["copay"] == row["allowed"] - row["payable"]
        assert row["disallowed"] == row["billed"] - row["allowed"]
        assert ("A01" in reasons) == (unit > tariff)
        assert ("A02" in reasons) == (max_qty is not None and q > max_qty)
        assert row["funder"] == ("FREE_CARE" if act in FREE_CARE else "OGD")
        if act in FREE_CARE:
            assert rate == 100

    paid = sum(r["payable"] for r in out_rows if r["status"] != "REJECTED")
    assert payment_orders_total(out) == paid
    assert n == len(out_rows)


@settings(max_examples=30, deadline=None, derandomize=False,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(batch=batches())
def test_generated_batches_keep_the_rulebook(batch, tariff_dir, write_batch):
    lines, dialect = batch
    with tempfile.TemporaryDirectory(prefix="ramu-prop-") as tmp:
        base = Path(tmp)
        write_batch(base / "lot", dialect,
                    columns={"invoices": INVOICE_COLUMNS, "beneficiaries": BENEFICIARY_COLUMNS,
                             "providers": PROVIDER_COLUMNS},
                    beneficiaries=DEFAULT_BENEFICIARIES, providers=DEFAULT_PROVIDERS,
                    invoices=lines)
        df = run_ok(base / "lot", base / "out", tariff_dir, len(lines))
        _check_batch(lines, df.to_dicts(), base / "out")


# ---------------------------------------------------------------------------
# Version 2: minimum interval and annual caps, over a committed month and the next
# ---------------------------------------------------------------------------

# Fixture acts with version 2 columns: CONS 7 days apart; MED 5 units a year (max_qty 3).
V2_INTERVAL = {"CONS": 7}
V2_CAP = {"MED": 5}


@st.composite
def v2_lines(draw, month: int) -> dict:
    """A line of a few patients' CONS/MED at CSCOM in month `month` of 2026, received in time."""
    last = 30 if month in (9, 11) else 31
    d = date(2026, month, draw(st.integers(1, last)))
    act = draw(st.sampled_from(["CONS", "MED"]))
    bid = draw(st.sampled_from(["B100", "B101", "I300"]))
    return dict(invoice_id=f"M{month}-{draw(st.integers(1, 30))}", line_no=draw(st.integers(1, 3)),
                provider_id=draw(st.sampled_from(["P-CSCOM", "P-CSREF"])), beneficiary_id=bid,
                ogd=draw(st.sampled_from([BEN_OGD[bid]] * 5 + ["UTM"])), service_date=d,
                submission_date=date(2026, month, draw(st.integers(d.day, last))), act_code=act,
                quantity=draw(st.integers(0, 4)), unit_price=draw(st.sampled_from([500, 600, 1000, 2000])),
                referral=None, emergency=draw(st.sampled_from([None, None, None, True])))


def _v2_tariffs(base: Path) -> Path:
    from conftest import ACT_COLUMNS, FIXTURE_ACTS, write_csv_table, write_tariff_folder
    folder = write_tariff_folder(base / "tarifs")
    acts = [{**a, "min_interval_days": V2_INTERVAL.get(a["act_code"]),
             "max_per_year": V2_CAP.get(a["act_code"])} for a in FIXTURE_ACTS]
    write_csv_table(folder / "acts.csv", acts, "utf8", [*ACT_COLUMNS, "min_interval_days", "max_per_year"])
    return folder


def _kept(rows: list[dict]) -> list[dict]:
    return [r for r in rows if r["status"] != "REJECTED"]


def _check_v2(kept: list[dict], emergency: dict[tuple, bool]) -> None:
    """No cap exceeded (ledger + batch); no two kept CONS closer than 7 days unless one is exempt."""
    used: dict[tuple, int] = {}
    for r in kept:
        if r["act_code"] in V2_CAP:
            key = (r["beneficiary_id"], r["act_code"], r["service_date"].year)
            used[key] = used.get(key, 0) + r["allowed_qty"]
    assert all(n <= V2_CAP[key[1]] for key, n in used.items()), used
    for i, a in enumerate(kept):
        for b in kept[i + 1:]:
            k = V2_INTERVAL.get(a["act_code"])
            if k and (a["beneficiary_id"], a["act_code"]) == (b["beneficiary_id"], b["act_code"]) \
                    and abs((a["service_date"] - b["service_date"]).days) < k:
                # the later one in the walk must be exempt (emergency; no authorization here)
                assert emergency[_line_key(a)] or emergency[_line_key(b)], (a, b)


def _line_key(r: dict) -> tuple:
    return (r["provider_id"], r["invoice_id"], r["line_no"])


@settings(max_examples=12, deadline=None, derandomize=False,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.data_too_large])
@given(september=st.lists(v2_lines(9), min_size=1, max_size=10),
       october=st.lists(v2_lines(10), min_size=1, max_size=14))
def test_v2_caps_and_intervals_hold_over_ledger_and_batch(september, october, write_batch):
    from liq_helpers import explain, invoke
    with tempfile.TemporaryDirectory(prefix="ramu-prop2-") as tmp:
        base = Path(tmp)
        tariffs = _v2_tariffs(base)
        ledger = base / "registre"
        ledger.mkdir()
        rows: dict[str, list[dict]] = {}
        for month, lines in (("2026-09", september), ("2026-10", october)):
            write_batch(base / month, "utf8",
                        columns={"invoices": INVOICE_COLUMNS, "beneficiaries": BENEFICIARY_COLUMNS,
                                 "providers": PROVIDER_COLUMNS},
                        beneficiaries=DEFAULT_BENEFICIARIES, providers=DEFAULT_PROVIDERS, invoices=lines)
            out = base / f"out-{month}"
            # conservation, one row per input row, same order: checked by run_ok
            rows[month] = run_ok(base / month, out, tariffs, len(lines), month=month,
                                 extra=["--ledger", ledger]).to_dicts()
            done = invoke(["commit", out, "--ledger", ledger])
            assert done.exit_code == 0, explain(done)
        emergency = {}
        for lines in (september, october):
            seen: set[tuple] = set()
            for r in lines:     # the first of a repeated line key is the one judged
                if _line_key(r) not in seen:
                    emergency[_line_key(r)] = bool(r["emergency"])
                    seen.add(_line_key(r))
        kept = _kept(rows["2026-09"]) + _kept(rows["2026-10"])
        for r in kept:
            event("kept " + r["act_code"])
        for r in rows["2026-10"]:
            for code in r["reasons"]:
                event(code)
        _check_v2(kept, emergency)
