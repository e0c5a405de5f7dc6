"""`ramu remittances` end to end: real files in, run folder out (remittance-rules.md).

Policy of the `tariff_dir` fixture (tests/conftest.py): deadline 15 days after
the last day of the later of (period month, collection month); penalty
5 % (500 bp) + 1.5 % (150 bp) per started month of delay, half up.
Audit date: --as-of 2026-12-31.

The hand-computed batch (CONTRIB / TRANSFERS below):

CMSS 2026-09
  E1 due 100 000, collected 100 000 on 20/09/2026 → deadline 30/09 + 15 = 15/10/2026
  E2 due  50 000, collected  30 000 on 05/10/2026 → later month is October:
                                                  31/10 + 15 = 15/11/2026
  E3 due  20 000, collected 0
  due 170 000, collected 130 000; rate (130 000×1000 + 85 000) // 170 000 = 765 → 76.5 %
  obligations: O1 [0, 100 000) D=15/10 ; O2 [100 000, 130 000) D=15/11
  transfers:   T1 80 000 on 10/10 [0, 80 000) ; T2 40 000 on 20/11 [80 000, 120 000)
  chunks:
    O1∩T1  80 000 paid 10/10, on time                                 → 0
    O1∩T2  20 000 paid 20/11: 36 days late (16/10…20/11), ceil(36/30)=2 months,
           800 bp → (20 000×800 + 5 000) // 10 000                    → 1 600
    O2∩T2  20 000 paid 20/11: 5 days late, 1 month, 650 bp
           → (20 000×650 + 5 000) // 10 000                           → 1 300
    O2     10 000 unpaid: as_of 31/12 − 15/11 = 46 days, 2 months, 800 bp
           → (10 000×800 + 5 000) // 10 000                           →   800
  remitted 120 000 (on time 80 000, late 40 000), outstanding 10 000,
  excess 0, max_days_late 46, penalty 3 700

INPS 2026-10
  E4 due 60 000, collected 60 000 on 31/10 → D = 15/11/2026
  T3 70 000 on 15/11 (on the deadline: on time) → chunk 60 000, excess 10 000
  T4  5 000 on 05/01/2027, after as_of → does not exist for the audit
  rate 100.0, remitted 60 000 on time, outstanding 0, excess 10 000, penalty 0

INPS 2026-11
  E5 due 40 000, collected 40 000 on 10/12/2026 → D = 31/12 + 15 = 15/01/2027
  no transfer: unpaid chunk 40 000, as_of ≤ D so 0 days late, no penalty
  outstanding 40 000

UTM 2026-08 — transfers only
  T5 25 000 on 01/09/2026 → all excess; due 0 so collection_rate null

Totals: due 170 000 + 60 000 + 40 000 = 270 000; collected 130 000 + 60 000 +
40 000 = 230 000; remitted 120 000 + 60 000 = 180 000; outstanding 10 000 +
40 000 = 50 000; excess 10 000 + 25 000 = 35 000; penalty 3 700.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from ramu_cli.cli import app

NBSP = "\u00a0"
AS_OF = "2026-12-31"
D = date

CONTRIB_COLUMNS = ["ogd", "period", "contributor_id", "amount_due", "amount_collected",
                   "collection_date"]
TRANSFER_COLUMNS = ["transfer_id", "ogd", "period", "amount", "value_date"]

CONTRIB = [
    dict(ogd="CMSS", period="2026-09", contributor_id="E1", amount_due=100000,
         amount_collected=100000, collection_date=D(2026, 9, 20)),
    dict(ogd="CMSS", period="2026-09", contributor_id="E2", amount_due=50000,
         amount_collected=30000, collection_date=D(2026, 10, 5)),
    dict(ogd="CMSS", period="2026-09", contributor_id="E3", amount_due=20000,
         amount_collected=0, collection_date=None),
    dict(ogd="INPS", period="2026-10", contributor_id="E4", amount_due=60000,
         amount_collected=60000, collection_date=D(2026, 10, 31)),
    dict(ogd="INPS", period="2026-11", contributor_id="E5", amount_due=40000,
         amount_collected=40000, collection_date=D(2026, 12, 10)),
]
TRANSFERS = [
    dict(transfer_id="T1", ogd="CMSS", period="2026-09", amount=80000, value_date=D(2026, 10, 10)),
    dict(transfer_id="T2", ogd="CMSS", period="2026-09", amount=40000, value_date=D(2026, 11, 20)),
    dict(transfer_id="T3", ogd="INPS", period="2026-10", amount=70000, value_date=D(2026, 11, 15)),
    dict(transfer_id="T4", ogd="INPS", period="2026-10", amount=5000, value_date=D(2027, 1, 5)),
    dict(transfer_id="T5", ogd="UTM", period="2026-08", amount=25000, value_date=D(2026, 9, 1)),
]

EXPECTED_TOTALS = {"due": 270000, "collected": 230000, "remitted": 180000,
                   "outstanding": 50000, "excess": 35000, "penalty": 3700}

# (ogd, period, due, collected, collection_rate, remitted, remitted_on_time,
#  remitted_late, outstanding, excess, max_days_late, penalty) — see the docstring.
EXPECTED_PERIODS = [
    ("CMSS", "2026-09", 170000, 130000, 76.5, 120000, 80000, 40000, 10000, 0, 46, 3700),
    ("INPS", "2026-10", 60000, 60000, 100.0, 60000, 60000, 0, 0, 10000, 0, 0),
    ("INPS", "2026-11", 40000, 40000, 100.0, 0, 0, 0, 40000, 0, 0, 0),
    ("UTM", "2026-08", 0, 0, None, 0, 0, 0, 0, 25000, 0, 0),
]
PERIOD_COLUMNS = ["ogd", "period", "due", "collected", "collection_rate", "remitted",
                  "remitted_on_time", "remitted_late", "outstanding", "excess",
                  "max_days_late", "penalty"]

# (ogd, period, deadline, amount, transfer_id, value_date, days_late, penalty)
EXPECTED_CHUNKS = [
    ("CMSS", "2026-09", D(2026, 10, 15), 80000, "T1", D(2026, 10, 10), 0, 0),
    ("CMSS", "2026-09", D(2026, 10, 15), 20000, "T2", D(2026, 11, 20), 36, 1600),
    ("CMSS", "2026-09", D(2026, 11, 15), 20000, "T2", D(2026, 11, 20), 5, 1300),
    ("CMSS", "2026-09", D(2026, 11, 15), 10000, None, None, 46, 800),
    ("INPS", "2026-10", D(2026, 11, 15), 60000, "T3", D(2026, 11, 15), 0, 0),
    ("INPS", "2026-11", D(2027, 1, 15), 40000, None, None, 0, 0),
]

# Per OGD (sums of the periods above): collected, remitted, outstanding, excess, penalty.
EXPECTED_OGD = {
    "CMSS": dict(due=170000, collected=130000, remitted=120000, outstanding=10000,
                 excess=0, penalty=3700, collection_rate=76.5),
    "INPS": dict(due=100000, collected=100000, remitted=60000, outstanding=40000,
                 excess=10000, penalty=0, collection_rate=100.0),
    "UTM": dict(due=0, collected=0, remitted=0, outstanding=0, excess=25000, penalty=0,
                collection_rate=None),
}

OUTPUTS = ["manifest.json", "remittance_chunks.parquet", "remittances.parquet",
           "remittances.xlsx", "report.html"]


# --------------------------------------------------------------------------- #
# Helpers

def _cell(value, dialect: str) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y" if dialect == "latin1" else "%Y-%m-%d")
    if isinstance(value, int) and dialect == "latin1" and abs(value) >= 1000:
        return f"{value:,}".replace(",", " ")
    return str(value)


def write_table(path: Path, rows: list[dict], columns: list[str], fmt: str = "csv") -> Path:
    """rows as a real file: csv (UTF-8 ','), latin1 (cp1252 ';' dd/mm/yyyy '80 000'),
    xlsx or parquet (typed columns). Strings are written verbatim (bad values too)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt in ("csv", "latin1"):
        sep, enc = (";", "cp1252") if fmt == "latin1" else (",", "utf-8")
        lines = [sep.join(columns)]
        lines += [sep.join(_cell(r.get(c), fmt) for c in columns) for r in rows]
        target = path.with_suffix(".csv")
        target.write_bytes(("\r\n".join(lines) + "\r\n").encode(enc))
        return target
    schema = {c: (pl.Date if c in ("collection_date", "value_date") else
                  pl.Int64 if c in ("amount_due", "amount_collected", "amount") else pl.String)
              for c in columns}
    df = pl.DataFrame([{c: r.get(c) for c in columns} for r in rows], schema=schema, orient="row")
    if fmt == "xlsx":
        target = path.with_suffix(".xlsx")
        df.write_excel(target)
    else:
        target = path.with_suffix(".parquet")
        df.write_parquet(target)
    return target


