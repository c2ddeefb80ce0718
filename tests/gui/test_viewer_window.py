"""The Viewer window: Tiff file module, Image menu, View/Help/Plugins menus, docks."""
from __future__ import annotations

import numpy as np
import pytest
from qtpy import QtCore, QtGui, QtWidgets

from mesmerize.core.errors import ParameterError
from mesmerize.core.imaging import image_ops

from .conftest import META


def _answer(monkeypatch, answer):
    calls = []

    def question(*args, **kwargs):
        calls.append(args)
        return answer

    monkeypatch.setattr(QtWidgets.QMessageBox, "question", question)
    return calls


def test_tiff_module_loads_file_chosen_in_the_gui(viewer, movie_files, qtbot):
    tiff, meta, seq = movie_files
    viewer.menu_action("Modules", "Load Images", "Tiff files").trigger()
    module = viewer.module_widget("tiff_io")
    assert viewer.module_dock("tiff_io").isVisible()
    module.set_tiff_path(str(tiff))
    assert module.meta_edit.text() == str(meta)  # found beside the movie
    module.method_combo.setCurrentText("imread")
    qtbot.mouseClick(module.load_button, QtCore.Qt.LeftButton)
    work_env = viewer.vi.viewer.workEnv
    np.testing.assert_array_equal(work_env.imgdata.seq, seq)
    assert work_env.meta["fps"] == META["fps"]
    assert viewer.image_display.image_view.image.shape == seq.shape
    assert viewer.windowTitle() == "Viewer - test_imager"
    assert "Loaded movie.tiff" in module.status.text()
    assert viewer.image_display.frame_label.text() == f"frame 1 / {seq.shape[2]}"


def test_tiff_module_without_meta_warns_and_errors_are_shown(viewer, tmp_path, movie_files):
    tiff, _, _ = movie_files
    lone = tmp_path / "lone.tif"
    lone.write_bytes(tiff.read_bytes())
    module = viewer.get_module("tiff_io")
    module.set_tiff_path(str(lone))
    assert module.meta_edit.text() == ""
    assert "Select meta data" in module.status.text()
    module.set_tiff_path(str(tmp_path / "missing.tiff"))
    module.load_clicked()
    assert "does not exist" in module.status.text()
    assert viewer.vi.viewer.workEnv.is_empty


def test_tiff_module_asks_before_replacing_a_modified_work_env(loaded_viewer, movie_files,
                                                               monkeypatch):
    tiff, _, _ = movie_files
    rois = loaded_viewer.get_module("roi_manager")
    rois.add_polygon()
    old_env = loaded_viewer.vi.viewer.workEnv
    assert old_env.modified
    module = loaded_viewer.get_module("tiff_io")
    module.set_tiff_path(str(tiff))
    calls = _answer(monkeypatch, QtWidgets.QMessageBox.No)
    module.load_clicked()
    assert len(calls) == 1 and loaded_viewer.vi.viewer.workEnv is old_env
    _answer(monkeypatch, QtWidgets.QMessageBox.Yes)
    module.load_clicked()
    new_env = loaded_viewer.vi.viewer.workEnv
    assert new_env is not old_env and len(new_env.roi_manager.roi_list) == 0
    assert not new_env.modified
    # the project's columns follow the new work environment
    assert new_env.roi_manager.roi_type_columns == ("cell_type", "region")
    assert new_env.stim_maps.stim_types == ("ori",)


def test_tiff_module_accepts_dropped_tiff(viewer, movie_files):
    tiff, meta, _ = movie_files
    module = viewer.get_module("tiff_io")
    mime = QtCore.QMimeData()
    mime.setUrls([QtCore.QUrl.fromLocalFile(str(tiff))])
    event = QtGui.QDropEvent(QtCore.QPointF(5, 5), QtCore.Qt.CopyAction, mime,
                             QtCore.Qt.LeftButton, QtCore.Qt.NoModifier)
    module.dropEvent(event)
    assert module.tiff_edit.text() == str(tiff)
    assert module.meta_edit.text() == str(meta)


