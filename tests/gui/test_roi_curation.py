"""ROI Manager, CNMF(E) mode: show rejected components, accept / reject them by hand."""
import numpy as np
import pytest
import scipy.sparse
from qtpy import QtCore

from mesmerize.core.roi.cnmf_data import CNMFData
from mesmerize.core.roi.manager import CURATION_OPERATION
from mesmerize.gui.viewer.modules.roi_manager import REJECTED_COLOR

CENTERS = ((8, 8), (25, 20), (15, 25))  # (x, y) of components 0, 1, 2


def cnmf_data(shape_xy, n_frames):
    """3 Gaussian components, 0 and 2 accepted (idx_components), 1 rejected."""
    nx, ny = shape_xy
    x, y = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    footprints = [np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 6.0) for cx, cy in CENTERS]
    # A: (n_pixels, K), pixel index in Fortran order over dims (H, W) = (y, x)
    A = scipy.sparse.csc_matrix(np.stack([fp.T.reshape(-1, order="F") for fp in footprints], 1))
    C = np.vstack([np.sin(np.arange(n_frames) / (2.0 + k)) + 1 for k in range(3)])
    return CNMFData(A, np.ones((nx * ny, 1)), C, np.ones((1, n_frames)), np.zeros_like(C),
                    dims=(ny, nx), idx_components=np.array([0, 2]))


@pytest.fixture
def rm(loaded_viewer, movie_files):
    module = loaded_viewer.get_module("roi_manager")
    seq = movie_files[2]
    manager = loaded_viewer.vi.viewer.workEnv.roi_manager
    manager.set_cnmf_data(cnmf_data(seq.shape[:2], seq.shape[2]), mode="cnmf")
    return module


def labels(rm):
    return [rm.roi_list_widget.item(i).text() for i in range(rm.roi_list_widget.count())]


def context_menu(rm):
    """The entries the ROI list's right-click menu shows now."""
    assert rm.roi_list_widget.contextMenuPolicy() == QtCore.Qt.ActionsContextMenu
    return [a.text() for a in rm.roi_list_widget.actions() if a.isVisible()]


def test_show_rejected_lists_and_draws_rejected_components(loaded_viewer, rm, qtbot):
    manager = loaded_viewer.vi.viewer.workEnv.roi_manager
    assert rm.show_rejected.isEnabled() and not rm.show_rejected.isChecked()
    assert labels(rm) == ["0: CNMFROI #0", "1: CNMFROI #2"]
    qtbot.mouseClick(rm.show_rejected, QtCore.Qt.LeftButton)
    assert manager.showing_rejected
    assert labels(rm) == ["0: CNMFROI #0", "1: CNMFROI #2", "CNMFROI #1 (rejected)"]
    assert "1 rejected shown" in rm.mode_label.text()
    (rejected,) = manager.rejected_rois
    graphic = rm.graphics[rejected.uuid]
    pen = graphic.item.opts["pen"]
    assert pen.style() == QtCore.Qt.DashLine
    assert pen.color().getRgb()[:3] == REJECTED_COLOR
    # its contour surrounds component 1's centre
    x, y = graphic.item.getData()
    assert x.min() < CENTERS[1][0] + 0.5 < x.max() and y.min() < CENTERS[1][1] + 0.5 < y.max()
    for roi in manager.roi_list:
        assert rm.graphics[roi.uuid].item.opts["pen"].style() == QtCore.Qt.SolidLine
    # the selected rejected component's curve is plotted
    rm.select_roi(2)
    (curve,) = loaded_viewer.image_display.curve_items
    np.testing.assert_allclose(curve.yData, manager.cnmf_data.C[1])
    qtbot.mouseClick(rm.show_rejected, QtCore.Qt.LeftButton)
    assert labels(rm) == ["0: CNMFROI #0", "1: CNMFROI #2"]
    assert rejected.uuid not in rm.graphics and len(rm.graphics) == 2


def test_accept_and_reject_from_the_context_menu_update_data_and_history(loaded_viewer, rm,
                                                                          qtbot):
    work_env = loaded_viewer.vi.viewer.workEnv
    manager = work_env.roi_manager
    rm.show_rejected.setChecked(True)
    n_history = len(work_env.history_trace)
    work_env.mark_saved()

    rm.select_roi(2)  # component 1, rejected
    assert context_menu(rm) == ["Accept component"]
    rm.accept_action.trigger()
    np.testing.assert_array_equal(manager.cnmf_data.idx_components, [0, 1, 2])
    assert labels(rm) == ["0: CNMFROI #0", "1: CNMFROI #1", "2: CNMFROI #2"]
    assert rm.current_index == 1  # the accepted component stays selected
    accepted = manager.roi_list[1]
    assert rm.graphics[accepted.uuid].item.opts["pen"].style() == QtCore.Qt.SolidLine
    assert work_env.history_trace[-1] == {CURATION_OPERATION: {"accepted": [1], "rejected": []}}
    assert len(work_env.history_trace) == n_history + 1
    assert work_env.modified

    rm.select_roi(0)  # component 0, accepted
    assert context_menu(rm) == ["Delete ROI", "Reject component"]
    rm.reject_action.trigger()
    np.testing.assert_array_equal(manager.cnmf_data.idx_components, [1, 2])
    assert labels(rm) == ["0: CNMFROI #1", "1: CNMFROI #2", "CNMFROI #0 (rejected)"]
    assert rm.current_index == 2
    assert manager.rejected_rois[0].cnmf_idx == 0
    assert rm.graphics[manager.rejected_rois[0].uuid].item.opts["pen"].style() \
        == QtCore.Qt.DashLine
    # one history entry for consecutive curations
    assert work_env.history_trace[-1] == {CURATION_OPERATION: {"accepted": [1],
                                                               "rejected": [0]}}
    assert len(work_env.history_trace) == n_history + 1


def test_rejecting_without_show_rejected_hides_the_component(loaded_viewer, rm):
    manager = loaded_viewer.vi.viewer.workEnv.roi_manager
    rm.select_roi(1)
    rm.reject_component(rm.current_index)
    np.testing.assert_array_equal(manager.cnmf_data.idx_components, [0])
    assert labels(rm) == ["0: CNMFROI #0"] and len(rm.graphics) == 1


def test_manual_mode_has_no_curation(loaded_viewer, rm, monkeypatch):
    from qtpy import QtWidgets

    monkeypatch.setattr(QtWidgets.QMessageBox, "question",
                        lambda *a, **k: QtWidgets.QMessageBox.Yes)
    rm.manual_button.click()
    assert not rm.show_rejected.isEnabled()
    rm.add_polygon()
    assert context_menu(rm) == ["Delete ROI"]
    rm.accept_component(0)
    assert "CNMF(E) component" in rm.status.text()
    assert loaded_viewer.vi.viewer.workEnv.history_trace == []