def write_batch(batch: Path, contrib=CONTRIB, transfers=TRANSFERS, fmt: str = "csv",
                transfer_fmt: str | None = None) -> Path:
    write_table(batch / "contributions", contrib, CONTRIB_COLUMNS, fmt)
    write_table(batch / "remittances", transfers, TRANSFER_COLUMNS, transfer_fmt or fmt)
    return batch


def invoke(*args: object):
    return CliRunner().invoke(app, [str(a) for a in args])


def explain(result) -> str:
    return f"exit {result.exit_code}\nstdout: {result.stdout}\nstderr: {result.stderr}\n{result.exception!r}"


def flat(text: str) -> str:
    return " ".join(text.replace(NBSP, " ").split())


def run(batch: Path, out: Path, tariffs: Path, *extra: object):
    return invoke("remittances", batch, "--out", out, "--tariffs", tariffs, "--as-of", AS_OF,
                  *extra)


def assert_nothing_written(out: Path) -> None:
    assert not out.exists(), f"{out} should not exist"
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]
    assert leftovers == [], leftovers


# --------------------------------------------------------------------------- #
# The happy path

@pytest.mark.parametrize("fmt,transfer_fmt", [("csv", None), ("latin1", None),
                                               ("xlsx", None), ("parquet", None),
                                               ("parquet", "xlsx")])
