"""The base of every Mesmerize flowchart node: pyqtgraph's ``Node`` plus an Apply check box,
errors shown on the node, the output Transmission at ``node.t`` and a JSON-safe control state.

Subclasses declare their terminals and controls and implement ``run(**inputs)``, which only
calls the analysis layer (no analysis code in nodes, DESIGN.md section 8). Nodes whose work can
take long (``computes_in_background``) implement ``prepare(**inputs) -> Job`` instead; in a
window with ``run_in_background`` on, the Job's compute step runs in a worker thread.
"""
from __future__ import annotations

import logging
from abc import abstractmethod
from concurrent.futures import Future
from typing import Any, Callable, Mapping

from pyqtgraph.flowchart import Node
from qtpy import QtGui, QtWidgets

from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import FormatVersionError, MesmerizeError
from mesmerize.gui.flowchart.background import Job, JobSignals, submit

log = logging.getLogger(__name__)

ERROR_COLOR = QtGui.QColor(200, 0, 0)
BUSY_COLOR = QtGui.QColor(230, 150, 0)
TITLE_OFFSET = 30
"""Pixels between a node's top and its first terminal (pyqtgraph's 25 lets the name touch it)."""


def check_control_state(node: MesmerizeNode, state: Mapping[str, Any],
                        keys: tuple[str, ...]) -> None:
    """Refuse saved controls ``state`` with names other than ``keys`` or non-text values."""
    unknown = sorted(set(state) - set(keys))
    if unknown:
        raise FormatVersionError(
            f"{node.nodeName} has no control(s) {unknown}; its controls are {list(keys)}.")
    for key, value in state.items():
        if not isinstance(value, str):
            raise FormatVersionError(
                f"{node.nodeName}: control {key!r} must be text, got {value!r}.")


