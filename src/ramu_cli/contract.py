"""The data contract (data-contract.md) as code: tables, columns, parsing rules.

Every input cell arrives as text (CSV, XLSX) or typed (Parquet). Each column
knows how to turn text into its logical type, and a value that cannot be read
becomes null with a flag, so that a bad invoice row is kept and rejected (R14)
instead of stopping the batch. The same column specs build the pandera schemas
used by `ramu validate` and by the strict readers (contributions, remittances).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import polars as pl

OGDS = ("CMSS", "INPS", "UTM", "ANAM")
COLLECTING_OGDS = ("CMSS", "INPS", "UTM")
LEVELS = ("CSCOM", "CSREF", "HR", "EPH", "PRIVATE", "PHARMACY")
RELATIONSHIPS = ("PRINCIPAL", "SPOUSE", "CHILD", "OF_RIGHT")
SEXES = ("F", "M")
CATEGORIES = ("CONSULTATION", "LAB", "IMAGING", "PROCEDURE", "SURGERY",
              "HOSPITAL_DAY", "MATERNITY", "DENTAL", "MEDICINE")
CARE_TYPES = ("AMBULATORY", "HOSPITAL")
STATUSES = ("PAID", "REDUCED", "REJECTED")
FUNDERS = ("OGD", "FREE_CARE")

# Text forms accepted for booleans (any case); an empty cell means false.
TRUE_WORDS = ("true", "1", "oui", "o", "vrai")
FALSE_WORDS = ("false", "0", "non", "n", "faux")

_INT_PLAIN = r"^[+-]?\d+$"
# Thousands groups of three digits, separated by space, no-break space,
# narrow no-break space or a dot: "1 000", "1.227.714".
_INT_GROUPED = r"^[+-]?\d{1,3}(?:[ \u00a0\u202f.]\d{3})+$"
_DATE_ISO = r"^\d{4}-\d{2}-\d{2}$"
_DATE_FR = r"^\d{2}/\d{2}/\d{4}$"
PERIOD_PATTERN = r"^\d{4}-(?:0[1-9]|1[0-2])$"  # a month YYYY-MM

# Bounds of an invoice line (data-contract.md, "invoices"): a line at the top of
# both bills 10^14 FCFA, so a month's totals stay within a 64-bit integer.
QUANTITY_MAX = 100_000
UNIT_PRICE_MAX = 1_000_000_000


class Kind(StrEnum):
    ID = "id"
    STRING = "string"
    INT = "int"
    DATE = "date"
    BOOL = "bool"
    ENUM = "enum"
    PERIOD = "period"


DTYPES: dict[Kind, pl.DataType] = {
    Kind.ID: pl.String(), Kind.STRING: pl.String(), Kind.INT: pl.Int64(),
    Kind.DATE: pl.Date(), Kind.BOOL: pl.Boolean(), Kind.ENUM: pl.String(),
    Kind.PERIOD: pl.String(),
}


@dataclass(frozen=True)
class Column:
    """One column of a table: its logical type and its per-cell constraints."""

    name: str
    kind: Kind
    nullable: bool = False          # an empty cell is allowed (null)
    optional: bool = False          # the column itself may be absent
    values: tuple[str, ...] = ()    # allowed values of an enum
    min_value: int | None = None    # inclusive bound of an int
    max_value: int | None = None
    # Other headings accepted for this column (compared lower-cased): the French
    # headings of a sheet ramu wrote for people and that comes back filled in.
    aliases: tuple[str, ...] = ()
    # A Parquet list of strings is accepted and read as its items joined by a space
    # (a liquidation's `reasons`); any other nested column makes the file unusable.
    list_as_text: bool = False

    @property
    def dtype(self) -> pl.DataType:
        return DTYPES[self.kind]

    def parse(self, raw: pl.Expr) -> pl.Expr:
        """Text (already trimmed, empty as null) to the logical type; null when unreadable."""
        if self.kind is Kind.INT:
            digits = raw.str.replace_all(r"[ \u00a0\u202f.+]", "")
            ok = raw.str.contains(_INT_PLAIN) | raw.str.contains(_INT_GROUPED)
            return pl.when(ok).then(digits.cast(pl.Int64, strict=False))
        if self.kind is Kind.DATE:
            return (pl.when(raw.str.contains(_DATE_ISO))
                    .then(raw.str.strptime(pl.Date, "%Y-%m-%d", strict=False))
                    .when(raw.str.contains(_DATE_FR))
                    .then(raw.str.strptime(pl.Date, "%d/%m/%Y", strict=False)))
        if self.kind is Kind.BOOL:
            low = raw.str.to_lowercase()
            return (pl.when(raw.is_null()).then(pl.lit(False))
                    .when(low.is_in(TRUE_WORDS)).then(pl.lit(True))
                    .when(low.is_in(FALSE_WORDS)).then(pl.lit(False)))
        if self.kind is Kind.ENUM:
            up = raw.str.to_uppercase()
            return pl.when(up.is_in(self.values)).then(up)
        if self.kind is Kind.PERIOD:
            return pl.when(raw.str.contains(PERIOD_PATTERN)).then(raw)
        return raw

    def value_ok(self, typed: pl.Expr) -> pl.Expr | None:
        """The per-cell constraint on a readable value, or None when there is none."""
        conds = []
        if self.min_value is not None:
            conds.append(typed >= self.min_value)
        if self.max_value is not None:
            conds.append(typed <= self.max_value)
        if not conds:
            return None
        ok = conds[0]
        for c in conds[1:]:
            ok = ok & c
        return ok

    def describe_fr(self) -> str:
        """What a readable value looks like, for error messages."""
        if self.kind is Kind.INT:
            from ramu_cli.french import group_digits
            bounds = []
            if self.min_value is not None:
                bounds.append(f"≥ {group_digits(self.min_value)}")
            if self.max_value is not None:
                bounds.append(f"≤ {group_digits(self.max_value)}")
            extra = f" {' et '.join(bounds)}" if bounds else ""
            return f"un nombre entier de francs ou d'unités{extra} (sans décimales)"
        if self.kind is Kind.DATE:
            return "une date AAAA-MM-JJ ou JJ/MM/AAAA"
        if self.kind is Kind.BOOL:
            return "oui/non, O/N, true/false ou 1/0"
        if self.kind is Kind.ENUM:
            return "l'une des valeurs " + ", ".join(self.values)
        if self.kind is Kind.PERIOD:
            return "un mois AAAA-MM"
        return "un texte non vide"


@dataclass(frozen=True)
class Table:
    """A table of the contract: the role name that finds its file, and its columns."""

    role: str
    label_fr: str
    columns: tuple[Column, ...]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_names(self) -> list[str]:
        return [c.name for c in self.columns if not c.optional]

    @property
    def schema(self) -> dict[str, pl.DataType]:
        return {c.name: c.dtype for c in self.columns}


def _enum(name: str, values: tuple[str, ...], **kw) -> Column:
    return Column(name, Kind.ENUM, values=values, **kw)


BENEFICIARIES = Table("beneficiaries", "registre des bénéficiaires", (
    Column("beneficiary_id", Kind.ID),
    Column("principal_id", Kind.ID),
    _enum("relationship", RELATIONSHIPS),
    _enum("ogd", OGDS),
    _enum("sex", SEXES),
    Column("birth_date", Kind.DATE),
    Column("student", Kind.BOOL, optional=True),
    Column("disabled", Kind.BOOL, optional=True),
    Column("rights_start", Kind.DATE),
    Column("rights_end", Kind.DATE, nullable=True, optional=True),
))

PROVIDERS = Table("providers", "prestataires conventionnés", (
    Column("provider_id", Kind.ID),
    Column("name", Kind.STRING),
    _enum("level", LEVELS),
    Column("region", Kind.STRING, nullable=True),
    Column("convention_start", Kind.DATE),
    Column("convention_end", Kind.DATE, nullable=True, optional=True),
    Column("bank_code", Kind.STRING, nullable=True),
    Column("account_number", Kind.STRING, nullable=True),
))

INVOICES = Table("invoices", "lignes de factures", (
    Column("invoice_id", Kind.ID),
    Column("line_no", Kind.INT, min_value=1),
    Column("provider_id", Kind.ID),
    Column("beneficiary_id", Kind.ID),
    _enum("ogd", OGDS),
    Column("service_date", Kind.DATE),
    Column("submission_date", Kind.DATE),
    Column("act_code", Kind.ID),
    # R14 bounds (liquidation-rules.md): beyond them the cell is faulty and the
    # line rejected; they also keep quantity x unit_price far from overflowing.
    Column("quantity", Kind.INT, min_value=1, max_value=QUANTITY_MAX),
    Column("unit_price", Kind.INT, min_value=0, max_value=UNIT_PRICE_MAX),
    Column("referral", Kind.BOOL, optional=True),
    Column("emergency", Kind.BOOL, optional=True),
    # Version 2: the prior authorization the line relies on (R17, R18); absent → null.
    Column("authorization_id", Kind.ID, nullable=True, optional=True),
))

CONTRIBUTIONS = Table("contributions", "cotisations", (
    _enum("ogd", COLLECTING_OGDS),
    Column("period", Kind.PERIOD),
    Column("contributor_id", Kind.ID),
    Column("amount_due", Kind.INT, min_value=0),
    Column("amount_collected", Kind.INT, min_value=0),
    Column("collection_date", Kind.DATE, nullable=True, optional=True),
))

REMITTANCES = Table("remittances", "reversements", (
    Column("transfer_id", Kind.ID),
    _enum("ogd", COLLECTING_OGDS),
    Column("period", Kind.PERIOD),
    Column("amount", Kind.INT, min_value=1),
    Column("value_date", Kind.DATE),
))

ACTS = Table("acts", "nomenclature des actes", (
    Column("act_code", Kind.ID),
    Column("label", Kind.STRING),
    _enum("category", CATEGORIES),
    _enum("care_type", CARE_TYPES),
    _enum("sex", SEXES, nullable=True),
    Column("min_age", Kind.INT, nullable=True, min_value=0),
    Column("max_age", Kind.INT, nullable=True, min_value=0),
    Column("max_qty", Kind.INT, nullable=True, min_value=1),
    Column("free_care", Kind.STRING, nullable=True),
    # Version 2, optional columns: a version 1 folder without them stays valid
    # (they are then null, or false for prior_authorization, in the loaded table).
    Column("waiting_days", Kind.INT, nullable=True, optional=True, min_value=1),        # R15
    Column("max_per_year", Kind.INT, nullable=True, optional=True, min_value=1),        # R16, A03
    Column("prior_authorization", Kind.BOOL, optional=True),                             # R17
    Column("min_interval_days", Kind.INT, nullable=True, optional=True, min_value=1),   # R18
    Column("valid_from", Kind.DATE),
    Column("valid_to", Kind.DATE, nullable=True),
))

PRICES = Table("prices", "tarifs de référence", (
    Column("act_code", Kind.ID),
    _enum("level", LEVELS),
    Column("price", Kind.INT, min_value=0),
    Column("valid_from", Kind.DATE),
    Column("valid_to", Kind.DATE, nullable=True),
))

COVERAGE = Table("coverage", "taux de prise en charge", (
    _enum("ogd", OGDS),
    _enum("care_type", CARE_TYPES),
    Column("rate_percent", Kind.INT, min_value=0, max_value=100),
    Column("valid_from", Kind.DATE),
    Column("valid_to", Kind.DATE, nullable=True),
))

# Prior authorizations (accords préalables) granted by the OGD: optional batch file (R17, R18).
AUTHORIZATIONS = Table("authorizations", "accords préalables", (
    Column("authorization_id", Kind.ID),
    Column("beneficiary_id", Kind.ID),
    Column("act_code", Kind.ID),
    Column("provider_id", Kind.ID, nullable=True),   # empty = any provider
    Column("valid_from", Kind.DATE),
    Column("valid_to", Kind.DATE),
))

BATCH_TABLES = {t.role: t for t in (BENEFICIARIES, PROVIDERS, INVOICES, CONTRIBUTIONS, REMITTANCES,
                                    AUTHORIZATIONS)}
# Batch files a batch may lack without anyone needing to hear about it.
OPTIONAL_ROLES = ("authorizations",)
# The sheet of an XLSX input that holds a table is the one named after its role,
# in English or in French (compared without case, accents or surrounding spaces).
SHEET_NAMES_FR: dict[str, tuple[str, ...]] = {
    "beneficiaries": ("bénéficiaires",), "providers": ("prestataires",),
    "invoices": ("factures",), "contributions": ("cotisations",),
    "remittances": ("reversements",), "authorizations": ("autorisations",),
    "acts": ("actes",), "prices": ("tarifs",), "coverage": ("taux",),
}


def sheet_names(role: str) -> tuple[str, ...]:
    """The names of the sheet that holds `role` in a workbook: English first."""
    return (role, *SHEET_NAMES_FR.get(role, ()))


# Output columns of liquidation.parquet, in the contract's order.
LIQUIDATION_COLUMNS: dict[str, pl.DataType] = {
    "row_id": pl.Int64(), "invoice_id": pl.String(), "line_no": pl.Int64(),
    "provider_id": pl.String(), "beneficiary_id": pl.String(), "ogd": pl.String(),
    "act_code": pl.String(), "service_date": pl.Date(), "submission_date": pl.Date(),
    "quantity": pl.Int64(), "unit_price": pl.Int64(), "billed": pl.Int64(),
    "tariff_price": pl.Int64(), "allowed_qty": pl.Int64(), "allowed": pl.Int64(),
    "rate_percent": pl.Int64(), "payable": pl.Int64(), "copay": pl.Int64(),
    "disallowed": pl.Int64(), "status": pl.String(), "reason": pl.String(),
    "reasons": pl.List(pl.String()), "funder": pl.String(),
}

# French labels of every reason and adjustment code (liquidation-rules.md).
REASON_LABELS: dict[str, str] = {
    "R01": "Bénéficiaire inconnu",
    "R02": "Droits non ouverts à la date des soins",
    "R03": "Ayant droit hors conditions",
    "R04": "Prestataire non conventionné",
    "R05": "Acte inconnu de la nomenclature",
    "R06": "Acte non autorisé à ce niveau de soins",
    "R07": "Acte incompatible avec le patient",
    "R08": "Facture adressée à un autre OGD",
    "R09": "Doublon dans le lot",
    "R10": "Facture transmise hors délai",
    "R11": "Pyramide sanitaire non respectée",
    "R12": "Dates incohérentes",
    "R13": "Déjà liquidé dans un lot précédent",
    "R14": "Ligne illisible ou invalide",
    "R15": "Délai de stage non écoulé",
    "R16": "Plafond annuel de l'acte atteint",
    "R17": "Accord préalable absent ou invalide",
    "R18": "Acte trop rapproché du précédent",
    "A01": "Prix unitaire ramené au tarif de référence",
    "A02": "Quantité ramenée au maximum autorisé",
    "A03": "Quantité ramenée au plafond annuel",
}
