"""File -> Add to Project: save the Viewer's work environment as a project sample.

The dialog collects AnimalID, TrialID, one entry per custom column of the project configuration
(typed: text, whole numbers, decimal numbers) and comments, then calls ``Project.add_sample``.
"Save changes (overwrite)" is offered when the work environment was opened from a project sample
(``work_env.sample_id`` set); it replaces that sample, optionally keeping its image file.
Errors from the core are shown in a message box and change nothing.

``install_add_to_project(viewer_window, project_provider)`` adds the menu action to a Viewer.
"""
from __future__ import annotations

from typing import Any, Callable

from qtpy import QtCore, QtGui, QtWidgets

from mesmerize.core.errors import ColumnTypeError, MesmerizeError, ProjectError
from mesmerize.core.project import Project
from mesmerize.core.project.config import CustomColumn
from mesmerize.core.project.layout import SAMPLE_ID_SEPARATOR
from mesmerize.core.work_env import ViewerWorkEnv

ProjectProvider = Callable[[], "Project | None"]

_TYPE_HINTS = {"str": "text", "int": "whole number", "float": "decimal number"}


def parse_custom_text(column: str, column_type: str, text: str) -> Any:
    """The value typed into a custom column's entry: ``None`` when empty (the column's fill
    value is used), else text, an ``int`` or a ``float``. ``ColumnTypeError`` naming the column
    when the text is not a number of the column's type."""
    text = text.strip()
    if not text:
        return None
    if column_type == "str":
        return text
    try:
        return int(text) if column_type == "int" else float(text)
    except ValueError:
        raise ColumnTypeError(
            f"Custom column {column!r} holds {_TYPE_HINTS[column_type]}s, but {text!r} is not a "
            f"{_TYPE_HINTS[column_type]}. Correct the entry or leave it empty."
        ) from None


def _split_sample_id(sample_id: str) -> tuple[str, str]:
    animal, _, trial = sample_id.partition(SAMPLE_ID_SEPARATOR)
    return animal, trial


