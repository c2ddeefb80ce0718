"""One Project Browser column: the column's unique values, a filter entry and an Apply button.

Selecting values writes them into the entry joined with ``|`` (the filter language's OR;
numeric columns get ``$=:`` so 48 does not also match 148). The entry's right-click menu inserts
a modifier at the start; the Apply button's right-click menu offers Apply in new tab, Apply all
and Apply all in new tab. The filtering itself is ``mesmerize.core.project.filters``.
"""
from __future__ import annotations

import pandas as pd
from pandas.api.types import is_numeric_dtype
from qtpy import QtCore, QtWidgets
from qtpy.QtCore import Qt

from mesmerize.core.project.filters import MODIFIERS, NUMERIC_MODIFIERS, TEXT_MODIFIERS

APPLY = "apply"
APPLY_NEW_TAB = "apply_new_tab"
APPLY_ALL = "apply_all"
APPLY_ALL_NEW_TAB = "apply_all_new_tab"


def unique_values(series: pd.Series) -> list[str]:
    """The column's distinct non-missing values as text, numbers in numeric order."""
    values = series.dropna().unique()
    if is_numeric_dtype(series.dtype):
        return [str(v) for v in sorted(values)]
    return sorted(str(v) for v in values)


def strip_modifier(text: str) -> str:
    """``text`` without a leading filter modifier."""
    for modifier in sorted(MODIFIERS, key=len, reverse=True):
        if text.startswith(modifier):
            return text[len(modifier):]
    return text


class ColumnFilter(QtWidgets.QWidget):
    """``apply_requested(column, mode)`` with ``mode`` one of APPLY, APPLY_NEW_TAB, APPLY_ALL,
    APPLY_ALL_NEW_TAB; ``value_double_clicked(column, value)``."""

    apply_requested = QtCore.Signal(str, str)
    value_double_clicked = QtCore.Signal(str, str)

    def __init__(self, column: str, series: pd.Series,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.column = column
        self.numeric = is_numeric_dtype(series.dtype)
        title = QtWidgets.QLabel(f"<b>{column}</b>")
        title.setAlignment(Qt.AlignCenter)
        self.values_model = QtCore.QStringListModel(self)
        self.values_view = QtWidgets.QListView()
        self.values_view.setModel(self.values_model)
        self.values_view.setSelectionMode(QtWidgets.QAbstractItemView.ExtendedSelection)
        self.values_view.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
        self.values_view.setUniformItemSizes(True)
        self.values_view.selectionModel().selectionChanged.connect(self._selection_to_entry)
        self.values_view.doubleClicked.connect(
            lambda index: self.value_double_clicked.emit(self.column, index.data()))
        self.entry = QtWidgets.QLineEdit()
        self.entry.setPlaceholderText("filter")
        self.entry.setToolTip("Right-click for modifiers; | separates alternatives (OR)")
        self.entry.setContextMenuPolicy(Qt.CustomContextMenu)
        self.entry.customContextMenuRequested.connect(self._entry_menu)
        self.entry.returnPressed.connect(lambda: self.apply_requested.emit(self.column, APPLY))
        self.apply_button = QtWidgets.QPushButton("Apply")
        self.apply_button.setToolTip("Right-click: Apply in new tab, Apply all, "
                                     "Apply all in new tab")
        self.apply_button.clicked.connect(lambda: self.apply_requested.emit(self.column, APPLY))
        self.apply_button.setContextMenuPolicy(Qt.CustomContextMenu)
        self.apply_button.customContextMenuRequested.connect(self._apply_menu)

        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(title)
        layout.addWidget(self.values_view, 1)
        layout.addWidget(self.entry)
        layout.addWidget(self.apply_button)
        self.setMinimumWidth(130)
        self.set_values(series)

    def set_values(self, series: pd.Series) -> None:
        """Show the distinct values of ``series`` (keeps the entry text)."""
        blocker = QtCore.QSignalBlocker(self.values_view.selectionModel())
        self.values_model.setStringList(unique_values(series))
        del blocker

    def values(self) -> list[str]:
        return self.values_model.stringList()

    def filter_text(self) -> str:
        return self.entry.text()

    def set_filter_text(self, text: str) -> None:
        self.entry.setText(text)

    def select_values(self, values: list[str]) -> None:
        """Select the listed values (as a click would), which sets the entry."""
        selection = QtCore.QItemSelection()
        for row, value in enumerate(self.values()):
            if value in values:
                index = self.values_model.index(row)
                selection.select(index, index)
        self.values_view.selectionModel().select(
            selection, QtCore.QItemSelectionModel.ClearAndSelect)

    def _selection_to_entry(self) -> None:
        rows = sorted(i.row() for i in self.values_view.selectionModel().selectedIndexes())
        selected = [self.values()[r] for r in rows]
        text = "|".join(selected)
        self.entry.setText(f"$=:{text}" if self.numeric and text else text)

    def modifiers(self) -> tuple[str, ...]:
        """The modifiers this column accepts (numeric ones only for numeric columns)."""
        return MODIFIERS if self.numeric else TEXT_MODIFIERS

    def insert_modifier(self, modifier: str) -> None:
        """Put ``modifier`` at the start of the entry, replacing a modifier already there."""
        self.entry.setText(modifier + strip_modifier(self.entry.text()))

    def entry_menu(self) -> QtWidgets.QMenu:
        """The entry's right-click menu: the standard edit actions, then the modifiers."""
        menu = self.entry.createStandardContextMenu()
        menu.setParent(self, menu.windowFlags())
        menu.addSeparator()
        for modifier in self.modifiers():
            if modifier == NUMERIC_MODIFIERS[0]:
                menu.addSeparator()
            menu.addAction(modifier, lambda m=modifier: self.insert_modifier(m))
        return menu

    def _entry_menu(self, pos: QtCore.QPoint) -> None:
        menu = self.entry_menu()
        menu.exec_(self.entry.mapToGlobal(pos))
        menu.deleteLater()

    def apply_menu(self) -> QtWidgets.QMenu:
        """The Apply button's right-click menu."""
        menu = QtWidgets.QMenu(self)
        for label, mode in (("Apply in new tab", APPLY_NEW_TAB), ("Apply all", APPLY_ALL),
                            ("Apply all in new tab", APPLY_ALL_NEW_TAB)):
            menu.addAction(label, lambda m=mode: self.apply_requested.emit(self.column, m))
        return menu

    def _apply_menu(self, pos: QtCore.QPoint) -> None:
        menu = self.apply_menu()
        menu.exec_(self.apply_button.mapToGlobal(pos))
        menu.deleteLater()
