"""Interop menus driven like a user: Viewer File -> Import (suite2p, CaImAn, NWB) and File ->
Export -> NWB file, Project Browser File -> Export samples to NWB and Edit -> Register sessions.

File dialogs are monkeypatched to answer with the test's paths; the data come from the core
interop tests' builders (suite2p plane folders, CaImAn HDF5 files, NWB samples, multi-session
synthetic tissue). Exports and registration run in the worker thread; the tests wait for it.
"""
from __future__ import annotations

import numpy as np
import pytest
from qtpy import QtCore, QtWidgets

from mesmerize.core.imaging.imgdata import ImgData
from mesmerize.core.interop import import_nwb
from mesmerize.core.interop.multisession import XSESSION_COLUMN
from mesmerize.core.project import Project
from mesmerize.core.work_env import ViewerWorkEnv
from mesmerize.gui.project.browser import ProjectBrowserWindow
from tests.core.interop import test_caiman_import as caiman_data
from tests.core.interop import test_suite2p_import as suite2p_data
from tests.core.interop.test_caiman_import import ACCEPTED, write_caiman_hdf5
from tests.core.interop.test_multisession import ROTATED, make_sessions
from tests.core.interop.test_multisession import _work_env as cnmf_session_work_env
from tests.core.interop.test_nwb import (
    assert_same_sample, cnmf_work_env, config, manual_work_env,
)
from tests.core.interop.test_suite2p_import import ISCELL, write_plane
from tests.core.interop.test_suite2p_import import _work_env as suite2p_work_env

# the core tests' fixtures, used here under their names
truth, estimates = caiman_data.truth, caiman_data.estimates
synthetic = suite2p_data.synthetic

WAIT_MS = 90_000


def answer_dialogs(monkeypatch, *, open_file=None, directory=None, save_file=None,
                   confirm=True):
    """Make the file dialogs (and yes/no questions) answer with the given values."""
    monkeypatch.setattr(QtWidgets.QFileDialog, "getOpenFileName",
                        staticmethod(lambda *a, **k: (str(open_file or ""), "")))
    monkeypatch.setattr(QtWidgets.QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: str(directory or "")))
    monkeypatch.setattr(QtWidgets.QFileDialog, "getSaveFileName",
                        staticmethod(lambda *a, **k: (str(save_file or ""), "")))
    answer = QtWidgets.QMessageBox.Yes if confirm else QtWidgets.QMessageBox.No
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", staticmethod(lambda *a, **k: answer))


def show(viewer, work_env: ViewerWorkEnv) -> None:
    viewer.vi.viewer.workEnv = work_env
    viewer.vi.update_workEnv()


def menu(window: QtWidgets.QMainWindow, *path: str) -> QtWidgets.QAction:
    """The action at ``path`` of menu texts (without '&') in ``window``'s menu bar."""
    actions = window.menuBar().actions()
    for i, text in enumerate(path):
        action = next(a for a in actions if a.text().replace("&", "") == text)
        if i < len(path) - 1:
            actions = action.menu().actions()
    return action


# ---- Viewer: suite2p / CaImAn ---------------------------------------------------------------

def test_suite2p_folder_from_the_menu(qtbot, monkeypatch, viewer, tmp_path, synthetic):
    folder = tmp_path / "suite2p" / "plane0"
    write_plane(folder, synthetic)
    show(viewer, suite2p_work_env(synthetic))
    viewer.get_module("roi_manager")
    answer_dialogs(monkeypatch, directory=folder)
    menu(viewer, "File", "Import", "suite2p output folder...").trigger()

    work_env = viewer.vi.viewer.workEnv
    assert work_env.roi_manager.mode == "cnmf"
    assert len(work_env.roi_manager.roi_list) == int(ISCELL.sum())
    assert [r.cnmf_idx for r in work_env.roi_manager.roi_list] == list(np.flatnonzero(ISCELL))
    assert "suite2p_import" in work_env.history_trace[-1]
    assert len(viewer.module_widget("roi_manager").listed_rois()) == int(ISCELL.sum())
    assert "Imported 5 ROIs from suite2p" in viewer.interop_menu.last_message
    assert viewer.last_error is None


