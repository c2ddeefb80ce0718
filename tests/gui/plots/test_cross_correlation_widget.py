"""CrossCorrelationWidget: fed a real project's Transmission passed through ScalerMeanVariance,
the worker thread's results against sample_cross_correlation, live thresholds, a click on a
heatmap cell (curves, CCF, ROIs, Datapoint Tracer), Compute all data, problems in the status
label, a new input while computing, plot state, console, PNG rendering."""
from __future__ import annotations

import numpy as np
import pytest
from matplotlib.patches import Polygon
from qtpy import QtCore, QtWidgets

from mesmerize.analysis.registry import get_operation
from mesmerize.core.errors import FormatVersionError
from mesmerize.gui.plots.cross_correlation import CrossCorrelationWidget
from mesmerize.plotting.cross_correlation import normalized_ccf, sample_cross_correlation
from tests.plotting.test_cross_correlation import (
    CENTRES, DELAYS_1, FPS, TYPES, lagged_project, square,
)

WAIT_MS = 20_000


@pytest.fixture(scope="module")
def lagged(tmp_path_factory):
    """The project, with ``scaled``: its Transmission through ScalerMeanVariance (_SCALER_...)."""
    made = lagged_project(tmp_path_factory.mktemp("xcorr_widget"))
    made.scaled = get_operation("ScalerMeanVariance")(made.transmission,
                                                      data_column="_RAW_CURVE", mu=0.0, std=1.0)
    return made


@pytest.fixture
def window(qtbot):
    w = CrossCorrelationWidget()
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close()  # waits for the worker thread


def wait_computed(window, qtbot):
    qtbot.waitUntil(lambda: not window.is_computing(), timeout=WAIT_MS)
    assert not window.status.is_problem, window.status.details


def click_cell(window, qtbot, i, j):
    """A real left click on the heatmap cell (x=i, y=j)."""
    canvas = window.heatmap.canvas
    x, y = window.heatmap.ax.transData.transform((i, j))
    ratio = canvas.device_pixel_ratio
    pos = QtCore.QPoint(int(round(x / ratio)), int(round(canvas.height() - y / ratio)))
    qtbot.mouseClick(canvas, QtCore.Qt.LeftButton, pos=pos)


def test_builds_without_arguments_with_the_guide_controls(window):
    labels = {label.text() for label in window.findChildren(QtWidgets.QLabel)}
    assert {"Data column", "Labels column", "Pre-normalization", "Samples"} <= labels
    texts = {b.text() for b in window.findChildren(QtWidgets.QPushButton)}
    assert {"Update Plot", "Compute all data", "Show/Hide Console"} <= texts
    assert not {"Save", "Load"} & texts
    assert [window.pre_normalization.itemText(i) for i in range(3)] == ["None", "0 - 1",
                                                                         "Z-Score"]
    assert window.plot_kind == "cross_correlation" and not window.saves_ptrn
    assert (window.lag_button.text(), window.maxima_button.text()) == ("Lag Matrix",
                                                                       "Maxima Matrix")
    assert not window.update_plot() and window.status.is_problem  # no input yet


def test_computes_in_a_worker_thread_and_draws_the_lag_matrix(window, lagged, qtbot):
    t = lagged.scaled
    window.set_input(t)
    assert window.data_column.value() == "_SCALER_MEAN_VARIANCE"  # the last output
    offered = [window.labels_column.itemText(i) for i in range(window.labels_column.count())]
    assert offered == ["(row index)", "cell_type", "SampleID", "AnimalID", "TrialID"]
    assert window.is_computing() and "Computing" in window.status.text()
    wait_computed(window, qtbot)
    sample = lagged.sample_ids[0]
    expected = sample_cross_correlation(t, sample, "_SCALER_MEAN_VARIANCE")
    data = window.data[sample]
    np.testing.assert_array_equal(data.lag_matrix, expected.lag_matrix)
    np.testing.assert_array_equal(data.maxima_matrix, expected.maxima_matrix)
    d = np.asarray(DELAYS_1, float)
    np.testing.assert_array_equal(data.lag_matrix, (d[:, None] - d[None, :]) / FPS)
    shown = window.heatmap.image.get_array()
    np.testing.assert_array_equal(shown.filled(np.nan), data.lag_matrix.T)
    assert f"Sample {sample}: 6 curves x 240 frames at 10 Hz" in window.status.text()
    assert list(window.data) == [sample]  # the other sample waits for a click or Compute all


