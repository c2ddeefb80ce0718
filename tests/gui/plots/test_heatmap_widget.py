"""Heatmap plot window: inputs made by the real analysis nodes, FCluster dendrogram layout,
sorting, clicks/keys -> Datapoint Tracer, status messages, .ptrn round trip, the guide's console
examples, and a rendered PNG."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from qtpy import QtCore
from scipy.cluster import hierarchy
from seaborn.matrix import ClusterGrid

from mesmerize.analysis import Transmission, get_operation
from mesmerize.analysis.ops.node_spec import get_node_spec
from mesmerize.core.errors import FormatVersionError, ParameterError
from mesmerize.gui.plots.heatmap import HeatmapTracerWidget
from tests.gui.plots.test_datapoint_tracer import demo_transmission, peak_features


def fcluster(t: Transmission, column: str = "_ZSCORE", n_clusters: int = 3) -> Transmission:
    link = get_node_spec("Linkage")(t, data_column=column, method="average",
                                    metric="euclidean")
    return get_node_spec("FCluster")(link, t, None, None, threshold=float(n_clusters),
                                     criterion="maxclust", depth=1)


def zscore(t: Transmission) -> Transmission:
    return get_operation("ZScore")(t, data_column="_RAW_CURVE", group_by="uuid_curve"
                                   if "uuid_curve" in t.df.columns else None)


def synthetic(n: int = 12, length: int = 1200, fps: float = 10.0) -> Transmission:
    """Rows of 3 noisy shapes, no project (time domain, ``fps`` Hz)."""
    rng = np.random.default_rng(0)
    x = np.arange(length) / fps
    shapes = [np.sin(x / 5), np.cos(x / 7), np.sin(x / 2)]
    df = pd.DataFrame({"_RAW_CURVE": [shapes[i % 3] + 0.2 * rng.standard_normal(length) + 5
                                      for i in range(n)],
                       "meta": [{"fps": fps}] * n, "group": [f"g{i % 2}" for i in range(n)]})
    return Transmission.from_dataframe(df)


@pytest.fixture(scope="module")
def demo_t(tmp_path_factory):
    return demo_transmission(tmp_path_factory.mktemp("heatmap_demo"))


@pytest.fixture
def window(qtbot):
    w = HeatmapTracerWidget()
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.close()


def click_row(qtbot, window, display_row: int, button=QtCore.Qt.LeftButton) -> None:
    """A real mouse click on the middle of a heatmap row."""
    area = window.plot_area
    area.draw()
    ax = area.plot.ax_heatmap
    x_px, y_px = ax.transData.transform((area.data.shape[1] / 2, display_row + 0.5))
    ratio = area.canvas.device_pixel_ratio
    pos = QtCore.QPoint(int(x_px / ratio), int((area.fig.bbox.height - y_px) / ratio))
    qtbot.mouseClick(area.canvas, button, pos=pos)


def test_fcluster_input_draws_the_dendrogram_layout_and_disables_sorting(window, demo_t):
    t = fcluster(zscore(demo_t))
    window.set_input(t)
    assert not window.status.is_problem, window.status.details
    assert "dendrogram order (sorting disabled)" in window.status.text()
    assert not window.sort_combo.isEnabled()
    area = window.plot_area
    grid = area.plot
    assert isinstance(grid, ClusterGrid)
    assert window.data_column_combo.currentText() == "_ZSCORE"
    z = np.asarray(t.history_trace.get_operation_params(t.df["_BLOCK_"][0], "fcluster")
                   ["linkage_matrix"])
    leaves = hierarchy.dendrogram(z, no_plot=True)["leaves"]
    np.testing.assert_array_equal(area.data, np.stack(t.df["_ZSCORE"])[leaves])
    assert grid.dendrogram_row.reordered_ind == leaves
    assert len(grid.ax_row_dendrogram.collections) == 1
    assert [tk.get_text() for tk in grid.ax_row_colors.get_xticklabels()] == ["cluster"]
    window.labels_column_combo.setCurrentText("cell_type")
    window.update_plot()
    assert [tk.get_text() for tk in window.plot_area.plot.ax_row_colors.get_xticklabels()] == \
        ["cluster", "cell_type"]


def test_clicks_and_keys_set_the_datapoint_tracer(window, demo_t, qtbot):
    t = fcluster(zscore(demo_t))
    window.set_input(t)
    window.dpt_curve_combo.setCurrentText("_RAW_CURVE")
    order = window.heatmap_data.order
    click_row(qtbot, window, 3)
    assert window.plot_area.selected_row == 3
    expected = t.df.index[order[3]]
    assert window.selected_index == expected
    assert window.datapoint_tracer.current_index == expected
    np.testing.assert_array_equal(window.datapoint_tracer.curve_item.getData()[1],
                                  t.df.loc[expected, "_RAW_CURVE"])
    assert window.datapoint_tracer.image_item.image is not None  # the sample's projection
    qtbot.keyClick(window.plot_area.canvas, QtCore.Qt.Key_Up)
    assert window.plot_area.selected_row == 2
    assert window.datapoint_tracer.current_index == t.df.index[order[2]]
    qtbot.keyClick(window.plot_area.canvas, QtCore.Qt.Key_Down)
    qtbot.keyClick(window.plot_area.canvas, QtCore.Qt.Key_Down)
    assert window.plot_area.selected_row == 4
    click_row(qtbot, window, 1, QtCore.Qt.RightButton)
    assert window.plot_area.selected_row is None and window.selected_index is None
    assert not window.plot_area.plot.ax_heatmap.patches


def test_sorting_by_a_categorical_column_and_peak_rows(window, demo_t):
    features = peak_features(demo_t)
    window.set_input(features)
    # PeakFeatures' peak curves have different lengths: the status names SpliceArrays
    assert window.data_column_combo.currentText() == "_pf_peak_curve"
    assert window.status.is_problem and "SpliceArrays" in window.status.text()
    window.data_column_combo.setCurrentText("_ZSCORE")
    window.dpt_curve_combo.setCurrentText("_ZSCORE")
    window.sort_combo.setCurrentText("cell_type")
    assert window.update_plot() and window.sort_combo.isEnabled()
    labels = features.df["cell_type"].to_numpy()
    order = window.heatmap_data.order
    np.testing.assert_array_equal(order, np.argsort(labels, kind="stable"))
    np.testing.assert_array_equal(window.plot_area.data,
                                  np.stack(features.df["_ZSCORE"])[order])
    window.select_row(0)
    row = features.df.loc[window.selected_index]
    tracer = window.datapoint_tracer
    assert tracer.peak_region.isVisible()
    assert tracer.peak_region.getRegion() == (float(row["_pf_b_ix_l"]), float(row["_pf_b_ix_r"]))


def test_sort_combo_resorts_at_once_and_no_input_clears(window):
    t = synthetic(n=8, length=50)
    window.set_input(t)
    np.testing.assert_array_equal(window.heatmap_data.order, np.arange(8))
    window.sort_combo.setCurrentText("group")
    np.testing.assert_array_equal(window.heatmap_data.order, [0, 2, 4, 6, 1, 3, 5, 7])
    assert window.get_plot_state()["sort_column"] == "group"
    window.select_row(1)
    window.set_input(None)
    assert window.plot_area.plot is None and window.status.is_problem
    assert window.datapoint_tracer.current_index is None and window.selected_index is None


def test_rows_removed_after_fcluster_draw_without_dendrogram_and_say_why(window):
    t = fcluster(zscore(synthetic()))
    filtered = t.with_df(t.df.iloc[:9].copy())
    window.set_input(filtered)
    assert window.plot_area.data.shape == (9, 1200)
    assert window.status.is_problem
    assert "computed from 12 rows but the input has 9" in window.status.text()
    assert "Drawn without the dendrogram" in window.status.text()
    assert window.sort_combo.isEnabled()
    assert not window.plot_area.plot.ax_row_dendrogram.collections


def test_no_project_tracer_says_image_unavailable_and_no_arrays_is_reported(window):
    t = synthetic(n=6, length=100)
    window.set_input(t)
    window.select_row(2)
    assert "no project path" in window.datapoint_tracer.image_message.text()
    window.set_input(Transmission.from_dataframe(pd.DataFrame({"a": [1, 2]})))
    assert window.status.is_problem and "no column of numerical arrays" in window.status.text()
    assert window.plot_area.plot is None and window.plot_area.data is None


def test_ptrn_round_trip_restores_data_and_state(window, qtbot, demo_t, tmp_path):
    t = fcluster(zscore(demo_t))
    window.set_input(t)
    window.labels_column_combo.setCurrentText("cell_type")
    window.data_cmap_combo.setCurrentText("viridis")
    window.legend_cmap_combo.setCurrentText("Set1")
    window.dpt_curve_combo.setCurrentText("_ZSCORE")
    window.update_plot()
    path = window.save_ptrn(tmp_path / "heat.ptrn")
    other = HeatmapTracerWidget()
    qtbot.addWidget(other)
    other.load_ptrn(path)
    assert other.get_plot_state() == window.get_plot_state() == {
        "data_column": "_ZSCORE", "labels_column": "cell_type", "dpt_curve_column": "_ZSCORE",
        "data_colormap": "viridis", "legend_colormap": "Set1", "sort_column": None}
    np.testing.assert_array_equal(other.plot_area.data, window.plot_area.data)
    np.testing.assert_array_equal(other.heatmap_data.order, window.heatmap_data.order)
    assert other.heatmap_data.clusters == window.heatmap_data.clusters
    assert other.plot_area.plot.image.cmap.name == "viridis"
    with pytest.raises(FormatVersionError, match="no controls"):
        other.set_plot_state({"zoom": 2})
    with pytest.raises(ParameterError, match="not available"):
        other.set_plot_state({"data_column": "_NOPE"})
    other.close()


def run(window, source: str) -> dict:
    namespace = window.console_namespace()
    exec(source, namespace)
    return namespace


def test_guide_console_export_example(window, tmp_path):
    window.set_input(fcluster(zscore(synthetic(n=9, length=300))))
    out = tmp_path / "amazing_heatmap.png"
    run(window, f"""
