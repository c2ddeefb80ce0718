"""Qt editors generated from an operation's ``Param`` specs (``mesmerize.analysis.registry``).

One editor per parameter kind: int/float -> spin box with the spec's range, bool -> check box,
choice -> combo box of the choices, str -> line edit, column -> combo box of the input
DataFrame's columns (filtered by ``column_kind``), columns -> checkable list of columns.
Values are validated by the spec itself (``Param.validate``), so the GUI accepts exactly what
the pure function accepts.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Callable, Iterable, Mapping, Sequence

from qtpy import QtCore, QtWidgets

from mesmerize.analysis.history_trace import BLOCK_COLUMN
from mesmerize.analysis.registry import Param
from mesmerize.core.errors import ParameterError

LAST_OUTPUT_TEXT = "(last output)"
NONE_TEXT = "(none)"
CHOOSE_TEXT = "(choose a column)"
SPIN_LIMIT = 1e12
FLOAT_DECIMALS = 6


def columns_for_kind(columns: Iterable[str], column_kind: str) -> list[str]:
    """The columns a ``column``/``columns`` parameter may offer.

    The guide's naming convention: numerical columns start with ``_``, categorical ones do not;
    ``_BLOCK_`` (data block UUIDs) is never offered.
    """
    names = [str(c) for c in columns if str(c) != BLOCK_COLUMN]
    if column_kind == "numerical":
        return [c for c in names if c.startswith("_")]
    if column_kind == "categorical":
        return [c for c in names if not c.startswith("_")]
    return names


class _Editor(ABC):
    """Wraps the Qt widget of one parameter: ``value()``, ``set_value(v)``, ``set_columns``."""

    def __init__(self, param: Param, on_change: Callable[[], None]) -> None:
        self.param = param
        self.widget = self._make(on_change)

    @abstractmethod
    def _make(self, on_change: Callable[[], None]) -> QtWidgets.QWidget:
        """The Qt widget, calling ``on_change()`` when the user edits it."""

    @abstractmethod
    def value(self) -> Any:
        """The value shown."""

    @abstractmethod
    def set_value(self, value: Any) -> None:
        """Show an already validated value."""

    def set_columns(self, columns: Sequence[str]) -> None:
        """Only column editors use the input's columns."""


class _IntEditor(_Editor):
    def _make(self, on_change):
        box = QtWidgets.QSpinBox()
        p = self.param
        low = int(p.min) + (1 if p.min_exclusive else 0) if p.min is not None else -2**31 + 1
        high = int(p.max) if p.max is not None else 2**31 - 1
        box.setRange(low, high)
        box.setValue(int(p.default) if p.default is not None else max(low, min(0, high)))
        box.valueChanged.connect(on_change)
        return box

    def value(self) -> int:
        return int(self.widget.value())

    def set_value(self, value: Any) -> None:
        self.widget.setValue(value)


class _FloatEditor(_Editor):
    def _make(self, on_change):
        box = QtWidgets.QDoubleSpinBox()
        p = self.param
        box.setDecimals(FLOAT_DECIMALS)
        step = 10.0 ** -FLOAT_DECIMALS
        low = -SPIN_LIMIT if p.min is None else p.min + (step if p.min_exclusive else 0.0)
        high = SPIN_LIMIT if p.max is None else p.max
        box.setRange(low, high)
        box.setSingleStep(0.1)
        box.setValue(float(p.default) if p.default is not None else max(low, min(0.0, high)))
        box.valueChanged.connect(on_change)
        return box

    def value(self) -> float:
        return float(self.widget.value())

    def set_value(self, value: Any) -> None:
        self.widget.setValue(value)


class _BoolEditor(_Editor):
    def _make(self, on_change):
        box = QtWidgets.QCheckBox()
        box.setChecked(bool(self.param.default))
        box.toggled.connect(on_change)
        return box

    def value(self) -> bool:
        return self.widget.isChecked()

    def set_value(self, value: Any) -> None:
        self.widget.setChecked(value)


class _StrEditor(_Editor):
    """Empty text means None when the spec's default is None (e.g. SpliceArrays indices)."""

    def _make(self, on_change):
        edit = QtWidgets.QLineEdit("" if self.param.default is None else str(self.param.default))
        edit.editingFinished.connect(on_change)
        return edit

    def value(self) -> str | None:
        text = self.widget.text()
        return None if text == "" and self.param.default is None else text

    def set_value(self, value: Any) -> None:
        self.widget.setText("" if value is None else value)


class _ChoiceEditor(_Editor):
    def _make(self, on_change):
        box = QtWidgets.QComboBox()
        for choice in self.param.choices:
            box.addItem(str(choice), choice)
        box.setCurrentIndex(self.param.choices.index(self.param.default)
                            if self.param.default in self.param.choices else 0)
        box.currentIndexChanged.connect(on_change)
        return box

    def value(self) -> Any:
        return self.widget.currentData()

    def set_value(self, value: Any) -> None:
        self.widget.setCurrentIndex(self.param.choices.index(value))


