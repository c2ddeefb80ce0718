"""The Heatmap plot (guide chapter "Heatmap"): a heatmap of a column of arrays with the Datapoint
Tracer embedded, and the dendrogram of an FCluster clustering when the input has one.

Layout: left the heatmap (with "Sort rows by" under it), middle the controls, right the Datapoint
Tracer, bottom the status label. Click a row to trace it, right click to clear the highlight,
up/down keys to move the selection. Console: ``this`` (the window) and ``get_plot_area()`` (the
``HeatmapArea``: ``.plot`` the ClusterGrid-like ``HeatmapGrid``, ``.fig``, ``.data``, ``.draw()``).
"""
from __future__ import annotations

from typing import Any, Hashable

import matplotlib
import numpy as np
from qtpy import QtCore, QtWidgets

from mesmerize.analysis.history_trace import BLOCK_COLUMN
from mesmerize.core.errors import FormatVersionError, ParameterError
from mesmerize.gui.plots.base import PlotWindow
from mesmerize.gui.plots.datapoint_tracer import DatapointTracerWidget
from mesmerize.gui.plots.mpl_area import MatplotlibArea
from mesmerize.plotting.heatmap import HeatmapData, HeatmapGrid, draw_heatmap, fcluster_linkage, heatmap_data

NONE_CHOICE = "<none>"
DEFAULT_DATA_CMAP = "jet"
DEFAULT_LEGEND_CMAP = "tab10"
#: Text columns of the project DataFrame that are identifiers or files, not categories.
NOT_CATEGORICAL = {"ImgPath", "ImgInfoPath", "CurvePath", "ROI_State", "comments", "date",
                   BLOCK_COLUMN}
STATE_KEYS = ("data_column", "labels_column", "dpt_curve_column", "data_colormap",
              "legend_colormap", "sort_column")


def array_columns(df) -> list[str]:
    """Columns whose first cell is a 1-D numerical numpy array."""
    out = []
    for name in df.columns:
        if len(df) == 0:
            break
        cell = df[name].iloc[0]
        if isinstance(cell, np.ndarray) and cell.ndim == 1 and \
                np.issubdtype(cell.dtype, np.number):
            out.append(str(name))
    return out


def categorical_columns(df) -> list[str]:
    """Columns of labels (text, integers, booleans) usable for legends and sorting: not
    numerical ``_`` columns, uuids, file paths or ROI states."""
    out = []
    for name in df.columns:
        name_s = str(name)
        if name_s.startswith("_") or "uuid" in name_s.lower() or name_s in NOT_CATEGORICAL:
            continue
        if len(df) == 0:
            break
        cell = df[name].iloc[0]
        if isinstance(cell, (str, bool, int, np.integer, np.bool_)):
            out.append(name_s)
    return out


