"""Scatter plot (guide: "Scatter", Display node "ScatterPlot"): ``[x, y]`` data (or X and Y
columns) as an interactive pyqtgraph scatter, colours and shapes by categorical columns, the
Datapoint Tracer on the right (click a point), saved as ``.ptrn``; "Export data" writes the
plotted points as CSV and "Export to matplotlib" opens the same plot as a matplotlib figure."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Hashable

import pyqtgraph as pg
from qtpy import QtCore, QtWidgets

from mesmerize.core.atomic import write_text_atomic
from mesmerize.core.errors import FormatVersionError, MesmerizeError, ParameterError
from mesmerize.gui.plots.base import PlotWindow
from mesmerize.gui.plots.datapoint_tracer import DatapointTracerWidget
from mesmerize.gui.plots.mpl_area import MatplotlibArea
from mesmerize.gui.plots.column_combo import ColumnCombo
from mesmerize.plotting.scatter import ScatterData, draw_scatter, scatter_data, scatter_table

CMAPS = ("tab10", "Set1", "Dark2", "tab20", "viridis", "plasma", "jet")
XY_TEXT = "(use X and Y)"
INDEX_TEXT = "(DataFrame index)"
_NORMAL_PEN = pg.mkPen(30, 30, 30, 200, width=0.6)
_SELECTED_PEN = pg.mkPen("r", width=2.5)
_COLUMN_KEYS = ("data_column", "x_column", "y_column", "colors_column", "shapes_column",
                "uuid_column", "dpt_curve_column")
_STATE_KEYS = set(_COLUMN_KEYS) | {"log_x", "log_y", "cmap", "spot_size", "alpha"}


class ScatterPlotWidget(PlotWindow):
    """Controls as in the guide's table. ``data``: the ``ScatterData`` drawn; ``scatter``: the
    pyqtgraph ``ScatterPlotItem``; ``datapoint_tracer``: the embedded tracer;
    ``selected_index``: DataFrame index label of the clicked point. Console:
    ``get_plot_area()`` is the pyqtgraph ``PlotWidget``, ``this.data`` the plotted points."""

    plot_kind = "scatter"
    window_title = "Scatter Plot"
    saves_ptrn = True

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.data_column = ColumnCombo("numerical", none_text=XY_TEXT,
                                       preferred=("_LDA_TRANSFORM",))
        self.x_column = ColumnCombo("numerical", none_text="(none)")
        self.y_column = ColumnCombo("numerical", none_text="(none)")
        self.log_x = QtWidgets.QCheckBox("log x")
        self.log_y = QtWidgets.QCheckBox("log y")
        self.colors_column = ColumnCombo("categorical", none_text="(none)")
        self.cmap = QtWidgets.QComboBox()
        self.cmap.addItems(CMAPS)
        self.shapes_column = ColumnCombo("categorical", none_text="(none)")
        self.uuid_column = ColumnCombo("any", none_text=INDEX_TEXT,
                                       preferred=("_pf_uuid", "uuid_curve"))
        self.dpt_curve_column = ColumnCombo("numerical", none_text="(none)",
                                            preferred=("_RAW_CURVE",))
        self.spot_size = QtWidgets.QSpinBox()
        self.spot_size.setRange(1, 50)
        self.spot_size.setValue(10)
        self.alpha = QtWidgets.QDoubleSpinBox()
        self.alpha.setRange(0.0, 1.0)
        self.alpha.setSingleStep(0.1)
        self.alpha.setValue(1.0)
        form = QtWidgets.QFormLayout()
        form.setRowWrapPolicy(QtWidgets.QFormLayout.WrapLongRows)
        form.addRow("Data Column", self.data_column)
        form.addRow("X", self.x_column)
        form.addRow("Y", self.y_column)
        logs = QtWidgets.QHBoxLayout()
        logs.addWidget(self.log_x)
        logs.addWidget(self.log_y)
        form.addRow(logs)
        form.addRow("Colors based on", self.colors_column)
        form.addRow("Choose colormap", self.cmap)
        form.addRow("Shapes based on", self.shapes_column)
        form.addRow("UUID Column", self.uuid_column)
        form.addRow("DPT Curve column", self.dpt_curve_column)
        form.addRow("Spot size", self.spot_size)
        form.addRow("Alpha", self.alpha)
        self.controls_layout.addLayout(form)
        self.export_mpl_button = QtWidgets.QPushButton("Export to matplotlib")
        self.export_mpl_button.clicked.connect(self.export_to_matplotlib)
        self.export_data_button = QtWidgets.QPushButton("Export data")
        self.export_data_button.clicked.connect(self._export_data_clicked)
        self.buttons_layout.addWidget(self.export_mpl_button)
        self.buttons_layout.addWidget(self.export_data_button)

        self.plot_area = pg.PlotWidget(background="w")
        self.legend = self.plot_area.getPlotItem().addLegend(offset=(-10, 10))
        self.scatter = pg.ScatterPlotItem(hoverable=True, tip=self._tip)
        self.scatter.sigClicked.connect(self._points_clicked)
        self.plot_area.addItem(self.scatter)
        self.datapoint_tracer = DatapointTracerWidget()
        splitter = QtWidgets.QSplitter(QtCore.Qt.Horizontal)
        splitter.addWidget(self.plot_area)
        splitter.addWidget(self.datapoint_tracer)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.set_main_widget(splitter)
        self.resize(1400, 860)
        self.data: ScatterData | None = None
        self.selected_index: Hashable | None = None
        self._keys: list[Hashable] = []
        self._row_of: dict[Hashable, Hashable] = {}
        self.mpl_window: QtWidgets.QMainWindow | None = None

    # --- input ---------------------------------------------------------------------------------
    def input_changed(self) -> None:
        columns = [] if self.transmission is None else list(self.transmission.df.columns)
        for name in _COLUMN_KEYS:
            getattr(self, name).set_columns(columns)

    def _source(self) -> dict[str, str | None]:
        if self.data_column.value() is not None:
            return {"data_column": self.data_column.value()}
        return {"x_column": self.x_column.value(), "y_column": self.y_column.value()}

    def _point_keys(self) -> list[Hashable]:
        """What each point carries: its row's UUID, or its index label without a UUID column."""
        column = self.uuid_column.value()
        df = self.transmission.df
        if column is None:
            return list(df.index)
        if column not in df.columns:
            raise ParameterError(f"UUID Column: {column!r} is not a column of the input.")
        if df[column].duplicated().any():
            raise ParameterError(
                f"UUID Column: {column!r} has duplicate values, so a clicked point would not "
                f"name one row; choose a column with one UUID per row or {INDEX_TEXT}.")
        return [str(v) for v in df[column]]

    # --- drawing -------------------------------------------------------------------------------
    def draw_plot(self) -> None:
        df = self.transmission.df
        data = scatter_data(df, **self._source(), log_x=self.log_x.isChecked(),
                            log_y=self.log_y.isChecked(),
                            colors_column=self.colors_column.value(),
                            cmap=self.cmap.currentText(),
                            shapes_column=self.shapes_column.value(), alpha=self.alpha.value())
        keys = self._point_keys()
        self.data, self._keys = data, keys
        self._row_of = dict(zip(keys, data.index))
        if self.selected_index not in set(data.index):
            self.selected_index = None
        unique = {rgba: pg.mkBrush(*(int(round(c * 255)) for c in rgba))
                  for rgba in dict.fromkeys(data.colors)}
        brushes = [unique[rgba] for rgba in data.colors]
        self.scatter.setData(x=data.xy[:, 0], y=data.xy[:, 1], data=keys, brush=brushes,
                             symbol=data.symbols, size=self.spot_size.value(), pen=_NORMAL_PEN)
        self._highlight()
        self.legend.clear()
        for label, rgba in data.color_legend.items():
            swatch = pg.ScatterPlotItem(symbol="o", size=10, pen=_NORMAL_PEN,
                                        brush=pg.mkBrush(*(int(round(c * 255)) for c in rgba)))
            self.legend.addItem(swatch, f"{data.colors_column}: {label}")
        for label, symbol in data.symbol_legend.items():
            marker = pg.ScatterPlotItem(symbol=symbol, size=10, pen=_NORMAL_PEN,
                                        brush=pg.mkBrush(150, 150, 150))
            self.legend.addItem(marker, f"{data.shapes_column}: {label}")
        plot = self.plot_area.getPlotItem()
        for name in ("left", "bottom"):
            plot.getAxis(name).setTextPen("k")
        plot.setLabel("bottom", data.xlabel)
        plot.setLabel("left", data.ylabel)
        plot.autoRange()

    def status_text(self) -> str:
        return f"{len(self._keys)} points plotted; click a point to trace it."

    def _tip(self, x: float, y: float, data: Any) -> str:
        return f"{data}\nx = {x:.4g}, y = {y:.4g}"

    # --- datapoint tracer ----------------------------------------------------------------------
    def _points_clicked(self, _scatter: pg.ScatterPlotItem, points, _event=None) -> None:
        if len(points):
            self.select_point(points[0].data())

    def select_point(self, key: Hashable) -> None:
        """Select the point whose UUID (or index label, without a UUID column) is ``key``:
        highlight it and show its row in the Datapoint Tracer."""
        if key not in self._row_of:
            raise ParameterError(f"Scatter: no plotted point has the key {key!r}.")
        self.selected_index = self._row_of[key]
        self._highlight()
        try:
            self.datapoint_tracer.set_datapoint(self.transmission, self.selected_index,
                                                self.dpt_curve_column.value())
        except MesmerizeError as exc:
            self.status.problem(f"Datapoint Tracer: {exc}")

    def _highlight(self) -> None:
        if not self._keys:
            return
        pens = [_SELECTED_PEN if self._row_of[k] == self.selected_index else _NORMAL_PEN
                for k in self._keys]
        self.scatter.setPen(pens)

    # --- export --------------------------------------------------------------------------------
    def _require_data(self) -> ScatterData:
        if self.data is None:
            raise ParameterError("Scatter: nothing is plotted yet; click Update Plot first.")
        return self.data

    def export_data(self, path: str | Path) -> Path:
        """Write the plotted points as CSV: ``index``, ``x``, ``y`` (after log) and the colour,
        shape and UUID columns."""
        table = scatter_table(self.transmission.df, self._require_data(),
                              self.colors_column.value(), self.shapes_column.value(),
                              self.uuid_column.value())
        path = Path(path)
        write_text_atomic(path, table.to_csv(index=False))
        return path

    def _export_data_clicked(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(self, "Export data", self._plots_dir(),
                                                        "CSV (*.csv)")
        if not path:
            return
        try:
            self.export_data(path if path.endswith(".csv") else path + ".csv")
        except (MesmerizeError, OSError) as exc:
            self.status.problem(f"Export data: {exc}")
            return
        self.status.ok(f"Exported {path}")

    def export_to_matplotlib(self) -> MatplotlibArea | None:
        """Open the plotted points as a matplotlib figure (with its navbar, to save it as SVG,
        PDF or PNG); returns its ``MatplotlibArea``. Problems go to the status label."""
        try:
            data = self._require_data()
        except ParameterError as exc:
            self.status.problem(str(exc))
            return None
        area = MatplotlibArea(figsize=(6.0, 5.0))
        area.ax = area.fig.add_subplot(1, 1, 1)
        draw_scatter(area.ax, data, self.spot_size.value())
        area.fig.tight_layout()
        if self.mpl_window is not None:
            self.mpl_window.close()
        self.mpl_window = QtWidgets.QMainWindow(self)
        self.mpl_window.setWindowTitle("Scatter plot (matplotlib)")
        self.mpl_window.setCentralWidget(area)
        self.mpl_window.resize(700, 600)
        self.mpl_window.show()
        area.draw()
        return area

    # --- state ---------------------------------------------------------------------------------
    def get_plot_state(self) -> dict[str, Any]:
        state: dict[str, Any] = {name: getattr(self, name).value() for name in _COLUMN_KEYS}
        state.update(log_x=self.log_x.isChecked(), log_y=self.log_y.isChecked(),
                     cmap=self.cmap.currentText(), spot_size=self.spot_size.value(),
                     alpha=self.alpha.value())
        return state

    def set_plot_state(self, state: dict[str, Any]) -> None:
        unknown = set(state) - _STATE_KEYS
        if unknown:
            raise FormatVersionError(f"The scatter plot has no controls {sorted(unknown)}.")
        if "cmap" in state and state["cmap"] not in CMAPS:
            raise ParameterError(f"Scatter: cmap must be one of {CMAPS}, got {state['cmap']!r}.")
        if "alpha" in state and not 0.0 <= float(state["alpha"]) <= 1.0:
            raise ParameterError(f"Scatter: alpha must be within 0 and 1, got "
                                 f"{state['alpha']!r}.")
        for name in _COLUMN_KEYS:
            if name in state:
                getattr(self, name).set_value(state[name])
        if "log_x" in state:
            self.log_x.setChecked(bool(state["log_x"]))
        if "log_y" in state:
            self.log_y.setChecked(bool(state["log_y"]))
        if "cmap" in state:
            self.cmap.setCurrentText(state["cmap"])
        if "spot_size" in state:
            self.spot_size.setValue(int(state["spot_size"]))
        if "alpha" in state:
            self.alpha.setValue(float(state["alpha"]))

    def console_namespace(self) -> dict[str, Any]:
        return {**super().console_namespace(), "get_plot_area": lambda: self.plot_area}

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if self.mpl_window is not None:
            self.mpl_window.close()
        super().closeEvent(event)
