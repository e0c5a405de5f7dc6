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


def render_pain001(orders: pl.DataFrame, meta: dict, vectorised: bool = True) -> bytes:
    """The orders as pain.001.001.09 XML (UTF-8 bytes).

    The group header and each OGD's payment information come from lxml; a month's
    12 000 credit transfers are written by polars expressions (`_transfers_xml`) as
    lxml prints them, and set in place in the printed document. `vectorised=False`
    (and orders the expressions do not cover) builds every transfer with lxml: the
    reference the tests hold the expressions to, byte for byte."""
    ordered = in_code_order(orders.select("order_no", "ogd", "provider_id", "provider_name", "bank_code",
                                          "account_number", "funder", "lines", "payable"),
                            "ogd", OGDS, "order_no")
    vectorised = vectorised and _expressible(ordered)
    rows = ordered.to_dicts()
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
        if not vectorised:
            for r in txs:
                _transfer(pmt, r, period)
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    if not vectorised:
        return xml
    # Each OGD's transfers go where lxml would print them: just before its </PmtInf>.
    # (Text is escaped, so "</PmtInf>" is only ever a closing tag.)
    pieces = xml.split(_PMTINF_END)
    transfers = _transfers_xml(ordered, period)
    if len(pieces) != len(by_ogd) + 1 or len(transfers) != len(by_ogd):
        raise ValueError("pain.001 : les virements ne correspondent pas aux blocs de paiement par OGD")
    return b"".join(piece + tx + _PMTINF_END for piece, tx in zip(pieces, transfers, strict=False)) + pieces[-1]


def _transfer(pmt: etree._Element, r: dict, period: str) -> None:
    """One credit transfer, with lxml (the reference of _transfers_xml)."""
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


# --- the transfers by polars expressions ---------------------------------------------------------

_PMTINF_END = b"    </PmtInf>\n"


def _expressible(orders: pl.DataFrame) -> bool:
    """Orders the expressions write as lxml does: a number, an amount and a name for each."""
    name = pl.when(pl.col("provider_name") == "").then(None).otherwise(pl.col("provider_name"))
    missing = (pl.col("order_no").is_null() | pl.col("payable").is_null()
               | name.fill_null(pl.col("provider_id")).is_null())
    return not orders.select(missing.any()).item()


def xml_text_expr(text: pl.Expr) -> pl.Expr:
    """xml_text over a column, then escaped as lxml escapes text (&, <, >)."""
    one_line = (text.str.replace_all(r"[\x00-\x1f\x7f\x{FFFE}\x{FFFF}]", " ")
                .str.replace_all(r"\s+", " ").str.strip_chars())
    return one_line.str.replace_many(["&", "<", ">"], ["&amp;", "&lt;", "&gt;"])


def _element(path: str, text: pl.Expr, indent: int, attrib: str = "") -> pl.Expr:
    """Nested elements "A/B/C" with `text` (already escaped) on the last, pretty-printed at `indent`."""
    tags = path.split("/")
    opening = "".join(f"{' ' * (indent + 2 * k)}<{tag}>\n" for k, tag in enumerate(tags[:-1]))
    depth = " " * (indent + 2 * (len(tags) - 1))
    closing = "".join(f"{' ' * (indent + 2 * k)}</{tag}>\n" for k, tag in reversed(list(enumerate(tags[:-1]))))
    return pl.concat_str([pl.lit(f"{opening}{depth}<{tags[-1]}{attrib}>"), text,
                          pl.lit(f"</{tags[-1]}>\n{closing}")])


def _optional(column: str, path: str, limit: int) -> pl.Expr:
    """An element only when the column holds a non-empty text (`if r[column]:`)."""
    value = pl.col(column)
    return (pl.when(value.is_not_null() & (value != ""))
            .then(_element(path, xml_text_expr(value.str.slice(0, limit)), 8)).otherwise(pl.lit("")))


def _transfers_xml(orders: pl.DataFrame, period: str) -> list[bytes]:
    """Each OGD's credit transfers (in the orders' order) as lxml pretty-prints them."""
    name = pl.when(pl.col("provider_name").is_null() | (pl.col("provider_name") == "")) \
        .then(pl.col("provider_id")).otherwise(pl.col("provider_name"))
    funder = pl.col("funder").replace(FUNDER_FR).fill_null("")
    remittance = pl.concat_str([pl.lit(f"RAMU {period} - ordre "), pl.col("order_no"), pl.lit(" - "), funder])
    transfer = pl.concat_str([
        pl.lit("      <CdtTrfTxInf>\n"),
        _element("PmtId/EndToEndId", xml_text_expr(pl.col("order_no").str.slice(0, MAX35)), 8),
        _element("Amt/InstdAmt", pl.col("payable").cast(pl.String), 8, f' Ccy="{CURRENCY}"'),
        _optional("bank_code", "CdtrAgt/FinInstnId/Othr/Id", MAX35),
        _element("Cdtr/Nm", xml_text_expr(name.str.slice(0, MAX140)), 8),
        _optional("account_number", "CdtrAcct/Id/Othr/Id", MAX34),
        _element("RmtInf/Ustrd", xml_text_expr(remittance.str.slice(0, MAX140)), 8),
        pl.lit("      </CdtTrfTxInf>\n"),
    ])
    per_ogd = (orders.with_columns(xml=transfer)
               .group_by("ogd", maintain_order=True)
               .agg(pl.col("xml").str.join("")))
    return [text.encode("utf-8") for text in per_ogd["xml"].to_list()]