def test_suite2p_errors_are_shown_not_raised(qtbot, monkeypatch, viewer, tmp_path, synthetic):
    folder = tmp_path / "plane0"
    write_plane(folder, synthetic)
    answer_dialogs(monkeypatch, directory=folder)
    action = menu(viewer, "File", "Import", "suite2p output folder...")
    action.trigger()  # no movie open
    assert "work environment is empty" in viewer.last_error

    small = ViewerWorkEnv(ImgData(np.zeros((20, 20, 5), np.uint16),
                                  {"source": "t", "fps": 15.0, "date": "20240101_120000"}))
    show(viewer, small)
    action.trigger()
    assert "open the movie they were extracted from" in viewer.last_error
    assert len(small.roi_manager.roi_list) == 0 and small.history_trace == []

    answer_dialogs(monkeypatch, directory=tmp_path)  # a folder without stat.npy
    show(viewer, suite2p_work_env(synthetic))
    action.trigger()
    assert "has no stat.npy" in viewer.last_error


def test_import_over_existing_rois_asks_first(qtbot, monkeypatch, viewer, tmp_path, synthetic):
    folder = tmp_path / "plane0"
    write_plane(folder, synthetic)
    work_env = suite2p_work_env(synthetic)
    work_env.roi_manager.add_polygon_roi([[5.0, 5.0], [15.0, 6.0], [10.0, 14.0]])
    show(viewer, work_env)
    answer_dialogs(monkeypatch, directory=folder, confirm=False)
    monkeypatch.setattr(viewer, "confirm", lambda *a: False)
    menu(viewer, "File", "Import", "suite2p output folder...").trigger()
    assert work_env.roi_manager.mode == "manual" and len(work_env.roi_manager.roi_list) == 1
    monkeypatch.setattr(viewer, "confirm", lambda *a: True)
    menu(viewer, "File", "Import", "suite2p output folder...").trigger()
    assert work_env.roi_manager.mode == "cnmf"
    assert len(work_env.roi_manager.roi_list) == int(ISCELL.sum())


def test_caiman_cnmfe_results_from_the_menu(qtbot, monkeypatch, viewer, tmp_path, truth,
                                            estimates):
    path = tmp_path / "cnmf_results.hdf5"
    write_caiman_hdf5(path, estimates)
    seq = np.ascontiguousarray(truth.movie.transpose(2, 1, 0))  # [t, y, x] -> [x, y, t]
    show(viewer, ViewerWorkEnv(ImgData(seq, {"source": "t", "fps": 20.0,
                                             "date": "20240101_120000"})))
    answer_dialogs(monkeypatch, open_file=path)
    menu(viewer, "File", "Import", "CaImAn HDF5 results", "CNMF-E (1-photon)...").trigger()
    manager = viewer.vi.viewer.workEnv.roi_manager
    assert manager.mode == "cnmfe"
    assert [r.cnmf_idx for r in manager.roi_list] == list(ACCEPTED)
    assert viewer.last_error is None

    not_hdf5 = tmp_path / "notes.hdf5"
    not_hdf5.write_text("not an HDF5 file")
    answer_dialogs(monkeypatch, open_file=not_hdf5)
    menu(viewer, "File", "Import", "CaImAn HDF5 results", "CNMF (2-photon)...").trigger()
    assert viewer.last_error and "notes.hdf5" in viewer.last_error
    assert manager.mode == "cnmfe" and len(manager.roi_list) == ACCEPTED.size


# ---- Viewer: NWB ----------------------------------------------------------------------------

def test_export_work_env_to_nwb_and_import_it_back(qtbot, monkeypatch, viewer, tmp_path):
    original = manual_work_env()
    show(viewer, original)
    answer_dialogs(monkeypatch, save_file=tmp_path / "session1")
    menu(viewer, "File", "Export", "NWB file...").trigger()
    dialog = viewer.interop_menu.dialog
    assert dialog.isVisible() and dialog.include_movie.isChecked()
    assert not dialog.movie_edit.isEnabled()
    dialog.animal_edit.setText("mouse7")
    dialog.trial_edit.setText("day1")
    dialog.accept()
    interop = viewer.interop_menu
    assert not interop.export_action.isEnabled()
    qtbot.waitUntil(lambda: not interop.export_task.running, timeout=WAIT_MS)
    assert interop.export_action.isEnabled() and viewer.last_error is None
    path = tmp_path / "session1.nwb"
    assert path.is_file() and interop.last_message == f"Wrote {path}"
    imported = import_nwb(path)
    assert (imported.animal_id, imported.trial_id) == ("mouse7", "day1")
    original.roi_manager.update_curves(original.imgdata.seq)  # import computes manual curves
    assert_same_sample(imported.work_env, original)

    show(viewer, ViewerWorkEnv())
    answer_dialogs(monkeypatch, open_file=path)
    menu(viewer, "File", "Import", "NWB file...").trigger()
    shown = viewer.vi.viewer.workEnv
    assert shown is not original and viewer.last_error is None
    assert_same_sample(shown, original)
    assert viewer.image_display.workEnv.roi_manager.roi_list[0].get_tag("cell_type") == "neuron"
    assert {"odor", "light"} <= set(shown.stim_maps.stim_types)


