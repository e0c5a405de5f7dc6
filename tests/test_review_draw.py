"""`ramu review draw`: sizes, certainty stratum, the documented hash order, reproducibility.

Expected sample sizes are worked out by hand from n = max(min_lines, ⌈rate × N⌉),
at most N; expected lines from the documented random key, recomputed here with
hashlib (not with the program's code).
"""

from __future__ import annotations

import csv
import json
import random
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ramu_cli.review.draw import DrawParams
from ramu_cli.review.draw import draw as draw_core
from review_helpers import draw, explain, invoke, line, lines_of, random_key, read_sheet, write_run

REPO = Path(__file__).resolve().parent.parent

# P40: 3 lines of 150 000 FCFA (certainty from 100 000) and 37 of 5 000.
RUN_LINES = (lines_of("P5", 5) + lines_of("P199", 199) + lines_of("P201", 201)
             + lines_of("P40", 3, payable=150_000, prefix="F-P40-BIG") + lines_of("P40", 37)
             + [line("P40", "F-P40-REJ", 1, 900_000, status="REJECTED"),      # never reviewed
                line("P40", "F-P40-RED", 1, 4_000, status="REDUCED")])         # reviewed like PAID


@pytest.fixture
def run(tmp_path: Path) -> Path:
    return write_run(tmp_path / "liq", RUN_LINES)


def _strata(summary: dict) -> dict[tuple[str, str], tuple[int, int]]:
    return {(s["provider_id"], s["stratum"]): (s["universe_lines"], s["sample_lines"]) for s in summary["strata"]}


