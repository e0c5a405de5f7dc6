"""Manifest, verify, ledger and commit, on real run folders written by hand.

Run 1 (month 2026-10), amounts computed by hand:

row | invoice/line | provider | benef. | act  | date       | status   | billed | allowed | payable | copay | disallowed
1   | INV1/1       | P001     | B001   | C001 | 2026-10-03 | PAID     | 2000   | 2000    | 1400    | 600   | 0
2   | INV1/2       | P001     | B001   | L010 | 2026-10-03 | REDUCED  | 3000   | 2000    | 1400    | 600   | 1000
3   | INV2/1       | P001     | B999   | C001 | 2026-10-05 | REJECTED | 2000   | 0       | 0       | 0     | 2000
4   | INV3/1       | P002     | B002   | C001 | 2026-10-07 | PAID     | 2500   | 2500    | 2500    | 0     | 0
5   | INV3/2       | P002     | B003   | L010 | 2026-10-07 | REJECTED | 1000   | 0       | 0       | 0     | 1000

Totals: 5 lines, 2 paid, 1 reduced, 2 rejected, billed 10 500, allowed 6 500,
payable 5 300, copay 1 200, disallowed 4 000 (5 300 + 1 200 + 4 000 = 10 500).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import polars as pl
import pytest
import typer
from typer.testing import CliRunner

from ramu_cli.commands import commit as commit_cmd
from ramu_cli.commands import ledger as ledger_cmd
from ramu_cli.commands import verify as verify_cmd
from ramu_cli.contract import LIQUIDATION_COLUMNS
from ramu_cli.errors import InputError, Problem
from ramu_cli.french import NBSP
from ramu_cli.io.writers import run_folder, write_csv, write_parquet
from ramu_cli.ledger import (
    LEDGER_COLUMNS,
    commit_run,
    ledger_lock,
    scan_ledger,
)
from ramu_cli.manifest import MANIFEST_VERSION, Manifest, build_manifest, sha256_file, write_manifest
from ramu_cli.run_check import check_run

D = date
RAMU = Path(sys.executable).parent / "ramu"

# (invoice_id, line_no, provider_id, beneficiary_id, ogd, act_code, service_date,
#  quantity, unit_price, tariff_price, allowed_qty, allowed, rate, payable, copay,
#  disallowed, status, reasons, funder)
RUN1 = [
    ("INV1", 1, "P001", "B001", "CMSS", "C001", D(2026, 10, 3), 1, 2000, 2000, 1, 2000, 70,
     1400, 600, 0, "PAID", [], "OGD"),
    ("INV1", 2, "P001", "B001", "CMSS", "L010", D(2026, 10, 3), 2, 1500, 1000, 2, 2000, 70,
     1400, 600, 1000, "REDUCED", ["A01"], "OGD"),
    ("INV2", 1, "P001", "B999", "CMSS", "C001", D(2026, 10, 5), 1, 2000, None, 0, 0, None,
     0, 0, 2000, "REJECTED", ["R01"], None),
    ("INV3", 1, "P002", "B002", "ANAM", "C001", D(2026, 10, 7), 1, 2500, 2500, 1, 2500, 100,
     2500, 0, 0, "PAID", [], "OGD"),
    ("INV3", 2, "P002", "B003", "ANAM", "L010", D(2026, 10, 7), 1, 1000, None, 0, 0, None,
     0, 0, 1000, "REJECTED", ["R10"], None),
]
RUN1_TOTALS = {"lines": 5, "paid": 2, "reduced": 1, "rejected": 2, "billed": 10500,
               "allowed": 6500, "payable": 5300, "copay": 1200, "disallowed": 4000}


def liquidation_frame(lines: list[tuple]) -> pl.DataFrame:
    rows = []
    for i, (inv, ln, prov, ben, ogd, act, day, qty, price, tariff, aqty, allowed, rate,
            payable, copay, disallowed, status, reasons, funder) in enumerate(lines, start=1):
        rows.append({
            "row_id": i, "invoice_id": inv, "line_no": ln, "provider_id": prov,
            "beneficiary_id": ben, "ogd": ogd, "act_code": act, "service_date": day,
            "submission_date": D(2026, 10, 20), "quantity": qty, "unit_price": price,
            "billed": qty * price, "tariff_price": tariff, "allowed_qty": aqty,
            "allowed": allowed, "rate_percent": rate, "payable": payable, "copay": copay,
            "disallowed": disallowed, "status": status,
            "reason": reasons[0] if reasons else None, "reasons": reasons, "funder": funder,
        })
    df = pl.DataFrame(rows, schema=LIQUIDATION_COLUMNS)
    # The fixture itself obeys the run invariant billed = payable + copay + disallowed.
    assert (df["billed"] == df["payable"] + df["copay"] + df["disallowed"]).all()
    return df


def make_run(base: Path, name: str, lines: list[tuple], month: str = "2026-10") -> Path:
    """A finished liquidate run folder: outputs written, then the manifest."""
    batch = base / f"batch-{name}"
    batch.mkdir()
    invoices = batch / "invoices.csv"
    invoices.write_text("invoice_id;line_no\n" + "".join(f"{t[0]};{t[1]}\n" for t in lines),
                        encoding="utf-8")
    df = liquidation_frame(lines)
    rejections = df.filter(pl.col("status") != "PAID").select(
        "row_id", "provider_id", "invoice_id", "line_no", "status", "reasons")
    out = base / name
    with run_folder(out) as tmp:
        write_parquet(df, tmp / "liquidation.parquet")
        write_csv(rejections, tmp / "rejections.csv")
        (tmp / "notices").mkdir()
        (tmp / "notices" / "P001.html").write_text("<p>Avis P001</p>\n", encoding="utf-8")
        (tmp / "report.html").write_text("<h1>Rapport</h1>\n", encoding="utf-8")
        totals = {
            "lines": df.height,
            **{k: int((df["status"] == s).sum())
               for k, s in (("paid", "PAID"), ("reduced", "REDUCED"), ("rejected", "REJECTED"))},
            **{c: int(df[c].sum()) for c in ("billed", "allowed", "payable", "copay",
                                              "disallowed")},
        }
        manifest = build_manifest(
            command="liquidate", tool_version="0.1.0",
            options={"month": month, "tariffs": Path("/opt/tarifs"), "ledger": None,
                     "liquidation_date": D(2026, 11, 2)},
            tariffs_digest="ab" * 32, inputs={"invoices": (invoices, len(lines))},
            folder=tmp, output_rows={"liquidation.parquet": df.height,
                                     "rejections.csv": rejections.height},
            totals=totals, extra={"anomalies": 0})
        write_manifest(manifest, tmp)
    return out


def load(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def edit_manifest(out: Path, change) -> None:
    """Change manifest.json by hand, as a person (or an attacker) with an editor would."""
    m = load(out)
    change(m)
    text = json.dumps(m, sort_keys=True, indent=2, ensure_ascii=False) + "\n"
    (out / "manifest.json").write_text(text, encoding="utf-8")


def verify_run(out: Path) -> list[str]:
    """The French description of every difference `check_run` (what `ramu verify` runs) finds."""
    return [str(p) for p in check_run(out).differences]


@pytest.fixture
def run1(tmp_path: Path) -> Path:
    return make_run(tmp_path, "run1", RUN1)


def cli_app() -> typer.Typer:
    app = typer.Typer(pretty_exceptions_show_locals=False)
    verify_cmd.register(app)
    commit_cmd.register(app)
    ledger_cmd.register(app)
    return app


runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(cli_app(), [str(a) for a in args])


def flat(text: str) -> str:
    """Console text with line wraps and no-break spaces flattened."""
    return " ".join(text.replace(NBSP, " ").split())


# --------------------------------------------------------------------------- #
# Manifest


def test_manifest_shape(run1: Path):
    m = load(run1)
    assert sorted(m) == ["anomalies", "command", "created_at", "inputs", "manifest_version",
                         "options", "outputs", "run_id", "tariffs_digest", "tool",
                         "tool_version", "totals"]
    assert m["tool"] == "ramu-cli" and m["tool_version"] == "0.1.0"
    assert m["command"] == "liquidate" and m["manifest_version"] == 1 and m["anomalies"] == 0
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", m["created_at"])
    assert m["options"] == {"month": "2026-10", "tariffs": "/opt/tarifs", "ledger": None,
                            "liquidation_date": "2026-11-02"}
    invoices = (run1.parent / "batch-run1" / "invoices.csv").resolve()
    assert m["inputs"] == {"invoices": {
        "path": invoices.as_posix(), "rows": 5,
        "sha256": hashlib.sha256(invoices.read_bytes()).hexdigest()}}
    assert list(m["outputs"]) == ["liquidation.parquet", "notices/P001.html", "rejections.csv",
                                  "report.html"]
    for name, rec in m["outputs"].items():
        assert rec["sha256"] == hashlib.sha256((run1 / name).read_bytes()).hexdigest()
    assert [m["outputs"][n]["rows"] for n in m["outputs"]] == [5, None, 3, None]
    assert m["totals"] == RUN1_TOTALS
    assert m["run_id"] == "2026-10-" + m["outputs"]["liquidation.parquet"]["sha256"][:12]
    assert Manifest.from_dict(m, run1 / "manifest.json").expected_run_id() == m["run_id"]
    text = (run1 / "manifest.json").read_bytes().decode("utf-8")
    assert text == json.dumps(m, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def test_manifest_same_inputs_same_bytes_but_created_at(tmp_path: Path):
    a, b = make_run(tmp_path, "a", RUN1), make_run(tmp_path, "b", RUN1)
    ma, mb = load(a), load(b)
    for m in (ma, mb):
        del m["created_at"]
        m["inputs"]["invoices"].pop("path")
    assert ma == mb
    for name in ma["outputs"]:
        assert (a / name).read_bytes() == (b / name).read_bytes()


def test_sha256_file(tmp_path: Path):
    p = tmp_path / "x.bin"
    p.write_bytes(b"abc")
    assert sha256_file(p) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_build_manifest_refuses_unknown_output_rows_and_reserved_extra(tmp_path: Path):
    (tmp_path / "a.csv").write_text("x\n")
    common = dict(command="validate", tool_version="0", options={}, tariffs_digest=None,
                  inputs={}, folder=tmp_path, totals={})
    with pytest.raises(ValueError):
        build_manifest(**common, output_rows={"b.csv": 1})
    with pytest.raises(ValueError):
        build_manifest(**common, output_rows={}, extra={"totals": {}})


def test_manifest_round_trip(run1: Path):
    m = load(run1)
    typed = Manifest.from_dict(m, run1 / "manifest.json")
    assert typed.manifest_version == MANIFEST_VERSION == 1
    assert typed.command == "liquidate" and typed.extra == {"anomalies": 0}
    assert typed.outputs["liquidation.parquet"].rows == 5
    assert typed.to_dict() == m


def test_manifest_of_a_newer_format_is_refused(run1: Path, tmp_path: Path):
    edit_manifest(run1, lambda m: m.update(manifest_version=2, tool_version="9.0.0"))
    with pytest.raises(InputError, match=re.escape("manifeste au format 2, écrit par ramu 9.0.0")) as err:
        check_run(run1)
    assert [p.code for p in err.value.problems] == ["manifest_version_unsupported"]
    for args in (("verify", run1, "--json"), ("commit", run1, "--ledger", tmp_path / "l", "--json")):
        result = invoke(*args)
        assert result.exit_code == 3
        payload = json.loads(result.stdout)
        assert payload["problems"][0]["code"] == "manifest_version_unsupported"
        assert "Mettez ramu à jour" in payload["error"]
    assert not (tmp_path / "l").exists()


@pytest.mark.parametrize("change, words", [
    (lambda m: m.pop("manifest_version"), "clé(s) absente(s) : manifest_version"),
    (lambda m: m.update(manifest_version="1"), "version de manifeste « 1 » invalide"),
    (lambda m: m["totals"].update(payable="5300"), "manifeste invalide"),
    (lambda m: m["outputs"]["report.html"].pop("sha256"), "manifeste invalide"),
])
def test_manifest_checked_on_read(run1: Path, change, words):
    edit_manifest(run1, change)
    with pytest.raises(InputError, match=re.escape(words)):
        check_run(run1)
    assert invoke("verify", run1).exit_code == 3


# --------------------------------------------------------------------------- #
# verify (check_run)


def test_verify_clean_run(run1: Path):
    assert verify_run(run1) == []


def test_verify_one_changed_byte_of_the_csv(run1: Path):
    csv = run1 / "rejections.csv"
    old = sha256_file(csv)
    data = bytearray(csv.read_bytes())
    data[-3] ^= 0x01
    csv.write_bytes(bytes(data))
    new = sha256_file(csv)
    assert verify_run(run1) == [
        f"rejections.csv : fichier modifié depuis l'écriture du manifeste (SHA-256 attendu "
        f"{old[:12]}…, trouvé {new[:12]}…) : ne l'utilisez pas, relancez la commande."]


def test_verify_missing_and_extra_files(run1: Path):
    (run1 / "notices" / "P001.html").unlink()
    (run1 / "notices" / "P002.html").write_text("intrus")
    assert verify_run(run1) == [
        "notices/P001.html : fichier de sortie manquant (inscrit au manifeste) : relancez la "
        "commande pour régénérer le dossier.",
        "notices/P002.html : fichier en trop, absent du manifeste : retirez-le ou relancez "
        "la commande."]


def test_verify_totals_tampering(run1: Path):
    edit_manifest(run1, lambda m: m["totals"].update(payable=5301))
    assert verify_run(run1) == [
        f"manifest.json : total « payable » : 5{NBSP}301 selon le manifeste, 5{NBSP}300 "
        "recalculé sur liquidation.parquet."]


def test_verify_checks_only_totals_present_in_the_manifest(run1: Path):
    # No row of run 1 is FREE_CARE: payable_free_care is 0; "orders" is not recomputable.
    edit_manifest(run1, lambda m: m["totals"].update(payable_free_care=0, orders=99))
    assert verify_run(run1) == []
    edit_manifest(run1, lambda m: m["totals"].update(payable_free_care=1))
    assert verify_run(run1) == [
        "manifest.json : total « payable_free_care » : 1 selon le manifeste, 0 recalculé sur "
        "liquidation.parquet."]
    edit_manifest(run1, lambda m: m["totals"].clear())
    assert verify_run(run1) == []


def test_verify_parquet_row_count_and_run_id_tampering(run1: Path):
    def change(m):
        m["outputs"]["liquidation.parquet"]["rows"] = 6
        m["run_id"] = "2026-10-000000000000"
    edit_manifest(run1, change)
    expected_id = "2026-10-" + sha256_file(run1 / "liquidation.parquet")[:12]
    assert verify_run(run1) == [
        "liquidation.parquet : 5 ligne(s) au lieu de 6 selon le manifeste.",
        f"manifest.json : identifiant d'exécution « 2026-10-000000000000 » incohérent "
        f"(attendu « {expected_id} ») : le manifeste a été modifié ; relancez la commande."]


def test_verify_changed_and_missing_input(run1: Path):
    invoices = (run1.parent / "batch-run1" / "invoices.csv").resolve()
    old = sha256_file(invoices)
    invoices.write_text("changed\n")
    new = sha256_file(invoices)
    assert verify_run(run1) == [
        f"{invoices} : fichier d'entrée (rôle « invoices ») modifié depuis l'exécution "
        f"(SHA-256 attendu {old[:12]}…, trouvé {new[:12]}…) : les sorties ne correspondent "
        "plus à ce fichier ; relancez la commande."]
    invoices.unlink()
    assert verify_run(run1) == [
        f"{invoices} : fichier d'entrée (rôle « invoices ») introuvable : son empreinte ne "
        "peut pas être vérifiée. Remettez-le à sa place pour vérifier le dossier."]


def test_verify_remittances_totals(tmp_path: Path):
    periods = pl.DataFrame({"ogd": ["CMSS", "INPS"], "period": ["2026-09", "2026-09"],
                            "due": [1000, 500], "collected": [900, 500],
                            "remitted": [800, 500], "outstanding": [100, 0],
                            "excess": [0, 20], "penalty": [45, 0]})
    write_parquet(periods, tmp_path / "remittances.parquet")
    m = build_manifest(command="remittances", tool_version="0.1.0",
                       options={"as_of": D(2026, 11, 1)}, tariffs_digest=None, inputs={},
                       folder=tmp_path, output_rows={"remittances.parquet": 2},
                       totals={"due": 1500, "collected": 1400, "remitted": 1300,
                               "outstanding": 100, "excess": 20, "penalty": 46})
    assert m.run_id is None and "run_id" not in m.to_dict()
    write_manifest(m, tmp_path)
    assert verify_run(tmp_path) == [
        "manifest.json : total « penalty » : 46 selon le manifeste, 45 recalculé sur "
        "remittances.parquet."]


def test_verify_without_folder_or_manifest_is_an_input_error(tmp_path: Path):
    with pytest.raises(InputError, match="n'existe pas"):
        verify_run(tmp_path / "absent")
    with pytest.raises(InputError, match="manifeste introuvable"):
        verify_run(tmp_path)


# --------------------------------------------------------------------------- #
# CLI verify


def test_cli_verify_ok(run1: Path):
    result = invoke("verify", run1)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    err = flat(result.stderr)
    assert "Dossier conforme à son manifeste" in err
    assert "rejections.csv" in err and "notices/P001.html" in err
    assert "Totaux recalculés : allowed, billed, copay, disallowed, lines, paid, payable, " \
           "reduced, rejected." in err


def test_cli_verify_json(run1: Path):
    result = invoke("verify", run1, "--json")
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["status"] == "ok" and payload["differences"] == []
    assert payload["run_id"] == load(run1)["run_id"]
    assert [f["file"] for f in payload["files"]][:4] == [
        "liquidation.parquet", "notices/P001.html", "rejections.csv", "report.html"]
    assert all(f["ok"] for f in payload["files"])


def test_cli_verify_differences_exit_3(run1: Path):
    (run1 / "report.html").unlink()
    result = invoke("verify", run1)
    assert result.exit_code == 3
    err = flat(result.stderr)
    assert "ne correspond pas à son manifeste : 1 différence(s)" in err
    assert "report.html : fichier de sortie manquant" in err
    result = invoke("verify", run1, "--json")
    assert result.exit_code == 3
    payload = json.loads(result.stdout)
    assert payload["exit_code"] == 3
    assert [p["file"] for p in payload["problems"]] == ["report.html"]


def test_cli_verify_missing_folder_exit_3(tmp_path: Path):
    assert invoke("verify", tmp_path / "absent").exit_code == 3


# --------------------------------------------------------------------------- #
# Ledger and commit

def parquet_files(ledger: Path) -> list[str]:
    return sorted(p.name for p in ledger.iterdir() if p.name.endswith(".parquet"))


def test_commit_twice_adds_once(run1: Path, tmp_path: Path):
    ledger = tmp_path / "registre"        # created by commit
    rid = load(run1)["run_id"]
    first = commit_run(run1, ledger)
    assert (first.run_id, first.added_lines, first.already_committed) == (rid, 3, False)
    assert first.path == ledger / f"{rid}.parquet"
    content = first.path.read_bytes()
    second = commit_run(run1, ledger)
    assert (second.run_id, second.added_lines, second.already_committed) == (rid, 0, True)
    assert parquet_files(ledger) == [f"{rid}.parquet"]
    assert sorted(os.listdir(ledger)) == [".lock", f"{rid}.parquet", "ledger.jsonl"]
    assert first.path.read_bytes() == content
    # One journal line, written once: 3 lines, 1 400 + 1 400 + 2 500 = 5 300 F, first of the chain.
    digest = hashlib.sha256(content).hexdigest()
    assert (ledger / "ledger.jsonl").read_bytes() == (
        f'{{"run_id":"{rid}","file":"{rid}.parquet","sha256":"{digest}","rows":3,"payable":5300,'
        '"prev":""}\n').encode()
    assert stat.S_IMODE(first.path.stat().st_mode) == 0o444   # never rewritten
    df = pl.read_parquet(first.path)
    assert df.columns == LEDGER_COLUMNS
    assert df.rows() == [
        ("P001", "INV1", 1, "B001", "C001", D(2026, 10, 3), "CMSS", 1, 1400, rid),
        ("P001", "INV1", 2, "B001", "L010", D(2026, 10, 3), "CMSS", 2, 1400, rid),
        ("P002", "INV3", 1, "B002", "C001", D(2026, 10, 7), "ANAM", 1, 2500, rid),
    ]
    assert dict(df.schema) == {"provider_id": pl.String, "invoice_id": pl.String,
                               "line_no": pl.Int64, "beneficiary_id": pl.String,
                               "act_code": pl.String, "service_date": pl.Date,
                               "ogd": pl.String, "allowed_qty": pl.Int64, "payable": pl.Int64,
                               "run_id": pl.String}


def test_cli_commit_twice(run1: Path, tmp_path: Path):
    ledger = tmp_path / "registre"
    rid = load(run1)["run_id"]
    result = invoke("commit", run1, "--ledger", ledger)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert f"Exécution « {rid} » enregistrée : 3 lignes ajoutées au registre" in flat(
        result.stderr)
    result = invoke("commit", run1, "--ledger", ledger, "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "status": "already_committed", "run_id": rid, "added_lines": 0,
        "already_committed": True, "upgraded": False, "path": str(ledger / f"{rid}.parquet"),
        "ledger": str(ledger)}
    result = invoke("commit", run1, "--ledger", ledger)
    assert result.exit_code == 0
    assert "déjà enregistrée au registre" in flat(result.stderr)
    assert parquet_files(ledger) == [f"{rid}.parquet"]


def test_commit_requires_ledger_option(run1: Path):
    assert invoke("commit", run1).exit_code == 2


def test_commit_refuses_a_tampered_run(run1: Path, tmp_path: Path):
    edit_manifest(run1, lambda m: m["totals"].update(payable=9999))
    ledger = tmp_path / "registre"
    result = invoke("commit", run1, "--ledger", ledger)
    assert result.exit_code == 3
    assert "total « payable »" in flat(result.stderr)
    assert not ledger.exists() or parquet_files(ledger) == []


def test_commit_refuses_a_remittances_run(tmp_path: Path):
    write_parquet(pl.DataFrame({"due": [1]}), tmp_path / "remittances.parquet")
    write_manifest(build_manifest(command="remittances", tool_version="0", options={},
                                  tariffs_digest=None, inputs={}, folder=tmp_path,
                                  output_rows={}, totals={}), tmp_path)
    with pytest.raises(InputError, match="pas de « ramu liquidate »") as err:
        commit_run(tmp_path, tmp_path / "registre")
    assert err.value.exit_code == 3


def test_commit_refuses_a_line_key_already_committed(run1: Path, tmp_path: Path):
    ledger = tmp_path / "registre"
    rid1 = commit_run(run1, ledger).run_id
    # Row 2 of run 2 reuses run 1's line key P001/INV1/1 (other patient, other day).
    run2 = make_run(tmp_path, "run2", [
        ("INV7", 1, "P003", "B010", "INPS", "C001", D(2026, 11, 2), 1, 2000, 2000, 1, 2000, 70,
         1400, 600, 0, "PAID", [], "OGD"),
        ("INV1", 1, "P001", "B020", "CMSS", "C002", D(2026, 11, 4), 1, 3000, 3000, 1, 3000, 70,
         2100, 900, 0, "PAID", [], "OGD"),
    ], month="2026-11")
    with pytest.raises(InputError) as err:
        commit_run(run2, ledger)
    assert err.value.exit_code == 3
    assert err.value.problems == [Problem(
        "liquidation.parquet",
        f"clé de ligne déjà enregistrée au registre par "
        f"l'exécution « {rid1} » (fichier {rid1}.parquet)",
        column="provider_id, invoice_id, line_no", row=2, value="P001 / INV1 / 1",
        code="already_in_ledger")]
    result = invoke("commit", run2, "--ledger", ledger)
    assert result.exit_code == 3
    err_text = flat(result.stderr)
    assert "1 ligne(s) déjà enregistrée(s) au registre" in err_text
    assert "liquidation.parquet, ligne 2, colonne « provider_id, invoice_id, line_no » : " \
           f"clé de ligne déjà enregistrée au registre par " \
           f"l'exécution « {rid1} »" in err_text
    assert parquet_files(ledger) == [f"{rid1}.parquet"]


def test_commit_refuses_a_duplicate_key_already_committed(run1: Path, tmp_path: Path):
    ledger = tmp_path / "registre"
    rid1 = commit_run(run1, ledger).run_id
    # New line key P001/INV9/1, same (B001, P001, C001, 2026-10-03) as run 1's row 1.
    run2 = make_run(tmp_path, "run2", [
        ("INV9", 1, "P001", "B001", "CMSS", "C001", D(2026, 10, 3), 1, 2000, 2000, 1, 2000, 70,
         1400, 600, 0, "PAID", [], "OGD"),
    ], month="2026-11")
    with pytest.raises(InputError) as err:
        commit_run(run2, ledger)
    assert err.value.problems == [Problem(
        "liquidation.parquet",
        f"clé de doublon déjà enregistrée au registre par l'exécution « {rid1} » "
        f"(fichier {rid1}.parquet)",
        column="beneficiary_id, provider_id, act_code, service_date", row=1,
        value="B001 / P001 / C001 / 2026-10-03", code="already_in_ledger")]
    result = invoke("commit", run2, "--ledger", ledger, "--json")
    assert result.exit_code == 3
    payload = json.loads(result.stdout)
    assert [(p["row"], p["value"]) for p in payload["problems"]] == [
        (1, "B001 / P001 / C001 / 2026-10-03")]
    assert parquet_files(ledger) == [f"{rid1}.parquet"]


def test_rejected_line_resent_next_month_commits(run1: Path, tmp_path: Path):
    ledger = tmp_path / "registre"
    rid1 = commit_run(run1, ledger).run_id
    # Run 1's REJECTED row 3 (P001/INV2/1, B999) corrected and paid in run 2.
    run2 = make_run(tmp_path, "run2", [
        ("INV2", 1, "P001", "B999", "CMSS", "C001", D(2026, 10, 5), 1, 2000, 2000, 1, 2000, 70,
         1400, 600, 0, "PAID", [], "OGD"),
    ], month="2026-11")
    second = commit_run(run2, ledger)
    assert (second.added_lines, second.already_committed) == (1, False)
    rid2 = second.run_id
    assert rid2.startswith("2026-11-") and rid2 != rid1
    assert parquet_files(ledger) == sorted([f"{rid1}.parquet", f"{rid2}.parquet"])

    union = scan_ledger(ledger)
    assert union is not None and union.collect_schema().names() == LEDGER_COLUMNS
    got = union.collect().sort("run_id", "provider_id", "invoice_id", "line_no")
    expected = sorted([
        ("P001", "INV1", 1, "B001", "C001", D(2026, 10, 3), "CMSS", 1, 1400, rid1),
        ("P001", "INV1", 2, "B001", "L010", D(2026, 10, 3), "CMSS", 2, 1400, rid1),
        ("P002", "INV3", 1, "B002", "C001", D(2026, 10, 7), "ANAM", 1, 2500, rid1),
        ("P001", "INV2", 1, "B999", "C001", D(2026, 10, 5), "CMSS", 1, 1400, rid2),
    ], key=lambda r: (r[9], r[0], r[1], r[2]))
    assert got.rows() == expected


def test_scan_ledger_edges(tmp_path: Path):
    assert scan_ledger(None) is None
    with pytest.raises(InputError, match="n'existe pas") as err:
        scan_ledger(tmp_path / "absent")
    assert err.value.exit_code == 3
    ledger = tmp_path / "registre"
    ledger.mkdir()
    assert scan_ledger(ledger) is None
    (ledger / ".lock").touch()
    (ledger / ".x.parquet").write_bytes(b"temporary, ignored")
    assert scan_ledger(ledger) is None
    bad = ledger / "2026-10-abcdefabcdef.parquet"
    bad.write_bytes(b"not parquet at all")
    with pytest.raises(InputError) as err:
        scan_ledger(ledger)
    assert str(bad) in err.value.message and err.value.exit_code == 3
    bad.unlink()
    write_parquet(pl.DataFrame({"provider_id": ["P001"]}), ledger / "2026-10-x.parquet")
    with pytest.raises(InputError, match="colonne") as err:
        scan_ledger(ledger)
    assert [p.column for p in err.value.problems] == LEDGER_COLUMNS[1:]


def test_two_commits_at_once_only_one_writes(tmp_path: Path):
    """Two real `ramu commit` processes, two runs sharing a line key: exactly one wins."""
    run_a = make_run(tmp_path, "runA", RUN1[:2])
    run_b = make_run(tmp_path, "runB", [RUN1[0]], month="2026-11")
    ledger = tmp_path / "registre"
    ledger.mkdir()
    env = {**os.environ, "COLUMNS": "200"}
    with ledger_lock(ledger):   # both processes start while the lock is held
        procs = [subprocess.Popen([str(RAMU), "commit", str(run), "--ledger", str(ledger),
                                   "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  env=env)
                 for run in (run_a, run_b)]
        time.sleep(1.5)
        assert [p.poll() for p in procs] == [None, None]   # both wait for the lock
        assert parquet_files(ledger) == []
    outs = [p.communicate(timeout=60) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 3], outs
    winner = next(json.loads(o) for (o, _), p in zip(outs, procs, strict=False) if p.returncode == 0)
    loser = next(json.loads(o) for (o, _), p in zip(outs, procs, strict=False) if p.returncode == 3)
    assert parquet_files(ledger) == [f"{winner['run_id']}.parquet"]
    assert [(p["row"], p["value"]) for p in loser["problems"]] == [
        (1, "P001 / INV1 / 1"), (1, "B001 / P001 / C001 / 2026-10-03")]