def test_nwb_export_errors_are_shown(qtbot, monkeypatch, viewer, tmp_path):
    answer_dialogs(monkeypatch, save_file=tmp_path / "x.nwb")
    menu(viewer, "File", "Export", "NWB file...").trigger()  # empty work environment
    assert "work environment is empty" in viewer.last_error

    show(viewer, manual_work_env())
    menu(viewer, "File", "Export", "NWB file...").trigger()
    dialog = viewer.interop_menu.dialog
    dialog.include_movie.setChecked(False)
    assert dialog.movie_edit.isEnabled()
    dialog.accept()  # no TIFF given
    assert "Choose the movie's TIFF file" in viewer.last_error

    menu(viewer, "File", "Export", "NWB file...").trigger()
    dialog = viewer.interop_menu.dialog
    dialog.animal_edit.setText("")  # the SampleID needs an AnimalID: fails in the worker
    dialog.trial_edit.setText("t1")
    viewer.last_error = None
    dialog.accept()
    qtbot.waitUntil(lambda: not viewer.interop_menu.export_task.running, timeout=WAIT_MS)
    assert viewer.last_error and "AnimalID" in viewer.last_error
    assert viewer.interop_menu.export_action.isEnabled()
    assert not (tmp_path / "x.nwb").exists() and not list(tmp_path.glob(".*.tmp"))


def test_nwb_import_of_a_non_nwb_file_keeps_the_work_env(qtbot, monkeypatch, viewer,
                                                          tmp_path):
    work_env = manual_work_env()
    show(viewer, work_env)
    bad = tmp_path / "bad.nwb"
    bad.write_bytes(b"\x00" * 64)
    answer_dialogs(monkeypatch, open_file=bad)
    monkeypatch.setattr(viewer, "confirm", lambda *a: True)
    menu(viewer, "File", "Import", "NWB file...").trigger()
    assert "cannot be read as an NWB file" in viewer.last_error
    assert viewer.vi.viewer.workEnv is work_env


# ---- Project Browser ------------------------------------------------------------------------

@pytest.fixture
def nwb_project(tmp_path):
    project = Project.create(tmp_path / "proj", config())
    project.add_sample(manual_work_env(), "mouse1", "trial1")
    project.add_sample(cnmf_work_env(), "mouse1", "trial2")
    return project


def make_browser(qtbot, project: Project) -> ProjectBrowserWindow:
    window = ProjectBrowserWindow(project)
    qtbot.addWidget(window)
    window.show()
    return window


def test_export_samples_of_the_current_tab(qtbot, monkeypatch, nwb_project, tmp_path):
    browser = make_browser(qtbot, nwb_project)
    out = tmp_path / "nwb_out"
    answer_dialogs(monkeypatch, directory=out)
    menu(browser, "File", "Export samples to NWB...").trigger()
    dialog = browser.interop.dialog
    assert dialog.values() == (["mouse1-_-trial1", "mouse1-_-trial2"], False)
    dialog.samples.item(0).setCheckState(QtCore.Qt.Unchecked)
    dialog.include_movie.setChecked(True)
    dialog.accept()
    assert not browser.interop.export_action.isEnabled()
    qtbot.waitUntil(lambda: not browser.interop.task.running, timeout=WAIT_MS)
    assert browser.interop.last_error is None
    assert sorted(p.name for p in out.iterdir()) == ["mouse1-_-trial2.nwb"]
    imported = import_nwb(out / "mouse1-_-trial2.nwb")
    assert_same_sample(imported.work_env, nwb_project.load_sample("mouse1-_-trial2"))
    assert browser.interop.export_action.isEnabled()

    # a second export into the same directory asks before replacing; "No" writes nothing
    before = (out / "mouse1-_-trial2.nwb").stat().st_mtime_ns
    answer_dialogs(monkeypatch, directory=out, confirm=False)
    menu(browser, "File", "Export samples to NWB...").trigger()
    browser.interop.dialog.accept()
    assert not browser.interop.task.running
    assert (out / "mouse1-_-trial2.nwb").stat().st_mtime_ns == before
    assert sorted(p.name for p in out.iterdir()) == ["mouse1-_-trial2.nwb"]


