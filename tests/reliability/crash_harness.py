"""Kill -9 harnesses: crash a writer process, reopen what it wrote, check nothing is lost.

``run_crash_harness`` forks a child that repeats an operation and SIGKILLs it at a random
moment, many times over. ``enumerate_crash_points`` crashes a child at every file-system
mutation (``os.replace``, ``os.rename``, ``os.unlink``, ``os.rmdir``, ``os.mkdir``) of an
operation in turn, each from the same starting files, so every commit point of the operation is
tried exactly once (the child ends with ``os._exit``, which like SIGKILL runs no cleanup).

A ``Scenario`` describes one kind of write as a deterministic sequence of operations
``0, 1, 2, ...``: ``apply(handle, n)`` performs operation ``n`` on the state left by operations
``0 .. n-1``, and ``expected(n)`` is the state (any comparable value) after the first ``n``
operations. ``observe(root)`` reopens the files through the public API in a fresh object,
checks the scenario's invariants (project opens, every referenced file exists...) and returns
the observed state.

In ``run_crash_harness`` the child counts operations begun and finished in shared memory. After the kill, with ``done``
operations finished, the observed state must be ``expected(done)`` (the operation in flight
left no trace) or ``expected(done + 1)`` (it had committed): anything else is lost or mixed
data. The next child continues from the matching step, so the kills land at every stage of
every operation over the iterations.
"""
from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import numpy as np

CHILD_START_TIMEOUT_S = 30.0
CRASH_EXIT = 77
CRASH_HOOKS = ("replace", "rename", "unlink", "rmdir", "mkdir")


class DataLossError(AssertionError):
    """The reopened files match neither the state before nor the one after the killed write."""


@dataclass
class Scenario:
    """One kind of write under test (see the module docstring).

    ``setup(root)`` creates the initial files; ``open(root)`` builds the handle the child works
    on (opened after the fork); ``final_check(root)`` runs once after all kills (e.g. every
    backup restores) and returns how many extra files it verified.
    """

    name: str
    setup: Callable[[Path], None]
    open: Callable[[Path], Any]
    apply: Callable[[Any, int], None]
    expected: Callable[[int], Any]
    observe: Callable[[Path], Any]
    final_check: Callable[[Path], int] = lambda root: 0
    leftovers: Callable[[Path], int] = lambda root: 0
    """Garbage an interrupted write left (temporary files, orphan folders): not data."""
    delay_ops: float = 4.0
    """Kills land uniformly in [0, delay_ops] operation durations after the child starts its
    loop (the duration is measured by the first child, which is killed after 3 operations)."""


@dataclass
class CrashReport:
    """What a harness run did."""

    scenario: str
    kills: int = 0
    mid_operation: int = 0
    """Kills that landed while an operation had begun and not finished."""
    committed_in_flight: int = 0
    """Kills after which the in-flight operation turned out to be complete on disk."""
    operations: int = 0
    """Operations the children finished (acknowledged) in total."""
    final_files_checked: int = 0
    leftovers: int = 0
    data_lost: int = 0

    def line(self) -> str:
        return (f"{self.scenario}: {self.kills} kills ({self.mid_operation} mid-operation, "
                f"{self.committed_in_flight} with the in-flight write committed), "
                f"{self.operations} operations, {self.final_files_checked} backups/files checked at "
                f"the end, {self.leftovers} leftover temporary files/folders, "
                f"data lost: {self.data_lost}")


def _child_main(scenario: Scenario, root: Path, step: int, counters: Any, ready: Any,
                error_path: Path) -> None:
    """Child process: run operations ``step, step + 1, ...`` until killed."""
    try:
        handle = scenario.open(root)
        ready.set()
        n = step
        while True:
            counters[0] = n + 1
            scenario.apply(handle, n)
            counters[1] = n + 1
            n += 1
    except BaseException:
        error_path.write_text(traceback.format_exc(), encoding="utf-8")
        ready.set()
    finally:
        os._exit(3)


def _measure_operation_s(child: Any, counters: Any, step: int, n_ops: int = 3) -> float:
    """Seconds per operation of a child that started at ``step``, over ``n_ops`` operations
    (returns early if the child dies, so the caller reports why)."""
    start = time.monotonic()
    while counters[1] < step + n_ops and child.is_alive():
        if time.monotonic() - start > CHILD_START_TIMEOUT_S:
            raise AssertionError(f"the writer finished {counters[1] - step} operations in "
                                 f"{CHILD_START_TIMEOUT_S} s")
        time.sleep(0.002)
    return (time.monotonic() - start) / n_ops


