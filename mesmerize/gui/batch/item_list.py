"""The Batch Manager's item list: one entry per batch item, coloured by status."""
from __future__ import annotations

from typing import Iterable

from qtpy import QtCore, QtGui, QtWidgets

from mesmerize.core.batch import BatchItem
from mesmerize.core.batch.item import (
    ABORTED, FAILED, FINISHED, INTERRUPTED, MOVING, PENDING, RUNNING,
)
from mesmerize.core.errors import ParameterError
from mesmerize.gui.batch.item_text import item_label

STATUS_COLORS: dict[str, str] = {
    FINISHED: "#66bb6a", FAILED: "#ef5350", RUNNING: "#ffee58", ABORTED: "#ffa726",
    MOVING: "#42a5f5", PENDING: "#d6d6d6", INTERRUPTED: "#a8a8a8",
}
"""Background colour of an item by status (the guide's table: green finished, red failed,
yellow running, orange aborted, blue moving; grey for pending and interrupted)."""

UUID_ROLE = QtCore.Qt.UserRole


class StatusColorDelegate(QtWidgets.QStyledItemDelegate):
    """Draws the selected item with a frame and bold text instead of the selection colour, so
    its status colour stays visible."""

    def paint(self, painter: QtGui.QPainter, option: QtWidgets.QStyleOptionViewItem,
              index: QtCore.QModelIndex) -> None:
        opt = QtWidgets.QStyleOptionViewItem(option)
        selected = bool(opt.state & QtWidgets.QStyle.State_Selected)
        opt.state &= ~QtWidgets.QStyle.State_Selected
        if selected:
            opt.font.setBold(True)
        super().paint(painter, opt, index)
        if selected:
            painter.save()
            painter.setPen(QtGui.QPen(QtGui.QColor("#0d47a1"), 2))
            painter.drawRect(QtCore.QRectF(option.rect).adjusted(1, 1, -1, -1))
            painter.restore()


class BatchItemList(QtWidgets.QListWidget):
    """Batch items in queue order, labelled ``name  [module]  (status)``; selection by UUID."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSelectionMode(QtWidgets.QAbstractItemView.SingleSelection)
        self.setItemDelegate(StatusColorDelegate(self))

    def show_items(self, items: Iterable[BatchItem]) -> None:
        """Replace the entries with ``items``, keeping the selected UUID selected (no
        ``currentItemChanged`` is emitted)."""
        selected = self.selected_uuid()
        self.blockSignals(True)
        self.clear()
        for item in items:
            entry = QtWidgets.QListWidgetItem(f"{item_label(item)}  ({item.status})")
            entry.setData(UUID_ROLE, item.uuid)
            entry.setBackground(QtGui.QColor(STATUS_COLORS.get(item.status, "#ffffff")))
            entry.setForeground(QtGui.QColor("#000000"))
            entry.setToolTip(f"{item.status}\n{item.uuid}")
            self.addItem(entry)
            if item.uuid == selected:
                self.setCurrentItem(entry)
        self.blockSignals(False)

    def selected_uuid(self) -> str | None:
        """UUID of the selected item, or None."""
        entry = self.currentItem()
        return None if entry is None else entry.data(UUID_ROLE)

    def _row_of(self, uuid: str) -> int:
        for row in range(self.count()):
            if self.item(row).data(UUID_ROLE) == uuid:
                return row
        raise ParameterError(f"No item {uuid!r} in the Batch Manager's list.")

    def select_uuid(self, uuid: str) -> None:
        """Select the item ``uuid``."""
        self.setCurrentRow(self._row_of(uuid))

    def item_color(self, uuid: str) -> str:
        """The background colour (``#rrggbb``) of item ``uuid``."""
        return self.item(self._row_of(uuid)).background().color().name()