# Desired size (width, height)
size = (2.0, 2.5)

# Get the figure
fig = get_plot_area().fig

# original size to reset the figure after we save it
orig_size = fig.get_size_inches()

#Set the desired size
fig.set_size_inches(size)

# Save the figure as a png file with 1200 dpi
fig.savefig('{out}', dpi=1200, bbox_inches='tight', pad_inches=0)

# Reset the figure size and draw()
fig.set_size_inches(orig_size)
get_plot_area().draw()
""")
    assert out.stat().st_size > 10_000
    assert window.plot_area.fig.get_size_inches()[0] != 2.0


def test_guide_console_x_tick_examples_time_and_frequency(window):
    window.set_input(synthetic())  # 1200 frames at 10 Hz
    run(window, """
from mesmerize.analysis import get_sampling_rate
import numpy as np

# Get the sampling rate of the data
sampling_rate = get_sampling_rate(this.transmission)

# Number of frames currently displayed in the heatmap
num_frames = get_plot_area().data.shape[1]

# Set an appropriate interval
interval = 30 # This is in seconds, not frames

# Get the recording time in seconds
recording_time = int(num_frames / sampling_rate)

# Set the new ticks
get_plot_area().plot.ax_heatmap.set_xticks(np.arange(0, num_frames, interval * sampling_rate))

