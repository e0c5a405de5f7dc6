"""Every French label and heading people read, in one place.

Machine files (Parquet, CSV) keep the contract's English codes and column
names; what people read (XLSX headings, HTML documents, the console) takes its
words from here. The reason codes' labels are the rulebook's own list
(contract.REASON_LABELS): `reason_label` shows them.
"""

from __future__ import annotations

from ramu_cli.contract import REASON_LABELS

# --- codes ---------------------------------------------------------------------------------------

STATUS_FR = {"PAID": "Payée", "REDUCED": "Réduite", "REJECTED": "Rejetée"}
STATUS_PLURAL_FR = {"PAID": "Payées", "REDUCED": "Réduites", "REJECTED": "Rejetées"}
FUNDER_FR = {"OGD": "Régime (OGD)", "FREE_CARE": "Gratuités (budget de l'État)"}

OGD_NAMES = {
    "CMSS": "Caisse Malienne de Sécurité Sociale",
    "INPS": "Institut National de Prévoyance Sociale",
    "UTM": "Union Technique de la Mutualité Malienne",
    "ANAM": "Agence Nationale d'Assistance Médicale",
}
UNREADABLE_OGD = "OGD illisible"

LEVEL_FR = {
    "CSCOM": "Centre de santé communautaire (CSCOM)",
    "CSREF": "Centre de santé de référence (CSREF)",
    "HR": "Hôpital régional (HR)",
    "EPH": "Établissement public hospitalier (EPH)",
    "PRIVATE": "Clinique privée",
    "PHARMACY": "Pharmacie (officine)",
}
UNKNOWN_LEVEL = "Niveau inconnu"

CATEGORY_FR = {
    "CONSULTATION": "Consultations",
    "LAB": "Analyses de laboratoire",
    "IMAGING": "Imagerie médicale",
    "PROCEDURE": "Actes techniques",
    "SURGERY": "Chirurgie",
    "HOSPITAL_DAY": "Journées d'hospitalisation",
    "MATERNITY": "Maternité",
    "DENTAL": "Soins dentaires",
    "MEDICINE": "Médicaments",
}
UNKNOWN_CATEGORY = "Acte hors nomenclature"

# Status of a file checked by `ramu validate`.
FILE_STATUS_FR = {"VALID": "VALIDE", "USABLE": "UTILISABLE", "INVALID": "INVALIDE", "ABSENT": "ABSENT"}


def reason_label(code: str) -> str:
    """"R01 — Bénéficiaire inconnu"."""
    return f"{code} — {REASON_LABELS.get(code, 'motif inconnu')}"


def ogd_label(code: str | None) -> str:
    """"CMSS" as people read it; an unreadable OGD (R14 line) is said so."""
    return UNREADABLE_OGD if code is None else code


# --- liquidation workbooks ----------------------------------------------------------------------

ORDER_HEADINGS = {
    "order_no": "N° d'ordre", "ogd": "OGD", "provider_id": "Code prestataire",
    "provider_name": "Prestataire", "level": "Niveau", "region": "Région", "bank_code": "Code banque",
    "account_number": "N° de compte", "funder": "Payeur", "lines": "Lignes", "billed": "Montant facturé",
    "payable": "Montant à payer", "due_date": "Échéance", "amount_words": "Montant en lettres",
}
SHEET_ORDERS = "Ordres de paiement"

REJECTION_HEADINGS = {
    "provider_id": "Code prestataire", "provider_name": "Prestataire", "ogd": "OGD",
    "invoice_id": "N° de facture", "line_no": "Ligne", "row_id": "Ligne du fichier",
    "beneficiary_id": "Bénéficiaire", "act_code": "Acte", "service_date": "Date des soins",
    "quantity": "Quantité", "unit_price": "Prix unitaire", "status": "Décision",
    "reasons": "Codes motifs", "reason_labels": "Motifs", "billed": "Montant facturé",
    "allowed": "Base de remboursement", "payable": "Montant à payer", "disallowed": "Montant rejeté",
}
SHEET_REJECTIONS = "Lignes rejetées ou réduites"

# --- remittance workbook ------------------------------------------------------------------------

PERIOD_HEADINGS = {
    "ogd": "OGD", "period": "Période", "due": "Cotisations dues",
    "collected": "Cotisations encaissées", "collection_rate": "Taux de recouvrement",
    "remitted": "Reversé", "remitted_on_time": "Reversé à temps",
    "remitted_late": "Reversé en retard", "outstanding": "Restant dû par l'OGD",
    "excess": "Excédent versé", "max_days_late": "Retard maximal (jours)",
    "penalty": "Pénalités de retard",
}
OGD_HEADINGS = {k: v for k, v in PERIOD_HEADINGS.items() if k not in ("period", "max_days_late")}
CHUNK_HEADINGS = {
    "ogd": "OGD", "period": "Période", "deadline": "Échéance de reversement",
    "amount": "Montant", "transfer_id": "N° de virement", "value_date": "Date de valeur",
    "days_late": "Jours de retard", "penalty": "Pénalité",
}
SHEET_PERIODS, SHEET_OGD, SHEET_CHUNKS = "Par période", "Par OGD", "Tranches"
