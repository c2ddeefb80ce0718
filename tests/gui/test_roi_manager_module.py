"""ROI Manager module: graphics, list, tags and curves all act on the core ROIManager."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse
from qtpy import QtCore, QtWidgets
from roifile import ImagejRoi

from mesmerize.core.roi.cnmf_data import CNMFData
from mesmerize.core.roi.roi_types import EllipseROI, PolygonROI
from mesmerize.gui.viewer.modules.roi_graphics import ContourGraphic


def _brute_force_curve(roi, seq):
    mask = roi.mask(seq.shape[:2])
    return seq[mask].astype(np.float64).mean(axis=0)


@pytest.fixture
def rm(loaded_viewer):
    return loaded_viewer.get_module("roi_manager")


def _manager(viewer):
    return viewer.vi.viewer.workEnv.roi_manager


def test_add_polygon_and_ellipse_buttons(loaded_viewer, rm, qtbot):
    qtbot.mouseClick(rm.add_button, QtCore.Qt.LeftButton)
    rm.add_button.customContextMenuRequested.emit(QtCore.QPoint(2, 2))  # right click
    rois = _manager(loaded_viewer).roi_list
    assert [type(r) for r in rois] == [PolygonROI, EllipseROI]
    assert rm.roi_list_widget.count() == 2 and rm.current_index == 1
    view_items = loaded_viewer.image_display.view_box.addedItems
    for roi in rois:
        assert rm.graphics[roi.uuid].item in view_items
    # the polygon graphic sits exactly on the core vertices
    np.testing.assert_allclose(rm.graphics[rois[0].uuid].vertices(), rois[0].vertices)
    center, radii, angle = rm.graphics[rois[1].uuid].geometry()
    np.testing.assert_allclose(center, rois[1].center)
    np.testing.assert_allclose(radii, rois[1].radii)
    assert loaded_viewer.vi.viewer.workEnv.modified


def test_dragging_a_polygon_handle_updates_the_core_and_live_curves(loaded_viewer, rm,
                                                                     movie_files):
    _, _, seq = movie_files
    rm.live_plot.setChecked(True)
    rm.add_polygon()
    roi = _manager(loaded_viewer).roi_list[0]
    graphic = rm.graphics[roi.uuid]
    before = roi.vertices
    handle = graphic.item.getHandles()[2]
    graphic.item.movePoint(handle, QtCore.QPointF(14.0, 12.0), coords="parent", finish=True)
    after = roi.vertices
    np.testing.assert_allclose(after[2], (14.0, 12.0))
    np.testing.assert_allclose(np.delete(after, 2, axis=0), np.delete(before, 2, axis=0))
    # live plot recomputed the curve from the new shape (mean of the pixels inside, float32)
    np.testing.assert_allclose(roi.curve_data[1], _brute_force_curve(roi, seq), rtol=1e-5)
    plotted = loaded_viewer.image_display.curve_items
    assert len(plotted) == 1
    np.testing.assert_allclose(plotted[0].yData, roi.curve_data[1])


def test_moving_and_rotating_an_ellipse_updates_the_core(loaded_viewer, rm, movie_files):
    _, _, seq = movie_files
    rm.add_ellipse()
    roi = _manager(loaded_viewer).roi_list[0]
    item = rm.graphics[roi.uuid].item
    rx, ry = roi.radii
    item.setSize((2 * rx + 4, 2 * ry), finish=False)
    item.setPos((10.0, 8.0), finish=False)
    item.setAngle(30.0, center=(0.5, 0.5), finish=True)
    assert roi.angle_deg == pytest.approx(30.0)
    assert roi.radii == pytest.approx((rx + 2, ry))
    cx, cy = rm.graphics[roi.uuid].geometry()[0]
    assert roi.center == pytest.approx((cx, cy))
    # the core geometry drawn again gives the same graphic (round trip)
    rm.graphics[roi.uuid].read_from_core()
    assert rm.graphics[roi.uuid].geometry()[0] == pytest.approx((cx, cy))
    assert rm.graphics[roi.uuid].geometry()[2] == pytest.approx(30.0)
    assert roi.curve_data is None  # the old curve was dropped with the old shape
    rm.plot()
    np.testing.assert_allclose(roi.curve_data[1], _brute_force_curve(roi, seq), rtol=1e-5)


def test_plot_button_computes_all_curves(loaded_viewer, rm, movie_files, qtbot):
    _, _, seq = movie_files
    rm.add_polygon()
    rm.add_ellipse()
    qtbot.mouseClick(rm.plot_button, QtCore.Qt.LeftButton)
    rois = _manager(loaded_viewer).roi_list
    for roi in rois:
        np.testing.assert_allclose(roi.curve_data[1], _brute_force_curve(roi, seq), rtol=1e-5)
    widths = [item.opts["pen"].widthF() for item in loaded_viewer.image_display.curve_items]
    assert widths == [1.0, 3.0]  # the selected ROI (the last added) is highlighted


def test_tags_are_set_from_the_entry(loaded_viewer, rm, qtbot):
    rm.add_polygon()
    rm.add_polygon()
    rm.select_roi(0)
    assert [rm.tags_list.item(i).text() for i in range(rm.tags_list.count())] == [
        "cell_type: untagged", "region: untagged"]
    rm.tags_list.setCurrentRow(1)
    qtbot.keyClicks(rm.tag_entry, "tail")
    qtbot.keyClick(rm.tag_entry, QtCore.Qt.Key_Return)
    rois = _manager(loaded_viewer).roi_list
    assert rois[0].get_all_tags() == {"cell_type": "untagged", "region": "tail"}
    assert rm.tags_list.item(1).text() == "region: tail"
    assert rm.tag_entry.text() == ""
    # Page Down in the entry selects the next ROI; Set ROI Tag button tags it
    qtbot.keyClick(rm.tag_entry, QtCore.Qt.Key_PageDown)
    assert rm.current_index == 1
    rm.tags_list.setCurrentRow(0)
    qtbot.keyClicks(rm.tag_entry, "dcen")
    qtbot.mouseClick(rm.set_tag_button, QtCore.Qt.LeftButton)
    assert rois[1].get_tag("cell_type") == "dcen"
    assert rois[0].get_tag("cell_type") == "untagged"
    qtbot.keyClick(rm.tag_entry, QtCore.Qt.Key_PageUp)
    assert rm.current_index == 0


def test_entry_shortcuts_move_through_the_movie(loaded_viewer, rm, qtbot, movie_files):
    _, _, seq = movie_files
    display = loaded_viewer.image_display
    qtbot.keyClick(rm.tag_entry, QtCore.Qt.Key_End)
    assert display.current_frame == seq.shape[2] - 1
    qtbot.keyClick(rm.tag_entry, QtCore.Qt.Key_Home)
    assert display.current_frame == 0
    qtbot.keyPress(rm.tag_entry, QtCore.Qt.Key_Right)
    assert display.image_view.playRate == pytest.approx(5 * 10.0)
    qtbot.keyRelease(rm.tag_entry, QtCore.Qt.Key_Right)
    assert display.image_view.playRate == 0


def test_delete_from_the_list_context_menu(loaded_viewer, rm):
    rm.add_polygon()
    rm.add_ellipse()
    rois = list(_manager(loaded_viewer).roi_list)
    rm.select_roi(0)
    assert rm.delete_action in rm.roi_list_widget.actions()
    rm.delete_action.trigger()
    assert list(_manager(loaded_viewer).roi_list) == [rois[1]]
    assert rois[0].uuid not in rm.graphics
    assert rm.graphics[rois[1].uuid].item in loaded_viewer.image_display.view_box.addedItems
    assert rm.roi_list_widget.count() == 1


def test_selection_highlights_and_show_all(loaded_viewer, rm):
    rm.add_polygon()
    rm.add_ellipse()
    a, b = _manager(loaded_viewer).roi_list
    rm.select_roi(0)
    assert rm.graphics[a.uuid].highlighted and not rm.graphics[b.uuid].highlighted
    rm.show_all.setChecked(False)
    assert rm.graphics[a.uuid].item.isVisible() and not rm.graphics[b.uuid].item.isVisible()
    # hovering over an ROI selects it in the list
    item_b = rm.graphics[b.uuid].item
    item_b.sigHoverEvent.emit(item_b)
    assert rm.current_index == 1 and rm.graphics[b.uuid].item.isVisible()


def test_import_from_imagej(loaded_viewer, rm, tmp_path, monkeypatch, qtbot):
    path = tmp_path / "cells.roi"
    ImagejRoi.frompoints(np.array([[2, 2], [12, 2], [12, 9], [2, 9]])).tofile(str(path))
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName",
                        lambda *a, **k: (str(path), ""))
    qtbot.mouseClick(rm.import_button, QtCore.Qt.LeftButton)
    (roi,) = _manager(loaded_viewer).roi_list
    assert isinstance(roi, PolygonROI)
    np.testing.assert_allclose(rm.graphics[roi.uuid].vertices(), roi.vertices)


def _cnmf_data(shape_xy, n_frames):
    nx, ny = shape_xy
    x, y = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    footprints = [np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 6.0) for cx, cy in ((8, 8), (25, 20))]
    # A: (n_pixels, K), pixel index in Fortran order over dims (H, W) = (y, x)
    columns = [fp.T.reshape(-1, order="F") for fp in footprints]
    A = scipy.sparse.csc_matrix(np.stack(columns, axis=1))
    C = np.vstack([np.sin(np.arange(n_frames) / 3.0) + 1, np.cos(np.arange(n_frames) / 4.0) + 1])
    b = np.ones((nx * ny, 1))
    f = np.ones((1, n_frames))
    return CNMFData(A, b, C, f, np.zeros_like(C), dims=(ny, nx))


def test_cnmf_mode_shows_contours_and_switch_to_manual(loaded_viewer, rm, movie_files,
                                                       monkeypatch):
    _, _, seq = movie_files
    manager = _manager(loaded_viewer)
    manager.set_cnmf_data(_cnmf_data(seq.shape[:2], seq.shape[2]), mode="cnmfe")
    graphics = [rm.graphics[roi.uuid] for roi in manager.roi_list]
    assert len(graphics) == 2 and all(isinstance(g, ContourGraphic) for g in graphics)
    x, y = graphics[0].item.getData()
    np.testing.assert_allclose(np.c_[x, y][:-1], manager.roi_list[0].contour())
    assert not rm.add_button.isEnabled() and rm.manual_button.isEnabled()
    assert "cnmfe" in rm.mode_label.text()
    rm.select_roi(1)
    (curve,) = loaded_viewer.image_display.curve_items  # only the selected component
    np.testing.assert_allclose(curve.yData, manager.roi_list[1].curve_data[1])
    monkeypatch.setattr(QtWidgets.QMessageBox, "question",
                        lambda *a, **k: QtWidgets.QMessageBox.Yes)
    rm.manual_button.click()
    assert manager.mode == "manual" and len(manager.roi_list) == 0 and rm.graphics == {}
    assert rm.add_button.isEnabled()


def test_adding_without_image_tells_the_user(viewer):
    rm = viewer.get_module("roi_manager")
    rm.add_polygon()
    assert "Load an image" in rm.status.text()
    assert len(viewer.vi.viewer.workEnv.roi_manager.roi_list) == 0


def test_live_plot_computes_the_curve_of_a_new_roi(loaded_viewer, rm, movie_files):
    _, _, seq = movie_files
    rm.live_plot.setChecked(True)
    rm.add_ellipse()
    (roi,) = _manager(loaded_viewer).roi_list
    np.testing.assert_allclose(roi.curve_data[1], _brute_force_curve(roi, seq), rtol=1e-5)
    assert len(loaded_viewer.image_display.curve_items) == 1


def test_clicking_an_edge_adds_a_vertex_and_removing_one_drops_it(loaded_viewer, rm):
    rm.add_polygon()
    roi = _manager(loaded_viewer).roi_list[0]
    item = rm.graphics[roi.uuid].item
    (x0, y0), (x1, _) = roi.vertices[:2]
    item.segmentClicked(item.segments[0], pos=QtCore.QPointF((x0 + x1) / 2, y0 - 2))
    assert len(roi.vertices) == 5
    np.testing.assert_allclose(roi.vertices, rm.graphics[roi.uuid].vertices())
    new = np.flatnonzero(np.all(np.isclose(roi.vertices, ((x0 + x1) / 2, y0 - 2)), axis=1))
    assert len(new) == 1
    item.removeHandle(item.getHandles()[int(new[0])])
    np.testing.assert_allclose(roi.vertices, rm.graphics[roi.uuid].vertices())
    assert len(roi.vertices) == 4
    assert not np.all(np.isclose(roi.vertices, ((x0 + x1) / 2, y0 - 2)), axis=1).any()


def test_dragging_a_whole_polygon_translates_the_core_vertices(loaded_viewer, rm):
    rm.add_polygon()
    roi = _manager(loaded_viewer).roi_list[0]
    before = roi.vertices
    rm.graphics[roi.uuid].item.translate(QtCore.QPointF(6.0, 3.0), finish=True)
    np.testing.assert_allclose(roi.vertices, before + (6.0, 3.0))
    assert loaded_viewer.vi.viewer.workEnv.modified


def test_polygon_handles_show_only_on_the_selected_roi(loaded_viewer, rm):
    rm.add_polygon()
    rm.add_polygon()
    first, second = (rm.graphics[roi.uuid] for roi in _manager(loaded_viewer).roi_list)
    rm.roi_list_widget.setCurrentRow(1)
    assert all(h.isVisible() for h in second.item.getHandles())
    assert not any(h.isVisible() for h in first.item.getHandles())
    rm.roi_list_widget.setCurrentRow(0)
    assert all(h.isVisible() for h in first.item.getHandles())
    assert not any(h.isVisible() for h in second.item.getHandles())