def test_thresholds_apply_live_without_recomputing(window, lagged, qtbot):
    window.set_input(lagged.scaled)
    wait_computed(window, qtbot)
    data = window.current_data()
    image = window.heatmap.image
    window.lag_threshold.setValue(0.5)
    window.lag_threshold_on.setChecked(True)
    assert not window.is_computing() and window.current_data() is data
    assert window.heatmap.image is image  # updated in place
    shown = window.heatmap.image.get_array()
    np.testing.assert_array_equal(shown.mask, (np.abs(data.lag_matrix) > 0.5).T)
    assert window.heatmap.image.get_clim() == (-0.5, 0.5)
    assert tuple(window.heatmap.image.get_cmap().get_bad()) == (1.0, 1.0, 1.0, 1.0)  # white

    window.maxima_button.setChecked(True)
    window.maxima_threshold.setValue(0.9)
    window.maxima_threshold_on.setChecked(True)
    window.absolute_lag.setChecked(False)
    shown = window.heatmap.image.get_array()
    hidden = (data.lag_matrix > 0.5) | (data.maxima_matrix < 0.9)
    np.testing.assert_array_equal(shown.mask, hidden.T)
    np.testing.assert_array_equal(shown.data[~hidden.T], data.maxima_matrix.T[~hidden.T])
    assert window.heatmap.image.get_clim() == (0.9, 1.0)


def test_click_shows_curves_ccf_rois_and_traces_the_rows(window, lagged, qtbot):
    t = lagged.scaled
    window.set_input(t)
    window.labels_column.set_value("cell_type")
    wait_computed(window, qtbot)
    window.lag_threshold.setValue(0.2)
    window.lag_threshold_on.setChecked(True)  # (4, 1) is under the threshold: white, clickable
    data = window.current_data()
    click_cell(window, qtbot, 4, 1)
    assert window.current_pair == (4, 1)
    mark = [p for p in window.heatmap.ax.patches if p.get_visible()]
    assert len(mark) == 1 and mark[0].get_xy() == (3.5, 0.5)
    axes = window.pair_plot.axes
    np.testing.assert_allclose(axes["curve1"].lines[0].get_ydata(), data.curves[4])
    np.testing.assert_allclose(axes["curve2"].lines[0].get_ydata(), data.curves[1])
    np.testing.assert_allclose(axes["curve1"].lines[0].get_xdata(), np.arange(240) / FPS)
    lags, ccf = axes["ccf"].lines[0].get_data()
    np.testing.assert_allclose(ccf, normalized_ccf(data.curves[4], data.curves[1]))
    assert lags[np.argmax(ccf)] == pytest.approx((DELAYS_1[4] - DELAYS_1[1]) / FPS)
    assert TYPES[4] in axes["curve1"].get_title() and "lag = 1.1 s" in axes["ccf"].get_title()
    outlines = [p.get_xy()[:4] for p in axes["rois"].patches if isinstance(p, Polygon)]
    np.testing.assert_allclose(outlines[0], square(*CENTRES[4]))
    np.testing.assert_allclose(outlines[1], square(*CENTRES[1]))
    assert len(axes["rois"].get_images()) == 1
    assert window.datapoint_tracer.current_index == data.index[4]
    assert window.datapoint_tracer.dpt_curve_column == "_SCALER_MEAN_VARIANCE"
    window.trace_choice.setCurrentIndex(1)
    assert window.datapoint_tracer.current_index == data.index[1]


def test_compute_all_data_and_the_sample_list(window, lagged, qtbot):
    window.live_update.setChecked(False)
    window.set_input(lagged.scaled)
    assert not window.is_computing() and window.data == {}
    qtbot.mouseClick(window.compute_all_button, QtCore.Qt.LeftButton)
    wait_computed(window, qtbot)
    assert sorted(window.data) == sorted(lagged.sample_ids)
    second = window.samples.findItems(lagged.sample_ids[1], QtCore.Qt.MatchExactly)[0]
    qtbot.mouseClick(window.samples.viewport(), QtCore.Qt.LeftButton,
                     pos=window.samples.visualItemRect(second).center())
    assert not window.is_computing()
    assert window.heatmap.image.get_array().shape == (4, 4)
    assert lagged.sample_ids[1] in window.heatmap.ax.get_title()


