"""Delivers a ``BatchRunner``'s and a ``Batch``'s events to the GUI thread.

The core emits them from the runner's thread; Qt widgets may only be touched from the GUI
thread, so each event is re-emitted as a Qt signal that the window connects with a queued
connection.
"""
from __future__ import annotations

from qtpy import QtCore

from mesmerize.core.batch import Batch, BatchRunner


class RunnerBridge(QtCore.QObject):
    """Qt signals mirroring the core events: ``output(uuid, line)``, ``progress(uuid, fraction,
    message)``, ``item_finished(uuid, status)``, ``run_finished()`` and ``batch_changed()``."""

    output = QtCore.Signal(str, str)
    progress = QtCore.Signal(str, float, str)
    item_finished = QtCore.Signal(str, str)
    run_finished = QtCore.Signal()
    batch_changed = QtCore.Signal()

    def attach_runner(self, runner: BatchRunner) -> None:
        """Forward ``runner``'s events (connect before ``runner.start()``)."""
        runner.output.connect(self._on_output)
        runner.progress.connect(self._on_progress)
        runner.item_finished.connect(self._on_item_finished)
        runner.finished.connect(self._on_run_finished)

    def attach_batch(self, batch: Batch) -> None:
        """Forward ``batch.changed``."""
        batch.changed.connect(self._on_batch_changed)

    def detach_batch(self, batch: Batch) -> None:
        """Stop forwarding ``batch.changed``."""
        batch.changed.disconnect(self._on_batch_changed)

    def _on_output(self, uuid: str, line: str) -> None:
        self.output.emit(uuid, line)

    def _on_progress(self, uuid: str, fraction: float, message: str) -> None:
        self.progress.emit(uuid, float(fraction), message)

    def _on_item_finished(self, uuid: str, status: str) -> None:
        self.item_finished.emit(uuid, status)

    def _on_run_finished(self) -> None:
        self.run_finished.emit()

    def _on_batch_changed(self) -> None:
        self.batch_changed.emit()
