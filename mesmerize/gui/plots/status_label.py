"""The status label under a plot: plotting problems in red, with details on click."""
from __future__ import annotations

from qtpy import QtCore, QtWidgets


class StatusLabel(QtWidgets.QLabel):
    """``ok(text)`` shows a plain message; ``problem(summary, details)`` a red one whose details
    open in a message box when the label is clicked."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)
        self.is_problem = False
        self.details = ""

    def ok(self, text: str = "") -> None:
        self.is_problem = False
        self.details = ""
        self.setStyleSheet("")
        self.setToolTip("")
        self.setText(text)

    def problem(self, summary: str, details: str = "") -> None:
        self.is_problem = True
        self.details = details or summary
        self.setStyleSheet("color: rgb(200, 0, 0);")
        self.setToolTip("Click for details")
        self.setText(summary)

    def mouseReleaseEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if self.is_problem and event.button() == QtCore.Qt.LeftButton:
            QtWidgets.QMessageBox.information(self, "Plot problem", self.details)
        super().mouseReleaseEvent(event)