class HeatmapArea(MatplotlibArea):
    """The heatmap's plot area. ``plot``: the ``HeatmapGrid`` (seaborn ClusterGrid axes:
    ``ax_heatmap``, ``ax_row_dendrogram``, ``ax_col_dendrogram`` (legend), ``cax``) or None;
    ``data``: the ``(n_rows, n_samples)`` matrix shown (None before plotting);
    ``selected_row``: the highlighted display row (None when none).

    Signals: ``row_clicked(display_row)`` when a row is selected by a click or the up/down
    keys, ``selection_cleared()`` on right click.
    """

    row_clicked = QtCore.Signal(int)
    selection_cleared = QtCore.Signal()

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent, figsize=(7.0, 6.0))
        self.plot: HeatmapGrid | None = None
        self.canvas.setFocusPolicy(QtCore.Qt.StrongFocus)
        self.canvas.mpl_connect("button_press_event", self._on_click)
        self.canvas.mpl_connect("key_press_event", self._on_key)

    @property
    def data(self) -> np.ndarray | None:
        return None if self.plot is None else self.plot.matrix

    @property
    def selected_row(self) -> int | None:
        return None if self.plot is None else self.plot.highlighted_row

    def set_heatmap(self, data: HeatmapData, cmap: str, legend_cmap: str) -> None:
        """Draw ``data`` with colormaps ``cmap`` (heatmap) and ``legend_cmap`` (label bars)."""
        self.plot = None
        self.plot = draw_heatmap(self.fig, data, cmap=cmap, labels_cmap=legend_cmap)
        self.draw()

    def clear(self) -> None:
        self.plot = None
        super().clear()
        self.draw()

    def select_row(self, row: int | None) -> None:
        """Highlight display row ``row`` (None: clear) and redraw soon."""
        if self.plot is None:
            return
        self.plot.highlight_row(row)
        self.canvas.draw_idle()

    def _on_click(self, event) -> None:
        if self.plot is None or str(self.toolbar.mode):  # zoom/pan tools own the mouse
            return
        if event.inaxes not in (self.plot.ax_heatmap, self.plot.ax_row_colors,
                                self.plot.ax_row_dendrogram):
            return
        if event.button == 3:
            self.select_row(None)
            self.selection_cleared.emit()
        elif event.button == 1:
            row = self.plot.row_at(event.ydata)
            if row is not None:
                self.select_row(row)
                self.row_clicked.emit(row)

    def _on_key(self, event) -> None:
        if self.plot is None or event.key not in ("up", "down"):
            return
        n_rows = self.plot.matrix.shape[0]
        current = self.selected_row
        if current is None:
            row = 0
        else:
            row = max(0, current - 1) if event.key == "up" else min(n_rows - 1, current + 1)
        self.select_row(row)
        self.row_clicked.emit(row)


