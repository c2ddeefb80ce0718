"""Cross Correlation plot (guide: "Cross Correlation", Display node "CrossCorr").

Left: the lag or maxima matrix of the current sample's curves as a heatmap, with the thresholds
applied live (pairs under a threshold white, still clickable). Center: the two curves of the
clicked cell, their cross-correlation function and their ROIs on the sample's projection (units
in seconds). Right: the list of samples, and the Datapoint Tracer of the clicked curve.

The matrices are computed (``mesmerize.plotting.cross_correlation``) in a worker thread, one
sample at a time or all samples with "Compute all data"; results are kept per sample, data
column and pre-normalization until the input changes.
"""
from __future__ import annotations

import logging
import os
import traceback
from typing import Any, Callable, Hashable

import numpy as np
from matplotlib.patches import Rectangle
from mpl_toolkits.axes_grid1 import make_axes_locatable
from qtpy import QtCore, QtWidgets

from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import FormatVersionError, MesmerizeError, ParameterError
from mesmerize.gui.plots.base import PlotWindow
from mesmerize.gui.plots.datapoint_tracer import DatapointTracerWidget
from mesmerize.gui.plots.mpl_area import MatplotlibArea
from mesmerize.gui.plots.column_combo import ColumnCombo
from mesmerize.gui.plots.sample_list import SampleList
from mesmerize.plotting.cross_correlation import (
    MATRIX_KINDS, PRE_NORMALIZATIONS, CrossCorrelationData, apply_thresholds, draw_matrix,
    draw_pair, row_labels, sample_cross_correlation, sample_ids,
)
from mesmerize.plotting.sample_image import roi_outline, sample_projection
from mesmerize.plotting.spacemap import label_columns

log = logging.getLogger(__name__)

PRE_NORMALIZATION_TEXT = {"none": "None", "0-1": "0 - 1", "zscore": "Z-Score"}
_STATE_KEYS = {"data_column", "labels_column", "pre_normalization", "matrix", "lag_threshold",
               "lag_threshold_on", "absolute_lag", "maxima_threshold", "maxima_threshold_on",
               "sample"}
