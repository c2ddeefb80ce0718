"""TimeSeries widget: mean with CI / SD band per group of Normalize output, x axis in seconds
from the sampling rate (frames without one), problems in the status label, state, console
export (the guide's matplotlib export example) and the rendered window."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mesmerize.analysis import Transmission
from mesmerize.core.errors import FormatVersionError, ParameterError
from mesmerize.gui.plots.timeseries import TimeSeriesWidget
from tests.plotting.test_timeseries import normalized_t

EXPORT_EXAMPLE = """\
# Desired size (width, height)
size = (2.0, 2.5)

# Get the figure
fig = get_plot_area().fig

# original size to reset the figure after we save it
orig_size = fig.get_size_inches()

#Set the desired size
fig.set_size_inches(size)

# Save the figure as a png file with 1200 dpi
fig.savefig('{path}', dpi=1200, bbox_inches='tight', pad_inches=0)

# Reset the figure size and draw()
fig.set_size_inches(orig_size)
get_plot_area().draw()
"""


@pytest.fixture(scope="module")
def norm():
    return normalized_t()


@pytest.fixture
def widget(qtbot):
    w = TimeSeriesWidget()
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close()


def test_groups_mean_and_ci_in_seconds(widget, norm, tmp_path):
    widget.set_input(norm)
    assert widget.data_column.value() == "_NORMALIZE"  # the input's last output
    widget.set_plot_state({"group_column": "condition", "error": "ci", "confidence": 0.9})
    assert widget.update_plot(), widget.status.text()
    ax = widget.plot_area.ax
    assert ax.get_xlabel() == "time (s)" and "x axis in time (s)" in widget.status.text()
    rest_line, stim_line = ax.lines
    np.testing.assert_allclose(stim_line.get_xdata(), np.arange(80) / 5.0)
    stim = np.stack(norm.df._NORMALIZE[norm.df.condition == "stim"])
    np.testing.assert_allclose(stim_line.get_ydata(), stim.mean(axis=0), rtol=1e-13)
    group = widget.plot_area.groups[1]
    low, high = stats.t.interval(0.9, 5, loc=stim.mean(axis=0), scale=stats.sem(stim, axis=0))
    np.testing.assert_allclose(group.low, low, rtol=1e-12)
    np.testing.assert_allclose(group.high, high, rtol=1e-12)
    assert len(ax.collections) == 2  # one shaded band per group
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["rest (n=6)", "stim (n=6)"]
    path = tmp_path / "timeseries.png"
    assert widget.grab().save(str(path)) and path.stat().st_size > 10_000


def test_sd_no_band_and_frames_without_sampling_rate(widget, norm):
    df = norm.df.drop(columns="meta")
    widget.set_input(Transmission.from_dataframe(df))
    widget.set_plot_state({"data_column": "_NORMALIZE", "group_column": None, "error": "sd"})
    assert widget.update_plot()
    ax = widget.plot_area.ax
    assert ax.get_xlabel() == "frame" and len(ax.lines) == 1
    curves = np.stack(df._NORMALIZE)
    group = widget.plot_area.groups[0]
    np.testing.assert_allclose(group.high - group.mean, curves.std(axis=0, ddof=1), rtol=1e-12)
    assert not widget.confidence.isEnabled()
    widget.set_plot_state({"error": "none"})
    assert widget.update_plot() and len(widget.plot_area.ax.collections) == 0


def test_problems_state_and_console_export(widget, norm, tmp_path):
    widget.set_input(norm)
    widget.set_plot_state({"data_column": "_RAW_CURVE", "group_column": "condition"})
    bad = norm.df.copy()
    bad.at[0, "_RAW_CURVE"] = bad.at[0, "_RAW_CURVE"][:20]
    widget.set_input(Transmission.from_dataframe(bad))
    assert widget.status.is_problem and "SpliceArrays" in widget.status.text()
    widget.set_input(norm)
    state = widget.get_plot_state()
    assert state == {"data_column": "_RAW_CURVE", "group_column": "condition", "error": "ci",
                     "confidence": 0.95, "cmap": "tab10"}
    with pytest.raises(FormatVersionError, match="no controls"):
        widget.set_plot_state({"smooth": 1})
    with pytest.raises(ParameterError, match="error must be one of"):
        widget.set_plot_state({"error": "sem"})
    out = tmp_path / "timeseries_export.png"
    exec(EXPORT_EXAMPLE.format(path=out), widget.console_namespace())
    assert out.stat().st_size > 1000
    assert tuple(widget.plot_area.fig.get_size_inches()) != (2.0, 2.5)
    assert TimeSeriesWidget.plot_kind == "timeseries" and not TimeSeriesWidget.saves_ptrn


def test_no_rows_is_a_status_problem(widget, norm):
    widget.set_input(norm.with_df(pd.DataFrame(columns=norm.df.columns)))
    assert widget.status.is_problem and "no rows" in widget.status.text()
