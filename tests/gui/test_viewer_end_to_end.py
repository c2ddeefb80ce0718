"""The Viewer driven like a user, from the Welcome Window to a project sample and back.

Load a TIFF through the Tiff file module, draw two ROIs (Add ROI, right click for an ellipse),
tag them through the tag entry, add a stimulus row and Set all maps, File -> Add to Project, then
reopen the sample from the project and find the same ROIs, tags and stimulus periods.
"""
from __future__ import annotations

import numpy as np
import pytest
from qtpy import QtCore, QtGui, QtWidgets

from mesmerize.core.project import Project
from mesmerize.core.project.config import CustomColumn, ProjectConfig
from mesmerize.core.roi.roi_types import EllipseROI, PolygonROI
from mesmerize.demo.synthetic import SyntheticParams, generate
from mesmerize.gui.viewer.add_to_project import AddToProjectDialog

MOVIE_SHAPE_TYH = (40, 32, 36)  # (T, H, W) as written to the TIFF


@pytest.fixture
def project(tmp_path):
    config = ProjectConfig(roi_type_columns=["cell_type", "region"],
                           stimulus_type_columns=["odor"],
                           custom_columns={"stage": CustomColumn("int")})
    return Project.create(tmp_path / "project", config)


@pytest.fixture
def movie_paths(tmp_path):
    """A synthetic 2-photon movie and its meta data file written beside it."""
    movie = generate(SyntheticParams(shape=MOVIE_SHAPE_TYH, n_neurons=4, neuron_radius=3.0))
    tiff, meta, _truth = movie.save(tmp_path, "movie")
    return tiff, meta, movie


@pytest.fixture
def no_dialogs(monkeypatch):
    """Fail on any message box: the user flow must not hit an error or a question."""
    def refuse(parent, title, text, *args, **kwargs):
        raise AssertionError(f"unexpected message box {title!r}: {text}")

    for name in ("warning", "critical", "question", "information"):
        monkeypatch.setattr(QtWidgets.QMessageBox, name, refuse)


def type_into(qtbot, widget, text):
    widget.clear()
    qtbot.keyClicks(widget, text)


def tag_selected_roi(qtbot, rm, column, tag):
    """Pick ``column`` in the tags list, type the tag into the entry and press Enter."""
    rows = [rm.tags_list.item(i).data(QtCore.Qt.UserRole) for i in range(rm.tags_list.count())]
    rm.tags_list.setCurrentRow(rows.index(column))
    type_into(qtbot, rm.tag_entry, tag)
    qtbot.keyClick(rm.tag_entry, QtCore.Qt.Key_Return)


