"""KShape plot (guide: "KShape"): k-Shape clustering (tslearn.clustering.KShape through the
KShape operation) of a data column, trained in a worker thread, with

- left: KShape parameters and plot options (controls dock),
- center: one means plot per cluster with an error band (``get_plot_means()``),
- below it: a random sample of one cluster's curves with its centroid (``get_plot_raw()``),
- right: a Proportions plot of the input with the cluster labels in ``KSHAPE_CLUSTER``
  (``get_plot_proportions()``),
- bottom: the console.

Curves are shown z-normalised per curve (the shapes k-Shape compares). The saved ``.ptrn``
holds the input, the control values and the trained labels, centroids and training rows.
"""
from __future__ import annotations

import traceback
from typing import Any

import numpy as np
from qtpy import QtCore, QtGui, QtWidgets

from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import FormatVersionError, MesmerizeError, ParameterError
from mesmerize.gui.plots.base import PlotWindow
from mesmerize.gui.plots.mpl_area import MatplotlibArea
from mesmerize.gui.plots.proportions import ProportionsWidget
from mesmerize.gui.plots.column_combo import ColumnCombo
from mesmerize.plotting.kshape import (
    ALIGNMENTS, ERROR_BANDS, LABEL_COLUMN, KShapeResult, curves_matrix, draw_cluster_means,
    draw_cluster_sample, fit_kshape, means_grid_shape, with_cluster_labels, zscore_curves,
)

ERROR_BAND_TEXT = {"ci": "confidence interval", "sd": "standard deviation", "none": "None"}
_PARAM_KEYS = ("data_column", "n_clusters", "max_iter", "tol", "n_init", "random_state",
               "train_subset")
_STATE_KEYS = set(_PARAM_KEYS) | {"plot_cluster", "show_centers", "max_num_curves",
                                  "error_band", "x_zero", "result_params", "proportions"}


class SubplotGridArea(MatplotlibArea):
    """A matplotlib area holding a grid of subplots: ``axs`` ``(nrows, ncols)`` array of Axes
    (index with ``(row, col)`` tuples), ``nrows``, ``ncols``; ``ax`` is ``axs[0, 0]``."""

    def __init__(self, parent: QtWidgets.QWidget | None = None,
                 figsize: tuple[float, float] = (6.0, 4.0)) -> None:
        super().__init__(parent, figsize=figsize)
        self.set_grid(1, 1)

    def set_grid(self, nrows: int, ncols: int) -> None:
        """Clear the figure and make an ``nrows`` x ``ncols`` grid of empty subplots."""
        self.fig.clear()
        self.nrows, self.ncols = nrows, ncols
        self.axs = self.fig.subplots(nrows, ncols, squeeze=False)
        self.ax = self.axs[0, 0]


class KShapeTrainer(QtCore.QThread):
    """Runs ``fit_kshape(t, **params)`` off the GUI thread; emits ``trained(result)`` or
    ``failed(summary, details)``."""

    trained = QtCore.Signal(object)
    failed = QtCore.Signal(str, str)

    def __init__(self, t: Transmission, params: dict[str, Any],
                 parent: QtCore.QObject | None = None) -> None:
        super().__init__(parent)
        self.t = t
        self.params = params

    def run(self) -> None:
        try:
            result = fit_kshape(self.t, **self.params)
        except MesmerizeError as exc:
            self.failed.emit(str(exc), "")
        except Exception as exc:  # a library error: report it, the window stays usable
            self.failed.emit(f"{type(exc).__name__}: {exc}", traceback.format_exc())
        else:
            self.trained.emit(result)