def test_crop_region_then_crop_again_crops_the_work_env(loaded_viewer, movie_files):
    _, _, seq = movie_files
    crop_action = loaded_viewer.menu_action("Image", "Crop")
    crop_action.trigger()
    region = loaded_viewer.crop_tool.region
    assert region is not None
    region.setPos((3, 4))
    region.setSize((20, 10))
    crop_action.trigger()
    work_env = loaded_viewer.vi.viewer.workEnv
    np.testing.assert_array_equal(work_env.imgdata.seq, seq[3:23, 4:14, :])
    assert work_env.history_trace[-1] == {"crop": {"x0": 3, "x1": 23, "y0": 4, "y1": 14}}
    assert loaded_viewer.crop_tool.region is None
    assert loaded_viewer.image_display.image_view.image.shape == (20, 10, seq.shape[2])


def test_crop_is_refused_while_rois_exist(loaded_viewer, movie_files):
    _, _, seq = movie_files
    loaded_viewer.get_module("roi_manager").add_polygon()
    crop_action = loaded_viewer.menu_action("Image", "Crop")
    crop_action.trigger()
    crop_action.trigger()
    assert "ROIs" in loaded_viewer.last_error
    assert loaded_viewer.vi.viewer.workEnv.imgdata.seq.shape == seq.shape


def test_crop_cancelled_by_remove_roi(loaded_viewer, movie_files):
    loaded_viewer.menu_action("Image", "Crop").trigger()
    region = loaded_viewer.crop_tool.region
    region.sigRemoveRequested.emit(region)
    assert loaded_viewer.crop_tool.region is None
    assert region not in loaded_viewer.image_display.view_box.addedItems


def test_resize_dialog_resizes(loaded_viewer, movie_files):
    _, _, seq = movie_files
    loaded_viewer.menu_action("Image", "Resize").trigger()
    dialog = loaded_viewer.dialog
    assert dialog.values() == (seq.shape[0], seq.shape[1], "linear")
    dialog.x_spin.setValue(20)
    dialog.y_spin.setValue(16)
    dialog.interpolation.setCurrentText("area")
    dialog.accept()
    out = loaded_viewer.vi.viewer.workEnv.imgdata.seq
    np.testing.assert_array_equal(out, image_ops.resize(seq, 20, 16, "area"))
    assert loaded_viewer.vi.viewer.workEnv.history_trace[-1]["resize"]["new_x"] == 20


def test_change_dtype_dialog(loaded_viewer, movie_files):
    _, _, seq = movie_files
    loaded_viewer.menu_action("Image", "Change dtype").trigger()
    dialog = loaded_viewer.dialog
    dialog.dtype.setCurrentText("float32")
    dialog.rescale.setChecked(False)
    dialog.accept()
    out = loaded_viewer.vi.viewer.workEnv.imgdata.seq
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, seq.astype(np.float32))


@pytest.mark.parametrize("kind", ["Mean", "Max", "Std"])
def test_projection_windows(loaded_viewer, movie_files, kind):
    _, _, seq = movie_files
    loaded_viewer.menu_action("Image", "Projections", kind).trigger()
    window = loaded_viewer.projection_windows[-1]
    assert window.isVisible() and kind in window.windowTitle()
    expected = {"Mean": seq.mean(axis=2), "Max": seq.max(axis=2), "Std": seq.std(axis=2)}[kind]
    np.testing.assert_allclose(window.image_view.image, expected, rtol=1e-5)


def test_measure_line(loaded_viewer):
    measure = loaded_viewer.menu_action("Image", "Measure")
    measure.trigger()
    assert loaded_viewer.measure_tool.armed
    loaded_viewer.measure_tool.add_point(2.0, 3.0)
    loaded_viewer.measure_tool.add_point(5.0, 7.0)
    line = loaded_viewer.measure_tool.line
    assert line is not None
    assert loaded_viewer.measure_tool.measurement() == pytest.approx((3.0, 4.0, 5.0))
    # dragging an end handle changes the measurement
    line.movePoint(line.getHandles()[1], QtCore.QPointF(14.0, 3.0), coords="parent")
    assert loaded_viewer.measure_tool.measurement() == pytest.approx((12.0, 0.0, 12.0))
    measure.trigger()
    text = loaded_viewer.measure_tool.result_dialog.text()
    assert "dx: 12.00 px" in text and "dy: 0.00 px" in text and "length: 12.00 px" in text
    assert loaded_viewer.measure_tool.line is None


