"""`ramu diff`: two liquidations compared line by line, through the real command.

Side A is a real `ramu liquidate` run of a small hand-made batch (fixture
tariffs of conftest.py); side B is A's table changed by hand. Every expected
count and amount is computed by hand in the comments.

The batch (month 2026-10, CMSS 70 % ambulatory; payable = (allowed × 70 + 50) // 100):
  row 1  F1   P-CSCOM  CONS × 1 at 1000      allowed 1000  payable 700   PAID
  row 2  F2   P-CSCOM  MED × 2 at 500        allowed 1000  payable 700   PAID
  row 3  F3   P-CSREF  CONS × 1 at 2500      tariff 2000 (A01): allowed 2000, payable 1400  REDUCED
  row 4  F4-Ségou P-CSCOM  beneficiary B999 unknown (R01): payable 0   REJECTED
  row 5  F5   P-CSCOM  MED × 1 at 500, I300 (INPS)  allowed 500  payable (35000+50)//100 = 350  PAID
  row 6  F6   P-HR     CONS × 1 at 3000      allowed 3000  payable 2100  PAID
Total payable of A = 700 + 700 + 1400 + 0 + 350 + 2100 = 5250.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from liq_helpers import D, explain, invoke, line, liquidate_batch

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "2026-10"
NBSP = "\u00a0"

INVOICES = [
    line(invoice_id="F1"),
    line(invoice_id="F2", act_code="MED", quantity=2, unit_price=500, service_date=D(2026, 10, 6)),
    line(invoice_id="F3", provider_id="P-CSREF", unit_price=2500, service_date=D(2026, 10, 7)),
    line(invoice_id="F4-Ségou", beneficiary_id="B999", service_date=D(2026, 10, 8)),
    line(invoice_id="F5", beneficiary_id="I300", ogd="INPS", act_code="MED", unit_price=500,
         service_date=D(2026, 10, 9)),
    line(invoice_id="F6", provider_id="P-HR", unit_price=3000, service_date=D(2026, 10, 10)),
]


@pytest.fixture
def run_a(tmp_path, tariff_dir, write_batch) -> Path:
    """The liquidate output folder of the batch above (side A)."""
    run = liquidate_batch(write_batch, tariff_dir, tmp_path, INVOICES)
    # The premise of every expectation below, computed by hand in the module docstring.
    assert [(r["invoice_id"], r["status"], r["payable"]) for r in run] == [
        ("F1", "PAID", 700), ("F2", "PAID", 700), ("F3", "REDUCED", 1400), ("F4-Ségou", "REJECTED", 0),
        ("F5", "PAID", 350), ("F6", "PAID", 2100)]
    return run.out


def diff(a: Path, b: Path, out: Path, *extra: str):
    return invoke(["diff", a, b, "--out", out, *extra])


def diff_json(a: Path, b: Path, out: Path) -> dict:
    result = diff(a, b, out, "--json")
    assert result.exit_code == 0, explain(result)
    assert result.stdout.count("\n") == 1  # exactly one JSON object on stdout
    return json.loads(result.stdout)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- a run against itself -------------------------------------------------------------------

def test_a_run_against_itself_is_identical(run_a, tmp_path):
    out = tmp_path / "ecarts"
    summary = diff_json(run_a, run_a / "liquidation.parquet", out)
    assert summary["identical"] is True
    assert summary["counts"] == {"lines_a": 6, "lines_b": 6, "matched": 6, "matched_by_row_id": 0,
                                 "identical": 6, "only_a": 0, "only_b": 0, "changed": 0,
                                 "status_changed": 0, "payable_changed": 0}
    assert summary["francs_at_stake"] == 0 and summary["net_delta"] == 0
    assert summary["payable_a"] == summary["payable_b"] == 5250
    assert pl.read_parquet(out / "diff.parquet").height == 0
    assert sorted(p.name for p in out.iterdir()) == ["diff.parquet", "diff.xlsx", "manifest.json", "report.html"]
    assert "sont <strong>identiques</strong>" in (out / "report.html").read_text(encoding="utf-8")


def test_the_shipped_sample_against_itself_is_identical(tmp_path):
    """The sample repeats a few invoice line keys; liquidate rejects the copies (R14): they pair by row_id."""
    run = tmp_path / "run"
    result = invoke(["liquidate", SAMPLE, "--out", run])
    assert result.exit_code == 0, explain(result)
    lines = pl.read_parquet(run / "liquidation.parquet")
    repeated = lines.filter(pl.struct("provider_id", "invoice_id", "line_no").is_duplicated())
    assert repeated.height > 0  # the premise: the sample does hold repeated keys
    summary = diff_json(run, run, tmp_path / "ecarts")
    assert summary["identical"] is True
    assert summary["counts"]["lines_a"] == summary["counts"]["identical"] == lines.height == 3000
    assert summary["counts"]["matched_by_row_id"] == repeated.height // 2  # each repeated key here: 2 lines


# --- five changes made by hand --------------------------------------------------------------

def changed_by_hand(run_a: Path, target: Path) -> Path:
    """B = A with: F2 declared REDUCED (A01); F6 payable 2100 → 2600; F5 deleted; F7 added
    (payable 900); F3's invoice_id erased (its key is then incomplete)."""
    a = pl.read_parquet(run_a / "liquidation.parquet")
    inv = pl.col("invoice_id")
    b = a.with_columns(
        status=pl.when(inv == "F2").then(pl.lit("REDUCED")).otherwise("status"),
        reason=pl.when(inv == "F2").then(pl.lit("A01")).otherwise("reason"),
        reasons=pl.when(inv == "F2").then(pl.lit(["A01"])).otherwise("reasons"),
        payable=pl.when(inv == "F6").then(2600).otherwise("payable"),
    ).filter(inv != "F5").with_columns(invoice_id=pl.when(inv == "F3").then(None).otherwise(inv))
    added = a.filter(inv == "F1").with_columns(invoice_id=pl.lit("F7"), row_id=pl.lit(7, pl.Int64),
                                               payable=pl.lit(900, pl.Int64))
    pl.concat([b, added]).write_parquet(target)
    return target


