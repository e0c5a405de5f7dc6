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