def test_measure_maps_scene_clicks_to_pixels(loaded_viewer, qtbot):
    view = loaded_viewer.image_display.view_box
    loaded_viewer.menu_action("Image", "Measure").trigger()

    class Click:
        def __init__(self, x, y):
            self._pos = view.mapViewToScene(QtCore.QPointF(x, y))

        def button(self):
            return QtCore.Qt.LeftButton

        def scenePos(self):
            return self._pos

    loaded_viewer.measure_tool._on_click(Click(1.5, 2.5))
    loaded_viewer.measure_tool._on_click(Click(9.5, 8.5))
    dx, dy, _ = loaded_viewer.measure_tool.measurement()
    assert (dx, dy) == pytest.approx((8.0, 6.0), abs=1e-6)


def test_clear_work_environment_asks_when_modified(loaded_viewer, monkeypatch):
    loaded_viewer.get_module("roi_manager").add_polygon()
    _answer(monkeypatch, QtWidgets.QMessageBox.No)
    loaded_viewer.menu_action("File", "Clear Work Environment").trigger()
    assert not loaded_viewer.vi.viewer.workEnv.is_empty
    _answer(monkeypatch, QtWidgets.QMessageBox.Yes)
    loaded_viewer.menu_action("File", "Clear Work Environment").trigger()
    work_env = loaded_viewer.vi.viewer.workEnv
    assert work_env.is_empty and len(work_env.roi_manager.roi_list) == 0
    assert loaded_viewer.image_display.image_view.image is None
    assert loaded_viewer.module_widget("roi_manager").graphics == {}


def test_work_env_editor_is_a_read_only_tree(loaded_viewer):
    loaded_viewer.menu_action("View", "Work Environment Editor").trigger()
    editor = loaded_viewer.work_env_editor
    assert editor.isVisible()
    assert editor.find("imgdata", "meta", "fps").text(1) == "10.0"
    assert editor.find("imgdata", "seq").text(1).startswith("array (40, 32, 50)")
    assert editor.find("roi_manager", "mode").text(1) == "'manual'"
    assert editor.tree.editTriggers() == QtWidgets.QAbstractItemView.NoEditTriggers
    loaded_viewer.get_module("roi_manager").add_polygon()
    loaded_viewer.update_workEnv()
    assert editor.find("roi_manager", "roi_list", "0", "roi_type").text(1) == "'PolygonROI'"


