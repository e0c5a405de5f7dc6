"""A broken invariant stops the run with exit 4 and writes nothing; hostile text in
the inputs stays inert in every document (HTML, CSV, XLSX)."""

from __future__ import annotations

import polars as pl
import pytest

from liq_helpers import (
    BENEFICIARY_COLUMNS,
    DEFAULT_BENEFICIARIES,
    INVOICE_COLUMNS,
    PROVIDER_COLUMNS,
    explain,
    invoke,
    line,
    liquidate_args,
    prov,
)
from ramu_cli.errors import InvariantError
from ramu_cli.liquidation import orders as orders_module
from ramu_cli.liquidation.invariants import check_lines, check_orders

HOSTILE_NAME = '=HYPERLINK("http://x","clic")<script>alert(1)</script>'


def _lines(**changes) -> pl.DataFrame:
    """Two hand-made output lines: a PAID one (1000 billed, 700 + 300) and a REJECTED one."""
    from ramu_cli.contract import LIQUIDATION_COLUMNS
    rows = {
        "row_id": [1, 2], "invoice_id": ["F1", "F2"], "line_no": [1, 1], "provider_id": ["P", "P"],
        "beneficiary_id": ["B", "B"], "ogd": ["CMSS", "CMSS"], "act_code": ["CONS", "CONS"],
        "service_date": [None, None], "submission_date": [None, None], "quantity": [1, 1],
        "unit_price": [1000, 500], "billed": [1000, 500], "tariff_price": [1000, None],
        "allowed_qty": [1, 0], "allowed": [1000, 0], "rate_percent": [70, None],
        "payable": [700, 0], "copay": [300, 0], "disallowed": [0, 500],
        "status": ["PAID", "REJECTED"], "reason": [None, "R01"], "reasons": [[], ["R01"]],
        "funder": ["OGD", None],
    }
    rows.update(changes)
    return pl.DataFrame(rows, schema=LIQUIDATION_COLUMNS)


def test_sound_lines_pass():
    check_lines(_lines(), 0, 2)


def test_a_later_chunk_is_checked_against_its_own_rows():
    # The chunk of rows 11 and 12 (offset 10): in order there; out of order for the first chunk.
    check_lines(_lines(row_id=[11, 12]), 10, 2)
    with pytest.raises(InvariantError, match="ordre"):
        check_lines(_lines(row_id=[11, 12]), 0, 2)


@pytest.mark.parametrize("changes, words", [
    ({"payable": [701, 0]}, "Conservation"),            # 1000 ≠ 701 + 300 + 0
    ({"row_id": [2, 1]}, "ordre"),                       # not in file order
    ({"status": ["PAYÉ", "REJECTED"]}, "contrat"),       # not an enum value (pandera)
    ({"copay": [-1, 0], "disallowed": [1, 500]}, "Conservation"),  # negative amount
])
def test_broken_lines_raise_exit_4(changes, words):
    with pytest.raises(InvariantError) as err:
        check_lines(_lines(**changes), 0, 2)
    assert err.value.exit_code == 4 and words in err.value.message


def test_row_count_must_match_input():
    with pytest.raises(InvariantError, match="2 lignes liquidées pour 3"):
        check_lines(_lines(), 0, 3)


def test_orders_must_carry_the_payable():
    orders = pl.DataFrame({"order_no": ["OP-1"], "payable": [699]})
    with pytest.raises(InvariantError, match=r"\(699\) ≠ total payable des lignes \(700\)"):
        check_orders(_lines().lazy(), orders)


def _batch(write_batch, folder, providers=None):
    return write_batch(folder, "latin1",
                       columns={"invoices": INVOICE_COLUMNS, "beneficiaries": BENEFICIARY_COLUMNS,
                                "providers": PROVIDER_COLUMNS},
                       beneficiaries=DEFAULT_BENEFICIARIES,
                       providers=providers or [prov("P-CSCOM", "CSCOM")],
                       invoices=[line(invoice_id="F1", line_no=1),
                                 line(invoice_id="F1", line_no=2, beneficiary_id="NOBODY")])


def test_cli_invariant_failure_exits_4_and_writes_nothing(tmp_path, tariff_dir, write_batch, monkeypatch):
    """A bug that loses one franc in the payment orders: exit 4, no output folder, no temp left."""
    real = orders_module.payment_orders

    def losing_a_franc(*args, **kwargs):
        orders = real(*args, **kwargs)
        return orders.with_columns(pl.col("payable") - 1)

    monkeypatch.setattr("ramu_cli.commands.liquidate.payment_orders", losing_a_franc)
    runs = tmp_path / "runs"
    runs.mkdir()
    result = invoke(liquidate_args(_batch(write_batch, tmp_path / "lot"), runs / "out", tariff_dir))
    assert result.exit_code == 4, explain(result)
    assert list(runs.iterdir()) == []


def test_hostile_provider_name_is_inert_everywhere(tmp_path, tariff_dir, write_batch):
    batch = _batch(write_batch, tmp_path / "lot", [prov("P-CSCOM", "CSCOM", name=HOSTILE_NAME)])
    out = tmp_path / "out"
    result = invoke(liquidate_args(batch, out, tariff_dir))
    assert result.exit_code == 0, explain(result)

    # HTML: the name is text, never a tag.
    for html in [*sorted((out / "payment_orders").glob("*.html")), *sorted((out / "rejections").glob("*.html"))]:
        text = html.read_text(encoding="utf-8")
        assert "<script>alert(1)</script>" not in text
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, html.name

    # CSV: the cell starts with an apostrophe, so a spreadsheet shows it as text.
    orders_csv = pl.read_csv(out / "payment_orders.csv", separator=";", encoding="windows-1252",
                             infer_schema=False)
    assert orders_csv["provider_name"].to_list() == ["'" + HOSTILE_NAME]
    rejections_csv = pl.read_csv(out / "rejections.csv", separator=";", encoding="windows-1252",
                                 infer_schema=False)
    assert rejections_csv["provider_name"].to_list() == ["'" + HOSTILE_NAME]

    # XLSX read back: the same neutralised text, as a string cell.
    sheet = pl.read_excel(out / "payment_orders.xlsx", engine="calamine")
    assert sheet["Prestataire"].to_list()[0] == "'" + HOSTILE_NAME
