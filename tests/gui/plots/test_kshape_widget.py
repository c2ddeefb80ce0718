"""KShapeWidget: training in a worker thread (event loop keeps running), results equal to
fit_kshape (itself checked against tslearn), the three plots, the guide's console examples run
verbatim, .ptrn round trip, problems in the status label, PNG rendering.

tslearn compiles its numba kernels on the first fit of a process (about 30 s on this machine);
the later fits take well under a second.
"""
from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd
import pytest
from qtpy import QtCore

from mesmerize.analysis.registry import get_operation
from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import FormatVersionError, ParameterError
from mesmerize.gui.plots.kshape import KShapeWidget
from mesmerize.plotting.kshape import fit_kshape, zscore_curves

TRAIN_TIMEOUT_MS = 180_000
PARAMS = {"data_column": "_SCALER_MEAN_VARIANCE", "n_clusters": 3, "max_iter": 10,
          "tol": 1e-6, "n_init": 1, "random_state": 1, "train_subset": 1.0}


def input_t(n_per: int = 20) -> Transmission:
    """``3 * n_per`` curves (peak, sine, ramp) of 50 samples at 2 Hz, scaled by the
    ScalerMeanVariance node, with stimulus and cell type columns."""
    rng = np.random.default_rng(0)
    x = np.arange(50)
    protos = [np.exp(-((x - 25) ** 2) / 10.0), np.sin(2 * np.pi * x / 25), x / 50]
    rows = [3.0 * protos[i % 3] + 0.05 * rng.standard_normal(50) + rng.uniform(0, 2)
            for i in range(3 * n_per)]
    df = pd.DataFrame({"_RAW_CURVE": rows,
                       "stimulus": rng.choice(["dark", "light"], 3 * n_per),
                       "cell_type": rng.choice(["neuron", "glia", "other"], 3 * n_per),
                       "meta": [{"fps": 2.0}] * (3 * n_per)})
    t = Transmission.from_dataframe(df)
    return get_operation("ScalerMeanVariance")(t, data_column="_RAW_CURVE")


def train(window: KShapeWidget, qtbot, **params) -> None:
    window.set_plot_state({**PARAMS, **params})
    with qtbot.waitSignal(window.training_finished, timeout=TRAIN_TIMEOUT_MS):
        window.start_training()


@pytest.fixture
def window(qtbot):
    w = KShapeWidget()
    qtbot.addWidget(w)
    w.show()
    yield w
    if w.trainer is not None:
        w.trainer.wait()
    w.close()


def test_training_runs_in_a_thread_and_matches_fit_kshape(window, qtbot):
    t = input_t()
    window.set_input(t)
    assert "Not trained yet" in window.status.text()
    assert window.data_column.value() == "_SCALER_MEAN_VARIANCE"  # the input's last output
    ticks = []
    timer = QtCore.QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(20)
    window.set_plot_state(PARAMS)
    with qtbot.waitSignal(window.training_finished, timeout=TRAIN_TIMEOUT_MS):
        window.start_training()
        assert window.is_training() and not window.start_button.isEnabled()
        assert "Training k-Shape" in window.status.text()
        rerun = t.with_df(t.df.assign(cell_type="x"))  # a re-run, the same curves
        window.set_input(rerun)
        assert "Training k-Shape" in window.status.text()
    timer.stop()
    assert len(ticks) >= 3  # the event loop kept running during training
    assert window.start_button.isEnabled() and not window.status.is_problem
    assert set(window.get_plot_proportions().transmission.df["cell_type"]) == {"x"}

    ref = fit_kshape(rerun, **PARAMS)
    res = window.result
    np.testing.assert_array_equal(res.labels, ref.labels)
    np.testing.assert_allclose(window.cluster_centers, ref.cluster_centers, atol=1e-12)
    assert window.cluster_centers.shape == (3, 50)
    assert "60 curves in 3 clusters" in window.status.text()

    curves = zscore_curves(np.stack(t.df["_SCALER_MEAN_VARIANCE"]))
    means = window.get_plot_means()
    assert (means.nrows, means.ncols) == (1, 3) and means.axs.shape == (1, 3)
    for i in range(3):
        ax = means.axs[0, i]
        np.testing.assert_allclose(ax.lines[0].get_ydata(),
                                   curves[res.labels == i].mean(axis=0), atol=1e-12)
        assert len(ax.collections) == 1  # the CI band

    window.plot_cluster.setCurrentIndex(2)
    window.max_num_curves.setValue(4)
    raw = window.get_plot_raw()
    members = curves[res.labels == 2]
    shown = [line.get_ydata() for line in raw.ax.lines[:-1]]
    assert len(shown) == min(4, len(members))
    assert all(any(np.allclose(s, m) for m in members) for s in shown)
    np.testing.assert_array_equal(raw.ax.lines[-1].get_ydata(), res.cluster_centers[2])
    window.show_centers.setChecked(False)
    assert len(raw.ax.lines) == len(shown)

    props = window.get_plot_proportions()
    assert props.y_column.value() == "KSHAPE_CLUSTER"
    np.testing.assert_array_equal(props.transmission.df["KSHAPE_CLUSTER"], res.labels)
    expected = pd.crosstab(t.df[props.x_column.value()], res.labels, normalize="index") * 100
    np.testing.assert_allclose(props.table.to_numpy(), expected.to_numpy(), atol=1e-9)