@pytest.fixture(scope="module")
def three_sessions():
    return make_sessions("2p", ROTATED)


@pytest.fixture
def session_project(tmp_path, three_sessions):
    project = Project.create(tmp_path / "xs_proj", config())
    for s, session in enumerate(three_sessions):
        project.add_sample(cnmf_session_work_env(session), "mouse1", f"day{s}")
    project.add_sample(manual_work_env(), "mouse2", "day0")
    return project


def test_register_sessions_in_the_background(qtbot, monkeypatch, session_project):
    browser = make_browser(qtbot, session_project)
    menu(browser, "Edit", "Register sessions (cross-session ROI identity)...").trigger()
    dialog = browser.interop.dialog
    assert [dialog.animal.itemText(i) for i in range(dialog.animal.count())] == \
        ["mouse1", "mouse2"]
    assert dialog.values() == {"sample_ids": ["mouse1-_-day0", "mouse1-_-day1", "mouse1-_-day2"],
                               "model": "euclidean", "min_jaccard": 0.3,
                               "column": XSESSION_COLUMN}
    ticks = []
    timer = QtCore.QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(0)
    dialog.accept()
    interop = browser.interop
    assert interop.task.running and not interop.register_action.isEnabled()
    assert browser.statusBar().currentMessage() == "Registering 3 sessions..."
    qtbot.waitUntil(lambda: not interop.task.running, timeout=WAIT_MS)
    timer.stop()
    assert len(ticks) >= 3  # the event loop ran while the worker registered
    assert interop.last_error is None and interop.register_action.isEnabled()

    df = session_project.dataframe
    mouse1 = df[df["AnimalID"] == "mouse1"]
    assert mouse1[XSESSION_COLUMN].str.fullmatch(r"mouse1-xs\d{4}").all()
    assert (df[df["AnimalID"] == "mouse2"][XSESSION_COLUMN] == "untagged").all()
    summary = interop.last_summary
    assert summary.n_identities == mouse1[XSESSION_COLUMN].nunique()
    assert summary.n_rois == [int((mouse1["SampleID"] == f"mouse1-_-day{s}").sum())
                              for s in range(3)]
    assert summary.matched[0] == 0 and min(summary.matched[1:]) > 0
    assert summary.n_identities == sum(summary.n_rois) - sum(summary.matched)
    assert summary.in_all_sessions == int(
        (mouse1.groupby(XSESSION_COLUMN)["SampleID"].nunique() == 3).sum())
    assert f"{summary.n_identities} cell identities over 3 sessions" in interop.message.text()
    assert "(reference)" in interop.message.text()
    # the browser refreshed: the new column is listed with the identities
    values = browser.pages["root"].filters[XSESSION_COLUMN].values()
    assert set(mouse1[XSESSION_COLUMN]) <= set(values)


def test_register_errors_are_shown_and_change_nothing(qtbot, session_project):
    browser = make_browser(qtbot, session_project)
    before = session_project.dataframe
    assert browser.interop.register_sessions(["mouse1-_-day0", "mouse2-_-day0"],
                                             label_prefix="x")
    qtbot.waitUntil(lambda: not browser.interop.task.running, timeout=WAIT_MS)
    assert "manual ROIs" in browser.interop.last_error
    assert browser.interop.message.icon() == QtWidgets.QMessageBox.Warning
    assert session_project.dataframe.equals(before)

    menu(browser, "Edit", "Register sessions (cross-session ROI identity)...").trigger()
    dialog = browser.interop.dialog
    dialog.animal.setCurrentText("mouse2")
    assert dialog.values()["sample_ids"] == ["mouse2-_-day0"]
    dialog.accept()
    qtbot.waitUntil(lambda: not browser.interop.task.running, timeout=WAIT_MS)
    assert ">= 2 distinct SampleIDs" in browser.interop.last_error
