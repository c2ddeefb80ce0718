"""Simple Plot widget (Display node "Plot"): every array of the data column as a line, the
input's last output chosen, choices kept on new input, problems in the status label, state,
console export (the guide's matplotlib export example) and the rendered window; and the
ColumnCombo the plots share."""
from __future__ import annotations

import numpy as np
import pytest

from mesmerize.core.errors import FormatVersionError, ParameterError
from mesmerize.gui.plots.column_combo import ColumnCombo
from mesmerize.gui.plots.simple_plot import SimplePlotWidget
from tests.gui.plots.test_timeseries_widget import EXPORT_EXAMPLE
from tests.plotting.test_timeseries import normalized_t


@pytest.fixture
def widget(qtbot):
    w = SimplePlotWidget()
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close()


def test_plots_every_array_of_the_last_output(widget, tmp_path):
    t = normalized_t(n_per=3)
    widget.set_input(t)
    assert widget.data_column.value() == "_NORMALIZE"
    assert not widget.status.is_problem and "6 arrays of _NORMALIZE" in widget.status.text()
    lines = widget.plot_area.ax.lines
    assert len(lines) == 6
    for line, curve in zip(lines, t.df._NORMALIZE):
        np.testing.assert_array_equal(line.get_ydata(), curve)
    path = tmp_path / "simple.png"
    assert widget.grab().save(str(path)) and path.stat().st_size > 10_000
    widget.set_plot_state({"data_column": "_RAW_CURVE"})
    widget.update_plot()
    widget.set_input(normalized_t(n_per=2, seed=4))  # new flowchart output keeps the choice
    assert widget.get_plot_state() == {"data_column": "_RAW_CURVE"}
    assert len(widget.plot_area.ax.lines) == 4


def test_problems_and_console(widget, tmp_path):
    t = normalized_t(n_per=2)
    widget.set_input(t)
    widget.set_plot_state({"data_column": "_MISSING"})
    assert not widget.update_plot() and "'_MISSING' is not a column" in widget.status.text()
    with pytest.raises(FormatVersionError, match="no controls"):
        widget.set_plot_state({"x": 1})
    widget.set_plot_state({"data_column": "_RAW_CURVE"})
    widget.update_plot()
    out = tmp_path / "simple_export.png"
    exec(EXPORT_EXAMPLE.format(path=out), widget.console_namespace())
    assert out.stat().st_size > 1000
    assert SimplePlotWidget.plot_kind == "simple_plot" and not SimplePlotWidget.saves_ptrn


def test_column_combo_keeps_choices(qtbot):
    combo = ColumnCombo("numerical", none_text="(none)", preferred=("_B",))
    qtbot.addWidget(combo)
    combo.set_columns(["_A", "_B", "cat", "_BLOCK_"])
    assert [combo.itemText(i) for i in range(combo.count())] == ["(none)", "_A", "_B"]
    assert combo.value() == "_B"
    combo.set_value("_A")
    combo.set_columns(["_A", "_C"])
    assert combo.value() == "_A"
    combo.set_value(None)
    combo.set_columns(["_A", "_B"])  # a chosen "(none)" stays
    assert combo.value() is None
    combo.set_value("_Z")  # a saved choice the input lacks is shown
    assert combo.value() == "_Z"
    categorical = ColumnCombo("categorical")
    qtbot.addWidget(categorical)
    categorical.set_columns(["_A", "cat", "dog"])
    assert categorical.value() == "cat"
    with pytest.raises(ParameterError, match="needs a column"):
        categorical.set_value(None)


def test_every_plot_of_this_module_family_builds_bare_and_takes_no_input(qtbot):
    from mesmerize.gui.plots.beeswarm import BeeswarmPlotWindow
    from mesmerize.gui.plots.scatter import ScatterPlotWidget
    from mesmerize.gui.plots.timeseries import TimeSeriesWidget

    for cls in (SimplePlotWidget, TimeSeriesWidget, BeeswarmPlotWindow, ScatterPlotWidget):
        window = cls()  # the Display nodes build their widget with no arguments
        qtbot.addWidget(window)
        window.set_input(None)  # an unconnected node
        assert window.status.is_problem and "No input" in window.status.text()
        window.close()
