"""SpaceMapWidget: built from a real project's Transmission (LoadProjDF) clustered by
Linkage -> FCluster, the guide's controls, sample list, redraw on control changes, .ptrn round
trip, the guide's console examples (Export, Legend Title, Hide Axis Borders), PNG rendering."""
from __future__ import annotations

import numpy as np
import pytest
from matplotlib.patches import Polygon
from qtpy import QtCore, QtWidgets

from mesmerize.analysis.ops.node_spec import get_node_spec
from mesmerize.core.errors import FormatVersionError
from mesmerize.gui.plots.spacemap import SpaceMapWidget
from mesmerize.plotting.sample_image import sample_projection
from tests.plotting.test_cross_correlation import TYPES, lagged_project

GUIDE_EXPORT = """
# Desired size (width, height)
size = (6,5)

# Get the figure
fig = get_plot().fig

# original size to reset the figure after we save it
orig_size = fig.get_size_inches()

#Set the desired size
fig.set_size_inches(size)

# Save the figure as a png file with 600 dpi
fig.savefig('{path}', dpi=600, bbox_inches='tight', pad_inches=0)

# Reset to original size and draw
fig.set_size_inches(orig_size)
get_plot().draw()
"""

GUIDE_LEGEND_TITLE = """
get_plot().ax.get_legend().set_title('New Title')
get_plot().draw()
"""

GUIDE_HIDE_AXIS_BORDERS = """
get_plot().ax.axis('off')
get_plot().draw()
"""


@pytest.fixture(scope="module")
def lagged(tmp_path_factory):
    """The project and its Transmission with FCLUSTER_LABELS from Linkage -> FCluster."""
    made = lagged_project(tmp_path_factory.mktemp("spacemap_widget"))
    link = get_node_spec("Linkage")(made.transmission, data_column="_RAW_CURVE",
                                    method="complete")
    made.transmission = get_node_spec("FCluster")(link, made.transmission, None, None,
                                                  threshold=2.0, criterion="maxclust")
    return made


@pytest.fixture
def window(qtbot):
    w = SpaceMapWidget()
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close()


def polygons(window):
    return [p for p in window.get_plot().ax.patches if isinstance(p, Polygon)]


def test_builds_without_arguments_with_the_guide_controls(window):
    labels = {label.text() for label in window.findChildren(QtWidgets.QLabel)}
    assert {"Patch labels", "Image Colormap", "Patches Colormap", "Projection", "Line width",
            "Alpha", "Samples"} <= labels
    texts = {b.text() for b in window.findChildren(type(window.update_button))}
    assert {"Update Plot", "Save", "Load", "Show/Hide Console"} <= texts
    assert window.fill_patches.text() == "Fill Patches"
    assert (window.max_button.text(), window.std_button.text()) == ("Max", "Standard Deviation")
    assert window.plot_kind == "spacemap" and window.saves_ptrn
    assert not window.update_plot() and window.status.is_problem  # no input yet


def test_plots_the_first_sample_and_follows_the_controls(window, lagged, qtbot):
    t = lagged.transmission
    window.set_input(t)
    assert not window.status.is_problem, window.status.details
    assert [window.samples.item(i).text() for i in range(window.samples.count())] == \
        lagged.sample_ids
    offered = [window.patch_labels.itemText(i) for i in range(window.patch_labels.count())]
    assert offered[0] == "cell_type" and "FCLUSTER_LABELS" in offered
    assert "ROI_State" not in offered and "_RAW_CURVE" not in offered
    assert window.patches.sample_id == lagged.sample_ids[0] and len(polygons(window)) == 6
    legend = window.get_plot().ax.get_legend()
    assert [x.get_text() for x in legend.get_texts()] == sorted(set(TYPES))

    window.patch_labels.set_value("FCLUSTER_LABELS")
    clusters = t.df["FCLUSTER_LABELS"][t.df.SampleID == lagged.sample_ids[0]]
    assert window.patches.labels == [str(c) for c in clusters]
    assert window.get_plot().ax.get_legend().get_title().get_text() == "FCLUSTER_LABELS"

    window.std_button.setChecked(True)
    image = window.get_plot().ax.get_images()[0].get_array()
    np.testing.assert_array_equal(image, sample_projection(t.proj_path,
                                                           window.patches.img_path, "std").T)
    window.fill_patches.setChecked(True)
    window.line_width.setValue(3.5)
    window.alpha.setValue(0.4)
    window.image_cmap.setCurrentText("magma")
    assert all(p.get_fill() and p.get_linewidth() == 3.5 and p.get_alpha() == 0.4
               for p in polygons(window))
    assert window.get_plot().ax.get_images()[0].get_cmap().name == "magma"

    second = window.samples.findItems(lagged.sample_ids[1], QtCore.Qt.MatchExactly)[0]
    rect = window.samples.visualItemRect(second)
    qtbot.mouseClick(window.samples.viewport(), QtCore.Qt.LeftButton, pos=rect.center())
    assert window.patches.sample_id == lagged.sample_ids[1] and len(polygons(window)) == 4
    assert lagged.sample_ids[1] in window.status.text()


