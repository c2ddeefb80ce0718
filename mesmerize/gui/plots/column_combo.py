"""``ColumnCombo``: the column chooser the plots share (keeps the user's choice across new
inputs, offers the columns of one kind)."""
from __future__ import annotations

from typing import Sequence

from qtpy import QtWidgets

from mesmerize.core.errors import ParameterError
from mesmerize.gui.flowchart.param_controls import columns_for_kind


class ColumnCombo(QtWidgets.QComboBox):
    """A combo box of the input's columns of one kind (``"numerical"``: names starting with
    ``_``; ``"categorical"``; ``"any"``), optionally headed by ``none_text`` meaning None.

    ``set_columns`` keeps the current choice when the new input still has it (or the none
    entry once the user or ``set_value`` chose it), else picks the first of ``preferred`` that
    exists, else the first entry. ``value()`` is the chosen name or None.
    """

    def __init__(self, kind: str = "any", none_text: str | None = None,
                 preferred: Sequence[str] = (), parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.none_text = none_text
        self.preferred = tuple(preferred)
        self.setSizeAdjustPolicy(QtWidgets.QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(12)
        self._none_chosen = False
        self.activated.connect(lambda _i: setattr(self, "_none_chosen", self.value() is None))
        self.set_columns([])

    def set_columns(self, columns: Sequence[str]) -> None:
        """Offer the columns of ``kind`` among ``columns``."""
        current = self.value() if self.count() else None
        offered = columns_for_kind(columns, self.kind)
        self.blockSignals(True)
        self.clear()
        if self.none_text is not None:
            self.addItem(self.none_text, None)
        for name in offered:
            self.addItem(name, name)
        self.blockSignals(False)
        if current in offered or (current is None and self._none_chosen):
            self.set_value(current)
            return
        for name in self.preferred:
            if name in offered:
                self.set_value(name)
                return
        self.setCurrentIndex(0)

    def value(self) -> str | None:
        return self.currentData()

    def set_value(self, name: str | None) -> None:
        """Choose ``name`` (None: the none entry). A name the input lacks is added, so a saved
        state shows what it asked for and drawing names the missing column."""
        self._none_chosen = name is None
        if name is None:
            if self.none_text is None:
                raise ParameterError(f"This control needs a column; choose one of "
                                     f"{[self.itemData(i) for i in range(self.count())]}.")
            self.setCurrentIndex(0)
            return
        index = self.findData(name)
        if index < 0:
            self.addItem(name, name)
            index = self.count() - 1
        self.setCurrentIndex(index)
