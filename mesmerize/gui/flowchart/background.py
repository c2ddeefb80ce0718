"""Running a node's computation in a worker thread so the flowchart window stays responsive
(DESIGN.md section 6: long work never blocks the event loop).

A node splits its work into a ``Job``: ``compute()`` (pure: analysis functions on Transmissions,
run in the worker thread) and ``finish(result)`` (Qt side: store the output, show extras; run in
the GUI thread). The result comes back to the GUI thread through a queued Qt signal.
"""
from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable

from qtpy import QtCore

MAX_WORKERS = 2
_executor: list[ThreadPoolExecutor] = []


@dataclass
class Job:
    """``compute()`` -> result (thread-safe, no Qt); ``finish(result)`` -> the node's outputs
    ``{terminal: value}`` (GUI thread)."""

    compute: Callable[[], Any]
    finish: Callable[[Any], dict[str, Any]]

    def run(self) -> dict[str, Any]:
        """Both steps, here and now (the synchronous path)."""
        return self.finish(self.compute())

    @classmethod
    def done(cls, outputs: dict[str, Any]) -> "Job":
        """A job with nothing to compute: its outputs are known already."""
        return cls(compute=lambda: None, finish=lambda _result: outputs)


def submit(compute: Callable[[], Any]) -> Future:
    """Run ``compute`` in the shared worker pool."""
    if not _executor:
        _executor.append(ThreadPoolExecutor(max_workers=MAX_WORKERS,
                                            thread_name_prefix="mesmerize-node"))
    return _executor[0].submit(compute)


class JobSignals(QtCore.QObject):
    """``finished(generation, job, future)``, emitted from the worker thread and delivered in
    the thread that owns this object (the GUI thread)."""

    finished = QtCore.Signal(int, object, object)
