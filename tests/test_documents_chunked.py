"""`liquidate --no-documents` and documents written a chunk of providers at a time.

The shipped sample (3 000 lines, dozens of providers with rejected or reduced
lines) is liquidated through the real command; a run with a forced chunk of
a few providers must write exactly the files of the default run, byte for byte.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from ramu_cli.cli import app

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "2026-10"
TARIFFS = ROOT / "tariffs"
DATA_FILES = {"liquidation.parquet", "payment_orders.csv", "rejections.csv", "anomalies.csv", "manifest.json"}


def _liquidate(out: Path, *extra: str) -> dict:
    result = CliRunner().invoke(app, ["liquidate", str(SAMPLE), "--out", str(out), "--tariffs", str(TARIFFS),
                                      "--json", *extra])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _files(folder: Path) -> dict[str, bytes]:
    """Every file of a run folder (relative path -> bytes); the manifest without its timestamp and folder."""
    files = {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.name == "manifest.json":
            doc = json.loads(data)
            doc.pop("created_at", None)
            data = json.dumps(doc, sort_keys=True).replace(str(folder), "OUT").encode()
        files[str(path.relative_to(folder))] = data
    return files


def test_no_documents_writes_the_data_files_only_and_verify_accepts_them(tmp_path: Path) -> None:
    full, bare = tmp_path / "full", tmp_path / "bare"
    _liquidate(full)
    summary = _liquidate(bare, "--no-documents")
    assert {p.name for p in bare.iterdir()} == DATA_FILES
    assert set(summary["outputs"]) == DATA_FILES - {"manifest.json"}
    for name in DATA_FILES - {"manifest.json"}:
        assert (bare / name).read_bytes() == (full / name).read_bytes(), name
    manifest = json.loads((bare / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["options"]["documents"] is False
    assert "documents" not in json.loads((full / "manifest.json").read_text(encoding="utf-8"))["options"]
    verified = CliRunner().invoke(app, ["verify", str(bare), "--json"])
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout)["differences"] == []


@pytest.mark.parametrize("chunk", ["1", "3"])
def test_notices_written_by_chunks_equal_the_default_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         chunk: str) -> None:
    default = tmp_path / "default"
    _liquidate(default)
    notices = list((default / "rejections").iterdir())
    assert len(notices) > 3 * int(chunk)  # the sample spans several chunks
    monkeypatch.setenv("RAMU_NOTICE_CHUNK", chunk)
    chunked = tmp_path / "chunked"
    _liquidate(chunked)
    assert _files(chunked) == _files(default)


def test_payment_orders_are_split_one_file_per_ogd(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _liquidate(out)
    orders = pl.read_csv(out / "payment_orders.csv", separator=";", encoding="windows-1252", infer_schema=False)
    assert not (out / "payment_orders.html").exists()
    files = sorted((out / "payment_orders").glob("*.html"))
    assert {f.stem for f in files} == set(orders["ogd"].to_list())
    for f in files:
        numbers = re.findall(r'<div class="no">N° ([^<]+)</div>', f.read_text(encoding="utf-8"))
        expected = orders.filter(pl.col("ogd") == f.stem)["order_no"].sort().to_list()
        assert numbers == expected, f.name  # each order once, in its OGD's file, by number
        assert f"1 / {len(expected)}</div>" in f.read_text(encoding="utf-8")


def _decided_across_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, chunk: str, name: str) -> Path:
    monkeypatch.setenv("RAMU_PARQUET_ROW_GROUP_SIZE", "250")
    monkeypatch.setenv("RAMU_CHUNK_ROWS", chunk)
    out = tmp_path / name
    _liquidate(out)
    return out


@pytest.mark.parametrize("chunk", ["250", "750"])
def test_lines_decided_chunk_by_chunk_give_the_files_of_one_chunk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                  chunk: str) -> None:
    # 3 000 lines in 12 or 4 chunks against the whole month in one: every file the same, byte for byte
    # (R09 copies, R18 intervals and R16 caps span chunks: they are judged over the whole batch).
    whole = _decided_across_chunks(tmp_path, monkeypatch, "1000000", "whole")
    chunked = _decided_across_chunks(tmp_path, monkeypatch, chunk, "chunked")
    lines = pl.read_parquet(whole / "liquidation.parquet")
    codes = set(lines["reasons"].explode().drop_nulls().to_list())
    assert {"R09", "R16", "R18", "A03"} <= codes
    dup_rows = lines.filter(pl.col("reasons").list.contains("R09"))["row_id"].to_list()
    assert len({(r - 1) // int(chunk) for r in dup_rows}) > 1   # the sample's R09 lines fall in several chunks
    assert _files(chunked) == _files(whole)
    import pyarrow.parquet as pq
    assert pq.ParquetFile(chunked / "liquidation.parquet").metadata.num_row_groups == 12


def test_the_work_folder_is_removed_after_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = _decided_across_chunks(tmp_path, monkeypatch, "500", "out")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]       # no .out.work-* nor .out.tmp-*
    assert (out / "liquidation.parquet").exists()


def test_chunked_decisions_equal_the_whole_frame_plan(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The month decided in 12 chunks against the same plan run on the whole frame at once, as
    # the pipeline did before it worked in chunks: every row, every column, the extras too.
    from datetime import date

    from ramu_cli.contract import AUTHORIZATIONS, BENEFICIARIES, INVOICES, PROVIDERS
    from ramu_cli.io.readers import scan_batch_table
    from ramu_cli.liquidation import pipeline
    from ramu_cli.liquidation.authorizations import load_authorizations
    from ramu_cli.liquidation.lookups import beneficiary_rows, with_beneficiary
    from ramu_cli.liquidation.registry import load_registry
    from ramu_cli.rules import RuleContext
    from ramu_cli.rules.duplicates import duplicate_marks, with_duplicate_flags
    from ramu_cli.rules.frequency import frequency_flags
    from ramu_cli.tariffs import load_tariffs

    monkeypatch.setenv("RAMU_PARQUET_ROW_GROUP_SIZE", "250")
    monkeypatch.setenv("RAMU_CHUNK_ROWS", "250")
    day = date(2026, 10, 31)
    tariffs = load_tariffs(TARIFFS)
    scans = {t.role: scan_batch_table(SAMPLE, t) for t in (BENEFICIARIES, PROVIDERS, INVOICES)}
    registry = load_registry(scans["beneficiaries"], scans["providers"], day)
    authorizations = load_authorizations(scan_batch_table(SAMPLE, AUTHORIZATIONS, required=False))[0]
    chunked = pipeline.liquidate(scans["invoices"], registry, tariffs, None, day, authorizations, work=tmp_path)
    assert len(chunked.parts) == 12

    typed = scans["invoices"].typed()
    whole = with_duplicate_flags(typed, duplicate_marks(typed, None)).collect()
    whole = with_beneficiary(whole, registry, beneficiary_rows(typed, registry))
    ctx = RuleContext(tariffs.policy, day)
    lines = pipeline.ordinary_codes(whole.lazy(), registry, tariffs, ctx, authorizations).collect()
    acts = pipeline.interval_acts(tariffs)
    flags = frequency_flags(pipeline.cross_line_inputs(lines.lazy(), acts), None, acts)
    expected = (pipeline.decision_plan(lines.select(pipeline.DECISION_INPUTS).lazy(), flags, ctx).collect()
                .drop(pipeline.COVERAGE_CHECK))
    got = chunked.lines.collect()
    assert got.height == expected.height == 3000
    assert got.equals(expected)
