"""Proportions plot (guide: "Proportions", Display node "Proportions"): how the categories of
a Y column are distributed within each group of an X column, as stacked bars or a heatmap, in
percent (each X group sums to 100%) or counts. The data come from
``mesmerize.plotting.proportions``."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from qtpy import QtWidgets

from mesmerize.core.errors import FormatVersionError, MesmerizeError, ParameterError
from mesmerize.gui.plots.base import PlotWindow
from mesmerize.gui.plots.mpl_area import MatplotlibArea
from mesmerize.gui.plots.column_combo import ColumnCombo
from mesmerize.plotting.proportions import (
    KINDS, categorical_columns, draw_proportions, export_proportions_csv, proportions_table,
)

_STATE_KEYS = {"x_column", "y_column", "percentages", "kind"}


class ProportionsArea(MatplotlibArea):
    """The plot area: ``.fig``, ``.ax`` (the bars or heatmap), ``.draw()``."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent, figsize=(5.0, 4.0))
        self.ax = self.fig.add_subplot(1, 1, 1)

    def new_axes(self) -> None:
        """Clear the figure and make a fresh ``ax``."""
        self.fig.clear()
        self.ax = self.fig.add_subplot(1, 1, 1)


class ProportionsWidget(PlotWindow):
    """Controls: X column, Y column, Show percentages, bar plot / heatmap, Swap X-Y, Export
    CSV (plus Update Plot, Save, Load, Show/Hide Console from the base).

    ``ax``, ``fig`` and ``draw()`` are those of the plot area, so console scripts can write
    ``get_plot_proportions().ax``; ``table`` is the DataFrame last plotted (None before).
    """

    plot_kind = "proportions"
    window_title = "Proportions"
    saves_ptrn = True

    def __init__(self, parent: QtWidgets.QWidget | None = None,
                 preferred_y: tuple[str, ...] = ()) -> None:
        super().__init__(parent)
        self.table: pd.DataFrame | None = None
        self._rows_used = 0
        self.x_column = ColumnCombo("categorical")
        self.y_column = ColumnCombo("categorical", preferred=preferred_y)
        self.percentages = QtWidgets.QCheckBox("Show percentages")
        self.percentages.setChecked(True)
        self.bar_button = QtWidgets.QRadioButton("bar plot")
        self.heatmap_button = QtWidgets.QRadioButton("heatmap")
        self.bar_button.setChecked(True)
        form = QtWidgets.QFormLayout()
        form.addRow("X column", self.x_column)
        form.addRow("Y column", self.y_column)
        self.controls_layout.addLayout(form)
        self.controls_layout.addWidget(self.percentages)
        kinds = QtWidgets.QHBoxLayout()
        kinds.addWidget(self.bar_button)
        kinds.addWidget(self.heatmap_button)
        self.controls_layout.addLayout(kinds)
        self.swap_button = QtWidgets.QPushButton("Swap X-Y")
        self.swap_button.clicked.connect(self.swap_xy)
        self.buttons_layout.insertWidget(1, self.swap_button)
        self.export_button = QtWidgets.QPushButton("Export CSV")
        self.export_button.clicked.connect(self._export_clicked)
        self.buttons_layout.insertWidget(self.buttons_layout.count() - 1, self.export_button)
        self.plot_area = ProportionsArea()
        self.set_main_widget(self.plot_area)
        self.resize(900, 600)

    # --- the guide's console attributes --------------------------------------------------------
    @property
    def ax(self) -> Any:
        """The matplotlib Axes of the plot."""
        return self.plot_area.ax

    @property
    def fig(self) -> Any:
        """The matplotlib Figure of the plot."""
        return self.plot_area.fig

    def draw(self) -> None:
        """Redraw the canvas after changing ``ax`` or ``fig``."""
        self.plot_area.draw()

    # --- controls ------------------------------------------------------------------------------
    def kind(self) -> str:
        return "bar" if self.bar_button.isChecked() else "heatmap"

    def input_changed(self) -> None:
        columns = [] if self.transmission is None else categorical_columns(self.transmission.df)
        self.x_column.set_columns(columns)
        self.y_column.set_columns(columns)
        if self.x_column.value() == self.y_column.value():
            others = [c for c in columns if c != self.y_column.value()
                      and self.x_column.findData(c) >= 0]
            if others:
                self.x_column.set_value(others[0])

    def clear_plot(self, message: str = "") -> None:
        """Forget the input and show empty axes with ``message`` in the status label."""
        self.transmission = None
        self.table = None
        self.plot_area.new_axes()
        self.plot_area.draw()
        self.status.ok(message)

    def swap_xy(self) -> None:
        """Exchange the X and Y columns and redraw."""
        x, y = self.x_column.value(), self.y_column.value()
        self.x_column.set_value(y)
        self.y_column.set_value(x)
        self.update_plot()

    def draw_plot(self) -> None:
        x, y = self.x_column.value(), self.y_column.value()
        if x is None or y is None:
            raise ParameterError("Proportions: the input needs two categorical columns (names "
                                 "without a leading _) to compare.")
        self.table = None  # a failed draw leaves no stale table to export
        df = self.transmission.df
        counts = proportions_table(df, x, y, percentages=False)
        self._rows_used = int(counts.to_numpy().sum())
        self.table = proportions_table(df, x, y) if self.percentages.isChecked() else counts
        self.plot_area.new_axes()
        draw_proportions(self.plot_area.ax, self.table, self.kind(), self.percentages.isChecked())
        self.plot_area.fig.tight_layout()
        self.plot_area.draw()

    def status_text(self) -> str:
        if self.table is None:
            return ""
        left_out = len(self.transmission.df) - self._rows_used
        text = (f"{self._rows_used} rows: {len(self.table.index)} {self.table.index.name} group(s) x "
                f"{len(self.table.columns)} {self.table.columns.name} categories.")
        return text + (f" {left_out} row(s) with a missing label left out." if left_out else "")

    # --- export --------------------------------------------------------------------------------
    def export_csv(self, path: str | Path, overwrite: bool = False) -> Path:
        """Write the plotted table (``table``) to a CSV file."""
        if self.table is None:
            raise ParameterError("Proportions: nothing plotted yet; click Update Plot first.")
        return export_proportions_csv(self.table, path, overwrite=overwrite)

    def _export_clicked(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, "Export CSV", self._plots_dir(), "CSV (*.csv)")
        if not path:
            return
        try:
            self.export_csv(path, overwrite=True)
        except (MesmerizeError, OSError) as exc:
            QtWidgets.QMessageBox.warning(self, "CSV not exported", str(exc))
            return
        self.status.ok(f"Exported {path}")

    # --- state ---------------------------------------------------------------------------------
    def get_plot_state(self) -> dict[str, Any]:
        return {"x_column": self.x_column.value(), "y_column": self.y_column.value(),
                "percentages": self.percentages.isChecked(), "kind": self.kind()}

    def set_plot_state(self, state: dict[str, Any]) -> None:
        unknown = set(state) - _STATE_KEYS
        if unknown:
            raise FormatVersionError(f"The proportions plot has no controls {sorted(unknown)}.")
        if "kind" in state and state["kind"] not in KINDS:
            raise ParameterError(f"Proportions: kind must be one of {KINDS}, got "
                                 f"{state['kind']!r}.")
        if state.get("x_column") is not None:
            self.x_column.set_value(state["x_column"])
        if state.get("y_column") is not None:
            self.y_column.set_value(state["y_column"])
        if "percentages" in state:
            self.percentages.setChecked(bool(state["percentages"]))
        if "kind" in state:
            (self.bar_button if state["kind"] == "bar" else self.heatmap_button).setChecked(True)

    def console_namespace(self) -> dict[str, Any]:
        return {**super().console_namespace(), "get_plot_area": lambda: self.plot_area}
