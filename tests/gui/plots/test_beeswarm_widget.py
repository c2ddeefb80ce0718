"""Beeswarm Plots window: PeakFeatures input, one pseudo-scatter with violins per data column,
a mouse click on a point sets the Live datapoint tracer to that row, problems in the status
label, control state, and the rendered window."""
from __future__ import annotations

import numpy as np
import pytest
from qtpy import QtCore

from mesmerize.core.errors import FormatVersionError, MesmerizeError
from mesmerize.gui.plots.beeswarm import BeeswarmPlotWindow
from mesmerize.gui.plots.datapoint_tracer import DatapointTracerWindow
from mesmerize.plotting.beeswarm import swarm_layout
from tests.plotting.test_beeswarm import peak_features_t

COLUMNS = ["_pf_ampl_rel_b_mean", "_pf_area_rel_min", "_pf_rising_slope_avg"]


def isolated_point(scatter, view) -> int:
    """Position (in the scatter's arrays) of the point farthest, in screen pixels, from every
    other point, so a click on it cannot hit a neighbour."""
    pts = np.array([[view.mapFromScene(scatter.mapToScene(QtCore.QPointF(x, y))).x(),
                     view.mapFromScene(scatter.mapToScene(QtCore.QPointF(x, y))).y()]
                    for x, y in zip(scatter.data["x"], scatter.data["y"])], dtype=float)
    d = np.linalg.norm(pts[:, None] - pts[None], axis=2)
    np.fill_diagonal(d, np.inf)
    return int(np.argmax(d.min(axis=1)))


def click_point(qtbot, scatter, view, position: int) -> None:
    """A real left click of the mouse on point ``position`` of a pyqtgraph ScatterPlotItem
    shown in GraphicsView ``view``."""
    x, y = scatter.data["x"][position], scatter.data["y"][position]
    pixel = view.mapFromScene(scatter.mapToScene(QtCore.QPointF(x, y)))
    qtbot.mouseClick(view.viewport(), QtCore.Qt.LeftButton, pos=pixel)


@pytest.fixture(scope="module")
def features():
    return peak_features_t(8)


@pytest.fixture
def window(qtbot):
    w = BeeswarmPlotWindow()
    qtbot.addWidget(w)
    w.resize(1200, 700)
    w.show()
    yield w
    if w.tracer_window is not None:
        w.tracer_window.close()
    w.close()


def test_plots_each_selected_column_from_peak_features(window, features, qtbot, tmp_path):
    window.set_input(features)
    assert not window.status.is_problem
    assert window.selected_data_columns() == ["_pf_ampl_rel_b_ix_l"]  # first single-number one
    assert window.uuid_column.value() == "_pf_uuid"
    assert window.dpt_curve_column.value() == "_RAW_CURVE"  # the curve PeakFeatures measured
    window.set_data_columns(COLUMNS)
    window.group_column.set_value("genotype")
    window.apply_button.click()
    assert not window.status.is_problem, window.status.text()
    assert list(window.plots) == COLUMNS
    df = features.df
    for column in COLUMNS:
        ref = swarm_layout(df, column, "genotype")
        scatter = window.scatters[column]
        np.testing.assert_array_equal(scatter.data["x"], ref.x)
        np.testing.assert_array_equal(scatter.data["y"], ref.y)
        # every point carries its row's UUID, and its y is that row's value
        rows = df.set_index("_pf_uuid").loc[list(scatter.data["data"])]
        np.testing.assert_array_equal(rows[column].to_numpy(), scatter.data["y"])
        ticks = window.plots[column].getAxis("bottom")._tickLevels[0]
        counts = df.genotype.value_counts()
        assert ticks == [(0, f"mut\n(n={counts['mut']})"), (1, f"wt\n(n={counts['wt']})")]
    fills = [i for i in window.plots[COLUMNS[0]].items if type(i).__name__ == "FillBetweenItem"]
    assert len(fills) == 2  # one violin per group
    assert f"{3 * len(df)} points in 3 plot(s)" in window.status.text()
    qtbot.wait(100)  # let the axes lay out their labels before the grab
    qtbot_png = tmp_path / "beeswarm.png"
    assert window.grab().save(str(qtbot_png)) and qtbot_png.stat().st_size > 10_000


