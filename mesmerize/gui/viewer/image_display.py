"""The Viewer's image area (``vi.viewer``): movie, timeline, stimulus periods and ROI curves.

``workEnv`` is the ``ViewerWorkEnv`` shown; assigning a new one and calling
``vi.update_workEnv()`` shows it (the user guide's ``vi.viewer.workEnv = work_env``).
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
import pyqtgraph as pg
from qtpy import QtCore, QtWidgets

from mesmerize.core.work_env import ViewerWorkEnv

DEFAULT_PLAY_FPS = 10.0


def make_image_view(parent: QtWidgets.QWidget) -> pg.ImageView:
    """A pyqtgraph ImageView whose ViewBoxes are out of pyqtgraph's global registry of linkable
    views. A registered view calls back into Python from its ``destroyed`` signal, which
    segfaults when Qt deletes the widgets of a closed window."""
    image_view = pg.ImageView(parent=parent)
    for view in (image_view.view, image_view.ui.roiPlot.getPlotItem().vb):
        view.unregister()
        view.destroyed.disconnect()
    return image_view


class ImageDisplay(QtWidgets.QWidget):
    """pyqtgraph ImageView of ``workEnv.imgdata.seq`` ``[x, y, t]`` above a curve plot.

    View coordinates are image pixels: pixel ``(i, j)`` covers ``x in [i, i+1)``, ``y in
    [j, j+1)``, as ROI coordinates (docs/conventions.md). The timeline is in frames.
    """

    sig_frame_changed = QtCore.Signal(int)

    def __init__(self, work_env: ViewerWorkEnv | None = None,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.workEnv = ViewerWorkEnv() if work_env is None else work_env
        self.image_view = make_image_view(self)
        # ImageView's own ROI / normalisation buttons would compete with the ROI Manager
        self.image_view.ui.roiBtn.hide()
        self.image_view.ui.menuBtn.hide()
        self.curve_plot = pg.PlotWidget(parent=self)
        self.curve_plot.setLabel("bottom", "frame")
        self.curve_plot.setMinimumHeight(120)
        self.frame_line = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("y", width=1))
        self.curve_plot.addItem(self.frame_line, ignoreBounds=True)
        self._curve_items: list[pg.PlotDataItem] = []
        self._stim_items: list[tuple[pg.PlotWidget, pg.LinearRegionItem]] = []

        self.play_button = QtWidgets.QPushButton("Play", self)
        self.play_button.setCheckable(True)
        self.play_button.toggled.connect(self._on_play_toggled)
        self.fps_spin = QtWidgets.QDoubleSpinBox(self)
        self.fps_spin.setRange(0.1, 1000.0)
        self.fps_spin.setValue(DEFAULT_PLAY_FPS)
        self.fps_spin.setSuffix(" fps")
        self.fps_spin.setToolTip("Playback speed in frames per second (the movie's fps when it "
                                 "has meta data)")
        self.frame_label = QtWidgets.QLabel("no image", self)

        controls = QtWidgets.QHBoxLayout()
        controls.addWidget(self.play_button)
        controls.addWidget(self.fps_spin)
        controls.addWidget(self.frame_label, 1)
        top = QtWidgets.QWidget(self)
        top_layout = QtWidgets.QVBoxLayout(top)
        top_layout.setContentsMargins(0, 0, 0, 0)
        top_layout.addWidget(self.image_view, 1)
        top_layout.addLayout(controls)
        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Vertical, self)
        self.splitter.addWidget(top)
        self.splitter.addWidget(self.curve_plot)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter)
        self.image_view.sigTimeChanged.connect(self._on_time_changed)

    @property
    def view_box(self) -> pg.ViewBox:
        """The ViewBox holding the image; ROI graphics are added here."""
        return self.image_view.getView()

    @property
    def timeline(self) -> pg.PlotWidget:
        """The ImageView's timeline plot (below the image)."""
        return self.image_view.ui.roiPlot

    def show_work_env(self) -> None:
        """Display ``workEnv``'s image (or nothing when it is empty); keeps the current frame."""
        imgdata = self.workEnv.imgdata
        self.play_button.setChecked(False)
        if imgdata is None:
            self.image_view.clear()
            self.frame_label.setText("no image")
            self.set_curves([])
            return
        frame = min(self.current_frame, imgdata.n_frames - 1)
        shown = self.image_view.image
        # keep the user's zoom and levels unless the frame size / the data changed
        new_frame_size = shown is None or shown.shape[:2] != imgdata.seq.shape[:2]
        self.image_view.setImage(imgdata.seq, axes={"x": 0, "y": 1, "t": 2},
                                 autoRange=new_frame_size,
                                 autoLevels=shown is not imgdata.seq)
        self.image_view.setCurrentIndex(frame)
        if imgdata.has_meta:
            self.fps_spin.setValue(imgdata.fps)
        self._on_time_changed()

    @property
    def current_frame(self) -> int:
        """Index of the frame on screen."""
        return int(self.image_view.currentIndex)

    def set_frame(self, index: int) -> None:
        """Show frame ``index`` (clipped to the movie)."""
        imgdata = self.workEnv.imgdata
        if imgdata is not None:
            self.image_view.setCurrentIndex(int(np.clip(index, 0, imgdata.n_frames - 1)))

    def play(self, rate: float | None = None) -> None:
        """Play at ``rate`` frames/s (negative: backwards; None: the fps box); 0 stops."""
        rate = self.fps_spin.value() if rate is None else float(rate)
        self.image_view.play(rate)
        self.play_button.blockSignals(True)
        self.play_button.setChecked(rate != 0)
        self.play_button.setText("Pause" if rate != 0 else "Play")
        self.play_button.blockSignals(False)

    def _on_play_toggled(self, checked: bool) -> None:
        self.play(None if checked else 0)

    def _on_time_changed(self, *args: object) -> None:
        frame = self.current_frame
        self.frame_line.setValue(frame)
        n = 0 if self.workEnv.imgdata is None else self.workEnv.imgdata.n_frames
        if n:
            self.frame_label.setText(f"frame {frame + 1} / {n}")
        self.sig_frame_changed.emit(frame)

    def set_stimulus_periods(self, periods: pd.DataFrame | None) -> None:
        """Draw periods (columns ``start``, ``end`` in frames, ``color`` ``#rrggbbaa``) as coloured
        regions on the timeline and the curve plot; None removes them."""
        for plot, item in self._stim_items:
            plot.removeItem(item)
        self._stim_items.clear()
        if periods is None:
            return
        for start, end, color in periods[["start", "end", "color"]].itertuples(index=False):
            for plot in (self.timeline, self.curve_plot):
                region = pg.LinearRegionItem(values=(start, end), movable=False,
                                             brush=pg.mkBrush(pg.mkColor(color)))
                region.setZValue(-10)
                plot.addItem(region, ignoreBounds=True)
                self._stim_items.append((plot, region))

    @property
    def stimulus_regions(self) -> list[tuple[float, float]]:
        """``(start, end)`` of the periods drawn on the timeline."""
        return [tuple(item.getRegion()) for plot, item in self._stim_items if plot is self.timeline]

    def set_curves(self, curves: Iterable[tuple[np.ndarray, Sequence[int], float]]) -> None:
        """Replace the plotted curves by ``(values (T,), colour RGBA 0-255, pen width)`` triples."""
        for item in self._curve_items:
            self.curve_plot.removeItem(item)
        self._curve_items = [
            self.curve_plot.plot(np.asarray(values), pen=pg.mkPen(color=tuple(color), width=width))
            for values, color, width in curves
        ]

    @property
    def curve_items(self) -> list[pg.PlotDataItem]:
        """The curve plot items, in the order given to ``set_curves``."""
        return list(self._curve_items)
