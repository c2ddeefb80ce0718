"""mesmerize.plotting.proportions: cross-tabulation against pandas.crosstab, percentages,
swapping, drawing, CSV export."""
from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from mesmerize.core.errors import ParameterError
from mesmerize.plotting.proportions import (
    categorical_columns, draw_proportions, export_proportions_csv, proportions_table,
)

matplotlib.use("Agg")


def frame(n: int = 200, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "stim": rng.choice(["dark", "light", "touch"], n),
        "cluster": rng.integers(0, 4, n),
        "curve": [np.zeros(3)] * n,
    })


def test_counts_equal_pandas_crosstab():
    df = frame()
    table = proportions_table(df, "stim", "cluster", percentages=False)
    pd.testing.assert_frame_equal(table, pd.crosstab(df["stim"], df["cluster"]))
    assert table.to_numpy().sum() == len(df)


def test_percentages_sum_to_100_per_x_group():
    df = frame()
    table = proportions_table(df, "stim", "cluster", percentages=True)
    expected = pd.crosstab(df["stim"], df["cluster"], normalize="index") * 100.0
    pd.testing.assert_frame_equal(table, expected, atol=1e-12, rtol=0)
    np.testing.assert_allclose(table.sum(axis=1), 100.0, atol=1e-10)
    assert list(table.index) == ["dark", "light", "touch"]
    assert table.index.name == "stim" and table.columns.name == "cluster"


def test_swap_is_the_transposed_count_table():
    df = frame()
    counts = proportions_table(df, "stim", "cluster", percentages=False)
    swapped = proportions_table(df, "cluster", "stim", percentages=False)
    pd.testing.assert_frame_equal(swapped, counts.T)
    pct = proportions_table(df, "cluster", "stim")
    np.testing.assert_allclose(pct.sum(axis=1), 100.0, atol=1e-10)


def test_missing_labels_are_left_out():
    df = pd.DataFrame({"a": ["x", "x", None, "y"], "b": ["p", None, "q", "q"]})
    table = proportions_table(df, "a", "b", percentages=False)
    assert table.to_numpy().sum() == 2
    pd.testing.assert_frame_equal(table, pd.crosstab(df["a"], df["b"]))


def test_bad_columns_raise_parameter_errors():
    df = frame(20)
    with pytest.raises(ParameterError, match="not a column"):
        proportions_table(df, "nope", "cluster")
    with pytest.raises(ParameterError, match="holds arrays"):
        proportions_table(df, "curve", "cluster")
    with pytest.raises(ParameterError, match="same column"):
        proportions_table(df, "stim", "stim")
    with pytest.raises(ParameterError, match="nothing"):
        proportions_table(pd.DataFrame({"a": [None], "b": ["x"]}), "a", "b")


def test_categorical_columns_skip_arrays():
    assert categorical_columns(frame(10)) == ["stim", "cluster"]


@pytest.mark.parametrize("percentages", [True, False])
def test_bar_plot_stacks_each_y_category(tmp_path, percentages):
    df = frame()
    table = proportions_table(df, "stim", "cluster", percentages=percentages)
    fig = Figure()
    ax = fig.add_subplot()
    draw_proportions(ax, table, "bar", percentages)
    assert len(ax.containers) == 4  # one bar container per cluster
    tops = np.sum([[p.get_height() for p in c] for c in ax.containers], axis=0)
    np.testing.assert_allclose(tops, table.sum(axis=1), atol=1e-9)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0", "1", "2", "3"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["dark", "light", "touch"]
    assert ax.get_ylabel() == ("%" if percentages else "count")
    fig.savefig(tmp_path / "bar.png")


def test_heatmap_shows_the_table_transposed(tmp_path):
    table = proportions_table(frame(), "stim", "cluster")
    fig = Figure()
    ax = fig.add_subplot()
    draw_proportions(ax, table, "heatmap", True)
    np.testing.assert_allclose(ax.images[0].get_array(), table.to_numpy().T)
    assert len(ax.texts) == table.size
    fig.savefig(tmp_path / "heat.png")
    with pytest.raises(ParameterError, match="plot kind"):
        draw_proportions(ax, table, "pie")


def test_csv_export_round_trips_and_refuses_overwrite(tmp_path):
    table = proportions_table(frame(), "stim", "cluster")
    path = export_proportions_csv(table, tmp_path / "p.csv")
    back = pd.read_csv(path, index_col=0)
    np.testing.assert_allclose(back.to_numpy(), table.to_numpy(), atol=1e-9)
    assert list(back.columns) == ["0", "1", "2", "3"] and back.index.name == "stim"
    with pytest.raises(ParameterError, match="exists"):
        export_proportions_csv(table, path)
    export_proportions_csv(table * 0, path, overwrite=True)
    assert pd.read_csv(path, index_col=0).to_numpy().sum() == 0
    assert [p.name for p in tmp_path.iterdir()] == ["p.csv"]  # no temporary files left