def test_plot_options_redraw_the_means(window, qtbot):
    t = input_t()
    window.set_input(t)
    train(window, qtbot)
    window.error_band.setCurrentIndex(window.error_band.findData("none"))
    assert all(len(ax.collections) == 0 for ax in window.get_plot_means().axs.ravel())
    window.error_band.setCurrentIndex(window.error_band.findData("sd"))
    window.x_zero_maxima.setChecked(True)
    ax = window.get_plot_means().axs[0, 0]
    x = ax.lines[0].get_xdata()
    assert x.min() < 0 < x.max()  # aligned at each curve's maximum
    assert "maximum" in window.get_plot_means().fig.get_supxlabel()


def test_new_input_forgets_the_clustering_unless_the_curves_are_the_same(window, qtbot):
    t = input_t()
    window.set_input(t)
    train(window, qtbot)
    labels = window.result.labels.copy()
    rerun = t.with_df(t.df.assign(stimulus="dark"))  # the flowchart re-ran, curves unchanged
    window.set_input(rerun)
    np.testing.assert_array_equal(window.result.labels, labels)
    props = window.get_plot_proportions()
    assert set(props.transmission.df["stimulus"]) == {"dark"}
    assert props.table.shape[0] == 1 and "60 curves" in window.status.text()
    window.set_input(input_t(n_per=10))
    assert window.result is None and "Not trained yet" in window.status.text()
    assert window.plot_cluster.count() == 0
    assert window.get_plot_proportions().table is None
    with pytest.raises(ParameterError, match="not trained"):
        window.cluster_centers


def test_problems_go_to_the_status_label(window, qtbot):
    window.start_training()
    assert window.status.is_problem and "no input" in window.status.text()
    window.set_input(input_t(n_per=2))
    train(window, qtbot, n_clusters=50)
    assert window.status.is_problem and "n_clusters" in window.status.text()
    assert window.result is None and window.start_button.isEnabled()
    window.tol.setText("abc")
    window.start_training()
    assert window.status.is_problem and "tol" in window.status.text()
    window.set_input(input_t())
    with qtbot.waitSignal(window.training_finished, timeout=TRAIN_TIMEOUT_MS):
        window.set_plot_state(PARAMS)
        window.start_training()
        window.set_input(input_t(n_per=10))  # other curves arrive during training
    assert window.result is None and "input changed during training" in window.status.text()
    window.set_input(None)  # the flowchart's input was disconnected
    assert window.status.is_problem and window.data_column.count() == 0


def test_ptrn_round_trip(window, qtbot, tmp_path):
    window.set_input(input_t())
    train(window, qtbot, train_subset=0.5)
    window.plot_cluster.setCurrentIndex(1)
    window.error_band.setCurrentIndex(window.error_band.findData("sd"))
    window.get_plot_proportions().heatmap_button.setChecked(True)
    path = window.save_ptrn(tmp_path / "k.ptrn")

    other = KShapeWidget()
    qtbot.addWidget(other)
    other.load_ptrn(path)
    assert other.get_plot_state() == window.get_plot_state()
    for name in ("labels", "cluster_centers", "training_rows"):
        np.testing.assert_array_equal(getattr(other.result, name), getattr(window.result, name))
    assert other.result.inertia == window.result.inertia
    assert other.result.training_rows.size == 30
    for a, b in zip(other.get_plot_means().axs.ravel(), window.get_plot_means().axs.ravel()):
        for la, lb in zip(a.lines, b.lines):
            np.testing.assert_array_equal(la.get_ydata(), lb.get_ydata())
    pd.testing.assert_frame_equal(other.get_plot_proportions().table,
                                  window.get_plot_proportions().table)
    assert other.plot_cluster.currentIndex() == 1
    assert "60 curves in 3 clusters" in other.status.text()
    other.close()
    with pytest.raises(FormatVersionError, match="no controls"):
        window.set_plot_state({"bins": 2})
    with pytest.raises(ParameterError, match="invalid"):
        window.set_plot_state({"n_clusters": "many"})


