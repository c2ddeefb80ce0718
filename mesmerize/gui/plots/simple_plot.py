"""Simple Plot (guide: "Simple Plot", Display node "Plot"): every array of the chosen data
column drawn as a line in a matplotlib area with its navbar.

Also home of ``ColumnCombo``, the column chooser the Beeswarm, Scatter and TimeSeries plots
share.
"""
from __future__ import annotations

from typing import Any, Sequence

from qtpy import QtWidgets

from mesmerize.core.errors import FormatVersionError, ParameterError
from mesmerize.gui.flowchart.param_controls import columns_for_kind
from mesmerize.gui.plots.base import PlotWindow
from mesmerize.gui.plots.mpl_area import MatplotlibArea
from mesmerize.plotting.timeseries import draw_curves


class ColumnCombo(QtWidgets.QComboBox):
    """A combo box of the input's columns of one kind (``"numerical"``: names starting with
    ``_``; ``"categorical"``; ``"any"``), optionally headed by ``none_text`` meaning None.

    ``set_columns`` keeps the current choice when the new input still has it (or the none
    entry once the user or ``set_value`` chose it), else picks the first of ``preferred`` that
    exists, else the first entry. ``value()`` is the chosen name or None.
    """

    def __init__(self, kind: str = "any", none_text: str | None = None,
                 preferred: Sequence[str] = (), parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        self.none_text = none_text
        self.preferred = tuple(preferred)
        self.setSizeAdjustPolicy(QtWidgets.QComboBox.AdjustToMinimumContentsLengthWithIcon)
        self.setMinimumContentsLength(12)
        self._none_chosen = False
        self.activated.connect(lambda _i: setattr(self, "_none_chosen", self.value() is None))
        self.set_columns([])

    def set_columns(self, columns: Sequence[str]) -> None:
        """Offer the columns of ``kind`` among ``columns``."""
        current = self.value() if self.count() else None
        offered = columns_for_kind(columns, self.kind)
        self.blockSignals(True)
        self.clear()
        if self.none_text is not None:
            self.addItem(self.none_text, None)
        for name in offered:
            self.addItem(name, name)
        self.blockSignals(False)
        if current in offered or (current is None and self._none_chosen):
            self.set_value(current)
            return
        for name in self.preferred:
            if name in offered:
                self.set_value(name)
                return
        self.setCurrentIndex(0)

    def value(self) -> str | None:
        return self.currentData()

    def set_value(self, name: str | None) -> None:
        """Choose ``name`` (None: the none entry). A name the input lacks is added, so a saved
        state shows what it asked for and drawing names the missing column."""
        self._none_chosen = name is None
        if name is None:
            if self.none_text is None:
                raise ParameterError(f"This control needs a column; choose one of "
                                     f"{[self.itemData(i) for i in range(self.count())]}.")
            self.setCurrentIndex(0)
            return
        index = self.findData(name)
        if index < 0:
            self.addItem(name, name)
            index = self.count() - 1
        self.setCurrentIndex(index)


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
