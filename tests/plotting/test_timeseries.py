"""mesmerize.plotting.timeseries: mean with t-distribution CI or SD against numpy/scipy, groups
of a categorical column, time axis in seconds, the drawn figure and the Simple Plot curves."""
from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy import stats

from mesmerize.core.errors import ParameterError
from mesmerize.plotting.timeseries import (draw_curves, draw_timeseries, mean_band, time_axis,
                                           timeseries_groups)

matplotlib.use("Agg")


def normalized_t(n_per: int = 6, length: int = 80, seed: int = 0):
    """Normalize output of noisy sine (``stim``) and ramp (``rest``) curves at 5 Hz."""
    from mesmerize.analysis import Transmission, get_operation

    rng = np.random.default_rng(seed)
    x = np.linspace(0, 2 * np.pi, length)
    curves = [np.sin(x) * 3 + 5 + rng.normal(0, 0.3, length) for _ in range(n_per)]
    curves += [x + 1 + rng.normal(0, 0.3, length) for _ in range(n_per)]
    df = pd.DataFrame({"_RAW_CURVE": curves, "meta": [{"fps": 5.0}] * (2 * n_per),
                       "condition": ["stim"] * n_per + ["rest"] * n_per})
    t = Transmission.from_dataframe(df)
    return get_operation("Normalize")(t, data_column="_RAW_CURVE")


def test_ci_is_the_t_interval_of_the_mean():
    rng = np.random.default_rng(1)
    curves = rng.normal(2.0, 1.5, (9, 30))
    mean, low, high = mean_band(curves, "ci", 0.9)
    np.testing.assert_allclose(mean, curves.mean(axis=0), rtol=1e-14)
    for j in (0, 7, 29):
        ref = stats.t.interval(0.9, 8, loc=curves[:, j].mean(), scale=stats.sem(curves[:, j]))
        assert (low[j], high[j]) == pytest.approx(ref, rel=1e-12)


def test_sd_band_and_none():
    curves = np.array([[1.0, 2.0, 4.0], [3.0, 2.0, 8.0], [5.0, 2.0, 0.0]])
    mean, low, high = mean_band(curves, "sd")
    sd = curves.std(axis=0, ddof=1)
    np.testing.assert_allclose(low, curves.mean(axis=0) - sd)
    np.testing.assert_allclose(high, curves.mean(axis=0) + sd)
    assert mean_band(curves, "none")[1:] == (None, None)


def test_nan_samples_are_left_out_and_single_curves_have_no_band():
    curves = np.array([[1.0, np.nan], [3.0, 4.0], [5.0, 6.0]])
    mean, low, high = mean_band(curves, "ci")
    np.testing.assert_allclose(mean, [3.0, 5.0])
    ref = stats.t.interval(0.95, 1, loc=5.0, scale=stats.sem([4.0, 6.0]))
    assert (low[1], high[1]) == pytest.approx(ref, rel=1e-12)
    one = mean_band(np.array([[1.0, 2.0]]), "sd")
    assert np.all(np.isnan(one[1])) and np.all(np.isnan(one[2]))
    with pytest.raises(ParameterError, match="sample 1 is NaN in every curve"):
        mean_band(np.array([[1.0, np.nan]]), "ci")


@pytest.mark.parametrize("kwargs, match", [
    ({"error": "sem"}, "error must be one of"),
    ({"confidence": 95}, "confidence must be between 0 and 1"),
])
def test_bad_band_arguments(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        mean_band(np.ones((2, 3)), **kwargs)


def test_groups_of_normalize_output():
    t = normalized_t()
    groups = timeseries_groups(t.df, "_NORMALIZE", "condition", error="sd")
    assert [(g.label, g.n) for g in groups] == [("rest", 6), ("stim", 6)]
    stim = np.stack(t.df._NORMALIZE[t.df.condition == "stim"])
    np.testing.assert_allclose(groups[1].mean, stim.mean(axis=0), rtol=1e-13)
    np.testing.assert_allclose(groups[1].high - groups[1].mean, stim.std(axis=0, ddof=1),
                               rtol=1e-12)
    whole = timeseries_groups(t.df, "_NORMALIZE", None, error="ci")
    assert [(g.label, g.n) for g in whole] == [("all", 12)]
    with pytest.raises(ParameterError, match="different lengths"):
        df = t.df.copy()
        df.at[0, "_NORMALIZE"] = df.at[0, "_NORMALIZE"][:10]
        timeseries_groups(df, "_NORMALIZE")
    with pytest.raises(ParameterError, match="complex"):
        df = t.df.copy()
        df["_C"] = [a + 1j for a in df._NORMALIZE]
        timeseries_groups(df, "_C")
    with pytest.raises(ParameterError, match="no rows"):
        timeseries_groups(t.df.iloc[:0], "_NORMALIZE")


def test_time_axis_and_drawing(tmp_path):
    from mesmerize.analysis import get_sampling_rate

    t = normalized_t()
    x, label = time_axis(80, get_sampling_rate(t))
    assert label == "time (s)" and x[1] == pytest.approx(0.2) and x[-1] == pytest.approx(15.8)
    assert time_axis(3)[1] == "frame"
    with pytest.raises(ParameterError, match="sampling rate"):
        time_axis(3, 0.0)
    fig = Figure()
    ax = fig.add_subplot()
    groups = timeseries_groups(t.df, "_NORMALIZE", "condition")
    draw_timeseries(ax, groups, x)
    assert len(ax.lines) == 2 and len(ax.collections) == 2
    np.testing.assert_allclose(ax.lines[1].get_ydata(), groups[1].mean)
    assert [tx.get_text() for tx in ax.get_legend().get_texts()] == ["rest (n=6)", "stim (n=6)"]
    fig.savefig(tmp_path / "ts.png")


def test_simple_plot_draws_every_array_even_of_different_lengths():
    t = normalized_t(n_per=2)
    df = t.df.copy()
    df.at[1, "_NORMALIZE"] = df.at[1, "_NORMALIZE"][:40]
    fig = Figure()
    ax = fig.add_subplot()
    assert draw_curves(ax, df, "_NORMALIZE", sampling_rate=5.0) == 4
    assert [line.get_xdata().size for line in ax.lines] == [80, 40, 80, 80]
    np.testing.assert_array_equal(ax.lines[2].get_ydata(), df._NORMALIZE[2])
    assert ax.get_xlabel() == "time (s)" and ax.get_ylabel() == "_NORMALIZE"
    with pytest.raises(ParameterError, match="1-D numerical arrays"):
        draw_curves(ax, df, "condition")
