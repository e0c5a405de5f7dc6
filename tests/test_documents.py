"""Documents for people and banks: report.html, payment orders, notices, pain.001, remittance report.

Every frame here is written by hand, with amounts computed by hand, so a
figure in a document can be checked against the lines it sums. French
strings are asserted exactly, no-break spaces included.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from lxml import etree
from lxml import html as lhtml

from ramu_cli.contract import LIQUIDATION_COLUMNS, REASON_LABELS
from ramu_cli.documents.liquidation_report import render_liquidation_report
from ramu_cli.documents.notices import render_rejection_notices
from ramu_cli.documents.pain001 import NS, render_pain001
from ramu_cli.documents.payment_orders import render_payment_orders
from ramu_cli.documents.remittance_report import render_remittance_report
from ramu_cli.french import NBSP, amount_in_words

XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
CHROMIUM = Path("/usr/bin/chromium")

META = {"month": "2026-10", "liquidation_date": date(2026, 10, 31), "tool_version": "0.1.0",
        "tariffs_digest": "d1e5c0ffee", "anomalies": 2, "run_id": "2026-10-0123456789ab"}


def _line(row_id, invoice_id, line_no, provider_id, beneficiary_id, ogd, act_code, status, *,
          billed, allowed=0, rate=None, payable=0, copay=0, reasons=(), funder=None,
          level=None, category=None, quantity=1, service_date=date(2026, 10, 5)):
    assert billed == payable + copay + (billed - allowed)  # the rulebook's conservation
    return dict(row_id=row_id, invoice_id=invoice_id, line_no=line_no, provider_id=provider_id,
                beneficiary_id=beneficiary_id, ogd=ogd, act_code=act_code, service_date=service_date,
                submission_date=date(2026, 10, 20), quantity=quantity,
                unit_price=billed // quantity if quantity else 0, billed=billed,
                tariff_price=None if status == "REJECTED" else allowed, allowed_qty=0 if status == "REJECTED" else 1,
                allowed=allowed, rate_percent=rate, payable=payable, copay=copay, disallowed=billed - allowed,
                status=status, reason=reasons[0] if reasons else None, reasons=list(reasons), funder=funder,
                level=level, category=category)


# Nine lines of October 2026; P1 and P2 have rejected or reduced lines, P3 has none,
# P404 is absent from the registry, and row 8 is unreadable (no provider).
LINES = [
    _line(1, "F1", 1, "P1", "B1", "ANAM", "CHIR", "PAID", billed=1_227_714, allowed=1_227_714, rate=100,
          payable=1_227_714, funder="OGD", level="HR", category="SURGERY"),
    _line(2, "F2", 1, "P1", "B2", "CMSS", "CONS", "REDUCED", billed=5_000, allowed=3_000, rate=70,
          payable=2_100, copay=900, reasons=("A01",), funder="OGD", level="HR", category="CONSULTATION"),
    _line(3, "F2", 2, "P1", "B3", "CMSS", "CESAR", "PAID", billed=80_000, allowed=80_000, rate=100,
          payable=80_000, funder="FREE_CARE", level="HR", category="MATERNITY"),
    _line(4, "F7", 1, "P2", "B4", "UTM", "XX1", "REJECTED", billed=1_500, reasons=("R01", "R05"),
          level="HR", category=None, service_date=date(2026, 9, 28)),
    _line(5, "F8", 1, "P2", "B5", "UTM", "CONS", "PAID", billed=3_000, allowed=3_000, rate=70,
          payable=2_100, copay=900, funder="OGD", level="HR", category="CONSULTATION"),
    _line(6, "F9", 1, "P3", "B1", "ANAM", "MED", "PAID", billed=1_500, allowed=1_500, rate=100,
          payable=1_500, funder="OGD", level="PHARMACY", category="MEDICINE"),
    _line(7, "F10", 1, "P404", "B6", "INPS", "CONS", "REJECTED", billed=2_000, reasons=("R04",),
          category="CONSULTATION"),
    _line(8, None, None, None, None, None, None, "REJECTED", billed=0, reasons=("R14",), quantity=0,
          service_date=None),
    _line(9, "F7", 2, "P2", "B4", "UTM", "MED", "REDUCED", billed=2_500, allowed=1_500, rate=70,
          payable=1_050, copay=450, reasons=("A02",), funder="OGD", level="HR", category="MEDICINE",
          quantity=5),
]

LINE_SCHEMA = {**LIQUIDATION_COLUMNS, "level": pl.String(), "category": pl.String()}

PROVIDERS = [
    dict(provider_id="P1", name="Hôpital régional de Sikasso", level="HR", region="Sikasso",
         bank_code="ML001", account_number="00123456789"),
    dict(provider_id="P2", name=XSS, level="HR", region="Kayes", bank_code="ML040", account_number="0404040404"),
    dict(provider_id="P3", name="Pharmacie du Fleuve", level="PHARMACY", region="Bamako",
         bank_code="ML007", account_number=None),
]

# One order per (ogd, provider, funder) with payable > 0, numbered as the engine does,
# listed in the documents' order: OGDs in the contract's order (CMSS, INPS, UTM, ANAM).
ORDERS = [
    ("OP-CMSS-202610-00001", "CMSS", "P1", "FREE_CARE", 1, 80_000, 80_000, date(2026, 11, 30)),
    ("OP-CMSS-202610-00002", "CMSS", "P1", "OGD", 1, 5_000, 2_100, date(2026, 11, 30)),
    ("OP-UTM-202610-00001", "UTM", "P2", "OGD", 2, 5_500, 3_150, date(2026, 11, 30)),
    ("OP-ANAM-202610-00001", "ANAM", "P1", "OGD", 1, 1_227_714, 1_227_714, date(2026, 11, 30)),
    ("OP-ANAM-202610-00002", "ANAM", "P3", "OGD", 1, 1_500, 1_500, date(2026, 11, 15)),
]

REGISTERED = {"CMSS": 10, "INPS": 5, "UTM": 8, "ANAM": 4}


@pytest.fixture
def lines() -> pl.DataFrame:
    return pl.DataFrame(LINES, schema=LINE_SCHEMA)


@pytest.fixture
def providers() -> pl.DataFrame:
    return pl.DataFrame(PROVIDERS, schema={"provider_id": pl.String, "name": pl.String, "level": pl.String,
                                           "region": pl.String, "bank_code": pl.String,
                                           "account_number": pl.String})


@pytest.fixture
def orders(providers) -> pl.DataFrame:
    bank = {p["provider_id"]: p for p in PROVIDERS}
    rows = [dict(order_no=no, ogd=ogd, provider_id=pid, provider_name=bank[pid]["name"], level=bank[pid]["level"],
                 region=bank[pid]["region"], bank_code=bank[pid]["bank_code"],
                 account_number=bank[pid]["account_number"], funder=funder, lines=n, billed=billed,
                 payable=payable, due_date=due, amount_words=amount_in_words(payable))
            for no, ogd, pid, funder, n, billed, payable, due in ORDERS]
    return pl.DataFrame(rows, schema={"order_no": pl.String, "ogd": pl.String, "provider_id": pl.String,
                                      "provider_name": pl.String, "level": pl.String, "region": pl.String,
                                      "bank_code": pl.String, "account_number": pl.String, "funder": pl.String,
                                      "lines": pl.Int64, "billed": pl.Int64, "payable": pl.Int64,
                                      "due_date": pl.Date, "amount_words": pl.String})


@pytest.fixture
def report(lines, orders, providers) -> str:
    return render_liquidation_report(lines, orders, providers.select("provider_id", "name", "level", "region"),
                                     REGISTERED, META)


def _table(doc: str, table_id: str) -> tuple[list[list[str]], list[str]]:
    """Body rows and footer row of a table, as the text a reader sees."""
    tree = lhtml.fromstring(doc)
    table = tree.get_element_by_id(table_id)
    body = [[td.text_content().strip() for td in tr.findall("td")] for tr in table.findall("tbody/tr")]
    foot = table.find("tfoot/tr")
    return body, ([td.text_content().strip() for td in foot.findall("td")] if foot is not None else [])


def _money(text: str) -> int:
    """"1 227 714 FCFA" (no-break spaces) back to 1227714; refuses any other shape."""
    assert re.fullmatch(r"\d{1,3}(?:\u00a0\d{3})*\u00a0FCFA", text), repr(text)
    return int(text.replace(NBSP, "").removesuffix("FCFA"))


# ---------------------------------------------------------------------------
# report.html
# ---------------------------------------------------------------------------

def test_report_is_french_and_exact(report):
    assert "<title>Rapport de liquidation — octobre 2026</title>" in report
    assert f"1{NBSP}227{NBSP}714{NBSP}FCFA" in report            # NBSP between groups and before FCFA
    assert "liquidation du 31/10/2026" in report
    assert "R01 — Bénéficiaire inconnu" in report
    assert "A02 — Quantité ramenée au maximum autorisé" in report
    assert f"Coût des gratuités du mois : <strong class=\"nowrap\">80{NBSP}000{NBSP}FCFA</strong>" in report
    assert "1 227 714 FCFA" not in report                          # never an ordinary space in an amount


def test_report_totals_equal_line_sums(report, lines):
    sums = {c: int(lines[c].sum()) for c in ("billed", "payable", "copay", "disallowed")}
    body, foot = _table(report, "by-status")
    assert [r[0] for r in body] == ["Payée", "Réduite", "Rejetée"]
    assert [int(r[1]) for r in body] == [4, 2, 3]
    assert foot[1] == "9" and foot[2] == f"100,0{NBSP}%"
    assert [_money(x) for x in foot[3:7]] == [sums["billed"], sums["payable"], sums["copay"], sums["disallowed"]]
    assert sum(_money(r[4]) for r in body) == sums["payable"] == 1_314_464

    body, foot = _table(report, "by-ogd")
    assert [r[0] for r in body] == ["CMSS", "INPS", "UTM", "ANAM", "OGD illisible"]
    assert sum(_money(r[5]) for r in body) == _money(foot[5]) == sums["billed"]
    assert sum(_money(r[6]) for r in body) == _money(foot[6]) == sums["payable"]

    body, foot = _table(report, "by-funder")
    assert _money(foot[1]) == 1_234_464 and _money(foot[2]) == 80_000 and _money(foot[4]) == sums["payable"]

    for table in ("by-level", "by-category"):
        body, foot = _table(report, table)
        assert sum(_money(r[4]) for r in body) == _money(foot[4]) == sums["payable"]
        assert sum(int(r[1]) for r in body) == int(foot[1]) == lines.height
    body, _ = _table(report, "by-level")
    assert [r[0] for r in body] == ["Hôpital régional (HR)", "Pharmacie (officine)", "Niveau inconnu"]

    body, foot = _table(report, "orders")
    assert _money(foot[4]) == sums["payable"]
    assert "Le total des ordres de paiement est égal au montant à payer des lignes liquidées." in report


def test_report_reasons_providers_beneficiaries(report):
    body, _ = _table(report, "reasons")
    # every code once, with its French label: most lines first (1 each here), then most disallowed, then code
    assert [r[0] for r in body] == [f"{c} — {REASON_LABELS[c]}" for c in ("A01", "R04", "R01", "R05", "A02", "R14")]
    assert [_money(r[3]) for r in body] == [2_000, 2_000, 1_500, 1_500, 1_000, 0]

    body, _ = _table(report, "top-providers")
    # most disallowed first, ties by provider id; a provider absent from the registry shows "—"
    assert [r[0] for r in body] == [f"{XSS}P2", "Hôpital régional de SikassoP1", "—P404"]
    assert [_money(r[7]) for r in body] == [2_500, 2_000, 2_000]

    body, _ = _table(report, "beneficiaries")
    assert body == [["CMSS", "2", "10", f"20,0{NBSP}%"], ["INPS", "0", "5", f"0,0{NBSP}%"],
                    ["UTM", "2", "8", f"25,0{NBSP}%"], ["ANAM", "1", "4", f"25,0{NBSP}%"]]


def test_report_is_self_contained_and_printable(report):
    assert "<script" not in report
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", report)
    assert re.findall(r"https?://[^\s\"'<>]+", report) == ["http://www.w3.org/2000/svg"] * report.count("<svg")
    assert "@page { size: A4;" in report and "break-before: page" in report
    assert report.count("<svg") == 5


# ---------------------------------------------------------------------------
# Safety and determinism
# ---------------------------------------------------------------------------

def test_script_provider_name_is_escaped_everywhere(report, lines, orders, providers):
    docs = [report, render_payment_orders(orders, META),
            render_rejection_notices(lines, providers, META)["P2"]]
    for doc in docs:
        assert XSS not in doc
        assert XSS_ESCAPED in doc
    xml = render_pain001(orders, META)
    names = etree.fromstring(xml).findall(f".//{{{NS}}}Cdtr/{{{NS}}}Nm")
    assert XSS in [n.text for n in names]                   # a text node, not markup
    assert b"<script>" not in xml


def test_same_inputs_give_same_bytes(lines, orders, providers):
    sub = providers.select("provider_id", "name", "level", "region")
    for _ in range(2):
        first = (render_liquidation_report(lines, orders, sub, REGISTERED, META),
                 render_payment_orders(orders, META), render_rejection_notices(lines, providers, META),
                 render_pain001(orders, META))
        again = (render_liquidation_report(lines, orders, sub, REGISTERED, META),
                 render_payment_orders(orders, META), render_rejection_notices(lines, providers, META),
                 render_pain001(orders, META))
        assert first == again
    # row order of the inputs does not matter either
    shuffled = (render_liquidation_report(lines.reverse(), orders.reverse(), sub.reverse(), REGISTERED, META),
                render_payment_orders(orders.reverse(), META),
                render_rejection_notices(lines.reverse(), providers.reverse(), META),
                render_pain001(orders.reverse(), META))
    assert shuffled == first


# ---------------------------------------------------------------------------
# payment_orders.html
# ---------------------------------------------------------------------------

def test_payment_orders_one_page_each(orders):
    doc = render_payment_orders(orders, META)
    tree = lhtml.fromstring(doc)
    pages = tree.find_class("order")
    assert len(pages) == orders.height
    assert "break-after: page" in doc and "@page { size: A4;" in doc
    nos = [p.find_class("no")[0].text_content() for p in pages]
    assert nos == [f"N° {o[0]}" for o in ORDERS]            # by OGD in contract order, then number
    first = pages[3].text_content()
    assert "Agence Nationale d'Assistance Médicale (ANAM)" in first
    assert f"1{NBSP}227{NBSP}714{NBSP}FCFA" in first
    assert "un million deux cent vingt-sept mille sept cent quatorze francs CFA" in first
    assert "Hôpital régional (HR)" in first and "Sikasso" in first and "ML001" in first and "00123456789" in first
    assert "octobre 2026" in first and "30/11/2026" in first
    assert "Le liquidateur" in first and "L'agent comptable" in first
    assert "Régime (OGD)" in first
    free = pages[0].text_content()
    assert "Caisse Malienne de Sécurité Sociale (CMSS)" in free
    assert "Gratuités (budget de l'État)" in free and "quatre-vingt mille francs CFA" in free
    assert "manquant — à compléter avant paiement" in pages[4].text_content()   # P3 has no account
    assert "manquant" not in "".join(p.text_content() for p in pages[:4])
    assert sum(_money(p.find_class("figure")[0].text_content()) for p in pages) == int(orders["payable"].sum())


def test_payment_orders_empty(orders):
    doc = render_payment_orders(orders.clear(), META)
    assert "Aucun ordre de paiement ce mois-ci" in doc


# ---------------------------------------------------------------------------
# Rejection notices
# ---------------------------------------------------------------------------

def test_notices_only_for_providers_with_rejected_or_reduced_lines(lines, providers):
    notices = render_rejection_notices(lines, providers, META)
    assert sorted(notices) == ["P1", "P2", "P404"]          # not P3 (all paid), not the unreadable row
    p1 = notices["P1"]
    assert "Hôpital régional de Sikasso" in p1 and "octobre 2026" in p1
    rows = lhtml.fromstring(p1).find_class("line")
    assert len(rows) == 1                                     # only the REDUCED line, not the two PAID ones
    text = rows[0].text_content()
    for expected in ("F2", "ligne 1", "B2", "CONS", "05/10/2026", "Réduite", f"5{NBSP}000{NBSP}FCFA",
                     f"2{NBSP}100{NBSP}FCFA", f"2{NBSP}000{NBSP}FCFA",
                     "A01 — Prix unitaire ramené au tarif de référence"):
        assert expected in text, expected
    assert "au plus tard le <strong>30/11/2026</strong>" in p1
    assert "Lignes réduites" in p1 and "Lignes rejetées</strong>" not in p1

    p2 = lhtml.fromstring(notices["P2"])
    lines_p2 = [r.text_content() for r in p2.find_class("line")]
    assert len(lines_p2) == 2
    assert "R01 — Bénéficiaire inconnu" in lines_p2[0] and "R05 — Acte inconnu de la nomenclature" in lines_p2[0]
    assert "28/09/2026" in lines_p2[0]
    assert "A02 — Quantité ramenée au maximum autorisé" in lines_p2[1]
    foot = [td.text_content() for td in p2.find(".//tfoot/tr").findall("td")]
    assert [_money(x) for x in foot[1:4]] == [4_000, 1_050, 2_500]
    assert "renvoyez les lignes corrigées avec les factures du mois prochain" in notices["P2"]
    assert "Prestataire inconnu du registre" in notices["P404"]


def test_no_notice_without_rejections(lines, providers):
    paid = lines.filter(pl.col("status") == "PAID")
    assert render_rejection_notices(paid, providers, META) == {}


# ---------------------------------------------------------------------------
# pain.001.001.09
# ---------------------------------------------------------------------------

def _q(path: str) -> str:
    return "/".join(f"{{{NS}}}{p}" for p in path.split("/"))


def test_pain001_structure(orders):
    xml = render_pain001(orders, META)
    assert xml.startswith(b"<?xml version='1.0' encoding='UTF-8'?>")
    root = etree.fromstring(xml)
    assert root.tag == f"{{{NS}}}Document" and NS == "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
    hdr = root.find(_q("CstmrCdtTrfInitn/GrpHdr"))
    assert hdr.findtext(_q("MsgId")) == "RAMU-2026-10-0123456789ab"
    assert hdr.findtext(_q("CreDtTm")) == "2026-10-31T00:00:00"
    assert hdr.findtext(_q("NbOfTxs")) == "5"
    assert hdr.findtext(_q("CtrlSum")) == "1314464" == str(int(orders["payable"].sum()))
    assert hdr.findtext(_q("InitgPty/Nm"))

    blocks = root.findall(_q("CstmrCdtTrfInitn/PmtInf"))
    assert [b.findtext(_q("Dbtr/Nm")) for b in blocks] == [
        "Caisse Malienne de Sécurité Sociale (CMSS)", "Union Technique de la Mutualité Malienne (UTM)",
        "Agence Nationale d'Assistance Médicale (ANAM)"]
    expected = {"CMSS": (2, 82_100), "UTM": (1, 3_150), "ANAM": (2, 1_229_214)}
    for block, (ogd, (n, total)) in zip(blocks, expected.items(), strict=True):
        assert block.findtext(_q("PmtInfId")) == f"RAMU-2026-10-0123456789ab-{ogd}"
        assert block.findtext(_q("PmtMtd")) == "TRF"
        assert block.findtext(_q("ReqdExctnDt/Dt")) == "2026-10-31"
        assert block.findtext(_q("DbtrAcct/Id/Othr/Id")) == "NOTPROVIDED"
        assert block.findtext(_q("DbtrAgt/FinInstnId/Othr/Id")) == "NOTPROVIDED"
        txs = block.findall(_q("CdtTrfTxInf"))
        assert block.findtext(_q("NbOfTxs")) == str(n) == str(len(txs))
        amounts = [tx.find(_q("Amt/InstdAmt")) for tx in txs]
        assert all(a.get("Ccy") == "XOF" and re.fullmatch(r"[1-9]\d*", a.text) for a in amounts)
        assert block.findtext(_q("CtrlSum")) == str(total) == str(sum(int(a.text) for a in amounts))

    txs = root.findall(".//" + _q("CdtTrfTxInf"))
    assert [t.findtext(_q("PmtId/EndToEndId")) for t in txs] == [o[0] for o in ORDERS]
    first = txs[3]
    assert first.findtext(_q("Amt/InstdAmt")) == "1227714"
    assert first.findtext(_q("Cdtr/Nm")) == "Hôpital régional de Sikasso"
    assert first.findtext(_q("CdtrAcct/Id/Othr/Id")) == "00123456789"
    assert first.findtext(_q("CdtrAgt/FinInstnId/Othr/Id")) == "ML001"
    assert first.findtext(_q("RmtInf/Ustrd")) == "RAMU octobre 2026 - ordre OP-ANAM-202610-00001 - Régime (OGD)"
    assert txs[4].find(_q("CdtrAcct")) is None               # P3: no account, no made-up one
    assert txs[4].findtext(_q("CdtrAgt/FinInstnId/Othr/Id")) == "ML007"
    # element order inside a transaction follows the schema's sequence
    assert [c.tag.split("}")[1] for c in first] == ["PmtId", "Amt", "CdtrAgt", "Cdtr", "CdtrAcct", "RmtInf"]


def test_pain001_debtor_accounts_and_fallback_message_id(orders):
    meta = {**META, "run_id": None,
            "debtor_accounts": {"CMSS": {"account": "ML0010001", "agent": "BDMMLBA"}}}
    root = etree.fromstring(render_pain001(orders, meta))
    assert root.findtext(".//" + _q("GrpHdr/MsgId")) == "RAMU-2026-10-20261031"
    cmss, utm = root.findall(".//" + _q("PmtInf"))[:2]
    assert cmss.findtext(_q("DbtrAcct/Id/Othr/Id")) == "ML0010001"
    assert cmss.findtext(_q("DbtrAgt/FinInstnId/Othr/Id")) == "BDMMLBA"
    assert utm.findtext(_q("DbtrAcct/Id/Othr/Id")) == "NOTPROVIDED"


# The official ISO 20022 schema, shipped with the tests (where it comes from: tests/xsd/README.md).
PAIN001_XSD = Path(__file__).parent / "xsd" / "pain.001.001.09.xsd"


def test_pain001_valid_against_official_xsd(orders):
    schema = etree.XMLSchema(etree.parse(str(PAIN001_XSD)))
    doc = etree.fromstring(render_pain001(orders, META))
    assert schema.validate(doc), schema.error_log
    # The schema does bite: a transfer without its amount is refused.
    amount = doc.find(".//" + _q("CdtTrfTxInf/Amt"))
    amount.getparent().remove(amount)
    assert not schema.validate(doc)
    assert "Amt" in str(schema.error_log)


# ---------------------------------------------------------------------------
# Remittance report
# ---------------------------------------------------------------------------

PERIODS = pl.DataFrame(
    [dict(ogd="CMSS", period="2026-09", due=1_000_000, collected=900_000, collection_rate=90.0, remitted=900_000,
          remitted_on_time=600_000, remitted_late=300_000, outstanding=0, excess=0, max_days_late=10, penalty=19_500),
     dict(ogd="CMSS", period="2026-10", due=500_000, collected=500_000, collection_rate=100.0, remitted=0,
          remitted_on_time=0, remitted_late=0, outstanding=500_000, excess=0, max_days_late=0, penalty=0),
     dict(ogd="INPS", period="2026-09", due=0, collected=0, collection_rate=None, remitted=0,
          remitted_on_time=0, remitted_late=0, outstanding=0, excess=25_000, max_days_late=0, penalty=0)],
    schema={"ogd": pl.String, "period": pl.String, "due": pl.Int64, "collected": pl.Int64,
            "collection_rate": pl.Float64, "remitted": pl.Int64, "remitted_on_time": pl.Int64,
            "remitted_late": pl.Int64, "outstanding": pl.Int64, "excess": pl.Int64, "max_days_late": pl.Int64,
            "penalty": pl.Int64})
CHUNKS = pl.DataFrame(
    [dict(ogd="CMSS", period="2026-09", deadline=date(2026, 10, 15), amount=600_000, transfer_id="T1",
          value_date=date(2026, 10, 14), days_late=0, penalty=0),
     dict(ogd="CMSS", period="2026-09", deadline=date(2026, 10, 15), amount=300_000, transfer_id="T2",
          value_date=date(2026, 10, 25), days_late=10, penalty=19_500),
     dict(ogd="CMSS", period="2026-10", deadline=date(2026, 11, 15), amount=500_000, transfer_id=None,
          value_date=None, days_late=0, penalty=0)],
    schema={"ogd": pl.String, "period": pl.String, "deadline": pl.Date, "amount": pl.Int64,
            "transfer_id": pl.String, "value_date": pl.Date, "days_late": pl.Int64, "penalty": pl.Int64})
OGD_TOTALS = pl.DataFrame(
    [dict(ogd="CMSS", due=1_500_000, collected=1_400_000, collection_rate=93.3, remitted=900_000,
          remitted_on_time=600_000, remitted_late=300_000, outstanding=500_000, excess=0, penalty=19_500),
     dict(ogd="INPS", due=0, collected=0, collection_rate=None, remitted=0, remitted_on_time=0,
          remitted_late=0, outstanding=0, excess=25_000, penalty=0)])
REM_META = {"as_of": date(2026, 11, 10), "tool_version": "0.1.0", "tariffs_digest": "d1e5c0ffee",
            "deadline_days": 15, "penalty_initial_bp": 500, "penalty_monthly_bp": 150}


def test_remittance_report():
    doc = render_remittance_report(PERIODS, CHUNKS, OGD_TOTALS, REM_META)
    assert doc == render_remittance_report(PERIODS, CHUNKS, OGD_TOTALS, REM_META)
    assert "Situation au 10/11/2026" in doc
    assert f"pénalité de 5,0{NBSP}% plus 1,5{NBSP}% par mois de retard commencé" in doc
    body, _ = _table(doc, "by-ogd")
    rows = {r[0]: r[1:] for r in body}
    assert [_money(x) for x in rows["Cotisations dues"]] == [1_500_000, 0, 1_500_000]
    assert rows["Taux de recouvrement"] == [f"93,3{NBSP}%", "—", f"93,3{NBSP}%"]
    assert [_money(x) for x in rows["Pénalités de retard"]] == [19_500, 0, 19_500]
    assert [_money(x) for x in rows["Excédent versé"]] == [0, 25_000, 25_000]
    body, foot = _table(doc, "by-period")
    assert [r[1] for r in body] == ["septembre 2026", "octobre 2026", "septembre 2026"]
    assert body[0][9] == "10 jours" and foot[-1] == f"19{NBSP}500"
    body, foot = _table(doc, "chunks")
    assert len(body) == 3 and "non reversé" in body[2][4] and body[2][5] == "—"
    assert _money(foot[1]) == 1_400_000 and _money(foot[-1]) == 19_500
    assert doc.count("<svg") == 2 and "Reversé à temps" in doc and "Non reversé" in doc
    assert "<script" not in doc


# ---------------------------------------------------------------------------
# Printing in a real browser
# ---------------------------------------------------------------------------

def _print_pdf(html_file: Path, pdf: Path, profile: Path) -> None:
    subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", f"--user-data-dir={profile}", "--no-pdf-header-footer",
                    f"--print-to-pdf={pdf}", html_file.as_uri()],
                   check=True, capture_output=True, timeout=120)


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium absent : impression PDF non vérifiée "
                    "(apt-get install chromium)")
def test_documents_print_to_pdf_in_chromium(tmp_path, report, orders):
    files = {"report.html": report, "payment_orders.html": render_payment_orders(orders, META)}
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        pdf = tmp_path / f"{name}.pdf"
        _print_pdf(tmp_path / name, pdf, tmp_path / f"profile-{name}")
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF") and len(data) > 5_000, name
        if name == "payment_orders.html":
            pages = len(re.findall(rb"/Type\s*/Page(?!s)", data))
            assert pages == orders.height                     # one A4 page per order
    shutil.rmtree(tmp_path, ignore_errors=True)
