"""The review sheet: written for the médecin-conseil, read back once filled in.

`review.csv` keeps the machine column names and codes (for scripts);
`review.xlsx` has French headings and labels, a protected sheet whose only
unlocked columns are the adviser's: accepted_payable, finding, comment.
Reading accepts either heading, in CSV (any encoding and separator the
project reads) or XLSX.

Every row carries the draw's reference in the `draw` column ("execution=…
graine=… taux=… minimum=… certitude=…"): with the run folder it is enough to
draw the same lines again, so `review extrapolate` can check that the sheet
holds exactly the lines drawn from this run, none added and none removed.
Rows are named as a spreadsheet shows them: the heading is row 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import polars as pl

from ramu_cli.contract import Column, Kind, Table
from ramu_cli.errors import InputError, Problem
from ramu_cli.french import fcfa
from ramu_cli.io.cells import FORMULA_STARTS
from ramu_cli.io.readers import ROW_ID, scan_table
from ramu_cli.review.draw import CERTAINTY, SAMPLE, SEED_MAX, DrawParams
from ramu_cli.review.run import KEY

SHEET_NAME = "Lignes à contrôler"
ADVISER_COLUMNS = ("accepted_payable", "finding", "comment")
HEADINGS = {
    "provider_id": "Code prestataire", "provider_name": "Prestataire", "ogd": "OGD",
    "stratum": "Strate", "invoice_id": "N° de facture", "line_no": "Ligne",
    "beneficiary_id": "Bénéficiaire", "service_date": "Date des soins", "act_code": "Code acte",
    "act_label": "Acte", "quantity": "Quantité", "unit_price": "Prix unitaire facturé",
    "billed": "Montant facturé", "allowed": "Base de remboursement", "status": "Décision",
    "payable": "Montant payé", "accepted_payable": "Montant admis après contrôle",
    "finding": "Constat", "comment": "Commentaire", "draw": "Tirage (ne pas modifier)",
}
SHEET_COLUMNS = tuple(HEADINGS)
STRATUM_FR = {CERTAINTY: "Certitude", SAMPLE: "Échantillon"}
STATUS_FR = {"PAID": "Payée", "REDUCED": "Réduite"}
# Wider than their headings: names and labels to read, findings and comments to write.
WIDTHS: dict[str, float] = {"provider_name": 30, "act_label": 40, "finding": 30, "comment": 40}

# What `review extrapolate` reads back: the key, the adviser's columns, the draw.
RESULTS = Table("review", "résultats du contrôle médical", (
    Column("provider_id", Kind.ID, aliases=(HEADINGS["provider_id"],)),
    Column("invoice_id", Kind.ID, aliases=(HEADINGS["invoice_id"],)),
    Column("line_no", Kind.INT, min_value=1, aliases=(HEADINGS["line_no"],)),
    Column("accepted_payable", Kind.INT, nullable=True, aliases=(HEADINGS["accepted_payable"],)),
    Column("finding", Kind.STRING, nullable=True, optional=True, aliases=(HEADINGS["finding"],)),
    Column("comment", Kind.STRING, nullable=True, optional=True, aliases=(HEADINGS["comment"],)),
    Column("draw", Kind.STRING, nullable=True, aliases=(HEADINGS["draw"],)),
))

_REFERENCE = re.compile(r"execution=(?P<run>\S*)\s+graine=(?P<seed>\d{1,9})\s+taux=(?P<rate>\d{1,3}(?:[.,]\d{1,2})?)"
                        r"\s+minimum=(?P<min>\d{1,9})\s+certitude=(?P<cert>\d{1,15}|aucune)")


def draw_reference(run_id: str, params: DrawParams) -> str:
    """The `draw` cell: the run and the parameters that fix the draw, as plain text."""
    certainty = "aucune" if params.certainty_from is None else str(params.certainty_from)
    return (f"execution={run_id} graine={params.seed} taux={params.rate_text} "
            f"minimum={params.min_lines} certitude={certainty}")


def parse_reference(text: str) -> tuple[str, DrawParams] | None:
    """(run id, parameters) from a `draw` cell, or None when it is not one."""
    match = _REFERENCE.fullmatch(text.strip())
    if match is None or int(match["seed"]) > SEED_MAX:
        return None
    rate_bp = int(Decimal(match["rate"].replace(",", ".")) * 100)
    if rate_bp > 10_000 or int(match["min"]) < 1:
        return None
    certainty = None if match["cert"] == "aucune" else int(match["cert"])
    return match["run"], DrawParams(int(match["seed"]), rate_bp, int(match["min"]), certainty)


def sheet_frame(drawn: pl.DataFrame, providers: pl.DataFrame, acts: pl.DataFrame,
                reference: str, filled: pl.DataFrame | None = None) -> pl.DataFrame:
    """The sheet's rows in SHEET_COLUMNS order (machine values); adviser columns empty
    unless `filled` (key + adviser columns, for demonstrations) gives them."""
    frame = (drawn.join(providers.select("provider_id", "provider_name"), on="provider_id", how="left",
                        maintain_order="left")
             .join(acts, on="act_code", how="left", maintain_order="left")
             .with_columns(draw=pl.lit(reference)))
    if filled is None:
        frame = frame.with_columns(accepted_payable=pl.lit(None, pl.Int64),
                                   finding=pl.lit(None, pl.String), comment=pl.lit(None, pl.String))
    else:
        frame = frame.join(filled.select(*KEY, *ADVISER_COLUMNS), on=list(KEY), how="left",
                           maintain_order="left")
    return frame.select(SHEET_COLUMNS)


def for_people(sheet: pl.DataFrame) -> pl.DataFrame:
    """The sheet as the XLSX shows it: strata and decisions in French."""
    return sheet.with_columns(
        pl.col("stratum").replace_strict(STRATUM_FR, return_dtype=pl.String),
        pl.col("status").replace_strict(STATUS_FR, default=pl.col("status"), return_dtype=pl.String))


@dataclass
class FilledSheet:
    """What the adviser returned: rows by key, and the draw they say they come from."""

    path: Path
    rows: pl.DataFrame            # sheet_row, key, accepted_payable, accepted_text, finding, comment
    run_id: str
    params: DrawParams


def _unquoted(expr: pl.Expr) -> pl.Expr:
    """A key cell our writers protected with a leading quote ("'-5") read as written first."""
    starts = "".join(re.escape(ch) for ch in FORMULA_STARTS)
    return expr.str.replace(f"^'([{starts}])", "${1}")


def read_filled(path: Path) -> FilledSheet:
    """Open the filled sheet and its draw reference; exit 3 when the reference is unusable."""
    if not path.is_file():
        raise InputError(f"Le fichier de résultats « {path} » n'existe pas : indiquez la feuille "
                         "de contrôle remplie (review.xlsx ou review.csv).",
                         [Problem(str(path), "fichier introuvable", code="missing_file")])
    scan = scan_table(path, RESULTS)
    typed = scan.typed().collect()
    raw = scan.raw.select(ROW_ID, pl.col("accepted_payable").alias("accepted_text")).collect()
    rows = (typed.join(raw, on=ROW_ID, how="left")
            .with_columns((pl.col(ROW_ID) + 1).alias("sheet_row"),
                          _unquoted(pl.col("provider_id")), _unquoted(pl.col("invoice_id")))
            .select("sheet_row", *KEY, "accepted_payable", "accepted_text", "finding", "comment", "draw"))
    references = rows.get_column("draw").drop_nulls().unique().sort().to_list()
    run_id, params = _one_reference(path, references)
    return FilledSheet(path, rows.drop("draw"), run_id, params)


def _one_reference(path: Path, references: list[str]) -> tuple[str, DrawParams]:
    heading = HEADINGS["draw"]
    if not references:
        raise InputError(f"{path} : la colonne « {heading} » (draw) est vide. Elle identifie le "
                         "tirage : reprenez la feuille écrite par « ramu review draw » sans la vider.",
                         [Problem(str(path), "référence du tirage absente", column="draw",
                                  code="review_draw_missing")])
    if len(references) > 1:
        raise InputError(f"{path} : la colonne « {heading} » (draw) porte {len(references)} tirages "
                         "différents : une feuille de résultats ne doit contenir qu'un seul tirage.",
                         [Problem(str(path), "tirage différent des autres lignes", column="draw",
                                  value=ref, code="review_mixed_draws") for ref in references])
    parsed = parse_reference(references[0])
    if parsed is None:
        raise InputError(f"{path} : la colonne « {heading} » (draw) est illisible. Elle doit rester "
                         "telle que « ramu review draw » l'a écrite (« execution=… graine=… taux=… "
                         "minimum=… certitude=… »).",
                         [Problem(str(path), "référence du tirage illisible", column="draw",
                                  value=references[0], code="review_draw_unreadable")])
    return parsed


def check_filled(sheet: FilledSheet, expected: pl.DataFrame, run_label: str) -> pl.DataFrame:
    """The reviewed lines (expected + the adviser's columns, overpayment); exit 3 listing
    every line added, removed, doubled or unreadable and every bad accepted_payable."""
    src = str(sheet.path)
    rows = sheet.rows
    problems = _key_problems(src, rows)
    rows = rows.filter(pl.all_horizontal(pl.col(KEY).is_not_null()))
    joined = rows.join(expected.select(*KEY, "payable", "stratum"), on=list(KEY), how="left")
    for r in joined.filter(pl.col("payable").is_null()).iter_rows(named=True):
        problems.append(Problem(src, f"ligne ajoutée : la ligne {r['line_no']} de la facture "
                                f"{r['invoice_id']} du prestataire {r['provider_id']} n'a pas été tirée "
                                f"pour {run_label} ; retirez-la de la feuille.", row=r["sheet_row"],
                                code="review_line_added"))
    missing = expected.join(rows.select(KEY), on=list(KEY), how="anti")
    for r in missing.iter_rows(named=True):
        problems.append(Problem(src, f"ligne retirée : la ligne {r['line_no']} de la facture "
                                f"{r['invoice_id']} du prestataire {r['provider_id']} a été tirée mais "
                                "n'est plus dans la feuille ; remettez-la avec son montant admis.",
                                code="review_line_missing"))
    matched = joined.filter(pl.col("payable").is_not_null())
    problems += _accepted_problems(src, matched)
    if problems:
        raise InputError(f"{src} : la feuille de contrôle n'est pas utilisable ({len(problems)} "
                         "problème(s)). Corrigez chaque ligne indiquée, puis relancez.", problems)
    return (expected.join(matched.select(*KEY, "sheet_row", "accepted_payable", "finding", "comment"),
                          on=list(KEY), how="left", maintain_order="left")
            .with_columns(overpayment=pl.col("payable") - pl.col("accepted_payable")))


def _key_problems(src: str, rows: pl.DataFrame) -> list[Problem]:
    problems = []
    for r in rows.filter(pl.any_horizontal(pl.col(KEY).is_null())).iter_rows(named=True):
        problems.append(Problem(src, "clé de ligne illisible ou vide (code prestataire, n° de facture "
                                "et n° de ligne) : ne modifiez pas ces colonnes.", row=r["sheet_row"],
                                code="review_key_unreadable"))
    doubled = rows.filter(pl.all_horizontal(pl.col(KEY).is_not_null())
                          & pl.struct(KEY).is_duplicated())
    for r in doubled.iter_rows(named=True):
        problems.append(Problem(src, f"ligne en double : la ligne {r['line_no']} de la facture "
                                f"{r['invoice_id']} du prestataire {r['provider_id']} apparaît plusieurs "
                                "fois ; ne gardez qu'une ligne.", row=r["sheet_row"],
                                code="review_line_duplicate"))
    return problems


def _accepted_problems(src: str, matched: pl.DataFrame) -> list[Problem]:
    """Each accepted_payable that is empty, not a whole number, negative or above payable."""
    heading = f"{HEADINGS['accepted_payable']} (accepted_payable)"
    bad = matched.filter(pl.col("accepted_payable").is_null() | (pl.col("accepted_payable") < 0)
                         | (pl.col("accepted_payable") > pl.col("payable")))
    problems = []
    for r in bad.iter_rows(named=True):
        value, payable = r["accepted_payable"], r["payable"]
        if r["accepted_text"] is None:
            code = "accepted_payable_missing"
            what = "vide : indiquez le montant admis (le montant payé s'il n'y a pas d'indu, 0 si rien n'est dû)"
        elif value is None:
            code = "accepted_payable_not_integer"
            what = "pas un nombre entier de francs : indiquez un montant sans décimales ni texte"
        elif value < 0:
            code, what = "accepted_payable_negative", "négatif : le montant admis va de 0 au montant payé"
        else:
            code = "accepted_payable_above_payable"
            what = f"supérieur au montant payé ({fcfa(payable)}) : le montant admis ne peut pas le dépasser"
        problems.append(Problem(src, f"« {heading} » {what}", column="accepted_payable",
                                row=r["sheet_row"], value=r["accepted_text"], code=code))
    return problems
