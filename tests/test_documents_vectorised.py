"""Payment-order pages and pain.001 transfers built by polars expressions: the bytes of the reference.

The reference is the former one-order-at-a-time writer, kept in the code
(`render_payment_orders_template`: the template's loop; `render_pain001(...,
vectorised=False)`: lxml, element by element). Orders here are hostile on
purpose: markup and quotes in names, empty and missing bank details, control
characters and odd spaces, names longer than the bank's 140 characters,
unknown codes and a missing OGD. (The amounts in words are plain strings here:
num2words' cache is left as test_french expects it.)
"""

from __future__ import annotations

from datetime import date

import polars as pl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from ramu_cli.documents.pain001 import render_pain001, xml_text, xml_text_expr
from ramu_cli.documents.payment_orders import render_payment_orders, render_payment_orders_template

META = {"month": "2026-10", "liquidation_date": date(2026, 10, 31), "tool_version": "0.1.0",
        "tariffs_digest": "d1e5c0ffee", "anomalies": 2, "run_id": "2026-10-0123456789ab"}
SCHEMA = {"order_no": pl.String, "ogd": pl.String, "provider_id": pl.String, "provider_name": pl.String,
          "level": pl.String, "region": pl.String, "bank_code": pl.String, "account_number": pl.String,
          "funder": pl.String, "lines": pl.Int64, "billed": pl.Int64, "payable": pl.Int64, "due_date": pl.Date,
          "amount_words": pl.String}
HOSTILE = ["", " ", "<b>A & B</b>", "l'hôpital \"Espoir\"", "tab\there\nnewline\r", "\x00\x1f\x7f nuls",
           "\u00a0\u2003espaces\u3000insécables\u0085", "Ü" * 150, "x" * 139 + " &", "]]>", "--"]


def _order(k: int, **kw) -> dict:
    payable = kw.pop("payable", 1_000 * k + 7)
    row = dict(order_no=f"OP-CMSS-202610-{k:05d}", ogd="CMSS", provider_id=f"P{k}", provider_name=f"Centre {k}",
               level="CSCOM", region="Kayes", bank_code="ML001", account_number=f"00{k}", funder="OGD",
               lines=k, billed=payable + 5, payable=payable, due_date=date(2026, 11, 30),
               amount_words=f"{payable} francs CFA (l'écrit en lettres)")
    return {**row, **kw}


def _hostile_orders() -> pl.DataFrame:
    rows = [_order(k, provider_name=text, region=text or None, bank_code=text, account_number=text[::-1])
            for k, text in enumerate(HOSTILE, start=1)]
    rows += [_order(20, provider_name=None, bank_code=None, account_number=None, region=None, level=None,
                    funder=None, due_date=None),
             _order(21, ogd="ZZZ", level="INCONNU", funder="AUTRE", lines=1_234_567, payable=2_000_000),
             _order(22, ogd=None, provider_id="P<22>", provider_name="", payable=0),
             _order(23, ogd="ANAM", provider_name="Clinique « Étoile »", payable=1_227_714),
             _order(24, ogd="UTM", funder="FREE_CARE", payable=999_999_999_999)]
    return pl.DataFrame(rows, schema=SCHEMA)


def test_order_pages_equal_the_template_loop_on_hostile_orders() -> None:
    orders = _hostile_orders()
    html = render_payment_orders(orders, META)
    assert html == render_payment_orders_template(orders, META)
    assert "&lt;b&gt;A &amp; B&lt;/b&gt;" in html and "manquant — à compléter avant paiement" in html
    assert html.count('<article class="order">') == orders.height
    without_run = {k: v for k, v in META.items() if k != "run_id"}
    assert render_payment_orders(orders, without_run) == render_payment_orders_template(orders, without_run)


def test_order_pages_fall_back_to_the_template_for_what_expressions_do_not_cover() -> None:
    orders = pl.DataFrame([_order(1, billed=None), _order(2, billed=-5)], schema=SCHEMA)
    assert render_payment_orders(orders, META) == render_payment_orders_template(orders, META)
    empty = orders.clear()
    assert render_payment_orders(empty, META) == render_payment_orders_template(empty, META)
    assert "Aucun ordre de paiement ce mois-ci" in render_payment_orders(empty, META)


def test_pain001_transfers_equal_lxml_on_hostile_orders() -> None:
    orders = _hostile_orders()
    xml = render_pain001(orders, META)
    assert xml == render_pain001(orders, META, vectorised=False)
    root = etree.fromstring(xml)
    assert len(root.findall(".//{*}CdtTrfTxInf")) == orders.height
    accounts = {**META, "debtor_accounts": {"CMSS": {"account": "ML99 0001", "agent": "BDM & Cie"}}}
    assert render_pain001(orders, accounts) == render_pain001(orders, accounts, vectorised=False)
    assert render_pain001(orders.clear(), META) == render_pain001(orders.clear(), META, vectorised=False)


def test_xml_text_expression_is_xml_text_then_escaped_for_every_character() -> None:
    # Every Unicode scalar value (surrogates aside: not in UTF-8 text), alone, doubled and among letters.
    chars = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    texts = [f"a{c}{c}b {c}" for c in chars] + [f"{c}x{c}" for c in chars]
    got = pl.DataFrame({"t": texts}).select(xml_text_expr(pl.col("t")))["t"].to_list()
    want = [xml_text(t).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for t in texts]
    assert [(t, g) for t, g, w in zip(texts, got, want, strict=True) if g != w] == []


text = st.one_of(st.none(), st.sampled_from(HOSTILE), st.text(max_size=160))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(text, text, text, st.sampled_from(["CMSS", "INPS", "UTM", "ANAM", "XX", None]),
                          st.sampled_from(["OGD", "FREE_CARE", "AUTRE", None]),
                          st.integers(0, 10**12)), min_size=1, max_size=12))
def test_both_writers_agree_on_any_orders(rows) -> None:
    orders = pl.DataFrame([_order(k, provider_name=name, bank_code=bank, account_number=acct, ogd=ogd,
                                  funder=funder, payable=payable, provider_id=name or f"P{k}")
                           for k, (name, bank, acct, ogd, funder, payable) in enumerate(rows, start=1)],
                          schema=SCHEMA)
    assert render_payment_orders(orders, META) == render_payment_orders_template(orders, META)
    assert render_pain001(orders, META) == render_pain001(orders, META, vectorised=False)