def test_pre_normalization_recomputes(window, lagged, qtbot):
    t = lagged.transmission
    window.set_input(t)
    wait_computed(window, qtbot)
    raw = window.current_data()
    window.pre_normalization.setCurrentIndex(1)  # 0 - 1
    wait_computed(window, qtbot)
    scaled = window.current_data()
    assert scaled is not raw
    expected = sample_cross_correlation(t, lagged.sample_ids[0], "_RAW_CURVE",
                                        pre_normalization="0-1")
    np.testing.assert_array_equal(scaled.maxima_matrix, expected.maxima_matrix)
    assert not np.allclose(scaled.maxima_matrix, raw.maxima_matrix)


def test_a_new_input_while_computing_wins(window, lagged, qtbot):
    t = lagged.scaled
    window.set_input(t)
    subset = t.with_df(t.df[t.df.index != 2])
    window.set_input(subset)
    wait_computed(window, qtbot)
    data = window.current_data()
    assert data.curves.shape[0] == 5 and 2 not in list(data.index)
    assert window.transmission is subset


def test_problems_show_in_the_status_label(window, lagged, qtbot):
    t = lagged.transmission
    df = t.df.copy()
    df.at[0, "_RAW_CURVE"] = df.at[0, "_RAW_CURVE"][:-3]
    window.set_input(t.with_df(df))
    qtbot.waitUntil(lambda: not window.is_computing(), timeout=WAIT_MS)
    assert window.status.is_problem and "SpliceArrays" in window.status.text()

    window.set_input(t.with_df(t.df, proj_path=None))
    wait_computed(window, qtbot)
    window.labels_column.set_value("no_such_labels")
    assert window.status.is_problem and "no_such_labels" in window.status.text()
    window.labels_column.set_value(None)
    assert not window.status.is_problem
    window.select_pair(0, 1)
    rois = window.pair_plot.axes["rois"]
    assert "unavailable" in rois.texts[0].get_text() and not rois.get_images()
    assert len(window.pair_plot.axes["ccf"].lines) >= 1


def test_plot_state_round_trip(window, lagged, qtbot):
    window.set_input(lagged.transmission)
    wait_computed(window, qtbot)
    window.labels_column.set_value("cell_type")
    window.maxima_button.setChecked(True)
    window.maxima_threshold_on.setChecked(True)
    window.maxima_threshold.setValue(0.7)
    window.set_current_sample(lagged.sample_ids[1])
    wait_computed(window, qtbot)
    state = window.get_plot_state()
    other = CrossCorrelationWidget()
    qtbot.addWidget(other)
    try:
        other.live_update.setChecked(False)
        other.set_input(lagged.transmission)
        other.set_plot_state(state)
        assert other.get_plot_state() == state
        with pytest.raises(FormatVersionError, match="no controls"):
            other.set_plot_state({"zoom": 1})
    finally:
        other.close()


def test_console_namespace(window, lagged, qtbot):
    window.set_input(lagged.scaled)
    wait_computed(window, qtbot)
    ns = window.console_namespace()
    assert ns["this"] is window and ns["get_plot_area"]() is window.heatmap
    exec("get_plot_area().ax.set_title('lags'); get_plot_area().draw()", dict(ns))
    assert window.heatmap.ax.get_title() == "lags"


def test_close_while_computing_waits_for_the_thread(qtbot, lagged):
    w = CrossCorrelationWidget()
    qtbot.addWidget(w)
    w.set_input(lagged.scaled)
    thread = w._thread
    assert thread is not None
    w.close()
    assert thread.isFinished()


def test_render_png(window, lagged, qtbot, tmp_path):
    window.set_input(lagged.scaled)
    window.labels_column.set_value("cell_type")
    wait_computed(window, qtbot)
    window.select_pair(4, 1)
    qtbot.wait(50)
    path = tmp_path / "cross_correlation_widget.png"
    assert window.grab().save(str(path))
    assert path.stat().st_size > 20_000