def test_exact_figures(tmp_path, tariff_dir, fmt, transfer_fmt):
    batch = write_batch(tmp_path / "lot", fmt=fmt, transfer_fmt=transfer_fmt)
    out = tmp_path / "sortie"
    result = run(batch, out, tariff_dir)
    assert result.exit_code == 0, explain(result)

    assert sorted(p.name for p in out.iterdir()) == OUTPUTS
    periods = pl.read_parquet(out / "remittances.parquet")
    assert periods.columns == PERIOD_COLUMNS
    assert [tuple(r) for r in periods.iter_rows()] == EXPECTED_PERIODS
    chunks = pl.read_parquet(out / "remittance_chunks.parquet")
    assert chunks.columns == ["ogd", "period", "deadline", "amount", "transfer_id",
                              "value_date", "days_late", "penalty"]
    assert [tuple(r) for r in chunks.iter_rows()] == EXPECTED_CHUNKS

    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["command"] == "remittances"
    assert manifest["totals"] == EXPECTED_TOTALS
    assert manifest["as_of"] == AS_OF
    assert manifest["options"]["as_of"] == AS_OF
    assert {k: v["rows"] for k, v in manifest["inputs"].items()} == {
        "contributions": 5, "remittances": 5}
    assert manifest["outputs"]["remittances.parquet"]["rows"] == 4
    assert manifest["outputs"]["remittance_chunks.parquet"]["rows"] == 6
    assert sorted(manifest["outputs"]) == [o for o in OUTPUTS if o != "manifest.json"]
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "31/12/2026" in report and "CMSS" in report


