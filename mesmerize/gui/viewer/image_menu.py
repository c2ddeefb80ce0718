"""The Image menu's tools: crop region, measuring line, resize / dtype dialogs, projections.

The tools only collect geometry and parameters; the operations are ``ViewerUtils`` methods over
``mesmerize.core.imaging.image_ops``.
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Callable

import numpy as np
import pyqtgraph as pg
from qtpy import QtCore, QtWidgets

from mesmerize.core.imaging.image_ops import INTERPOLATIONS
from mesmerize.gui.viewer.image_display import make_image_view

if TYPE_CHECKING:
    from mesmerize.gui.viewer.image_display import ImageDisplay

DTYPES = ("uint8", "uint16", "int16", "int32", "float32", "float64")


class CropTool:
    """Image -> Crop: the first call shows a draggable, resizable rectangle at the top left; the
    second crops to it (``apply(x0, x1, y0, y1)``). "Remove ROI" on the rectangle cancels."""

    def __init__(self, display: ImageDisplay, apply: Callable[[int, int, int, int], None]) -> None:
        self._display = display
        self._apply = apply
        self.region: pg.RectROI | None = None

    def trigger(self) -> None:
        """Show the crop region, or crop to it when it is shown."""
        imgdata = self._display.workEnv.imgdata
        if imgdata is None:
            return
        if self.region is None:
            nx, ny = imgdata.frame_shape
            self.region = pg.RectROI((0, 0), (max(1, nx // 2), max(1, ny // 2)),
                                     pen=pg.mkPen("c", width=2), removable=True)
            self.region.sigRemoveRequested.connect(lambda *_: self.cancel())
            self._display.view_box.addItem(self.region)
            return
        x0, x1, y0, y1 = self.bounds()
        self.cancel()
        self._apply(x0, x1, y0, y1)

    def bounds(self) -> tuple[int, int, int, int]:
        """``(x0, x1, y0, y1)`` of the region rounded to pixels and clipped to the frame."""
        nx, ny = self._display.workEnv.imgdata.frame_shape
        pos, size = self.region.pos(), self.region.size()
        x0 = int(np.clip(round(pos.x()), 0, nx - 1))
        y0 = int(np.clip(round(pos.y()), 0, ny - 1))
        x1 = int(np.clip(round(pos.x() + size.x()), x0 + 1, nx))
        y1 = int(np.clip(round(pos.y() + size.y()), y0 + 1, ny))
        return x0, x1, y0, y1

    def cancel(self) -> None:
        """Remove the crop region without cropping."""
        if self.region is not None:
            self._display.view_box.removeItem(self.region)
            self.region = None


class MeasureTool:
    """Image -> Measure: click two points to draw a line (its end handles can be dragged); the
    second Image -> Measure shows ``dx``, ``dy`` and the length in pixels."""

    def __init__(self, display: ImageDisplay, parent: QtWidgets.QWidget) -> None:
        self._display = display
        self._parent = parent
        self._points: list[tuple[float, float]] = []
        self.armed = False
        self.line: pg.LineSegmentROI | None = None
        self.result_dialog: QtWidgets.QMessageBox | None = None
        display.view_box.scene().sigMouseClicked.connect(self._on_click)

    def trigger(self) -> None:
        """Start measuring, or show the measurement of the line drawn."""
        if self.line is not None:
            dx, dy, length = self.measurement()
            self._display.view_box.removeItem(self.line)
            self.line = None
            self.result_dialog = QtWidgets.QMessageBox(
                QtWidgets.QMessageBox.Information, "Measure",
                f"dx: {dx:.2f} px\ndy: {dy:.2f} px\nlength: {length:.2f} px", parent=self._parent)
            self.result_dialog.open()
            return
        if self._display.workEnv.imgdata is not None:
            self.armed = True
            self._points = []

    def _on_click(self, event) -> None:
        if not self.armed or event.button() != QtCore.Qt.LeftButton:
            return
        view = self._display.view_box
        if not view.sceneBoundingRect().contains(event.scenePos()):
            return
        point = view.mapSceneToView(event.scenePos())
        self.add_point(point.x(), point.y())

    def add_point(self, x: float, y: float) -> None:
        """Record a clicked point (image pixels); the second one draws the line."""
        if not self.armed:
            return
        self._points.append((float(x), float(y)))
        if len(self._points) == 2:
            self.armed = False
            self.line = pg.LineSegmentROI(self._points, pen=pg.mkPen("m", width=2))
            self._display.view_box.addItem(self.line)

    def measurement(self) -> tuple[float, float, float]:
        """``(dx, dy, length)`` in pixels of the line from its first to its second end."""
        p1, p2 = (self.line.mapToParent(h["item"].pos()) for h in self.line.handles)
        dx, dy = p2.x() - p1.x(), p2.y() - p1.y()
        return dx, dy, math.hypot(dx, dy)


class ResizeDialog(QtWidgets.QDialog):
    """Image -> Resize: new frame size ``(x, y)`` in pixels and the interpolation."""

    def __init__(self, frame_shape: tuple[int, int], parent: QtWidgets.QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Resize")
        self.x_spin = QtWidgets.QSpinBox(self)
        self.y_spin = QtWidgets.QSpinBox(self)
        for spin, value in ((self.x_spin, frame_shape[0]), (self.y_spin, frame_shape[1])):
            spin.setRange(1, 100000)
            spin.setValue(value)
            spin.setSuffix(" px")
        self.interpolation = QtWidgets.QComboBox(self)
        self.interpolation.addItems(list(INTERPOLATIONS))
        self.interpolation.setToolTip("linear: default; area: best to shrink; nearest: keeps "
                                      "values; cubic: smoothest to enlarge")
        form = QtWidgets.QFormLayout(self)
        form.addRow("New width (x)", self.x_spin)
        form.addRow("New height (y)", self.y_spin)
        form.addRow("Interpolation", self.interpolation)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.Ok | QtWidgets.QDialogButtonBox.Cancel, parent=self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[int, int, str]:
        """``(new_x, new_y, interpolation)``."""
        return self.x_spin.value(), self.y_spin.value(), self.interpolation.currentText()


class DtypeDialog(QtWidgets.QDialog):
    """Image -> Change dtype: target dtype and whether to rescale to its full range."""

    def __init__(self, current: str, parent: QtWidgets.QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Change dtype")
        self.dtype = QtWidgets.QComboBox(self)
        self.dtype.addItems(list(DTYPES))
        if current in DTYPES:
            self.dtype.setCurrentText(current)
        self.rescale = QtWidgets.QCheckBox("Rescale to the dtype's range", self)
        self.rescale.setChecked(True)
        self.rescale.setToolTip("Map the movie's min..max onto the new dtype's range (never "
                                "clips). Unticked, values are kept and must fit the dtype")
        form = QtWidgets.QFormLayout(self)
        form.addRow(f"Current: {current}", QtWidgets.QLabel("", self))
        form.addRow("New dtype", self.dtype)
        form.addRow(self.rescale)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.Ok | QtWidgets.QDialogButtonBox.Cancel, parent=self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[str, bool]:
        """``(dtype, rescale)``."""
        return self.dtype.currentText(), self.rescale.isChecked()


class ProjectionWindow(QtWidgets.QMainWindow):
    """A separate window showing one projection ``(x, y)`` in an ImageView."""

    def __init__(self, kind: str, image: np.ndarray, parent: QtWidgets.QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{kind.capitalize()} projection")
        self.image_view = make_image_view(self)
        self.image_view.setImage(image, axes={"x": 0, "y": 1})
        self.setCentralWidget(self.image_view)
        self.resize(600, 600)
