"""NodeSpec nodes in the Flowchart window (Hierarchical nodes passing dicts, LDA with four
outputs): generated from their specs, their outputs equal calling the specs directly, errors are
shown on the node, and ``.fc`` files keep them."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from qtpy import QtWidgets

from mesmerize.analysis import Transmission
from mesmerize.analysis.ops.node_spec import get_node_spec, list_node_specs
from mesmerize.gui.flowchart.base_node import ERROR_COLOR
from mesmerize.gui.flowchart.nodes_from_specs import SpecNode
from mesmerize.gui.flowchart.window import FlowchartWindow

N_PER_CLUSTER, LENGTH = 5, 40
CLUSTERS = ("rise", "fall", "wave")


def make_clustered() -> Transmission:
    """Curves of three obvious clusters (a rising ramp, a falling ramp, a sine of amplitude 8;
    noise sd 0.05), the true cluster in ``cluster`` and two scalar features per row."""
    rng = np.random.default_rng(1)
    x = np.linspace(0.0, 1.0, LENGTH)
    shapes = {"rise": 10 * x, "fall": 10 * (1 - x), "wave": 5 + 8 * np.sin(2 * np.pi * x)}
    curves, labels = [], []
    for name in CLUSTERS:
        for _ in range(N_PER_CLUSTER):
            curves.append(shapes[name] + rng.normal(0, 0.05, LENGTH))
            labels.append(name)
    first = np.array([c[0] for c in curves]) + rng.normal(0, 0.3, len(curves))
    span = np.array([np.ptp(c) for c in curves]) + rng.normal(0, 0.3, len(curves))
    df = pd.DataFrame({"_RAW_CURVE": curves, "cluster": labels, "_first": first, "_span": span})
    return Transmission.from_dataframe(df)


@pytest.fixture
def trn_path(tmp_path):
    path = tmp_path / "clusters.trn"
    make_clustered().to_hdf5(path)
    return path


def new_window(qtbot, **kwargs) -> FlowchartWindow:
    window = FlowchartWindow(**kwargs)
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.fixture
def window(qtbot):
    return new_window(qtbot)


def build_hierarchical(window: FlowchartWindow, trn_path) -> dict:
    """LoadFile -> Linkage -> FCluster (Data from LoadFile), maxclust 3, Apply on."""
    load = window.add_node("LoadFile", pos=(0, 0))
    link = window.add_node("Linkage", pos=(170, 0))
    fclust = window.add_node("FCluster", pos=(340, 40))
    window.connect_nodes(load, link)
    window.connect_nodes(link, fclust, "Out", "Linkage")
    window.connect_nodes(load, fclust, "Out", "Data")
    load.set_path(trn_path)
    link.controls.set_values({"data_column": "_RAW_CURVE", "method": "average"})
    fclust.controls.set_values({"criterion": "maxclust", "threshold": 3.0})
    link.set_apply(True)
    fclust.set_apply(True)
    return window.get_nodes()


def assert_same_transmission(a: Transmission, b: Transmission, new_blocks: bool = False) -> None:
    """Same columns, cell values (arrays elementwise), last output and history.
    ``new_blocks``: the outputs spawn new data blocks (random UUIDs), so blocks are compared
    by their histories only."""
    assert list(a.df.columns) == list(b.df.columns)
    for column in a.df.columns:
        if not (new_blocks and column == "_BLOCK_"):
            np.testing.assert_equal(list(a.df[column]), list(b.df[column]))
    assert a.last_output == b.last_output
    if new_blocks:
        np.testing.assert_equal(list(a.history_trace.history.values()),
                                list(b.history_trace.history.values()))
    else:
        np.testing.assert_equal(a.history_trace.history, b.history_trace.history)


# --- generated nodes ----------------------------------------------------------------------------
def test_every_spec_is_a_node_of_its_category(window):
    tree = window.library.getNodeTree()
    specs = list_node_specs()
    assert {s.name for s in specs} >= {"Linkage", "Inconsistent", "MaxIncStat",
                                       "MaxInconsistent", "FCluster", "LDA"}
    for spec in specs:
        assert spec.name in tree[spec.category]
        node = window.add_node(spec.name)
        assert isinstance(node, SpecNode)
        assert list(node.inputs()) == list(spec.inputs)
        assert list(node.outputs()) == list(spec.outputs)
        assert list(node.controls.values()) == [p.name for p in spec.params]
        assert node.controls.values() == spec.defaults()
        assert node.apply_box is not None and not node.apply_box.isChecked()
    lda = window.get_nodes()["LDA.0"]
    assert isinstance(lda.controls.editors["solver"].widget, QtWidgets.QComboBox)
    assert isinstance(lda.controls.editors["train_data"].widget, QtWidgets.QListWidget)
    menu = window.chart_widget.buildMenu()
    submenus = {a.menu().title(): a.menu() for a in menu.actions() if a.menu()}
    assert "FCluster" in [a.text() for a in submenus["Hierarchical"].actions()]
    assert "LDA" in [a.text() for a in submenus["Transform"].actions()]


# --- outputs equal the specs --------------------------------------------------------------------
def test_linkage_fcluster_graph_equals_the_specs(window, trn_path):
    nodes = build_hierarchical(window, trn_path)
    link, fclust = nodes["Linkage.0"], nodes["FCluster.0"]
    assert link.error is None and fclust.error is None
    t = Transmission.from_hdf5(trn_path)
    z = get_node_spec("Linkage")(t, data_column="_RAW_CURVE", method="average")
    expected = get_node_spec("FCluster")(z, t, None, None, criterion="maxclust", threshold=3.0)
    assert link.t is None and set(link.result) == {"Out"}
    np.testing.assert_array_equal(link.result["Out"]["linkage_matrix"], z["linkage_matrix"])
    assert link.result["Out"]["linkage_params"] == z["linkage_params"]
    labels = fclust.t.df["FCLUSTER_LABELS"].to_numpy()
    np.testing.assert_array_equal(labels, expected.df["FCLUSTER_LABELS"].to_numpy())
    assert_same_transmission(fclust.t, expected)
    # the three obvious clusters are found: one label per true cluster, all different
    per_cluster = [set(labels[t.df["cluster"] == name]) for name in CLUSTERS]
    assert all(len(s) == 1 for s in per_cluster) and len(set.union(*per_cluster)) == 3
    ops = fclust.t.history_trace.get_operations_list(t.df["_BLOCK_"].iloc[0])
    assert ops[-1] == "fcluster"


def test_inconsistency_chain_equals_the_specs(window, trn_path):
    nodes = build_hierarchical(window, trn_path)
    link, fclust = nodes["Linkage.0"], nodes["FCluster.0"]
    inc = window.add_node("Inconsistent", pos=(170, 120))
    maxinc = window.add_node("MaxIncStat", pos=(340, 160))
    window.connect_nodes(link, inc, "Out", "Linkage")
    window.connect_nodes(link, maxinc, "Out", "Linkage")
    window.connect_nodes(inc, maxinc, "Out", "IncM")
    window.connect_nodes(maxinc, fclust, "Out", "Monocrit")
    inc.controls.set_values({"depth": 3})
    fclust.controls.set_values({"criterion": "maxclust_monocrit", "threshold": 3.0})
    for node in (inc, maxinc):
        node.set_apply(True)
    fclust.update()
    t = Transmission.from_hdf5(trn_path)
    z = get_node_spec("Linkage")(t, data_column="_RAW_CURVE", method="average")
    r = get_node_spec("Inconsistent")(z, depth=3)
    mono = get_node_spec("MaxIncStat")(z, r)
    expected = get_node_spec("FCluster")(z, t, None, mono, criterion="maxclust_monocrit",
                                         threshold=3.0)
    np.testing.assert_array_equal(inc.result["Out"]["inconsistency_matrix"],
                                  r["inconsistency_matrix"])
    np.testing.assert_array_equal(maxinc.result["Out"]["monocrit"], mono["monocrit"])
    assert fclust.error is None
    assert_same_transmission(fclust.t, expected)


def test_lda_four_outputs_equal_the_spec(window, trn_path):
    load = window.add_node("LoadFile", pos=(0, 0))
    lda = window.add_node("LDA", pos=(170, 0))
    views = {term: window.add_node("ViewTransmission", pos=(360, 60 * i))
             for i, term in enumerate(("T", "coef", "means", "predicted"))}
    window.connect_nodes(load, lda, "Out", "train_data")
    window.connect_nodes(load, lda, "Out", "predict")
    for term, view in views.items():
        window.connect_nodes(lda, view, term, "In")
    load.set_path(trn_path)
    params = {"train_data": ["_first", "_span"], "labels": "cluster", "solver": "eigen",
              "n_components": 2}
    lda.controls.set_values(params)
    lda.set_apply(True)
    assert lda.error is None
    t = Transmission.from_hdf5(trn_path)
    expected = get_node_spec("LDA")(t, t, **params)
    assert lda.t is lda.result["T"]
    for term, view in views.items():
        assert lda.result[term] is not None
        assert_same_transmission(lda.result[term], expected[term],
                                 new_blocks=term in ("coef", "means"))
        assert view.t is lda.result[term]
    assert lda.result["score"] == pytest.approx(expected["score"], abs=0)
    assert lda.extra_label.text() == f"score: {expected['score']:.6g}"
    assert lda.extra_label.isVisibleTo(lda.ctrlWidget())
    # the column editors offer the input's columns
    labels_box = lda.controls.editors["labels"].widget
    assert "cluster" in [labels_box.itemText(i) for i in range(labels_box.count())]


# --- errors on the node -------------------------------------------------------------------------
def test_parameter_error_is_shown_on_the_node(window, trn_path):
    nodes = build_hierarchical(window, trn_path)
    link, fclust = nodes["Linkage.0"], nodes["FCluster.0"]
    box = link.controls.editors["method"].widget
    box.setCurrentIndex(box.findText("ward"))
    link.controls.set_values({"metric": "cityblock"})
    link.update()
    assert link.result is None and link.t is None
    assert "metric" in link.error and "euclidean" in link.error
    assert link.status_label.isVisibleTo(link.ctrlWidget())
    assert link.graphicsItem().pen.color() == ERROR_COLOR
    assert link.graphicsItem().toolTip() == link.error
    # downstream waits without an error of its own
    assert fclust.t is None and fclust.error is None
    metric = link.controls.editors["metric"].widget
    metric.setCurrentIndex(metric.findText("euclidean"))
    assert link.error is None and link.graphicsItem().pen.color() != ERROR_COLOR
    assert fclust.t is not None and fclust.error is None


def test_input_errors_are_shown_on_the_node(window, trn_path):
    load = window.add_node("LoadFile")
    fclust = window.add_node("FCluster")
    window.connect_nodes(load, fclust, "Out", "Data")
    load.set_path(trn_path)
    fclust.set_apply(True)
    assert "connect the Linkage input" in fclust.error
    window.connect_nodes(load, fclust, "Out", "Linkage")
    assert "Linkage input must be the dict output" in fclust.error
    assert fclust.t is None and fclust.result is None


def test_apply_off_clears_the_outputs(window, trn_path):
    nodes = build_hierarchical(window, trn_path)
    nodes["Linkage.0"].set_apply(False)
    assert nodes["Linkage.0"].result is None
    assert nodes["FCluster.0"].t is None and nodes["FCluster.0"].error is None


# --- .fc files and rendering --------------------------------------------------------------------
def test_fc_round_trip_with_spec_nodes(qtbot, window, trn_path, tmp_path):
    nodes = build_hierarchical(window, trn_path)
    inc = window.add_node("Inconsistent", pos=(170, 120))
    window.connect_nodes(nodes["Linkage.0"], inc, "Out", "Linkage")
    inc.controls.set_values({"depth": 4})
    inc.set_apply(True)
    lda = window.add_node("LDA", pos=(170, 240))
    window.connect_nodes(nodes["LoadFile.0"], lda, "Out", "train_data")
    lda.controls.set_values({"train_data": ["_first", "_span"], "labels": "cluster",
                             "solver": "lsqr", "shrinkage": "value", "shrinkage_val": 0.25,
                             "n_components": 1})
    lda.set_apply(True)
    assert lda.error is None and inc.error is None
    path = window.save_fc(tmp_path / "flowcharts" / "hier")

    reloaded = new_window(qtbot, fc_path=path)
    new_nodes = reloaded.get_nodes()
    assert sorted(new_nodes) == sorted(window.get_nodes())
    assert reloaded.connections() == window.connections()
    for name, node in window.get_nodes().items():
        assert new_nodes[name].state() == node.state()
    assert new_nodes["LDA.0"].controls.values()["shrinkage"] == "value"
    assert new_nodes["LDA.0"].controls.values()["n_components"] == 1
    assert new_nodes["Inconsistent.0"].controls.values() == {"depth": 4}
    assert new_nodes["FCluster.0"].controls.values()["criterion"] == "maxclust"
    assert_same_transmission(new_nodes["FCluster.0"].t, nodes["FCluster.0"].t)
    assert_same_transmission(new_nodes["LDA.0"].t, lda.t)
    np.testing.assert_array_equal(new_nodes["Inconsistent.0"].result["Out"]["inconsistency_matrix"],
                                  inc.result["Out"]["inconsistency_matrix"])


def test_window_renders_spec_nodes(qtbot, window, trn_path):
    nodes = build_hierarchical(window, trn_path)
    lda = window.add_node("LDA", pos=(170, 160))
    window.connect_nodes(nodes["LoadFile.0"], lda, "Out", "train_data")
    lda.set_apply(True)  # no labels chosen: the error shows on the node
    window.resize(1300, 800)
    window.reset_view()
    qtbot.wait(50)
    image = window.grab()
    image.save("/tmp/flowchart_specs.png")
    lda.ctrlWidget().grab().save("/tmp/flowchart_specs_lda_controls.png")
    assert image.width() == 1300 and lda.error is not None and "labels" in lda.error
    # the node is wide enough for its input and output labels side by side
    for node in window.get_nodes().values():
        width = node.graphicsItem().bounds.width()
        for inp in node.inputs().values():
            for out in node.outputs().values():
                in_label, out_label = inp.graphicsItem().label, out.graphicsItem().label
                assert in_label.pos().x() + in_label.boundingRect().width() \
                    <= out_label.pos().x() <= width