def test_five_changes_give_exactly_five_rows(run_a, tmp_path):
    b = changed_by_hand(run_a, tmp_path / "declaration.parquet")
    out = tmp_path / "ecarts"
    summary = diff_json(run_a, b, out)
    # Francs at stake = |0| (F2) + |2600 − 2100| (F6) + |0 − 350| (F5) + |900 − 0| (F7) + |0| (F3) = 1750.
    # Net = +500 − 350 + 900 = +1050 = 6300 − 5250 (B pays 700+700+1400+0+2600+900 = 6300).
    assert summary["identical"] is False
    assert summary["francs_at_stake"] == 1750
    assert summary["net_delta"] == 1050
    assert (summary["payable_a"], summary["payable_b"]) == (5250, 6300)
    # Matched: F1, F2, F4, F6 on their key, F3 by row_id (3); identical: F1, F4.
    assert summary["counts"] == {"lines_a": 6, "lines_b": 6, "matched": 5, "matched_by_row_id": 1,
                                 "identical": 2, "only_a": 1, "only_b": 1, "changed": 3,
                                 "status_changed": 1, "payable_changed": 1}
    rows = pl.read_parquet(out / "diff.parquet")
    # Sorted by provider, invoice, line: P-CSCOM F2, F5, F7; P-CSREF F3; P-HR F6. B's file rows:
    # F1 1, F2 2, F3 3, F4 4, F6 5 (F5 deleted), F7 6.
    assert rows.select("kind", "matched_by", "provider_id", "invoice_id", "line_no", "ogd", "changed",
                       "status_a", "status_b", "reasons_a", "reasons_b", "payable_a", "payable_b",
                       "payable_delta", "file_row_a", "file_row_b").rows() == [
        ("changed", "key", "P-CSCOM", "F2", 1, "CMSS", ["status", "reason", "reasons"], "PAID", "REDUCED",
         [], ["A01"], 700, 700, 0, 2, 2),
        ("only_a", None, "P-CSCOM", "F5", 1, "INPS", [], "PAID", None, [], None, 350, None, -350, 5, None),
        ("only_b", None, "P-CSCOM", "F7", 1, "CMSS", [], None, "PAID", None, [], None, 900, 900, None, 6),
        ("changed", "row_id", "P-CSREF", "F3", 1, "CMSS", ["invoice_id"], "REDUCED", "REDUCED",
         ["A01"], ["A01"], 1400, 1400, 0, 3, 3),
        ("changed", "key", "P-HR", "F6", 1, "CMSS", ["payable"], "PAID", "PAID", [], [], 2100, 2600, 500, 6, 5),
    ]
    assert rows.filter(pl.col("invoice_id") == "F3").select("invoice_id_a", "invoice_id_b").row(0) == ("F3", None)
    assert rows.select("allowed_a", "allowed_b").rows() == [
        (1000, 1000), (500, None), (None, 1000), (2000, 2000), (3000, 3000)]


