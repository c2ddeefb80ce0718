"""Opening a finished batch item's output (double-click in the Batch Manager).

``open_item_output(batch, uuid, viewer_window)``: a motion-correction item's corrected movie
replaces the Viewer's work environment; a CNMF / CNMF-E item's input movie is shown with its
components in the ROI Manager (CNMF or CNMF-E mode); a corr_pnr item opens a
``CorrPNRWindow`` whose threshold sliders can write ``min_corr`` / ``min_pnr`` into the
Viewer's CNMFE module. In every case the work environment's history trace is the item's output
history (its input's history plus the item's ``{module: params}``).
``output_opener_for(bm_window)`` is the ``output_opener`` of a ``BatchManagerWindow``: it opens
into the first Viewer attached to it.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import pyqtgraph as pg
from qtpy import QtCore, QtWidgets

from mesmerize.core.batch import Batch
from mesmerize.core.batch.errors import BatchError
from mesmerize.core.batch.outputs import CNMF_KINDS, load_cnmf_item_output, seed_candidates
from mesmerize.core.errors import MesmerizeError
from mesmerize.gui.batch.item_output import input_work_env, motion_corrected_work_env

SLIDER_STEPS = 1000
OVERLAY_RGBA = (255, 60, 60, 150)


def open_item_output(batch: Batch, uuid: str, viewer_window: Any) -> Any:
    """Open finished item ``uuid`` of ``batch`` in ``viewer_window`` (see the module docstring).

    Returns the new work environment, or the ``CorrPNRWindow`` for corr_pnr items.
    """
    item = batch.get_item(uuid)
    vi = viewer_window.vi
    if item.module == "caiman_motion_correction":
        work_env = motion_corrected_work_env(batch, uuid, batch.load_item_output(uuid))
    elif item.module in CNMF_KINDS:
        output = load_cnmf_item_output(batch, uuid)
        work_env = input_work_env(batch, uuid)
        work_env.history_trace[:] = output.history_trace
        work_env.roi_manager.set_cnmf_data(output.cnmf_data, output.mode)
    elif item.module == "corr_pnr":
        result = batch.load_item_output(uuid)

        def write_back(min_corr: float, min_pnr: float) -> None:
            module = viewer_window.get_module("cnmfe")
            module.set_params({"min_corr": min_corr, "min_pnr": min_pnr})

        window = CorrPNRWindow(result.corr, result.pnr, write_back, parent=viewer_window)
        window.setWindowTitle(f"Correlation & PNR - {item.name}")
        window.show()
        return window
    else:
        raise BatchError(f"Item {uuid} is a {item.module!r} item; the Viewer opens the outputs "
                         "of caiman_motion_correction, cnmf, cnmfe and corr_pnr items.")
    vi.viewer.workEnv = work_env
    vi.update_workEnv()
    if item.module in CNMF_KINDS:
        viewer_window.get_module("roi_manager")
    return work_env


def output_opener_for(batch_manager_window: Any) -> Callable[[Batch, str], Any]:
    """An ``output_opener(batch, uuid)`` opening into the first Viewer attached to
    ``batch_manager_window`` (``BatchError`` when none is)."""
    def opener(batch: Batch, uuid: str) -> Any:
        if not batch_manager_window.viewers:
            raise BatchError("No Viewer is attached to this Batch Manager: open it from a "
                             "Viewer (Modules -> Batch Manager) to load outputs.")
        return open_item_output(batch, uuid, batch_manager_window.viewers[0])
    return opener


class ThresholdSlider(QtWidgets.QWidget):
    """A labelled slider over ``[low, high]`` (``SLIDER_STEPS`` steps) with its value shown."""

    changed = QtCore.Signal(float)

    def __init__(self, label: str, low: float, high: float, value: float, tooltip: str,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.low, self.high = float(low), float(max(high, low + 1e-6))
        self.label = QtWidgets.QLabel(label)
        self.slider = QtWidgets.QSlider(QtCore.Qt.Horizontal)
        self.slider.setRange(0, SLIDER_STEPS)
        self.value_label = QtWidgets.QLabel()
        self.value_label.setMinimumWidth(60)
        self.setToolTip(tooltip)
        layout = QtWidgets.QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.label, self.slider, self.value_label):
            layout.addWidget(widget)
        self.slider.valueChanged.connect(self._moved)
        self.set_value(value)

    @property
    def value(self) -> float:
        """The threshold the slider is at."""
        return self.low + (self.high - self.low) * self.slider.value() / SLIDER_STEPS

    def set_value(self, value: float) -> None:
        """Move the slider to ``value`` (clipped to its range)."""
        fraction = (float(value) - self.low) / (self.high - self.low)
        self.slider.setValue(int(round(np.clip(fraction, 0, 1) * SLIDER_STEPS)))
        self._moved()

    def _moved(self, *_: Any) -> None:
        self.value_label.setText(f"{self.value:.3f}")
        self.changed.emit(self.value)


class CorrPNRWindow(QtWidgets.QWidget):
    """The correlation and PNR images ``(H, W)`` side by side, with ``min_corr`` / ``min_pnr``
    sliders: each slider is the image's display minimum (vmin), and the pixels passing both
    thresholds (CNMF-E seed candidates) are overlaid in red on both images.
    ``write_back(min_corr, min_pnr)`` runs on "Set min_corr & min_pnr in the CNMFE module"."""

    def __init__(self, corr: np.ndarray, pnr: np.ndarray,
                 write_back: Callable[[float, float], Any] | None = None,
                 min_corr: float = 0.8, min_pnr: float = 10.0,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent, QtCore.Qt.Window)
        self.resize(1000, 560)
        self.corr = np.asarray(corr, dtype=np.float32)
        self.pnr = np.asarray(pnr, dtype=np.float32)
        self.write_back = write_back
        self.last_error: str | None = None
        self.views: dict[str, pg.ImageView] = {}
        self.overlays: dict[str, pg.ImageItem] = {}
        images = QtWidgets.QHBoxLayout()
        for key, image in (("corr", self.corr), ("pnr", self.pnr)):
            column = QtWidgets.QVBoxLayout()
            column.addWidget(QtWidgets.QLabel("Correlation image" if key == "corr"
                                              else "Peak-to-noise ratio (PNR) image"))
            view = pg.ImageView()
            view.ui.roiBtn.hide()
            view.ui.menuBtn.hide()
            view.setImage(image.T, autoLevels=True)  # [x, y] display order
            overlay = pg.ImageItem()
            view.getView().addItem(overlay)
            column.addWidget(view)
            images.addLayout(column)
            self.views[key], self.overlays[key] = view, overlay
        finite_pnr = self.pnr[np.isfinite(self.pnr)]
        pnr_max = float(finite_pnr.max()) if finite_pnr.size else 1.0
        self.corr_slider = ThresholdSlider(
            "min_corr", 0.0, 1.0, min_corr,
            "Smallest local correlation of a seed pixel: raise it until cells separate.")
        self.pnr_slider = ThresholdSlider(
            "min_pnr", 0.0, max(pnr_max, 1.0), min_pnr,
            "Smallest peak-to-noise ratio of a seed pixel: raise it until mostly real signal "
            "passes.")
        self.count_label = QtWidgets.QLabel()
        self.set_button = QtWidgets.QPushButton("Set min_corr && min_pnr in the CNMFE module")
        self.set_button.setEnabled(write_back is not None)
        self.set_button.clicked.connect(self._write_back)
        self.error_label = QtWidgets.QLabel()
        self.error_label.setStyleSheet("color: #d03030;")
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(images, 1)
        for widget in (self.corr_slider, self.pnr_slider, self.count_label, self.set_button,
                       self.error_label):
            layout.addWidget(widget)
        self.corr_slider.changed.connect(self._update)
        self.pnr_slider.changed.connect(self._update)
        self._update()

    @property
    def min_corr(self) -> float:
        return self.corr_slider.value

    @property
    def min_pnr(self) -> float:
        return self.pnr_slider.value

    def passing_mask(self) -> np.ndarray:
        """``(H, W)`` bool: pixels passing both thresholds."""
        return seed_candidates(self.corr, self.pnr, self.min_corr, self.min_pnr)

    def _update(self, *_: Any) -> None:
        mask = self.passing_mask()
        rgba = np.zeros(mask.T.shape + (4,), dtype=np.uint8)
        rgba[mask.T] = OVERLAY_RGBA
        for key, view in self.views.items():
            image = self.corr if key == "corr" else self.pnr
            vmin = self.min_corr if key == "corr" else self.min_pnr
            vmax = float(np.nanmax(image)) if np.isfinite(image).any() else vmin + 1.0
            view.setLevels(vmin, max(vmax, vmin + 1e-6))
            self.overlays[key].setImage(rgba, autoLevels=False)
        self.count_label.setText(f"{int(mask.sum())} of {mask.size} pixels pass both "
                                 "thresholds (red)")

    def _write_back(self) -> None:
        try:
            self.write_back(round(self.min_corr, 3), round(self.min_pnr, 3))
        except MesmerizeError as exc:  # the module refuses invalid values with a message
            self.last_error = str(exc)
            self.error_label.setText(str(exc))
            return
        self.last_error = None
        self.error_label.setText("")
