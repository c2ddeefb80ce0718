"""TimeSeries plot (Display node "TimeSeries"): the mean of the arrays of a data column with a
confidence interval or standard-deviation band, one line per group of a categorical column.
The x axis is in seconds when the input's sampling rate is known, else in frames."""
from __future__ import annotations

from typing import Any

from qtpy import QtWidgets

from mesmerize.analysis import get_sampling_rate
from mesmerize.analysis.errors import TransmissionError
from mesmerize.core.errors import FormatVersionError, ParameterError
from mesmerize.gui.plots.base import PlotWindow
from mesmerize.gui.plots.mpl_area import MatplotlibArea
from mesmerize.gui.plots.column_combo import ColumnCombo
from mesmerize.plotting.timeseries import draw_timeseries, time_axis, timeseries_groups

ERROR_CHOICES = {"Confidence interval": "ci", "Standard deviation": "sd", "None": "none"}
CMAPS = ("tab10", "Set1", "Dark2", "tab20", "viridis", "plasma")
_STATE_KEYS = {"data_column", "group_column", "error", "confidence", "cmap"}


class TimeSeriesWidget(PlotWindow):
    """Controls: Data column, Group by (optional), Error band (CI / SD / none), Confidence,
    Colormap. Console: ``get_plot_area()`` is the ``MatplotlibArea`` (``.fig``, ``.ax``)."""

    plot_kind = "timeseries"
    window_title = "TimeSeries"

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.data_column = ColumnCombo("numerical", preferred=("_RAW_CURVE",))
        self.group_column = ColumnCombo("categorical", none_text="(none)")
        self.error = QtWidgets.QComboBox()
        for text, value in ERROR_CHOICES.items():
            self.error.addItem(text, value)
        self.confidence = QtWidgets.QDoubleSpinBox()
        self.confidence.setRange(0.5, 0.999)
        self.confidence.setDecimals(3)
        self.confidence.setSingleStep(0.01)
        self.confidence.setValue(0.95)
        self.error.currentIndexChanged.connect(
            lambda _i: self.confidence.setEnabled(self.error.currentData() == "ci"))
        self.cmap = QtWidgets.QComboBox()
        self.cmap.addItems(CMAPS)
        form = QtWidgets.QFormLayout()
        form.addRow("Data column", self.data_column)
        form.addRow("Group by", self.group_column)
        form.addRow("Error band", self.error)
        form.addRow("Confidence", self.confidence)
        form.addRow("Colormap", self.cmap)
        self.controls_layout.addLayout(form)
        self.plot_area = MatplotlibArea()
        self.plot_area.ax = self.plot_area.fig.add_subplot(1, 1, 1)
        self.plot_area.groups = []
        self.set_main_widget(self.plot_area)
        self.x_unit = "frame"

    def input_changed(self) -> None:
        t = self.transmission
        columns = [] if t is None else list(t.df.columns)
        self.data_column.preferred = (t.last_output, "_RAW_CURVE") if t is not None else ()
        self.data_column.set_columns(columns)
        self.group_column.set_columns(columns)

    def _sampling_rate(self) -> float | None:
        """The input's sampling rate in Hz, or None (x axis in frames) when it is unknown."""
        try:
            return get_sampling_rate(self.transmission)
        except TransmissionError:
            return None

    def draw_plot(self) -> None:
        column = self.data_column.value()
        if column is None:
            raise ParameterError("TimeSeries: the input has no numerical (_) column to plot.")
        group = self.group_column.value()
        groups = timeseries_groups(self.transmission.df, column, group,
                                   error=self.error.currentData(),
                                   confidence=self.confidence.value())
        x, self.x_unit = time_axis(groups[0].mean.size, self._sampling_rate())
        area = self.plot_area
        area.fig.clear()
        area.ax = area.fig.add_subplot(1, 1, 1)
        area.groups = groups
        draw_timeseries(area.ax, groups, x, cmap=self.cmap.currentText())
        area.ax.set_xlabel(self.x_unit)
        area.ax.set_ylabel(column)
        band = {"ci": f"{self.confidence.value():.0%} CI of the mean", "sd": "mean +- SD",
                "none": "mean"}[self.error.currentData()]
        area.ax.set_title(f"{column}: {band}" + (f", by {group}" if group else ""))
        area.fig.tight_layout()
        area.draw()

    def status_text(self) -> str:
        groups = self.plot_area.groups
        return (f"{sum(g.n for g in groups)} arrays in {len(groups)} group(s); x axis in "
                f"{self.x_unit}.")

    def get_plot_state(self) -> dict[str, Any]:
        return {"data_column": self.data_column.value(), "group_column": self.group_column.value(),
                "error": self.error.currentData(), "confidence": self.confidence.value(),
                "cmap": self.cmap.currentText()}

    def set_plot_state(self, state: dict[str, Any]) -> None:
        unknown = set(state) - _STATE_KEYS
        if unknown:
            raise FormatVersionError(f"The timeseries plot has no controls {sorted(unknown)}.")
        if "error" in state and state["error"] not in ERROR_CHOICES.values():
            raise ParameterError(f"TimeSeries: error must be one of "
                                 f"{list(ERROR_CHOICES.values())}, got {state['error']!r}.")
        if "cmap" in state and state["cmap"] not in CMAPS:
            raise ParameterError(f"TimeSeries: cmap must be one of {CMAPS}, got "
                                 f"{state['cmap']!r}.")
        if "data_column" in state:
            self.data_column.set_value(state["data_column"])
        if "group_column" in state:
            self.group_column.set_value(state["group_column"])
        if "error" in state:
            self.error.setCurrentIndex(self.error.findData(state["error"]))
        if "confidence" in state:
            self.confidence.setValue(float(state["confidence"]))
        if "cmap" in state:
            self.cmap.setCurrentText(state["cmap"])

    def console_namespace(self) -> dict[str, Any]:
        return {**super().console_namespace(), "get_plot_area": lambda: self.plot_area}