# Set the tick labels
# You can change the fontsize here
get_plot_area().plot.ax_heatmap.set_xticklabels(np.arange(0, recording_time, interval), fontdict={'fontsize': 4})

# Set a title for the x axis. You can change the fontsize here
get_plot_area().plot.ax_heatmap.set_xlabel('Time (seconds)', fontdict={'fontsize': 6})

# Draw the plot with these changes
get_plot_area().draw()
""")
    ax = window.plot_area.plot.ax_heatmap
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "30", "60", "90"]
    np.testing.assert_array_equal(ax.get_xticks(), [0, 300, 600, 900])
    assert ax.get_xlabel() == "Time (seconds)"

    window.set_input(get_operation("RFFT")(synthetic(), data_column="_RAW_CURVE"))
    assert window.data_column_combo.currentText() == "_RAW_CURVE"  # a valid choice is kept
    window.data_column_combo.setCurrentText("_RFFT")
    assert window.update_plot()
    run(window, """
from mesmerize.analysis import get_frequency_linspace
import numpy as np

# Get frequency linspace and Nyquist frequency
freqs, nf = get_frequency_linspace(this.transmission)

# Get the number of frequencies currently shown in the heatmap
num_freqs = get_plot_area().data.shape[1]

# The max frequency currently display in the heatmap
max_freq = freqs[num_freqs - 1]

