"""A Qt table model over a pandas DataFrame (model/view: no widget per cell, so 100,000 rows
stay responsive).

Cells are read with ``DataFrame.iat`` only when the view paints them. Editable models parse the
typed text by the column's dtype (whole numbers for integer columns, decimals for float
columns, text otherwise) and refuse edits of ``protected_columns`` with a message
(``edit_refused``).
"""
from __future__ import annotations

from typing import Any, Iterable

import pandas as pd
from pandas.api.types import is_float_dtype, is_integer_dtype, is_numeric_dtype
from qtpy import QtCore
from qtpy.QtCore import QAbstractTableModel, QModelIndex, Qt

MAX_DISPLAY_CHARS = 300
"""Longer text (e.g. ROI_State JSON) is cut in the table; the tooltip shows all of it."""


def _display_text(value: Any) -> str:
    try:
        if pd.isna(value):
            return ""
    except (TypeError, ValueError):
        pass
    return str(value)


class DataFrameModel(QAbstractTableModel):
    """Rows and columns of ``df`` (its index labels as row headers).

    ``edit_refused(message)`` is emitted when an edit is refused; ``cell_edited(row, column)``
    after an accepted edit (``row`` is the position, ``column`` the column name).
    """

    edit_refused = QtCore.Signal(str)
    cell_edited = QtCore.Signal(int, str)

    def __init__(self, df: pd.DataFrame, editable: bool = False,
                 protected_columns: Iterable[str] = (), protected_reasons: dict | None = None,
                 parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self._df = df
        self._editable = editable
        self._protected = set(protected_columns)
        self._reasons = dict(protected_reasons or {})

    def dataframe(self) -> pd.DataFrame:
        """The model's DataFrame (edits are made in it)."""
        return self._df

    def set_dataframe(self, df: pd.DataFrame) -> None:
        self.beginResetModel()
        self._df = df
        self.endResetModel()

    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._df)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._df.columns)

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid():
            return None
        if role in (Qt.DisplayRole, Qt.EditRole, Qt.ToolTipRole):
            text = _display_text(self._df.iat[index.row(), index.column()])
            if role == Qt.DisplayRole and len(text) > MAX_DISPLAY_CHARS:
                return text[:MAX_DISPLAY_CHARS] + "…"
            return text
        if role == Qt.TextAlignmentRole and is_numeric_dtype(self._df.dtypes.iloc[index.column()]):
            return int(Qt.AlignRight | Qt.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.DisplayRole) -> Any:
        if role != Qt.DisplayRole:
            return None
        if orientation == Qt.Horizontal:
            return str(self._df.columns[section])
        return str(self._df.index[section])

    def flags(self, index: QModelIndex) -> Qt.ItemFlags:
        flags = Qt.ItemIsEnabled | Qt.ItemIsSelectable
        if self._editable and index.isValid():
            flags |= Qt.ItemIsEditable
        return flags

    def setData(self, index: QModelIndex, value: Any, role: int = Qt.EditRole) -> bool:
        if not (self._editable and index.isValid() and role == Qt.EditRole):
            return False
        column = str(self._df.columns[index.column()])
        if column in self._protected:
            self.edit_refused.emit(self._reasons.get(
                column, f"The column {column!r} cannot be edited."))
            return False
        try:
            parsed = self._parse(column, str(value))
        except ValueError as exc:
            self.edit_refused.emit(str(exc))
            return False
        self._df.iat[index.row(), index.column()] = parsed
        self.dataChanged.emit(index, index, [Qt.DisplayRole, Qt.EditRole])
        self.cell_edited.emit(index.row(), column)
        return True

    def _parse(self, column: str, text: str) -> Any:
        dtype = self._df[column].dtype
        stripped = text.strip()
        if is_integer_dtype(dtype):
            if not stripped:
                return pd.NA
            try:
                return int(stripped)
            except ValueError:
                raise ValueError(f"Column {column!r} holds whole numbers; {text!r} is not one. "
                                 "Type an integer such as 48, or nothing for no value.") from None
        if is_float_dtype(dtype):
            if not stripped:
                return float("nan")
            try:
                return float(stripped)
            except ValueError:
                raise ValueError(f"Column {column!r} holds decimal numbers; {text!r} is not one. "
                                 "Type a number such as 0.5, or nothing for no value.") from None
        return text
