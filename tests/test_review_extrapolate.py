"""`ramu review extrapolate`: figures worked out by hand, recovery orders, reproducibility.

Only Student's t comes from scipy (the tests may use it); every other figure is
derived by hand in the comments.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from scipy.stats import t as student_t

from ramu_cli.review.extrapolate import sample_figures
from review_helpers import (
    draw,
    explain,
    extrapolate,
    fill,
    invoke,
    lines_of,
    read_sheet,
    write_run,
    write_sheet,
)

# P-A: 2 lines of 150 000 (certainty from 100 000) and 40 of 5 000 → n = max(10, ⌈2⌉) = 10.
# P-B: 30 lines of 2 000 → n = 10, nothing found.       P-C: 6 lines of 1 000 → n = N = 6.
RUN_LINES = (lines_of("P-A", 2, payable=150_000, prefix="F-A-BIG") + lines_of("P-A", 40)
             + lines_of("P-B", 30, payable=2_000) + lines_of("P-C", 6, payable=1_000))
SAMPLE_Y = [1000, 2000, 3000, 4000]  # on the first four P-A sample lines; the other six: 0


@pytest.fixture
def reviewed(tmp_path: Path) -> tuple[Path, Path]:
    """(run, filled sheet): the adviser's findings on the draw of seed 3."""
    run = write_run(tmp_path / "liq", RUN_LINES)
    draw(run, tmp_path / "draw", "--certainty-from", "100000", "--seed", "3")
    rows = read_sheet(tmp_path / "draw")
    a_sample = sorted(r["invoice_id"] for r in rows if r["provider_id"] == "P-A" and r["stratum"] == "sample")
    c_lines = sorted(r["invoice_id"] for r in rows if r["provider_id"] == "P-C")
    overpaid = {("P-A", "F-A-BIG-0001", 1): 50_000}                       # certainty: 150 000 → 100 000
    overpaid |= {("P-A", inv, 1): y for inv, y in zip(a_sample, SAMPLE_Y, strict=False)}
    overpaid |= {("P-C", c_lines[0], 1): 300, ("P-C", c_lines[1], 1): 200}
    return run, write_sheet(tmp_path / "rempli.csv", fill(rows, overpaid))


def _figures(out: Path) -> dict[tuple[str, str], dict]:
    df = pl.read_parquet(out / "extrapolation.parquet")
    return {(r["provider_id"], r["stratum"]): r for r in df.iter_rows(named=True)}


def test_provider_figures_by_hand_at_90_and_95_percent(reviewed, tmp_path):
    run, sheet = reviewed
    # P-A sample: N = 40, n = 10, y = 0 ×6, 1000, 2000, 3000, 4000.
    #   F = 10 000, ȳ = 1 000, estimate N·ȳ = 40 000.
    #   Σy² = 30 000 000; s² = (Σy² − n·ȳ²)/(n − 1) = (30e6 − 10e6)/9 = 2 222 222.2…; s = 1 490.71…
    #   SE = N·s/√n·√(1 − n/N) = 40 × 1 490.712 / 3.162 278 × √0.75 = √(800 000 000 / 3) = 16 329.93… → 16 330
    se = math.sqrt(800_000_000 / 3)
    assert abs(se - 16_329.93) < 0.01
    for level, lower, demand in (("90", 10_065, 10_065), ("95", 3_059, 10_000)):
        t_value = student_t.ppf((1 + int(level) / 100) / 2, 9)  # 1.833 113 at 90 %, 2.262 157 at 95 %
        # lower = 40 000 − t × 16 329.93: 40 000 − 29 934.61 = 10 065.39 → 10 065 (90 %);
        #         40 000 − 36 940.87 = 3 059.13 → 3 059 (95 %), below F = 10 000: the demand is F.
        assert abs(40_000 - t_value * se - lower) < 0.5
        out = tmp_path / f"res-{level}"
        result = extrapolate(run, sheet, out, "--confidence", level)
        assert result.exit_code == 0, explain(result)
        f = _figures(out)
        a = f[("P-A", "sample")]
        assert (a["universe_lines"], a["sample_lines"], a["lines_overpaid"], a["found"], a["estimate"],
                a["standard_error"], a["lower_bound"], a["demand"]) == (40, 10, 4, 10_000, 40_000, 16_330,
                                                                         lower, demand)
        assert a["t_value"] == pytest.approx(t_value, rel=1e-12)
        assert a["universe_payable"] == 200_000 and a["sample_payable"] == 50_000
        # Certainty: every line reviewed, 50 000 found, all of it demanded.
        c = f[("P-A", "certainty")]
        assert (c["universe_lines"], c["sample_lines"], c["found"], c["standard_error"], c["demand"]) == \
            (2, 2, 50_000, 0, 50_000) and c["t_value"] is None
        summary = json.loads(result.stdout)
        orders = {o["provider_id"]: o["demand"] for o in summary["orders"]}
        assert orders == {"P-A": 50_000 + demand, "P-C": 500}


