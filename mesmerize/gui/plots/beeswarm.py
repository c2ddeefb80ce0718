"""Beeswarm plots (guide: "Beeswarm", Display node "BeeswarmPlots"): each selected data column
of single numbers as a pseudo-scatter with violins, grouped by a categorical column. Clicking a
point sets the Datapoint Tracer (View -> Live datapoint tracer) to that point's row."""
from __future__ import annotations

from typing import Any, Hashable

import numpy as np
import pyqtgraph as pg
from qtpy import QtCore, QtWidgets

from mesmerize.analysis.history_trace import BLOCK_COLUMN
from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import FormatVersionError, MesmerizeError, ParameterError
from mesmerize.gui.flowchart.param_controls import columns_for_kind
from mesmerize.gui.plots.base import PlotWindow
from mesmerize.gui.plots.datapoint_tracer import DatapointTracerWidget, DatapointTracerWindow
from mesmerize.gui.plots.column_combo import ColumnCombo
from mesmerize.plotting.beeswarm import SwarmLayout, swarm_layout
from mesmerize.plotting.utils import get_colormap

UUID_PREFERRED = ("_pf_uuid", "uuid_curve")
INDEX_TEXT = "(DataFrame index)"
PLOTS_PER_ROW = 3
_STATE_KEYS = {"data_columns", "group_column", "dpt_curve_column", "uuid_column", "spot_size",
               "violins", "cmap"}
CMAPS = ("tab10", "Set1", "Dark2", "tab20", "viridis", "plasma")
_NORMAL_PEN = pg.mkPen(40, 40, 40, 160, width=0.5)
_SELECTED_PEN = pg.mkPen("r", width=2.5)


