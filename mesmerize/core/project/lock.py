"""The write lock of a project: an ``fcntl.flock`` on a file inside the project directory.

Only one process writes a project at a time. The holder records its PID and host name in the
lock file so a refused writer can say who holds it. The kernel drops the lock when the holder
exits or is killed, so a crashed process never leaves the project locked. Readers do not lock:
every file is replaced atomically.
"""
from __future__ import annotations

import fcntl
import json
import os
import socket
import threading
import time
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

from mesmerize.core.errors import ProjectLockedError

DEFAULT_LOCK_TIMEOUT_S = 10.0


class ProjectLock:
    """A re-entrant inter-process write lock (also serialises threads of this process).

    Use as a context manager; nested ``with`` blocks in the same thread only lock once. While no
    one holds the lock the file is empty.
    """

    def __init__(self, path: Path, timeout_s: float = DEFAULT_LOCK_TIMEOUT_S,
                 poll_interval_s: float = 0.05) -> None:
        self.path = Path(path)
        self.timeout_s = timeout_s
        self.poll_interval_s = poll_interval_s
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        """True while this object holds the lock."""
        return self._depth > 0

    def holder(self) -> dict:
        """``{"pid", "host", "since"}`` of the current holder as recorded in the file, or {}."""
        try:
            text = self.path.read_text(encoding="utf-8")
            info = json.loads(text) if text.strip() else {}
        except (OSError, ValueError):
            return {}
        return info if isinstance(info, dict) else {}

    def acquire(self, timeout_s: float | None = None) -> None:
        """Take the lock, waiting up to ``timeout_s`` seconds (default: the lock's timeout).

        Raises ``ProjectLockedError`` naming the PID and host of the holder on timeout.
        """
        timeout_s = self.timeout_s if timeout_s is None else timeout_s
        deadline = time.monotonic() + timeout_s
        if not self._thread_lock.acquire(timeout=max(timeout_s, 0.0)):
            raise ProjectLockedError(
                f"The project lock {self.path} is held by another thread of this process; "
                "wait for its operation to finish."
            )
        if self._depth > 0:
            self._depth += 1
            return
        try:
            self._fd = self._lock_file(deadline)
        except BaseException:
            self._thread_lock.release()
            raise
        self._depth = 1

    def _lock_file(self, deadline: float) -> int:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise self._locked_error() from None
                    time.sleep(self.poll_interval_s)
            info = {"pid": os.getpid(), "host": socket.gethostname(),
                    "since": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            os.ftruncate(fd, 0)
            os.pwrite(fd, json.dumps(info).encode("utf-8"), 0)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def _locked_error(self) -> ProjectLockedError:
        info = self.holder()
        who = (f"process {info.get('pid', '?')} on host {info.get('host', '?')}"
               f" (since {info.get('since', '?')})")
        return ProjectLockedError(
            f"The project is being written by {who}; its lock file is {self.path}. Wait for "
            "that process to finish (or close the other Mesmerize window) and try again."
        )

    def release(self) -> None:
        """Release one level of the lock; the file lock is dropped at the outermost level."""
        if self._depth == 0:
            raise RuntimeError("ProjectLock.release() called without holding the lock")
        self._depth -= 1
        if self._depth == 0 and self._fd is not None:
            fd, self._fd = self._fd, None
            try:
                os.ftruncate(fd, 0)
                fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)
        self._thread_lock.release()

    def __enter__(self) -> "ProjectLock":
        self.acquire()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