def test_no_overpayment_gives_no_demand_and_no_order(reviewed, tmp_path):
    run, sheet = reviewed
    result = extrapolate(run, sheet, tmp_path / "res")
    assert result.exit_code == 0, explain(result)
    b = _figures(tmp_path / "res")[("P-B", "sample")]
    # N = 30, n = 10, every y = 0: s = 0, SE = 0, bound = estimate = 0.
    assert (b["found"], b["estimate"], b["standard_error"], b["lower_bound"], b["demand"]) == (0, 0, 0, 0, 0)
    orders = pl.read_csv(tmp_path / "res" / "recovery_orders.csv", separator=";", encoding="cp1252",
                         infer_schema=False)
    assert orders["provider_id"].to_list() == ["P-A", "P-C"]


def test_whole_universe_drawn_is_exact(reviewed, tmp_path):
    run, sheet = reviewed
    result = extrapolate(run, sheet, tmp_path / "res")
    assert result.exit_code == 0, explain(result)
    c = _figures(tmp_path / "res")[("P-C", "sample")]
    # N = n = 6, y = 300 + 200: the estimate is exact (SE 0), the demand is what was found.
    assert (c["universe_lines"], c["sample_lines"], c["found"], c["estimate"], c["standard_error"],
            c["lower_bound"], c["demand"], c["t_value"]) == (6, 6, 500, 500, 0, 500, 500, None)


def test_one_line_drawn_has_no_interval(tmp_path):
    run = write_run(tmp_path / "liq", lines_of("P-D", 15, payable=1_000))
    # min 1, rate 5 %: n = max(1, ⌈0.75⌉) = 1 of N = 15.
    summary = draw(run, tmp_path / "draw", "--min-lines", "1", "--seed", "8")
    assert summary["strata"][0]["sample_lines"] == 1
    rows = read_sheet(tmp_path / "draw")
    sheet = write_sheet(tmp_path / "rempli.csv", fill(rows, {("P-D", rows[0]["invoice_id"], 1): 700}))
    result = extrapolate(run, sheet, tmp_path / "res")
    assert result.exit_code == 0, explain(result)
    d = _figures(tmp_path / "res")[("P-D", "sample")]
    # estimate N·ȳ = 15 × 700 = 10 500; no SE, no bound; the demand is the 700 found.
    assert (d["found"], d["estimate"], d["standard_error"], d["lower_bound"], d["t_value"], d["demand"]) == \
        (700, 10_500, None, None, None, 700)


def test_estimate_rounds_half_up_and_demand_never_exceeds_what_was_paid():
    # N = 21, n = 10, F = 5: N·F/n = 10.5 → 11 (half up; Python's round() would give 10).
    assert sample_figures(21, [5] + [0] * 9, Decimal(90)).estimate == 11
    # N = 12: the 10 lines drawn were paid 1 000 and all of it was undue (s = 0, SE = 0): the bound
    # is 12 × 1 000 = 12 000, but the 2 lines not drawn were paid 100 each: at most 10 000 + 200.
    capped = sample_figures(12, [1000] * 10, Decimal(90), unreviewed_payable=200)
    assert (capped.estimate, capped.standard_error, capped.lower_bound, capped.demand) == (12_000, 0, 12_000, 10_200)


