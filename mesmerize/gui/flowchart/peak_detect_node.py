"""The PeakDetect flowchart node: the node generated from the registry plus the guide's "Edit"
button, which opens the Peak Editor on the node's output.

"Send all curves to flowchart" in the editor makes the edited Transmission the node's output
until the node's inputs or parameters change, or until the editor is re-connected to the
flowchart (then the detection runs again and the editor shows it).
"""
from __future__ import annotations

from typing import Any

from qtpy import QtWidgets

from mesmerize.analysis.registry import get_operation
from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import ProjectError
from mesmerize.gui.flowchart.background import Job
from mesmerize.gui.flowchart.nodes_from_registry import make_operation_node
from mesmerize.gui.plots.peak_editor import PeakEditorWindow
from mesmerize.gui.plots.viewer_link import open_sample_in_viewer

_GeneratedPeakDetect = make_operation_node(get_operation("PeakDetect"))


class PeakDetectNode(_GeneratedPeakDetect):
    """Derivative-based peak & base detection, with "Edit" to open the Peak Editor.

    ``editor``: the Peak Editor window once opened; ``edited``: the Transmission sent back by the
    editor while it is the node's output (None otherwise).
    """

    def __init__(self, name: str) -> None:
        self.editor: PeakEditorWindow | None = None
        self.edited: Transmission | None = None
        self._edited_key: tuple | None = None
        self._last_key: tuple | None = None
        super().__init__(name)

    def build_controls(self, layout: QtWidgets.QVBoxLayout) -> None:
        super().build_controls(layout)
        self.edit_button = QtWidgets.QPushButton("Edit")
        self.edit_button.setToolTip("Open the Peak Editor on this node's output")
        self.edit_button.clicked.connect(self.open_editor)
        layout.addWidget(self.edit_button)

    def _key(self, inputs: dict[str, Any]) -> tuple:
        """What the output depends on: the input objects (upstream nodes make a new
        Transmission whenever they re-run; they are kept, so compared by identity) and the
        parameters."""
        params = self.controls.values()
        return (tuple(inputs.get(term) for term in self.operation.inputs),
                tuple(sorted((k, repr(v)) for k, v in params.items())))

    def _same_key(self, a: tuple | None, b: tuple | None) -> bool:
        return a is not None and b is not None and a[1] == b[1] and all(
            x is y for x, y in zip(a[0], b[0]))

    def prepare(self, **inputs: Any) -> Job:
        """The generated node's job (or, for PB_Input alone, the operation on it), whose finish
        swaps in the edited output while it is valid and feeds a connected editor."""
        key = self._key(inputs)
        self._last_key = key
        if self.edited is not None and not self._same_key(key, self._edited_key):
            self.edited = self._edited_key = None  # the inputs changed: edits are stale
        if self.edited is not None:
            edited = self.edited
            inner = Job.done({term: edited for term in self.operation.outputs})
        elif inputs.get("Curve") is None and isinstance(inputs.get("PB_Input"), Transmission):
            inner = self._pb_input_job(inputs)
        else:
            inner = super().prepare(**inputs)

        def finish(result: Any) -> dict[str, Any]:
            outputs = inner.finish(result)
            if self.edited is not None:
                self.t = self.edited
            self._feed_editor()
            return outputs

        return Job(compute=inner.compute, finish=finish)

    def _pb_input_job(self, inputs: dict[str, Any]) -> Job:
        """PB_Input alone (saved peaks to view or edit): the generated node needs its first
        terminal, Curve, so this job runs the operation on PB_Input."""
        op = self.operation
        self.controls.set_input_columns(list(inputs["PB_Input"].df.columns))
        values = [inputs.get(term) for term in op.inputs]
        params = self.controls.values()

        def finish(t: Transmission) -> dict[str, Any]:
            self.t = t
            return {term: t for term in op.outputs}

        return Job(compute=lambda: op(*values, params=params), finish=finish)

    def _feed_editor(self) -> None:
        if self.editor is not None:
            self.editor.set_input(self.t, self.controls.values().get("data_column")
                                  if self.t is not None else None)

    def open_editor(self) -> PeakEditorWindow:
        """Open (or raise) the Peak Editor showing this node's output."""
        if self.editor is None:
            self.editor = PeakEditorWindow()
            self.editor.setWindowTitle(f"Peak Editor - {self.name()}")
            self.editor.send_to_flowchart.connect(self.set_edited_output)
            self.editor.reconnected.connect(self.drop_edits)
            self.editor.open_in_viewer_requested.connect(self._open_in_viewer)
            self._feed_editor()
        self.editor.show()
        self.editor.raise_()
        return self.editor

    def set_edited_output(self, t: Transmission) -> None:
        """Make ``t`` (the editor's edited Transmission) the node's output and update the
        nodes downstream."""
        self.edited = t
        self._edited_key = self._last_key
        self.update()

    def drop_edits(self) -> None:
        """Forget the edited output and run the detection again (the editor, re-connected,
        shows the new output)."""
        self.edited = None
        self._edited_key = None
        self.update()

    def _open_in_viewer(self, sample_id: str, proj_path: str) -> None:
        try:
            open_sample_in_viewer(sample_id, proj_path)
        except ProjectError as exc:
            self.editor.status.problem("Cannot open the sample", str(exc))

    def close(self) -> None:
        if self.editor is not None:
            self.editor.close()
        super().close()
