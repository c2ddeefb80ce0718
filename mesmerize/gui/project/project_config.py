"""The Project Configuration window: ROI type, stimulus type and custom columns, and which
columns the Project Browser shows.

A form over ``ProjectConfig``: every check is the core's (``ProjectConfig`` validation,
``Project.apply_config``); refusals are shown with the core's message.
"""
from __future__ import annotations

from typing import Any

from qtpy import QtCore, QtWidgets
from qtpy.QtCore import Qt

from mesmerize.core.errors import ColumnTypeError, ConfigError, MesmerizeError
from mesmerize.core.project import CustomColumn, Project, ProjectConfig

TYPE_LABELS: dict[str, str] = {
    "str": "standard text", "int": "whole numbers", "float": "decimal numbers",
}
"""Custom column type -> the label the guide uses."""


def parse_replace_value(column_type: str, text: str) -> Any:
    """The "Dataframe replace value" typed into the form as a value of ``column_type``.

    Empty text means no replace value (None). Raises ``ConfigError`` for text that is not a
    number in a numeric column.
    """
    if not text.strip():
        return None
    if column_type == "str":
        return text
    try:
        return int(text) if column_type == "int" else float(text)
    except ValueError:
        raise ConfigError(f"The Dataframe replace value {text!r} is not a "
                          f"{TYPE_LABELS[column_type].rstrip('s')}; type a number or leave it "
                          "empty") from None


