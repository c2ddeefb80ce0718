"""Peak Editor: view and edit the peaks & bases of a PeakDetect output (guide, "Peak Editor").

A view over ``mesmerize.analysis.peak_editing.PeakEditModel``: the curve with its peaks (red)
and bases (green) as dots; mode buttons (View, Drag, Add Peak, Add Base, Delete) decide what a
click or drag on the plot does; the curve list is at the bottom and the History Tree on the
right. "Send all curves to flowchart" emits ``send_to_flowchart(Transmission)`` with the edited
``peaks_bases``; the PeakDetect node makes it its output. While "Disconnect from flowchart" is
checked, ``set_input`` from the flowchart is ignored so edits survive upstream changes.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from qtpy import QtCore, QtWidgets

from mesmerize.analysis.peak_editing import PeakEditModel
from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import MesmerizeError
from mesmerize.gui.flowchart.view_nodes import HistoryTreeView
from mesmerize.gui.plots.status_label import StatusLabel

MODES = ("View", "Drag", "Add Peak", "Add Base", "Delete")
PEAK_BRUSH = pg.mkBrush(230, 40, 40, 220)
BASE_BRUSH = pg.mkBrush(40, 190, 70, 220)
PICK_MARGIN_PX = 4.0
"""Pixels around a dot that still count as a click on it."""


class _EditViewBox(pg.ViewBox):
    """A ViewBox that hands left clicks and drags to the editor outside View mode."""

    def __init__(self, editor: "PeakEditorWindow") -> None:
        super().__init__()
        self._editor = editor

    def mouseClickEvent(self, ev) -> None:  # noqa: N802 (pyqtgraph API)
        if self._editor.mode in ("Add Peak", "Add Base", "Delete") \
                and ev.button() == QtCore.Qt.LeftButton:
            ev.accept()
            p = self.mapSceneToView(ev.scenePos())
            self._editor.click_at(p.x(), p.y())
            return
        super().mouseClickEvent(ev)

    def mouseDragEvent(self, ev, axis=None) -> None:  # noqa: N802 (pyqtgraph API)
        if self._editor.mode == "Drag" and ev.button() == QtCore.Qt.LeftButton:
            ev.accept()
            if ev.isStart():
                start = self.mapSceneToView(ev.buttonDownScenePos())
                self._editor.drag_start(start.x(), start.y())
            p = self.mapSceneToView(ev.scenePos())
            if ev.isFinish():
                self._editor.drag_finish(p.x())
            else:
                self._editor.drag_move(p.x())
            return
        super().mouseDragEvent(ev, axis)


class PeakEditorWindow(QtWidgets.QMainWindow):
    """The Peak Editor. ``model``: the PeakEditModel being edited (None before ``set_input``);
    ``transmission``: the PeakDetect output it was made from; ``current``: the curve shown."""

    send_to_flowchart = QtCore.Signal(object)
    """Emitted with the edited Transmission by "Send all curves to flowchart"."""
    open_in_viewer_requested = QtCore.Signal(str, str)
    """``(sample_id, proj_path)`` of the current curve's sample, by "Open in viewer"."""
    reconnected = QtCore.Signal()
    """Emitted when "Disconnect from flowchart" is unchecked again."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Peak Editor")
        self.model: PeakEditModel | None = None
        self.transmission: Transmission | None = None
        self.data_column: str | None = None
        self.current: int | None = None
        self.unsaved: set[int] = set()
        self._drag: int | None = None
        self._build()
        self.resize(1100, 650)

    # --- layout -------------------------------------------------------------------------------
    def _build(self) -> None:
        central = QtWidgets.QWidget()
        outer = QtWidgets.QVBoxLayout(central)
        top = QtWidgets.QHBoxLayout()
        self.mode_group = QtWidgets.QButtonGroup(self)
        self.mode_buttons: dict[str, QtWidgets.QPushButton] = {}
        for mode in MODES:
            button = QtWidgets.QPushButton(mode)
            button.setCheckable(True)
            self.mode_group.addButton(button)
            self.mode_buttons[mode] = button
            top.addWidget(button)
        self.mode_buttons["View"].setChecked(True)
        self.mode_group.buttonToggled.connect(self._mode_toggled)
        top.addWidget(QtWidgets.QLabel("Dot Size"))
        self.dot_size_slider = QtWidgets.QSlider(QtCore.Qt.Horizontal)
        self.dot_size_slider.setRange(3, 30)
        self.dot_size_slider.setValue(10)
        self.dot_size_slider.setMaximumWidth(120)
        self.dot_size_slider.valueChanged.connect(self._draw_events)
        top.addWidget(self.dot_size_slider)
        top.addStretch(1)
        outer.addLayout(top)

        actions = QtWidgets.QHBoxLayout()
        self.relative_maxima_button = QtWidgets.QPushButton("Set Peaks at relative maxima")
        self.relative_maxima_button.clicked.connect(self.set_relative_maxima)
        self.save_curve_button = QtWidgets.QPushButton("Save Curve")
        self.save_curve_button.clicked.connect(self.save_curve)
        self.clear_curve_button = QtWidgets.QPushButton("Clear Curve")
        self.clear_curve_button.clicked.connect(self.clear_curve)
        self.disconnect_button = QtWidgets.QPushButton("Disconnect from flowchart")
        self.disconnect_button.setCheckable(True)
        self.disconnect_button.toggled.connect(self._disconnect_toggled)
        self.send_button = QtWidgets.QPushButton("Send all curves to flowchart")
        self.send_button.clicked.connect(self.send_all_curves)
        self.open_in_viewer_button = QtWidgets.QPushButton("Open in viewer")
        self.open_in_viewer_button.clicked.connect(self.open_in_viewer)
        for button in (self.relative_maxima_button, self.save_curve_button,
                       self.clear_curve_button, self.disconnect_button, self.send_button,
                       self.open_in_viewer_button):
            actions.addWidget(button)
        actions.addStretch(1)
        outer.addLayout(actions)

        self.view_box = _EditViewBox(self)
        self.plot_widget = pg.PlotWidget(viewBox=self.view_box)
        self.plot_widget.setBackground("w")
        self.plot_widget.setLabel("bottom", "sample")
        self.plot_widget.addLegend(offset=(-10, 10))
        self.curve_item = self.plot_widget.plot(pen=pg.mkPen(40, 40, 40, width=1.5))
        self.base_item = pg.ScatterPlotItem(brush=BASE_BRUSH, pen=None, name="bases")
        self.peak_item = pg.ScatterPlotItem(brush=PEAK_BRUSH, pen=None, name="peaks")
        self.plot_widget.addItem(self.base_item)
        self.plot_widget.addItem(self.peak_item)
        self.history_tree = HistoryTreeView()
        self.curve_list = QtWidgets.QListWidget()
        self.curve_list.currentRowChanged.connect(self._curve_selected)
        self.status = StatusLabel()

        split = QtWidgets.QSplitter(QtCore.Qt.Horizontal)
        left = QtWidgets.QSplitter(QtCore.Qt.Vertical)
        left.addWidget(self.plot_widget)
        left.addWidget(self.curve_list)
        left.setStretchFactor(0, 3)
        left.setStretchFactor(1, 1)
        split.addWidget(left)
        split.addWidget(self.history_tree)
        split.setSizes([780, 320])
        outer.addWidget(split, 1)
        outer.addWidget(self.status)
        self.setCentralWidget(central)

    # --- state --------------------------------------------------------------------------------
    @property
    def mode(self) -> str:
        """The checked mode button's text."""
        return self.mode_group.checkedButton().text()

    def set_mode(self, mode: str) -> None:
        """Check the mode button ``mode`` (one of ``MODES``)."""
        self.mode_buttons[mode].setChecked(True)

    def _mode_toggled(self, _button, _checked: bool) -> None:
        self.view_box.setMouseEnabled(self.mode == "View", self.mode == "View")

    @property
    def disconnected(self) -> bool:
        """True while "Disconnect from flowchart" is checked."""
        return self.disconnect_button.isChecked()

    def _disconnect_toggled(self, on: bool) -> None:
        if not on:
            self.reconnected.emit()

    def set_input(self, t: Transmission | None, data_column: str | None) -> bool:
        """Show the PeakDetect output ``t`` (events placed on ``data_column``); ignored while
        disconnected. Returns whether it was taken."""
        if self.disconnected:
            return False
        self.unsaved.clear()
        self._drag = None
        previous = self.current
        self.model = self.transmission = self.data_column = self.current = None
        self.curve_list.clear()
        self.history_tree.show_transmission(t)
        self._draw()
        if t is None or data_column is None:
            self.status.ok("No input: connect and apply the PeakDetect node.")
            return True
        try:
            model = PeakEditModel.from_transmission(t, data_column)
        except MesmerizeError as exc:
            self.status.problem(f"Cannot edit this input: {exc}", str(exc))
            return True
        self.model, self.transmission, self.data_column = model, t, data_column
        model.changed.connect(self._model_changed)
        self.curve_list.blockSignals(True)
        self.curve_list.clear()
        self.curve_list.addItems([self._curve_text(i) for i in range(len(model))])
        self.curve_list.blockSignals(False)
        if len(model):  # stay on the curve shown before (a new input is often the same rows)
            self.curve_list.setCurrentRow(min(previous or 0, len(model) - 1))
        else:
            self._draw()
        self.status.ok(f"{len(model)} curves of {data_column}")
        return True

    def _curve_text(self, i: int) -> str:
        df = self.transmission.df
        sample = f"  {df['SampleID'].iloc[i]}" if "SampleID" in df.columns else ""
        mark = "  * unsaved" if i in self.unsaved else "  (edited)" if i in self.model.edited \
            else ""
        return f"{i}{sample}  {self.model.peaks(i).size} peaks{mark}"

    def _refresh_list_item(self, i: int) -> None:
        self.curve_list.item(i).setText(self._curve_text(i))

    def _curve_selected(self, row: int) -> None:
        if self.current is not None and self.current in self.unsaved:
            self.save_curve()  # a curve is saved when you switch to another one
        self.current = row if row >= 0 else None
        self._draw()
        if self.current is not None:
            self.plot_widget.autoRange()

    def show_curve(self, i: int) -> None:
        """Select curve ``i`` in the list (saves the current one)."""
        self.curve_list.setCurrentRow(i)

    def _model_changed(self, i: int) -> None:
        self.unsaved.add(i)
        self._refresh_list_item(i)
        if i == self.current:
            self._draw_events()

    # --- drawing ------------------------------------------------------------------------------
    def _draw(self) -> None:
        if self.model is None or self.current is None:
            self.curve_item.setData([], [])
            self.peak_item.setData([], [])
            self.base_item.setData([], [])
            return
        y = self.model.curve(self.current)
        self.curve_item.setData(np.arange(y.size), y)
        self.plot_widget.setTitle(f"Curve {self.current}")
        self.plot_widget.setLabel("left", self.data_column)
        self._draw_events()

    def _draw_events(self) -> None:
        if self.model is None or self.current is None:
            return
        y = self.model.curve(self.current)
        size = self.dot_size_slider.value()
        peaks, bases = self.model.peaks(self.current), self.model.bases(self.current)
        self.peak_item.setData(peaks, y[peaks], size=size)
        self.base_item.setData(bases, y[bases], size=size)

    # --- edits (the mouse handlers call these with view coordinates) --------------------------
    def _edit(self, method: str, *args):
        """Call the model's edit ``method`` on the current curve; a refusal goes to the status."""
        if self.model is None or self.current is None:
            self.status.problem("No curve to edit: connect and apply the PeakDetect node.")
            return None
        try:
            result = getattr(self.model, method)(self.current, *args)
        except MesmerizeError as exc:
            self.status.problem(f"Edit refused: {exc}", str(exc))
            self._draw_events()
            return None
        self.status.ok()
        return result

    def nearest_event(self, x: float, y: float) -> int | None:
        """Sample of the current curve's peak or base drawn under view point ``(x, y)``
        (within the dot radius plus a margin), or None."""
        if self.model is None or self.current is None:
            return None
        events = self.model.events(self.current)
        if not events.size:
            return None
        px, py = self.view_box.viewPixelSize()
        curve = self.model.curve(self.current)
        dist = np.hypot((events - x) / px, (curve[events] - y) / py)
        k = int(np.argmin(dist))
        radius = self.dot_size_slider.value() / 2 + PICK_MARGIN_PX
        return int(events[k]) if dist[k] <= radius else None

    def _sample(self, x: float) -> int:
        size = self.model.curve(self.current).size if self.model and self.current is not None \
            else 1
        return int(np.clip(round(x), 0, size - 1))

    def click_at(self, x: float, y: float) -> None:
        """A left click at view point ``(x, y)`` in Add Peak, Add Base or Delete mode."""
        if self.mode == "Add Peak":
            self._edit("add_peak", self._sample(x))
        elif self.mode == "Add Base":
            self._edit("add_base", self._sample(x))
        elif self.mode == "Delete":
            sample = self.nearest_event(x, y)
            if sample is None:
                self.status.problem("Click on a peak or base to delete it.")
                return
            self._edit("delete_event", sample)

    def drag_start(self, x: float, y: float) -> None:
        """Start dragging the peak or base under ``(x, y)`` (Drag mode)."""
        self._drag = self.nearest_event(x, y)

    def drag_move(self, x: float) -> None:
        """Show the dragged dot at sample ``round(x)`` on the curve (not yet an edit)."""
        if self._drag is None:
            return
        y = self.model.curve(self.current)
        events = self.model.events(self.current)
        events[events == self._drag] = self._sample(x)
        peaks, bases = events[1::2], events[0::2]
        self.peak_item.setData(peaks, y[peaks], size=self.dot_size_slider.value())
        self.base_item.setData(bases, y[bases], size=self.dot_size_slider.value())

    def drag_finish(self, x: float) -> None:
        """Move the dragged peak or base to sample ``round(x)``."""
        if self._drag is None:
            return
        sample, self._drag = self._drag, None
        if self._sample(x) != sample:
            self._edit("move_event", sample, self._sample(x))
        else:
            self._draw_events()

    def set_relative_maxima(self) -> None:
        """Put the current curve's peaks on the highest sample between their bases."""
        self._edit("set_relative_maxima")

    def clear_curve(self) -> None:
        """Remove every peak and base of the current curve."""
        self._edit("clear")

    def save_curve(self) -> None:
        """Mark the current curve's edits as saved (what "Send all curves" sends)."""
        if self.current is None:
            return
        self.unsaved.discard(self.current)
        self._refresh_list_item(self.current)
        self.status.ok(f"Curve {self.current} saved.")

    def send_all_curves(self) -> Transmission | None:
        """Save the current curve and emit ``send_to_flowchart`` with the edited Transmission."""
        if self.model is None:
            self.status.problem("Nothing to send: the editor has no input.")
            return None
        self.save_curve()
        edited = self.model.to_transmission(self.transmission)
        self.send_to_flowchart.emit(edited)
        self.status.ok(f"Sent {len(self.model)} curves ({len(self.model.edited)} edited) to the "
                       "flowchart.")
        return edited

    def open_in_viewer(self) -> None:
        """Emit ``open_in_viewer_requested`` for the current curve's sample."""
        t = self.transmission
        if t is None or self.current is None:
            self.status.problem("No curve selected.")
            return
        if "SampleID" not in t.df.columns or not t.proj_path:
            self.status.problem("This curve has no project sample",
                                "Load the data with a LoadProjDF node to open their samples.")
            return
        self.open_in_viewer_requested.emit(str(t.df["SampleID"].iloc[self.current]),
                                           str(t.proj_path))