def test_five_changes_per_ogd_provider_and_transition(run_a, tmp_path):
    out = tmp_path / "ecarts"
    diff_json(run_a, changed_by_hand(run_a, tmp_path / "b.parquet"), out)
    # Per OGD (a line's OGD is A's, B's for F7): CMSS = F2 0, F3 0, F6 +500, F7 +900 → 4 lines,
    # up 1400, down 0, stake 1400, net +1400; INPS = F5 −350 → 1 line, stake 350, net −350.
    by_ogd = pl.read_excel(out / "diff.xlsx", sheet_name="Par OGD")
    assert by_ogd.rows() == [("CMSS", 4, 0, 1, 3, 1400, 0, 1400, 1400), ("INPS", 1, 1, 0, 0, 0, 350, 350, -350),
                             ("Total", 5, 1, 1, 3, 1400, 350, 1750, 1050)]
    # Per provider, largest stake first: P-CSCOM = F2 0, F5 −350, F7 +900 → stake 1250, net +550;
    # P-HR = F6 +500; P-CSREF = F3 0.
    by_provider = pl.read_excel(out / "diff.xlsx", sheet_name="Par prestataire")
    assert by_provider.select("Code prestataire", "Francs en jeu", "Écart net (B − A)").rows() == [
        ("P-CSCOM", 1250, 550), ("P-HR", 500, 500), ("P-CSREF", 0, 0), ("Total", 1750, 1050)]
    detail = pl.read_excel(out / "diff.xlsx", sheet_name="Lignes en écart")
    assert detail["Écart"].to_list() == ["Différente", "Seulement dans A", "Seulement dans B", "Différente",
                                         "Différente"]
    assert detail["Décision (B)"].to_list() == ["Réduite", None, "Payée", "Réduite", "Payée"]
    assert detail["Colonnes différentes"].to_list()[0] == "Décision, Premier motif, Motifs"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert f"1{NBSP}750{NBSP}FCFA" in html and f"+1{NBSP}050{NBSP}FCFA" in html
    # Transitions A → B: PAID→PAID F1, F6 (2); PAID→REDUCED F2; REDUCED→REDUCED F3; REJECTED→REJECTED F4;
    # PAID→absent F5; absent→PAID F7. The PAID row of the matrix: 2, 1, 0, 1.
    matrix = html.split('id="transitions"')[1].split("</table>")[0]
    paid_row = matrix.split("<th>Payée</th>")[1].split("</tr>")[0]
    assert [c.split(">")[1].split("<")[0] for c in paid_row.split("<td")[1:]] == ["2", "1", "0", "1"]
    # Reasons gained: A01 on F2 (its delta 0); none lost.
    reasons = html.split('id="reasons"')[1].split("</table>")[0]
    assert "A01 — Prix unitaire ramené au tarif de référence" in reasons and reasons.count("<tr>") == 2


