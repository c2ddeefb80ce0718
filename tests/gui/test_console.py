"""The Viewer console namespace (the guide's names and examples) and the embedded qtconsole."""
from __future__ import annotations

import json

import numpy as np
import pytest
import tifffile
from qtpy import QtCore

from mesmerize.core.batch.errors import BatchError
from mesmerize.core.errors import FormatVersionError, ImageLoadError
from mesmerize.core.imaging.imgdata import ImgData
from mesmerize.core.system_config import console_history_path
from mesmerize.core.work_env import ViewerWorkEnv
from mesmerize.gui.console import build_viewer_namespace, load_history, save_history

from .conftest import META

GUIDE_NAMES = {"vi", "all_modules", "ViewerWorkEnv", "ImgData", "get_workEnv", "get_image",
               "get_meta", "get_module", "get_batch_manager", "update_workEnv", "clear_workEnv",
               "image_utils", "viewer", "this"}  # viewer: the guide's CNMF(E) scripts use it


def test_namespace_has_exactly_the_guide_names(viewer):
    namespace = build_viewer_namespace(viewer)
    assert set(namespace) == GUIDE_NAMES
    assert namespace["ViewerWorkEnv"] is ViewerWorkEnv and namespace["ImgData"] is ImgData
    assert namespace["all_modules"] == viewer.module_names()
    assert namespace["vi"] is viewer.vi
    assert namespace["viewer"] is viewer.vi.viewer
    assert namespace["this"] is viewer
    assert hasattr(namespace["image_utils"], "auto_crop")


def test_view_meta_data_and_history_trace(loaded_viewer):
    namespace = build_viewer_namespace(loaded_viewer)
    assert namespace["get_meta"]() == META
    assert eval("get_workEnv().history_trace", namespace) == []
    assert namespace["get_workEnv"]() is loaded_viewer.vi.viewer.workEnv


def test_guide_open_image_with_the_tiff_module(viewer, movie_files):
    tiff, meta, seq = movie_files
    namespace = build_viewer_namespace(viewer)
    namespace.update(tiff_path=str(tiff), meta_path=str(meta))
    exec("tio = get_module('tiff_io')\n"
         "tio.load_tiff(tiff_path, meta_path, method='asarray')\n", namespace)
    np.testing.assert_array_equal(viewer.vi.viewer.workEnv.imgdata.seq, seq)
    assert viewer.image_display.image_view.image.shape == seq.shape


def test_guide_open_any_image_through_the_core_api(viewer, movie_files):
    tiff, _, seq = movie_files
    namespace = build_viewer_namespace(viewer)
    namespace.update(path=str(tiff), META=META)
    # the guide's snippet (its "work_end" typo corrected)
    exec("import tifffile\n"
         "seq = tifffile.imread(path)\n"
         "meta = META\n"
         "imgdata = ImgData(seq.T, meta)\n"
         "work_env = ViewerWorkEnv(imgdata)\n"
         "vi.viewer.workEnv = work_env\n"
         "update_workEnv()\n", namespace)
    np.testing.assert_array_equal(namespace["get_image"](), tifffile.imread(tiff).T)
    assert viewer.vi.viewer.workEnv is namespace["work_env"]
    assert viewer.image_display.image_view.image.shape == seq.shape
    # the project's columns were given to the new work environment
    assert namespace["work_env"].stim_maps.stim_types == ("ori",)


def test_guide_splice_image_sequence(loaded_viewer, movie_files):
    _, _, seq = movie_files
    namespace = build_viewer_namespace(loaded_viewer)
    exec("seq = get_image()\n"
         "trim = seq[:, :, 10:30]\n"
         "vi.viewer.workEnv.imgdata.seq = trim\n"
         "update_workEnv()\n", namespace)
    np.testing.assert_array_equal(namespace["get_image"](), seq[:, :, 10:30])
    assert loaded_viewer.image_display.image_view.image.shape == (40, 32, 20)
    assert loaded_viewer.image_display.frame_label.text().endswith("/ 20")


def test_changes_from_the_console_refresh_the_viewer_by_themselves(loaded_viewer, qtbot):
    namespace = build_viewer_namespace(loaded_viewer)
    exec("vi.viewer.workEnv.imgdata.seq = get_image()[:, :, :5]", namespace)
    qtbot.waitUntil(lambda: loaded_viewer.image_display.image_view.image.shape[2] == 5,
                    timeout=2000)


def test_clear_workenv_and_get_image_when_empty(loaded_viewer):
    namespace = build_viewer_namespace(loaded_viewer)
    namespace["clear_workEnv"]()
    assert loaded_viewer.vi.viewer.workEnv.is_empty
    with pytest.raises(ImageLoadError, match="no image"):
        namespace["get_image"]()
    assert namespace["get_meta"]() == {}
    exec("vi._clear_workEnv()", namespace)  # the name the guide's CNMF script uses


