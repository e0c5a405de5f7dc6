"""Documents written by worker processes (io.pool): the same bytes, the same errors, nothing left.

A large month's documents are shared between ramu's process and spawned
workers; RAMU_DOCUMENT_WORKERS forces the pool on the shipped sample here. The
files must be those of an in-process run byte for byte; a job's error must end
the run as it would in-process; a signal must kill the workers before the
temporary folder is removed.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path

import pytest
from typer.testing import CliRunner

import pool_helpers
from ramu_cli.cli import app
from ramu_cli.documents.liquidation_files import POOL_MIN_LINES, document_workers
from ramu_cli.errors import InputError
from ramu_cli.io import pool, scratch
from test_documents_chunked import SAMPLE, TARIFFS, _files

RAMU = shutil.which("ramu", path=str(Path(sys.executable).parent)) or shutil.which("ramu")


def _liquidate(out: Path, monkeypatch: pytest.MonkeyPatch, workers: str) -> dict:
    monkeypatch.setenv(pool.WORKERS_ENV, workers)
    result = CliRunner().invoke(app, ["liquidate", str(SAMPLE), "--out", str(out), "--tariffs", str(TARIFFS),
                                      "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize("workers", ["1", "2"])
def test_pooled_documents_are_the_bytes_of_an_in_process_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               workers: str) -> None:
    here = _liquidate(tmp_path / "here", monkeypatch, "0")
    pooled = _liquidate(tmp_path / "pooled", monkeypatch, workers)
    assert pooled["run_id"] == here["run_id"]
    files = _files(tmp_path / "pooled")
    assert len([f for f in files if f.startswith("rejections/")]) > 10     # notices, orders, workbooks…
    assert {"report.html", "rejections.xlsx", "payment_orders.pain001.xml", "signals.csv"} <= set(files)
    assert files == _files(tmp_path / "here")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["here", "pooled"]   # no work nor tmp folder left


def test_the_pool_is_used_only_on_a_large_month(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(pool.WORKERS_ENV, raising=False)
    parts = [Path("decided-0.parquet")]
    assert document_workers(3_000, parts) == 0                       # the shipped sample stays in-process
    assert document_workers(POOL_MIN_LINES, parts) == min(pool.available_cores() - 1, pool.MAX_WORKERS)
    monkeypatch.setenv(pool.WORKERS_ENV, "2")
    assert document_workers(3_000, parts) == 2
    assert document_workers(3_000, []) == 0                          # without the parts' paths: in-process
    monkeypatch.setenv(pool.WORKERS_ENV, "0")
    assert document_workers(10 * POOL_MIN_LINES, parts) == 0


def test_jobs_run_in_this_process_and_in_the_workers_results_in_job_order(tmp_path: Path) -> None:
    jobs = [pool.Job(f"j{k}", pool_helpers.write_text, (tmp_path / f"f{k}.txt", f"texte {k}"), cost=k % 3)
            for k in range(6)]
    with pool.Pool(1) as workers:
        results = workers.run(jobs)
    assert [list(r) for r in results] == [[f"f{k}.txt"] for k in range(6)]
    writers = {pid for r in results for pid in r.values()}
    assert os.getpid() in writers and len(writers) == 2              # shared with one worker
    assert [(tmp_path / f"f{k}.txt").read_text(encoding="utf-8") for k in range(6)] == \
        [f"texte {k}" for k in range(6)]


@pytest.mark.parametrize("workers", [0, 1, 2])
def test_a_job_error_is_raised_as_in_process_and_the_workers_are_stopped(tmp_path: Path, workers: int) -> None:
    # The failing job is the largest: with a pool it runs in a worker, its error crosses back whole.
    jobs = [pool.Job("bad", pool_helpers.fail_with_input_error, ("providers.csv",), cost=3),
            pool.Job("ok", pool_helpers.write_text, (tmp_path / "a.txt", "a"), cost=1)]
    the_pool = pool.Pool(workers).start()
    processes = list(getattr(the_pool._executor, "_processes", {}).values())
    with pytest.raises(InputError) as caught:
        the_pool.run(jobs)
    assert caught.value.exit_code == 3
    assert [p.as_dict() for p in caught.value.problems] == [
        {"code": "unreadable_cell", "file": "providers.csv", "column": "provider_id", "row": 7, "value": None,
         "message": "illisible"}]
    assert len(processes) == workers and all(pool.ended(p) for p in processes)
    assert the_pool.kill not in scratch._stoppers


@pytest.mark.parametrize("workers", [0, 1])
def test_a_write_error_in_a_worker_is_the_os_error_of_an_in_process_run(tmp_path: Path, workers: int) -> None:
    jobs = [pool.Job("bad", pool_helpers.fail_writing, (tmp_path,), cost=3),
            pool.Job("ok", pool_helpers.write_text, (tmp_path / "a.txt", "a"), cost=1)]
    with pytest.raises(FileNotFoundError) as caught, pool.Pool(workers) as the_pool:
        the_pool.run(jobs)
    assert caught.value.filename == str(tmp_path / "absent" / "x.html")


def test_a_failing_job_here_kills_the_slow_worker_before_it_writes(tmp_path: Path) -> None:
    # The worker's job would write after 3 s; this process's job fails at once: the worker is
    # killed and waited for, so nothing appears afterwards (the run folder is being removed).
    late = tmp_path / "late.txt"
    jobs = [pool.Job("slow", pool_helpers.write_late, (late, 3.0), cost=3),
            pool.Job("bad", pool_helpers.fail_with_input_error, ("invoices.csv",), cost=1)]
    with pytest.raises(InputError), pool.Pool(1) as the_pool:
        the_pool.run(jobs)
    time.sleep(3.5)
    assert not late.exists()


def _children(pid: int) -> dict[int, str]:
    """The process's children and their command lines (Linux /proc)."""
    found: dict[int, str] = {}
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with suppress(OSError), open(task / "children", encoding="ascii") as fh:
            for child in map(int, fh.read().split()):
                with suppress(OSError):
                    found[child] = Path(f"/proc/{child}/cmdline").read_text(encoding="utf-8", errors="replace")
    return found


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="ascii")
    except FileNotFoundError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.skipif(RAMU is None or not sys.platform.startswith("linux"),
                    reason="processus réels du ramu installé, lus dans /proc (Linux)")
