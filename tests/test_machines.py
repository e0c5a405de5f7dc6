"""Issue 11, real processes of the installed `ramu`: the same bytes whatever the number of
threads, a clean end on SIGINT, SIGTERM and SIGHUP, and (issue 9) no half-written folder
whenever SIGKILL strikes."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

RAMU = shutil.which("ramu", path=str(Path(sys.executable).parent)) or shutil.which("ramu")
pytestmark = pytest.mark.skipif(RAMU is None, reason="la commande ramu n'est pas installée dans cet environnement")


def run(args: list[object], env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([RAMU, *map(str, args)], capture_output=True, text=True, timeout=600,
                          env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def batch(tmp_path_factory) -> Path:
    """30 000 lines, CSV; providers.csv re-encoded to Windows-1252 so that reading makes a
    scratch copy (ramu-csv-*) — the copy that holds bank accounts."""
    folder = tmp_path_factory.mktemp("lots") / "2026-10"
    assert run(["samples", folder, "--invoices", 30_000, "--seed", 7, "--format", "csv"]).returncode == 0
    providers = folder / "providers.csv"
    providers.write_bytes(providers.read_text(encoding="utf-8-sig").encode("cp1252", errors="replace"))
    return folder


def _files(folder: Path) -> dict[str, bytes]:
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    manifest = json.loads(files.pop("manifest.json"))
    manifest.pop("created_at")                                    # the one field allowed to differ
    files["manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    return files


@pytest.mark.parametrize("command", ["liquidate", "remittances"])
def test_identical_bytes_at_1_and_16_threads(batch, tmp_path, command):
    # Before: POLARS_MAX_THREADS=16 wrote liquidation.parquet with other row groups than 1 thread:
    # other bytes, another run id in every document, the ledger refusing a re-commit.
    outs = []
    for threads in (1, 16):
        out = tmp_path / f"t{threads}"
        proc = run([command, batch, "--out", out], env={"POLARS_MAX_THREADS": str(threads),
                                                         "RAMU_PARQUET_ROW_GROUP_SIZE": "4000",
                                                         "RAMU_CHUNK_ROWS": "12000"})   # 3 chunks
        assert proc.returncode == 0, proc.stderr
        outs.append(_files(out))
    assert outs[0].keys() == outs[1].keys()
    assert [name for name in outs[0] if outs[0][name] != outs[1][name]] == []
    if command == "liquidate":
        assert pq.ParquetFile(tmp_path / "t1" / "liquidation.parquet").metadata.num_row_groups == 8   # 30 000 / 4 000


@pytest.mark.parametrize(("signame", "code"), [("SIGINT", 130), ("SIGTERM", 143), ("SIGHUP", 129)])
def test_interrupted_run_cleans_up_and_keeps_the_earlier_output(batch, tmp_path, signame, code):
    out = tmp_path / "sorties"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    env = {"TMPDIR": str(scratch)}
    assert run(["liquidate", batch, "--out", out], env).returncode == 0
    earlier = _files(out)
    assert list(scratch.iterdir()) == []                               # removed at a normal end too
    proc = subprocess.Popen([RAMU, "liquidate", str(batch), "--out", str(out), "--json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **env})
    while not list(tmp_path.glob(".sorties.tmp-*")):                    # the run is writing its outputs
        assert proc.poll() is None, "the run ended before its temporary folder was seen"
        time.sleep(0.002)
    assert list(scratch.glob("ramu-csv-*"))                            # the Windows-1252 copy exists
    proc.send_signal(getattr(signal, signame))
    stdout, stderr = proc.communicate(timeout=60)
    # Before: SIGTERM/SIGHUP left .sorties.tmp-* and ramu-csv-* (bank accounts) behind.
    assert proc.returncode == code, stderr
    assert json.loads(stdout)["exit_code"] == code
    assert "Interrompu" in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scratch", "sorties"]
    assert list(scratch.iterdir()) == []
    assert _files(out) == earlier


def test_sigkill_at_any_moment_leaves_a_whole_output_or_the_earlier_one(batch, tmp_path):
    # SIGKILL cannot be caught: nothing is cleaned up by the process. OUT_DIR must still be
    # the earlier output or the new one, whole (`ramu verify` accepts it), never a mix or
    # nothing; the hidden folders the killed run left are removed by the next run.
    out = tmp_path / "sorties"
    assert run(["liquidate", batch, "--out", out, "--no-documents"]).returncode == 0
    earlier = _files(out)
    for delay in (0.4, 0.8, 1.2, 1.6, 2.0, 2.5, 3.0, 4.0):
        proc = subprocess.Popen([RAMU, "liquidate", str(batch), "--out", str(out), "--json"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.kill()
        proc.wait(timeout=60)
        verified = run(["verify", out, "--json"])
        assert verified.returncode == 0, (delay, verified.stdout)
        assert json.loads(verified.stdout)["differences"] == []
        if "report.html" not in {p.name for p in out.iterdir()}:   # not replaced yet: the earlier run
            assert _files(out) == earlier
    assert run(["liquidate", batch, "--out", out]).returncode == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sorties"]   # the killed runs' folders swept
