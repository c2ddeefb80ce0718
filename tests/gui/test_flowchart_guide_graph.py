"""The guide's hierarchical-clustering graph built in the Flowchart window with qtbot:
LoadProjDF -> SpliceArrays -> Normalize -> RFFT -> AbsoluteValue -> LogTransform -> SpliceArrays
-> Linkage -> FCluster, run with Apply on, inspected through the console's ``get_nodes()`` and
compared with calling the pure operations directly on the same project DataFrame."""
from __future__ import annotations

import numpy as np
import pytest

from mesmerize.analysis import Transmission, get_operation
from mesmerize.analysis.ops.node_spec import get_node_spec
from mesmerize.core.project import Project
from mesmerize.gui.flowchart.namespace import build_flowchart_namespace
from mesmerize.gui.flowchart.window import FlowchartWindow
from tests.core.test_project_samples import make_work_env

N_SAMPLES, N_ROIS = 2, 4  # curves of equal length: every sample's movie has 40 frames

# (node name, node type, control values) in graph order after LoadProjDF
CHAIN = [
    ("SpliceArrays.0", "SpliceArrays", {"data_column": "_RAW_CURVE", "indices": "0:30"}),
    ("Normalize.0", "Normalize", {"data_column": "_SPLICE_ARRAYS"}),
    ("RFFT.0", "RFFT", {"data_column": "_NORMALIZE"}),
    ("AbsoluteValue.0", "AbsoluteValue", {"data_column": "_RFFT"}),
    ("LogTransform.0", "LogTransform", {"data_column": "_ABSOLUTE_VALUE", "transform": "log10"}),
    ("SpliceArrays.1", "SpliceArrays", {"data_column": "_LOG_TRANSFORM", "indices": "1:15"}),
]
LINKAGE = {"data_column": "_SPLICE_ARRAYS", "method": "complete", "metric": "wasserstein",
           "optimal_ordering": True}
FCLUSTER = {"threshold": 3.0, "criterion": "maxclust", "depth": 1}
GUIDE_OPERATIONS = ["spawn_transmission", "splice_arrays", "normalize", "rfft", "absolute_value",
                    "log_transform", "splice_arrays", "fcluster"]


@pytest.fixture
def project(tmp_path):
    project = Project.create(tmp_path / "proj")
    for seed in range(N_SAMPLES):
        project.add_sample(make_work_env(seed=seed, n_rois=N_ROIS), f"animal{seed}", "t1")
    return project


def build_guide_graph(qtbot, project) -> FlowchartWindow:
    """Adds and connects every node as a user would, then sets values and turns Apply on in
    graph order (each node's column pickers fill once its input has data)."""
    window = FlowchartWindow(project_provider=lambda: project)
    qtbot.addWidget(window)
    window.show()
    load = window.add_node("LoadProjDF", pos=(0, 0))
    previous = load
    chain = []
    for i, (name, node_type, _values) in enumerate(CHAIN):
        node = window.add_node(node_type, pos=(150 * (i + 1), 0))
        assert node.name() == name
        window.connect_nodes(previous, node)
        chain.append(node)
        previous = node
    link = window.add_node("Linkage", pos=(150 * (len(CHAIN) + 1), 0))
    fclust = window.add_node("FCluster", pos=(150 * (len(CHAIN) + 2), 60))
    window.connect_nodes(previous, link)
    window.connect_nodes(link, fclust, "Out", "Linkage")
    window.connect_nodes(previous, fclust, "Out", "Data")

    load.set_apply(True)
    for node, (_name, _type, values) in zip(chain, CHAIN):
        node.controls.set_values(values)
        node.set_apply(True)
    link.controls.set_values(LINKAGE)
    link.set_apply(True)
    fclust.controls.set_values(FCLUSTER)
    fclust.set_apply(True)
    return window


def pure_pipeline(project) -> dict:
    """The same analysis through the pure functions: node name -> output."""
    t = Transmission.from_proj_df(project.dataframe, project, "root", [])
    outputs = {"LoadProjDF.0": t}
    for name, node_type, values in CHAIN:
        t = get_operation(node_type)(t, **values)
        outputs[name] = t
    link = get_node_spec("Linkage")(t, **LINKAGE)
    outputs["Linkage.0"] = link
    outputs["FCluster.0"] = get_node_spec("FCluster")(link, t, None, None, **FCLUSTER)
    return outputs


def assert_same_transmission(a: Transmission, b: Transmission) -> None:
    """Same columns, values and last output; the data blocks are new UUIDs in each run, so
    blocks are compared by their histories (in row order)."""
    assert list(a.df.columns) == list(b.df.columns)
    for column in a.df.columns:
        if column != "_BLOCK_":
            np.testing.assert_equal(list(a.df[column]), list(b.df[column]))
    assert a.last_output == b.last_output
    history_a = [a.history_trace.get_data_block_history(block) for block in a.df["_BLOCK_"]]
    history_b = [b.history_trace.get_data_block_history(block) for block in b.df["_BLOCK_"]]
    np.testing.assert_equal(history_a, history_b)


def test_guide_graph_in_the_window_equals_the_pure_pipeline(qtbot, project):
    window = build_guide_graph(qtbot, project)
    get_nodes = build_flowchart_namespace(window)["get_nodes"]
    nodes = get_nodes()
    expected = pure_pipeline(project)
    assert sorted(nodes) == sorted(expected)
    for name, node in nodes.items():
        assert node.error is None, f"{name}: {node.error}"

    n_curves = N_SAMPLES * N_ROIS
    for name in ["LoadProjDF.0"] + [name for name, _type, _values in CHAIN] + ["FCluster.0"]:
        out = nodes[name].t
        assert isinstance(out, Transmission) and len(out.df) == n_curves, name
        assert_same_transmission(out, expected[name])
    assert [len(a) for a in nodes["SpliceArrays.1"].t.df["_SPLICE_ARRAYS"]] == [14] * n_curves

    # Linkage passes a dict (no Transmission) to FCluster
    link = nodes["Linkage.0"]
    assert link.t is None
    np.testing.assert_array_equal(link.result["Out"]["linkage_matrix"],
                                  expected["Linkage.0"]["linkage_matrix"])
    assert link.result["Out"]["linkage_params"] == expected["Linkage.0"]["linkage_params"]

    out = nodes["FCluster.0"].t
    labels = out.df["FCLUSTER_LABELS"].to_numpy()
    np.testing.assert_array_equal(labels, expected["FCluster.0"].df["FCLUSTER_LABELS"].to_numpy())
    assert 1 <= labels.min() and labels.max() <= 3

    for block in out.df["_BLOCK_"].unique():
        assert out.history_trace.get_operations_list(block) == GUIDE_OPERATIONS
        params = out.history_trace.get_operation_params(block, "fcluster")
        assert params.pop("linkage_matrix") is not None
        assert params == {**FCLUSTER, "linkage_params": {
            "method": "complete", "metric": "wasserstein", "optimal_ordering": True}}
        assert out.history_trace.get_operation_params(block, "log_transform")["transform"] == \
            "log10"
    pure_block = expected["FCluster.0"].df["_BLOCK_"].iloc[0]
    assert expected["FCluster.0"].history_trace.get_operations_list(pure_block) == \
        GUIDE_OPERATIONS
