"""Independent jobs of a run shared between this process and a few worker processes.

Why processes: writing a national month's documents is mostly single-threaded
Python (templates, XML); a second process puts it on the second core.

How, and why each choice:
- workers are *spawned*, never forked: a fork of a process running polars'
  thread pool can deadlock;
- the pool is started before the jobs are known (`start`), so the workers
  import ramu while this process still writes liquidation.parquet;
- this process takes part (on a thread of its own, so that the main thread can
  hand out work meanwhile): jobs are handed out largest first, one at a time,
  to whichever is free (list scheduling);
- a job's exception is raised here as it is (same exit code as in-process);
  the other workers are then killed and waited for before it propagates, so
  nothing is written once the run folder is being removed;
- on SIGINT/SIGTERM/SIGHUP, io.scratch kills and waits for the workers before
  removing the temporary folders; a worker also dies with this process (Linux:
  PR_SET_PDEATHSIG) and ignores SIGINT (a Ctrl-C reaches the whole process group:
  this process ends the run).

RAMU_DOCUMENT_WORKERS (0, 1, 2…) forces the number of worker processes; unset,
the caller decides from the size of the run (`workers_for`).
"""

from __future__ import annotations

import importlib
import multiprocessing
import os
import signal
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor, wait
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing import connection
from typing import Any

from ramu_cli.io import scratch

WORKERS_ENV = "RAMU_DOCUMENT_WORKERS"
MAX_WORKERS = 4


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity where the system tells it)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


def workers_for(rows: int, min_rows: int) -> int:
    """Worker processes for a run of `rows` lines: RAMU_DOCUMENT_WORKERS if set, else one per
    spare core (at most MAX_WORKERS) when the run has at least `min_rows` lines, else none."""
    value = os.environ.get(WORKERS_ENV, "").strip()
    if value.isdigit():
        return min(int(value), MAX_WORKERS)
    if rows < min_rows:
        return 0
    return min(available_cores() - 1, MAX_WORKERS)


@dataclass
class Job:
    """One independent job: `fn(*args)`, importable by name (a worker imports it)."""

    name: str
    fn: Callable[..., Any]
    args: tuple
    cost: float = 1.0      # relative cost: larger jobs are handed out first


def _start_worker(parent: int, modules: tuple[str, ...]) -> None:
    """Worker start: ignore SIGINT, end when the parent ends (Linux), even by SIGKILL; then
    import `modules` (the jobs' own), so the first job does not wait for them."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if sys.platform.startswith("linux"):
        with suppress(Exception):
            import ctypes
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)      # PR_SET_PDEATHSIG
    if os.getppid() != parent:                                # the parent ended before prctl
        os._exit(1)
    for module in modules:
        importlib.import_module(module)


def _ready() -> int:
    return os.getpid()


class Pool:
    """Worker processes for one run's jobs: `start`, then `run`, then `close` (or a `with` block)."""

    def __init__(self, workers: int, modules: tuple[str, ...] = ()):
        self.workers = workers
        self.modules = modules      # imported by each worker as it starts
        self._executor: ProcessPoolExecutor | None = None
        self._begun: dict[int, Future] = {}     # id(job) -> its future, for jobs begun early

    def start(self) -> Pool:
        """Spawn the workers now, so they import while this process still works."""
        if self.workers > 0 and self._executor is None:
            self._executor = ProcessPoolExecutor(
                self.workers, mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker, initargs=(os.getpid(), self.modules))
            scratch.register_stopper(self.kill)
            for _ in range(self.workers):
                self._executor.submit(_ready)
        return self

    def __enter__(self) -> Pool:
        return self.start()

    def __exit__(self, kind, exc, tb) -> None:
        if kind is None:
            self.close()
        else:
            self.kill()

    def begin(self, job: Job) -> None:
        """Hand `job` to a worker now, before `run` (which then collects it): a job that does
        not wait for what this process still has to do. Without workers it waits for `run`."""
        if self._executor is not None:
            self._begun[id(job)] = self._executor.submit(job.fn, *job.args)

    def run(self, jobs: Sequence[Job]) -> list[Any]:
        """Every job's result, in the order of `jobs`; the first exception met is raised.

        This process's share runs on one thread of its own, so that the main thread hands
        the next job to a worker as soon as it is free (list scheduling, largest first)."""
        if self._executor is None:
            return [job.fn(*job.args) for job in jobs]
        workers: Executor = self._executor
        here = ThreadPoolExecutor(1, thread_name_prefix="ramu-job")
        running = {self._begun.pop(id(job)): (k, workers) for k, job in enumerate(jobs) if id(job) in self._begun}
        started = {k for k, _ in running.values()}
        order = sorted((k for k in range(len(jobs)) if k not in started), key=lambda k: -jobs[k].cost)
        results: list[Any] = [None] * len(jobs)
        try:
            while order or running:
                for executor, slots in ((workers, self.workers), (here, 1)):
                    while order and sum(e is executor for _, e in running.values()) < slots:
                        k = order.pop(0)
                        running[executor.submit(jobs[k].fn, *jobs[k].args)] = (k, executor)
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    results[running.pop(future)[0]] = future.result()
        except BaseException:
            self.kill()
            # This process's job cannot be stopped: wait for it, so nothing is written afterwards.
            here.shutdown(wait=True, cancel_futures=True)
            raise
        here.shutdown(wait=True)
        return results

    def close(self) -> None:
        """The workers' normal end, once every job is done."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        scratch.forget_stopper(self.kill)

    def kill(self) -> None:
        """Kill the workers and wait for them: once it returns, no worker writes anything."""
        executor, self._executor = self._executor, None
        if executor is not None:
            # The executor keeps its processes in `_processes` (no public kill before Python 3.14).
            processes = list(getattr(executor, "_processes", {}).values())
            for process in processes:
                with suppress(Exception):
                    process.kill()
            _wait_ended(processes)
            with suppress(Exception):
                executor.shutdown(wait=False, cancel_futures=True)
        scratch.forget_stopper(self.kill)


def ended(process: Any) -> bool:
    """True once the process has ended (its sentinel is ready), whichever thread reaps it: the
    executor's own thread may join it too, and then `is_alive()` can answer before it knows."""
    try:
        return bool(connection.wait([process.sentinel], timeout=0))
    except (OSError, ValueError):   # sentinel closed: the process was joined and closed
        return True


def _wait_ended(processes: list, timeout: float = 10.0) -> None:
    """Wait (at most `timeout` seconds) until every process has ended."""
    deadline = time.monotonic() + timeout
    waiting = [p for p in processes if not ended(p)]
    while waiting and time.monotonic() < deadline:
        with suppress(OSError, ValueError):
            connection.wait([p.sentinel for p in waiting], timeout=max(0.0, deadline - time.monotonic()))
        waiting = [p for p in waiting if not ended(p)]