def test_summary_on_stderr_in_french(tmp_path, tariff_dir):
    out = tmp_path / "sortie"
    result = run(write_batch(tmp_path / "lot"), out, tariff_dir)
    assert result.exit_code == 0, explain(result)
    assert result.stdout == ""
    err = flat(result.stderr)
    assert "31/12/2026" in err
    # CMSS: collected, remitted, outstanding, penalty
    assert "130 000 FCFA" in err and "120 000 FCFA" in err and "3 700 FCFA" in err
    assert "INPS" in err and "UTM" in err and "25 000 FCFA" in err


def test_json_equals_expected_totals(tmp_path, tariff_dir):
    out = tmp_path / "sortie"
    result = run(write_batch(tmp_path / "lot"), out, tariff_dir, "--json")
    assert result.exit_code == 0, explain(result)
    payload = json.loads(result.stdout)          # exactly one JSON object
    assert result.stdout.count("\n") == 1
    assert payload["as_of"] == AS_OF
    assert payload["totals"] == EXPECTED_TOTALS
    assert payload["out"] == str(out)
    assert sorted(payload["outputs"]) == OUTPUTS
    by_ogd = {r["ogd"]: r for r in payload["by_ogd"]}
    assert sorted(by_ogd) == ["CMSS", "INPS", "UTM"]
    for ogd, expected in EXPECTED_OGD.items():
        assert {k: by_ogd[ogd][k] for k in expected} == expected, ogd
    # The JSON says what the manifest says.
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert payload["totals"] == manifest["totals"]


def test_rerun_is_byte_identical(tmp_path, tariff_dir):
    batch = write_batch(tmp_path / "lot", fmt="parquet")
    first, second = tmp_path / "a", tmp_path / "b"
    for out in (first, second):
        result = run(batch, out, tariff_dir)
        assert result.exit_code == 0, explain(result)
    for name in OUTPUTS:
        if name == "manifest.json":
            continue
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    m1, m2 = (json.loads((o / "manifest.json").read_text(encoding="utf-8")) for o in (first, second))
    m1.pop("created_at"), m2.pop("created_at")
    assert m1 == m2


def test_rerun_replaces_earlier_run(tmp_path, tariff_dir):
    out = tmp_path / "sortie"
    assert run(write_batch(tmp_path / "lot"), out, tariff_dir).exit_code == 0
    # Second run on another batch (one transfer fewer) replaces the folder whole.
    batch2 = write_batch(tmp_path / "lot2", transfers=TRANSFERS[:-1])
    result = run(batch2, out, tariff_dir, "--json")
    assert result.exit_code == 0, explain(result)
    assert json.loads(result.stdout)["totals"]["excess"] == 10000   # UTM's 25 000 gone
    assert sorted(p.name for p in out.iterdir()) == OUTPUTS


def test_foreign_out_dir_is_refused(tmp_path, tariff_dir):
    out = tmp_path / "sortie"
    out.mkdir()
    (out / "notes.txt").write_text("à garder")
    result = run(write_batch(tmp_path / "lot"), out, tariff_dir)
    assert result.exit_code == 2, explain(result)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_xlsx_sheets_have_french_headings_and_totals(tmp_path, tariff_dir):
    out = tmp_path / "sortie"
    assert run(write_batch(tmp_path / "lot"), out, tariff_dir).exit_code == 0
    sheets = pl.read_excel(out / "remittances.xlsx", sheet_id=0, engine="calamine")
    assert list(sheets) == ["Par période", "Par OGD", "Tranches"]
    par_ogd = sheets["Par OGD"]
    assert "Cotisations encaissées" in par_ogd.columns and "Pénalités de retard" in par_ogd.columns
    assert par_ogd["OGD"].to_list() == ["CMSS", "INPS", "UTM", "Total"]
    assert par_ogd["Pénalités de retard"].to_list()[-1] == 3700
    assert par_ogd["Excédent versé"].to_list()[-1] == 35000
    assert sheets["Tranches"].height == len(EXPECTED_CHUNKS) + 1


def test_verify_accepts_the_run(tmp_path, tariff_dir):
    out = tmp_path / "sortie"
    assert run(write_batch(tmp_path / "lot"), out, tariff_dir).exit_code == 0
    result = invoke("verify", out)
    assert result.exit_code == 0, explain(result)


