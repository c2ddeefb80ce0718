"""The PeakDetect node with its Edit button: output compared with the pure operation, edits sent
from the Peak Editor become the output until inputs/parameters change or the editor re-connects.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from qtpy import QtCore

from mesmerize.analysis import Transmission, get_operation
from mesmerize.gui.flowchart.peak_detect_node import PeakDetectNode
from mesmerize.gui.flowchart.window import FlowchartWindow
from mesmerize.gui.plots import viewer_link
from tests.gui.plots.test_peak_editor import PEAKS, transients

PARAMS = {"data_column": "_RAW_CURVE", "AmplThrRel": 0.05, "Fictional_Bases": True}


@pytest.fixture
def trn_path(tmp_path):
    curves = [transients(PEAKS, 0), transients([(p + 10, a) for p, a in PEAKS], 1),
              transients(PEAKS[:2], 2)]
    df = pd.DataFrame({"_RAW_CURVE": curves, "meta": [{"fps": 10.0}] * 3,
                       "SampleID": ["a-_-1", "b-_-1", "c-_-1"]})
    path = tmp_path / "curves.trn"
    Transmission.from_dataframe(df, proj_path=str(tmp_path)).to_hdf5(path)
    return path


@pytest.fixture
def graph(qtbot, trn_path):
    window = FlowchartWindow()
    qtbot.addWidget(window)
    window.library.addNodeType(PeakDetectNode, [("Signal",)], override=True)
    window.show()
    load = window.add_load_file_node(trn_path)
    norm = window.add_node("Normalize", pos=(150, 0))
    deriv = window.add_node("Derivative", pos=(300, 0))
    peaks = window.add_node("PeakDetect", pos=(450, 0))
    features = window.add_node("PeakFeatures", pos=(600, 0))
    window.connect_nodes(load, norm)
    window.connect_nodes(norm, deriv)
    window.connect_nodes(load, peaks, in_terminal="Curve")
    window.connect_nodes(deriv, peaks, in_terminal="Derivative")
    window.connect_nodes(norm, peaks, in_terminal="Normalized")
    window.connect_nodes(peaks, features)
    norm.controls.set_values({"data_column": "_RAW_CURVE"})
    deriv.controls.set_values({"data_column": "_NORMALIZE"})
    peaks.controls.set_values(PARAMS)
    features.controls.set_values({"data_column": "_RAW_CURVE"})
    for node in (norm, deriv, peaks, features):
        node.set_apply(True)
    yield {"window": window, "load": load, "norm": norm, "deriv": deriv, "peaks": peaks,
           "features": features}
    if peaks.editor is not None:
        peaks.editor.close()
    window.close()


def test_node_is_the_operation_plus_edit(graph):
    peaks = graph["peaks"]
    assert isinstance(peaks, PeakDetectNode) and peaks.error is None
    norm, deriv = graph["norm"].t, graph["deriv"].t
    pure = get_operation("PeakDetect")(graph["load"].t, deriv, norm, None, **PARAMS)
    for a, b in zip(peaks.t.df.peaks_bases, pure.df.peaks_bases):
        pd.testing.assert_frame_equal(a, b)
    assert len(graph["features"].t.df) == 4 + 4 + 2
    assert peaks.edit_button.text() == "Edit"


def test_edit_send_and_inputs_changing(graph, qtbot):
    peaks, features = graph["peaks"], graph["features"]
    detected = peaks.t
    qtbot.mouseClick(peaks.edit_button, QtCore.Qt.LeftButton)
    editor = peaks.editor
    assert editor.isVisible() and editor.transmission is detected
    assert editor.curve_list.count() == 3
    qtbot.mouseClick(editor.mode_buttons["Delete"], QtCore.Qt.LeftButton)
    p = editor.model.peaks(0)[2]
    editor.click_at(float(p), editor.model.curve(0)[p])  # what a click on the dot does
    editor.show_curve(2)
    qtbot.mouseClick(editor.clear_curve_button, QtCore.Qt.LeftButton)
    qtbot.mouseClick(editor.send_button, QtCore.Qt.LeftButton)
    assert peaks.t is peaks.edited and peaks.t is not detected
    assert len(peaks.t.df.peaks_bases[0]) == 7 and len(peaks.t.df.peaks_bases[2]) == 0
    assert len(features.t.df) == 3 + 4  # downstream re-ran on the edited output
    assert p not in features.t.df.loc[features.t.df.SampleID == "a-_-1", "_pf_p_ix"].to_list()
    peaks.set_apply(False)  # re-processing with the same inputs keeps the edits
    peaks.set_apply(True)
    assert peaks.t is peaks.edited
    peaks.controls.set_values({"AmplThrAbs": 0.5})  # the detection changed: edits dropped
    peaks.update()
    assert peaks.edited is None and len(peaks.t.df.peaks_bases[2]) > 0
    pure = get_operation("PeakDetect")(graph["load"].t, graph["deriv"].t, graph["norm"].t,
                                       None, **PARAMS, AmplThrAbs=0.5)
    for a, b in zip(peaks.t.df.peaks_bases, pure.df.peaks_bases):
        pd.testing.assert_frame_equal(a, b)
    assert editor.transmission is peaks.t  # a connected editor follows the flowchart


def test_disconnected_editor_keeps_edits_until_reconnected(graph, qtbot):
    peaks = graph["peaks"]
    editor = peaks.open_editor()
    qtbot.mouseClick(editor.disconnect_button, QtCore.Qt.LeftButton)
    editor.model.clear(1)
    graph["deriv"].controls.set_values({"data_column": "_RAW_CURVE"})  # upstream change
    graph["deriv"].update()
    assert editor.transmission is not peaks.t and editor.model.events(1).size == 0
    qtbot.mouseClick(editor.send_button, QtCore.Qt.LeftButton)
    assert len(peaks.t.df.peaks_bases[1]) == 0 and peaks.t is peaks.edited
    qtbot.mouseClick(editor.disconnect_button, QtCore.Qt.LeftButton)  # re-connect
    assert peaks.edited is None and len(peaks.t.df.peaks_bases[1]) > 0
    assert editor.transmission is peaks.t and editor.model.edited == set()


def test_open_in_viewer_goes_through_the_app(graph, qtbot, trn_path):
    editor = graph["peaks"].open_editor()
    editor.show_curve(1)
    viewer_link.set_sample_opener(None)
    qtbot.mouseClick(editor.open_in_viewer_button, QtCore.Qt.LeftButton)
    assert editor.status.is_problem and "No Mesmerize application" in editor.status.details
    opened = []
    viewer_link.set_sample_opener(lambda sample, path: opened.append((sample, path)))
    try:
        qtbot.mouseClick(editor.open_in_viewer_button, QtCore.Qt.LeftButton)
    finally:
        viewer_link.set_sample_opener(None)
    assert opened == [("b-_-1", str(trn_path.parent))]


def test_pb_input_shows_saved_peaks(graph, qtbot, tmp_path):
    peaks = graph["peaks"]
    path = tmp_path / "peaks.trn"
    peaks.t.to_hdf5(path)
    window = graph["window"]
    saved = window.add_load_file_node(path, pos=(0, 200))
    viewer = window.add_node("PeakDetect", name="PB", pos=(300, 200))
    window.connect_nodes(saved, viewer, in_terminal="PB_Input")
    viewer.controls.set_values({"data_column": "_RAW_CURVE"})
    viewer.set_apply(True)
    editor = viewer.open_editor()
    try:
        assert viewer.error is None, viewer.error
        assert not editor.status.is_problem, editor.status.details
        np.testing.assert_array_equal(editor.model.events(0),
                                      peaks.t.df.peaks_bases[0].event.to_numpy())
    finally:
        editor.close()


def test_edits_reach_the_output_when_nodes_compute_in_background(graph, qtbot):
    window, peaks, features = graph["window"], graph["peaks"], graph["features"]
    window.set_run_in_background(True)
    editor = peaks.open_editor()
    editor.model.clear(0)
    qtbot.mouseClick(editor.send_button, QtCore.Qt.LeftButton)
    qtbot.waitUntil(lambda: not peaks.busy and not features.busy and features.t is not None
                    and len(features.t.df) == 4 + 2, timeout=10_000)
    assert peaks.t is peaks.edited
    peaks.controls.set_values({"AmplThrAbs": 0.5})
    peaks.update()
    qtbot.waitUntil(lambda: not peaks.busy and peaks.t is not None and peaks.edited is None
                    and len(peaks.t.df.peaks_bases[0]) > 0, timeout=10_000)
    qtbot.waitUntil(lambda: editor.transmission is peaks.t, timeout=10_000)