class _ColumnEditor(_Editor):
    """A combo box of the input's columns. The chosen name is kept when the input does not have
    it (a restored flowchart before data arrives); the operation then names the problem."""

    def _make(self, on_change):
        box = QtWidgets.QComboBox()
        box.setSizeAdjustPolicy(QtWidgets.QComboBox.AdjustToContents)
        self._wanted = self.param.default
        self._columns: list[str] = []
        self._fill(box)
        box.currentIndexChanged.connect(lambda _i: self._picked(on_change))
        return box

    def _none_text(self) -> str:
        """The entry meaning None: the last output, no column, or (required) not chosen yet."""
        if self.param.name == "data_column":
            return LAST_OUTPUT_TEXT
        return NONE_TEXT if self.param.optional else CHOOSE_TEXT

    def _fill(self, box: QtWidgets.QComboBox) -> None:
        box.blockSignals(True)
        box.clear()
        box.addItem(self._none_text(), None)
        names = list(self._columns)
        if self._wanted is not None and self._wanted not in names:
            names.append(self._wanted)
        for name in names:
            box.addItem(name, name)
        box.setCurrentIndex(max(0, box.findData(self._wanted)) if self._wanted is not None else 0)
        box.blockSignals(False)

    def _picked(self, on_change) -> None:
        self._wanted = self.widget.currentData()
        on_change()

    def value(self) -> str | None:
        return self._wanted

    def set_value(self, value: Any) -> None:
        self._wanted = value
        self._fill(self.widget)

    def set_columns(self, columns: Sequence[str]) -> None:
        offered = columns_for_kind(columns, self.param.column_kind)
        if offered != self._columns:
            self._columns = offered
            self._fill(self.widget)


class _ColumnsEditor(_Editor):
    """A checkable list of the input's columns."""

    def _make(self, on_change):
        widget = QtWidgets.QListWidget()
        widget.setMaximumHeight(110)
        self._wanted: list[str] = list(self.param.default or [])
        self._columns: list[str] = []
        self._on_change = on_change
        widget.itemChanged.connect(self._picked)
        self._fill(widget)
        return widget

    def _fill(self, widget: QtWidgets.QListWidget) -> None:
        widget.blockSignals(True)
        widget.clear()
        for name in dict.fromkeys([*self._columns, *self._wanted]):
            item = QtWidgets.QListWidgetItem(name)
            item.setFlags(item.flags() | QtCore.Qt.ItemIsUserCheckable)
            item.setCheckState(QtCore.Qt.Checked if name in self._wanted else QtCore.Qt.Unchecked)
            widget.addItem(item)
        widget.blockSignals(False)

    def _picked(self, _item) -> None:
        self._wanted = [self.widget.item(i).text() for i in range(self.widget.count())
                        if self.widget.item(i).checkState() == QtCore.Qt.Checked]
        self._on_change()

    def value(self) -> list[str]:
        return list(self._wanted)

    def set_value(self, value: Any) -> None:
        self._wanted = list(value)
        self._fill(self.widget)

    def set_columns(self, columns: Sequence[str]) -> None:
        offered = columns_for_kind(columns, self.param.column_kind)
        if offered != self._columns:
            self._columns = offered
            self._fill(self.widget)


_EDITORS = {"int": _IntEditor, "float": _FloatEditor, "bool": _BoolEditor, "str": _StrEditor,
            "choice": _ChoiceEditor, "column": _ColumnEditor, "columns": _ColumnsEditor}


class ParamControls(QtWidgets.QWidget):
    """A form with one editor per ``Param``; ``changed`` is emitted when the user edits one.

    ``values()`` gives ``{name: value}`` ready for the operation; ``set_values`` checks each
    value with its spec (``ParameterError`` naming the parameter) before showing it.
    """

    changed = QtCore.Signal()

    def __init__(self, params: Sequence[Param], op_name: str,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.op_name = op_name
        self.form = QtWidgets.QFormLayout(self)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.form.setFieldGrowthPolicy(QtWidgets.QFormLayout.AllNonFixedFieldsGrow)
        self.editors: dict[str, _Editor] = {}
        self._optional_boxes: dict[str, QtWidgets.QCheckBox] = {}
        for param in params:
            editor = _EDITORS[param.kind](param, self.changed.emit)
            self.editors[param.name] = editor
            editor.widget.setToolTip(param.doc)
            label = QtWidgets.QLabel(param.name)
            label.setToolTip(param.doc)
            self.form.addRow(label, self._field(param, editor))

    def _field(self, param: Param, editor: _Editor) -> QtWidgets.QWidget:
        if not (param.optional and param.kind in ("int", "float")):
            return editor.widget
        # a number that may be None: a check box turns the spin box on
        box = QtWidgets.QCheckBox()
        box.setToolTip(f"Set {param.name} (unchecked: None)")
        box.setChecked(param.default is not None)
        editor.widget.setEnabled(param.default is not None)
        box.toggled.connect(editor.widget.setEnabled)
        box.toggled.connect(lambda _on: self.changed.emit())
        self._optional_boxes[param.name] = box
        row = QtWidgets.QWidget()
        layout = QtWidgets.QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(box)
        layout.addWidget(editor.widget, 1)
        return row

    def values(self) -> dict[str, Any]:
        out = {}
        for name, editor in self.editors.items():
            box = self._optional_boxes.get(name)
            out[name] = None if box is not None and not box.isChecked() else editor.value()
        return out

    def set_values(self, values: Mapping[str, Any]) -> None:
        """Show ``values`` (a subset of the parameters) without emitting ``changed``."""
        checked = {}
        for name, value in values.items():
            if name not in self.editors:
                raise ParameterError(f"{self.op_name} has no parameter {name!r}; its parameters "
                                     f"are {list(self.editors)}.")
            checked[name] = self.editors[name].param.validate(value, self.op_name)
        self.blockSignals(True)
        try:
            for name, value in checked.items():
                box = self._optional_boxes.get(name)
                if box is not None:
                    box.setChecked(value is not None)
                if value is not None or box is None:
                    self.editors[name].set_value(value)
        finally:
            self.blockSignals(False)

    def set_input_columns(self, columns: Sequence[str]) -> None:
        """Offer ``columns`` (the incoming DataFrame's) in the column editors."""
        for editor in self.editors.values():
            editor.set_columns(columns)
