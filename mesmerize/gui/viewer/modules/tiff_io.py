"""Tiff file module (Modules -> Load Images -> Tiff files): load a TIFF movie and its JSON meta
data into the work environment. Script use: ``get_module('tiff_io').load_tiff(tiff_path,
meta_path, method='asarray')``."""
from __future__ import annotations

import os
from pathlib import Path

from qtpy import QtCore, QtWidgets

from mesmerize.core.errors import MesmerizeError
from mesmerize.core.imaging.tiff_io import LOAD_METHODS
from mesmerize.core.meta import find_meta_path
from mesmerize.core.work_env import ViewerWorkEnv
from mesmerize.gui.viewer.modules.base import ViewerModule

TIFF_SUFFIXES = (".tif", ".tiff")
METHOD_TIPS = {
    "asarray": "Should work for most tiff files, fast method",
    "asarray-multi": "Also fast. Use for multi-page files written one frame at a time",
    "imread": "Usually slower, should work for most tiff files",
}


class TiffModule(ViewerModule):
    """Select (or drag and drop) a TIFF, its meta data file is found beside it, pick the load
    method and load it into the work environment."""

    name = "tiff_io"
    title = "Tiff files"
    menu_path = ("Load Images",)

    def __init__(self, vi, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(vi, parent)
        self.setAcceptDrops(True)
        self.tiff_edit = QtWidgets.QLineEdit(self)
        self.tiff_edit.setPlaceholderText("TIFF file (or drop one here)")
        self.tiff_edit.editingFinished.connect(lambda: self.set_tiff_path(self.tiff_edit.text()))
        self.select_tiff_button = QtWidgets.QPushButton("Select file", self)
        self.select_tiff_button.clicked.connect(self._select_tiff)
        self.meta_edit = QtWidgets.QLineEdit(self)
        self.meta_edit.setPlaceholderText("JSON meta data file")
        self.select_meta_button = QtWidgets.QPushButton("Select meta data", self)
        self.select_meta_button.clicked.connect(self._select_meta)
        self.method_combo = QtWidgets.QComboBox(self)
        for i, method in enumerate(LOAD_METHODS):
            self.method_combo.addItem(method)
            self.method_combo.setItemData(i, METHOD_TIPS.get(method, ""), QtCore.Qt.ToolTipRole)
        self.load_button = QtWidgets.QPushButton("Load into workEnv", self)
        self.load_button.clicked.connect(self.load_clicked)
        self.status = QtWidgets.QLabel("", self)
        self.status.setWordWrap(True)

        grid = QtWidgets.QGridLayout(self)
        grid.addWidget(self.select_tiff_button, 0, 0)
        grid.addWidget(self.tiff_edit, 0, 1)
        grid.addWidget(self.select_meta_button, 1, 0)
        grid.addWidget(self.meta_edit, 1, 1)
        grid.addWidget(QtWidgets.QLabel("Load Method", self), 2, 0)
        grid.addWidget(self.method_combo, 2, 1)
        grid.addWidget(self.load_button, 3, 0, 1, 2)
        grid.addWidget(self.status, 4, 0, 1, 2)
        grid.setRowStretch(5, 1)

    def load_tiff(self, tiff_path: str | os.PathLike, meta_path: str | os.PathLike | None = None,
                  method: str = "asarray") -> ViewerWorkEnv:
        """Replace the work environment by the movie at ``tiff_path`` and show it.

        ``meta_path``: its JSON meta data (None: ``xyz.json`` beside ``xyz.tiff`` if present).
        ``method``: ``"asarray"``, ``"asarray-multi"`` or ``"imread"``. Raises ``ImageLoadError``,
        ``MetaDataError`` or ``ParameterError``; the work environment is unchanged on error.
        """
        work_env = ViewerWorkEnv.from_tiff(tiff_path, method=method, meta_path=meta_path)
        self.vi.viewer.workEnv = work_env
        self.vi.update_workEnv()
        return work_env

    def set_tiff_path(self, path: str | os.PathLike) -> None:
        """Choose the TIFF file; fills in the meta data file found beside it."""
        self.tiff_edit.setText(str(path))
        meta = find_meta_path(path) if str(path) else None
        self.meta_edit.setText("" if meta is None else str(meta))
        if str(path) and meta is None:
            self.status.setText("No meta data file with the same name was found: select it with "
                                "'Select meta data' (the frame rate is needed for analysis)")
        else:
            self.status.setText("")

    def _select_tiff(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Select TIFF file", "", "TIFF (*.tif *.tiff);;All files (*)")
        if path:
            self.set_tiff_path(path)

    def _select_meta(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Select meta data file", "", "JSON (*.json);;All files (*)")
        if path:
            self.meta_edit.setText(path)

    def load_clicked(self) -> None:
        """"Load into workEnv": asks first when the current work environment has unsaved
        changes; errors are shown in the module."""
        tiff = self.tiff_edit.text().strip()
        if not tiff:
            self.status.setText("Select a TIFF file first")
            return
        work_env = self.vi.viewer.workEnv
        if not work_env.is_empty and work_env.modified:
            answer = QtWidgets.QMessageBox.question(
                self, "Replace work environment",
                "The current work environment has unsaved changes (e.g. ROIs). Clear it and load "
                "the new image?")
            if answer != QtWidgets.QMessageBox.Yes:
                return
        meta = self.meta_edit.text().strip() or None
        try:
            self.load_tiff(tiff, meta, method=self.method_combo.currentText())
        except MesmerizeError as exc:
            self.status.setText(f"Not loaded: {exc}")
            return
        self.status.setText(f"Loaded {Path(tiff).name}")

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if self._dropped_tiff(event.mimeData()) is not None:
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        path = self._dropped_tiff(event.mimeData())
        if path is not None:
            self.set_tiff_path(path)
            event.acceptProposedAction()

    @staticmethod
    def _dropped_tiff(mime) -> str | None:
        for url in mime.urls() if mime.hasUrls() else []:
            path = url.toLocalFile()
            if path.lower().endswith(TIFF_SUFFIXES):
                return path
        return None
