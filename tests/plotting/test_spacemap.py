"""SpaceMap (mesmerize.plotting.spacemap): patches of a real project sample, colours shared
across samples, the drawing (image orientation, patches, legend) and bad input."""
from __future__ import annotations

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Polygon

from mesmerize.core.errors import ParameterError, ProjectError
from mesmerize.plotting.sample_image import sample_projection
from mesmerize.plotting.spacemap import (
    build_spacemap, draw_spacemap, label_colours, label_columns, sample_ids, sample_patches,
)
from tests.plotting.test_cross_correlation import CENTRES, SHAPE_XYT, TYPES, lagged_project, square



@pytest.fixture(scope="module")
def lagged(tmp_path_factory):
    return lagged_project(tmp_path_factory.mktemp("spacemap"))


def test_label_columns_and_colours(lagged):
    t = lagged.transmission
    columns = label_columns(t)
    assert columns[0] == "cell_type" and "SampleID" in columns
    assert not {"ROI_State", "ImgPath", "uuid_curve", "_RAW_CURVE", "meta",
                "stim_maps"} & set(columns)
    colours = label_colours(t, "cell_type", "tab10")
    assert list(colours) == sorted(set(TYPES))
    tab10 = matplotlib.colormaps["tab10"]
    assert colours["glia"] == tuple(float(c) for c in tab10(0))
    with pytest.raises(ParameterError, match="holds arrays"):
        label_colours(t, "_RAW_CURVE", "tab10")
    with pytest.raises(ParameterError, match="unknown colormap"):
        label_colours(t, "cell_type", "no_such_cmap")


def test_sample_patches_are_the_roi_outlines(lagged):
    t = lagged.transmission
    assert sample_ids(t) == lagged.sample_ids
    second = sample_patches(t, lagged.sample_ids[1], "cell_type")
    assert second.labels == TYPES[:4]
    assert second.index == list(t.df.index[t.df.SampleID == lagged.sample_ids[1]])
    for outline, (cx, cy) in zip(second.outlines, CENTRES):
        np.testing.assert_allclose(outline, square(cx, cy))
    with pytest.raises(ParameterError, match="not in the input"):
        sample_patches(t, "zz-_-t1", "cell_type")


def test_draw_puts_patches_on_the_projection_with_legend(lagged):
    t = lagged.transmission
    fig = Figure()
    ax = fig.add_subplot(111)
    patches = build_spacemap(ax, t, lagged.sample_ids[0], "cell_type", projection="std",
                             image_cmap="viridis", patches_cmap="Set1", fill=True,
                             line_width=1.5, alpha=0.5)
    image = ax.get_images()[0]
    expected = sample_projection(t.proj_path, patches.img_path, "std")
    np.testing.assert_array_equal(image.get_array(), expected.T)
    assert image.get_extent() == [0, SHAPE_XYT[0], SHAPE_XYT[1], 0]
    assert image.get_cmap().name == "viridis"
    # the brightest Std pixel lies inside an ROI: cells flash, the background does not
    x, y = np.unravel_index(np.argmax(expected), expected.shape)
    assert any(abs(x + 0.5 - cx) <= 3 and abs(y + 0.5 - cy) <= 3 for cx, cy in CENTRES)
    polygons = [p for p in ax.patches if isinstance(p, Polygon)]
    assert len(polygons) == 6
    colours = label_colours(t, "cell_type", "Set1")
    for polygon, outline, label in zip(polygons, patches.outlines, TYPES):
        np.testing.assert_allclose(polygon.get_xy()[:len(outline)], outline)
        assert polygon.get_fill() and polygon.get_linewidth() == 1.5
        assert polygon.get_alpha() == 0.5
        assert polygon.get_edgecolor()[:3] == pytest.approx(colours[label][:3])
    legend = ax.get_legend()
    assert legend.get_title().get_text() == "cell_type"
    assert [text.get_text() for text in legend.get_texts()] == sorted(set(TYPES))
    assert ax.get_title() == lagged.sample_ids[0]


def test_legend_lists_only_the_sample_labels_with_shared_colours(lagged):
    t = lagged.transmission
    fig = Figure()
    first, second = fig.add_subplot(121), fig.add_subplot(122)
    build_spacemap(first, t, lagged.sample_ids[0], "cell_type")
    build_spacemap(second, t, lagged.sample_ids[1], "cell_type")
    texts = [text.get_text() for text in second.get_legend().get_texts()]
    assert texts == sorted(set(TYPES[:4]))
    edge = {p.get_label(): p.get_edgecolor() for p in first.get_legend().legend_handles}
    for handle in second.get_legend().legend_handles:
        assert handle.get_edgecolor() == edge[handle.get_label()]


def test_bad_parameters_and_missing_project(lagged):
    t = lagged.transmission
    ax = Figure().add_subplot(111)
    with pytest.raises(ParameterError, match="Projection"):
        build_spacemap(ax, t, lagged.sample_ids[0], "cell_type", projection="mean")
    patches = sample_patches(t, lagged.sample_ids[0], "cell_type")
    colours = label_colours(t, "cell_type", "tab10")
    with pytest.raises(ParameterError, match="Alpha"):
        draw_spacemap(ax, np.zeros((4, 4)), patches, colours, "cell_type", alpha=2.0)
    with pytest.raises(ParameterError, match="Image Colormap"):
        draw_spacemap(ax, np.zeros((4, 4)), patches, colours, "cell_type", image_cmap="nope")
    orphan = t.with_df(t.df, proj_path=None)
    with pytest.raises(ProjectError, match="no project path"):
        build_spacemap(ax, orphan, lagged.sample_ids[0], "cell_type")