#: Threads of the FFTs of one computation.
FFT_WORKERS = max(1, min(4, (os.cpu_count() or 1) // 2))

_Key = tuple  # (input generation, sample id, data column, pre-normalization)


class CrossCorrelationThread(QtCore.QThread):
    """Computes the cross-correlation data of ``samples`` one after the other; emits
    ``progress(text)``, ``computed(key, data)`` per sample and ``failed(summary, details)``."""

    progress = QtCore.Signal(str)
    computed = QtCore.Signal(object, object)
    failed = QtCore.Signal(str, str)

    def __init__(self, t: Transmission, generation: int, samples: list[str], data_column: str,
                 pre_normalization: str) -> None:
        super().__init__()
        self.t = t
        self.generation = generation
        self.samples = samples
        self.data_column = data_column
        self.pre_normalization = pre_normalization

    def run(self) -> None:
        for k, sample_id in enumerate(self.samples):
            if self.isInterruptionRequested():
                return
            self.progress.emit(f"Computing cross-correlations of sample {sample_id} "
                               f"({k + 1}/{len(self.samples)})...")
            try:
                data = sample_cross_correlation(self.t, sample_id, self.data_column,
                                                pre_normalization=self.pre_normalization,
                                                workers=FFT_WORKERS)
            except MesmerizeError as exc:
                self.failed.emit(f"Sample {sample_id}: {exc}", "")
                return
            except Exception as exc:  # a bug or a library error: report it, keep the GUI alive
                self.failed.emit(f"Sample {sample_id}: {type(exc).__name__}: {exc}",
                                 traceback.format_exc())
                return
            key = (self.generation, sample_id, self.data_column, self.pre_normalization)
            self.computed.emit(key, data)


class HeatmapArea(MatplotlibArea):
    """The lag/maxima heatmap: ``fig``, ``ax``, ``image`` (the AxesImage) and ``draw()``."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent, figsize=(5.0, 5.0))
        self.ax = self.fig.add_subplot(1, 1, 1)
        self.image = None

    def new_axes(self) -> None:
        self.fig.clear()
        self.ax = self.fig.add_subplot(1, 1, 1)
        self.image = None


class PairArea(MatplotlibArea):
    """Curve 1, Curve 2, their CCF and their ROIs: ``fig``, ``axes`` (dict with ``curve1``,
    ``curve2``, ``ccf``, ``rois``) and ``draw()``."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent, figsize=(6.0, 5.0))
        self.axes: dict[str, Any] = {}
        self.new_axes()

    def new_axes(self) -> None:
        self.fig.clear()
        grid = self.fig.add_gridspec(4, 1, height_ratios=(1, 1, 1.2, 2.2))
        curve1 = self.fig.add_subplot(grid[0])
        self.axes = {"curve1": curve1,
                     "curve2": self.fig.add_subplot(grid[1], sharex=curve1),
                     "ccf": self.fig.add_subplot(grid[2]),
                     "rois": self.fig.add_subplot(grid[3])}


class CrossCorrelationWidget(PlotWindow):
    """Controls (guide): Data column, Labels column, Pre-normalization, Lag / Maxima matrix,
    Thresholds (lag in seconds, absolute or signed; maxima), Compute all data; plus Update
    Plot and Show/Hide Console. No .ptrn.

    ``data``: ``{sample id: CrossCorrelationData}`` of the current data column and
    pre-normalization; ``current_pair``: ``(i, j)`` of the clicked cell (None before);
    ``heatmap`` and ``pair_plot`` the plot areas; ``datapoint_tracer`` the tracer.
    """

    plot_kind = "cross_correlation"
    window_title = "Cross Correlation"
    saves_ptrn = False

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self._cache: dict[_Key, CrossCorrelationData] = {}
        self._generation = 0
        self._thread: CrossCorrelationThread | None = None
        self._queued: list[str] = []
        self._quiet_depth = 0
        self._message = ""
        self._closed = False
        self._shown: tuple | None = None
        self._cell_mark: Rectangle | None = None
        self.current_pair: tuple[int, int] | None = None
        self._build_controls()
        self._build_layout()
        self.resize(1500, 1000)
        self.resizeDocks([self.controls_dock], [self.controls.sizeHint().width() + 24],
                         QtCore.Qt.Horizontal)
        self.resizeDocks([self.tracer_dock], [330], QtCore.Qt.Vertical)

    # --- layout --------------------------------------------------------------------------------
    def _build_controls(self) -> None:
        self.data_column = ColumnCombo("numerical", preferred=("_RAW_CURVE",))
        self.labels_column = ColumnCombo("categorical", none_text="(row index)")
        self.pre_normalization = QtWidgets.QComboBox()
        for method in PRE_NORMALIZATIONS:
            self.pre_normalization.addItem(PRE_NORMALIZATION_TEXT[method], method)
        self.lag_button = QtWidgets.QRadioButton("Lag Matrix")
        self.maxima_button = QtWidgets.QRadioButton("Maxima Matrix")
        self.lag_button.setChecked(True)
        form = QtWidgets.QFormLayout()
        form.addRow("Data column", self.data_column)
        form.addRow("Labels column", self.labels_column)
        form.addRow("Pre-normalization", self.pre_normalization)
        self.controls_layout.addLayout(form)
        matrix = QtWidgets.QHBoxLayout()
        matrix.addWidget(self.lag_button)
        matrix.addWidget(self.maxima_button)
        self.controls_layout.addLayout(matrix)

        thresholds = QtWidgets.QGroupBox("Thresholds")
        grid = QtWidgets.QGridLayout(thresholds)
        self.lag_threshold_on = QtWidgets.QCheckBox("Lag (s)")
        self.lag_threshold = QtWidgets.QDoubleSpinBox()
        self.lag_threshold.setRange(-1e6, 1e6)
        self.lag_threshold.setDecimals(3)
        self.lag_threshold.setSingleStep(0.1)
        self.lag_threshold.setValue(1.0)
        self.absolute_lag = QtWidgets.QCheckBox("Absolute value of lag")
        self.absolute_lag.setChecked(True)
        self.maxima_threshold_on = QtWidgets.QCheckBox("Maxima")
        self.maxima_threshold = QtWidgets.QDoubleSpinBox()
        self.maxima_threshold.setRange(-1.0, 1.0)
        self.maxima_threshold.setDecimals(3)
        self.maxima_threshold.setSingleStep(0.05)
        self.maxima_threshold.setValue(0.5)
        grid.addWidget(self.lag_threshold_on, 0, 0)
        grid.addWidget(self.lag_threshold, 0, 1)
        grid.addWidget(self.absolute_lag, 1, 0, 1, 2)
        grid.addWidget(self.maxima_threshold_on, 2, 0)
        grid.addWidget(self.maxima_threshold, 2, 1)
        self.controls_layout.addWidget(thresholds)
        self.compute_all_button = QtWidgets.QPushButton("Compute all data")
        self.compute_all_button.setToolTip("Compute the cross-correlations of all samples of "
                                           "the input with these parameters")
        self.compute_all_button.clicked.connect(self.compute_all_data)
        self.controls_layout.addWidget(self.compute_all_button)

        for signal in (self.data_column.currentIndexChanged,
                       self.pre_normalization.currentIndexChanged):
            signal.connect(self._compute_changed)
        for signal in (self.labels_column.currentIndexChanged, self.lag_button.toggled):
            signal.connect(self._display_changed)
        for signal in (self.lag_threshold_on.toggled, self.lag_threshold.valueChanged,
                       self.absolute_lag.toggled, self.maxima_threshold_on.toggled,
                       self.maxima_threshold.valueChanged):
            signal.connect(self._thresholds_changed)

    def _build_layout(self) -> None:
        self.heatmap = HeatmapArea()
        self.heatmap.canvas.mpl_connect("button_press_event", self._heatmap_clicked)
        self.pair_plot = PairArea()
        self.samples = SampleList()
        self.samples.setToolTip("Click on a sample to make it the current sample")
        self.samples.currentRowChanged.connect(self._sample_changed)
        self.datapoint_tracer = DatapointTracerWidget()
        self.trace_choice = QtWidgets.QComboBox()
        self.trace_choice.addItems(["Curve 1", "Curve 2"])
        self.trace_choice.currentIndexChanged.connect(
            lambda _i: self._reporting_problems(self._trace_pair))
        samples = QtWidgets.QWidget()
        samples_layout = QtWidgets.QVBoxLayout(samples)
        samples_layout.setContentsMargins(0, 0, 0, 0)
        samples_layout.addWidget(QtWidgets.QLabel("Samples"))
        samples_layout.addWidget(self.samples, 1)
        splitter = QtWidgets.QSplitter(QtCore.Qt.Horizontal)
        splitter.addWidget(self.heatmap)
        splitter.addWidget(self.pair_plot)
        splitter.addWidget(samples)
        splitter.setSizes([520, 520, 160])
        self.set_main_widget(splitter)

        tracer = QtWidgets.QWidget()
        tracer_layout = QtWidgets.QVBoxLayout(tracer)
        tracer_layout.setContentsMargins(2, 2, 2, 2)
        trace_row = QtWidgets.QHBoxLayout()
        trace_row.addWidget(QtWidgets.QLabel("Trace the clicked cell's"))
        trace_row.addWidget(self.trace_choice)
        trace_row.addStretch(1)
        tracer_layout.addLayout(trace_row)
        tracer_layout.addWidget(self.datapoint_tracer, 1)
        self.tracer_dock = QtWidgets.QDockWidget("Datapoint Tracer", self)
        self.tracer_dock.setObjectName("datapoint_tracer")
        self.tracer_dock.setWidget(tracer)
        self.addDockWidget(QtCore.Qt.BottomDockWidgetArea, self.tracer_dock)

    # --- console -------------------------------------------------------------------------------
    def get_plot_area(self) -> HeatmapArea:
        """The heatmap area: ``.fig``, ``.ax``, ``.draw()``."""
        return self.heatmap

    def console_namespace(self) -> dict[str, Any]:
        return {**super().console_namespace(), "get_plot_area": self.get_plot_area,
                "get_pair_plot": lambda: self.pair_plot}

    # --- controls ------------------------------------------------------------------------------
    def matrix_kind(self) -> str:
        return "lag" if self.lag_button.isChecked() else "maxima"

    def current_sample(self) -> str | None:
        return self.samples.current_sample()

    def set_current_sample(self, sample_id: str) -> None:
        """Make ``sample_id`` the current sample (computing it when needed)."""
        self.samples.set_current_sample(sample_id)

    def thresholds(self) -> tuple[float | None, float | None, bool]:
        """``(lag_threshold or None, maxima_threshold or None, absolute_lag)``."""
        lag = self.lag_threshold.value() if self.lag_threshold_on.isChecked() else None
        maxima = self.maxima_threshold.value() if self.maxima_threshold_on.isChecked() else None
        return lag, maxima, self.absolute_lag.isChecked()

    def _key(self, sample_id: str) -> _Key:
        return (self._generation, sample_id, self.data_column.value(),
                self.pre_normalization.currentData())

    @property
    def data(self) -> dict[str, CrossCorrelationData]:
        """Computed data of the current parameters, by sample id."""
        _, _, column, method = self._key("")
        return {k[1]: v for k, v in self._cache.items()
                if k[0] == self._generation and k[2] == column and k[3] == method}

    def current_data(self) -> CrossCorrelationData | None:
        sample_id = self.current_sample()
        return None if sample_id is None else self._cache.get(self._key(sample_id))

    def labels(self) -> np.ndarray:
        """Labels of the current sample's curves from the Labels column."""
        data = self.current_data()
        return row_labels(self.transmission.df, data.index, self.labels_column.value())

    def _compute_changed(self, *_args: Any) -> None:
        if self.transmission is not None and not self._quiet_depth:
            self.current_pair = None
            self.update_plot()

    def _display_changed(self, *_args: Any) -> None:
        if self.current_data() is not None and not self._quiet_depth:
            self.update_plot()

    def _thresholds_changed(self, *_args: Any) -> None:
        """Thresholds apply live: the heatmap's values and colour limits change in place."""
        data = self.current_data()
        if data is None or self._quiet_depth:
            return
        if self.heatmap.image is None or self._shown != self._shown_id():
            self.update_plot()
            return
        lag, maxima, absolute = self.thresholds()
        self._reporting_problems(lambda: apply_thresholds(
            self.heatmap.image, data, self.matrix_kind(), lag, maxima, absolute))
        self.heatmap.canvas.draw_idle()

    def _shown_id(self) -> tuple:
        """What the heatmap shows: the data key, the matrix kind and the labels column."""
        return (self._key(self.current_sample() or ""), self.matrix_kind(),
                self.labels_column.value())

    def _sample_changed(self, *_args: Any) -> None:
        self._compute_changed()

    # --- input and computing -------------------------------------------------------------------
    def input_changed(self) -> None:
        self._generation += 1  # results still computed for the old input are dropped
        self._cache.clear()
        self._queued = []
        self.current_pair = None
        t = self.transmission
        self._quiet_depth += 1
        try:
            columns = [] if t is None else list(t.df.columns)
            if t is not None and t.last_output in columns:
                self.data_column.preferred = (t.last_output, "_RAW_CURVE")
            self.data_column.set_columns(columns)
            self.labels_column.set_columns([] if t is None else label_columns(t))
            self.samples.set_samples(
                [] if t is None or "SampleID" not in t.df.columns else sample_ids(t))
        finally:
            self._quiet_depth -= 1

    def is_computing(self) -> bool:
        """True while the worker thread computes."""
        return self._thread is not None

    def _check_parameters(self) -> str:
        if self.data_column.value() is None:
            raise ParameterError("Cross Correlation: the input has no data column (names "
                                 "starting with _ holding arrays, e.g. _RAW_CURVE).")
        sample_id = self.current_sample()
        if sample_id is None:
            raise ParameterError("Cross Correlation: the input has no samples (no SampleID "
                                 "column or no rows); load the data from a project.")
        return sample_id

    def draw_plot(self) -> None:
        sample_id = self._check_parameters()
        if self.current_data() is not None:
            self._show_current()
            return
        self._message = f"Computing cross-correlations of sample {sample_id}..."
        self._compute([sample_id])

    def compute_all_data(self) -> None:
        """Compute the cross-correlations of every sample of the input (in the worker thread);
        problems go to the status label."""
        if self.transmission is None:
            self.status.problem("No input: connect a Transmission to this plot's node, or call "
                                "set_input(t).")
            return
        try:
            self._check_parameters()
        except MesmerizeError as exc:
            self.status.problem(str(exc))
            return
        missing = [s for s in sample_ids(self.transmission) if self._key(s) not in self._cache]
        if not missing:
            self.update_plot()
            return
        self._compute(missing)
        self.status.ok(self._message)

    def _compute(self, samples: list[str]) -> None:
        """Compute ``samples`` now, or after the running computation."""
        if self._thread is not None:
            self._queued = [s for s in samples if s not in self._queued] + self._queued
            return
        thread = CrossCorrelationThread(self.transmission, self._generation, samples,
                                        self.data_column.value(),
                                        self.pre_normalization.currentData())
        thread.progress.connect(self._on_progress)
        thread.computed.connect(self._on_computed)
        thread.failed.connect(self._on_failed)
        thread.finished.connect(self._on_finished)
        self._thread = thread
        self._message = f"Computing cross-correlations of {len(samples)} sample(s)..."
        thread.start()

    def _on_progress(self, text: str) -> None:
        self._message = text
        self.status.ok(text)

    def _on_computed(self, key: _Key, data: CrossCorrelationData) -> None:
        if key[0] != self._generation:
            return
        self._cache[key] = data
        if key == self._key(self.current_sample() or ""):
            self.update_plot()

    def _on_failed(self, summary: str, details: str) -> None:
        self._queued = []
        self.status.problem(summary, details)

    def _on_finished(self) -> None:
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.deleteLater()
        if self._closed:
            return
        queued, self._queued = self._queued, []
        todo = [s for s in dict.fromkeys(queued) if self._key(s) not in self._cache]
        if todo and self.transmission is not None:
            self._compute(todo)
        elif not self.status.is_problem:
            self.status.ok(self.status_text())

    def status_text(self) -> str:
        if self._thread is not None:
            return self._message
        data = self.current_data()
        if data is None:
            return ""
        n = data.curves.shape[0]
        return (f"Sample {self.current_sample()}: {n} curves x {data.n_frames} frames at "
                f"{data.sampling_rate:g} Hz; {len(self.data)} sample(s) computed. Click a cell "
                "to see its curves.")

    # --- drawing -------------------------------------------------------------------------------
    def _show_current(self) -> None:
        """Draw the current sample's heatmap (and the selected pair, if any)."""
        data = self.current_data()
        self.heatmap.new_axes()
        self._shown = None
        if data is None:
            self.heatmap.draw()
            return
        lag, maxima, absolute = self.thresholds()
        kind = self.matrix_kind()
        image = draw_matrix(self.heatmap.ax, data, kind, lag, maxima, absolute, self.labels())
        self.heatmap.image = image
        label = "lag (s)" if kind == "lag" else "maximum of the normalized CCF"
        colorbar_axes = make_axes_locatable(self.heatmap.ax).append_axes("right", "5%", pad=0.1)
        self.heatmap.fig.colorbar(image, cax=colorbar_axes, label=label)
        self.heatmap.ax.set_title(f"{self.current_sample()}: {kind} matrix", fontsize="small")
        self._cell_mark = self.heatmap.ax.add_patch(
            Rectangle((-0.5, -0.5), 1.0, 1.0, fill=False, edgecolor="black", linewidth=1.5,
                      visible=False))
        self._mark_cell()
        self.heatmap.fig.tight_layout()
        self.heatmap.draw()
        self._shown = self._shown_id()

    def _heatmap_clicked(self, event: Any) -> None:
        if (event.inaxes is not self.heatmap.ax or event.xdata is None
                or self.heatmap.toolbar.mode):
            return
        data = self.current_data()
        if data is None:
            return
        i, j = int(round(event.xdata)), int(round(event.ydata))
        n = data.curves.shape[0]
        if 0 <= i < n and 0 <= j < n:
            self._reporting_problems(lambda: self.select_pair(i, j))

    def _reporting_problems(self, action: Callable[[], None]) -> None:
        """Run ``action`` for a GUI event; its problems go to the status label."""
        try:
            action()
        except MesmerizeError as exc:
            self.status.problem(str(exc))
        except Exception as exc:  # a bug or a library error: show it, keep the window alive
            log.exception("cross-correlation display failed")
            self.status.problem(f"{type(exc).__name__}: {exc}", traceback.format_exc())

    def select_pair(self, i: int, j: int) -> None:
        """Show curve ``i`` (Curve 1, heatmap x) and curve ``j`` (Curve 2, heatmap y) of the
        current sample, their CCF and ROIs, and trace the chosen curve."""
        data = self.current_data()
        if data is None:
            raise ParameterError("Cross Correlation: nothing computed for the current sample "
                                 "yet.")
        n = data.curves.shape[0]
        if not (0 <= i < n and 0 <= j < n):
            raise ParameterError(f"Curve indices must be within 0 and {n - 1}, got {(i, j)}.")
        self.current_pair = (i, j)
        image, outlines, problem = None, None, ""
        rows = self.transmission.df.loc[[data.index[i], data.index[j]]]
        try:
            image = sample_projection(self.transmission.proj_path, rows["ImgPath"].iloc[0], "max")
            outlines = (roi_outline(self.transmission.proj_path, rows.iloc[0]),
                        roi_outline(self.transmission.proj_path, rows.iloc[1]))
        except KeyError as exc:
            problem = (f"ROI locations unavailable: the input has no {exc} column; load the "
                       "data from a project (LoadProjDF).")
        except (MesmerizeError, OSError) as exc:
            problem = f"ROI locations unavailable: {exc}"
        self.pair_plot.new_axes()
        draw_pair(self.pair_plot.axes, data, i, j, self.labels(), image, outlines, problem)
        self.pair_plot.fig.tight_layout()
        self.pair_plot.draw()
        if self._shown == self._shown_id():
            self._mark_cell()
            self.heatmap.canvas.draw_idle()
        else:
            self._show_current()
        self._trace_pair()

    def _mark_cell(self) -> None:
        """Outline the heatmap cell of ``current_pair`` (hidden when there is none)."""
        if self.current_pair is None:
            self._cell_mark.set_visible(False)
            return
        i, j = self.current_pair
        self._cell_mark.set_xy((i - 0.5, j - 0.5))
        self._cell_mark.set_visible(True)

    def _trace_pair(self) -> None:
        data = self.current_data()
        if self.current_pair is None or data is None:
            return
        k = self.current_pair[self.trace_choice.currentIndex()]
        index: Hashable = data.index[k]
        self.datapoint_tracer.set_datapoint(self.transmission, index, self.data_column.value())

    # --- state ---------------------------------------------------------------------------------
    def get_plot_state(self) -> dict[str, Any]:
        return {"data_column": self.data_column.value(),
                "labels_column": self.labels_column.value(),
                "pre_normalization": self.pre_normalization.currentData(),
                "matrix": self.matrix_kind(),
                "lag_threshold_on": self.lag_threshold_on.isChecked(),
                "lag_threshold": self.lag_threshold.value(),
                "absolute_lag": self.absolute_lag.isChecked(),
                "maxima_threshold_on": self.maxima_threshold_on.isChecked(),
                "maxima_threshold": self.maxima_threshold.value(),
                "sample": self.current_sample()}

    def set_plot_state(self, state: dict[str, Any]) -> None:
        unknown = set(state) - _STATE_KEYS
        if unknown:
            raise FormatVersionError(f"The cross_correlation plot has no controls "
                                     f"{sorted(unknown)}.")
        if state.get("pre_normalization", "none") not in PRE_NORMALIZATIONS:
            raise ParameterError(f"pre_normalization must be one of {PRE_NORMALIZATIONS}, got "
                                 f"{state['pre_normalization']!r}.")
        if state.get("matrix", "lag") not in MATRIX_KINDS:
            raise ParameterError(f"matrix must be one of {MATRIX_KINDS}, got "
                                 f"{state['matrix']!r}.")
        self._quiet_depth += 1
        try:
            if state.get("data_column") is not None:
                self.data_column.set_value(state["data_column"])
            if "labels_column" in state:
                self.labels_column.set_value(state["labels_column"])
            if "pre_normalization" in state:
                self.pre_normalization.setCurrentIndex(
                    self.pre_normalization.findData(state["pre_normalization"]))
            if "matrix" in state:
                button = self.lag_button if state["matrix"] == "lag" else self.maxima_button
                button.setChecked(True)
            for key, box in (("lag_threshold_on", self.lag_threshold_on),
                             ("absolute_lag", self.absolute_lag),
                             ("maxima_threshold_on", self.maxima_threshold_on)):
                if key in state:
                    box.setChecked(bool(state[key]))
            for key, spin in (("lag_threshold", self.lag_threshold),
                              ("maxima_threshold", self.maxima_threshold)):
                if key in state:
                    spin.setValue(float(state[key]))
            if state.get("sample") is not None:
                self.set_current_sample(state["sample"])
        finally:
            self._quiet_depth -= 1
        if self.current_data() is not None:
            self._show_current()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        self._closed = True
        if self._thread is not None:
            self._queued = []
            self._thread.requestInterruption()
            self._thread.wait()
        super().closeEvent(event)