def test_problems_go_to_the_status_label(window, lagged):
    orphan = lagged.transmission.with_df(lagged.transmission.df, proj_path=None)
    window.set_input(orphan)
    assert window.status.is_problem and "project path" in window.status.text()


def test_ptrn_round_trip(window, lagged, tmp_path, qtbot):
    window.set_input(lagged.transmission)
    window.set_current_sample(lagged.sample_ids[1])
    window.std_button.setChecked(True)
    window.fill_patches.setChecked(True)
    window.patches_cmap.setCurrentText("Set2")
    window.alpha.setValue(0.3)
    state = window.get_plot_state()
    path = window.save_ptrn(tmp_path / "space.ptrn")
    other = SpaceMapWidget()
    qtbot.addWidget(other)
    try:
        other.load_ptrn(path)
        assert other.get_plot_state() == state
        assert not other.status.is_problem, other.status.details
        assert other.patches.sample_id == lagged.sample_ids[1]
        assert other.patches.labels == window.patches.labels
        for a, b in zip(polygons(other), polygons(window)):
            np.testing.assert_array_equal(a.get_xy(), b.get_xy())
            assert a.get_facecolor() == b.get_facecolor()
        np.testing.assert_array_equal(other.get_plot().ax.get_images()[0].get_array(),
                                      window.get_plot().ax.get_images()[0].get_array())
        with pytest.raises(FormatVersionError, match="no controls"):
            other.set_plot_state({**state, "zoom": 2})
    finally:
        other.close()


def test_guide_console_examples(window, lagged, tmp_path):
    window.set_input(lagged.transmission)
    ns = window.console_namespace()
    assert ns["this"] is window and ns["this"].transmission is lagged.transmission
    assert ns["get_plot"]().fig is window.get_plot().fig
    size = tuple(window.get_plot().fig.get_size_inches())
    out = tmp_path / "spacemap.png"
    exec(GUIDE_EXPORT.format(path=out), dict(ns))
    assert out.stat().st_size > 10_000
    assert tuple(window.get_plot().fig.get_size_inches()) == pytest.approx(size)
    exec(GUIDE_LEGEND_TITLE, dict(ns))
    assert window.get_plot().ax.get_legend().get_title().get_text() == "New Title"
    exec(GUIDE_HIDE_AXIS_BORDERS, dict(ns))
    assert not window.get_plot().ax.axison


def test_console_dock_runs_the_namespace(window, lagged, qtbot):
    window.set_input(lagged.transmission)
    console = window.show_console()
    console.execute("n = len(get_plot().ax.patches); get_plot().ax.set_title(f'{n} ROIs')")
    qtbot.waitUntil(lambda: window.get_plot().ax.get_title() == "6 ROIs", timeout=5000)


def test_render_png(window, lagged, tmp_path, qtbot):
    window.set_input(lagged.transmission)
    window.fill_patches.setChecked(True)
    window.alpha.setValue(0.5)
    qtbot.wait(50)
    path = tmp_path / "spacemap_widget.png"
    assert window.grab().save(str(path))
    assert path.stat().st_size > 10_000
