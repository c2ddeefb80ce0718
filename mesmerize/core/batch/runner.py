"""Processing a batch: items run one after another, each in its own subprocess.

Each item runs as ``python -m mesmerize.cli.batch_runner <batch_dir> <uuid>`` in a new session
(its own process group), so ``abort()`` can end the whole tree (the runner and any worker
processes of its engine). The runner's stdout/stderr go to the item's log file and to the
``output`` event; its JSON progress lines (``launch.PROGRESS_PREFIX``) become ``progress``
events. The runner writes its item's final status itself; when it dies without doing so the
parent records why (exit code or signal). An item that passes the configured time or memory
limit (``RunnerSettings.time_limit_s`` / ``memory_limit_mib``) has its process tree ended and is
marked failed with the limit it passed.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from typing import IO

from mesmerize.core.batch import kinds
from mesmerize.core.batch.batch import Batch
from mesmerize.core.batch.errors import DependencyError
from mesmerize.core.batch.item import (
    ABORTED, ACTIVE_STATUSES, FAILED, FINISHED, INTERRUPTED, PENDING, RUNNING, BatchItem,
    utc_now_iso,
)
from mesmerize.core.batch.launch import (
    PROGRESS_PREFIX, RunnerSettings, item_command, item_environment,
)
from mesmerize.core.batch.processes import (
    kill_process_group, kill_process_tree, process_info, tree_rss_bytes,
)
from mesmerize.core.errors import ConfigError, MesmerizeError
from mesmerize.core.events import EventEmitter

RUNNABLE_STATUSES = (PENDING, INTERRUPTED, ABORTED)
"""Statuses processed by a run; finished and failed items are skipped (``Batch.reset_item``
puts a failed item back to pending), and so are pending items queued on a SLURM cluster."""

ABORT_GRACE_S = 3.0
LIMIT_POLL_S = 0.1
"""Seconds between checks of a running item's time and memory against the limits."""
LOG_TAIL_LINES = 20