# Set an appropriate interval
interval = 0.25 # This is in Hertz

# Set the tick labels
# Set the new ticks
get_plot_area().plot.ax_heatmap.set_xticks(np.arange(0, num_freqs, (num_freqs * interval) / max_freq))

# You can change the fontsize here
get_plot_area().plot.ax_heatmap.set_xticklabels(np.arange(0, max_freq, interval), fontdict={'fontsize': 4})

# Set a title for the x axis. You can change the fontsize here
get_plot_area().plot.ax_heatmap.set_xlabel('Frequency (Hertz)', fontdict={'fontsize': 6})

# Draw the plot with these changes
get_plot_area().draw()
""")
    ax = window.plot_area.plot.ax_heatmap
    assert len(ax.get_xticks()) == 20 and ax.get_xticklabels()[4].get_text() == "1.0"
    assert ax.get_xlabel() == "Frequency (Hertz)"


def test_guide_console_colorbar_and_axes_visibility_examples(window):
    window.set_input(fcluster(zscore(synthetic(n=9, length=200))))
    console = window.show_console()
    console.execute("get_plot_area().plot.cax.set_title('norm. z-score', x=-0.25, y=0.65, "
                    "fontdict={'fontsize': 6}, rotation=90)\nget_plot_area().draw()")
    assert window.plot_area.plot.cax.get_title() == "norm. z-score"
    plot = window.plot_area.plot
    run(window, """
get_plot_area().plot.ax_col_dendrogram.set_visible(False)
get_plot_area().draw()
""")
    assert not plot.ax_col_dendrogram.get_visible()
    run(window, """
get_plot_area().plot.ax_heatmap.get_yaxis().set_visible(False)
get_plot_area().draw()
""")
    assert not plot.ax_heatmap.get_yaxis().get_visible()
    run(window, """
get_plot_area().plot.cax.set_visible(False)
get_plot_area().draw()
""")
    assert not plot.cax.get_visible()


def test_large_input_keeps_full_data_and_draws_a_reduced_image(window):
    rng = np.random.default_rng(2)
    df = pd.DataFrame({"_X": list(rng.standard_normal((4000, 600)).astype(np.float32))})
    window.set_input(Transmission.from_dataframe(df, last_output="_X"))
    assert window.plot_area.data.shape == (4000, 600)
    window.plot_area.draw()
    assert window.plot_area.plot.image.get_array().shape[0] < 4000


def test_rendered_window_png(window, demo_t, qtbot, tmp_path):
    window.set_input(fcluster(zscore(demo_t)))
    window.labels_column_combo.setCurrentText("cell_type")
    window.update_plot()
    window.select_row(2)
    qtbot.wait(100)
    path = tmp_path / "heatmap_window.png"
    window.grab().save(str(path))
    assert path.stat().st_size > 20_000
