"""Datapoint Tracer: analysis log, sample projection with the ROI outline, the row's other columns,
the DPT curve with the peak span, "Open in viewer", and rows without a project."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mesmerize.analysis import Transmission, get_operation
from mesmerize.core.errors import ParameterError
from mesmerize.core.project import Project
from mesmerize.demo.demo_project import build_demo_project
from mesmerize.demo.synthetic import SyntheticParams
from mesmerize.gui.plots.datapoint_tracer import (
    DatapointTracerWidget,
    DatapointTracerWindow,
    describe_value,
)
from mesmerize.gui.plots.viewer_link import set_sample_opener
from mesmerize.plotting.sample_image import roi_outline, sample_projection

DEMO_PARAMS = SyntheticParams(shape=(150, 64, 64), n_neurons=6, fps=10.0, max_shift=1.0, seed=2)


def demo_transmission(root) -> Transmission:
    """The rows of a small demo project (one sample, 6 ROIs) as LoadProjDF makes them."""
    summary = build_demo_project(root, DEMO_PARAMS, progress=lambda m: None)
    project = Project.open(summary["project_path"])
    return Transmission.from_proj_df(project.dataframe, project, "root", [])


def peak_features(t: Transmission) -> Transmission:
    """ZScore -> Normalize -> Derivative -> PeakDetect -> PeakFeatures on ``t``'s raw curves."""
    z = get_operation("ZScore")(t, data_column="_RAW_CURVE", group_by="uuid_curve")
    norm = get_operation("Normalize")(z, data_column="_ZSCORE")
    deriv = get_operation("Derivative")(norm, data_column="_NORMALIZE")
    peaks = get_operation("PeakDetect")(z, deriv, norm, None, data_column="_ZSCORE",
                                        AmplThrRel=0.2, Fictional_Bases=True)
    return get_operation("PeakFeatures")(peaks, data_column="_ZSCORE")


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory):
    return tmp_path_factory.mktemp("tracer_demo")


@pytest.fixture(scope="module")
def demo_t(demo_root):
    return demo_transmission(demo_root)


@pytest.fixture
def tracer(qtbot):
    widget = DatapointTracerWidget()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    yield widget
    widget.close()


def tree_entries(tree) -> list[str]:
    return [tree.topLevelItem(i).text(0) for i in range(tree.topLevelItemCount())]


def table_rows(table) -> dict[str, str]:
    return {table.item(i, 0).text(): table.item(i, 1).text() for i in range(table.rowCount())}


