"""PlotWindow, the base of every plot: input, live update, status label, .ptrn save/load, console."""
import numpy as np
import pandas as pd
import pytest

from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import FormatVersionError, MesmerizeError, ParameterError
from mesmerize.gui.plots.base import PlotWindow
from mesmerize.gui.plots.mpl_area import MatplotlibArea


class LinePlot(PlotWindow):
    """A minimal plot: the mean of a data column, with one control."""

    plot_kind = "line_test"
    saves_ptrn = True

    def __init__(self):
        super().__init__()
        self.area = MatplotlibArea()
        self.set_main_widget(self.area)
        self.column = "_RAW_CURVE"
        self.draws = 0

    def draw_plot(self):
        if self.column not in self.transmission.df.columns:
            raise ParameterError(f"no column {self.column!r}")
        self.draws += 1
        self.area.clear()
        self.area.fig.add_subplot(111).plot(np.mean(np.stack(self.transmission.df[self.column]), 0))
        self.area.draw()

    def get_plot_state(self):
        return {"column": self.column}

    def set_plot_state(self, state):
        if set(state) != {"column"}:
            raise FormatVersionError(f"unknown controls {sorted(state)}")
        self.column = state["column"]


def transmission():
    df = pd.DataFrame({"_RAW_CURVE": [np.sin(np.arange(20) / (i + 1)) for i in range(5)],
                       "label": list("aabbc")})
    return Transmission.from_dataframe(df)


@pytest.fixture
def plot(qtbot):
    window = LinePlot()
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()


def test_live_update_draws_and_problems_show_in_status(plot, qtbot):
    assert not plot.update_plot() and plot.status.is_problem  # no input yet
    plot.set_input(transmission())
    assert plot.draws == 1 and not plot.status.is_problem and "5 rows" in plot.status.text()
    plot.live_update.setChecked(False)
    plot.set_input(transmission())
    assert plot.draws == 1  # not live: waits for Update Plot
    plot.column = "_MISSING"
    qtbot.mouseClick(plot.update_button, 1)
    assert plot.status.is_problem and "_MISSING" in plot.status.text()


def test_ptrn_round_trip_restores_data_and_controls(plot, tmp_path):
    plot.set_input(transmission())
    plot.column = "_RAW_CURVE"
    path = plot.save_ptrn(tmp_path / "line.ptrn")
    other = LinePlot()
    try:
        other.column = "something else"
        other.load_ptrn(path)
        assert other.column == "_RAW_CURVE" and other.draws == 1
        assert len(other.transmission.df) == 5
    finally:
        other.close()


def test_ptrn_of_another_kind_is_refused(plot, tmp_path):
    class OtherPlot(LinePlot):
        plot_kind = "other"

    plot.set_input(transmission())
    path = plot.save_ptrn(tmp_path / "line.ptrn")
    other = OtherPlot()
    try:
        with pytest.raises(FormatVersionError, match="line_test plot"):
            other.load_ptrn(path)
    finally:
        other.close()


def test_plot_without_ptrn_refuses_to_save(qtbot, tmp_path):
    class Unsaved(LinePlot):
        saves_ptrn = False

    window = Unsaved()
    qtbot.addWidget(window)
    assert not hasattr(window, "save_button")
    with pytest.raises(MesmerizeError, match="cannot be saved"):
        window.save_ptrn(tmp_path / "x.ptrn")
    window.close()


def test_console_has_this_and_toggles(plot):
    console = plot.show_console()
    console.execute("n_rows = 0 if this.transmission is None else len(this.transmission.df)")
    assert console.namespace["n_rows"] == 0
    plot.toggle_console()
    assert not plot._console_dock.isVisible()
