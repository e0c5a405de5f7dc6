"""`ramu samples`: five files, exact counts, byte-identical re-runs, contract-valid, realistic."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from ramu_cli import samples
from ramu_cli.cli import app
from ramu_cli.contract import (
    AUTHORIZATIONS,
    BATCH_TABLES,
    BENEFICIARIES,
    CONTRIBUTIONS,
    INVOICES,
    PROVIDERS,
    REMITTANCES,
)
from ramu_cli.io.readers import scan_table
from ramu_cli.liquidation.authorizations import load_authorizations
from ramu_cli.liquidation.pipeline import last_day_of_month, liquidate
from ramu_cli.liquidation.registry import load_registry
from ramu_cli.samples.dates import age_in_years, day_number
from ramu_cli.tariffs import default_tariff_folder, load_tariffs

ROLES = ("beneficiaries", "providers", "invoices", "contributions", "remittances", "authorizations")
LINES = 2000
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, ["samples", *args])


def make(folder: Path, fmt: str, seed: int = 11, lines: int = LINES, *extra: str) -> Path:
    result = run(str(folder), "--month", "2026-10", "--invoices", str(lines), "--seed", str(seed),
                 "--format", fmt, *extra)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""                     # nothing on stdout: the summary is on stderr
    assert "Anomalies injectées" in result.stderr
    return folder


@pytest.fixture(scope="module")
def batches(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("samples")
    return {fmt: make(base / fmt / "2026-10", fmt) for fmt in samples.FORMATS}


def typed(folder: Path, role: str) -> pl.DataFrame:
    path = next(folder.glob(f"{role}.*"))
    return scan_table(path, BATCH_TABLES[role]).typed().collect()


@pytest.mark.parametrize("fmt", samples.FORMATS)
def test_six_files_exact_counts(batches, fmt):
    folder = batches[fmt]
    # the five files, and the marker by which a later `ramu samples` recognises its own batch
    assert sorted(p.name for p in folder.iterdir()) == sorted([".ramu-samples.json",
                                                               *(f"{r}.{fmt}" for r in ROLES)])
    assert typed(folder, "invoices").height == LINES
    assert typed(folder, "beneficiaries").height == samples.default_beneficiaries(LINES) == 1000
    assert typed(folder, "providers").height == samples.default_providers(LINES) == 40
    assert typed(folder, "contributions").height == samples.default_contributors(LINES) * 12
    assert typed(folder, "remittances").height > 0


@pytest.mark.parametrize("fmt", samples.FORMATS)
def test_every_file_reads_under_its_contract(batches, fmt):
    folder = batches[fmt]
    for role, table in (("beneficiaries", BENEFICIARIES), ("providers", PROVIDERS),
                        ("contributions", CONTRIBUTIONS), ("remittances", REMITTANCES)):
        df = scan_table(next(folder.glob(f"{role}.*")), table).typed().collect()
        assert not df["cell_fault"].any(), role       # registry faults are logical, never unreadable
    inv = typed(folder, "invoices")
    # Only the injected R14 rows have unreadable or invalid cells.
    assert 0 < inv["cell_fault"].sum() < 0.02 * LINES
    ok = inv.filter(~pl.col("cell_fault"))
    assert (ok["quantity"] >= 1).all() and (ok["unit_price"] >= 0).all()
    in_month = ok.filter(pl.col("service_date").dt.strftime("%Y-%m") == "2026-10").height
    assert in_month > 0.97 * ok.height


def test_same_seed_same_bytes_other_seed_differs(batches, tmp_path):
    for fmt in ("parquet", "csv"):
        again = make(tmp_path / fmt / "2026-10", fmt)
        for role in ROLES:
            name = f"{role}.{fmt}"
            assert (again / name).read_bytes() == (batches[fmt] / name).read_bytes(), name
    other = make(tmp_path / "other" / "2026-10", "parquet", seed=12)
    for role in ("beneficiaries", "providers", "invoices", "contributions", "remittances"):
        name = f"{role}.parquet"
        assert (other / name).read_bytes() != (batches["parquet"] / name).read_bytes(), name


def test_json_summary_names_the_same_files(batches, tmp_path):
    """--json: one object on stdout with paths, row counts, seed and month; the files are
    those the same options write without it, byte for byte."""
    folder = tmp_path / "2026-10"
    result = run(str(folder), "--month", "2026-10", "--invoices", str(LINES), "--seed", "11",
                 "--format", "csv", "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""                     # no progress, no summary: stdout is the whole answer
    payload = json.loads(result.stdout)            # exactly one JSON document
    assert result.stdout.count("\n") == 1
    assert (payload["command"], payload["month"], payload["seed"], payload["format"]) == \
        ("samples", "2026-10", 11, "csv")
    assert payload["out_dir"] == str(folder)
    assert payload["files"] == {role: str(folder / f"{role}.csv") for role in ROLES}
    for role in ROLES:
        path = Path(payload["files"][role])
        assert path.read_bytes() == (batches["csv"] / path.name).read_bytes(), role
        assert typed(folder, role).height == payload["rows"][role], role
    assert payload["rows"]["invoices"] == LINES
    assert set(payload["faults"]) == set(samples.FAULT_CODES)
    assert payload["faulty_lines"] == sum(payload["faults"].values())
    invoice_ids = typed(folder, "invoices")["invoice_id"].drop_nulls().n_unique()
    assert payload["invoices"] == invoice_ids


def test_json_usage_errors_are_json_too(tmp_path):
    for args in ((str(tmp_path / "lot"),),                               # no month in the name
                 (str(tmp_path / "x"), "--month", "2026-13"),
                 (str(tmp_path / "2026-10"), "--invoices", str(samples.XLSX_MAX_LINES + 1), "--format", "xlsx")):
        result = run(*args, "--json")
        assert result.exit_code == 2, args
        payload = json.loads(result.stdout)
        assert payload["exit_code"] == 2 and payload["error"], args
    assert not (tmp_path / "2026-10").exists()


@pytest.mark.parametrize("fmt", ("csv", "xlsx", "parquet"))
def test_ids_keep_leading_zeros(batches, fmt):
    folder = batches[fmt]
    ben = typed(folder, "beneficiaries")["beneficiary_id"]
    assert ben.str.len_chars().eq(13).all() and ben.str.starts_with("0").any()
    prov = typed(folder, "providers")
    assert prov["provider_id"].str.len_chars().eq(8).all()
    assert prov["provider_id"].str.starts_with("0").any()
    assert prov["account_number"].str.len_chars().eq(12).all()
    assert prov["account_number"].str.starts_with("0").all()
    inv = typed(folder, "invoices")
    assert inv["provider_id"].drop_nulls().str.starts_with("0").any()
    assert inv["beneficiary_id"].drop_nulls().str.starts_with("0").any()


def test_csv_is_what_officers_send(batches):
    raw = (batches["csv"] / "invoices.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfinvoice_id;")  # UTF-8 BOM, so Excel shows accents right
    text = raw.decode("utf-8-sig")
    header, first = text.splitlines()[:2]
    assert header.split(";")[:3] == ["invoice_id", "line_no", "provider_id"]
    cells = dict(zip(header.split(";"), first.split(";"), strict=True))
    assert cells["service_date"][2] == "/" and cells["emergency"] in ("oui", "non")
    assert header.split(";")[-1] == "authorization_id"    # version 2: the prior authorization cited
    bens = (batches["csv"] / "beneficiaries.csv").read_text(encoding="utf-8")
    assert ";oui;" in bens or ";non;" in bens


def test_population_shares_and_families(batches):
    ben = typed(batches["parquet"], "beneficiaries")
    shares = ben["ogd"].value_counts(normalize=True)
    for ogd, expected in samples.OGD_SHARES.items():
        got = shares.filter(pl.col("ogd") == ogd)["proportion"][0]
        assert abs(got - expected) < 0.01, ogd
    rel = ben["relationship"]
    assert set(rel.unique()) == {"PRINCIPAL", "SPOUSE", "CHILD", "OF_RIGHT"}
    assert set(ben.filter(pl.col("relationship") == "OF_RIGHT")["ogd"].unique()) == {"ANAM"}
    anam = ben.filter(pl.col("ogd") == "ANAM")
    assert (anam["relationship"] == "CHILD").any()            # ANAM principals with dependants
    assert ben["student"].any() and ben["disabled"].any() and ben["rights_end"].is_not_null().any()
    # Registry anomalies: one duplicated id, one dependant whose principal is missing.
    assert ben["beneficiary_id"].is_duplicated().sum() == 2
    principals = set(ben.filter(pl.col("relationship") == "PRINCIPAL")["beneficiary_id"])
    deps = ben.filter(pl.col("relationship").is_in(["SPOUSE", "CHILD"]))
    assert (~deps["principal_id"].is_in(list(principals))).sum() == 1


def test_providers_every_level_and_convention_ends(batches):
    prov = typed(batches["parquet"], "providers")
    assert set(prov["level"]) == {"CSCOM", "CSREF", "HR", "EPH", "PRIVATE", "PHARMACY"}
    assert prov["level"].value_counts().sort("count")["level"][-1] == "CSCOM"
    assert prov["name"].str.starts_with("CSCOM de ").any()
    assert prov["bank_code"].str.contains(r"^ML\d{3}$").all()
    ended = prov.filter(pl.col("convention_end") < pl.date(2026, 10, 1))
    later = prov.filter(pl.col("convention_start") > pl.date(2026, 10, 31))
    assert ended.height >= 1 and later.height >= 1


def test_contributions_and_remittances(batches):
    contrib = typed(batches["csv"], "contributions")
    assert set(contrib["ogd"]) == {"CMSS", "INPS", "UTM"}        # ANAM collects nothing
    assert sorted(contrib["period"].unique()) == [f"{y}-{m:02d}" for y, m in
                                                  [(2025, 11), (2025, 12)] + [(2026, k) for k in range(1, 11)]]
    assert contrib["amount_due"].min() >= 50_000 and contrib["amount_due"].max() <= 5_000_000
    nothing = contrib.filter(pl.col("amount_collected") == 0)
    assert nothing.height and nothing["collection_date"].is_null().all()
    assert contrib.filter(pl.col("amount_collected") > 0)["collection_date"].is_not_null().all()
    assert (contrib["amount_collected"] < contrib["amount_due"]).any()
    rem = typed(batches["csv"], "remittances")
    assert set(rem["ogd"]) <= {"CMSS", "INPS", "UTM"}
    assert rem["transfer_id"].is_unique().all() and (rem["amount"] > 0).all()
    assert rem["transfer_id"].str.contains(r"^VIR-(CMSS|INPS|UTM)-\d{4}-\d{2}-\d{3}$").all()
    per_group = rem.group_by("ogd", "period").len()["len"]
    assert per_group.min() >= 1 and per_group.max() <= 3 + 1  # one to three transfers (+1 excess)


def test_invoices_priced_with_the_tariffs(batches):
    tariffs = load_tariffs(default_tariff_folder())
    inv = typed(batches["parquet"], "invoices").filter(~pl.col("cell_fault"))
    prov = typed(batches["parquet"], "providers").select("provider_id", "level")
    priced = (inv.join(prov, on="provider_id")
              .join(tariffs.prices.select("act_code", "level", "price", "valid_from", "valid_to"),
                    on=["act_code", "level"])
              .filter((pl.col("valid_from") <= pl.col("service_date"))
                      & (pl.col("valid_to").is_null() | (pl.col("valid_to") >= pl.col("service_date")))))
    assert priced.height > 0.9 * inv.height
    assert (priced["unit_price"] == priced["price"]).mean() > 0.9
    assert inv.group_by("invoice_id").len()["len"].max() > 1          # multi-line invoices


def test_every_fault_code_is_injected_at_realistic_rates(tmp_path):
    tariffs = load_tariffs(default_tariff_folder())
    # Planted abusers re-bill some clean lines with another invoice's content, which can make
    # or undo an R09 duplicate or an A01 cut: the exact count holds without them.
    options = samples.SampleOptions(month="2026-10", invoices=30_000, seed=3, fmt="parquet", abusers=False)
    result = samples.write_sample_batch(tmp_path, options, tariffs)
    assert set(result.faults) == set(samples.FAULT_CODES)
    assert all(n > 0 for n in result.faults.values()), result.faults
    assert 0.08 < result.faulty_lines / 30_000 < 0.12
    assert result.free_care_lines > 0

    # The team's liquidation finds exactly the injected codes (R13 needs a ledger: absent).
    day = last_day_of_month("2026-10")
    registry = load_registry(scan_table(result.files["beneficiaries"], BENEFICIARIES),
                             scan_table(result.files["providers"], PROVIDERS), day)
    authorizations = load_authorizations(scan_table(result.files["authorizations"], AUTHORIZATIONS))
    assert authorizations[1].is_empty()        # every authorization written is usable
    lines = liquidate(scan_table(result.files["invoices"], INVOICES), registry,
                      tariffs, None, day, authorizations[0], work=tmp_path).lines.collect()
    found = lines.select(pl.col("reasons").explode()).to_series().drop_nulls().value_counts()
    found = dict(zip(found["reasons"], found["count"], strict=True))
    assert found == {code: n for code, n in result.faults.items() if n}
    assert (lines["status"] != "PAID").sum() == result.faulty_lines


def test_xlsx_refused_above_the_limit(tmp_path):
    out = tmp_path / "2026-10"
    result = run(str(out), "--invoices", str(samples.XLSX_MAX_LINES + 1), "--format", "xlsx")
    assert result.exit_code == 2
    assert "XLSX" in result.stderr and "200\u00a0000 lignes" in result.stderr
    assert not out.exists()


def test_usage_errors(tmp_path):
    assert run(str(tmp_path / "lot"), "--invoices", "10").exit_code == 2      # no month
    assert run(str(tmp_path / "x"), "--month", "2026-13").exit_code == 2
    assert run(str(tmp_path / "x"), "--month", "2026-10", "--format", "json").exit_code == 2
    precious = tmp_path / "docs"
    precious.mkdir()
    (precious / "notes.txt").write_text("à garder")
    result = run(str(precious), "--month", "2026-10", "--invoices", "10")
    assert result.exit_code == 2 and (precious / "notes.txt").exists()


def test_month_from_folder_name_and_replacing_a_batch(tmp_path):
    out = tmp_path / "2026-03"
    assert run(str(out), "--invoices", "50", "--format", "csv").exit_code == 0
    assert run(str(out), "--invoices", "50").exit_code == 0          # a batch folder is replaced
    assert sorted(p.suffix for p in out.iterdir()) == [".json"] + [".parquet"] * 6   # .ramu-samples.json
    inv = typed(out, "invoices").filter(~pl.col("cell_fault"))
    assert (inv["submission_date"].dt.month() == 3).mean() > 0.9


def test_age_in_full_years():
    birth = np.array([day_number(d) for d in (date(2000, 2, 29), date(2010, 10, 15))])
    at = np.array([day_number(date(2001, 2, 28)), day_number(date(2026, 10, 14))])
    assert age_in_years(birth, at).tolist() == [0, 15]
    assert age_in_years(birth[:1], day_number(date(2001, 3, 1))).tolist() == [1]


def test_fault_table_names_where_each_code_is_made():
    """faults.py's table is how a newcomer finds "where is R07 injected": it must stay true."""
    import importlib
    import re

    from ramu_cli.samples import faults

    rows = {line.split()[0]: line for line in faults.__doc__.splitlines() if re.match(r"^[RA]\d\d\s", line)}
    assert set(rows) == {*samples.FAULT_CODES, "R13"}
    references = re.findall(r"\b([a-z_]+)\.([a-z_]+)\b", faults.__doc__.replace("ramu_cli.samples.", ""))
    assert len(references) >= len(samples.FAULT_CODES)
    for module, function in references:
        assert callable(getattr(importlib.import_module(f"ramu_cli.samples.{module}"), function)), (module, function)
