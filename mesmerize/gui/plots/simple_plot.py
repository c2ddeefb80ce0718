"""Simple Plot (guide: "Simple Plot", Display node "Plot"): every array of the chosen data
column drawn as a line in a matplotlib area with its navbar.
"""
from __future__ import annotations

from typing import Any

from qtpy import QtWidgets

from mesmerize.core.errors import FormatVersionError, ParameterError
from mesmerize.gui.plots.base import PlotWindow
from mesmerize.gui.plots.column_combo import ColumnCombo
from mesmerize.gui.plots.mpl_area import MatplotlibArea
from mesmerize.plotting.timeseries import draw_curves


class SimplePlotWidget(PlotWindow):
    """Lines of every array in ``data_column``; ``get_plot_area()`` in the console is the
    ``MatplotlibArea`` (``.fig``, ``.ax``, ``.draw()``)."""

    plot_kind = "simple_plot"
    window_title = "Plot"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.data_column = ColumnCombo("numerical", preferred=("_RAW_CURVE",))
        form = QtWidgets.QFormLayout()
        form.addRow("data_column", self.data_column)
        self.controls_layout.addLayout(form)
        self.plot_area = MatplotlibArea()
        self.plot_area.ax = self.plot_area.fig.add_subplot(1, 1, 1)
        self.set_main_widget(self.plot_area)
        self.n_lines = 0

    def input_changed(self) -> None:
        t = self.transmission
        self.data_column.preferred = (t.last_output, "_RAW_CURVE") if t is not None else ()
        self.data_column.set_columns([] if t is None else list(t.df.columns))

    def draw_plot(self) -> None:
        column = self.data_column.value()
        if column is None:
            raise ParameterError("Plot: the input has no numerical (_) column to plot.")
        area = self.plot_area
        area.fig.clear()
        area.ax = area.fig.add_subplot(1, 1, 1)
        try:
            self.n_lines = draw_curves(area.ax, self.transmission.df, column)
        finally:
            area.fig.tight_layout()
            area.draw()

    def status_text(self) -> str:
        return f"{self.n_lines} arrays of {self.data_column.value()} plotted."

    def get_plot_state(self) -> dict[str, Any]:
        return {"data_column": self.data_column.value()}

    def set_plot_state(self, state: dict[str, Any]) -> None:
        unknown = set(state) - {"data_column"}
        if unknown:
            raise FormatVersionError(f"The simple plot has no controls {sorted(unknown)}.")
        if "data_column" in state:
            self.data_column.set_value(state["data_column"])

    def console_namespace(self) -> dict[str, Any]:
        return {**super().console_namespace(), "get_plot_area": lambda: self.plot_area}