class HeatmapTracerWidget(PlotWindow):
    """The Heatmap plot window with an embedded Datapoint Tracer (``datapoint_tracer``).

    Controls: ``data_column_combo``, ``labels_column_combo``, ``dpt_curve_combo``,
    ``data_cmap_combo``, ``legend_cmap_combo``, ``sort_combo`` (under the plot; disabled when
    the rows follow a dendrogram). ``plot_area``: the ``HeatmapArea``; ``heatmap_data``: the
    ``HeatmapData`` drawn (display order -> DataFrame rows); ``selected_index``: the DataFrame
    index label of the selected row.
    """

    plot_kind = "heatmap"
    window_title = "Heatmap"
    saves_ptrn = True

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.heatmap_data: HeatmapData | None = None
        self.selected_index: Hashable | None = None
        self._note = ""
        self._build_controls()

        self.plot_area = HeatmapArea()
        self.plot_area.row_clicked.connect(self._row_selected)
        self.plot_area.selection_cleared.connect(self._selection_cleared)
        self.sort_combo = QtWidgets.QComboBox()
        self.sort_combo.addItem(NONE_CHOICE)
        self.sort_combo.currentIndexChanged.connect(self._sort_changed)
        sort_row = QtWidgets.QHBoxLayout()
        sort_row.addWidget(QtWidgets.QLabel("Sort rows by:"))
        sort_row.addWidget(self.sort_combo)
        sort_row.addStretch(1)
        main = QtWidgets.QWidget()
        main_layout = QtWidgets.QVBoxLayout(main)
        main_layout.setContentsMargins(0, 0, 0, 0)
        main_layout.addWidget(self.plot_area, 1)
        main_layout.addLayout(sort_row)
        self.set_main_widget(main)

        self.datapoint_tracer = DatapointTracerWidget()
        self.tracer_dock = QtWidgets.QDockWidget("Datapoint Tracer", self)
        self.tracer_dock.setObjectName("datapoint_tracer")
        self.tracer_dock.setFeatures(QtWidgets.QDockWidget.DockWidgetMovable
                                     | QtWidgets.QDockWidget.DockWidgetFloatable)
        self.tracer_dock.setWidget(self.datapoint_tracer)
        self.addDockWidget(QtCore.Qt.RightDockWidgetArea, self.controls_dock)
        self.addDockWidget(QtCore.Qt.RightDockWidgetArea, self.tracer_dock)
        self.splitDockWidget(self.controls_dock, self.tracer_dock, QtCore.Qt.Horizontal)
        self.resizeDocks([self.controls_dock, self.tracer_dock], [330, 520], QtCore.Qt.Horizontal)
        self.resize(1500, 800)

    def _build_controls(self) -> None:
        form = QtWidgets.QFormLayout()
        self.data_column_combo = QtWidgets.QComboBox()
        self.labels_column_combo = QtWidgets.QComboBox()
        self.dpt_curve_combo = QtWidgets.QComboBox()
        self.data_cmap_combo = QtWidgets.QComboBox()
        self.legend_cmap_combo = QtWidgets.QComboBox()
        names = sorted(matplotlib.colormaps, key=str.lower)
        for combo, default in ((self.data_cmap_combo, DEFAULT_DATA_CMAP),
                               (self.legend_cmap_combo, DEFAULT_LEGEND_CMAP)):
            combo.addItems(names)
            combo.setCurrentText(default)
        self.labels_column_combo.addItem(NONE_CHOICE)
        self.dpt_curve_combo.addItem(NONE_CHOICE)
        form.addRow("Data column", self.data_column_combo)
        form.addRow("Labels column", self.labels_column_combo)
        form.addRow("DPT curve column", self.dpt_curve_combo)
        form.addRow("Data colormap", self.data_cmap_combo)
        form.addRow("Legend colormap", self.legend_cmap_combo)
        self.controls_layout.addLayout(form)

    # --- input and drawing ---------------------------------------------------------------------
    @staticmethod
    def _refill(combo: QtWidgets.QComboBox, choices: list[str], default: str | None,
                with_none: bool) -> None:
        current = combo.currentText()
        items = ([NONE_CHOICE] if with_none else []) + choices
        combo.blockSignals(True)
        combo.clear()
        combo.addItems(items)
        if current in items and current != NONE_CHOICE:
            combo.setCurrentText(current)
        elif default in items:
            combo.setCurrentText(default)
        combo.blockSignals(False)

    def input_changed(self) -> None:
        if self.transmission is None:
            self._selection_cleared()
            self.heatmap_data = None
            self.plot_area.clear()
            self.datapoint_tracer.clear()
        df = self.transmission.df if self.transmission is not None else None
        arrays = array_columns(df) if df is not None else []
        categories = categorical_columns(df) if df is not None else []
        last = self.transmission.last_output if self.transmission is not None else None
        # the newest array column (operations append theirs) unless the last output is one
        self._refill(self.data_column_combo, arrays,
                     last if last in arrays else (arrays[-1] if arrays else None), False)
        self._refill(self.labels_column_combo, categories, NONE_CHOICE, True)
        self._refill(self.dpt_curve_combo, arrays,
                     "_RAW_CURVE" if "_RAW_CURVE" in arrays else self.data_column_combo.currentText(),
                     True)
        self._refill(self.sort_combo, categories, NONE_CHOICE, True)

    @staticmethod
    def _choice(combo: QtWidgets.QComboBox) -> str | None:
        text = combo.currentText()
        return None if text in ("", NONE_CHOICE) else text

    def draw_plot(self) -> None:
        self._note = ""
        self.selected_index = None  # the new plot starts without a highlighted row
        self.datapoint_tracer.clear()
        self.heatmap_data = None
        try:
            data = self._prepare_data()
        except Exception:
            self.plot_area.clear()  # never leave the previous input's plot on show
            raise
        self.plot_area.set_heatmap(data, self.data_cmap_combo.currentText(),
                                   self.legend_cmap_combo.currentText())
        self.heatmap_data = data

    def _prepare_data(self) -> HeatmapData:
        data_column = self._choice(self.data_column_combo)
        if data_column is None:
            raise ParameterError("Heatmap: the input has no column of numerical arrays to plot; "
                                 "choose a Data column.")
        try:
            linkage = fcluster_linkage(self.transmission)
        except ParameterError as exc:
            linkage = None
            self._note = f"{exc} Drawn without the dendrogram."
        self.sort_combo.setEnabled(linkage is None)
        sort_by = None if linkage is not None else self._choice(self.sort_combo)
        return heatmap_data(self.transmission.df, data_column,
                            self._choice(self.labels_column_combo), sort_by=sort_by,
                            linkage=linkage)

    def _sort_changed(self) -> None:
        """The row order is a view setting: re-sort what is plotted at once."""
        if self.heatmap_data is not None and self.heatmap_data.linkage is None:
            self.update_plot()

    def update_plot(self) -> bool:
        drawn = super().update_plot()
        if drawn and self._note:
            self.status.problem(self._note)
        return drawn

    def status_text(self) -> str:
        data = self.heatmap_data
        if data is None:
            return ""
        rows, samples = data.matrix.shape
        text = f"{rows} rows x {samples} samples plotted"
        if data.linkage is not None:
            text += "; rows in FCluster dendrogram order (sorting disabled)"
        return text + "."

    # --- selection -----------------------------------------------------------------------------
    def select_row(self, display_row: int) -> None:
        """Highlight display row ``display_row`` and show its DataFrame row in the tracer."""
        if self.heatmap_data is None:
            raise ParameterError("Heatmap: nothing is plotted yet; click Update Plot first.")
        self.plot_area.select_row(display_row)
        self._row_selected(display_row)

    def _row_selected(self, display_row: int) -> None:
        position = int(self.heatmap_data.order[display_row])
        self.selected_index = self.transmission.df.index[position]
        self.datapoint_tracer.set_datapoint(self.transmission, self.selected_index,
                                            self._choice(self.dpt_curve_combo))

    def _selection_cleared(self) -> None:
        self.selected_index = None
        self.plot_area.select_row(None)

    # --- state, console ------------------------------------------------------------------------
    def get_plot_state(self) -> dict[str, Any]:
        return {"data_column": self._choice(self.data_column_combo),
                "labels_column": self._choice(self.labels_column_combo),
                "dpt_curve_column": self._choice(self.dpt_curve_combo),
                "data_colormap": self.data_cmap_combo.currentText(),
                "legend_colormap": self.legend_cmap_combo.currentText(),
                "sort_column": self._choice(self.sort_combo)}

    def set_plot_state(self, state: dict[str, Any]) -> None:
        unknown = sorted(set(state) - set(STATE_KEYS))
        if unknown:
            raise FormatVersionError(f"The heatmap plot has no controls {unknown}; the file was "
                                     "written by a newer Mesmerize.")
        combos = {"data_column": self.data_column_combo,
                  "labels_column": self.labels_column_combo,
                  "dpt_curve_column": self.dpt_curve_combo,
                  "data_colormap": self.data_cmap_combo,
                  "legend_colormap": self.legend_cmap_combo, "sort_column": self.sort_combo}
        for key, value in state.items():
            combo = combos[key]
            text = NONE_CHOICE if value is None else str(value)
            if combo.findText(text) < 0:
                raise ParameterError(f"Heatmap: {key} {value!r} is not available; choose one of "
                                     f"{[combo.itemText(i) for i in range(combo.count())]}.")
            combo.blockSignals(True)
            combo.setCurrentText(text)
            combo.blockSignals(False)

    def console_namespace(self) -> dict[str, Any]:
        def get_plot_area() -> HeatmapArea:
            """The plot area: .plot (axes), .fig, .data, .draw()."""
            return self.plot_area

        return {**super().console_namespace(), "get_plot_area": get_plot_area}
