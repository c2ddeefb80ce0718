"""mesmerize.plotting.heatmap: row order and labels, figure contents, clear errors."""
from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from mesmerize.core.errors import ParameterError
from mesmerize.plotting.heatmap import build_heatmap, heatmap_data

matplotlib.use("Agg")


def frame(n: int = 9, length: int = 20) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": [rng.random(length) + i for i in range(n)],
                         "lab": ["b", "a", "c"] * (n // 3), "v": np.arange(n, dtype=float)})


def test_rows_sorted_stably_by_label_with_their_data():
    df = frame()
    data = heatmap_data(df, "x", "lab")
    assert data.labels == ["a"] * 3 + ["b"] * 3 + ["c"] * 3
    np.testing.assert_array_equal(data.order, [1, 4, 7, 0, 3, 6, 2, 5, 8])
    np.testing.assert_array_equal(data.matrix, np.stack(df.x)[data.order])
    unsorted = heatmap_data(df, "x", "lab", sort=False)
    np.testing.assert_array_equal(unsorted.order, np.arange(9))
    assert heatmap_data(df, "x").labels is None


def test_plain_heatmap_shows_the_sorted_matrix_and_a_legend(tmp_path):
    df = frame()
    fig = build_heatmap(df, "x", "lab", title="t")
    assert isinstance(fig, Figure)
    images = [im for ax in fig.axes for im in ax.images]
    band, heat = images[0], images[1]
    np.testing.assert_array_equal(heat.get_array(), heatmap_data(df, "x", "lab").matrix)
    np.testing.assert_array_equal(np.asarray(band.get_array())[:, 0], [0] * 3 + [1] * 3 + [2] * 3)
    legend_labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend_labels == ["a", "b", "c"]
    fig.savefig(tmp_path / "h.png")
    assert (tmp_path / "h.png").stat().st_size > 1000


def test_clustermap_reorders_rows_by_similarity(tmp_path):
    rng = np.random.default_rng(1)
    base = [np.sin(np.linspace(0, 6, 30)), np.cos(np.linspace(0, 6, 30))]
    rows = [base[i % 2] + 0.01 * rng.standard_normal(30) for i in range(8)]
    df = pd.DataFrame({"x": rows, "lab": ["s" if i % 2 == 0 else "c" for i in range(8)]})
    fig = build_heatmap(df, "x", "lab", clustermap=True, method="average")
    meshes = [c for ax in fig.axes for c in ax.collections
              if c.get_array() is not None and np.asarray(c.get_array()).size == 8 * 30]
    assert len(meshes) == 1  # the heatmap (the label band is 8 x 1)
    shown = np.asarray(meshes[0].get_array()).reshape(8, 30)
    # the two shapes form two contiguous blocks of 4 rows
    first = [np.allclose(r, base[0], atol=0.05) for r in shown]
    assert first in ([True] * 4 + [False] * 4, [False] * 4 + [True] * 4)
    fig.savefig(tmp_path / "c.png")


@pytest.mark.parametrize("kwargs, match", [
    ({"data_column": "nope"}, "'nope' is not a column"),
    ({"data_column": "v"}, "1-D numerical arrays"),
    ({"data_column": "x", "labels_column": "nope"}, "labels_column"),
    ({"data_column": "x", "cmap": "nope"}, "unknown colormap"),
    ({"data_column": "x", "clustermap": True, "method": "ward", "metric": "cosine"},
     "needs metric 'euclidean'"),
])
def test_bad_arguments_raise_parameter_error(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        build_heatmap(frame(), **kwargs)


def test_unequal_lengths_name_splice_arrays_and_empty_frames_are_refused():
    df = frame()
    df.at[2, "x"] = np.ones(7)
    with pytest.raises(ParameterError, match="SpliceArrays"):
        build_heatmap(df, "x", "lab")
    with pytest.raises(ParameterError, match="no rows"):
        build_heatmap(frame().iloc[:0], "x")
    missing = frame()
    missing.loc[0, "lab"] = None
    with pytest.raises(ParameterError, match="missing values"):
        build_heatmap(missing, "x", "lab")