def test_click_on_a_point_sets_the_live_datapoint_tracer(window, features, qtbot):
    window.set_input(features)
    window.set_data_columns(COLUMNS[:2])
    window.group_column.set_value("genotype")
    window.update_plot()
    window.tracer_action.trigger()  # View -> Live datapoint tracer
    tracer = window.tracer_window
    assert isinstance(tracer, DatapointTracerWindow) and tracer.isVisible()
    assert tracer.tracer.current_index is None and window.datapoint_tracer is tracer.tracer
    scatter = window.scatters[COLUMNS[1]]
    view = window.plot_area
    qtbot.wait(50)
    position = isolated_point(scatter, view)
    click_point(qtbot, scatter, view, position)
    expected = window.layouts[COLUMNS[1]].index[position]
    assert window.selected_index == expected
    assert tracer.tracer.current_index == expected
    assert tracer.tracer.dpt_curve_column == "_RAW_CURVE"
    assert features.df.at[expected, "_pf_uuid"] == scatter.data["data"][position]
    # the clicked row is outlined in every plot
    for s in window.scatters.values():
        widths = [p.pen().widthF() for p in s.points()]
        rows = [window._row_of[k] for k in s.data["data"]]
        assert [w > 2 for w in widths] == [r == expected for r in rows]
    # without a UUID column points carry index labels; a second click moves the tracer
    window.uuid_column.set_value(None)
    window.update_plot()
    scatter = window.scatters[COLUMNS[0]]
    position = isolated_point(scatter, view)
    click_point(qtbot, scatter, view, position)
    assert tracer.tracer.current_index == window.layouts[COLUMNS[0]].index[position]


def test_problems_go_to_the_status_label(window, features):
    window.set_input(features)
    window.set_data_columns(["_pf_peak_curve"])
    assert not window.update_plot()
    assert window.status.is_problem and "one number per row" in window.status.text()
    window.set_data_columns([COLUMNS[0]])
    window.uuid_column.set_value("uuid_curve")  # one UUID per curve, several peaks each
    assert not window.update_plot() and "duplicate values" in window.status.text()
    window.uuid_column.set_value("_pf_uuid")
    window.data_columns.clearSelection()
    assert not window.update_plot() and "select at least one data column" in window.status.text()
    with pytest.raises(MesmerizeError, match="no plotted point"):
        window.select_point("nope")


def test_state_round_trip_and_live_update_keeps_choices(window, features, qtbot):
    window.set_input(features)
    state = {"data_columns": COLUMNS[1:], "group_column": "genotype",
             "dpt_curve_column": "_pf_peak_curve", "uuid_column": None, "spot_size": 5,
             "violins": False, "cmap": "Set1"}
    window.set_plot_state(state)
    assert window.get_plot_state() == state
    window.update_plot()
    assert not any(type(i).__name__ == "FillBetweenItem" for i in window.plots[COLUMNS[1]].items)
    window.set_input(peak_features_t(4, seed=1))  # new flowchart output: same choices
    assert window.get_plot_state() == state and not window.status.is_problem
    other = BeeswarmPlotWindow()
    qtbot.addWidget(other)
    other.set_input(features)
    other.set_plot_state(state)
    other.update_plot()
    np.testing.assert_array_equal(other.scatters[COLUMNS[2]].data["y"],
                                  swarm_layout(features.df, COLUMNS[2], "genotype").y)
    other.close()
    with pytest.raises(FormatVersionError, match="no controls"):
        window.set_plot_state({"bins": 3})
    assert BeeswarmPlotWindow.saves_ptrn is False and BeeswarmPlotWindow.plot_kind == "beeswarm"
    assert window.console_namespace()["get_plot_area"]() is window.plot_area
