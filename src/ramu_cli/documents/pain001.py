"""payment_orders.pain001.xml: the run's orders as an ISO 20022 credit transfer initiation.

Message pain.001.001.09 (CustomerCreditTransferInitiationV09), built with lxml:
one group header, one payment information block per OGD (the debtor), one
credit transfer per payment order (EndToEndId = order number). Amounts are
whole francs CFA (XOF has no minor unit): "150000". Nothing depends on the
clock: the message id comes from the run id and the creation time is the
liquidation date at midnight, so the same run gives the same bytes.

The OGDs' own bank accounts are not in the batch: the caller may pass them
as meta["debtor_accounts"] = {"CMSS": {"account": ..., "agent": ...}, ...};
a missing one is written "NOTPROVIDED", the ISO 20022 convention for an
identifier not given, for the OGD's bank to fill in. A provider without bank
code or account gets a transfer without creditor agent or account, which
its bank will refuse: the payment order shows those details as missing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import polars as pl
from lxml import etree

from ramu_cli.contract import OGDS
from ramu_cli.documents.labels import FUNDER_FR, OGD_NAMES
from ramu_cli.documents.tables import in_code_order
from ramu_cli.french import month_title

NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.09"
CURRENCY = "XOF"
NOT_PROVIDED = "NOTPROVIDED"
INITIATING_PARTY = "Régime d'Assurance Maladie Universelle (RAMU)"
MAX35, MAX34, MAX140 = 35, 34, 140


# Characters XML 1.0 cannot hold (C0 controls but tab, LF, CR; surrogates; U+FFFE/U+FFFF), and
# tab/LF/CR too: a bank's name field is one line. Each becomes a space, so a control character
# typed into a provider's name never stops the month (the name stays readable).
_NOT_IN_XML = re.compile("[\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: str) -> str:
    """`text` as a one-line XML 1.0 text: control characters replaced by a space, spaces collapsed."""
    return " ".join(_NOT_IN_XML.sub(" ", text).split())


def _el(parent: etree._Element, tag: str, text: str | None = None, **attrib: str) -> etree._Element:
    node = etree.SubElement(parent, f"{{{NS}}}{tag}", attrib)
    if text is not None:
        node.text = xml_text(text)
    return node


def _path(parent: etree._Element, tags: str, text: str) -> etree._Element:
    """Nested elements "A/B/C" with text on the last."""
    *outer, last = tags.split("/")
    for tag in outer:
        parent = _el(parent, tag)
    return _el(parent, last, text)


def _amount(n: int) -> str:
    """Whole francs as ISO 20022 writes an XOF amount: no decimals, no separator."""
    return str(int(n))


def message_id(meta: Mapping) -> str:
    """Deterministic MsgId: from the run id, else from the month and liquidation date."""
    run = meta.get("run_id")
    if run:
        return f"RAMU-{run}"[:MAX35]
    return f"RAMU-{meta['month']}-{meta['liquidation_date']:%Y%m%d}"[:MAX35]


def render_pain001(orders: pl.DataFrame, meta: dict) -> bytes:
    """The orders as pain.001.001.09 XML (UTF-8 bytes)."""
    rows = in_code_order(orders.select("order_no", "ogd", "provider_id", "provider_name", "bank_code",
                                       "account_number", "funder", "lines", "payable"),
                         "ogd", OGDS, "order_no").to_dicts()
    msg_id = message_id(meta)
    liq = meta["liquidation_date"]
    period = month_title(meta["month"])
    accounts: Mapping = meta.get("debtor_accounts") or {}

    root = etree.Element(f"{{{NS}}}Document", nsmap={None: NS})
    initn = _el(root, "CstmrCdtTrfInitn")
    hdr = _el(initn, "GrpHdr")
    _el(hdr, "MsgId", msg_id)
    _el(hdr, "CreDtTm", f"{liq.isoformat()}T00:00:00")
    _el(hdr, "NbOfTxs", str(len(rows)))
    _el(hdr, "CtrlSum", _amount(sum(int(r["payable"]) for r in rows)))
    _path(hdr, "InitgPty/Nm", str(meta.get("initiating_party") or INITIATING_PARTY)[:MAX140])

    by_ogd: dict[str, list[dict]] = {}
    for r in rows:
        by_ogd.setdefault(r["ogd"], []).append(r)
    for ogd, txs in by_ogd.items():
        acct = accounts.get(ogd) or {}
        pmt = _el(initn, "PmtInf")
        _el(pmt, "PmtInfId", f"{msg_id}-{ogd}"[-MAX35:])
        _el(pmt, "PmtMtd", "TRF")
        _el(pmt, "NbOfTxs", str(len(txs)))
        _el(pmt, "CtrlSum", _amount(sum(int(r["payable"]) for r in txs)))
        _path(pmt, "ReqdExctnDt/Dt", liq.isoformat())
        _path(pmt, "Dbtr/Nm", f"{OGD_NAMES.get(ogd, ogd)} ({ogd})"[:MAX140])
        _path(pmt, "DbtrAcct/Id/Othr/Id", str(acct.get("account") or NOT_PROVIDED)[:MAX34])
        _path(pmt, "DbtrAgt/FinInstnId/Othr/Id", str(acct.get("agent") or NOT_PROVIDED)[:MAX35])
        for r in txs:
            tx = _el(pmt, "CdtTrfTxInf")
            _path(tx, "PmtId/EndToEndId", r["order_no"][:MAX35])
            _path(tx, "Amt/InstdAmt", _amount(r["payable"])).set("Ccy", CURRENCY)
            if r["bank_code"]:
                _path(tx, "CdtrAgt/FinInstnId/Othr/Id", r["bank_code"][:MAX35])
            _path(tx, "Cdtr/Nm", (r["provider_name"] or r["provider_id"])[:MAX140])
            if r["account_number"]:
                _path(tx, "CdtrAcct/Id/Othr/Id", r["account_number"][:MAX34])
            funder = FUNDER_FR.get(r["funder"], r["funder"] or "")
            _path(tx, "RmtInf/Ustrd", f"RAMU {period} - ordre {r['order_no']} - {funder}"[:MAX140])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