def test_help_opens_the_docs(viewer, monkeypatch, tmp_path):
    (tmp_path / "index.html").write_text("<html></html>")
    monkeypatch.setenv("MESMERIZE_DOCS_DIR", str(tmp_path))
    opened = []
    monkeypatch.setattr(QtGui.QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    viewer.menu_action("Help", "Open docs").trigger()
    assert [url.toLocalFile() for url in opened] == [str(tmp_path / "index.html")]


def test_get_module_hide_and_unknown_name(viewer):
    api = viewer.get_module("roi_manager", hide=True)
    assert api is viewer.module_widget("roi_manager")
    assert not viewer.module_dock("roi_manager").isVisible()
    assert viewer.get_module("roi_manager") is api
    assert viewer.module_dock("roi_manager").isVisible()
    with pytest.raises(ParameterError, match="tiff_io"):
        viewer.get_module("no_such_module")
    assert viewer.module_names() == ["tiff_io", "roi_manager", "stimulus_mapping",
                                     "script_editor", "caiman_motion_correction", "cnmf",
                                     "cnmfe"]


def test_play_pause(loaded_viewer):
    display = loaded_viewer.image_display
    display.play_button.click()
    assert display.image_view.playRate == pytest.approx(META["fps"])
    assert display.play_button.text() == "Pause"
    display.play_button.click()
    assert display.image_view.playRate == 0
    display.set_frame(12)
    assert display.current_frame == 12 and display.frame_line.value() == 12


PLUGIN = '''
from qtpy import QtWidgets
from mesmerize.gui.viewer.modules.base import ViewerModule


class FrameCounter(ViewerModule):
    name = "frame_counter"
    title = "Frame counter"

    def __init__(self, vi):
        super().__init__(vi)
        self.label = QtWidgets.QLabel(self)
        QtWidgets.QVBoxLayout(self).addWidget(self.label)

    def on_work_env_changed(self, work_env):
        n = 0 if work_env.is_empty else work_env.imgdata.n_frames
        self.label.setText(f"{n} frames")
'''


def test_plugins_menu_lists_plugin_modules(qtbot, tmp_path, movie_files):
    from mesmerize.gui.viewer.window import ViewerWindow

    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "frame_counter.py").write_text(PLUGIN)
    (plugins / "broken.py").write_text("raise RuntimeError('boom')\n")
    window = ViewerWindow(plugins_dir=str(plugins))
    qtbot.addWidget(window)
    assert "frame_counter" in window.module_names()
    assert any("broken.py" in p and "boom" in p for p in window.plugin_problems)
    window.menu_action("Plugins", "Frame counter").trigger()
    module = window.module_widget("frame_counter")
    assert module.label.text() == "0 frames"
    tiff, meta, seq = movie_files
    window.get_module("tiff_io").load_tiff(tiff, meta)
    assert module.label.text() == f"{seq.shape[2]} frames"
    window.close()


def test_render_viewer_png(loaded_viewer, tmp_path):
    rois = loaded_viewer.get_module("roi_manager")
    rois.add_polygon()
    rois.add_ellipse()
    rois.plot()
    smm = loaded_viewer.get_module("stimulus_mapping")
    import pandas as pd
    smm.maps["ori"].set_data(pd.DataFrame({"name": ["0", "90"], "start": [5, 25],
                                           "end": [15, 40]}))
    smm.show_on_timeline("ori")
    loaded_viewer.get_module("tiff_io")
    QtWidgets.QApplication.processEvents()
    path = tmp_path / "viewer.png"
    image = loaded_viewer.grab()
    assert image.save(str(path))
    assert image.width() >= 800 and path.stat().st_size > 10_000


def test_update_keeps_zoom_unless_the_frame_size_changes(loaded_viewer):
    view = loaded_viewer.image_display.view_box
    view.setRange(xRange=(5, 15), yRange=(5, 15), padding=0)
    loaded_viewer.get_module("roi_manager").add_polygon()
    loaded_viewer.update_workEnv()
    (x0, x1), _ = view.viewRange()
    assert (x0, x1) == pytest.approx((5, 15), abs=0.5)
    loaded_viewer.menu_action("Image", "Reset Scale").trigger()
    (x0, x1), (y0, y1) = view.viewRange()
    assert x0 <= 0 and x1 >= 40 and y0 <= 0 and y1 >= 32


def test_a_failing_plugin_module_shows_an_error(qtbot, tmp_path):
    from mesmerize.gui.viewer.window import ViewerWindow

    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "bad.py").write_text(
        "from mesmerize.gui.viewer.modules.base import ViewerModule\n"
        "class Bad(ViewerModule):\n"
        "    name = 'bad'\n"
        "    title = 'Bad module'\n"
        "    def __init__(self, vi):\n"
        "        raise ValueError('cannot start')\n"
        "class Clash(ViewerModule):\n"
        "    name = 'tiff_io'\n"
        "    title = 'Clash'\n")
    window = ViewerWindow(plugins_dir=str(plugins))
    qtbot.addWidget(window)
    assert any("'tiff_io' is already taken" in p for p in window.plugin_problems)
    window.menu_action("Plugins", "Bad module").trigger()
    assert window.last_error == "cannot start"
    window.close()
