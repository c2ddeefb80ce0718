"""Data nodes that are not registry operations: LoadFile, LoadProjDF, Save and Merge.

They only call the analysis layer: ``Transmission.from_hdf5``, ``Transmission.from_proj_df``,
``Transmission.to_hdf5`` and ``Transmission.merge``. ``context`` (a ``FlowchartContext``) is
set on per-window subclasses by ``library.build_node_library``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping

from qtpy import QtWidgets

from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import ParameterError
from mesmerize.gui.flowchart.base_node import MesmerizeNode, check_control_state
from mesmerize.gui.flowchart.context import FlowchartContext

TRN_FILTER = "Transmission (*.trn)"


def _start_dir(directory: Path | None) -> str:
    return str(directory) if directory is not None and directory.is_dir() else ""


class _ContextNode(MesmerizeNode):
    context: FlowchartContext = FlowchartContext()


class LoadFileNode(_ContextNode):
    """Loads a saved Transmission (.trn) file."""

    nodeName = "LoadFile"
    has_apply = False

    def __init__(self, name: str) -> None:
        super().__init__(name, {"Out": {"io": "out"}})

    def build_controls(self, layout: QtWidgets.QVBoxLayout) -> None:
        self.path_edit = QtWidgets.QLineEdit()
        self.path_edit.setPlaceholderText(".trn file")
        self.path_edit.editingFinished.connect(self.controls_changed)
        self.load_trn_button = QtWidgets.QPushButton("load_trn")
        self.load_trn_button.setToolTip("Choose a .trn file (Transmission) to load")
        self.load_trn_button.clicked.connect(lambda: self._choose_trn(None))
        self.proj_trns_button = QtWidgets.QPushButton("proj_trns")
        self.proj_trns_button.setToolTip("Choose a .trn file in the project's trns directory")
        self.proj_trns_button.clicked.connect(lambda: self._choose_trn(self.context.trns_dir()))
        self.proj_path_edit = QtWidgets.QLineEdit()
        self.proj_path_edit.setPlaceholderText("project path (default: the open project)")
        self.proj_path_edit.editingFinished.connect(self.controls_changed)
        self.proj_path_button = QtWidgets.QPushButton("proj_path")
        self.proj_path_button.setToolTip("Choose the Mesmerize project of this .trn file")
        self.proj_path_button.clicked.connect(self._choose_project)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.load_trn_button)
        buttons.addWidget(self.proj_trns_button)
        buttons.addWidget(self.proj_path_button)
        layout.addWidget(self.path_edit)
        layout.addWidget(self.proj_path_edit)
        layout.addLayout(buttons)

    def _choose_trn(self, directory: Path | None) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            None, "Load Transmission", _start_dir(directory), TRN_FILTER)
        if path:
            self.set_path(path)

    def _choose_project(self) -> None:
        path = QtWidgets.QFileDialog.getExistingDirectory(None, "Project of this Transmission")
        if path:
            self.proj_path_edit.setText(path)
            self.controls_changed()

    def set_path(self, path: str | Path) -> None:
        """Load the ``.trn`` file at ``path``."""
        self.path_edit.setText(str(path))
        self.controls_changed()

    def run(self, **inputs: Any) -> dict[str, Any]:
        path = self.path_edit.text().strip()
        if not path:
            self.t = None
            return {}
        proj_path = self.proj_path_edit.text().strip() or None
        if proj_path is None and self.context.project() is not None:
            proj_path = self.context.project().path
        self.t = Transmission.from_hdf5(path, proj_path=proj_path)
        return {"Out": self.t}

    def control_state(self) -> dict[str, Any]:
        return {"path": self.path_edit.text(), "proj_path": self.proj_path_edit.text()}

    def restore_control_state(self, state: Mapping[str, Any]) -> None:
        check_control_state(self, state, ("path", "proj_path"))
        self.path_edit.setText(state.get("path", ""))
        self.proj_path_edit.setText(state.get("proj_path", ""))


class LoadProjDFNode(_ContextNode):
    """Creates a Transmission from the project DataFrame (root) or a Project Browser tab."""

    nodeName = "LoadProjDF"

    def __init__(self, name: str) -> None:
        super().__init__(name, {"Out": {"io": "out"}})

    def build_controls(self, layout: QtWidgets.QVBoxLayout) -> None:
        form = QtWidgets.QFormLayout()
        self.df_name_box = QtWidgets.QComboBox()
        self.df_name_box.setToolTip("DataFrame name: root or a Project Browser tab (the list is "
                                    "read when the node is made)")
        self.df_name_box.addItems(self.context.tab_names())
        self.df_name_box.currentIndexChanged.connect(lambda _i: self.controls_changed())
        self.update_button = QtWidgets.QPushButton("Update")
        self.update_button.setToolTip("Re-create the Transmission from the Project Browser tab")
        self.update_button.clicked.connect(self.controls_changed)
        form.addRow("DF_Name", self.df_name_box)
        layout.addLayout(form)
        layout.addWidget(self.update_button)

    def run(self, **inputs: Any) -> dict[str, Any]:
        name = self.df_name_box.currentText()
        df, history = self.context.tab_dataframe(name)
        project = self.context.require_project("LoadProjDF")
        self.t = Transmission.from_proj_df(df, project, sub_dataframe_name=name,
                                           dataframe_filter_history=history)
        return {"Out": self.t}

    def control_state(self) -> dict[str, Any]:
        return {"DF_Name": self.df_name_box.currentText()}

    def restore_control_state(self, state: Mapping[str, Any]) -> None:
        check_control_state(self, state, ("DF_Name",))
        name = state.get("DF_Name")
        if name is None:
            return
        self.df_name_box.blockSignals(True)
        if self.df_name_box.findText(name) < 0:
            self.df_name_box.addItem(name)  # a tab of the saved session: run() explains if absent
        self.df_name_box.setCurrentText(name)
        self.df_name_box.blockSignals(False)


class SaveNode(_ContextNode):
    """Saves the input Transmission to a new .trn file. An existing file is never overwritten;
    after a successful save Apply is unticked, so the file is written once."""

    nodeName = "Save"

    def __init__(self, name: str) -> None:
        super().__init__(name, {"In": {"io": "in"}})

    def build_controls(self, layout: QtWidgets.QVBoxLayout) -> None:
        self.path_edit = QtWidgets.QLineEdit()
        self.path_edit.setPlaceholderText("new .trn file")
        self.save_button = QtWidgets.QPushButton("saveBtn")
        self.save_button.setToolTip("Choose a file path to save the Transmission to")
        self.save_button.clicked.connect(self._choose_path)
        self.saved_label = QtWidgets.QLabel()
        self.saved_label.setWordWrap(True)
        layout.addWidget(self.path_edit)
        layout.addWidget(self.save_button)
        layout.addWidget(self.saved_label)

    def _choose_path(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            None, "Save Transmission", _start_dir(self.context.trns_dir()), TRN_FILTER)
        if path:
            self.path_edit.setText(path)

    def run(self, In: Transmission | None = None, **inputs: Any) -> dict[str, Any]:  # noqa: N803
        self.t = In
        if In is None:
            return {}
        text = self.path_edit.text().strip()
        if not text:
            raise ParameterError("Save: choose the file to save to with saveBtn first.")
        path = Path(text)
        if path.suffix != ".trn":
            path = path.with_name(path.name + ".trn")
        In.to_hdf5(path)
        self.saved_label.setText(f"Saved to {path}")
        self.apply_box.blockSignals(True)
        self.apply_box.setChecked(False)
        self.apply_box.blockSignals(False)
        return {}

    def control_state(self) -> dict[str, Any]:
        return {"path": self.path_edit.text()}

    def restore_control_state(self, state: Mapping[str, Any]) -> None:
        check_control_state(self, state, ("path",))
        self.path_edit.setText(state.get("path", ""))


class MergeNode(_ContextNode):
    """Merges the input Transmissions; each keeps its data blocks' histories."""

    nodeName = "Merge"
    has_apply = False

    def __init__(self, name: str) -> None:
        super().__init__(name, {"In": {"io": "in", "multi": True}, "Out": {"io": "out"}})

    def build_controls(self, layout: QtWidgets.QVBoxLayout) -> None:
        layout.addWidget(QtWidgets.QLabel("Connect any number of Transmissions to In."))

    def run(self, In: dict | None = None, **inputs: Any) -> dict[str, Any]:  # noqa: N803
        present = [t for t in (In or {}).values() if t is not None]
        self.t = Transmission.merge(present) if present else None
        return {"Out": self.t}

    def control_state(self) -> dict[str, Any]:
        return {}

    def restore_control_state(self, state: Mapping[str, Any]) -> None:
        check_control_state(self, state, ())
