"""Two months in a row: liquidate, commit, then a resent line gets R13; a rejected
line sent again corrected is paid. Real CSV batches, the real CLI, a real ledger."""

from __future__ import annotations

from datetime import date as D

import polars as pl

from liq_helpers import (
    BENEFICIARY_COLUMNS,
    DEFAULT_BENEFICIARIES,
    DEFAULT_PROVIDERS,
    INVOICE_COLUMNS,
    PROVIDER_COLUMNS,
    explain,
    invoke,
    line,
    run_ok,
)


def _batch(write_batch, folder, invoices):
    return write_batch(folder, "latin1", columns={"invoices": INVOICE_COLUMNS,
                                                  "beneficiaries": BENEFICIARY_COLUMNS,
                                                  "providers": PROVIDER_COLUMNS},
                       beneficiaries=DEFAULT_BENEFICIARIES, providers=DEFAULT_PROVIDERS,
                       invoices=invoices)


def test_commit_then_next_month_resent_line_gets_r13(tmp_path, tariff_dir, write_batch):
    ledger = tmp_path / "ledger"
    ledger.mkdir()  # made once; a missing ledger folder is refused (a typo must not disable R13)
    october = _batch(write_batch, tmp_path / "2026-10", [
        # paid: 1000 × 70 % = 700
        line(invoice_id="F1", line_no=1, service_date=D(2026, 10, 5)),
        # rejected R01 (unknown beneficiary): may come back corrected
        line(invoice_id="F1", line_no=2, beneficiary_id="NOBODY", service_date=D(2026, 10, 6)),
    ])
    out10 = tmp_path / "out-10"
    df10 = run_ok(october, out10, tariff_dir, 2, month="2026-10", extra=["--ledger", ledger])
    assert df10["status"].to_list() == ["PAID", "REJECTED"]

    first = invoke(["commit", out10, "--ledger", ledger])
    assert first.exit_code == 0, explain(first)
    files = sorted(p.name for p in ledger.glob("*.parquet"))
    assert len(files) == 1
    held = pl.read_parquet(ledger / files[0])
    assert held.select("invoice_id", "line_no", "payable").rows() == [("F1", 1, 700)]

    again = invoke(["commit", out10, "--ledger", ledger])
    assert again.exit_code == 0, explain(again)
    assert sorted(p.name for p in ledger.glob("*.parquet")) == files  # nothing added

    november = _batch(write_batch, tmp_path / "2026-11", [
        # the October line resent as is: same line key → R13
        line(invoice_id="F1", line_no=1, service_date=D(2026, 10, 5), submission_date=D(2026, 11, 3)),
        # same care under a new invoice number: same duplicate key → R13, and R09 too since
        # the line above holds that key in this batch and comes first ("F1" < "F9")
        line(invoice_id="F9", line_no=1, service_date=D(2026, 10, 5), submission_date=D(2026, 11, 3)),
        # the rejected line, corrected (known beneficiary): paid 700
        line(invoice_id="F1", line_no=2, service_date=D(2026, 10, 6), submission_date=D(2026, 11, 3)),
    ])
    out11 = tmp_path / "out-11"
    df11 = run_ok(november, out11, tariff_dir, 3, month="2026-11", extra=["--ledger", ledger])
    assert df11.select("status", "reasons", "payable").rows() == [
        ("REJECTED", ["R13"], 0), ("REJECTED", ["R09", "R13"], 0), ("PAID", [], 700)]

    second = invoke(["commit", out11, "--ledger", ledger])
    assert second.exit_code == 0, explain(second)
    assert len(list(ledger.glob("*.parquet"))) == 2


def test_commit_refuses_a_run_liquidated_without_the_ledger(tmp_path, tariff_dir, write_batch):
    """Liquidated without --ledger, a resent line is PAID again; commit must refuse it (exit 3)."""
    ledger = tmp_path / "ledger"
    october = _batch(write_batch, tmp_path / "2026-10", [line(invoice_id="F1", line_no=1)])
    out10 = tmp_path / "out-10"
    run_ok(october, out10, tariff_dir, 1, month="2026-10")
    assert invoke(["commit", out10, "--ledger", ledger]).exit_code == 0

    resent = _batch(write_batch, tmp_path / "2026-11", [
        line(invoice_id="F1", line_no=1, submission_date=D(2026, 11, 2))])
    out11 = tmp_path / "out-11"
    run_ok(resent, out11, tariff_dir, 1, month="2026-11")
    refused = invoke(["commit", out11, "--ledger", ledger])
    assert refused.exit_code == 3, explain(refused)
    assert "F1" in refused.stderr
    assert len(list(ledger.glob("*.parquet"))) == 1