class KShapeWidget(PlotWindow):
    """The KShape plot. ``result`` is the trained ``KShapeResult`` (None before training);
    ``cluster_centers`` its ``(n_clusters, n_samples)`` centroids; ``training_finished`` is
    emitted when a training run ends (successfully or not)."""

    plot_kind = "kshape"
    window_title = "KShape"
    saves_ptrn = True
    training_finished = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.result: KShapeResult | None = None
        self.trainer: KShapeTrainer | None = None
        self._trained_on: Transmission | None = None
        self._curves: np.ndarray | None = None
        self._pending_result_params: dict[str, Any] | None = None
        self._pending_plot_cluster = 0
        self._build_parameters()
        self._build_plot_options()

        self.plot_means = SubplotGridArea(figsize=(7.0, 5.0))
        self.plot_raw = SubplotGridArea(figsize=(7.0, 2.5))
        self.plot_proportions = ProportionsWidget(preferred_y=(LABEL_COLUMN,))
        self.plot_proportions.setWindowFlags(QtCore.Qt.Widget)
        left = QtWidgets.QSplitter(QtCore.Qt.Vertical)
        left.addWidget(self.plot_means)
        left.addWidget(self.plot_raw)
        left.setStretchFactor(0, 3)
        left.setStretchFactor(1, 2)
        main = QtWidgets.QSplitter(QtCore.Qt.Horizontal)
        main.addWidget(left)
        main.addWidget(self.plot_proportions)
        main.setSizes([800, 480])
        self.set_main_widget(main)
        # the proportions controls become a tab beside the KShape controls, leaving the
        # right pane to the proportions plot
        props_dock = self.plot_proportions.controls_dock
        props_dock.setWindowTitle("Proportions")
        self.controls_dock.setWindowTitle("KShape")
        self.addDockWidget(QtCore.Qt.LeftDockWidgetArea, props_dock)
        self.tabifyDockWidget(self.controls_dock, props_dock)
        self.controls_dock.raise_()
        self.resize(1600, 950)

    # --- controls ------------------------------------------------------------------------------
    def _build_parameters(self) -> None:
        box = QtWidgets.QGroupBox("KShape parameters")
        form = QtWidgets.QFormLayout(box)
        self.data_column = ColumnCombo("numerical", preferred=("_RAW_CURVE",))
        self.n_clusters = QtWidgets.QSpinBox()
        self.n_clusters.setRange(1, 210)
        self.n_clusters.setValue(3)
        self.max_iter = QtWidgets.QSpinBox()
        self.max_iter.setRange(1, 100000)
        self.max_iter.setValue(100)
        self.tol = QtWidgets.QLineEdit("1e-06")
        self.tol.setMaximumWidth(120)
        validator = QtGui.QDoubleValidator(0.0, 1.0, 12, self.tol)
        validator.setNotation(QtGui.QDoubleValidator.ScientificNotation)
        self.tol.setValidator(validator)
        self.n_init = QtWidgets.QSpinBox()
        self.n_init.setRange(1, 1000)
        self.n_init.setValue(1)
        self.random_state = QtWidgets.QSpinBox()
        self.random_state.setRange(0, 2 ** 31 - 1)
        self.random_seed_none = QtWidgets.QCheckBox("no seed (numpy's global generator)")
        self.random_seed_none.toggled.connect(lambda on: self.random_state.setDisabled(on))
        self.train_subset = QtWidgets.QDoubleSpinBox()
        self.train_subset.setRange(0.01, 1.0)
        self.train_subset.setSingleStep(0.05)
        self.train_subset.setValue(1.0)
        self.train_subset.setToolTip("Fraction of the curves used for training (drawn with "
                                     "random_state); all curves are then predicted.")
        form.addRow("data_column", self.data_column)
        form.addRow("n_clusters", self.n_clusters)
        form.addRow("max_iter", self.max_iter)
        form.addRow("tol", self.tol)
        form.addRow("n_init", self.n_init)
        form.addRow("random_state", self.random_state)
        form.addRow(self.random_seed_none)
        form.addRow("training subset", self.train_subset)
        self.start_button = QtWidgets.QPushButton("Start")
        self.start_button.clicked.connect(self.start_training)
        form.addRow(self.start_button)
        self.progress = QtWidgets.QProgressBar()
        self.progress.setRange(0, 0)
        self.progress.setTextVisible(False)
        self.progress.hide()
        form.addRow(self.progress)
        self.controls_layout.addWidget(box)

    def _build_plot_options(self) -> None:
        box = QtWidgets.QGroupBox("Plot options")
        form = QtWidgets.QFormLayout(box)
        self.plot_cluster = QtWidgets.QComboBox()
        self.plot_cluster.currentIndexChanged.connect(lambda _i: self._redraw(raw=True))
        self.show_centers = QtWidgets.QCheckBox("Show centers")
        self.show_centers.setChecked(True)
        self.show_centers.toggled.connect(lambda _on: self._redraw(raw=True))
        self.max_num_curves = QtWidgets.QSpinBox()
        self.max_num_curves.setRange(1, 100000)
        self.max_num_curves.setValue(50)
        self.max_num_curves.valueChanged.connect(lambda _v: self._redraw(raw=True))
        self.error_band = QtWidgets.QComboBox()
        self.error_band.setToolTip("confidence interval: t-based 95% CI of the mean; standard "
                                   "deviation: mean +- SD")
        for value in ERROR_BANDS:
            self.error_band.addItem(ERROR_BAND_TEXT[value], value)
        self.error_band.currentIndexChanged.connect(lambda _i: self._redraw(means=True))
        self.x_zero_start = QtWidgets.QRadioButton("zero")
        self.x_zero_maxima = QtWidgets.QRadioButton("maxima")
        self.x_zero_start.setChecked(True)
        self.x_zero_maxima.toggled.connect(lambda _on: self._redraw(means=True))
        x_zero = QtWidgets.QHBoxLayout()
        x_zero.addWidget(self.x_zero_start)
        x_zero.addWidget(self.x_zero_maxima)
        form.addRow("Plot cluster", self.plot_cluster)
        form.addRow(self.show_centers)
        form.addRow("max num curves", self.max_num_curves)
        form.addRow("Error band", self.error_band)
        form.addRow("set x = 0 at", x_zero)
        self.controls_layout.addWidget(box)

    def kshape_params(self) -> dict[str, Any]:
        """The KShape parameters in the controls (``fit_kshape`` keyword arguments)."""
        try:
            tol = float(self.tol.text())
        except ValueError:
            raise ParameterError(f"KShape: tol must be a number such as 1e-06, got "
                                 f"{self.tol.text()!r}.") from None
        return {"data_column": self.data_column.value(), "n_clusters": self.n_clusters.value(),
                "max_iter": self.max_iter.value(), "tol": tol, "n_init": self.n_init.value(),
                "random_state": None if self.random_seed_none.isChecked()
                else self.random_state.value(),
                "train_subset": round(self.train_subset.value(), 6)}

    def _set_kshape_params(self, params: dict[str, Any]) -> None:
        if params.get("data_column") is not None:
            self.data_column.set_value(params["data_column"])
        for name in ("n_clusters", "max_iter", "n_init"):
            if name in params:
                getattr(self, name).setValue(int(params[name]))
        if "tol" in params:
            self.tol.setText(repr(float(params["tol"])))
        if "random_state" in params:
            self.random_seed_none.setChecked(params["random_state"] is None)
            if params["random_state"] is not None:
                self.random_state.setValue(int(params["random_state"]))
        if "train_subset" in params:
            self.train_subset.setValue(float(params["train_subset"]))

    def align(self) -> str:
        return "maxima" if self.x_zero_maxima.isChecked() else "zero"

    # --- the guide's console attributes --------------------------------------------------------
    @property
    def cluster_centers(self) -> np.ndarray:
        """``(n_clusters, n_samples)`` centroids of the trained model."""
        if self.result is None:
            raise ParameterError("KShape: not trained yet; click Start first.")
        return self.result.cluster_centers

    def get_plot_means(self) -> SubplotGridArea:
        return self.plot_means

    def get_plot_raw(self) -> SubplotGridArea:
        return self.plot_raw

    def get_plot_proportions(self) -> ProportionsWidget:
        return self.plot_proportions

    def console_namespace(self) -> dict[str, Any]:
        return {**super().console_namespace(), "get_plot_means": self.get_plot_means,
                "get_plot_raw": self.get_plot_raw,
                "get_plot_proportions": self.get_plot_proportions}

    # --- input and training --------------------------------------------------------------------
    def input_changed(self) -> None:
        t = self.transmission
        self.data_column.preferred = (t.last_output, "_RAW_CURVE") if t is not None else ()
        self.data_column.set_columns([] if t is None else list(t.df.columns))
        if t is self._trained_on:
            return
        if self._same_curves(t):  # e.g. the flowchart re-ran: keep the clustering
            self._trained_on = t
            self._set_result(self.result)
        else:
            self._set_result(None)

    def _same_curves(self, t: Transmission | None) -> bool:
        """Whether ``t`` holds exactly the curves the current result was trained on."""
        if self.result is None or t is None or self._trained_on is None:
            return False
        column = self.result.params["data_column"]
        if column not in t.df.columns or len(t.df) != len(self._trained_on.df):
            return False
        try:
            new = curves_matrix(t.df, column)
        except MesmerizeError:
            return False
        return np.array_equal(new, curves_matrix(self._trained_on.df, column))

    def is_training(self) -> bool:
        return self.trainer is not None and self.trainer.isRunning()

    def start_training(self) -> None:
        """Train k-Shape on the current input with the parameters in the controls, in a worker
        thread; the plots update when it finishes."""
        if self.is_training():
            return
        if self.transmission is None:
            self.status.problem("KShape: no input; connect a Transmission first.")
            return
        try:
            params = self.kshape_params()
            if params["data_column"] is None:
                raise ParameterError("KShape: the input has no numerical (_) column to cluster.")
            curves_matrix(self.transmission.df, params["data_column"])
        except MesmerizeError as exc:
            self.status.problem(str(exc))
            return
        t = self.transmission
        if self.trainer is not None:  # the previous run has ended (Start was disabled until then)
            self.trainer.wait()
            self.trainer.deleteLater()
        self.trainer = KShapeTrainer(t, params, self)
        self.trainer.trained.connect(self._training_done)
        self.trainer.failed.connect(self._training_failed)
        self.start_button.setEnabled(False)
        self.progress.show()
        self.status.ok(f"Training k-Shape ({params['n_clusters']} clusters) on "
                       f"{len(t.df)} curves...")
        self.trainer.start()

    @QtCore.Slot(object)
    def _training_done(self, result: KShapeResult) -> None:
        self._end_training()
        t = self.trainer.t
        self.result, self._trained_on = result, t
        if self.transmission is t or self._same_curves(self.transmission):
            self._trained_on = self.transmission
            self._set_result(result)
            self.update_plot()
        else:
            self._set_result(None)
            self.status.problem("KShape: the input changed during training; click Start to "
                                "train on the new input.")
        self.training_finished.emit()

    @QtCore.Slot(str, str)
    def _training_failed(self, summary: str, details: str) -> None:
        self._end_training()
        self.status.problem(summary, details)
        self.training_finished.emit()

    def _end_training(self) -> None:
        self.start_button.setEnabled(True)
        self.progress.hide()

    def _set_result(self, result: KShapeResult | None) -> None:
        """Show ``result`` (for the current input) or, with None, forget the clustering."""
        self.result = result
        self._curves = None
        self.plot_cluster.blockSignals(True)
        self.plot_cluster.clear()
        if result is not None:
            self._curves = zscore_curves(curves_matrix(self.transmission.df,
                                                       result.params["data_column"]))
            self.plot_cluster.addItems([str(i) for i in range(result.n_clusters)])
        self.plot_cluster.blockSignals(False)
        if result is None:
            self.plot_means.set_grid(1, 1)
            self.plot_raw.set_grid(1, 1)
            self.plot_means.draw()
            self.plot_raw.draw()
            self.plot_proportions.clear_plot("Train k-Shape to see the proportions of its "
                                             "clusters.")
        else:
            self.plot_proportions.set_input(with_cluster_labels(self.transmission,
                                                                result.labels))

    # --- drawing -------------------------------------------------------------------------------
    def draw_plot(self) -> None:
        if self.result is None:
            return
        self._draw_means()
        self._draw_raw()
        self.plot_proportions.update_plot()

    def _redraw(self, means: bool = False, raw: bool = False) -> None:
        """Redraw one plot after a plot option changed; problems go to the status label."""
        if self.result is None:
            return
        try:
            if means:
                self._draw_means()
            if raw:
                self._draw_raw()
        except MesmerizeError as exc:
            self.status.problem(str(exc))
        except Exception as exc:  # a library error: show it, keep the window alive
            self.status.problem(f"{type(exc).__name__}: {exc}", traceback.format_exc())

    def _draw_means(self) -> None:
        result, area = self.result, self.plot_means
        area.set_grid(*means_grid_shape(result.n_clusters))
        draw_cluster_means(area.axs, self._curves, result.labels, result.n_clusters,
                           align=self.align(), error_band=self.error_band.currentData())
        start = "each curve's maximum" if self.align() == "maxima" else "the array start"
        area.fig.supxlabel(f"sample (x = 0 at {start})", fontsize=8)
        area.fig.supylabel("z-score", fontsize=8)
        area.fig.tight_layout()
        area.draw()

    def _draw_raw(self) -> None:
        result, area = self.result, self.plot_raw
        cluster = max(self.plot_cluster.currentIndex(), 0)
        area.set_grid(1, 1)
        draw_cluster_sample(area.ax, self._curves, result.labels, cluster,
                            self.max_num_curves.value(),
                            result.cluster_centers if self.show_centers.isChecked() else None)
        area.fig.tight_layout()
        area.draw()

    def status_text(self) -> str:
        if self.is_training():
            return "Training k-Shape..."
        if self.result is None:
            return "Not trained yet: choose the KShape parameters and click Start."
        r = self.result
        return (f"{r.labels.size} curves in {r.n_clusters} clusters (trained on "
                f"{r.training_rows.size}); inertia {r.inertia:.4g}.")

    # --- state ---------------------------------------------------------------------------------
    def get_plot_state(self) -> dict[str, Any]:
        return {**self.kshape_params(),
                "plot_cluster": max(self.plot_cluster.currentIndex(), 0),
                "show_centers": self.show_centers.isChecked(),
                "max_num_curves": self.max_num_curves.value(),
                "error_band": self.error_band.currentData(), "x_zero": self.align(),
                "result_params": None if self.result is None else dict(self.result.params),
                "proportions": self.plot_proportions.get_plot_state()}

    def set_plot_state(self, state: dict[str, Any]) -> None:
        unknown = set(state) - _STATE_KEYS
        if unknown:
            raise FormatVersionError(f"The kshape plot has no controls {sorted(unknown)}.")
        if "error_band" in state and state["error_band"] not in ERROR_BANDS:
            raise ParameterError(f"KShape: error_band must be one of {ERROR_BANDS}, got "
                                 f"{state['error_band']!r}.")
        if "x_zero" in state and state["x_zero"] not in ALIGNMENTS:
            raise ParameterError(f"KShape: x_zero must be one of {ALIGNMENTS}, got "
                                 f"{state['x_zero']!r}.")
        try:
            self._set_kshape_params({k: state[k] for k in _PARAM_KEYS if k in state})
            if "max_num_curves" in state:
                self.max_num_curves.setValue(int(state["max_num_curves"]))
            plot_cluster = int(state.get("plot_cluster", 0))
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"KShape: a saved control value is invalid ({exc}); the "
                                 "plot state is damaged.") from None
        if "show_centers" in state:
            self.show_centers.setChecked(bool(state["show_centers"]))
        if "error_band" in state:
            self.error_band.setCurrentIndex(self.error_band.findData(state["error_band"]))
        if "x_zero" in state:
            (self.x_zero_maxima if state["x_zero"] == "maxima"
             else self.x_zero_start).setChecked(True)
        if "proportions" in state:
            self.plot_proportions.set_plot_state(state["proportions"])
        self._pending_result_params = state.get("result_params")
        self._pending_plot_cluster = plot_cluster
        if self.plot_cluster.count():
            self.plot_cluster.setCurrentIndex(min(self._pending_plot_cluster,
                                                  self.plot_cluster.count() - 1))

    def plot_arrays(self) -> dict[str, np.ndarray]:
        return {} if self.result is None else self.result.to_arrays()

    def restore_plot_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        params, self._pending_result_params = self._pending_result_params, None
        if not arrays:
            self._set_result(None)
            return
        if params is None or self.transmission is None:
            raise FormatVersionError("The saved kshape plot has clustering arrays but no "
                                     "parameters or input data; the file is inconsistent.")
        result = KShapeResult.from_arrays(arrays, params, len(self.transmission.df))
        self._trained_on = self.transmission
        self._set_result(result)
        self.plot_cluster.setCurrentIndex(min(self._pending_plot_cluster, result.n_clusters - 1))

    def showEvent(self, event) -> None:  # noqa: N802 (Qt API)
        super().showEvent(event)
        # the controls' size hint is final only once shown; keep them clear of a scroll bar
        self.controls_dock.widget().setMinimumWidth(self.controls.minimumSizeHint().width() + 24)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if self.is_training():
            # tslearn cannot be interrupted; the thread must end before its QThread goes away
            self.status.ok("Waiting for the k-Shape training to finish before closing...")
            self.trainer.wait()
        self.plot_proportions.close()
        super().closeEvent(event)