def test_recovery_orders_documents(reviewed, tmp_path):
    run, sheet = reviewed
    result = extrapolate(run, sheet, tmp_path / "res")
    assert result.exit_code == 0, explain(result)
    out = tmp_path / "res"
    assert sorted(p.name for p in out.iterdir()) == ["extrapolation.parquet", "manifest.json",
                                                     "recovery_orders.csv", "recovery_orders.html",
                                                     "recovery_orders.xlsx", "report.html"]
    orders = pl.read_csv(out / "recovery_orders.csv", separator=";", encoding="cp1252", infer_schema=False)
    a = orders.row(0, named=True)
    assert (a["order_no"], a["demand"], a["due_date"], a["issue_date"]) == \
        ("OR-2026-10-0001", "60065", "30/12/2026", "30/11/2026")      # default delay: 30 days
    assert a["amount_words"] == "soixante mille soixante-cinq francs CFA"
    html = (out / "recovery_orders.html").read_text(encoding="utf-8")
    assert html.count('<article class="order">') == 2
    assert "60\u00a0065\u00a0FCFA" in html and "soixante mille soixante-cinq francs CFA" in html
    assert "10 ont été tirées au sort" in html and "loi de Student à 9 degrés de liberté" in html
    xlsx = pl.read_excel(out / "recovery_orders.xlsx", engine="calamine", infer_schema_length=0)
    assert xlsx["Montant à reverser"].to_list()[:2] == ["60065", "500"]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "Contrôle médical a posteriori — octobre 2026" in report and "<script" not in report
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"] == "review extrapolate" and manifest["totals"]["demand"] == 60_565
    assert manifest["review"]["confidence_percent"] == "90" and set(manifest["inputs"]) == {"liquidation", "results"}
    verify = invoke(["verify", out, "--json"])
    assert verify.exit_code == 0, explain(verify)


def test_due_date_comes_from_the_policy(reviewed, tmp_path):
    run, sheet = reviewed
    tariffs = tmp_path / "tarifs"
    tariffs.mkdir()
    (tariffs / "policy.toml").write_text("[review]\nrecovery_due_days = 15\n", encoding="utf-8")
    result = extrapolate(run, sheet, tmp_path / "res", "--tariffs", tariffs)
    assert result.exit_code == 0, explain(result)
    assert {o["due_date"] for o in json.loads(result.stdout)["orders"]} == {"2026-12-15"}
    (tariffs / "policy.toml").write_text("[review]\nrecovery_due_dayz = 15\n", encoding="utf-8")
    result = extrapolate(run, sheet, tmp_path / "res2", "--tariffs", tariffs)
    assert result.exit_code == 3 and "recovery_due_dayz" in result.stdout
    assert not (tmp_path / "res2").exists()


def test_same_inputs_same_bytes(reviewed, tmp_path):
    run, sheet = reviewed
    for name in ("a", "b"):
        result = extrapolate(run, sheet, tmp_path / name)
        assert result.exit_code == 0, explain(result)
    for path in sorted((tmp_path / "a").iterdir()):
        if path.name != "manifest.json":
            assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


def test_confidence_out_of_range_is_a_usage_error(reviewed, tmp_path):
    run, sheet = reviewed
    for bad in ("100", "0", "99.999"):
        result = extrapolate(run, sheet, tmp_path / "res", "--confidence", bad)
        assert result.exit_code == 2, (bad, explain(result))


def test_demo_results_from_ramu_samples(reviewed, tmp_path):
    run, _ = reviewed
    draw_dir = tmp_path / "draw"
    for rate, name in (("0", "none"), ("100", "all")):
        result = invoke(["samples", tmp_path / name, "--review-results", draw_dir, "--overpayment-rate", rate])
        assert result.exit_code == 0, explain(result)
        filled = pl.read_csv(tmp_path / name / "review.csv", separator=";", encoding="cp1252",
                             schema_overrides={"accepted_payable": pl.Int64, "payable": pl.Int64})
        if rate == "0":
            assert (filled["accepted_payable"] == filled["payable"]).all()
        else:  # every line found overpaid: nothing, or half rounded down, accepted
            assert ((filled["accepted_payable"] == 0)
                    | (filled["accepted_payable"] == filled["payable"] // 2)).all()
        result = extrapolate(run, tmp_path / name / "review.xlsx", tmp_path / f"res-{name}")
        assert result.exit_code == 0, explain(result)
        demand = json.loads(result.stdout)["totals"]["demand"]
        assert (demand == 0) if rate == "0" else (demand > 0)
    # Never over a folder ramu wrote: the draw itself is refused.
    result = invoke(["samples", draw_dir, "--review-results", draw_dir])
    assert result.exit_code == 2 and (draw_dir / "manifest.json").is_file()


CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium absent : impression PDF non vérifiée")
def test_recovery_orders_print_one_a4_page_each(reviewed, tmp_path):
    run, sheet = reviewed
    assert extrapolate(run, sheet, tmp_path / "res").exit_code == 0
    pdf = tmp_path / "orders.pdf"
    subprocess.run([str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", "--no-pdf-header-footer", f"--print-to-pdf={pdf}",
                    (tmp_path / "res" / "recovery_orders.html").as_uri()], check=True, capture_output=True,
                   timeout=120)
    data = pdf.read_bytes()
    assert len(re.findall(rb"/Type\s*/Page(?!s)", data)) == 2
