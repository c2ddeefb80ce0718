"""mesmerize.plotting.scatter: [x, y] points from LDA output or X/Y columns, log10 with clear
errors, category colours and symbols, the exported table and the matplotlib figure."""
from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from mesmerize.core.errors import ParameterError
from mesmerize.plotting.scatter import (SYMBOLS, build_scatter_figure, category_colors,
                                        category_symbols, log10_checked, scatter_data,
                                        scatter_points, scatter_table)
from mesmerize.plotting.utils import get_colormap

matplotlib.use("Agg")


def lda_t():
    """LDA (2 components) of three families of shapes: ``_LDA_TRANSFORM`` holds [x, y] per
    row, ``group`` the true family, ``LDA_PREDICTED_LABELS`` is on the 'predicted' output."""
    from mesmerize.analysis.ops.node_spec import get_node_spec
    from tests.analysis.test_ops_clustering import shapes_t

    t = shapes_t(n_per=10, length=12, seed=2)
    out = get_node_spec("LDA")(t, t, train_data=["_X", "n"], labels="group", solver="svd",
                               n_components=2)
    result = out["T"]
    result.df["_AMP"] = np.abs(np.stack(result.df._LDA_TRANSFORM)[:, 0]) + 0.5
    result.df["_NEG"] = np.stack(result.df._LDA_TRANSFORM)[:, 1]
    return result


def test_points_from_lda_transform_column():
    df = lda_t().df
    xy = scatter_points(df, data_column="_LDA_TRANSFORM")
    np.testing.assert_array_equal(xy, np.stack(df._LDA_TRANSFORM))
    # the LDA separates the three families: group means are far apart relative to the spread
    means = np.array([xy[df.group.to_numpy() == g].mean(axis=0) for g in "abc"])
    spread = max(xy[df.group.to_numpy() == g].std(axis=0).max() for g in "abc")
    gaps = [np.linalg.norm(means[i] - means[j]) for i, j in ((0, 1), (0, 2), (1, 2))]
    assert min(gaps) > 3 * spread


def test_points_from_x_and_y_columns_and_log_axes():
    df = lda_t().df
    xy = scatter_points(df, x_column="_AMP", y_column="n", log_x=True)
    np.testing.assert_allclose(xy[:, 0], np.log10(df._AMP.to_numpy()), rtol=1e-15)
    np.testing.assert_array_equal(xy[:, 1], df.n.to_numpy())
    with pytest.raises(ParameterError, match=r"log y: .*zero or negative.*row 0 is 0"):
        scatter_points(df, x_column="_AMP", y_column="n", log_y=True)
    with pytest.raises(ParameterError, match="log x"):
        scatter_points(df, data_column="_LDA_TRANSFORM", log_x=True)


def test_log10_keeps_nan_and_names_the_axis():
    out = log10_checked(np.array([1.0, np.nan, 100.0]), "x")
    np.testing.assert_array_equal(out[[0, 2]], [0.0, 2.0])
    assert np.isnan(out[1])
    with pytest.raises(ParameterError, match=r"log x: 2 value\(s\).*row 1 is -1"):
        log10_checked(np.array([1.0, -1.0, 0.0]), "x")


@pytest.mark.parametrize("kwargs, match", [
    ({}, "choose a Data Column"),
    ({"x_column": "_AMP"}, "choose a Data Column"),
    ({"data_column": "_LDA_TRANSFORM", "x_column": "_AMP"}, "not both"),
    ({"data_column": "_X"}, r"\[x, y\] arrays of 2 numbers.*shape \(12,\)"),
    ({"data_column": "_AMP"}, "row 0 holds float"),
    ({"x_column": "_X", "y_column": "n"}, "one number per row"),
    ({"x_column": "nope", "y_column": "n"}, "'nope' is not a column"),
])
def test_bad_point_sources(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        scatter_points(lda_t().df, **kwargs)


def test_colours_and_symbols_by_category():
    df = lda_t().df
    colours, legend = category_colors(df, "group", "tab10", alpha=0.5)
    assert legend == get_colormap(["a", "b", "c"], "tab10", alpha=0.5)
    assert [colours[i] for i in (0, 10, 20)] == [legend["a"], legend["b"], legend["c"]]
    assert all(c[3] == 0.5 for c in colours)
    symbols, shapes = category_symbols(df, "group")
    assert shapes == {"a": SYMBOLS[0], "b": SYMBOLS[1], "c": SYMBOLS[2]}
    assert symbols[25] == SYMBOLS[2]
    plain, empty = category_colors(df, None, alpha=0.3)
    assert empty == {} and len(set(plain)) == 1 and plain[0][3] == 0.3
    assert category_symbols(df, None) == (["o"] * len(df), {})
    many = pd.DataFrame({"k": [f"k{i:02d}" for i in range(12)]})
    assert category_symbols(many, "k")[1]["k10"] == SYMBOLS[0]  # shapes repeat beyond 10
    with pytest.raises(ParameterError, match="alpha"):
        category_colors(df, "group", alpha=1.5)
    with pytest.raises(ParameterError, match="missing values"):
        category_colors(pd.DataFrame({"k": ["a", None]}), "k")


def test_table_and_figure(tmp_path):
    df = lda_t().df.iloc[::2]  # a filtered frame keeps its index labels
    data = scatter_data(df, data_column="_LDA_TRANSFORM", colors_column="group",
                        shapes_column="group", alpha=0.8)
    assert data.xlabel == "_LDA_TRANSFORM [x]" and data.ylabel == "_LDA_TRANSFORM [y]"
    table = scatter_table(df, data, "group", "group", "n")
    assert list(table["index"]) == list(df.index)
    np.testing.assert_array_equal(table[["x", "y"]].to_numpy(), np.stack(df._LDA_TRANSFORM))
    assert list(table.group) == list(df.group)
    assert list(table.columns) == ["index", "x", "y", "group", "n"]
    fig = build_scatter_figure(data, spot_size=8, title="LDA")
    ax = fig.axes[0]
    offsets = np.concatenate([c.get_offsets() for c in ax.collections])
    np.testing.assert_allclose(np.sort(offsets[:, 0]), np.sort(data.xy[:, 0]))
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [f"group: {g}" for g in "abc"] * 2
    fig.savefig(tmp_path / "scatter.png")
    logged = scatter_data(df, x_column="_AMP", y_column="_NEG", log_x=True)
    assert (logged.xlabel, logged.ylabel) == ("log10(_AMP)", "_NEG")
    with pytest.raises(ParameterError, match="no rows"):
        scatter_data(df.iloc[:0], data_column="_LDA_TRANSFORM")
    with pytest.raises(ParameterError, match="spot size"):
        build_scatter_figure(data, spot_size=0)
