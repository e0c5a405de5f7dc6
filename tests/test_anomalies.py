"""Unusable registry rows are listed, one per fault, in the run's anomalies.csv."""

from __future__ import annotations

import json

import polars as pl

from liq_helpers import (
    BENEFICIARY_COLUMNS,
    DEFAULT_BENEFICIARIES,
    DEFAULT_PROVIDERS,
    INVOICE_COLUMNS,
    PROVIDER_COLUMNS,
    ben,
    explain,
    invoke,
    line,
    liquidate_args,
)


def test_registry_anomalies_are_listed(tmp_path, tariff_dir, write_batch):
    # DEFAULT_BENEFICIARIES fill data rows 1-8; the extra rows are 9, 10 and 11.
    extra = [ben("X1"), ben("X1"), ben("X3", rel="SPOUSE", principal="NOPE", sex="F")]
    batch = write_batch(tmp_path / "lot", "utf8",
                        columns={"invoices": INVOICE_COLUMNS, "beneficiaries": BENEFICIARY_COLUMNS,
                                 "providers": PROVIDER_COLUMNS},
                        beneficiaries=DEFAULT_BENEFICIARIES + extra, providers=DEFAULT_PROVIDERS,
                        invoices=[line(invoice_id="F1", line_no=1, beneficiary_id="X1")])
    out = tmp_path / "out"
    result = invoke(liquidate_args(batch, out, tariff_dir, extra=["--json"]))
    assert result.exit_code == 0, explain(result)
    assert json.loads(result.stdout)["anomalies"] == 3

    listed = pl.read_csv(out / "anomalies.csv", separator=";", encoding="windows-1252", infer_schema=False)
    source = str(batch / "beneficiaries.csv")
    assert listed.rows() == [
        (source, "9", "beneficiary_id", "X1", "identifiant en double dans le registre"),
        (source, "10", "beneficiary_id", "X1", "identifiant en double dans le registre"),
        (source, "11", "principal_id", "NOPE",
         "assuré principal absent, inutilisable ou qui n'est pas un PRINCIPAL"),
    ]
    # X1 is doubtful, so treated as absent: its line is rejected R01.
    assert pl.read_parquet(out / "liquidation.parquet")["reasons"].to_list() == [["R01"]]
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["outputs"]["anomalies.csv"]["rows"] == 3