def test_sample_sizes_follow_the_formula(run, tmp_path):
    summary = draw(run, tmp_path / "d1", "--certainty-from", "100000", "--seed", "11")
    # rate 5 %, min 10: P5 all 5; P199 ⌈9.95⌉ = 10; P201 ⌈10.05⌉ = 11;
    # P40: 3 certainty lines; the other 37 + 1 REDUCED = 38 → ⌈1.9⌉ = 2 → min 10.
    assert _strata(summary) == {("P5", "sample"): (5, 5), ("P199", "sample"): (199, 10),
                                ("P201", "sample"): (201, 11), ("P40", "certainty"): (3, 3),
                                ("P40", "sample"): (38, 10)}
    rows = read_sheet(tmp_path / "d1")
    assert Counter((r["provider_id"], r["stratum"]) for r in rows) == {
        ("P5", "sample"): 5, ("P199", "sample"): 10, ("P201", "sample"): 11, ("P40", "certainty"): 3,
        ("P40", "sample"): 10}
    manifest = json.loads((tmp_path / "d1" / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"] == "review draw" and manifest["review"]["seed"] == 11
    assert manifest["totals"]["lines_drawn"] == 39 and manifest["totals"]["universe_lines"] == 446

    summary = draw(run, tmp_path / "d2", "--rate", "10", "--min-lines", "3", "--seed", "11")
    # no certainty stratum: P40 has 3 + 37 + 1 = 41 lines → ⌈4.1⌉ = 5; P5 ⌈0.5⌉ = 1 → min 3;
    # P199 ⌈19.9⌉ = 20; P201 ⌈20.1⌉ = 21.
    assert _strata(summary) == {("P5", "sample"): (5, 3), ("P199", "sample"): (199, 20),
                                ("P201", "sample"): (201, 21), ("P40", "sample"): (41, 5)}

    summary = draw(run, tmp_path / "d3", "--rate", "2.5", "--min-lines", "1", "--seed", "11")
    # 2.5 %: P5 ⌈0.125⌉ = 1; P199 ⌈4.975⌉ = 5; P201 ⌈5.025⌉ = 6; P40 ⌈1.025⌉ = 2.
    assert _strata(summary) == {("P5", "sample"): (5, 1), ("P199", "sample"): (199, 5),
                                ("P201", "sample"): (201, 6), ("P40", "sample"): (41, 2)}


def test_rejected_lines_are_never_drawn_and_reduced_ones_may_be(run, tmp_path):
    draw(run, tmp_path / "d", "--rate", "100", "--seed", "1")
    keys = {r["invoice_id"] for r in read_sheet(tmp_path / "d")}
    assert "F-P40-REJ" not in keys and "F-P40-RED" in keys and len(keys) == 446


@pytest.mark.parametrize("seed", [0, 1, 2, 3, 999_999_999])
def test_certainty_lines_are_always_drawn(run, tmp_path, seed):
    draw(run, tmp_path / "d", "--certainty-from", "100000", "--seed", str(seed))
    big = {r["invoice_id"]: r["stratum"] for r in read_sheet(tmp_path / "d") if r["provider_id"] == "P40"
           and r["invoice_id"].startswith("F-P40-BIG")}
    assert big == {"F-P40-BIG-0001": "certainty", "F-P40-BIG-0002": "certainty", "F-P40-BIG-0003": "certainty"}


def test_the_sample_is_the_documented_hash_order(run, tmp_path):
    draw(run, tmp_path / "d", "--seed", "424242")
    drawn = {r["invoice_id"] for r in read_sheet(tmp_path / "d") if r["provider_id"] == "P201"}
    # The 201 lines of P201 sorted by SHA-256("424242|P201|<invoice>|1")[:8]: the first 11.
    invoices = [f"F-P201-{i:04d}" for i in range(1, 202)]
    expected = sorted(invoices, key=lambda inv: (random_key(424242, "P201", inv, 1), inv))[:11]
    assert drawn == set(expected)


def test_another_seed_draws_other_lines_and_the_same_seed_the_same_bytes(run, tmp_path):
    draw(run, tmp_path / "a", "--seed", "1")
    draw(run, tmp_path / "b", "--seed", "2")
    draw(run, tmp_path / "c", "--seed", "1")
    p201 = {name: {r["invoice_id"] for r in read_sheet(tmp_path / name) if r["provider_id"] == "P201"}
            for name in "abc"}
    assert p201["a"] != p201["b"] and len(p201["a"]) == len(p201["b"]) == 11
    for name in ("review.csv", "review.xlsx"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "c" / name).read_bytes()


def test_without_a_seed_the_seed_comes_from_the_run(run, tmp_path):
    first = draw(run, tmp_path / "a")
    second = draw(run, tmp_path / "b")
    assert first["seed_given"] is False and first["seed"] == second["seed"]
    assert 0 <= first["seed"] <= 999_999_999
    assert (tmp_path / "a" / "review.csv").read_bytes() == (tmp_path / "b" / "review.csv").read_bytes()


def _shuffled_batch(source: Path, target: Path) -> Path:
    """The shipped sample with its invoice rows in another order (header and BOM kept)."""
    shutil.copytree(source, target)
    raw = (source / "invoices.csv").read_bytes()
    head, *body = raw.split(b"\r\n") if b"\r\n" in raw else raw.split(b"\n")
    body = [b for b in body if b]
    random.Random(7).shuffle(body)
    (target / "invoices.csv").write_bytes(b"\r\n".join([head, *body]) + b"\r\n")
    return target


def test_same_seed_same_lines_whatever_the_row_order_of_the_invoice_file(tmp_path):
    batch = _shuffled_batch(REPO / "samples" / "2026-10", tmp_path / "2026-10")
    for name, folder in (("liq", REPO / "samples" / "2026-10"), ("liq-shuffled", batch)):
        result = invoke(["liquidate", folder, "--out", tmp_path / name, "--json"])
        assert result.exit_code == 0, explain(result)
    # The two tables differ (row order), so do their run ids; the drawn lines must not.
    assert (tmp_path / "liq" / "liquidation.parquet").read_bytes() != \
        (tmp_path / "liq-shuffled" / "liquidation.parquet").read_bytes()
    sheets = []
    for name in ("liq", "liq-shuffled"):
        draw(tmp_path / name, tmp_path / f"draw-{name}", "--seed", "5", "--certainty-from", "100000")
        rows = read_sheet(tmp_path / f"draw-{name}")
        sheets.append([{k: v for k, v in r.items() if k != "draw"} for r in rows])
    assert sheets[0] == sheets[1] and len(sheets[0]) > 300


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["P1", "P2", "P3"]), st.integers(1, 400), st.integers(1, 3),
                          st.integers(1, 200_000)), min_size=1, max_size=120,
                unique_by=lambda t: (t[0], t[1], t[2])),
       st.integers(0, 999_999_999), st.randoms(use_true_random=False))
