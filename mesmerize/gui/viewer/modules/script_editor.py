"""Script Editor module: a text editor whose Run executes the text in the Viewer console, through
``mesmerize.core.script_runner.run_source`` like ``mesmerize exec`` (same namespace, same
compilation, tracebacks naming the script's file and lines).

There is no auto-save: Save writes the file (atomically) when asked.
"""
from __future__ import annotations

import os
from pathlib import Path

from qtpy import QtGui, QtWidgets

from mesmerize.core.atomic import write_text_atomic
from mesmerize.core.script_runner import run_source
from mesmerize.gui.viewer.modules.base import ViewerModule

UNSAVED_NAME = "<script editor>"
SOURCE_NAME = "_script_editor_text"
"""The console variable holding the editor's text while it runs."""


class ScriptEditorModule(ViewerModule):
    """Open / Save / Save As / Run a Python script in the Viewer console."""

    name = "script_editor"
    title = "Script Editor"

    def __init__(self, vi, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(vi, parent)
        self.path: Path | None = None
        self.editor = QtWidgets.QPlainTextEdit(self)
        self.editor.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.FixedFont))
        self.editor.setPlaceholderText("# Python script run in the Viewer console, e.g.\n"
                                       "print(get_meta())")
        self.status = QtWidgets.QLabel(self)
        bar = QtWidgets.QHBoxLayout()
        for text, slot in (("Open", self._open_clicked), ("Save", self.save),
                           ("Save As", self._save_as_clicked), ("Run", self.run)):
            button = QtWidgets.QPushButton(text, self)
            button.clicked.connect(lambda *_, s=slot: s())
            bar.addWidget(button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.status)

    @property
    def text(self) -> str:
        return self.editor.toPlainText()

    def open(self, path: str | os.PathLike) -> None:
        """Load the script at ``path`` into the editor."""
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            self.status.setText(f"Cannot open {path}: {exc}")
            return
        self.editor.setPlainText(text)
        self.path = Path(path)
        self.status.setText(str(self.path))

    def save(self, path: str | os.PathLike | None = None) -> bool:
        """Write the text to ``path`` (default: the file opened or last saved)."""
        if path is not None:
            self.path = Path(path)
        if self.path is None:
            return self._save_as_clicked()
        try:
            write_text_atomic(self.path, self.text)
        except OSError as exc:
            self.status.setText(f"Not saved: {exc}")
            return False
        self.status.setText(f"Saved {self.path}")
        return True

    def run(self) -> None:
        """Run the text in the Viewer console's namespace; its output and traceback are printed
        in the console."""
        console = self.vi.get_console()
        self.vi.show_console()
        filename = str(self.path) if self.path is not None else UNSAVED_NAME
        console.push({SOURCE_NAME: self.text, "run_source": run_source})
        console.execute(f"run_source({SOURCE_NAME}, {filename!r}, globals(), "
                        f"set_file={self.path is not None})")

    def _open_clicked(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(self, "Open script", "",
                                                        "Python (*.py);;All files (*)")
        if path:
            self.open(path)

    def _save_as_clicked(self) -> bool:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Save script", "",
                                                        "Python (*.py);;All files (*)")
        return self.save(path) if path else False