def test_manifest_records_both_sides_and_verifies(run_a, tmp_path):
    b = changed_by_hand(run_a, tmp_path / "b.parquet")
    out = tmp_path / "ecarts"
    diff_json(run_a, b, out)
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"] == "diff"
    assert manifest["inputs"]["a"]["sha256"] == sha256(run_a / "liquidation.parquet")
    assert manifest["inputs"]["b"]["sha256"] == sha256(b)
    assert (manifest["inputs"]["a"]["rows"], manifest["inputs"]["b"]["rows"]) == (6, 6)
    assert manifest["outputs"]["diff.parquet"]["rows"] == 5
    assert manifest["totals"]["francs_at_stake"] == 1750 and manifest["identical"] is False
    assert manifest["run_ids"]["a"] == json.loads((run_a / "manifest.json").read_text())["run_id"]
    verify = invoke(["verify", out])
    assert verify.exit_code == 0, explain(verify)


def test_outputs_are_byte_identical_on_a_rerun(run_a, tmp_path):
    b = changed_by_hand(run_a, tmp_path / "b.parquet")
    diff_json(run_a, b, tmp_path / "one")
    diff_json(run_a, b, tmp_path / "two")
    for name in ("diff.parquet", "diff.xlsx", "report.html"):
        assert sha256(tmp_path / "one" / name) == sha256(tmp_path / "two" / name), name


def test_a_broken_key_without_row_id_stays_unmatched(run_a, tmp_path):
    """The contract: an incomplete key is matched by row_id only when both sides have it."""
    a = pl.read_parquet(run_a / "liquidation.parquet")
    b = a.drop("row_id").with_columns(
        invoice_id=pl.when(pl.col("invoice_id") == "F3").then(None).otherwise(pl.col("invoice_id")))
    b.write_parquet(tmp_path / "sans-row-id.parquet")
    summary = diff_json(run_a, tmp_path / "sans-row-id.parquet", tmp_path / "ecarts")
    # F3 is only in A (1400 FCFA) and its keyless copy only in B (1400 FCFA): stake 2800, net 0.
    assert (summary["counts"]["only_a"], summary["counts"]["only_b"], summary["counts"]["changed"]) == (1, 1, 0)
    assert (summary["francs_at_stake"], summary["net_delta"]) == (2800, 0)
    assert "row_id" not in summary["compared_columns"]


# --- the same liquidation in another format -------------------------------------------------