def test_as_of_defaults_to_today(tmp_path, tariff_dir):
    out = tmp_path / "sortie"
    result = invoke("remittances", write_batch(tmp_path / "lot"), "--out", out,
                    "--tariffs", tariff_dir, "--json")
    assert result.exit_code == 0, explain(result)
    today = date.today().isoformat()
    assert json.loads(result.stdout)["as_of"] == today
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["as_of"] == today


def test_as_of_excludes_later_transfers(tmp_path, tariff_dir):
    # At 2026-11-19, T2 (20/11) does not exist yet: CMSS 2026-09 has 80 000 remitted on
    # time; O1's remaining 20 000 is 35 days late (16/10…19/11) → 2 months, 800 bp → 1 600;
    # O2 (D=15/11) 30 000 unpaid, 4 days late → 1 month, 650 bp → 1 950.
    out = tmp_path / "sortie"
    result = invoke("remittances", write_batch(tmp_path / "lot"), "--out", out,
                    "--tariffs", tariff_dir, "--as-of", "2026-11-19", "--json")
    assert result.exit_code == 0, explain(result)
    periods = pl.read_parquet(out / "remittances.parquet")
    cmss = periods.filter(ogd="CMSS").row(0, named=True)
    assert (cmss["remitted"], cmss["outstanding"], cmss["penalty"]) == (80000, 50000, 3550)


# --------------------------------------------------------------------------- #
# Bad rows: exit 3, every bad row named with its file, nothing written

def _bad(tmp_path, tariff_dir, contrib=CONTRIB, transfers=TRANSFERS, fmt="csv"):
    batch = write_batch(tmp_path / "lot", contrib, transfers, fmt=fmt)
    out = tmp_path / "sortie"
    result = run(batch, out, tariff_dir)
    assert result.exit_code == 3, explain(result)
    assert_nothing_written(out)
    assert result.stdout == ""
    return flat(result.stderr)


def _with(rows, index, **changes):
    rows = [dict(r) for r in rows]
    rows[index].update(changes)
    return rows


def test_negative_amount(tmp_path, tariff_dir):
    err = _bad(tmp_path, tariff_dir, contrib=_with(CONTRIB, 1, amount_due="-50000"))
    assert "contributions.csv, ligne 2, colonne « amount_due »" in err
    assert "-50000" in err
    assert "rien n'a été écrit" in err


def test_collected_without_date(tmp_path, tariff_dir):
    err = _bad(tmp_path, tariff_dir, contrib=_with(CONTRIB, 3, collection_date=None))
    assert "contributions.csv, ligne 4, colonne « collection_date »" in err
    assert "sans date d'encaissement" in err


def test_anam(tmp_path, tariff_dir):
    err = _bad(tmp_path, tariff_dir, transfers=_with(TRANSFERS, 4, ogd="ANAM"))
    assert "remittances.csv, ligne 5, colonne « ogd »" in err
    assert "ANAM ne collecte pas" in err


def test_unknown_ogd(tmp_path, tariff_dir):
    err = _bad(tmp_path, tariff_dir, contrib=_with(CONTRIB, 0, ogd="CNSS"))
    assert "contributions.csv, ligne 1, colonne « ogd »" in err and "CNSS" in err


def test_unreadable_period(tmp_path, tariff_dir):
    err = _bad(tmp_path, tariff_dir, contrib=_with(CONTRIB, 2, period="sept. 2026"))
    assert "contributions.csv, ligne 3, colonne « period »" in err
    assert "sept. 2026" in err


def test_duplicate_transfer_id_lists_every_copy(tmp_path, tariff_dir):
    err = _bad(tmp_path, tariff_dir, transfers=_with(TRANSFERS, 2, transfer_id="T1"))
    assert "remittances.csv, ligne 1, colonne « transfer_id »" in err
    assert "remittances.csv, ligne 3, colonne « transfer_id »" in err


