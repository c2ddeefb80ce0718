"""pyqtgraph graphics of the core ROIs, kept in sync with them.

Dragging a polygon's vertices (or the whole polygon), adding a vertex by clicking an edge,
moving / resizing / rotating an ellipse writes the new geometry into the core ROI when the drag
ends. CNMF(E) components are drawn as their contours (not editable); rejected components with a
dashed line.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Callable, Sequence

import numpy as np
import pyqtgraph as pg
from qtpy import QtCore

from mesmerize.core.errors import ROIError
from mesmerize.core.roi.roi_types import CNMFROI, ROI, EllipseROI, PolygonROI

NORMAL_WIDTH = 1.5
HIGHLIGHT_WIDTH = 4.0


class ROIGraphic(ABC):
    """Base of the graphics of one core ROI: colour, highlight, visibility, callbacks.

    ``on_edited(graphic)`` is called after the core ROI's geometry changed; ``on_hovered(graphic)``
    when the mouse enters the ROI. ``dashed`` draws a dashed line (rejected CNMF(E) components).
    """

    def __init__(self, roi: ROI, color: Sequence[int],
                 on_edited: Callable[[ROIGraphic], None],
                 on_hovered: Callable[[ROIGraphic], None], dashed: bool = False) -> None:
        self.roi = roi
        self.color = tuple(color)
        self.dashed = dashed
        self._on_edited = on_edited
        self._on_hovered = on_hovered
        self.highlighted = False
        self.item = self._make_item()

    @abstractmethod
    def _make_item(self):
        """Build the pyqtgraph item drawing ``self.roi``."""

    def pen(self) -> QtCore.QObject:
        return pg.mkPen(color=self.color, width=HIGHLIGHT_WIDTH if self.highlighted
                        else NORMAL_WIDTH,
                        style=QtCore.Qt.DashLine if self.dashed else QtCore.Qt.SolidLine)

    def set_highlighted(self, highlighted: bool) -> None:
        """Draw thicker when highlighted (the ROI selected in the list)."""
        self.highlighted = highlighted
        self.item.setPen(self.pen())

    def set_visible(self, visible: bool) -> None:
        self.item.setVisible(visible)

    def add_to(self, view: pg.ViewBox) -> None:
        view.addItem(self.item)

    def remove_from(self, view: pg.ViewBox) -> None:
        view.removeItem(self.item)


class _EditableGraphic(ROIGraphic):
    """A pyqtgraph ROI whose geometry is written to the core ROI after each drag."""

    def _connect(self, item: pg.ROI) -> pg.ROI:
        item.sigRegionChangeFinished.connect(self._edited)
        item.sigHoverEvent.connect(lambda *_: self._on_hovered(self))
        return item

    def _edited(self, *args: object) -> None:
        try:
            self.write_to_core()
        except ROIError:
            # an impossible shape (e.g. all vertices on one line): show the core ROI again
            self.read_from_core()
            return
        self._on_edited(self)

    @abstractmethod
    def write_to_core(self) -> None:
        """Copy the graphic's geometry (view = image pixel coordinates) into the core ROI."""

    @abstractmethod
    def read_from_core(self) -> None:
        """Reset the graphic to the core ROI's geometry."""


class _PolyLineROI(pg.PolyLineROI):
    """PolyLineROI that reports a vertex added by clicking an edge as a finished change."""

    def segmentClicked(self, segment, ev=None, pos=None) -> None:  # noqa: N802
        super().segmentClicked(segment, ev, pos)
        self.stateChanged(finish=True)


class PolygonGraphic(_EditableGraphic):
    """A closed ``pg.PolyLineROI`` over a core ``PolygonROI``. Its vertex handles show only
    while it is highlighted (selected): traced outlines have dozens of vertices, and handles on
    every ROI would hide the image."""

    roi: PolygonROI

    def _make_item(self) -> pg.PolyLineROI:
        item = _PolyLineROI(self.roi.vertices.tolist(), closed=True, pen=self.pen())
        self._show_handles(item)
        return self._connect(item)

    def _show_handles(self, item: pg.PolyLineROI) -> None:
        for handle in item.getHandles():
            handle.setVisible(self.highlighted)

    def set_highlighted(self, highlighted: bool) -> None:
        super().set_highlighted(highlighted)
        self._show_handles(self.item)

    def vertices(self) -> np.ndarray:
        """``(n, 2)`` ``(x, y)`` positions of the handles in image pixels."""
        points = [self.item.mapToParent(h.pos()) for h in self.item.getHandles()]
        return np.array([(p.x(), p.y()) for p in points], dtype=np.float64)

    def write_to_core(self) -> None:
        self.roi.set_vertices(self.vertices())
        self._show_handles(self.item)  # a vertex added by clicking an edge gets a new handle

    def read_from_core(self) -> None:
        self.item.blockSignals(True)
        self.item.setPos((0, 0))
        self.item.setPoints(self.roi.vertices.tolist(), closed=True)
        self._show_handles(self.item)
        self.item.blockSignals(False)


class EllipseGraphic(_EditableGraphic):
    """A ``pg.EllipseROI`` over a core ``EllipseROI`` (centre, radii, angle)."""

    roi: EllipseROI

    def _make_item(self) -> pg.EllipseROI:
        item = pg.EllipseROI((0, 0), (1, 1), pen=self.pen())
        self._place(item)
        return self._connect(item)

    def _place(self, item: pg.EllipseROI) -> None:
        (cx, cy), (rx, ry), angle = self.roi.center, self.roi.radii, self.roi.angle_deg
        item.setAngle(0, update=False, finish=False)
        item.setPos((cx - rx, cy - ry), update=False, finish=False)
        item.setSize((2 * rx, 2 * ry), update=False, finish=False)
        item.setAngle(angle, center=(0.5, 0.5), update=True, finish=False)

    def geometry(self) -> tuple[tuple[float, float], tuple[float, float], float]:
        """``(center (x, y), radii (rx, ry), angle_deg)`` of the graphic in image pixels."""
        size = self.item.size()
        center = self.item.mapToParent(QtCore.QPointF(size.x() / 2, size.y() / 2))
        return ((center.x(), center.y()), (abs(size.x()) / 2, abs(size.y()) / 2),
                float(self.item.angle()))

    def write_to_core(self) -> None:
        self.roi.set_geometry(*self.geometry())

    def read_from_core(self) -> None:
        self.item.blockSignals(True)
        self._place(self.item)
        self.item.blockSignals(False)


class ContourGraphic(ROIGraphic):
    """The contour of a CNMF(E) component (``CNMFROI.contour()``); click selects it."""

    roi: CNMFROI

    def _make_item(self) -> pg.PlotCurveItem:
        outline = self.roi.contour()
        if len(outline):
            outline = np.vstack([outline, outline[:1]])
        item = pg.PlotCurveItem(outline[:, 0], outline[:, 1], pen=self.pen())
        item.setClickable(True, width=6)
        item.sigClicked.connect(lambda *_: self._on_hovered(self))
        return item


def make_graphic(roi: ROI, color: Sequence[int], on_edited: Callable[[ROIGraphic], None],
                 on_hovered: Callable[[ROIGraphic], None], dashed: bool = False) -> ROIGraphic:
    """The graphic class matching the core ROI's type."""
    for roi_type, cls in ((PolygonROI, PolygonGraphic), (EllipseROI, EllipseGraphic),
                          (CNMFROI, ContourGraphic)):
        if isinstance(roi, roi_type):
            return cls(roi, color, on_edited, on_hovered, dashed)
    raise ROIError(f"no graphic for ROI type {type(roi).__name__}")