def _cell(value: object) -> str:
    """A cell as an officer's spreadsheet exports it: dd/mm/yyyy, "1 400", codes "A01, A02"."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(value)
    if hasattr(value, "strftime"):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, int) and abs(value) >= 1000:
        return f"{value:,}".replace(",", " ")
    return str(value)


def export_csv_latin1(parquet: Path, target: Path) -> Path:
    df = pl.read_parquet(parquet)
    with target.open("w", encoding="latin-1", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        writer.writerow([c.upper() if c == "status" else c for c in df.columns])  # header case is free
        for row in df.iter_rows():
            writer.writerow([_cell(v) for v in row])
    return target


def test_parquet_run_equals_its_csv_latin1_export(run_a, tmp_path):
    csv_file = export_csv_latin1(run_a / "liquidation.parquet", tmp_path / "declaration.csv")
    raw = csv_file.read_bytes()
    assert "Ségou".encode("latin-1") in raw and b"07/10/2026" in raw and b"1 400" in raw  # the premise
    summary = diff_json(run_a, csv_file, tmp_path / "ecarts")
    assert summary["identical"] is True
    assert len(summary["compared_columns"]) == 22  # every column but row_id


def test_the_sample_run_equals_its_csv_latin1_and_xlsx_exports(tmp_path):
    from ramu_cli.io.xlsx import write_xlsx

    run = tmp_path / "run"
    assert invoke(["liquidate", SAMPLE, "--out", run]).exit_code == 0
    csv_file = export_csv_latin1(run / "liquidation.parquet", tmp_path / "declaration.csv")
    assert diff_json(run, csv_file, tmp_path / "d1")["identical"] is True
    lines = pl.read_parquet(run / "liquidation.parquet")
    write_xlsx({"liquidation": (lines, {})}, tmp_path / "declaration.xlsx")
    summary = diff_json(run, tmp_path / "declaration.xlsx", tmp_path / "d2")
    assert summary["identical"] is True and summary["counts"]["identical"] == 3000


# --- what cannot be compared ----------------------------------------------------------------

def _write_table(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="latin-1", newline="") as fh:
        writer = csv.writer(fh, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)
    return path


HEADER = ["provider_id", "invoice_id", "line_no", "status", "payable"]


def _refused(run_a: Path, table: Path, out: Path) -> list[dict]:
    result = diff(run_a, table, out, "--json")
    assert result.exit_code == 3, explain(result)
    assert not out.exists()  # nothing written
    return json.loads(result.stdout)["problems"]


def test_missing_column_is_exit_3_naming_file_and_column(run_a, tmp_path):
    table = _write_table(tmp_path / "sans-montant.csv", HEADER[:4], [["P-CSCOM", "F1", "1", "PAID"]])
    problems = _refused(run_a, table, tmp_path / "ecarts")
    assert [(p["file"], p["column"]) for p in problems] == [(str(table), "payable")]


def test_duplicate_key_is_exit_3_naming_file_column_and_rows(run_a, tmp_path):
    rows = [["P-CSCOM", "F1", "1", "PAID", "700"], ["P-CSCOM", "F2", "1", "PAID", "700"],
            ["P-CSCOM", "F1", "1", "PAID", "700"]]
    table = _write_table(tmp_path / "doublon.csv", HEADER, rows)
    problems = _refused(run_a, table, tmp_path / "ecarts")
    assert [(p["code"], p["file"], p["column"], p["row"], p["value"]) for p in problems] == [
        ("duplicate_key", str(table), "provider_id, invoice_id, line_no", 3, "P-CSCOM / F1 / 1")]
    assert "lignes 1, 3 du fichier" in problems[0]["message"]


def test_a_repeated_key_whose_copy_is_an_r14_rejection_is_accepted(run_a, tmp_path):
    header = [*HEADER, "reasons"]
    rows = [["P-CSCOM", "F1", "1", "PAID", "700", ""], ["P-CSCOM", "F1", "1", "REJECTED", "0", "R14"]]
    table = _write_table(tmp_path / "copie.csv", header, rows)
    summary = diff_json(run_a, table, tmp_path / "ecarts")
    # F1 pairs on its key (identical on the 5 shared columns... and reasons); the R14 copy has no
    # row_id column here, so it stays alone: only in B, payable 0. Only in A: F2..F6 (700+1400+0+350+2100).
    assert (summary["counts"]["only_a"], summary["counts"]["only_b"], summary["counts"]["identical"]) == (5, 1, 1)
    assert summary["francs_at_stake"] == 4550


@pytest.mark.parametrize("value", ["12,5", "sept cents", "1 0000"])
def test_unreadable_payable_is_exit_3_naming_file_column_and_row(run_a, tmp_path, value):
    rows = [["P-CSCOM", "F1", "1", "PAID", "700"], ["P-CSCOM", "F2", "1", "PAID", value]]
    table = _write_table(tmp_path / "illisible.csv", HEADER, rows)
    problems = _refused(run_a, table, tmp_path / "ecarts")
    assert [(p["code"], p["file"], p["column"], p["row"], p["value"]) for p in problems] == [
        ("unreadable_value", str(table), "payable", 2, value)]


def test_an_empty_status_is_exit_3(run_a, tmp_path):
    table = _write_table(tmp_path / "vide.csv", HEADER, [["P-CSCOM", "F1", "1", "", "700"]])
    problems = _refused(run_a, table, tmp_path / "ecarts")
    assert [(p["code"], p["column"], p["row"]) for p in problems] == [("missing_value", "status", 1)]


def test_a_missing_side_is_exit_3(run_a, tmp_path):
    problems = _refused(run_a, tmp_path / "nulle-part", tmp_path / "ecarts")
    assert problems[0]["code"] == "missing_file"


def test_out_dir_holding_a_side_is_refused_and_the_side_kept(run_a, tmp_path):
    before = sha256(run_a / "liquidation.parquet")
    result = diff(run_a, run_a, run_a, "--json")
    assert result.exit_code == 2, explain(result)
    assert sha256(run_a / "liquidation.parquet") == before


# --- invariants -----------------------------------------------------------------------------

@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(1, 30), data=st.data())
def test_counts_and_francs_follow_the_changes(tmp_path, n, data):
    """For any deletions, additions and payable changes: only-A, only-B and changed lines are
    exactly those, francs at stake = Σ|Δ|, net = total B − total A."""
    payables = data.draw(st.lists(st.integers(0, 10**9), min_size=n, max_size=n))
    schema = {"provider_id": pl.String, "invoice_id": pl.String, "line_no": pl.Int64, "status": pl.String,
              "payable": pl.Int64}
    a = pl.DataFrame({"provider_id": ["P"] * n, "invoice_id": [f"F{i}" for i in range(n)],
                      "line_no": [1] * n, "status": ["PAID"] * n, "payable": payables}, schema=schema)
    deleted = data.draw(st.sets(st.integers(0, n - 1)))
    changes = data.draw(st.dictionaries(st.integers(0, n - 1), st.integers(1, 10**6)))
    added = data.draw(st.lists(st.integers(0, 10**9), max_size=5))
    b_rows = [(f"F{i}", p + changes.get(i, 0)) for i, p in enumerate(payables) if i not in deleted]
    b_rows += [(f"N{j}", p) for j, p in enumerate(added)]
    b = pl.DataFrame({"provider_id": ["P"] * len(b_rows), "invoice_id": [r[0] for r in b_rows],
                      "line_no": [1] * len(b_rows), "status": ["PAID"] * len(b_rows),
                      "payable": [r[1] for r in b_rows]}, schema=schema)
    case = tmp_path / f"case-{len(list(tmp_path.iterdir()))}"
    case.mkdir()
    a.write_parquet(case / "a.parquet")
    b.write_parquet(case / "b.parquet")
    summary = diff_json(case / "a.parquet", case / "b.parquet", case / "out")
    changed = {i for i in changes if i not in deleted}
    assert summary["counts"]["only_a"] == len(deleted)
    assert summary["counts"]["only_b"] == len(added)
    assert summary["counts"]["changed"] == len(changed)
    assert summary["francs_at_stake"] == (sum(payables[i] for i in deleted) + sum(added)
                                          + sum(changes[i] for i in changed))
    assert summary["net_delta"] == sum(b["payable"]) - sum(payables)
    assert summary["identical"] == (not deleted and not added and not changed)
    shutil.rmtree(case)


# --- the README's auditor workflow ----------------------------------------------------------

@pytest.mark.skipif(not Path(sys.executable).with_name("ramu").exists(),
                    reason="la commande ramu n'est pas installée à côté de cet interpréteur")
def test_the_readme_audit_workflow_runs(tmp_path):
    """The commands of the README's "Audit d'une liquidation", run as written on the shipped sample."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Audit d'une liquidation"):]
    script = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    shutil.copytree(SAMPLE, tmp_path / "samples" / "2026-10")
    shutil.copytree(ROOT / "tariffs", tmp_path / "tariffs")
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parent.parent)  # this environment, as .venv
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr
    manifest = json.loads((tmp_path / "audit" / "ecarts-2026-10" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["identical"] is False and manifest["totals"]["lines_a"] == 3000
    # The declaring OGD paid what the re-run rejects: B pays less, by the francs at stake.
    assert manifest["totals"]["net_delta"] == -manifest["totals"]["francs_at_stake"] < 0
    rows = pl.read_parquet(tmp_path / "audit" / "ecarts-2026-10" / "diff.parquet")
    gained = set(rows.select(pl.col("reasons_b").list.set_difference("reasons_a").explode()).drop_nulls()
                 .to_series().to_list())
    assert gained == {"R10", "R11"}  # the two rules the example OGD does not apply