class BeeswarmPlotWindow(PlotWindow):
    """Controls (guide table): Data columns (multi-select), Group based on, Datapoint tracer
    curve, UUID column, Apply all; plus Spot size, Violins and Colormap.

    ``plots``: ``{data column: pyqtgraph PlotItem}``; ``layouts``: ``{data column:
    SwarmLayout}``; ``selected_index``: the DataFrame index label of the clicked point;
    ``tracer_window``: the Live datapoint tracer once opened. Console: ``get_plot_area()`` is the
    pyqtgraph ``GraphicsLayoutWidget`` holding the plots.
    """

    plot_kind = "beeswarm"
    window_title = "Beeswarm Plots"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.data_columns = QtWidgets.QListWidget()
        self.data_columns.setSelectionMode(QtWidgets.QAbstractItemView.ExtendedSelection)
        self.data_columns.setMinimumHeight(120)
        self.group_column = ColumnCombo("categorical", none_text="(none)")
        self.dpt_curve_column = ColumnCombo("numerical", none_text="(none)",
                                            preferred=("_RAW_CURVE",))
        self.uuid_column = ColumnCombo("any", none_text=INDEX_TEXT, preferred=UUID_PREFERRED)
        self.spot_size = QtWidgets.QSpinBox()
        self.spot_size.setRange(1, 50)
        self.spot_size.setValue(7)
        self.violins = QtWidgets.QCheckBox("Show violins")
        self.violins.setChecked(True)
        self.cmap = QtWidgets.QComboBox()
        self.cmap.addItems(CMAPS)
        self.apply_button = QtWidgets.QPushButton("Apply all")
        self.apply_button.clicked.connect(self.update_plot)
        self.controls_layout.addWidget(QtWidgets.QLabel("Data columns (single numbers)"))
        self.controls_layout.addWidget(self.data_columns)
        form = QtWidgets.QFormLayout()
        form.setRowWrapPolicy(QtWidgets.QFormLayout.WrapLongRows)
        form.addRow("Group based on", self.group_column)
        form.addRow("Datapoint tracer curve", self.dpt_curve_column)
        form.addRow("UUID column", self.uuid_column)
        form.addRow("Spot size", self.spot_size)
        form.addRow("Colormap", self.cmap)
        form.addRow(self.violins)
        self.controls_layout.addLayout(form)
        self.controls_layout.addWidget(self.apply_button)

        self.plot_area = pg.GraphicsLayoutWidget()
        self.plot_area.setBackground("w")
        self.set_main_widget(self.plot_area)
        self.plots: dict[str, pg.PlotItem] = {}
        self.layouts: dict[str, SwarmLayout] = {}
        self.scatters: dict[str, pg.ScatterPlotItem] = {}
        self._row_of: dict[Hashable, Hashable] = {}
        self.selected_index: Hashable | None = None
        self.tracer_window: DatapointTracerWindow | None = None

        view_menu = self.menuBar().addMenu("View")
        self.tracer_action = view_menu.addAction("Live datapoint tracer")
        self.tracer_action.triggered.connect(self.show_datapoint_tracer)

    # --- input and controls --------------------------------------------------------------------
    def input_changed(self) -> None:
        t = self.transmission
        columns = [] if t is None else list(t.df.columns)
        chosen = set(self.selected_data_columns())
        self.data_columns.clear()
        for name in columns_for_kind(columns, "numerical"):
            item = QtWidgets.QListWidgetItem(name)
            self.data_columns.addItem(item)
            item.setSelected(name in chosen)
        if not self.selected_data_columns() and t is not None:
            first = next((n for n in columns_for_kind(columns, "numerical")
                          if _holds_numbers(t.df[n])), None)
            if first is not None:
                self.data_columns.findItems(first, QtCore.Qt.MatchExactly)[0].setSelected(True)
        self.dpt_curve_column.preferred = (*_peak_features_curve(t), "_RAW_CURVE")
        for combo in (self.group_column, self.dpt_curve_column, self.uuid_column):
            combo.set_columns(columns)

    def selected_data_columns(self) -> list[str]:
        """The selected data columns, in list order."""
        return [self.data_columns.item(i).text() for i in range(self.data_columns.count())
                if self.data_columns.item(i).isSelected()]

    def set_data_columns(self, names: list[str]) -> None:
        """Select exactly ``names`` (names the input lacks are added, drawing then names them)."""
        present = {self.data_columns.item(i).text() for i in range(self.data_columns.count())}
        for name in names:
            if name not in present:
                self.data_columns.addItem(name)
        for i in range(self.data_columns.count()):
            item = self.data_columns.item(i)
            item.setSelected(item.text() in names)

    # --- drawing -------------------------------------------------------------------------------
    def _point_keys(self, index: np.ndarray) -> list[Hashable]:
        """What each point carries: its row's UUID, or its index label without a UUID column."""
        column = self.uuid_column.value()
        if column is None:
            return list(index)
        df = self.transmission.df
        if column not in df.columns:
            raise ParameterError(f"UUID column: {column!r} is not a column of the input.")
        uuids = df[column]
        if uuids.duplicated().any():
            raise ParameterError(
                f"UUID column: {column!r} has duplicate values, so a clicked point would not "
                "name one row; choose a column with one UUID per row (e.g. _pf_uuid for peak "
                f"features) or {INDEX_TEXT}.")
        return [str(v) for v in uuids.loc[list(index)]]

    def draw_plot(self) -> None:
        columns = self.selected_data_columns()
        if not columns:
            raise ParameterError("Beeswarm: select at least one data column (single numbers "
                                 "per row, e.g. the _pf_* columns of PeakFeatures).")
        group = self.group_column.value()
        layouts = {c: swarm_layout(self.transmission.df, c, group) for c in columns}
        keys = {c: self._point_keys(layout.index) for c, layout in layouts.items()}
        self.plot_area.clear()
        self.plots, self.scatters, self._row_of = {}, {}, {}
        self.layouts = layouts
        order = sorted({g for layout in layouts.values() for g in layout.order})
        colours = get_colormap(order, self.cmap.currentText(), output="pyqt")
        for i, (column, layout) in enumerate(layouts.items()):
            plot = self.plot_area.addPlot(row=i // PLOTS_PER_ROW, col=i % PLOTS_PER_ROW)
            plot.setTitle(column, color="k")
            self._draw_one(plot, column, layout, keys[column], colours)
            self.plots[column] = plot
            self._row_of.update(zip(keys[column], layout.index))
        self._highlight()

    def _draw_one(self, plot: pg.PlotItem, column: str, layout: SwarmLayout,
                  keys: list[Hashable], colours: dict) -> None:
        if self.violins.isChecked():
            for violin in layout.violins:
                colour = colours[violin.group]
                right = pg.PlotCurveItem(violin.position + violin.half_width, violin.y,
                                         pen=pg.mkPen(colour, width=1))
                left = pg.PlotCurveItem(violin.position - violin.half_width, violin.y,
                                        pen=pg.mkPen(colour, width=1))
                plot.addItem(right)
                plot.addItem(left)
                plot.addItem(pg.FillBetweenItem(right, left, brush=pg.mkBrush(*colour[:3], 50)))
        by_group = {g: pg.mkBrush(*colours[g]) for g in layout.order}
        brushes = [by_group[g] for g in layout.group]
        scatter = pg.ScatterPlotItem(x=layout.x, y=layout.y, data=keys, brush=brushes,
                                     pen=_NORMAL_PEN,
                                     size=self.spot_size.value(), hoverable=True,
                                     tip=lambda x, y, data: f"{data}\n{column} = {y:.4g}")
        scatter.sigClicked.connect(self._points_clicked)
        plot.addItem(scatter)
        self.scatters[column] = scatter
        axis = plot.getAxis("bottom")
        axis.setTicks([[(i, f"{g}\n(n={layout.counts[g]})") for i, g in enumerate(layout.order)]])
        for name in ("left", "bottom"):
            plot.getAxis(name).setTextPen("k")
        plot.setLabel("bottom", layout.group_column or "")
        plot.setLabel("left", column)
        plot.setXRange(-0.6, len(layout.order) - 0.4, padding=0)
        plot.showGrid(y=True, alpha=0.2)

    def status_text(self) -> str:
        n = sum(len(layout.y) for layout in self.layouts.values())
        return (f"{n} points in {len(self.layouts)} plot(s); click a point to trace it "
                "(View -> Live datapoint tracer).")

    # --- datapoint tracer ----------------------------------------------------------------------
    def _points_clicked(self, _scatter: pg.ScatterPlotItem, points, _event=None) -> None:
        if len(points):
            self.select_point(points[0].data())

    def select_point(self, key: Hashable) -> None:
        """Select the point whose UUID (or index label, without a UUID column) is ``key``:
        highlight it in every plot and show its row in the Datapoint Tracer when open."""
        if key not in self._row_of:
            raise ParameterError(f"Beeswarm: no plotted point has the key {key!r}.")
        self.selected_index = self._row_of[key]
        self._highlight()
        self._trace()

    def _highlight(self) -> None:
        for scatter in self.scatters.values():
            pens = [_SELECTED_PEN if self.selected_index is not None
                    and self._row_of[k] == self.selected_index else _NORMAL_PEN
                    for k in scatter.data["data"]]
            scatter.setPen(pens)

    def _trace(self) -> None:
        if self.tracer_window is None or self.selected_index is None:
            return
        try:
            self.tracer_window.set_datapoint(self.transmission, self.selected_index,
                                             self.dpt_curve_column.value())
        except MesmerizeError as exc:
            self.status.problem(f"Datapoint Tracer: {exc}")

    @property
    def datapoint_tracer(self) -> DatapointTracerWidget | None:
        """The Datapoint Tracer of the Live datapoint tracer window (None until opened)."""
        return None if self.tracer_window is None else self.tracer_window.tracer

    def show_datapoint_tracer(self) -> DatapointTracerWindow:
        """View -> Live datapoint tracer: open (or raise) the tracer window, showing the
        selected point if there is one."""
        if self.tracer_window is None:
            self.tracer_window = DatapointTracerWindow()
        self.tracer_window.show()
        self.tracer_window.raise_()
        self._trace()
        return self.tracer_window

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if self.tracer_window is not None:
            self.tracer_window.close()
        super().closeEvent(event)

    # --- state ---------------------------------------------------------------------------------
    def get_plot_state(self) -> dict[str, Any]:
        return {"data_columns": self.selected_data_columns(),
                "group_column": self.group_column.value(),
                "dpt_curve_column": self.dpt_curve_column.value(),
                "uuid_column": self.uuid_column.value(), "spot_size": self.spot_size.value(),
                "violins": self.violins.isChecked(), "cmap": self.cmap.currentText()}

    def set_plot_state(self, state: dict[str, Any]) -> None:
        unknown = set(state) - _STATE_KEYS
        if unknown:
            raise FormatVersionError(f"The beeswarm plot has no controls {sorted(unknown)}.")
        if "cmap" in state and state["cmap"] not in CMAPS:
            raise ParameterError(f"Beeswarm: cmap must be one of {CMAPS}, got {state['cmap']!r}.")
        if "data_columns" in state:
            self.set_data_columns(list(state["data_columns"]))
        for key in ("group_column", "dpt_curve_column", "uuid_column"):
            if key in state:
                getattr(self, key).set_value(state[key])
        if "spot_size" in state:
            self.spot_size.setValue(int(state["spot_size"]))
        if "violins" in state:
            self.violins.setChecked(bool(state["violins"]))
        if "cmap" in state:
            self.cmap.setCurrentText(state["cmap"])

    def console_namespace(self) -> dict[str, Any]:
        return {**super().console_namespace(), "get_plot_area": lambda: self.plot_area}


def _peak_features_curve(t: Transmission | None) -> tuple[str, ...]:
    """The whole-curve column PeakFeatures measured (the natural Datapoint Tracer curve, on
    which the peak's base indices lie), from the history of the first data block; or ()."""
    if t is None or BLOCK_COLUMN not in t.df.columns or not len(t.df):
        return ()
    block = str(t.df[BLOCK_COLUMN].iloc[0])
    trace = t.history_trace
    if block not in trace.data_blocks or not trace.check_operation_exists(block, "peak_features"):
        return ()
    return (str(trace.get_operation_params(block, "peak_features")["data_column"]),)


def _holds_numbers(values) -> bool:
    """Whether a column's first cell is a single number (the default data column choice)."""
    first = values.iloc[0] if len(values) else None
    return isinstance(first, (int, float, np.number)) and not isinstance(first, (bool, np.bool_))