GUIDE_SET_AXIS_RANGES = """from itertools import product

# Get the means plot
plot = get_plot_means()

# Get the indices of the subplots
ixs = product(range(plot.nrows), range(plot.ncols))

# Set the same x & y axis limits for all subplots
for ix in ixs:

    # The subplot axes
    ax = plot.axs[ix]

    # Set the y limits
    ax.set_ylim([-2, 15.5])

    # Set the x limits
    ax.set_xlim([-30, 1000])

    # Remove the top & right plot spins
    ax.spines['right'].set_visible(False)
    ax.spines['top'].set_visible(False)

# Set a tight layout
plot.fig.tight_layout()

# Draw the plot
plot.draw()
"""

GUIDE_X_TICK_LABELS = """import numpy as np
from itertools import product
from mesmerize.analysis import get_sampling_rate

# Get the sampling rate of the data
sampling_rate = get_sampling_rate(this.transmission)

# Get the padded number of frames that are shown in the plots
num_frames = this.cluster_centers.shape[1]

# Set an appropriate interval
interval = 5 # This is in seconds, not frames

# Convert the padded frame number to time units
total_time = int(num_frames / sampling_rate)

ixs = product(range(4), range(3))

# Set these time units for all the means plots
# For the raw plots just remove the loop
for ix in ixs:
    # Get the axes
    ax = get_plot_means().axs[ix]

    # Set the new ticks
    ax.set_xticks(np.arange(0, num_frames, interval * sampling_rate))

    # Set the tick labels
    # You can change the fontsize here
    ax.set_xticklabels(np.arange(0, total_time, interval), fontdict={'fontsize': 4}, rotation=90)

    # Set a title for the x axis. You can change the fontsize here
    ax.set_xlabel('Time (seconds)', fontdict={'fontsize': 6})

    # Set ylabel as well
    ax.set_ylabel('z-score', fontdict={'fontsize': 6})

# Set a tight layout
get_plot_means().fig.tight_layout()

# Draw the plot with these changes
get_plot_means().draw()
"""

GUIDE_HIDE_LEGEND = """get_plot_proportions().ax.legend().set_visible(True)
get_plot_proportions().draw()
"""

GUIDE_EXPORT = """# Desired size (width, height)
size = (7.0, 10.0)

# Get the figure
fig = get_{plot}().fig

# original size to reset the figure after we save it
orig_size = fig.get_size_inches()

#Set the desired size
fig.set_size_inches(size)

# Save the figure as an png file with 600 dpi
fig.savefig({path!r}, dpi=600, bbox_inches='tight', pad_inches=0)

# Reset the figure size and draw
fig.set_size_inches(orig_size)
get_{plot}().draw()
"""


def test_guide_console_examples_with_12_clusters(window, qtbot, tmp_path):
    window.set_input(input_t())
    train(window, qtbot, n_clusters=12, max_iter=3)
    assert window.result is not None, window.status.details
    plot = window.get_plot_means()
    assert (plot.nrows, plot.ncols) == (4, 3)
    ns = window.console_namespace()
    assert {"this", "get_plot_means", "get_plot_raw", "get_plot_proportions"} <= set(ns)
    assert ns["this"].transmission is window.transmission

    exec(GUIDE_SET_AXIS_RANGES, dict(ns))
    for ix in product(range(4), range(3)):
        assert plot.axs[ix].get_ylim() == (-2, 15.5) and plot.axs[ix].get_xlim() == (-30, 1000)
        assert not plot.axs[ix].spines["top"].get_visible()

    exec(GUIDE_X_TICK_LABELS, dict(ns))
    ax = plot.axs[3, 2]
    np.testing.assert_array_equal(ax.get_xticks(), np.arange(0, 50, 10))
    assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "5", "10", "15", "20"]
    assert ax.get_xlabel() == "Time (seconds)" and ax.get_ylabel() == "z-score"

    exec(GUIDE_HIDE_LEGEND, dict(ns))
    assert window.get_plot_proportions().ax.get_legend().get_visible()

    for name in ("plot_means", "plot_raw", "plot_proportions"):
        out = tmp_path / f"{name}.png"
        exec(GUIDE_EXPORT.format(plot=name, path=str(out)), dict(ns))
        assert out.stat().st_size > 10000
    assert tuple(window.get_plot_means().fig.get_size_inches()) != (7.0, 10.0)
    window.resize(1600, 950)
    assert window.grab().save(str(tmp_path / "kshape_12_clusters.png"))


def test_console_dock_runs_the_namespace(window, qtbot):
    window.set_input(input_t())
    train(window, qtbot)
    console = window.show_console()
    console.execute("n = this.cluster_centers.shape[0]; get_plot_raw().ax.set_title(f'{n} x')")
    assert window.get_plot_raw().ax.get_title() == "3 x"


def test_render_png(window, qtbot, tmp_path):
    window.set_input(input_t())
    train(window, qtbot, n_clusters=4)
    window.plot_cluster.setCurrentIndex(1)
    window.resize(1600, 950)
    assert window.grab().save(str(tmp_path / "kshape.png"))
