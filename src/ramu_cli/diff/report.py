"""The files of a diff folder: diff.parquet, diff.xlsx and report.html.

diff.parquet keeps the contract's column names (scripts read it); diff.xlsx
and report.html are for people: French headings, French values, amounts in
FCFA. Every file is byte-stable for the same two sides.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
from markupsafe import Markup

from ramu_cli import french
from ramu_cli.diff.compare import BY_ROW_ID, CHANGED, MAIN, ONLY_A, ONLY_B, OTHERS
from ramu_cli.diff.sides import FILE_ROW, KEY, Side
from ramu_cli.diff.summary import DiffSummary
from ramu_cli.documents import svg
from ramu_cli.documents.render import ogd_label, reason_label, render
from ramu_cli.documents.tables import FUNDER_FR, STATUS_FR
from ramu_cli.io.xlsx import EXCEL_MAX_ROWS, write_xlsx

XLSX_MAX_ROWS = EXCEL_MAX_ROWS - 2  # heading and totals rows
ROW_GROUP = 1 << 18                 # fixed: Parquet bytes must not follow the thread count
TOP_PROVIDERS = 15                  # in the report; every provider is in diff.xlsx

KIND_FR = {ONLY_A: "Seulement dans A", ONLY_B: "Seulement dans B", CHANGED: "Différente"}
KIND_SHORT = {ONLY_A: "Seul. A", ONLY_B: "Seul. B", CHANGED: "Différente"}
MATCHED_FR = {"key": "clé de ligne", BY_ROW_ID: "row_id (clé incomplète)"}
COLUMN_FR = {
    "row_id": "row_id", "invoice_id": "N° de facture", "line_no": "N° de ligne",
    "provider_id": "Code prestataire", "beneficiary_id": "Bénéficiaire", "ogd": "OGD",
    "act_code": "Acte", "service_date": "Date des soins", "submission_date": "Date de dépôt",
    "quantity": "Quantité", "unit_price": "Prix unitaire", "billed": "Montant facturé",
    "tariff_price": "Tarif de référence", "allowed_qty": "Quantité retenue",
    "allowed": "Base de remboursement", "rate_percent": "Taux de prise en charge",
    "payable": "Montant à payer", "copay": "Ticket modérateur", "disallowed": "Montant non retenu",
    "status": "Décision", "reason": "Premier motif", "reasons": "Motifs", "funder": "Payeur",
}


def write_parquet(rows: pl.DataFrame, path: Path) -> None:
    rows.write_parquet(path, compression="zstd", statistics=True, row_group_size=ROW_GROUP)


def _french_rows(rows: pl.DataFrame, compared: tuple[str, ...]) -> tuple[pl.DataFrame, dict[str, str]]:
    """The detail sheet: headline columns, then each compared column side by side, French values."""
    names = {c: COLUMN_FR[c] for c in COLUMN_FR}
    labels = pl.col("changed").list.eval(pl.element().replace_strict(names, default=pl.element()))
    status = {f"status_{s}": pl.col(f"status_{s}").replace_strict(STATUS_FR, default=None) for s in "ab"}
    status.update({f"funder_{s}": pl.col(f"funder_{s}").replace_strict(FUNDER_FR, default=None) for s in "ab"})
    cols = ["kind", *KEY, "ogd", "changed", *[f"{c}_{s}" for c in MAIN for s in "ab"], "payable_delta",
            "matched_by", "row_id_a", "row_id_b", f"{FILE_ROW}_a", f"{FILE_ROW}_b",
            *[f"{c}_{s}" for c in OTHERS if c in compared for s in "ab"]]
    headings = {"kind": "Écart", "changed": "Colonnes différentes", "payable_delta": "Écart à payer (B − A)",
                "matched_by": "Appariement", f"{FILE_ROW}_a": "Ligne du fichier A",
                f"{FILE_ROW}_b": "Ligne du fichier B", **{c: COLUMN_FR[c] for c in (*KEY, "ogd")}}
    headings.update({f"{c}_{s}": f"{COLUMN_FR[c]} ({s.upper()})" for c in COLUMN_FR for s in "ab"})
    table = rows.with_columns(kind=pl.col("kind").replace_strict(KIND_FR), changed=labels.list.join(", "),
                              matched_by=pl.col("matched_by").replace_strict(MATCHED_FR, default=None),
                              **status).select(cols)
    return table, headings


def _grouped(groups: list[dict], key: str, label: str) -> tuple[pl.DataFrame, dict[str, str]]:
    schema = {key: pl.String, "lines": pl.Int64, ONLY_A: pl.Int64, ONLY_B: pl.Int64, CHANGED: pl.Int64,
              "up": pl.Int64, "down": pl.Int64, "stake": pl.Int64, "net": pl.Int64}
    df = pl.DataFrame(groups, schema=schema, orient="row") if groups else pl.DataFrame(schema=schema)
    return df, {key: label, "lines": "Lignes en écart", ONLY_A: KIND_FR[ONLY_A], ONLY_B: KIND_FR[ONLY_B],
                CHANGED: "Différentes", "up": "B paie plus (FCFA)", "down": "B paie moins (FCFA)",
                "stake": "Francs en jeu", "net": "Écart net (B − A)"}


def write_workbook(rows: pl.DataFrame, summary: DiffSummary, path: Path) -> int:
    """diff.xlsx: the lines (as many as a sheet holds), then per OGD and per provider. Rows written."""
    detail, headings = _french_rows(rows.head(XLSX_MAX_ROWS), summary.compared)
    ogd, ogd_h = _grouped(summary.by_ogd, "ogd", "OGD")
    prov, prov_h = _grouped(summary.by_provider, "provider_id", "Code prestataire")
    money = ["up", "down", "stake", "net"]
    write_xlsx({"Lignes en écart": (detail, headings), "Par OGD": (ogd, ogd_h), "Par prestataire": (prov, prov_h)},
               path, totals={"Par OGD": ["lines", ONLY_A, ONLY_B, CHANGED, *money],
                             "Par prestataire": ["lines", ONLY_A, ONLY_B, CHANGED, *money]})
    return detail.height


def signed_fcfa(n: int) -> str:
    """An amount with its sign: "+1 500 FCFA", "-700 FCFA", "0 FCFA"."""
    return ("+" if n > 0 else "") + french.fcfa(n)


def _charts(summary: DiffSummary) -> dict[str, Markup]:
    fcfa = french.fcfa
    top = [r for r in summary.by_provider if r["stake"]][:10]
    return {
        "ogd": svg.stacked_hbar_chart(
            [(ogd_label(r["ogd"]), [r["up"], r["down"]], fcfa(r["stake"])) for r in summary.by_ogd if r["stake"]],
            ["B paie plus que A", "B paie moins que A"],
            "Francs en jeu par OGD : montants que B paie en plus et en moins de A",
            colors=(svg.COLORS[0], svg.COLORS[2])),
        "providers": svg.stacked_hbar_chart(
            [(r["provider_id"] or "Prestataire illisible", [r["up"], r["down"]], fcfa(r["stake"])) for r in top],
            ["B paie plus que A", "B paie moins que A"],
            "Les 10 prestataires aux francs en jeu les plus élevés",
            colors=(svg.COLORS[0], svg.COLORS[2])),
    }


def _side_info(side: Side, sha256: str, rows: int) -> dict:
    return {"name": side.name, "given": str(side.given), "path": str(side.path), "sha256": sha256,
            "rows": rows, "run_id": side.run_id, "columns": len(side.columns)}


def render_report(summary: DiffSummary, sides: list[tuple[Side, str]], meta: dict) -> str:
    """report.html: counts by kind, francs at stake per OGD and provider, transitions, reasons."""
    counts = summary.counts
    info = [_side_info(side, sha, counts[f"lines_{side.name.lower()}"]) for side, sha in sides]
    missing = sorted(set(COLUMN_FR) - set(summary.compared) - {"row_id"},
                     key=list(COLUMN_FR).index)
    return render(
        "diff_report.html", meta=meta, s=summary, counts=counts, sides=info,
        providers=summary.by_provider[:TOP_PROVIDERS], top_providers=TOP_PROVIDERS,
        more_providers=max(0, len(summary.by_provider) - TOP_PROVIDERS),
        charts=_charts(summary), column_fr=COLUMN_FR, status_fr=STATUS_FR, kind_fr=KIND_FR, kind_short=KIND_SHORT,
        not_compared=[COLUMN_FR[c] for c in missing], signed=signed_fcfa, reason_label=reason_label)