@pytest.mark.parametrize(("signame", "code"), [("SIGTERM", 143), ("SIGINT", 130)])
def test_a_signal_while_workers_write_leaves_nothing_and_no_worker(tmp_path: Path, signame: str, code: int) -> None:
    out = tmp_path / "sorties"
    env = {**os.environ, pool.WORKERS_ENV: "1", "RAMU_NOTICE_CHUNK": "1"}
    proc = subprocess.Popen([RAMU, "liquidate", str(SAMPLE), "--out", str(out), "--tariffs", str(TARIFFS),
                             "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    children: dict[int, str] = {}
    # The documents are being written: the worker's first job has begun its files.
    while not list(tmp_path.glob(".sorties.tmp-*/rejections*")):
        assert proc.poll() is None, "the run ended before its documents were seen"
        children.update(_children(proc.pid))
        time.sleep(0.001)
    children.update(_children(proc.pid))
    proc.send_signal(getattr(signal, signame))
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == code, stderr
    assert json.loads(stdout)["exit_code"] == code
    workers = [pid for pid, cmd in children.items() if "spawn_main" in cmd]
    assert len(workers) == 1
    assert [pid for pid in workers if _alive(pid)] == []           # killed and waited for before the exit
    # multiprocessing's resource tracker (it writes nothing) ends when its pipe closes.
    deadline = time.monotonic() + 10
    while [pid for pid in children if _alive(pid)] and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [pid for pid in children if _alive(pid)] == []
    time.sleep(0.5)                                       # nothing written once the folder was removed
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_a_begun_job_is_collected_by_run_and_waits_for_it_without_workers(tmp_path: Path) -> None:
    early = pool.Job("early", pool_helpers.write_text, (tmp_path / "early.txt", "tôt"), cost=9)
    later = [pool.Job("later", pool_helpers.write_text, (tmp_path / "later.txt", "tard"), cost=1)]
    with pool.Pool(0) as here:
        here.begin(early)
        assert not (tmp_path / "early.txt").exists()             # without workers: run() writes it
        assert here.run([early, *later]) == [{"early.txt": os.getpid()}, {"later.txt": os.getpid()}]
    with pool.Pool(1) as workers:
        workers.begin(early)
        results = workers.run([early, *later])
    assert [list(r) for r in results] == [["early.txt"], ["later.txt"]]
    assert results[0]["early.txt"] != os.getpid()                # written by the worker
    assert (tmp_path / "early.txt").read_text(encoding="utf-8") == "tôt"


def test_a_broken_check_while_a_worker_writes_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # The rejections' files are begun in a worker before liquidation.parquet is checked: when the
    # check fails (exit 4), the worker is killed and the folder removed with what it wrote.
    from ramu_cli.errors import InvariantError
    from ramu_cli.liquidation import outputs

    def broken(parquet: Path, totals: dict) -> None:
        deadline = time.monotonic() + 60
        while not (parquet.parent / "rejections.csv").exists():   # the worker is writing
            assert time.monotonic() < deadline, "the worker never began the rejections"
            time.sleep(0.005)
        raise InvariantError("Totaux différents après écriture.")

    monkeypatch.setattr(outputs, "check_written", broken)
    monkeypatch.setenv(pool.WORKERS_ENV, "1")
    out = tmp_path / "sorties"
    result = CliRunner().invoke(app, ["liquidate", str(SAMPLE), "--out", str(out), "--tariffs", str(TARIFFS),
                                      "--json"])
    assert result.exit_code == 4, result.output
    assert json.loads(result.stdout)["exit_code"] == 4
    time.sleep(1.0)                                       # nothing written once the folder was removed
    assert sorted(p.name for p in tmp_path.iterdir()) == []