def test_get_batch_manager(viewer):
    namespace = build_viewer_namespace(viewer)
    with pytest.raises(BatchError, match="Batch Manager"):
        namespace["get_batch_manager"]()
    manager = object()
    viewer.batch_manager = manager
    assert namespace["get_batch_manager"]() is manager


def test_history_file_round_trip_and_newer_version_refused(tmp_path):
    path = tmp_path / "history.txt"
    assert load_history(path) == []
    save_history(path, ["a = 1", "for i in range(2):\n    print(i)"])
    assert load_history(path) == ["a = 1", "for i in range(2):\n    print(i)"]
    path.write_text(json.dumps({"format_version": 99, "entries": []}))
    with pytest.raises(FormatVersionError, match="upgrade"):
        load_history(path)
    path.write_text("not json")
    with pytest.raises(FormatVersionError, match="delete it"):
        load_history(path)


def test_real_console_script_editor_and_persistent_history(loaded_viewer, tmp_path, qtbot):
    from mesmerize.gui.console import ConsoleWidget

    loaded_viewer.menu_action("View", "Console").trigger()
    console = loaded_viewer.console
    assert loaded_viewer.console_dock.isVisible()
    assert GUIDE_NAMES <= set(console.namespace)
    console.execute("n_frames = get_image().shape[2]")
    assert console.namespace["n_frames"] == 50

    editor = loaded_viewer.get_module("script_editor")
    script = tmp_path / "splice.py"
    script.write_text("trim = get_image()[:, :, :7]\nvi.viewer.workEnv.imgdata.seq = trim\n"
                      "update_workEnv()\n")
    editor.open(script)
    editor.editor.appendPlainText("spliced = get_image().shape")
    editor.run()
    assert console.namespace["spliced"] == (40, 32, 7)
    assert console.namespace["__file__"] == str(script)
    assert loaded_viewer.image_display.image_view.image.shape[2] == 7
    assert editor.save()
    assert script.read_text().endswith("spliced = get_image().shape")

    history_file = console_history_path("viewer")
    ran = f"run_source(_script_editor_text, {str(script)!r}, globals(), set_file=True)"
    expected = ["n_frames = get_image().shape[2]", ran]
    # the history is written when the kernel's execute replies reach the widget
    qtbot.waitUntil(lambda: history_file.exists() and load_history(history_file) == expected,
                    timeout=5000)
    # Page Up / Page Down walk through the history
    qtbot.keyClick(console.rich._control, QtCore.Qt.Key_PageUp)
    assert console.rich.input_buffer == ran
    qtbot.keyClick(console.rich._control, QtCore.Qt.Key_PageUp)
    assert console.rich.input_buffer == "n_frames = get_image().shape[2]"
    qtbot.keyClick(console.rich._control, QtCore.Qt.Key_PageDown)
    assert console.rich.input_buffer == ran
    assert "get_batch_manager()" in console.rich.banner

    other = ConsoleWidget({"x": 1}, "viewer")
    qtbot.addWidget(other)
    assert other.history[-1] == ran
    assert "vi" not in other.namespace  # every console has its own namespace
    assert console.namespace["n_frames"] == 50
    other.shutdown()


def test_enter_adds_a_line_and_shift_enter_executes(qtbot):
    from mesmerize.gui.console import ConsoleWidget

    console = ConsoleWidget({"a": 1}, "keys_test")
    qtbot.addWidget(console)
    console.show()
    control = console.rich._control
    qtbot.waitUntil(lambda: "In [1]" in control.toPlainText(), timeout=5000)
    qtbot.keyClicks(control, "b = a + 1")
    qtbot.keyClick(control, QtCore.Qt.Key_Return)
    assert "b" not in console.namespace
    qtbot.keyClicks(control, "c = b + 1")
    qtbot.keyClick(control, QtCore.Qt.Key_Return, QtCore.Qt.ShiftModifier)
    qtbot.waitUntil(lambda: "c" in console.namespace, timeout=5000)
    assert console.namespace["b"] == 2 and console.namespace["c"] == 3
    console.shutdown()


def test_shutdown_stops_the_kernel_thread(qtbot):
    import threading

    from mesmerize.gui.console import ConsoleWidget

    before = threading.active_count()
    consoles = [ConsoleWidget({"x": 1}, "viewer") for _ in range(3)]
    for console in consoles:
        qtbot.addWidget(console)
    assert threading.active_count() == before + 3  # one IOPub thread per in-process kernel
    for console in consoles:
        console.shutdown()
        console.shutdown()  # a second close is harmless
    qtbot.waitUntil(lambda: threading.active_count() == before, timeout=5000)