def test_load_draw_tag_map_add_and_reopen(make_welcome, project, movie_paths, qtbot,
                                          no_dialogs, tmp_path):
    tiff, meta, movie = movie_paths
    project_root = tmp_path / "project"
    welcome = make_welcome()
    welcome.open_project(project_root)
    viewer = welcome.new_viewer()
    qtbot.waitExposed(viewer)

    # Tiff file module: choosing the file finds the meta data beside it; load it
    tiff_module = viewer.get_module("tiff_io")
    type_into(qtbot, tiff_module.tiff_edit, str(tiff))
    qtbot.keyClick(tiff_module.tiff_edit, QtCore.Qt.Key_Return)
    assert tiff_module.meta_edit.text() == str(meta)
    qtbot.mouseClick(tiff_module.load_button, QtCore.Qt.LeftButton)
    work_env = viewer.vi.viewer.workEnv
    assert "Loaded" in tiff_module.status.text()
    t, h, w = MOVIE_SHAPE_TYH
    assert work_env.imgdata.seq.shape == (w, h, t)
    np.testing.assert_array_equal(work_env.imgdata.seq, movie.movie.transpose(2, 1, 0))

    # ROI Manager: Add ROI (polygon), right click Add ROI (ellipse)
    rm = viewer.get_module("roi_manager")
    qtbot.mouseClick(rm.add_button, QtCore.Qt.LeftButton)
    right_click = QtGui.QContextMenuEvent(QtGui.QContextMenuEvent.Mouse, QtCore.QPoint(2, 2))
    QtWidgets.QApplication.sendEvent(rm.add_button, right_click)
    rois = list(work_env.roi_manager.roi_list)
    assert [type(r) for r in rois] == [PolygonROI, EllipseROI]
    assert rm.roi_list_widget.count() == 2
    # the user drags the polygon: move its graphic by (3, 2) px, the core follows
    polygon_graphic = rm.graphics[rois[0].uuid]
    start_vertices = rois[0].vertices.copy()
    polygon_graphic.item.setPos((3.0, 2.0), finish=True)
    np.testing.assert_allclose(rois[0].vertices, start_vertices + [3.0, 2.0], atol=1e-9)

    # tag both ROIs through the entry (Page Up moves to the previous ROI, as the guide says)
    assert rm.current_index == 1
    tag_selected_roi(qtbot, rm, "cell_type", "interneuron")
    tag_selected_roi(qtbot, rm, "region", "dorsal")
    qtbot.keyClick(rm.tag_entry, QtCore.Qt.Key_PageUp)
    assert rm.current_index == 0
    tag_selected_roi(qtbot, rm, "cell_type", "pyramidal")
    assert rois[0].get_all_tags() == {"cell_type": "pyramidal", "region": "untagged"}
    assert rois[1].get_all_tags() == {"cell_type": "interneuron", "region": "dorsal"}
    vertices = rois[0].vertices.copy()
    ellipse = (tuple(rois[1].center), tuple(rois[1].radii), rois[1].angle_deg)

    # Stimulus Mapping: Add Row, type name/start/end, Set all maps
    stim = viewer.get_module("stimulus_mapping")
    qtbot.mouseClick(stim.add_row_button, QtCore.Qt.LeftButton)
    table = stim.tables["odor"]
    for column, text in ((0, "vanillin"), (1, "5"), (2, "20")):
        table.set_cell(0, column, text)
    color = table.color_button(0).color
    qtbot.mouseClick(stim.set_all_button, QtCore.Qt.LeftButton)
    assert stim.status.text() == "All maps set"
    df = stim.maps["odor"].dataframe
    assert df[["name", "start", "end"]].values.tolist() == [["vanillin", 5.0, 20.0]]

    # File -> Add to Project: fill the dialog and Proceed
    viewer.menu_action("File", "Add to Project").trigger()
    dialog = viewer.findChild(AddToProjectDialog)
    assert dialog is not None and dialog.isVisible()
    type_into(qtbot, dialog.animal_id_edit, "fish_1")
    type_into(qtbot, dialog.trial_id_edit, "odor_trial")
    type_into(qtbot, dialog.custom_edits["stage"], "48")
    qtbot.mouseClick(dialog.proceed_button, QtCore.Qt.LeftButton)
    assert dialog.last_error is None and not dialog.isVisible()
    sample_id = work_env.sample_id
    assert sample_id == "fish_1-_-odor_trial"
    assert not work_env.modified

    # the project on disk has the sample, one row per ROI with its tags
    reread = Project.open(project_root)
    assert reread.sample_ids() == [sample_id]
    rows = reread.dataframe
    assert sorted(rows["cell_type"]) == ["interneuron", "pyramidal"]
    assert set(rows["odor"]) == {"vanillin"}
    assert set(rows["stage"]) == {48}

    # reopen the sample from the project: same ROIs, tags and stimulus map
    reopened = welcome._sample_opener(sample_id)
    welcome.windows.append(reopened)
    env2 = reopened.vi.viewer.workEnv
    assert env2.sample_id == sample_id
    np.testing.assert_array_equal(env2.imgdata.seq, work_env.imgdata.seq)
    poly2, ell2 = env2.roi_manager.roi_list
    assert isinstance(poly2, PolygonROI) and isinstance(ell2, EllipseROI)
    np.testing.assert_allclose(poly2.vertices, vertices, atol=1e-9)
    np.testing.assert_allclose(ell2.center, ellipse[0], atol=1e-9)
    np.testing.assert_allclose(ell2.radii, ellipse[1], atol=1e-9)
    assert ell2.angle_deg == pytest.approx(ellipse[2])
    assert poly2.get_all_tags() == {"cell_type": "pyramidal", "region": "untagged"}
    assert ell2.get_all_tags() == {"cell_type": "interneuron", "region": "dorsal"}
    rm2 = reopened.get_module("roi_manager")
    assert rm2.roi_list_widget.count() == 2
    assert set(rm2.graphics) == {poly2.uuid, ell2.uuid}
    stim2 = reopened.get_module("stimulus_mapping")
    df2 = stim2.maps["odor"].dataframe
    assert df2[["name", "start", "end"]].values.tolist() == [["vanillin", 5.0, 20.0]]
    assert df2["color"].tolist() == [color]
    table2 = stim2.tables["odor"]
    assert table2.table.rowCount() == 1 and table2.table.item(0, 0).text() == "vanillin"