class BatchRunner:
    """Runs the runnable items of ``batch`` from queue position ``start_ix`` in a thread.

    ``settings``: subprocess settings (default: from the system configuration).
    ``use_work_dir``: process in ``settings.work_dir`` and move the output into the batch.
    ``continue_after_abort``: after ``abort()`` of an item, go on with the next one.
    Events: ``output(uuid, line)``, ``progress(uuid, fraction, message)``,
    ``item_finished(uuid, status)``, ``finished()``. They are emitted from the runner thread.
    Items added to the batch during the run are processed too.
    """

    def __init__(self, batch: Batch, start_ix: int = 0, settings: RunnerSettings | None = None,
                 use_work_dir: bool = False, continue_after_abort: bool = False) -> None:
        self.batch = batch
        self.start_ix = max(int(start_ix), 0)
        self.settings = settings if settings is not None else RunnerSettings.from_system_config()
        if use_work_dir and not self.settings.work_dir:
            raise ConfigError(
                "'Use work dir' is checked but no work dir is set: set one in the System "
                "Configuration, or uncheck 'Use work dir'."
            )
        self.use_work_dir = use_work_dir
        self.continue_after_abort = continue_after_abort
        self.output = EventEmitter()
        self.progress = EventEmitter()
        self.item_finished = EventEmitter()
        self.finished = EventEmitter()
        self.results: dict[str, str] = {}
        """Final status of every item this run processed, by UUID."""
        self.current_uuid: str | None = None
        self.error: MesmerizeError | None = None
        """Why the run stopped early (the batch could not be read or written), else None."""
        self._proc: subprocess.Popen | None = None
        self._abort_requested = False
        self._stop_requested = False
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    # ---- control --------------------------------------------------------------------------

    def start(self) -> None:
        """Start processing in a background thread."""
        if self._thread is not None:
            raise RuntimeError("This BatchRunner was already started; create a new one.")
        self._thread = threading.Thread(target=self.run, name="mesmerize-batch", daemon=True)
        self._thread.start()

    def wait(self, timeout_s: float | None = None) -> bool:
        """Wait for the run to end; True when it has."""
        if self._thread is None:
            return True
        self._thread.join(timeout_s)
        return not self._thread.is_alive()

    @property
    def is_running(self) -> bool:
        """True while the run thread is alive."""
        return self._thread is not None and self._thread.is_alive()

    def stop_after_current(self) -> None:
        """Let the current item finish, then stop."""
        self._stop_requested = True

    def abort(self) -> None:
        """Kill the current item's process tree (SIGTERM, then SIGKILL after a grace period)
        and mark it aborted; the run stops unless ``continue_after_abort``. Returns at once;
        ``wait()`` for the run to end."""
        with self._lock:
            proc = self._proc
            self._abort_requested = True
            if not self.continue_after_abort:
                self._stop_requested = True
        if proc is not None:
            threading.Thread(target=kill_process_tree, args=(proc, ABORT_GRACE_S),
                             name="mesmerize-batch-abort", daemon=True).start()

    # ---- the run --------------------------------------------------------------------------

    def run(self) -> None:
        """Process items until none is left (blocking; ``start()`` runs it in a thread)."""
        done: set[str] = set()
        try:
            while not self._stop_requested:
                item = self._next_item(done)
                if item is None:
                    break
                done.add(item.uuid)
                status = self._run_item(item.uuid)
                self.results[item.uuid] = status
                self.item_finished.emit(item.uuid, status)
        except MesmerizeError as exc:
            self.error = exc
        finally:
            self.current_uuid = None
            self.finished.emit()

    def _next_item(self, done: set[str]) -> BatchItem | None:
        for index, item in enumerate(self.batch.items):
            queued_on_cluster = item.slurm_job is not None and item.status == PENDING
            if index >= self.start_ix and item.uuid not in done \
                    and item.status in RUNNABLE_STATUSES and not queued_on_cluster:
                return item
        return None

    def _run_item(self, uuid: str) -> str:
        self.current_uuid = uuid
        with self._lock:
            self._abort_requested = False
        problem = self._input_problem(uuid)
        if problem is not None:
            self.batch.update_item(uuid, status=FAILED, error=problem, finished=utc_now_iso())
            return FAILED
        self.batch.update_item(
            uuid, status=RUNNING, started=utc_now_iso(), finished=None, error=None, outputs={},
            slurm_job=None,
            process=process_info(os.getpid()), log=f"{uuid}/{self.batch.log_path(uuid).name}",
        )
        cmd = item_command(self.settings, self.batch.path, uuid, self.use_work_dir)
        log_path = self.batch.log_path(uuid)
        with open(log_path, "ab") as log:
            log.write(f"==== run started {utc_now_iso()}: {' '.join(cmd)}\n".encode())
            try:
                proc = subprocess.Popen(
                    cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    env=item_environment(self.settings), cwd=self.batch.item_dir(uuid),
                    start_new_session=True,
                )
            except OSError as exc:
                self.batch.update_item(uuid, status=FAILED, finished=utc_now_iso(), process=None,
                                       error=f"Cannot start the item runner {cmd!r}: {exc}")
                return FAILED
            with self._lock:
                self._proc = proc
                abort_now = self._abort_requested
            if abort_now:
                kill_process_tree(proc, ABORT_GRACE_S)
            reader = threading.Thread(target=self._pump, args=(uuid, proc.stdout, log),
                                      daemon=True)
            reader.start()
            returncode, over_limit = self._wait_within_limits(proc)
            # Worker processes the runner left behind would keep the pipe open: end them.
            kill_process_group(proc.pid, signal.SIGKILL)
            reader.join()
            with self._lock:
                self._proc = None
                aborted = self._abort_requested
        return self._final_status(uuid, returncode, aborted, over_limit)

    def _wait_within_limits(self, proc: subprocess.Popen) -> tuple[int, str | None]:
        """Wait for ``proc``; stop its process tree when it passes the time or memory limit.

        Returns ``(returncode, None)`` or ``(returncode, why it was stopped)``. Memory is the
        resident set size of the whole tree, sampled every ``LIMIT_POLL_S`` seconds.
        """
        time_limit, memory_limit = self.settings.time_limit_s, self.settings.memory_limit_mib
        if time_limit is None and memory_limit is None:
            return proc.wait(), None
        start = time.monotonic()
        while True:
            try:
                return proc.wait(timeout=LIMIT_POLL_S), None
            except subprocess.TimeoutExpired:
                pass
            elapsed = time.monotonic() - start
            problem = None
            if time_limit is not None and elapsed > time_limit:
                problem = (f"ran for more than its time limit of {time_limit:g} s (System "
                           "Configuration: item_time_limit_s)")
            elif memory_limit is not None:
                used_mib = tree_rss_bytes(proc.pid) / 2**20
                if used_mib > memory_limit:
                    problem = (f"used {used_mib:.0f} MiB of memory, more than its limit of "
                               f"{memory_limit} MiB (System Configuration: item_memory_limit_mib)")
            if problem is not None:
                kill_process_tree(proc, ABORT_GRACE_S)
                return proc.wait(), problem

    def _input_problem(self, uuid: str) -> str | None:
        item = self.batch.get_item(uuid)
        try:
            kinds.resolve_engine(item.module)
            if item.input_item is not None:
                self.batch.input_movie_path(uuid)
        except (DependencyError, ImportError) as exc:
            return str(exc)
        return None

    def _pump(self, uuid: str, stream: IO[bytes], log: IO[bytes]) -> None:
        # The pipe must be drained to the end whatever the callbacks do, or the runner blocks.
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            report = _progress_report(line)
            if report is None:
                log.write(raw)
                log.flush()
            try:
                if report is None:
                    self.output.emit(uuid, line)
                else:
                    self.progress.emit(uuid, *report)
            except Exception as exc:  # a failing listener must not stop the item
                log.write(f"[batch manager] output listener failed: {exc!r}\n".encode())
        stream.close()

    def _final_status(self, uuid: str, returncode: int, aborted: bool,
                      over_limit: str | None = None) -> str:
        now = utc_now_iso()
        item = self.batch.get_item(uuid)
        if item.status == FINISHED:
            return FINISHED
        if over_limit is not None:
            self.batch.update_item(
                uuid, status=FAILED, finished=now, process=None,
                error=f"Stopped: the item {over_limit}. Raise the limit, or process smaller "
                      f"data (fewer frames, smaller patches or chunks).\n{self._log_tail(uuid)}")
            return FAILED
        if aborted:
            self.batch.update_item(uuid, status=ABORTED, finished=now, process=None,
                                   error="Aborted by the user.")
            return ABORTED
        if item.status not in ACTIVE_STATUSES:
            return item.status
        if returncode < 0:
            name = signal.Signals(-returncode).name
            self.batch.update_item(
                uuid, status=INTERRUPTED, finished=now, process=None,
                error=f"The item runner was killed by {name} (by another program, or the system "
                      f"ran out of memory). Run it again.\n{self._log_tail(uuid)}")
            return INTERRUPTED
        self.batch.update_item(
            uuid, status=FAILED, finished=now, process=None,
            error=f"The item runner exited with code {returncode} without recording a result."
                  f"\n{self._log_tail(uuid)}")
        return FAILED

    def _log_tail(self, uuid: str) -> str:
        lines = self.batch.log_path(uuid).read_text(encoding="utf-8", errors="replace")
        return "\n".join(lines.splitlines()[-LOG_TAIL_LINES:])


def _progress_report(line: str) -> tuple[float, str] | None:
    """``(fraction, message)`` of a runner progress line, None for ordinary output."""
    if not line.startswith(PROGRESS_PREFIX):
        return None
    try:
        report = json.loads(line[len(PROGRESS_PREFIX):])
        return float(report["fraction"]), str(report["message"])
    except (ValueError, KeyError, TypeError):
        return None
