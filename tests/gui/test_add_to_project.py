"""File -> Add to Project: the dialog over Project.add_sample, driven like a user."""
from __future__ import annotations

import pytest
from qtpy import QtCore, QtWidgets

from mesmerize.core.project import Project
from mesmerize.gui.viewer.add_to_project import (
    AddToProjectDialog, install_add_to_project, parse_custom_text,
)
from mesmerize.gui.viewer.window import ViewerWindow
from tests.core.test_project_samples import make_work_env, project_config, tree_hashes


@pytest.fixture
def project(tmp_path):
    return Project.create(tmp_path / "proj", project_config())


@pytest.fixture
def warnings(monkeypatch):
    """Every QMessageBox.warning shown, as (title, text); the box is not shown."""
    shown = []
    monkeypatch.setattr(QtWidgets.QMessageBox, "warning",
                        lambda parent, title, text, *a, **k: shown.append((title, text)))
    return shown


@pytest.fixture
def viewer(qtbot, project):
    config = project.config
    window = ViewerWindow(roi_type_columns=config.roi_type_columns,
                          stimulus_types=config.stimulus_type_columns, plugins_dir="")
    qtbot.addWidget(window)
    work_env = unsaved_work_env(tags={0: {"cell_name": "atena"}})
    window.vi.viewer.workEnv = work_env
    window.update_workEnv()
    hook = install_add_to_project(window, lambda: project)
    window.show()
    yield window, hook
    window.close()


def unsaved_work_env(**kwargs):
    """A work environment with unsaved changes, as after loading a movie and drawing ROIs."""
    work_env = make_work_env(**kwargs)
    work_env.imgdata = work_env.imgdata
    return work_env


def fill(qtbot, dialog, animal, trial, custom=None, comments=None):
    for edit, text in ((dialog.animal_id_edit, animal), (dialog.trial_id_edit, trial)):
        edit.clear()
        qtbot.keyClicks(edit, text)
    for name, text in (custom or {}).items():
        dialog.custom_edits[name].clear()
        qtbot.keyClicks(dialog.custom_edits[name], text)
    if comments is not None:
        dialog.comments_edit.clear()
        qtbot.keyClicks(dialog.comments_edit, comments)


def click_proceed(qtbot, dialog):
    qtbot.mouseClick(dialog.proceed_button, QtCore.Qt.LeftButton)


def test_menu_entry_adds_a_sample(viewer, project, qtbot, warnings, tmp_path):
    window, hook = viewer
    window.menu_action("File", "Add to Project").trigger()
    dialog = hook.dialog
    assert dialog.isVisible()
    assert list(dialog.custom_edits) == ["stage", "promoter", "dose"]
    assert [e.placeholderText() for e in dialog.custom_edits.values()] == [
        "whole number (empty: not set)", "text (empty: untagged)", "decimal number (empty: 0.5)"]
    assert not dialog.overwrite_radio.isEnabled()  # not opened from a project sample
    assert dialog.add_radio.isChecked()
    fill(qtbot, dialog, "fish_1", "trial_2", {"stage": "48", "promoter": "pc2", "dose": "1.25"},
         comments="nice cells")
    work_env = window.vi.viewer.workEnv
    assert work_env.modified
    with qtbot.waitSignal(dialog.sample_added) as added:
        click_proceed(qtbot, dialog)
    assert added.args == ["fish_1-_-trial_2"]
    assert warnings == []
    assert not dialog.isVisible()
    df = project.dataframe
    assert len(df) == 3  # one row per ROI
    assert (df.SampleID == "fish_1-_-trial_2").all()
    assert df.stage.tolist() == [48] * 3 and df.stage.dtype == "Int64"
    assert df.promoter.tolist() == ["pc2"] * 3
    assert df.dose.tolist() == [1.25] * 3
    assert df.comments.tolist() == ["nice cells"] * 3
    assert df.cell_name.tolist() == ["atena", "untagged", "untagged"]
    assert not work_env.modified
    assert work_env.sample_id == "fish_1-_-trial_2"
    assert window.windowTitle() == "Viewer - fish_1-_-trial_2"


def test_empty_custom_entries_take_the_column_fill_values(project, qtbot, warnings):
    dialog = AddToProjectDialog(project, make_work_env())
    qtbot.addWidget(dialog)
    fill(qtbot, dialog, "a", "t")
    click_proceed(qtbot, dialog)
    assert warnings == []
    df = project.dataframe
    assert df.stage.isna().all()
    assert (df.dose == 0.5).all()  # the column's replace value
    assert (df.promoter == "untagged").all()