def run_crash_harness(scenario: Scenario, root: Path, kills: int, seed: int = 0) -> CrashReport:
    """Set up ``scenario`` in ``root`` and kill its writer ``kills`` times; see the module doc.

    Raises ``DataLossError`` at the first state that matches neither neighbouring step, and
    ``AssertionError`` when a child fails on its own or the invariants of ``observe`` fail.
    """
    ctx = multiprocessing.get_context("fork")
    rng = np.random.default_rng(seed)
    report = CrashReport(scenario.name)
    root.mkdir(parents=True, exist_ok=True)
    scenario.setup(root)
    step = 0
    op_s: float | None = None
    error_dir = Path(tempfile.mkdtemp(prefix="mesm_crash_"))
    error_path = error_dir / "child_error.txt"
    try:
        for _ in range(kills):
            counters = ctx.Array("q", [step, step], lock=False)
            ready = ctx.Event()
            child = ctx.Process(target=_child_main,
                                args=(scenario, root, step, counters, ready, error_path))
            child.start()
            if not ready.wait(CHILD_START_TIMEOUT_S):
                child.kill()
                raise AssertionError(f"{scenario.name}: the writer process did not start")
            if op_s is None:
                op_s = _measure_operation_s(child, counters, step)
            else:
                time.sleep(float(rng.uniform(0.0, scenario.delay_ops * op_s)))
            os.kill(child.pid, signal.SIGKILL)
            child.join(10)
            if child.exitcode != -signal.SIGKILL:
                text = error_path.read_text(encoding="utf-8") if error_path.exists() else "?"
                raise AssertionError(f"{scenario.name}: the writer failed at step {counters[0] - 1} "
                                     f"before it was killed:\n{text}")
            begun, done = int(counters[0]), int(counters[1])
            report.kills += 1
            report.operations += done - step
            report.mid_operation += begun > done
            observed = scenario.observe(root)
            if observed == scenario.expected(done):
                step = done
            elif begun > done and observed == scenario.expected(done + 1):
                step = done + 1
                report.committed_in_flight += 1
            else:
                report.data_lost += 1
                raise DataLossError(
                    f"{scenario.name}: after a kill with {done} operations finished "
                    f"({begun} begun), the files hold {observed!r}; expected "
                    f"{scenario.expected(done)!r}"
                    + (f" or {scenario.expected(done + 1)!r}" if begun > done else ""))
    finally:
        shutil.rmtree(error_dir, ignore_errors=True)
    report.leftovers = scenario.leftovers(root)
    report.final_files_checked = scenario.final_check(root)
    return report


def _install_crash_hooks(crash_now: Callable[[str, tuple], bool]) -> None:
    """In this (child) process, make every ``CRASH_HOOKS`` call first ask ``crash_now(name,
    args)`` and end the process at once with ``CRASH_EXIT`` when it says so."""
    def hook(name: str, real: Callable) -> Callable:
        def crash_or_call(*args: Any, **kwargs: Any) -> Any:
            if crash_now(name, args):
                os._exit(CRASH_EXIT)
            return real(*args, **kwargs)
        return crash_or_call

    for name in CRASH_HOOKS:
        setattr(os, name, hook(name, getattr(os, name)))


def _crash_child(prepare: Callable[[], Any], act: Callable[[Any], None],
                 crash_now: Callable[[str, tuple], bool]) -> None:
    """Child process: ``act(prepare())`` with the crash hooks installed after ``prepare``."""
    code = 0
    try:
        handle = prepare()
        _install_crash_hooks(crash_now)
        act(handle)
    except BaseException:
        traceback.print_exc()
        code = 3
    finally:
        os._exit(code)


def crash_during(prepare: Callable[[], Any], act: Callable[[Any], None],
                 crash_now: Callable[[str, tuple], bool]) -> bool:
    """Run ``act(prepare())`` in a forked child that dies (like kill -9) before the first
    file-system mutation for which ``crash_now(name, args)`` is true (``name`` in
    ``CRASH_HOOKS``, ``args`` its arguments). Returns True if it crashed, False if ``act``
    completed; raises ``AssertionError`` if it failed."""
    child = multiprocessing.get_context("fork").Process(
        target=_crash_child, args=(prepare, act, crash_now))
    child.start()
    child.join(60)
    if child.exitcode not in (0, CRASH_EXIT):
        raise AssertionError(f"the writer failed (exit code {child.exitcode}); see the "
                             "traceback above")
    return child.exitcode == CRASH_EXIT


def _nth_call(n: int) -> Callable[[str, tuple], bool]:
    calls = [0]

    def crash_now(name: str, args: tuple) -> bool:
        calls[0] += 1
        return calls[0] == n
    return crash_now


def _copy_tree(src: Path, dst: Path) -> None:
    shutil.rmtree(dst, ignore_errors=True)
    shutil.copytree(src, dst, symlinks=True)


def enumerate_crash_points(scenario: Scenario, root: Path, steps: int) -> CrashReport:
    """Set up ``scenario`` in ``root``; for each operation ``0 .. steps-1`` crash a child before
    each of its file-system mutations in turn (restoring the files before the operation after
    each crash), then let the operation complete and go on with the next.

    After a crash the files must hold ``expected(n)`` or ``expected(n + 1)``; ``kills`` counts
    the crash points tried. Raises ``DataLossError`` / ``AssertionError`` like
    ``run_crash_harness``.
    """
    report = CrashReport(f"{scenario.name} (every crash point)")
    root.mkdir(parents=True, exist_ok=True)
    scenario.setup(root)
    snapshot = Path(tempfile.mkdtemp(prefix="mesm_points_")) / "before"
    try:
        for step in range(steps):
            _copy_tree(root, snapshot)
            crash_at = 1
            while crash_during(lambda: scenario.open(root),
                               lambda handle: scenario.apply(handle, step), _nth_call(crash_at)):
                report.kills += 1
                report.mid_operation += 1
                observed = scenario.observe(root)
                if observed == scenario.expected(step + 1):
                    report.committed_in_flight += 1
                elif observed != scenario.expected(step):
                    report.data_lost += 1
                    raise DataLossError(
                        f"{scenario.name}: crash before file-system call {crash_at} of operation "
                        f"{step}: the files hold {observed!r}; expected "
                        f"{scenario.expected(step)!r} or {scenario.expected(step + 1)!r}")
                report.leftovers += scenario.leftovers(root)
                _copy_tree(snapshot, root)
                crash_at += 1
            observed = scenario.observe(root)
            if observed != scenario.expected(step + 1):
                raise DataLossError(f"{scenario.name}: operation {step} completed but the files "
                                    f"hold {observed!r}, expected {scenario.expected(step + 1)!r}")
            report.operations += 1
    finally:
        shutil.rmtree(snapshot.parent, ignore_errors=True)
    report.final_files_checked = scenario.final_check(root)
    return report