class ColumnNamesBox(QtWidgets.QGroupBox):
    """A titled list of column names with a name entry, Add and Remove."""

    add_requested = QtCore.Signal(str)
    remove_requested = QtCore.Signal(str)

    def __init__(self, title: str, names: list[str], parent=None) -> None:
        super().__init__(title, parent)
        self.list = QtWidgets.QListWidget()
        self.list.addItems(names)
        self.entry = QtWidgets.QLineEdit()
        self.entry.setPlaceholderText("column name")
        self.entry.returnPressed.connect(self._add)
        add = QtWidgets.QPushButton("Add")
        add.clicked.connect(self._add)
        remove = QtWidgets.QPushButton("Remove")
        remove.clicked.connect(self._remove)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(self.entry, 1)
        row.addWidget(add)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addLayout(row)
        layout.addWidget(remove)

    def names(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def _add(self) -> None:
        self.add_requested.emit(self.entry.text())

    def _remove(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.remove_requested.emit(item.text())


class ColumnVisibilityList(QtWidgets.QListWidget):
    """A list of column names whose items can be dragged to the other visibility list."""

    def __init__(self, names: list[str], parent=None) -> None:
        super().__init__(parent)
        self.addItems(names)
        self.setDragDropMode(QtWidgets.QAbstractItemView.DragDrop)
        self.setDefaultDropAction(Qt.MoveAction)
        self.setSelectionMode(QtWidgets.QAbstractItemView.ExtendedSelection)

    def names(self) -> list[str]:
        return [self.item(i).text() for i in range(self.count())]


class ProjectConfigWindow(QtWidgets.QWidget):
    """Edit ``project``'s configuration; "Save and Apply" calls ``Project.apply_config``.

    ``applied`` is emitted after a configuration was applied.
    """

    applied = QtCore.Signal()

    def __init__(self, project: Project, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.setWindowTitle(f"Project Configuration — {project.path.name}")
        self.resize(1050, 600)
        config = project.config
        self.custom_columns: dict[str, CustomColumn] = dict(config.custom_columns)

        self.roi_box = ColumnNamesBox("ROI Type Columns", config.roi_type_columns)
        self.stim_box = ColumnNamesBox("Stimulus Type Columns", config.stimulus_type_columns)
        for box in (self.roi_box, self.stim_box):
            box.add_requested.connect(lambda name, b=box: self.add_column(b, name))
            box.remove_requested.connect(self.remove_column)

        custom_box = QtWidgets.QGroupBox("Custom Columns")
        self.custom_table = QtWidgets.QTableWidget(0, 3)
        self.custom_table.setHorizontalHeaderLabels(["Name", "Type", "Dataframe replace value"])
        self.custom_table.horizontalHeader().setSectionResizeMode(
            QtWidgets.QHeaderView.ResizeToContents)
        self.custom_table.horizontalHeader().setStretchLastSection(True)
        self.custom_table.verticalHeader().hide()
        self.custom_table.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
        self.custom_table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectRows)
        self.custom_name = QtWidgets.QLineEdit()
        self.custom_name.setPlaceholderText("column name")
        self.custom_type = QtWidgets.QComboBox()
        for column_type, label in TYPE_LABELS.items():
            self.custom_type.addItem(label, column_type)
        self.custom_replace = QtWidgets.QLineEdit()
        self.custom_replace.setPlaceholderText("optional; fills existing samples")
        add_custom = QtWidgets.QPushButton("Add")
        add_custom.clicked.connect(self._add_custom_from_form)
        remove_custom = QtWidgets.QPushButton("Remove")
        remove_custom.clicked.connect(self._remove_selected_custom)
        form = QtWidgets.QGridLayout()
        form.addWidget(QtWidgets.QLabel("Name:"), 0, 0)
        form.addWidget(self.custom_name, 0, 1)
        form.addWidget(QtWidgets.QLabel("Type:"), 1, 0)
        form.addWidget(self.custom_type, 1, 1)
        form.addWidget(QtWidgets.QLabel("Dataframe replace value:"), 2, 0)
        form.addWidget(self.custom_replace, 2, 1)
        form.addWidget(add_custom, 3, 0)
        form.addWidget(remove_custom, 3, 1)
        custom_layout = QtWidgets.QVBoxLayout(custom_box)
        custom_layout.addWidget(self.custom_table, 1)
        custom_layout.addLayout(form)
        self._fill_custom_table()

        visibility_box = QtWidgets.QGroupBox(
            "Visible / Hidden in Project Browser (drag and drop between the lists)")
        self.visible_list = ColumnVisibilityList(config.visible_columns)
        self.hidden_list = ColumnVisibilityList(config.hidden_columns)
        to_hidden = QtWidgets.QPushButton("→")
        to_hidden.setToolTip("Hide the selected columns")
        to_hidden.clicked.connect(lambda: self.move_columns(self.visible_list, self.hidden_list))
        to_visible = QtWidgets.QPushButton("←")
        to_visible.setToolTip("Show the selected columns")
        to_visible.clicked.connect(lambda: self.move_columns(self.hidden_list, self.visible_list))
        arrows = QtWidgets.QVBoxLayout()
        arrows.addStretch(1)
        arrows.addWidget(to_hidden)
        arrows.addWidget(to_visible)
        arrows.addStretch(1)
        grid = QtWidgets.QGridLayout(visibility_box)
        grid.addWidget(QtWidgets.QLabel("Visible"), 0, 0)
        grid.addWidget(QtWidgets.QLabel("Hidden"), 0, 2)
        grid.addWidget(self.visible_list, 1, 0)
        grid.addLayout(arrows, 1, 1)
        grid.addWidget(self.hidden_list, 1, 2)

        self.status = QtWidgets.QLabel("")
        save = QtWidgets.QPushButton("Save and Apply")
        save.setObjectName("save_and_apply")
        save.clicked.connect(self.save_and_apply)
        bottom = QtWidgets.QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(save)

        columns = QtWidgets.QHBoxLayout()
        columns.addWidget(self.roi_box)
        columns.addWidget(self.stim_box)
        columns.addWidget(custom_box, 3)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(columns, 3)
        layout.addWidget(visibility_box, 2)
        layout.addLayout(bottom)

    # --- building the config ---------------------------------------------------------------
    def build_config(self, custom_columns: dict[str, CustomColumn] | None = None,
                     roi: list[str] | None = None, stim: list[str] | None = None
                     ) -> ProjectConfig:
        """The configuration the form shows (``ConfigError`` when invalid)."""
        roi = self.roi_box.names() if roi is None else roi
        stim = self.stim_box.names() if stim is None else stim
        custom = self.custom_columns if custom_columns is None else custom_columns
        return ProjectConfig(
            roi_type_columns=roi, stimulus_type_columns=stim, custom_columns=dict(custom),
            visible_columns=self.visible_list.names(), hidden_columns=self.hidden_list.names(),
        )

    def _refuse(self, title: str, exc: Exception) -> None:
        QtWidgets.QMessageBox.warning(self, title, str(exc))

    def add_column(self, box: ColumnNamesBox, name: str) -> bool:
        """Add an ROI or stimulus type column (checked by the core); False when refused."""
        roi, stim = self.roi_box.names(), self.stim_box.names()
        (roi if box is self.roi_box else stim).append(name)
        try:
            self.build_config(roi=roi, stim=stim)
        except ConfigError as exc:
            self._refuse("Column not added", exc)
            return False
        box.list.addItem(name)
        box.entry.clear()
        self.visible_list.addItem(name)
        return True

    def add_custom_column(self, name: str, column_type: str, replace_text: str = "") -> bool:
        """Add a custom column (type "str", "int" or "float"); False when refused."""
        try:
            column = CustomColumn(column_type, parse_replace_value(column_type, replace_text))
            self.build_config(custom_columns={**self.custom_columns, name: column})
            if name in self.custom_columns:
                raise ConfigError(f"A custom column named {name!r} already exists.")
        except ConfigError as exc:
            self._refuse("Column not added", exc)
            return False
        self.custom_columns[name] = column
        self._fill_custom_table()
        self.visible_list.addItem(name)
        self.custom_name.clear()
        self.custom_replace.clear()
        return True

    def _add_custom_from_form(self) -> None:
        self.add_custom_column(self.custom_name.text(), self.custom_type.currentData(),
                               self.custom_replace.text())

    def _fill_custom_table(self) -> None:
        self.custom_table.setRowCount(len(self.custom_columns))
        for row, (name, column) in enumerate(self.custom_columns.items()):
            replace = "" if column.replace_value is None else str(column.replace_value)
            for col, text in enumerate((name, TYPE_LABELS[column.type], replace)):
                self.custom_table.setItem(row, col, QtWidgets.QTableWidgetItem(text))

    def _remove_selected_custom(self) -> None:
        row = self.custom_table.currentRow()
        if row >= 0:
            self.remove_column(self.custom_table.item(row, 0).text())

    def remove_column(self, name: str) -> None:
        """Remove a user column from the form (the project changes on Save and Apply)."""
        for box in (self.roi_box, self.stim_box):
            for item in box.list.findItems(name, Qt.MatchExactly):
                box.list.takeItem(box.list.row(item))
        if self.custom_columns.pop(name, None) is not None:
            self._fill_custom_table()
        for lst in (self.visible_list, self.hidden_list):
            for item in lst.findItems(name, Qt.MatchExactly):
                lst.takeItem(lst.row(item))

    def move_columns(self, source: ColumnVisibilityList, target: ColumnVisibilityList,
                     names: list[str] | None = None) -> None:
        """Move the selected (or named) columns from one visibility list to the other."""
        items = (source.selectedItems() if names is None else
                 [i for n in names for i in source.findItems(n, Qt.MatchExactly)])
        for item in items:
            target.addItem(source.takeItem(source.row(item)))

    # --- applying --------------------------------------------------------------------------
    def save_and_apply(self) -> bool:
        """Apply the form to the project (DataFrame backup first); False when refused."""
        try:
            config = self.build_config()
        except ConfigError as exc:
            self._refuse("Invalid configuration", exc)
            return False
        removed = sorted(set(self.project.config.user_columns) - set(config.user_columns))
        if removed and len(self.project.dataframe):
            answer = QtWidgets.QMessageBox.question(
                self, "Remove columns",
                f"The columns {', '.join(removed)} and their values will be removed from the "
                "project DataFrame (a backup is made first). Continue?")
            if answer != QtWidgets.QMessageBox.Yes:
                return False
        try:
            self.project.apply_config(config)
        except ColumnTypeError as exc:
            self._refuse("Data types cannot be changed later", exc)
            return False
        except MesmerizeError as exc:
            self._refuse("Configuration not applied", exc)
            return False
        self.status.setText("Saved and applied. Open windows follow the new configuration.")
        self.applied.emit()
        return True