def test_duplicate_sample_id_is_refused_and_nothing_changes(project, qtbot, warnings):
    project.add_sample(make_work_env(seed=1), "fish_1", "trial_2", {"stage": 3})
    before = tree_hashes(project.path)
    df_before = project.dataframe
    work_env = unsaved_work_env(seed=2)
    dialog = AddToProjectDialog(project, work_env)
    qtbot.addWidget(dialog)
    dialog.show()
    fill(qtbot, dialog, "fish_1", "trial_2", {"stage": "7"}, comments="new comment")
    click_proceed(qtbot, dialog)
    assert len(warnings) == 1
    title, text = warnings[0]
    assert title == "Add to Project"
    assert "fish_1-_-trial_2" in text and "already exists" in text
    assert dialog.isVisible()  # the user can correct the ids
    assert tree_hashes(project.path) == before
    assert project.dataframe.equals(df_before)
    assert work_env.modified and work_env.sample_id is None
    assert work_env.comments == "sample 2"  # restored after the refusal


def test_wrong_type_in_an_int_column_is_refused(project, qtbot, warnings):
    before = tree_hashes(project.path)
    dialog = AddToProjectDialog(project, make_work_env())
    qtbot.addWidget(dialog)
    dialog.show()
    fill(qtbot, dialog, "a", "t", {"stage": "2.5"})
    assert "d9534f" in dialog.custom_edits["stage"].styleSheet()  # marked while typing
    click_proceed(qtbot, dialog)
    assert len(warnings) == 1
    assert "'stage'" in warnings[0][1] and "whole number" in warnings[0][1]
    assert tree_hashes(project.path) == before
    dialog.custom_edits["stage"].clear()
    qtbot.keyClicks(dialog.custom_edits["stage"], "12")
    assert dialog.custom_edits["stage"].styleSheet() == ""
    click_proceed(qtbot, dialog)
    assert len(warnings) == 1
    assert project.dataframe.stage.tolist() == [12] * 3


def test_bad_ids_are_refused_by_the_core(project, qtbot, warnings):
    dialog = AddToProjectDialog(project, make_work_env())
    qtbot.addWidget(dialog)
    fill(qtbot, dialog, "a-_-b", "t")
    click_proceed(qtbot, dialog)
    assert "-_-" in warnings[0][1]
    assert project.dataframe.empty


def test_overwrite_a_sample_opened_from_the_project(project, qtbot, warnings, tmp_path):
    project.add_sample(make_work_env(seed=1), "fish_1", "trial_2", {"stage": 3})
    image_path = project.dataframe.ImgPath[0]
    work_env = project.load_sample("fish_1-_-trial_2")
    work_env.roi_manager.roi_list[1].set_tag("cell_name", "pr")
    work_env.imgdata = work_env.imgdata
    dialog = AddToProjectDialog(project, work_env)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.overwrite_radio.isEnabled()
    assert dialog.animal_id_edit.text() == "fish_1" and dialog.trial_id_edit.text() == "trial_2"
    assert dialog.custom_edits["stage"].text() == "3"
    assert not dialog.overwrite_image_check.isEnabled()
    qtbot.mouseClick(dialog.overwrite_radio, QtCore.Qt.LeftButton)
    assert dialog.overwrite_radio.isChecked()
    assert dialog.overwrite_image_check.isEnabled()
    assert dialog.animal_id_edit.isReadOnly() and dialog.trial_id_edit.isReadOnly()
    qtbot.mouseClick(dialog.overwrite_image_check, QtCore.Qt.LeftButton)
    assert not dialog.overwrite_image_check.isChecked()
    dialog.custom_edits["stage"].clear()
    qtbot.keyClicks(dialog.custom_edits["stage"], "4")
    assert dialog.grab().save(str(tmp_path / "add_to_project.png"))
    click_proceed(qtbot, dialog)
    assert warnings == []
    df = project.dataframe
    assert project.sample_ids() == ["fish_1-_-trial_2"]
    assert df.stage.tolist() == [4] * 3
    assert df.cell_name.tolist()[1] == "pr"
    assert df.ImgPath[0] == image_path  # "Overwrite image data" unchecked: movie file kept
    assert not work_env.modified


def test_adding_a_copy_under_a_new_id_keeps_the_original(project, qtbot, warnings):
    project.add_sample(make_work_env(seed=1), "fish_1", "trial_2", {"stage": 3})
    dialog = AddToProjectDialog(project, project.load_sample("fish_1-_-trial_2"))
    qtbot.addWidget(dialog)
    fill(qtbot, dialog, "fish_9", "trial_2")
    click_proceed(qtbot, dialog)
    assert warnings == []
    assert project.sample_ids() == ["fish_1-_-trial_2", "fish_9-_-trial_2"]


def test_without_a_project_the_action_explains(qtbot, warnings):
    window = ViewerWindow(plugins_dir="")
    qtbot.addWidget(window)
    hook = install_add_to_project(window, lambda: None)
    assert hook.open_dialog() is None
    assert "No project is open" in warnings[0][1]
    window.close()


@pytest.mark.parametrize("column_type, text, expected", [
    ("int", " 12 ", 12), ("int", "", None), ("float", "1e-3", 1e-3), ("str", " pc2 ", "pc2"),
])
def test_parse_custom_text(column_type, text, expected):
    assert parse_custom_text("c", column_type, text) == expected