class MesmerizeNode(Node):
    """A flowchart node. ``t``: the node's output Transmission (its input for sink nodes);
    ``error``: the message of the last failure (None when it ran cleanly).

    ``has_apply``: the node shows the guide's Apply check box and does nothing while it is off
    (``apply_default`` is its initial state). Control edits re-process the node when Apply is on.
    ``run_in_background`` (set by the Flowchart window): compute in a worker thread, when the
    node ``computes_in_background``; ``busy`` is True while it does.
    """

    nodeName = "MesmerizeNode"
    category = "Data"
    has_apply = True
    apply_default = False
    computes_in_background = False

    def __init__(self, name: str, terminals: Mapping[str, dict]) -> None:
        super().__init__(name, terminals=dict(terminals))
        self.t: Transmission | None = None
        self.error: str | None = None
        self.run_in_background = False
        self.busy = False
        self._generation = 0
        self._closed = False
        self._job_signals = JobSignals()
        self._job_signals.finished.connect(self._job_finished)
        self._ctrl = QtWidgets.QWidget()
        self._layout = QtWidgets.QVBoxLayout(self._ctrl)
        self._layout.setContentsMargins(2, 2, 2, 2)
        self.build_controls(self._layout)
        self.apply_box: QtWidgets.QCheckBox | None = None
        if self.has_apply:
            self.apply_box = QtWidgets.QCheckBox("Apply")
            self.apply_box.setToolTip("Process data through this node")
            self.apply_box.setChecked(self.apply_default)
            self.apply_box.toggled.connect(lambda _on: self.update())
            self._layout.addWidget(self.apply_box)
        self.status_label = QtWidgets.QLabel()
        self.status_label.setWordWrap(True)
        self.status_label.setStyleSheet("color: rgb(200, 0, 0);")
        self.status_label.hide()
        self._layout.addWidget(self.status_label)
        self._fit_width()

    def _fit_width(self) -> None:
        """Widen the node's box so its name and its terminal labels fit side by side (pyqtgraph
        draws every node 100 px wide)."""
        item = self.graphicsItem()
        labels = [max((t.graphicsItem().box.boundingRect().width()
                       + t.graphicsItem().label.boundingRect().width() for t in terms.values()),
                      default=0.0) for terms in (self.inputs(), self.outputs())]
        width = max(100.0, item.nameItem.boundingRect().width() + 16.0, sum(labels) + 16.0)
        item.bounds.setWidth(width)
        item.nameItem.setPos(width / 2.0 - item.nameItem.boundingRect().width() / 2.0, 0)
        item.setTitleOffset(TITLE_OFFSET)
        item.update()

    def rename(self, name: str) -> None:
        super().rename(name)
        self._fit_width()

    # --- declared by subclasses ----------------------------------------------------------------
    @abstractmethod
    def build_controls(self, layout: QtWidgets.QVBoxLayout) -> None:
        """Add the node's parameter widgets to ``layout``."""

    @abstractmethod
    def run(self, **inputs: Any) -> dict[str, Any]:
        """Compute ``{output terminal: value}`` from ``{input terminal: value}``; set ``self.t``.
        Inputs are None while unconnected or while the upstream node has no output."""

    def prepare(self, **inputs: Any) -> Job:
        """The node's work as a Job (nodes that ``computes_in_background``): read the controls
        here, compute in ``Job.compute``, set ``self.t`` in ``Job.finish``."""
        raise MesmerizeError(f"{self.nodeName} computes in its run() only.")

    @abstractmethod
    def control_state(self) -> dict[str, Any]:
        """The control values as JSON-safe data (saved in ``.fc`` files)."""

    @abstractmethod
    def restore_control_state(self, state: Mapping[str, Any]) -> None:
        """Show saved control values without processing; bad values raise ``MesmerizeError``."""

    # --- pyqtgraph Node API --------------------------------------------------------------------
    def ctrlWidget(self) -> QtWidgets.QWidget:  # noqa: N802 (pyqtgraph API)
        return self._ctrl

    def applied(self) -> bool:
        """True when the node processes data (Apply on, or a node without Apply)."""
        return self.apply_box is None or self.apply_box.isChecked()

    def set_apply(self, on: bool) -> None:
        """Tick or untick Apply (processes the node when it changes)."""
        if self.apply_box is None:
            raise MesmerizeError(f"{self.nodeName} has no Apply check box.")
        self.apply_box.setChecked(on)

    def controls_changed(self) -> None:
        """Slot for control edits: re-process when Apply is on."""
        if self.applied():
            self.update()

    def process(self, display: bool = True, **inputs: Any) -> dict[str, Any]:
        """Run the node; a failure is shown on the node (red border, tooltip, message) and gives
        None outputs instead of raising into Qt."""
        empty = {name: None for name in self.outputs()}
        if not self.applied():
            self.t = None
            self._show_error(None)
            return empty
        return {**empty, **self._guarded(lambda: self.run(**inputs))}

    def _guarded(self, step: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        """``step()``'s outputs; a failure is shown on the node and gives ``{}``."""
        try:
            outputs = step()
        except MesmerizeError as exc:
            message = str(exc)
        except Exception as exc:  # a bug or a library error: show it, keep the window alive
            log.exception("flowchart node %s failed", self.name())
            message = f"{type(exc).__name__}: {exc}"
        else:
            self._show_error(None)
            return outputs
        self.t = None
        self._show_error(message)
        return {}

    def update(self, signal: bool = True) -> None:
        """pyqtgraph's update (process, then propagate), with the compute step in a worker thread
        when the node and its window run in the background."""
        self._generation += 1  # a result still computing for older inputs is dropped
        if not (self.run_in_background and self.computes_in_background) or self.isBypassed() \
                or not self.applied():
            self._set_busy(False)
            super().update(signal)
            return
        inputs = {str(k): v for k, v in self.inputValues().items()}
        job: list[Job] = []
        self._guarded(lambda: job.append(self.prepare(**inputs)) or {})
        if not job:
            self._set_busy(False)
            self.setOutput(**{name: None for name in self.outputs()})
            return
        self._set_busy(True)
        generation, signals = self._generation, self._job_signals
        future = submit(job[0].compute)
        future.add_done_callback(lambda f: signals.finished.emit(generation, job[0], f))

    def _job_finished(self, generation: int, job: Job, future: Future) -> None:
        if generation != self._generation or self._closed:
            return
        self._set_busy(False)
        outputs = self._guarded(lambda: job.finish(future.result()))
        self.setOutput(**{**{name: None for name in self.outputs()}, **outputs})

    def _set_busy(self, busy: bool) -> None:
        if busy == self.busy:
            return
        self.busy = busy
        if busy:
            self.status_label.setStyleSheet("color: rgb(150, 100, 0);")
            self.status_label.setText("Computing...")
            self.status_label.show()
        else:
            self.status_label.setStyleSheet("color: rgb(200, 0, 0);")
            self.status_label.setText(self.error or "")
            self.status_label.setVisible(self.error is not None)
        self.recolor()

    def _show_error(self, message: str | None) -> None:
        self.error = message
        self.status_label.setText(message or "")
        self.status_label.setVisible(message is not None)
        self.recolor()

    def recolor(self) -> None:
        item = self.graphicsItem()
        if self.busy:
            item.setPen(BUSY_COLOR, width=3)
            item.setToolTip("Computing...")
            return
        if self.error is not None:
            item.setPen(ERROR_COLOR, width=3)
            item.setToolTip(self.error)
            return
        item.setToolTip("")
        super().recolor()

    def drop_background_result(self) -> None:
        """Forget the computation running in the background (its result will be ignored)."""
        self._generation += 1
        self._set_busy(False)

    def close(self) -> None:
        self._closed = True
        super().close()

    def state(self) -> dict[str, Any]:
        """Everything a ``.fc`` file keeps of this node except its name and connections."""
        pos = self.graphicsItem().pos()
        return {"type": self.nodeName, "pos": [float(pos.x()), float(pos.y())],
                "bypass": bool(self.isBypassed()),
                "apply": self.applied() if self.apply_box is not None else None,
                "controls": self.control_state()}
