"""Signals through the real `ramu liquidate`: signals.csv, the report's section, nothing else changed.

The hand-built month is the known outlier of test_signals.py, as real invoice
files: six CSCOM providers of 32 lines each (one CONS × 1 at 1 000 FCFA per
beneficiary, all PAID at 700 FCFA), whose emergency lines number 0, 2, 2, 4,
4 and 16. Every other indicator is the same for all six (MAD 0, no flag), no
beneficiary sees more than one provider. By hand (see test_signals.py):
shares 0, 1/16, 1/16, 1/8, 1/8, 1/2; median 3/32 = 0.09375; MAD 1/32 =
0.03125; z(P6) = 0.6745 × 13 = 8.7685 > 3.5, so only P6 is flagged;
z(P4) = z(P5) = 0.6745.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import polars as pl
import pytest

from conftest import FIXTURE_POLICY, write_tariff_folder
from liq_helpers import (
    BENEFICIARY_COLUMNS,
    INVOICE_COLUMNS,
    PROVIDER_COLUMNS,
    ben,
    explain,
    invoke,
    line,
    liquidate_args,
    prov,
)

EMERGENCIES = [0, 2, 2, 4, 4, 16]
LINES = 32
HEADER = "rank;kind;id;name;level;indicator;label;value;peer_median;peer_mad;robust_z;peers;threshold;lines\r\n"
P6_ROW = ("1;provider;P6;CSCom numéro 6;CSCOM;share_emergency;Part des lignes en urgence;"
          "0,5;0,0938;0,0313;8,77;6;3,5;32\r\n")


def _month(write_batch, folder: Path) -> Path:
    providers, beneficiaries, invoices = [], [], []
    for p, emergencies in enumerate(EMERGENCIES, start=1):
        pid = f"P{p}"
        providers.append(prov(pid, "CSCOM", name=f"CSCom numéro {p}"))
        for i in range(LINES):
            bid = f"B{p}{i:02d}"
            beneficiaries.append(ben(bid))
            invoices.append(line(invoice_id=f"F{p}{i:02d}", line_no=1, provider_id=pid, beneficiary_id=bid,
                                 emergency=i < emergencies))
    return write_batch(folder, "utf8", columns={"invoices": INVOICE_COLUMNS, "beneficiaries": BENEFICIARY_COLUMNS,
                                                "providers": PROVIDER_COLUMNS},
                       beneficiaries=beneficiaries, providers=providers, invoices=invoices)


def _run(batch: Path, out: Path, tariffs: Path, *extra: str) -> dict:
    import json
    result = invoke([*liquidate_args(batch, out, tariffs), "--json", *extra])
    assert result.exit_code == 0, explain(result)
    return json.loads(result.stdout)


@pytest.fixture
def month_run(tmp_path, write_batch, tariff_dir):
    batch = _month(write_batch, tmp_path / "2026-10")
    summary = _run(batch, tmp_path / "out", tariff_dir)
    return batch, tmp_path / "out", summary


def test_liquidate_writes_signals_csv_with_exactly_the_outlier(month_run):
    _, out, summary = month_run
    lines = pl.read_parquet(out / "liquidation.parquet")
    assert lines.height == 6 * LINES and (lines["status"] == "PAID").all() and (lines["payable"] == 700).all()
    assert (out / "signals.csv").read_bytes().decode("cp1252") == HEADER + P6_ROW
    assert summary["signals"] == 1 and "signals.csv" in summary["outputs"]


def test_report_has_the_section_with_the_outlier(month_run):
    _, out, _ = month_run
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("<h2>Signaux à examiner</h2>") == 1
    assert "Un signal est une piste, pas une décision." in html
    nb = "\u00a0"
    # P6: 50 % of its lines as emergencies, its peers' median 9,375 % → 9,4 %, z 8,8, 6 peers, 32 lines.
    assert (f'<td class="num signal-value">50,0{nb}%</td><td class="num">9,4{nb}%</td>'
            '<td class="num">8,8</td><td class="num">6</td><td class="num">32</td>') in html
    assert "CSCom numéro 6" in html and html.count("<svg") >= 1
    assert "Aucun bénéficiaire n'a vu 4 prestataires ou plus" in html


def test_verify_passes_and_the_manifest_lists_signals(month_run):
    import json
    _, out, _ = month_run
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert "signals.csv" in json.dumps(manifest)
    result = invoke(["verify", out])
    assert result.exit_code == 0, explain(result)


def test_thresholds_change_signals_never_decisions_or_amounts(tmp_path, write_batch, month_run):
    batch, out, _ = month_run
    # z(P6) = 8.7685: above 8.7 it is flagged, above 8.8 nothing is.
    for z, expected in (("8.7", HEADER + P6_ROW.replace(";3,5;32", ";8,7;32")), ("8.8", HEADER)):
        policy = FIXTURE_POLICY + f"\n[signals]\nz_threshold = {z}\n"
        tariffs = write_tariff_folder(tmp_path / f"tarifs-{z}", policy=policy)
        other = tmp_path / f"out-{z}"
        _run(batch, other, tariffs)
        assert (other / "signals.csv").read_bytes().decode("cp1252") == expected
        assert (other / "liquidation.parquet").read_bytes() == (out / "liquidation.parquet").read_bytes()
        assert pl.read_parquet(other / "liquidation.parquet").equals(pl.read_parquet(out / "liquidation.parquet"))


def test_a_misspelt_signals_key_stops_the_run(tmp_path, write_batch):
    batch = _month(write_batch, tmp_path / "2026-10")
    tariffs = write_tariff_folder(tmp_path / "tarifs", policy=FIXTURE_POLICY + "\n[signals]\nz_treshold = 3\n")
    result = invoke(liquidate_args(batch, tmp_path / "out", tariffs))
    assert result.exit_code == 3, explain(result)
    assert "[signals] z_treshold" in result.stderr and not (tmp_path / "out").exists()


def _read_signals(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_bytes().decode("cp1252")), delimiter=";"))


def test_shipped_style_sample_flags_its_planted_abusers(tmp_path):
    """`ramu samples` (abusers on by default) at 3 000 lines, seed 2026: each abusive provider,
    found by comparing its lines with the same batch drawn with --no-abusers, is flagged by its
    indicator, and the beneficiaries made to see 7 providers are flagged."""
    for name, extra in (("planted", []), ("plain", ["--no-abusers"])):
        result = invoke(["samples", tmp_path / name / "2026-10", "--month", "2026-10", "--invoices", "3000",
                         "--seed", "2026", *extra])
        assert result.exit_code == 0, explain(result)
    planted = pl.read_parquet(tmp_path / "planted" / "2026-10" / "invoices.parquet")
    plain = pl.read_parquet(tmp_path / "plain" / "2026-10" / "invoices.parquet")
    assert planted.height == plain.height == 3000
    assert planted.select("invoice_id", "line_no", "provider_id").equals(plain.select("invoice_id", "line_no",
                                                                                     "provider_id"))

    def changed(column: str) -> set[str]:
        """Providers with lines whose `column` changed, on lines that kept their patient and act
        (a re-billed line changes all three)."""
        same = planted["beneficiary_id"].eq_missing(plain["beneficiary_id"]) & planted["act_code"].eq_missing(
            plain["act_code"])
        return set(planted.filter(same & planted[column].ne_missing(plain[column]))["provider_id"].to_list())

    result = invoke(["liquidate", tmp_path / "planted" / "2026-10", "--out", tmp_path / "run"])
    assert result.exit_code == 0, explain(result)
    rows = _read_signals(tmp_path / "run" / "signals.csv")
    flagged = {(r["indicator"], r["id"]) for r in rows if r["kind"] == "provider"}
    max_qty = changed("quantity")
    emergency = changed("emergency")
    assert len(max_qty) == 1 and len(emergency) == 1       # one provider each
    assert ("share_at_max_qty", max_qty.pop()) in flagged
    assert ("share_emergency", emergency.pop()) in flagged
    rebilled = [pid for pid, in (planted.filter(planted["beneficiary_id"].ne_missing(plain["beneficiary_id"]))
                                 .group_by("provider_id").len().sort("len", "provider_id", descending=[True, False])
                                 .select("provider_id").iter_rows())]
    assert ("lines_per_beneficiary", rebilled[0]) in flagged        # the provider re-billing most lines
    # Planting adds 7 providers to each of 3 beneficiaries; one may also have seen
    # another provider on its own lines, so at least 7, and no unplanted one comes near.
    seven = [r["id"] for r in rows if r["indicator"] == "distinct_providers" and int(r["value"]) >= 7]
    assert len(seven) == 3