def test_draw_ignores_row_order(specs, seed, rnd):
    lines = pl.DataFrame([dict(provider_id=p, invoice_id=f"F{i}", line_no=n, payable=v) for p, i, n, v in specs])
    shuffled = lines.sample(fraction=1.0, shuffle=True, seed=rnd.randint(0, 10**6))
    params = DrawParams(seed, 500, 10, 100_000)
    a, sizes_a = draw_core(lines, params)
    b, sizes_b = draw_core(shuffled, params)
    assert a.equals(b) and sizes_a.equals(sizes_b)
    # Every certainty line drawn, n per provider and stratum as the formula says.
    assert a.filter(pl.col("payable") >= 100_000).height == lines.filter(pl.col("payable") >= 100_000).height
    for s in sizes_a.iter_rows(named=True):
        big_n = s["universe_lines"]
        expected = big_n if s["stratum"] == "certainty" else min(big_n, max(10, -(-5 * big_n // 100)))
        assert s["sample_lines"] == expected


def test_review_xlsx_is_protected_with_the_adviser_columns_open(run, tmp_path):
    draw(run, tmp_path / "d", "--seed", "1")
    book = tmp_path / "d" / "review.xlsx"
    with zipfile.ZipFile(book) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        styles = z.read("xl/styles.xml").decode()
    assert '<sheetProtection sheet="1"' in sheet and 'autoFilter="0"' in sheet
    assert styles.count('<protection locked="0"/>') == 2
    # Columns Q, R, S (accepted_payable, finding, comment) carry the unlocked styles 6, 5, 5.
    assert '<col min="17" max="17" width=' in sheet and 'style="6" customWidth="1"/><col min="18"' in sheet
    assert 'min="18" max="18"' in sheet and 'min="19" max="19"' in sheet
    df = pl.read_excel(book, engine="calamine", infer_schema_length=0)
    assert df.columns[:4] == ["Code prestataire", "Prestataire", "OGD", "Strate"]
    assert df.columns[16:] == ["Montant admis après contrôle", "Constat", "Commentaire", "Tirage (ne pas modifier)"]
    assert set(df["Strate"]) == {"Échantillon"} and df["Montant admis après contrôle"].null_count() == df.height


def test_review_csv_keeps_machine_names(run, tmp_path):
    draw(run, tmp_path / "d", "--seed", "1", "--certainty-from", "100000")
    with (tmp_path / "d" / "review.csv").open(encoding="cp1252", newline="") as fh:
        header = next(csv.reader(fh, delimiter=";"))
    assert header == ["provider_id", "provider_name", "ogd", "stratum", "invoice_id", "line_no", "beneficiary_id",
                      "service_date", "act_code", "act_label", "quantity", "unit_price", "billed", "allowed",
                      "status", "payable", "accepted_payable", "finding", "comment", "draw"]
    first = read_sheet(tmp_path / "d")[0]
    assert first["draw"].startswith("execution=2026-10-") and first["draw"].endswith(
        " graine=1 taux=5 minimum=10 certitude=100000")


def test_draw_refuses_what_is_not_a_liquidation_run(run, tmp_path):
    result = invoke(["review", "draw", tmp_path / "nowhere", "--out", tmp_path / "d", "--json"])
    assert result.exit_code == 3, explain(result)
    draw(run, tmp_path / "d", "--seed", "1")
    result = invoke(["review", "draw", tmp_path / "d", "--out", tmp_path / "d2", "--json"])
    assert result.exit_code == 3 and json.loads(result.stdout)["problems"][0]["code"] == "not_a_liquidation_run"
    # A liquidation.parquet changed after the run: not what was paid.
    pl.read_parquet(run / "liquidation.parquet").head(10).write_parquet(run / "liquidation.parquet")
    result = invoke(["review", "draw", run, "--out", tmp_path / "d3", "--json"])
    assert result.exit_code == 3 and json.loads(result.stdout)["problems"][0]["code"] == "liquidation_modified"
    assert not (tmp_path / "d2").exists() and not (tmp_path / "d3").exists()


def test_draw_never_replaces_its_input_or_another_commands_folder(run, tmp_path):
    result = invoke(["review", "draw", run, "--out", run, "--json"])
    assert result.exit_code == 2, explain(result)
    assert (run / "liquidation.parquet").is_file()
    for bad in ("2.555", "101", "-1"):
        result = invoke(["review", "draw", run, "--out", tmp_path / "d", "--rate", bad])
        assert result.exit_code == 2, (bad, explain(result))


@pytest.mark.parametrize("payables", [(5_000, 5_000), (150_000, 150_000), (150_000, 5_000)])
def test_two_paid_lines_with_one_key_are_refused(tmp_path, payables):
    lines = [*lines_of("P1", 20), line("P1", "F-P1-0003", 1, payables[0]), line("P1", "F-P1-0003", 1, payables[1])]
    run = write_run(tmp_path / "liq", [r for i, r in enumerate(lines) if i != 2])
    result = invoke(["review", "draw", run, "--out", tmp_path / "d", "--certainty-from", "100000", "--json"])
    assert result.exit_code == 3, explain(result)
    problems = json.loads(result.stdout)["problems"]
    assert {(p["code"], p["value"]) for p in problems} == {("duplicate_line_key", "P1 / F-P1-0003 / 1")}
