"""Issue 11: totals never wrap. 93 000 valid lines each billing 10^14 FCFA (the R14 maximum:
quantity 100 000 × unit_price 1 000 000 000) sum to 9.3 × 10^18 > 2^63 − 1."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from ramu_cli.cli import app
from ramu_cli.liquidation.totals import INT64_MAX, totals

LINES = 93_000
PER_LINE = 100_000 * 1_000_000_000


def test_the_case_really_exceeds_int64():
    assert LINES * PER_LINE > INT64_MAX                       # 9 300 000 000 000 000 000
    assert PER_LINE * (LINES - 1) < 2 * INT64_MAX


@pytest.fixture(scope="module")
def huge_batch(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lots") / "2026-10"
    result = CliRunner().invoke(app, ["samples", str(folder), "--invoices", "200", "--seed", "2", "--json"])
    assert result.exit_code == 0, result.output
    one = pl.read_parquet(folder / "invoices.parquet").head(1)
    huge = pl.concat([one] * LINES).with_columns(
        invoice_id=pl.format("F{}", pl.int_range(pl.len())), line_no=pl.lit(1, one["line_no"].dtype),
        quantity=pl.lit(100_000, one["quantity"].dtype), unit_price=pl.lit(1_000_000_000, one["unit_price"].dtype))
    huge.write_parquet(folder / "invoices.parquet")
    return folder


def test_liquidate_refuses_a_total_beyond_int64(huge_batch, tmp_path):
    out = tmp_path / "sorties"
    # Before: exit 0, billed total -9 223 372 036 854 775 808 + … (wrapped, negative) in report, manifest, JSON.
    result = CliRunner().invoke(app, ["liquidate", str(huge_batch), "--out", str(out), "--json"])
    assert result.exit_code == 4, result.output
    payload = json.loads(result.stdout)
    problems = {p["column"]: p for p in payload["problems"]}
    assert problems["billed"]["value"] == str(LINES * PER_LINE)          # 9 300 000 000 000 000 000
    assert {p["code"] for p in problems.values()} == {"total_overflow"}
    # almost all of it is disallowed (quantities capped, repeated lines): that total too is too big
    assert set(problems) <= {"billed", "disallowed", "allowed", "payable", "copay"}
    assert all(int(p["value"]) > INT64_MAX for p in problems.values())
    assert "trop grand" in payload["error"]
    assert not out.exists()


def test_totals_sum_without_wrapping():
    frame = pl.LazyFrame({"status": ["PAID", "PAID"], "funder": ["OGD", "FREE_CARE"],
                          **{c: pl.Series([2**62, 2**62], dtype=pl.Int64)
                             for c in ("billed", "allowed", "payable", "copay", "disallowed")}})
    from ramu_cli.errors import InvariantError
    with pytest.raises(InvariantError) as err:
        totals(frame)
    assert {p.column for p in err.value.problems} == {"billed", "allowed", "payable", "copay", "disallowed"}
    assert {p.value for p in err.value.problems} == {str(2**63)}
