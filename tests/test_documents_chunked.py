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
