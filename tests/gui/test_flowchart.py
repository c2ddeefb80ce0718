"""The Flowchart window: nodes generated from the registry, graphs built and run with qtbot, and
outputs compared with calling the pure operations directly (DESIGN.md section 8)."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from qtpy import QtCore, QtGui, QtWidgets

from mesmerize.analysis import Transmission, get_operation, list_operations
from mesmerize.analysis.ops.node_spec import list_node_specs
from mesmerize.analysis.registry import CATEGORIES
from mesmerize.core.errors import FormatVersionError
from mesmerize.core.project import Project
from mesmerize.core.project.tabs import TabCollection
from mesmerize.gui.flowchart.base_node import ERROR_COLOR
from mesmerize.gui.flowchart.fc_file import FC_FORMAT_VERSION
from mesmerize.gui.flowchart.namespace import build_flowchart_namespace
from mesmerize.gui.flowchart.param_controls import CHOOSE_TEXT, LAST_OUTPUT_TEXT, NONE_TEXT
from mesmerize.gui.flowchart.window import FlowchartWindow
from tests.core.test_project_samples import make_work_env

N_CURVES, LENGTH = 8, 60


def make_transmission(seed: int = 0) -> Transmission:
    """A one-block Transmission: noisy sinusoids in _RAW_CURVE, a categorical cell_type."""
    rng = np.random.default_rng(seed)
    curves = [np.sin(np.arange(LENGTH) / (2 + i)) * (i + 1) + rng.normal(0, 0.2, LENGTH) + i
              for i in range(N_CURVES)]
    df = pd.DataFrame({"_RAW_CURVE": curves, "meta": [{"fps": 10.0}] * N_CURVES,
                       "cell_type": ["a", "b"] * (N_CURVES // 2)})
    return Transmission.from_dataframe(df)


@pytest.fixture
def trn_path(tmp_path):
    path = tmp_path / "data.trn"
    make_transmission().to_hdf5(path)
    return path


def new_window(qtbot, **kwargs) -> FlowchartWindow:
    window = FlowchartWindow(**kwargs)
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.fixture
def window(qtbot):
    return new_window(qtbot)


def build_chain(window: FlowchartWindow, trn_path) -> dict:
    """LoadFile -> Normalize -> ZScore, Apply on, as a user would build it."""
    load = window.add_node("LoadFile", pos=(0, 0))
    norm = window.add_node("Normalize", pos=(150, 0))
    zscore = window.add_node("ZScore", pos=(300, 0))
    window.connect_nodes(load, norm)
    window.connect_nodes(norm, zscore)
    load.set_path(trn_path)
    norm.set_apply(True)
    zscore.set_apply(True)
    return window.get_nodes()


def pure_chain(trn_path, **zscore_params) -> Transmission:
    t = Transmission.from_hdf5(trn_path)
    return get_operation("ZScore")(get_operation("Normalize")(t), **zscore_params)


def assert_same_transmission(a: Transmission, b: Transmission, column: str) -> None:
    assert len(a.df) == len(b.df)
    for x, y in zip(a.df[column], b.df[column]):
        np.testing.assert_array_equal(x, y)
    assert list(a.df.columns) == list(b.df.columns)
    assert a.history_trace.history == b.history_trace.history
    assert a.last_output == b.last_output


def combo(node, param: str) -> QtWidgets.QComboBox:
    return node.controls.editors[param].widget


def combo_items(box: QtWidgets.QComboBox) -> list[str]:
    return [box.itemText(i) for i in range(box.count())]


# --- nodes generated from the registry -----------------------------------------------------------
def test_library_has_a_node_per_operation_in_its_category(window):
    tree = window.library.getNodeTree()
    assert list(tree) == ["Data", "Display", *[c for c in CATEGORIES[2:]
                                               if list_operations(c) or list_node_specs(c)]]
    assert list(tree["Display"]) == ["BeeswarmPlots", "Heatmap", "CrossCorr", "Plot",
                                     "Proportions", "ScatterPlot", "TimeSeries", "SpaceMap"]
    for op in list_operations():
        assert op.name in tree[op.category]
        node = window.add_node(op.name)
        assert list(node.inputs()) == list(op.inputs)
        assert list(node.outputs()) == list(op.outputs)
        assert list(node.controls.values()) == [p.name for p in op.params]
    for name in ("LoadFile", "LoadProjDF", "Save", "Merge", "ViewTransmission", "ViewHistory"):
        assert name in tree["Data"]
    # right click -> Add node -> category -> node
    menu = window.chart_widget.buildMenu()
    submenus = {a.menu().title(): a.menu() for a in menu.actions() if a.menu()}
    assert list(submenus) == list(tree)
    assert "Normalize" in [a.text() for a in submenus["Signal"].actions()]


def test_controls_follow_the_param_specs(window):
    butter = window.add_node("Butterworth")
    order = butter.controls.editors["order"].widget
    assert isinstance(order, QtWidgets.QSpinBox)
    assert (order.minimum(), order.maximum(), order.value()) == (1, 100, 2)
    divisor = butter.controls.editors["freq_divisor"].widget
    assert isinstance(divisor, QtWidgets.QDoubleSpinBox)
    assert divisor.minimum() > 2.0 and divisor.value() == 4.0  # min_exclusive 2
    log = window.add_node("LogTransform")
    assert combo_items(combo(log, "transform")) == list(
        get_operation("LogTransform").param("transform").choices)
    text_filter = window.add_node("TextFilter")
    assert isinstance(text_filter.controls.editors["Include"].widget, QtWidgets.QCheckBox)
    assert isinstance(text_filter.controls.editors["filter"].widget, QtWidgets.QLineEdit)
    assert butter.apply_box is not None and not butter.apply_box.isChecked()


# --- running a graph ------------------------------------------------------------------------------
def test_graph_output_equals_the_pure_functions(window, trn_path):
    nodes = build_chain(window, trn_path)
    out = nodes["ZScore.0"].t
    assert nodes["ZScore.0"].error is None
    assert_same_transmission(out, pure_chain(trn_path), "_ZSCORE")
    block = out.df["_BLOCK_"].iloc[0]
    assert out.history_trace.get_operations_list(block) == [
        "spawn_transmission", "normalize", "zscore"]
    # the column pickers offer the input's columns by kind
    assert combo_items(combo(nodes["ZScore.0"], "data_column")) == [
        LAST_OUTPUT_TEXT, "_RAW_CURVE", "_NORMALIZE"]
    assert combo_items(combo(nodes["ZScore.0"], "group_by")) == [NONE_TEXT, "meta", "cell_type"]


def test_changing_a_control_reprocesses(window, trn_path):
    nodes = build_chain(window, trn_path)
    before = nodes["ZScore.0"].t
    box = combo(nodes["ZScore.0"], "group_by")
    box.setCurrentIndex(box.findText("cell_type"))
    after = nodes["ZScore.0"].t
    assert after is not before
    assert_same_transmission(after, pure_chain(trn_path, group_by="cell_type"), "_ZSCORE")
    assert after.history_trace.get_operation_params(
        after.df["_BLOCK_"].iloc[0], "zscore")["group_by"] == "cell_type"


def test_upstream_change_propagates_and_apply_off_stops(window, trn_path):
    nodes = build_chain(window, trn_path)
    box = combo(nodes["Normalize.0"], "data_column")
    box.setCurrentIndex(box.findText("_RAW_CURVE"))
    assert nodes["ZScore.0"].t is not None
    nodes["Normalize.0"].set_apply(False)
    assert nodes["Normalize.0"].t is None
    assert nodes["ZScore.0"].t is None and nodes["ZScore.0"].error is None
    nodes["Normalize.0"].set_apply(True)
    assert_same_transmission(nodes["ZScore.0"].t, pure_chain(trn_path), "_ZSCORE")


def test_parameter_error_is_shown_on_the_node(window, trn_path):
    load = window.add_node("LoadFile")
    splice = window.add_node("SpliceArrays")
    view = window.add_node("ViewTransmission")
    window.connect_nodes(load, splice)
    window.connect_nodes(splice, view)
    load.set_path(trn_path)
    splice.controls.set_values({"indices": "ten:twenty"})
    splice.set_apply(True)
    assert splice.t is None and view.t is None
    assert "indices" in splice.error and "start_index:end_index" in splice.error
    assert splice.status_label.isVisibleTo(splice.ctrlWidget())
    assert splice.status_label.text() == splice.error
    item = splice.graphicsItem()
    assert item.pen.color() == ERROR_COLOR and item.toolTip() == splice.error
    edit = splice.controls.editors["indices"].widget
    edit.setText("5:25")
    edit.editingFinished.emit()
    assert splice.error is None and not splice.status_label.isVisibleTo(splice.ctrlWidget())
    assert item.pen.color() != ERROR_COLOR
    assert all(len(a) == 20 for a in view.t.df["_SPLICE_ARRAYS"])


def test_required_column_starts_unchosen(window, trn_path):
    load = window.add_node("LoadFile")
    text_filter = window.add_node("TextFilter")
    window.connect_nodes(load, text_filter)
    load.set_path(trn_path)
    text_filter.set_apply(True)
    box = combo(text_filter, "Column")
    assert combo_items(box) == [CHOOSE_TEXT, "meta", "cell_type"]
    assert "'Column' is required" in text_filter.error
    text_filter.controls.set_values({"filter": "a"})
    box.setCurrentIndex(box.findText("cell_type"))
    expected = get_operation("TextFilter")(Transmission.from_hdf5(trn_path), Column="cell_type",
                                           filter="a")
    assert text_filter.error is None and len(text_filter.t.df) == N_CURVES // 2
    assert text_filter.t.history_trace.history == expected.history_trace.history


def test_missing_file_error_on_load_file(window, tmp_path):
    load = window.add_node("LoadFile")
    load.set_path(tmp_path / "absent.trn")
    assert load.t is None and "No Transmission file" in load.error


def test_merge_node(window, tmp_path):
    paths = []
    for seed in (1, 2):
        paths.append(tmp_path / f"part{seed}.trn")
        make_transmission(seed).to_hdf5(paths[-1])
    merge = window.add_node("Merge")
    for i, path in enumerate(paths):
        load = window.add_node("LoadFile", pos=(0, 60 * i))
        load.set_path(path)
        window.connect_nodes(load, merge)
    expected = Transmission.merge([Transmission.from_hdf5(p) for p in paths])
    assert len(merge.t.df) == 2 * N_CURVES
    assert merge.t.history_trace.history == expected.history_trace.history


def test_save_node_writes_once_and_refuses_overwrite(window, trn_path, tmp_path):
    nodes = build_chain(window, trn_path)
    save = window.add_node("Save")
    window.connect_nodes(nodes["ZScore.0"], save)
    target = tmp_path / "out.trn"
    save.path_edit.setText(str(target))
    assert not target.exists()  # Apply is off by default
    save.set_apply(True)
    assert target.is_file() and save.error is None and not save.apply_box.isChecked()
    assert_same_transmission(Transmission.from_hdf5(target), pure_chain(trn_path), "_ZSCORE")
    mtime = target.stat().st_mtime_ns
    save.set_apply(True)
    assert "already exists" in save.error
    assert target.stat().st_mtime_ns == mtime


def test_view_nodes_show_table_and_history(window, trn_path):
    nodes = build_chain(window, trn_path)
    table = window.add_node("ViewTransmission")
    history = window.add_node("ViewHistory")
    window.connect_nodes(nodes["ZScore.0"], table)
    window.connect_nodes(nodes["ZScore.0"], history)
    view = table.show_view()
    assert view.model.rowCount() == N_CURVES
    assert view.model.columnCount() == len(nodes["ZScore.0"].t.df.columns)
    tree = history.show_view()
    block = tree.topLevelItem(0)
    assert block.text(0) == nodes["ZScore.0"].t.df["_BLOCK_"].iloc[0]
    assert [block.child(i).text(0) for i in range(block.childCount())] == [
        "0: spawn_transmission", "1: normalize", "2: zscore"]
    # an open view follows its input
    box = combo(nodes["ZScore.0"], "group_by")
    box.setCurrentIndex(box.findText("cell_type"))
    zscore_item = tree.topLevelItem(0).child(2)
    params = {zscore_item.child(i).text(0): zscore_item.child(i).text(1)
              for i in range(zscore_item.childCount())}
    assert params["group_by"] == "cell_type"


# --- LoadProjDF ---------------------------------------------------------------------------------
@pytest.fixture
def project(tmp_path):
    project = Project.create(tmp_path / "proj")
    for seed in range(2):
        project.add_sample(make_work_env(seed=seed), f"animal{seed}", "t1")
    return project


def test_load_file_takes_the_open_projects_path(qtbot, project, trn_path):
    window = new_window(qtbot, project_provider=lambda: project)
    load = window.add_node("LoadFile")
    load.set_path(trn_path)
    assert load.t.proj_path == str(project.path)
    assert Transmission.from_hdf5(trn_path).proj_path is None


def test_load_proj_df_root_and_tab(qtbot, project):
    tabs = TabCollection(lambda: project.dataframe)
    tabs.create_tab("first", filters={"AnimalID": "animal0"})
    window = new_window(qtbot, project_provider=lambda: project, tabs_provider=lambda: tabs)
    node = window.add_node("LoadProjDF")
    assert combo_items(node.df_name_box) == ["root", "first"]
    node.set_apply(True)
    expected = Transmission.from_proj_df(project.dataframe, project, "root", [])
    assert len(node.t.df) == len(expected.df) and node.t.proj_path == str(project.path)
    for a, b in zip(node.t.df["_RAW_CURVE"], expected.df["_RAW_CURVE"]):
        np.testing.assert_array_equal(a, b)
    node.df_name_box.setCurrentText("first")
    tab = tabs.get("first")
    assert len(node.t.df) == len(tab.dataframe)
    params = node.t.history_trace.get_operation_params(node.t.df["_BLOCK_"].iloc[0],
                                                       "spawn_transmission")
    assert params["sub_dataframe_name"] == "first"
    assert params["dataframe_filter_history"]["dataframe_filter_history"] == tab.filter_history


def test_load_proj_df_without_project_says_so(window):
    node = window.add_node("LoadProjDF")
    node.set_apply(True)
    assert node.t is None and "open project" in node.error


# --- .fc files ----------------------------------------------------------------------------------
def test_fc_round_trip_restores_graph_values_and_result(qtbot, window, trn_path, tmp_path):
    nodes = build_chain(window, trn_path)
    box = combo(nodes["ZScore.0"], "group_by")
    box.setCurrentIndex(box.findText("cell_type"))
    butter = window.add_node("Butterworth", pos=(300, 120))
    butter.controls.set_values({"order": 5, "freq_divisor": 3.5, "data_column": "_NORMALIZE"})
    window.connect_nodes(nodes["Normalize.0"], butter)
    path = window.save_fc(tmp_path / "flowcharts" / "analysis")
    assert path.name == "analysis.fc"
    saved = json.loads(path.read_text())
    assert saved["format_version"] == FC_FORMAT_VERSION and saved["kind"] == "mesmerize-flowchart"

    reloaded = new_window(qtbot, fc_path=path)
    new_nodes = reloaded.get_nodes()
    assert sorted(new_nodes) == sorted(window.get_nodes())
    assert reloaded.connections() == window.connections()
    for name, node in window.get_nodes().items():
        assert new_nodes[name].state() == node.state()
    assert new_nodes["ZScore.0"].controls.values()["group_by"] == "cell_type"
    assert new_nodes["Butterworth.0"].controls.values()["order"] == 5
    assert_same_transmission(new_nodes["ZScore.0"].t, nodes["ZScore.0"].t, "_ZSCORE")
    assert_same_transmission(new_nodes["ZScore.0"].t,
                             pure_chain(trn_path, group_by="cell_type"), "_ZSCORE")
    assert new_nodes["Butterworth.0"].t is None  # its Apply was off when saved
    assert reloaded.windowTitle().endswith("analysis.fc")


def test_newer_fc_is_refused_and_graph_kept(window, trn_path, tmp_path):
    build_chain(window, trn_path)
    path = window.save_fc(tmp_path / "a.fc")
    data = json.loads(path.read_text())
    data["format_version"] = FC_FORMAT_VERSION + 1
    newer = tmp_path / "newer.fc"
    newer.write_text(json.dumps(data))
    with pytest.raises(FormatVersionError, match="newer than this Mesmerize.*Upgrade"):
        window.load_fc(newer)
    assert sorted(window.get_nodes()) == ["LoadFile.0", "Normalize.0", "ZScore.0"]


def test_pyqtgraph_style_fc_is_not_evaluated(window, tmp_path):
    marker = tmp_path / "executed"
    crafted = tmp_path / "crafted.fc"
    crafted.write_text(f"nodes: __import__('pathlib').Path({str(marker)!r}).touch()\n")
    with pytest.raises(FormatVersionError, match="not JSON"):
        window.load_fc(crafted)
    assert not marker.exists()


def test_fc_with_bad_values_is_refused_clearly(window, trn_path, tmp_path):
    build_chain(window, trn_path)
    path = window.save_fc(tmp_path / "a.fc")
    data = json.loads(path.read_text())
    next(n for n in data["nodes"] if n["type"] == "ZScore")["controls"]["group_by"] = 3
    path.write_text(json.dumps(data))
    with pytest.raises(FormatVersionError, match="ZScore.0.*group_by"):
        window.load_fc(path)
    data["nodes"][0]["type"] = "NoSuchNode"
    path.write_text(json.dumps(data))
    with pytest.raises(FormatVersionError, match="unknown type 'NoSuchNode'"):
        window.load_fc(path)


# --- console, drag and drop, rendering ----------------------------------------------------------
def test_console_namespace_and_guide_access(window, trn_path):
    build_chain(window, trn_path)
    namespace = build_flowchart_namespace(window)
    assert {"get_nodes", "this", "Transmission", "pd", "np"} <= set(namespace)
    assert namespace["this"] is window
    console = window.show_console()
    console.execute("shape = get_nodes()['ZScore.0'].t.df.shape")
    columns = window.get_nodes()["ZScore.0"].t.df.columns
    assert console.namespace["shape"] == (N_CURVES, len(columns))


def test_dropping_a_trn_file_adds_a_load_file_node(window, trn_path):
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(trn_path))])
    viewport = window.view.viewport()
    point = QtCore.QPoint(200, 200)
    enter = QtGui.QDragEnterEvent(point, QtCore.Qt.CopyAction, mime, QtCore.Qt.LeftButton,
                                  QtCore.Qt.NoModifier)
    QtWidgets.QApplication.sendEvent(viewport, enter)
    assert enter.isAccepted()
    drop = QtGui.QDropEvent(QtCore.QPointF(point), QtCore.Qt.CopyAction, mime,
                            QtCore.Qt.LeftButton, QtCore.Qt.NoModifier)
    QtWidgets.QApplication.sendEvent(viewport, drop)
    node = window.get_nodes()["data"]
    assert node.nodeName == "LoadFile" and len(node.t.df) == N_CURVES


def test_window_renders(qtbot, window, trn_path):
    nodes = build_chain(window, trn_path)
    splice = window.add_node("SpliceArrays", pos=(300, 120))
    window.connect_nodes(nodes["Normalize.0"], splice)
    splice.set_apply(True)  # no indices: the error shows on the node
    window.resize(1300, 800)
    window.reset_view()
    qtbot.wait(50)
    image = window.grab()
    image.save("/tmp/flowchart.png")
    assert image.width() == 1300 and splice.error is not None