def test_every_bad_row_of_both_files_is_listed(tmp_path, tariff_dir):
    contrib = _with(CONTRIB, 0, amount_collected="-1")
    contrib = _with(contrib, 1, collection_date=None)
    contrib = _with(contrib, 4, period="2026-13")
    transfers = _with(TRANSFERS, 1, ogd="anam")
    transfers = _with(transfers, 3, transfer_id="T5")
    err = _bad(tmp_path, tariff_dir, contrib, transfers)
    expected = [
        "contributions.csv, ligne 1, colonne « amount_collected »",
        "contributions.csv, ligne 2, colonne « collection_date »",
        "contributions.csv, ligne 5, colonne « period »",
        "remittances.csv, ligne 2, colonne « ogd »",
        "remittances.csv, ligne 4, colonne « transfer_id »",
        "remittances.csv, ligne 5, colonne « transfer_id »",
    ]
    for text in expected:
        assert text in err, (text, err)
    assert "6 ligne(s) invalide(s)" in err
    # Contributions first, each file by row.
    positions = [err.index(t) for t in expected]
    assert positions == sorted(positions)


def test_bad_rows_in_json(tmp_path, tariff_dir):
    batch = write_batch(tmp_path / "lot", _with(CONTRIB, 1, amount_due="-5"))
    out = tmp_path / "sortie"
    result = run(batch, out, tariff_dir, "--json")
    assert result.exit_code == 3, explain(result)
    payload = json.loads(result.stdout)
    assert payload["exit_code"] == 3
    assert [(p["file"].endswith("contributions.csv"), p["row"], p["column"], p["value"])
            for p in payload["problems"]] == [(True, 2, "amount_due", "-5")]
    assert_nothing_written(out)


def test_bad_parquet_rows(tmp_path, tariff_dir):
    # Parquet with typed int columns: a negative amount is still a bad row.
    err = _bad(tmp_path, tariff_dir, transfers=_with(TRANSFERS, 0, amount=-80000), fmt="parquet")
    assert "remittances.parquet, ligne 1, colonne « amount »" in err


def test_failure_keeps_previous_run(tmp_path, tariff_dir):
    out = tmp_path / "sortie"
    assert run(write_batch(tmp_path / "lot"), out, tariff_dir).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    batch = write_batch(tmp_path / "lot2", _with(CONTRIB, 1, amount_due="-5"))
    result = run(batch, out, tariff_dir)
    assert result.exit_code == 3, explain(result)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".sortie.")] == []


# --------------------------------------------------------------------------- #
# Unusable input and wrong usage

def test_missing_remittances_file(tmp_path, tariff_dir):
    batch = tmp_path / "lot"
    write_table(batch / "contributions", CONTRIB, CONTRIB_COLUMNS)
    out = tmp_path / "sortie"
    result = run(batch, out, tariff_dir)
    assert result.exit_code == 3, explain(result)
    assert "remittances" in flat(result.stderr)
    assert_nothing_written(out)


def test_missing_column(tmp_path, tariff_dir):
    batch = tmp_path / "lot"
    write_table(batch / "contributions", CONTRIB, CONTRIB_COLUMNS[:-2])
    write_table(batch / "remittances", TRANSFERS, TRANSFER_COLUMNS)
    out = tmp_path / "sortie"
    result = run(batch, out, tariff_dir)
    assert result.exit_code == 3, explain(result)
    assert "amount_collected" in flat(result.stderr)
    assert_nothing_written(out)


@pytest.mark.parametrize("bad", ["31/12/2026", "2026-13-01", "demain"])
def test_as_of_bad_format(tmp_path, tariff_dir, bad):
    out = tmp_path / "sortie"
    result = invoke("remittances", write_batch(tmp_path / "lot"), "--out", out,
                    "--tariffs", tariff_dir, "--as-of", bad)
    assert result.exit_code == 2, explain(result)
    assert_nothing_written(out)


def test_help_is_french_with_example():
    result = invoke("remittances", "--help")
    assert result.exit_code == 0
    text = flat(result.stdout)
    assert "Exemple : ramu remittances" in text
    assert "--as-of" in text and "reversements" in text
