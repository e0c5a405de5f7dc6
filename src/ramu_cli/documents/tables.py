"""Tables for people: payment orders and rejections as CSV/XLSX rows, French headings.

CSV files keep the contract's English snake_case column names (they are read
by scripts too); XLSX sheets carry French headings. Both carry French labels
of reasons and amounts in words.
"""

from __future__ import annotations

import polars as pl

from ramu_cli.contract import REASON_LABELS
from ramu_cli.french import amount_in_words

STATUS_FR = {"PAID": "Payée", "REDUCED": "Réduite", "REJECTED": "Rejetée"}
FUNDER_FR = {"OGD": "Régime (OGD)", "FREE_CARE": "Gratuités (budget de l'État)"}

ORDER_HEADINGS = {
    "order_no": "N° d'ordre", "ogd": "OGD", "provider_id": "Code prestataire",
    "provider_name": "Prestataire", "level": "Niveau", "region": "Région", "bank_code": "Code banque",
    "account_number": "N° de compte", "funder": "Payeur", "lines": "Lignes", "billed": "Montant facturé",
    "payable": "Montant à payer", "due_date": "Échéance", "amount_words": "Montant en lettres",
}

REJECTION_HEADINGS = {
    "provider_id": "Code prestataire", "provider_name": "Prestataire", "ogd": "OGD",
    "invoice_id": "N° de facture", "line_no": "Ligne", "row_id": "Ligne du fichier",
    "beneficiary_id": "Bénéficiaire", "act_code": "Acte", "service_date": "Date des soins",
    "quantity": "Quantité", "unit_price": "Prix unitaire", "status": "Décision",
    "reasons": "Codes motifs", "reason_labels": "Motifs", "billed": "Montant facturé",
    "allowed": "Base de remboursement", "payable": "Montant à payer", "disallowed": "Montant rejeté",
}


def orders_table(orders: pl.DataFrame) -> pl.DataFrame:
    """Orders with their amount in French words (few rows: one per provider and funder)."""
    words = [amount_in_words(int(v)) for v in orders["payable"].to_list()]
    return orders.with_columns(amount_words=pl.Series(words, dtype=pl.String))


def reason_labels(reasons: pl.Expr) -> pl.Expr:
    """"R01 Bénéficiaire inconnu ; R05 …" for a list of codes."""
    return reasons.list.eval(pl.element() + pl.lit(" ") + pl.element().replace_strict(
        REASON_LABELS, return_dtype=pl.String)).list.join(" ; ")


def rejections_table(lines: pl.DataFrame, providers: pl.DataFrame) -> pl.DataFrame:
    """Every REJECTED or REDUCED line, by provider then file order, reasons spelt out."""
    names = providers.select("provider_id", pl.col("name").alias("provider_name"))
    picked = lines.filter(pl.col("status") != "PAID")
    return (picked.join(names, on="provider_id", how="left", maintain_order="left")
            .with_columns(status=pl.col("status").replace_strict(STATUS_FR, return_dtype=pl.String),
                          reason_labels=reason_labels(pl.col("reasons")),
                          reasons=pl.col("reasons").list.join(" "))
            .sort("provider_id", "row_id", nulls_last=True)
            .select(list(REJECTION_HEADINGS)))


def french_values(df: pl.DataFrame) -> pl.DataFrame:
    """Enum codes shown to people in French (funder)."""
    if "funder" in df.columns:
        df = df.with_columns(pl.col("funder").replace_strict(FUNDER_FR, default=pl.col("funder")))
    return df
