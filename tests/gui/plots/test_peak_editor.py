"""Peak Editor window driven with qtbot on a real Normalize -> Derivative -> PeakDetect output."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from qtpy import QtCore

from mesmerize.analysis import Transmission, get_operation
from mesmerize.gui.plots.peak_editor import MODES, PeakEditorWindow

LENGTH = 300
PEAKS = [(50, 1.0), (120, 0.6), (200, 0.9), (260, 0.4)]


def transients(times, seed):
    t = np.arange(LENGTH, dtype=float)
    x = np.full(LENGTH, 1.0)
    for peak, amp in times:
        x += amp * np.where(t <= peak, np.exp(-((t - peak) ** 2) / 50.0),
                            np.exp(-(t - peak) / 10.0))
    return x + np.random.default_rng(seed).normal(0, 0.002, LENGTH)


def detected(with_project: bool = False) -> Transmission:
    curves = [transients(PEAKS, 0), transients([(p + 10, a) for p, a in PEAKS], 1)]
    df = pd.DataFrame({"_RAW_CURVE": curves, "meta": [{"fps": 10.0}] * 2,
                       "SampleID": ["m1-_-t1", "m2-_-t1"]})
    t = Transmission.from_dataframe(df, proj_path="/data/proj" if with_project else None)
    norm = get_operation("Normalize")(t, data_column="_RAW_CURVE")
    deriv = get_operation("Derivative")(norm, data_column="_NORMALIZE")
    return get_operation("PeakDetect")(t, deriv, norm, None, data_column="_RAW_CURVE",
                                       AmplThrRel=0.05, Fictional_Bases=True)


@pytest.fixture
def editor(qtbot):
    window = PeakEditorWindow()
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()


def dot_positions(item):
    x, _ = item.getData()
    return np.asarray(x, dtype=int)


def test_input_fills_list_plot_and_history(editor):
    t = detected()
    assert editor.set_input(t, "_RAW_CURVE")
    assert editor.curve_list.count() == 2 and editor.current == 0
    assert "4 peaks" in editor.curve_list.item(0).text()
    np.testing.assert_array_equal(dot_positions(editor.peak_item), [p for p, _ in PEAKS])
    np.testing.assert_array_equal(dot_positions(editor.base_item),
                                  t.df.peaks_bases[0].event.to_numpy()[0::2])
    assert editor.history_tree.topLevelItemCount() == 1
    ops = editor.history_tree.topLevelItem(0)
    assert [ops.child(i).text(0).split(": ")[1] for i in range(ops.childCount())][-1] \
        == "peak_detect"
    editor.curve_list.setCurrentRow(1)
    np.testing.assert_array_equal(dot_positions(editor.peak_item), [p + 10 for p, _ in PEAKS])


def test_mode_buttons_and_dot_size(editor, qtbot):
    editor.set_input(detected(), "_RAW_CURVE")
    for mode in MODES:
        qtbot.mouseClick(editor.mode_buttons[mode], QtCore.Qt.LeftButton)
        assert editor.mode == mode
        assert editor.view_box.state["mouseEnabled"] == [mode == "View"] * 2
    editor.dot_size_slider.setValue(22)
    assert editor.peak_item.opts["size"] == 22 and editor.base_item.opts["size"] == 22


def view_to_widget(editor, x, y):
    scene = editor.view_box.mapViewToScene(QtCore.QPointF(x, y))
    return editor.plot_widget.mapFromScene(scene)


def test_real_mouse_click_adds_a_peak(editor, qtbot):
    t = detected()
    editor.set_input(t, "_RAW_CURVE")
    editor.resize(1000, 600)
    qtbot.wait(50)
    qtbot.mouseClick(editor.mode_buttons["Add Peak"], QtCore.Qt.LeftButton)
    y = editor.model.curve(0)
    pos = view_to_widget(editor, 80.2, y[80])
    qtbot.mouseClick(editor.plot_widget.viewport(), QtCore.Qt.LeftButton, pos=pos)
    assert 80 in editor.model.peaks(0)
    assert 80 in dot_positions(editor.peak_item)
    assert "unsaved" in editor.curve_list.item(0).text()


def test_add_delete_drag_through_the_mouse_handlers(editor, qtbot):
    editor.set_input(detected(), "_RAW_CURVE")
    model = editor.model
    y = model.curve(0)
    before = model.events(0)
    qtbot.mouseClick(editor.mode_buttons["Add Base"], QtCore.Qt.LeftButton)
    editor.click_at(70.0, y[70])
    assert 70 in model.bases(0) and model.events(0).size == before.size + 2
    qtbot.mouseClick(editor.mode_buttons["Delete"], QtCore.Qt.LeftButton)
    editor.click_at(70.0, y[70])
    np.testing.assert_array_equal(model.events(0), before)
    editor.click_at(10.0, y.max() * 5)  # nowhere near a dot
    assert editor.status.is_problem and "Click on a peak or base" in editor.status.text()
    qtbot.mouseClick(editor.mode_buttons["Drag"], QtCore.Qt.LeftButton)
    peak = int(before[3])
    editor.drag_start(float(peak), y[peak])
    editor.drag_move(peak + 3.4)
    assert peak + 3 in dot_positions(editor.peak_item)
    np.testing.assert_array_equal(model.events(0), before)  # not an edit until released
    editor.drag_finish(peak + 3.4)
    assert model.events(0)[3] == peak + 3 and not editor.status.is_problem
    editor.drag_start(float(peak + 3), y[peak + 3])
    editor.drag_finish(float(before[5] + 2))  # past the next base: refused
    assert model.events(0)[3] == peak + 3 and editor.status.is_problem
    assert "between its neighbours" in editor.status.text()


def test_relative_maxima_clear_and_save(editor, qtbot):
    editor.set_input(detected(), "_RAW_CURVE")
    model = editor.model
    y = model.curve(0)
    ev = model.events(0)
    model.move_event(0, ev[1], ev[1] - 5)
    qtbot.mouseClick(editor.relative_maxima_button, QtCore.Qt.LeftButton)
    for a, p, b in zip(ev[0:-1:2], model.peaks(0), ev[2::2]):
        assert p == a + 1 + np.argmax(y[a + 1:b])
    assert "unsaved" in editor.curve_list.item(0).text()
    qtbot.mouseClick(editor.save_curve_button, QtCore.Qt.LeftButton)
    assert "edited" in editor.curve_list.item(0).text() and not editor.unsaved
    editor.curve_list.setCurrentRow(1)
    qtbot.mouseClick(editor.clear_curve_button, QtCore.Qt.LeftButton)
    assert model.events(1).size == 0 and dot_positions(editor.peak_item).size == 0
    editor.curve_list.setCurrentRow(0)  # switching saves the cleared curve
    assert 1 not in editor.unsaved and "0 peaks  (edited)" in editor.curve_list.item(1).text()


def test_send_all_curves_and_disconnect(editor, qtbot):
    t = detected()
    editor.set_input(t, "_RAW_CURVE")
    editor.model.delete_event(0, editor.model.peaks(0)[1])
    with qtbot.waitSignal(editor.send_to_flowchart) as blocker:
        qtbot.mouseClick(editor.send_button, QtCore.Qt.LeftButton)
    sent = blocker.args[0]
    assert len(sent.df.peaks_bases[0]) == 7 and len(t.df.peaks_bases[0]) == 9
    pf = get_operation("PeakFeatures")(sent, data_column="_RAW_CURVE")
    assert len(pf.df) == 3 + 4
    qtbot.mouseClick(editor.disconnect_button, QtCore.Qt.LeftButton)
    assert editor.disconnected
    assert not editor.set_input(detected(), "_RAW_CURVE")
    assert editor.transmission is t and 0 in editor.model.edited  # edits kept
    with qtbot.waitSignal(editor.reconnected):
        qtbot.mouseClick(editor.disconnect_button, QtCore.Qt.LeftButton)


def test_open_in_viewer(editor, qtbot):
    editor.set_input(detected(), "_RAW_CURVE")
    qtbot.mouseClick(editor.open_in_viewer_button, QtCore.Qt.LeftButton)
    assert editor.status.is_problem  # no project path
    editor.set_input(detected(with_project=True), "_RAW_CURVE")
    editor.curve_list.setCurrentRow(1)
    with qtbot.waitSignal(editor.open_in_viewer_requested) as blocker:
        qtbot.mouseClick(editor.open_in_viewer_button, QtCore.Qt.LeftButton)
    assert blocker.args == ["m2-_-t1", "/data/proj"]


def test_bad_input_is_reported_not_raised(editor):
    t = detected()
    t.df["peaks_bases"] = [pd.DataFrame({"event": [1, 2], "label": ["peak", "base"]})] * 2
    editor.set_input(t, "_RAW_CURVE")
    assert editor.status.is_problem and editor.model is None
    assert "alternate" in editor.status.text() and editor.curve_list.count() == 0
    editor.set_mode("Add Peak")
    editor.click_at(5.0, 1.0)
    assert "No curve to edit" in editor.status.text()


def test_render_png(editor, tmp_path, qtbot):
    editor.set_input(detected(), "_RAW_CURVE")
    editor.resize(1100, 650)
    qtbot.wait(50)
    path = tmp_path / "peak_editor.png"
    assert editor.grab().save(str(path))
    assert path.stat().st_size > 10_000


def test_new_input_keeps_the_curve_shown(editor):
    editor.set_input(detected(), "_RAW_CURVE")
    editor.show_curve(1)
    editor.set_input(detected(), "_RAW_CURVE")
    assert editor.current == 1 and editor.curve_list.currentRow() == 1
    np.testing.assert_array_equal(dot_positions(editor.peak_item), [p + 10 for p, _ in PEAKS])
