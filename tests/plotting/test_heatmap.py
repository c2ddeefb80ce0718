"""mesmerize.plotting.heatmap: row order (sorting, dendrogram leaves), the FCluster linkage lookup,
display averaging of large matrices, dendrogram geometry, figure contents, clear errors."""
from __future__ import annotations

import io

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from scipy.cluster import hierarchy
from seaborn.matrix import ClusterGrid

from mesmerize.analysis import Transmission, get_operation
from mesmerize.analysis.ops.node_spec import get_node_spec
from mesmerize.core.errors import ParameterError
from mesmerize.plotting.heatmap import (
    block_means,
    build_heatmap,
    dendrogram_segments,
    draw_heatmap,
    fcluster_linkage,
    heatmap_data,
    sorted_positions,
)

matplotlib.use("Agg")


def frame(n: int = 9, length: int = 20) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": [rng.random(length) + i for i in range(n)],
                         "lab": ["b", "a", "c"] * (n // 3), "v": np.arange(n, dtype=float)})


def clustered(n: int = 12, length: int = 40, seed: int = 0) -> Transmission:
    """ZScore -> Linkage -> FCluster (3 clusters) on noisy sines of 3 shapes."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 6, length)
    shapes = [np.sin(x), np.cos(x), np.sin(2 * x)]
    df = pd.DataFrame({"_RAW_CURVE": [shapes[i % 3] * 3 + 10 + 0.1 * rng.standard_normal(length)
                                      for i in range(n)],
                       "meta": [{"fps": 10.0}] * n, "lab": [f"g{i % 2}" for i in range(n)]})
    z = get_operation("ZScore")(Transmission.from_dataframe(df), data_column="_RAW_CURVE")
    link = get_node_spec("Linkage")(z, data_column="_ZSCORE", method="average")
    return get_node_spec("FCluster")(link, z, None, None, threshold=3.0, criterion="maxclust",
                                     depth=1)


def test_rows_sorted_stably_by_a_column_with_their_data():
    df = frame()
    data = heatmap_data(df, "x", "lab", sort_by="lab")
    assert data.labels == ["a"] * 3 + ["b"] * 3 + ["c"] * 3
    np.testing.assert_array_equal(data.order, [1, 4, 7, 0, 3, 6, 2, 5, 8])
    np.testing.assert_array_equal(data.matrix, np.stack(df.x)[data.order])
    unsorted = heatmap_data(df, "x", "lab")
    np.testing.assert_array_equal(unsorted.order, np.arange(9))
    assert unsorted.labels == list(df.lab)
    assert heatmap_data(df, "x").labels is None
    # numbers sort numerically, mixed values by their text
    np.testing.assert_array_equal(sorted_positions([10, 9, 2, 9]), [2, 1, 3, 0])
    np.testing.assert_array_equal(sorted_positions(["b", 1, "a"]), [1, 2, 0])


def test_float32_data_stay_float32_and_integers_become_float64():
    df = pd.DataFrame({"f": [np.ones(4, np.float32)] * 2, "i": [np.arange(4)] * 2})
    assert heatmap_data(df, "f").matrix.dtype == np.float32
    assert heatmap_data(df, "i").matrix.dtype == np.float64


def test_fcluster_linkage_is_found_and_orders_rows_by_dendrogram_leaves():
    t = clustered()
    z = fcluster_linkage(t)
    data_z = np.stack(t.df["_ZSCORE"])
    np.testing.assert_allclose(z, hierarchy.linkage(data_z, method="average"))
    data = heatmap_data(t.df, "_ZSCORE", "lab", linkage=z)
    leaves = hierarchy.dendrogram(z, no_plot=True)["leaves"]
    np.testing.assert_array_equal(data.order, leaves)
    np.testing.assert_array_equal(data.matrix, data_z[leaves])
    assert data.clusters == list(t.df["FCLUSTER_LABELS"].to_numpy()[leaves])
    # one shape per cluster: the clusters form 3 contiguous blocks of 4 rows
    assert [len(list(g)) for _, g in __import__("itertools").groupby(data.clusters)] == [4, 4, 4]
    with pytest.raises(ParameterError, match="sorting them by a column is not possible"):
        heatmap_data(t.df, "_ZSCORE", sort_by="lab", linkage=z)
    with pytest.raises(ParameterError, match="expected"):
        heatmap_data(t.df.iloc[:5], "_ZSCORE", linkage=z)


def test_fcluster_linkage_after_saving_and_for_inputs_without_or_with_changed_rows(tmp_path):
    t = clustered()
    t.to_hdf5(tmp_path / "c.trn")
    np.testing.assert_array_equal(fcluster_linkage(Transmission.from_hdf5(tmp_path / "c.trn")),
                                  fcluster_linkage(t))
    plain = Transmission.from_dataframe(frame())
    assert fcluster_linkage(plain) is None
    filtered = t.with_df(t.df.iloc[:8].copy())
    with pytest.raises(ParameterError, match="computed from 12 rows but the input has 8"):
        fcluster_linkage(filtered)
    with pytest.raises(ParameterError, match="only some rows come from an FCluster"):
        fcluster_linkage(Transmission.merge([t, plain]))
    with pytest.raises(ParameterError, match="different FCluster runs"):
        fcluster_linkage(Transmission.merge([t, clustered(seed=1)]))


def test_block_means_match_brute_force():
    rng = np.random.default_rng(3)
    m = rng.standard_normal((23, 17))
    out, fr, fc = block_means(m, 5, 4)
    assert (fr, fc) == (5, 5) and out.shape == (5, 4) and out.dtype == np.float32
    for i in range(5):
        for j in range(4):
            expected = m[i * 5:(i + 1) * 5, j * 5:(j + 1) * 5].mean()
            assert out[i, j] == pytest.approx(expected, abs=1e-5)
    same, fr, fc = block_means(m, 100, 100)
    assert (fr, fc) == (1, 1)
    np.testing.assert_allclose(same, m, atol=1e-6)


def test_dendrogram_segments_match_scipy():
    rng = np.random.default_rng(4)
    z = hierarchy.linkage(rng.standard_normal((15, 6)), "ward")
    segments, leaves = dendrogram_segments(z)
    reference = hierarchy.dendrogram(z, no_plot=True)
    assert leaves.tolist() == reference["leaves"]
    ours = set()
    for (h0, y0), (h1, y1) in segments:
        ours.add((round(h0, 9), round(y0, 9), round(h1, 9), round(y1, 9)))
    theirs = set()
    for ic, dc in zip(reference["icoord"], reference["dcoord"]):
        y = [(v - 5) / 10 + 0.5 for v in ic]  # scipy puts leaf k at 10 k + 5
        for k in range(3):
            theirs.add((round(dc[k], 9), round(y[k], 9), round(dc[k + 1], 9), round(y[k + 1], 9)))
    assert ours == theirs


def test_grid_has_clustergrid_axes_and_draws_only_the_visible_part():
    rng = np.random.default_rng(5)
    matrix = rng.standard_normal((3000, 800))
    df = pd.DataFrame({"x": list(matrix), "lab": rng.integers(0, 3, 3000)})
    data = heatmap_data(df, "x", "lab", sort_by="lab")
    fig = Figure(figsize=(6, 4), dpi=100)
    canvas = FigureCanvasAgg(fig)
    grid = draw_heatmap(fig, data, cmap="jet")
    canvas.draw()
    assert isinstance(grid, ClusterGrid) and grid.figure is fig and grid.fig is fig
    buffer = io.BytesIO()
    grid.savefig(buffer, format="png")  # seaborn Grid methods work on the grid
    assert buffer.getvalue().startswith(b"\x89PNG")
    for name in ("ax_heatmap", "ax_row_dendrogram", "ax_col_dendrogram", "cax", "ax_row_colors"):
        assert getattr(grid, name) in fig.axes
    assert grid.matrix is data.matrix  # the full data; the image holds a reduced copy
    shown = grid.image.get_array()
    box = grid.ax_heatmap.bbox
    assert shown.shape[0] <= box.height + 1 and shown.shape[1] <= box.width + 1
    assert shown.shape[0] < 3000
    assert grid.image.norm.vmin == pytest.approx(matrix.min())
    # zoomed in to a few cells, the image is those cells exactly
    grid.ax_heatmap.set_xlim(10, 20)
    grid.ax_heatmap.set_ylim(105, 100)
    canvas.draw()
    np.testing.assert_allclose(grid.image.get_array(), data.matrix[100:105, 10:20], atol=1e-6)
    assert grid.image.get_extent() == [10, 20, 105, 100]
    assert [t.get_text() for t in grid.ax_col_dendrogram.get_legend().get_texts()] == \
        ["0", "1", "2"]
    grid.highlight_row(7)
    assert grid.highlighted_row == 7 and grid.row_at(7.9) == 7 and grid.row_at(3000.5) is None
    grid.highlight_row(None)
    assert grid.highlighted_row is None and not grid.ax_heatmap.patches
    with pytest.raises(ParameterError, match="outside"):
        grid.highlight_row(3000)


def test_build_heatmap_plain_and_clustered(tmp_path):
    df = frame()
    fig = build_heatmap(df, "x", "lab", title="t")
    assert isinstance(fig, Figure)
    heat = [ax for ax in fig.axes if ax.get_ylabel() == "row"][0]
    np.testing.assert_allclose(heat.images[0].get_array(),  # drawn as float32
                               heatmap_data(df, "x", "lab", sort_by="lab").matrix, rtol=1e-6)
    legend_labels = [t.get_text() for ax in fig.axes if ax.get_legend() is not None
                     for t in ax.get_legend().get_texts()]
    assert legend_labels == ["a", "b", "c"]
    fig.savefig(tmp_path / "h.png")
    assert (tmp_path / "h.png").stat().st_size > 1000

    rng = np.random.default_rng(1)
    base = [np.sin(np.linspace(0, 6, 30)), np.cos(np.linspace(0, 6, 30))]
    rows = [base[i % 2] + 0.01 * rng.standard_normal(30) for i in range(8)]
    cdf = pd.DataFrame({"x": rows, "lab": ["s" if i % 2 == 0 else "c" for i in range(8)]})
    fig = build_heatmap(cdf, "x", "lab", clustermap=True, method="average")
    heat = [ax for ax in fig.axes if ax.get_ylabel() == "row"][0]
    fig.savefig(tmp_path / "c.png")
    shown = np.asarray(heat.images[0].get_array())
    first = [np.allclose(r, base[0], atol=0.05) for r in shown]
    assert first in ([True] * 4 + [False] * 4, [False] * 4 + [True] * 4)
    assert any(len(ax.collections) == 1 for ax in fig.axes)  # the dendrogram's lines


def test_long_legends_are_summarised():
    df = pd.DataFrame({"x": [np.arange(5.0) + i for i in range(60)], "lab": np.arange(60)})
    fig = build_heatmap(df, "x", "lab")
    texts = [t.get_text() for ax in fig.axes if ax.get_legend() is not None
             for t in ax.get_legend().get_texts()]
    assert texts[:3] == ["0", "1", "2"] and len(texts) == 41 and texts[-1] == "... 20 more"


@pytest.mark.parametrize("kwargs, match", [
    ({"data_column": "nope"}, "'nope' is not a column"),
    ({"data_column": "v"}, "1-D numerical arrays"),
    ({"data_column": "x", "labels_column": "nope"}, "labels_column"),
    ({"data_column": "x", "cmap": "nope"}, "unknown colormap"),
    ({"data_column": "x", "clustermap": True, "method": "ward", "metric": "cosine"},
     "needs metric 'euclidean'"),
    ({"data_column": "x", "clustermap": True, "method": "nope"}, "method must be one of"),
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