def test_peak_row_shows_log_projection_outline_columns_and_peak_span(tracer, demo_t, qtbot,
                                                                     tmp_path):
    features = peak_features(demo_t)
    index = features.df.index[len(features.df) // 2]
    row = features.df.loc[index]
    tracer.set_datapoint(features, index, "_ZSCORE")
    assert tracer.current_index == index

    assert tree_entries(tracer.history_tree) == [
        "1. spawn_transmission", "2. zscore", "3. peak_detect", "4. peak_features"]
    zscore_item = tracer.history_tree.topLevelItem(1)
    params = dict(zscore_item.child(i).text(0).split(": ", 1)
                  for i in range(zscore_item.childCount()))
    assert params["data_column"] == "_RAW_CURVE" and params["group_by"] == "uuid_curve"

    projection = sample_projection(demo_t.proj_path, row["ImgPath"], "max")
    np.testing.assert_array_equal(tracer.image_item.image, projection)
    xs, ys = tracer.roi_outline_item.getData()
    outline = roi_outline(demo_t.proj_path, row)
    np.testing.assert_allclose(np.column_stack([xs, ys])[:-1], outline)
    assert (xs[0], ys[0]) == (xs[-1], ys[-1])  # closed
    assert outline[:, 0].max() < projection.shape[0] and outline[:, 1].max() < projection.shape[1]

    info = table_rows(tracer.info_table)
    assert "_ZSCORE" not in info  # the DPT curve is drawn, not listed
    assert info["SampleID"] == row["SampleID"] and info["uuid_curve"] == row["uuid_curve"]
    assert info["_pf_b_ix_l"] == str(row["_pf_b_ix_l"])

    x, y = tracer.curve_item.getData()
    np.testing.assert_array_equal(y, row["_ZSCORE"])
    assert tracer.peak_region.isVisible()
    assert tracer.peak_region.getRegion() == (float(row["_pf_b_ix_l"]), float(row["_pf_b_ix_r"]))

    tracer.projection_combo.setCurrentText("Std. Deviation Projection")
    np.testing.assert_array_equal(tracer.image_item.image,
                                  sample_projection(demo_t.proj_path, row["ImgPath"], "std"))

    assert tracer.open_in_viewer_button.isEnabled()
    opened = []
    set_sample_opener(lambda sample_id, proj_path: opened.append((sample_id, proj_path)))
    try:
        with qtbot.waitSignal(tracer.open_in_viewer_requested) as blocker:
            tracer.open_in_viewer_button.click()
    finally:
        set_sample_opener(None)
    assert blocker.args == [row["SampleID"], demo_t.proj_path]
    assert opened == [(row["SampleID"], demo_t.proj_path)]  # the application opens the sample

    qtbot.wait(50)
    tracer.grab().save(str(tmp_path / "tracer.png"))
    assert (tmp_path / "tracer.png").stat().st_size > 5000


def test_rows_without_a_project_say_the_image_is_unavailable(tracer):
    df = pd.DataFrame({"_RAW_CURVE": [np.sin(np.arange(50) / (i + 2)) for i in range(3)],
                       "group": ["a", "b", "a"], "meta": [{"fps": 10.0}] * 3})
    t = Transmission.from_dataframe(df)
    tracer.set_datapoint(t, 2, "_RAW_CURVE")
    assert "no project path" in tracer.image_message.text()
    assert tracer.image_item.image is None
    assert not tracer.open_in_viewer_button.isEnabled()
    assert not tracer.peak_region.isVisible()  # not a peak feature row
    np.testing.assert_array_equal(tracer.curve_item.getData()[1], df["_RAW_CURVE"][2])
    assert tree_entries(tracer.history_tree) == ["1. spawn_transmission"]

    tracer.set_datapoint(t, 0, None)
    assert tracer.curve_item.getData()[1] is None or len(tracer.curve_item.getData()[1]) == 0
    assert "Choose a DPT curve column" in tracer.curve_message.text()
    tracer.set_datapoint(t, 1, "group")
    assert "no 1-D numerical array" in tracer.curve_message.text()

    with pytest.raises(ParameterError, match="no row with index 7"):
        tracer.set_datapoint(t, 7, "_RAW_CURVE")
    with pytest.raises(ParameterError, match="'nope' is not a column"):
        tracer.set_datapoint(t, 0, "nope")
    tracer.clear()
    assert tracer.current_index is None and tracer.info_table.rowCount() == 0


def test_missing_movie_is_reported(tracer, demo_t, tmp_path):
    t = demo_t.copy()
    t.df = t.df.copy()
    t.df.loc[0, "ImgPath"] = "images/missing.tiff"
    tracer.set_datapoint(t, 0, "_RAW_CURVE")
    assert "missing" in tracer.image_message.text()
    assert tracer.image_item.image is None


def test_window_holds_a_tracer(qtbot, demo_t):
    window = DatapointTracerWindow()
    qtbot.addWidget(window)
    window.show()
    window.set_datapoint(demo_t, 3, "_RAW_CURVE")
    assert window.tracer.current_index == 3
    assert window.windowTitle() == "Datapoint Tracer"
    window.close()


def test_describe_value_summarises_big_values():
    assert describe_value(np.arange(3)) == "[0, 1, 2]"
    assert describe_value(np.zeros((5, 4))) == "array 5 x 4 (float64)"
    assert describe_value([[0.0] * 4] * 30) == "list 30 x 4"
    assert describe_value({"fps": 10.0}) == '{"fps": 10.0}'
    assert describe_value("x" * 1000).endswith("...") and len(describe_value("x" * 1000)) == 300