class AddToProjectDialog(QtWidgets.QDialog):
    """The Add to Project dialog for ``work_env`` and ``project``.

    ``sample_added(sample_id)`` is emitted after a successful save; the work environment then
    carries the new SampleID, custom values and comments and is marked saved.
    """

    sample_added = QtCore.Signal(str)

    def __init__(self, project: Project, work_env: ViewerWorkEnv,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Add to Project")
        self.project = project
        self.work_env = work_env
        self.last_error: str | None = None
        config = project.config
        self._custom_columns: dict[str, CustomColumn] = dict(config.custom_columns)

        self.animal_id_edit = QtWidgets.QLineEdit(self)
        self.trial_id_edit = QtWidgets.QLineEdit(self)
        for edit, what in ((self.animal_id_edit, "AnimalID"), (self.trial_id_edit, "TrialID")):
            edit.setToolTip(f"{what}: part of the SampleID (AnimalID{SAMPLE_ID_SEPARATOR}TrialID),"
                            f" which can never be changed later. Do not use "
                            f"{SAMPLE_ID_SEPARATOR!r} in it.")
        form = QtWidgets.QFormLayout()
        form.addRow("AnimalID", self.animal_id_edit)
        form.addRow("TrialID", self.trial_id_edit)

        self.custom_edits: dict[str, QtWidgets.QLineEdit] = {}
        for name, column in self._custom_columns.items():
            edit = QtWidgets.QLineEdit(self)
            hint = _TYPE_HINTS[column.type]
            fill = column.fill_value if column.replace_value is not None or column.type == "str" \
                else "not set"
            edit.setPlaceholderText(f"{hint} (empty: {fill})")
            edit.setToolTip(f"Custom column {name!r}: {hint}s only.")
            edit.textChanged.connect(lambda _text, n=name: self._mark_entry(n))
            self.custom_edits[name] = edit
            form.addRow(f"{name} ({hint})", edit)

        self.comments_edit = QtWidgets.QPlainTextEdit(self)
        self.comments_edit.setPlaceholderText("Comments about this sample")
        self.comments_edit.setMaximumHeight(90)
        form.addRow("Comments", self.comments_edit)

        self.add_radio = QtWidgets.QRadioButton("Add to Project Dataframe", self)
        self.overwrite_radio = QtWidgets.QRadioButton("Save changes (overwrite)", self)
        self.overwrite_image_check = QtWidgets.QCheckBox("Overwrite image data", self)
        self.overwrite_image_check.setChecked(True)
        self.overwrite_image_check.setToolTip(
            "Uncheck when the image sequence was not changed: the sample's movie file is kept.")
        self.add_radio.setChecked(True)
        from_sample = bool(work_env.sample_id)
        self.overwrite_radio.setEnabled(from_sample)
        self.overwrite_radio.setToolTip(
            f"Replace the sample {work_env.sample_id}" if from_sample
            else "Only for a work environment opened from a project sample")
        self.overwrite_radio.toggled.connect(self._on_mode_changed)
        options = QtWidgets.QVBoxLayout()
        options.addWidget(self.add_radio)
        overwrite_row = QtWidgets.QHBoxLayout()
        overwrite_row.addWidget(self.overwrite_radio)
        overwrite_row.addWidget(self.overwrite_image_check)
        overwrite_row.addStretch(1)
        options.addLayout(overwrite_row)

        self.proceed_button = QtWidgets.QPushButton("Proceed", self)
        self.proceed_button.setDefault(True)
        self.proceed_button.clicked.connect(self.proceed)
        self.cancel_button = QtWidgets.QPushButton("Cancel", self)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.proceed_button)

        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(options)
        layout.addLayout(buttons)
        self._fill_from_work_env()
        self._on_mode_changed()

    def _fill_from_work_env(self) -> None:
        env = self.work_env
        if env.sample_id:
            animal, trial = _split_sample_id(env.sample_id)
            self.animal_id_edit.setText(animal)
            self.trial_id_edit.setText(trial)
        for name, edit in self.custom_edits.items():
            value = env.custom_columns_dict.get(name)
            if value is not None:
                edit.setText(str(value))
        self.comments_edit.setPlainText(env.comments or "")

    def _on_mode_changed(self, *_: Any) -> None:
        overwrite = self.overwrite_radio.isChecked()
        self.overwrite_image_check.setEnabled(overwrite)
        # Overwriting replaces the sample the work environment came from, so its ids are fixed.
        if overwrite:
            animal, trial = _split_sample_id(self.work_env.sample_id)
            self.animal_id_edit.setText(animal)
            self.trial_id_edit.setText(trial)
        self.animal_id_edit.setReadOnly(overwrite)
        self.trial_id_edit.setReadOnly(overwrite)

    def _mark_entry(self, name: str) -> None:
        edit = self.custom_edits[name]
        try:
            parse_custom_text(name, self._custom_columns[name].type, edit.text())
            edit.setStyleSheet("")
        except ColumnTypeError as exc:
            edit.setStyleSheet("QLineEdit { border: 1px solid #d9534f; }")
            edit.setToolTip(str(exc))
            return
        edit.setToolTip(f"Custom column {name!r}: "
                        f"{_TYPE_HINTS[self._custom_columns[name].type]}s only.")

    def custom_values(self) -> dict[str, Any]:
        """``{custom column: value}`` from the entries; ``ColumnTypeError`` for a bad entry."""
        return {name: parse_custom_text(name, self._custom_columns[name].type, edit.text())
                for name, edit in self.custom_edits.items()}

    def proceed(self) -> str | None:
        """Add (or overwrite) the sample; returns its SampleID, or None after showing why not."""
        try:
            values = self.custom_values()
            sample_id = self._add_sample(values)
        except (MesmerizeError, OSError) as exc:
            self.last_error = str(exc)
            QtWidgets.QMessageBox.warning(self, "Add to Project", str(exc))
            return None
        env = self.work_env
        env.sample_id = sample_id
        env.custom_columns_dict = {k: v for k, v in values.items() if v is not None}
        env.mark_saved()
        self.last_error = None
        self.sample_added.emit(sample_id)
        self.accept()
        return sample_id

    def _add_sample(self, values: dict[str, Any]) -> str:
        env = self.work_env
        overwrite = self.overwrite_radio.isChecked()
        previous_comments = env.comments
        # add_sample reads the comments from the work environment
        env.comments = self.comments_edit.toPlainText()
        QtWidgets.QApplication.setOverrideCursor(QtGui.QCursor(QtCore.Qt.WaitCursor))
        try:
            return self.project.add_sample(
                env, self.animal_id_edit.text(), self.trial_id_edit.text(),
                custom_values=values, overwrite=overwrite,
                overwrite_image=self.overwrite_image_check.isChecked() if overwrite else True,
            )
        except BaseException:
            env.comments = previous_comments
            raise
        finally:
            QtWidgets.QApplication.restoreOverrideCursor()


class AddToProjectHook(QtCore.QObject):
    """The File -> Add to Project action of one Viewer; ``dialog`` is the last dialog opened."""

    def __init__(self, viewer_window: QtWidgets.QMainWindow, project_provider: ProjectProvider
                 ) -> None:
        super().__init__(viewer_window)
        self.viewer_window = viewer_window
        self.project_provider = project_provider
        self.dialog: AddToProjectDialog | None = None
        menu = viewer_window.menu_file
        self.action = QtWidgets.QAction("Add to Project", menu)
        self.action.setShortcut(QtGui.QKeySequence("Ctrl+Shift+A"))
        self.action.triggered.connect(lambda *_: self.open_dialog())
        first = menu.actions()[0] if menu.actions() else None
        menu.insertAction(first, self.action)

    def open_dialog(self) -> AddToProjectDialog | None:
        """Show the dialog for the Viewer's current work environment (window-modal)."""
        project = self.project_provider()
        if project is None:
            QtWidgets.QMessageBox.warning(
                self.viewer_window, "Add to Project",
                str(ProjectError("No project is open. Open or create a project in the Welcome "
                                 "Window, then use File -> Add to Project again.")))
            return None
        work_env = self.viewer_window.vi.viewer.workEnv
        self.dialog = AddToProjectDialog(project, work_env, self.viewer_window)
        self.dialog.sample_added.connect(lambda _sid: self.viewer_window.update_workEnv())
        self.dialog.open()
        return self.dialog


def install_add_to_project(viewer_window: QtWidgets.QMainWindow,
                           project_provider: ProjectProvider) -> AddToProjectHook:
    """Add File -> Add to Project to ``viewer_window``; ``project_provider()`` returns the open
    ``Project`` (or None) each time the action is used."""
    return AddToProjectHook(viewer_window, project_provider)
