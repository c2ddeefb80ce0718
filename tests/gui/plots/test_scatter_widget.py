"""Scatter Plot widget: LDA output as [x, y] points, X/Y columns with log axes, colours and shapes
by category with alpha, a mouse click sets the embedded Datapoint Tracer, .ptrn round trip,
Export data (CSV) and Export to matplotlib, and the rendered window."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mesmerize.core.errors import FormatVersionError
from mesmerize.gui.plots.datapoint_tracer import DatapointTracerWidget
from mesmerize.gui.plots.scatter import ScatterPlotWidget
from mesmerize.plotting.ptrn_file import read_ptrn
from mesmerize.plotting.scatter import SYMBOLS
from mesmerize.plotting.utils import get_colormap
from tests.gui.plots.test_beeswarm_widget import click_point, isolated_point
from tests.plotting.test_scatter import lda_t


@pytest.fixture(scope="module")
def lda():
    return lda_t()


@pytest.fixture
def widget(qtbot):
    w = ScatterPlotWidget()
    qtbot.addWidget(w)
    w.show()
    yield w
    if w.mpl_window is not None:
        w.mpl_window.close()
    w.close()


def colour_state(**extra):
    return {"colors_column": "group", "shapes_column": "group", "alpha": 0.6,
            "dpt_curve_column": "_X", **extra}


def test_lda_transform_points_colours_shapes_and_alpha(widget, lda, qtbot, tmp_path):
    widget.set_input(lda)
    assert widget.data_column.value() == "_LDA_TRANSFORM"  # chosen for LDA output
    assert not widget.status.is_problem, widget.status.text()
    widget.set_plot_state(colour_state())
    assert widget.update_plot()
    sc = widget.scatter
    np.testing.assert_array_equal(np.column_stack([sc.data["x"], sc.data["y"]]),
                                  np.stack(lda.df._LDA_TRANSFORM))
    legend = get_colormap(["a", "b", "c"], "tab10", output="pyqt", alpha=0.6)
    brushes = [p.brush().color().getRgb() for p in sc.points()]
    assert brushes == [legend[g] for g in lda.df.group]
    assert brushes[0][3] == round(0.6 * 255)  # Alpha is applied to the spots
    assert [p.symbol() for p in sc.points()] == [SYMBOLS["abc".index(g)] for g in lda.df.group]
    labels = [label.text for _, label in widget.legend.items]
    assert labels == [f"group: {g}" for g in "abc"] * 2
    qtbot.wait(100)  # let the axes lay out their labels before the grab
    path = tmp_path / "scatter.png"
    assert widget.grab().save(str(path)) and path.stat().st_size > 10_000


def test_click_sets_the_embedded_datapoint_tracer(widget, lda, qtbot):
    assert isinstance(widget.datapoint_tracer, DatapointTracerWidget)
    widget.set_input(lda)
    widget.set_plot_state(colour_state())
    widget.update_plot()
    qtbot.wait(50)
    view = widget.plot_area
    position = isolated_point(widget.scatter, view)
    click_point(qtbot, widget.scatter, view, position)
    expected = lda.df.index[position]
    assert widget.selected_index == expected
    assert widget.datapoint_tracer.current_index == expected
    assert widget.datapoint_tracer.dpt_curve_column == "_X"
    widths = [p.pen().widthF() for p in widget.scatter.points()]
    assert [w > 2 for w in widths] == [i == position for i in range(len(lda.df))]


def test_x_y_columns_log_axes_and_problems(widget, lda):
    widget.set_input(lda)
    widget.set_plot_state({"data_column": None, "x_column": "_AMP", "y_column": "n",
                           "log_x": True})
    assert widget.update_plot()
    np.testing.assert_allclose(widget.scatter.data["x"], np.log10(lda.df._AMP), rtol=1e-15)
    assert widget.plot_area.getPlotItem().getAxis("bottom").labelText == "log10(_AMP)"
    widget.log_y.setChecked(True)  # n starts at 0
    assert not widget.update_plot()
    assert widget.status.is_problem and "log y" in widget.status.text()
    widget.set_plot_state({"log_y": False, "x_column": None})
    assert not widget.update_plot() and "both an X and a Y column" in widget.status.text()
    widget.set_plot_state({"data_column": "_X"})
    assert not widget.update_plot() and "[x, y] arrays" in widget.status.text()
    widget.set_plot_state({"data_column": "_LDA_TRANSFORM", "uuid_column": "group",
                           "log_x": False})
    assert not widget.update_plot() and "duplicate values" in widget.status.text()
    with pytest.raises(FormatVersionError, match="no controls"):
        widget.set_plot_state({"zoom": 2})


def test_ptrn_round_trip(widget, lda, qtbot, tmp_path):
    widget.set_input(lda)
    widget.set_plot_state(colour_state(cmap="Dark2", spot_size=14))
    widget.update_plot()
    path = widget.save_ptrn(tmp_path / "lda.ptrn")
    saved = read_ptrn(path)
    assert saved.plot_kind == "scatter" and saved.state == widget.get_plot_state()
    other = ScatterPlotWidget()
    qtbot.addWidget(other)
    other.load_ptrn(path)
    assert other.get_plot_state() == widget.get_plot_state()
    assert not other.status.is_problem, other.status.text()
    np.testing.assert_array_equal(other.scatter.data["x"], widget.scatter.data["x"])
    np.testing.assert_array_equal(other.scatter.data["y"], widget.scatter.data["y"])
    assert [p.brush().color().getRgb() for p in other.scatter.points()] == \
        [p.brush().color().getRgb() for p in widget.scatter.points()]
    pd.testing.assert_frame_equal(other.transmission.df[["group", "n"]], lda.df[["group", "n"]])
    other.close()


def test_export_data_and_matplotlib(widget, lda, qtbot, tmp_path):
    widget.set_input(lda)
    widget.set_plot_state(colour_state(uuid_column="n", shapes_column=None))
    widget.update_plot()
    csv = widget.export_data(tmp_path / "points.csv")
    table = pd.read_csv(csv)
    assert list(table.columns) == ["index", "x", "y", "group", "n"]
    np.testing.assert_allclose(table[["x", "y"]].to_numpy(), np.stack(lda.df._LDA_TRANSFORM),
                               rtol=1e-15)
    assert list(table.group) == list(lda.df.group)
    area = widget.export_to_matplotlib()
    assert widget.mpl_window.isVisible()
    offsets = np.concatenate([c.get_offsets() for c in area.ax.collections])
    np.testing.assert_allclose(np.sort(offsets[:, 1]), np.sort(widget.scatter.data["y"]))
    assert [t.get_text() for t in area.ax.get_legend().get_texts()] == [
        f"group: {g}" for g in "abc"]
    empty = ScatterPlotWidget()
    qtbot.addWidget(empty)
    assert empty.export_to_matplotlib() is None and "nothing is plotted" in empty.status.text()
    empty.close()


def test_console_exports_the_plot_area_and_reads_the_data(widget, lda, tmp_path):
    widget.set_input(lda)
    widget.set_plot_state(colour_state())
    widget.update_plot()
    out = tmp_path / "console_scatter.png"
    console = widget.show_console()
    console.execute("from pyqtgraph.exporters import ImageExporter\n"
                    f"ImageExporter(get_plot_area().getPlotItem()).export({str(out)!r})\n"
                    "n_points = len(this.data.xy)")
    assert out.stat().st_size > 2000
    assert console.namespace["n_points"] == len(lda.df)
