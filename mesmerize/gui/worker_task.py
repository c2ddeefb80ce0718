"""One background computation at a time for a window, its result handed back in the GUI thread.

DESIGN.md section 6: long work (NWB export, multi-session registration) never blocks the event
loop. ``WorkerTask.start(compute, on_result, on_error)`` runs ``compute()`` (no Qt inside) in a
worker thread; when it ends, a queued Qt signal calls ``on_result(value)`` or
``on_error(exception)`` in the thread that owns the task (the GUI thread).
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Callable

from qtpy import QtCore

from mesmerize.core.errors import MesmerizeError


def failure_text(exc: BaseException) -> str:
    """What the user reads about a failed task: a Mesmerize error's own message (it names the
    fix), else the exception's type and text (file-system and other libraries' errors)."""
    return str(exc) if isinstance(exc, MesmerizeError) else f"{type(exc).__name__}: {exc}"


class WorkerTask(QtCore.QObject):
    """Runs one function at a time in a worker thread (see the module docstring).

    ``running`` is True from ``start`` until the callback has run. ``finished`` (a Future) is
    emitted from the worker thread and delivered where this object lives.
    """

    finished = QtCore.Signal(object)

    def __init__(self, parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mesmerize-task")
        self._future: Future | None = None
        self._callbacks: tuple[Callable[[Any], None], Callable[[BaseException], None]] | None = None
        self.finished.connect(self._deliver)

    @property
    def running(self) -> bool:
        """True while a computation or its callback is pending."""
        return self._future is not None

    def start(self, compute: Callable[[], Any], on_result: Callable[[Any], None],
              on_error: Callable[[BaseException], None]) -> bool:
        """Run ``compute()`` in the worker thread; False (nothing started) while one runs."""
        if self.running:
            return False
        self._callbacks = (on_result, on_error)
        future = self._executor.submit(compute)
        self._future = future
        future.add_done_callback(self.finished.emit)
        return True

    def _deliver(self, future: Future) -> None:
        on_result, on_error = self._callbacks
        self._future = None
        self._callbacks = None
        error = future.exception()
        if error is not None:
            on_error(error)
        else:
            on_result(future.result())
