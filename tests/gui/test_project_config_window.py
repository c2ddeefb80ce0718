"""Project Configuration window: each column kind, replace values, visibility lists, the
type-change refusal, invalid names, removing columns."""
from __future__ import annotations

import math

import pytest
from qtpy import QtWidgets
from qtpy.QtCore import Qt

from mesmerize.core.errors import ConfigError
from mesmerize.core.project import CustomColumn, Project, ProjectConfig
from mesmerize.gui.project.project_config import ProjectConfigWindow, parse_replace_value
from tests.core.test_project_samples import make_work_env


@pytest.fixture
def messages(monkeypatch):
    shown: list[tuple[str, str]] = []

    def record(parent, title, text, *args, **kwargs):
        shown.append((title, text))
        return QtWidgets.QMessageBox.Ok

    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", staticmethod(record))
    monkeypatch.setattr(QtWidgets.QMessageBox, "critical", staticmethod(record))
    return shown


@pytest.fixture
def answer(monkeypatch):
    """The answer QMessageBox.question gives (Yes unless changed); questions are recorded."""
    state = {"answer": QtWidgets.QMessageBox.Yes, "asked": []}

    def question(parent, title, text, *args, **kwargs):
        state["asked"].append(text)
        return state["answer"]

    monkeypatch.setattr(QtWidgets.QMessageBox, "question", staticmethod(question))
    return state


def make_window(qtbot, project):
    window = ProjectConfigWindow(project)
    qtbot.addWidget(window)
    window.show()
    return window


def type_and_add(qtbot, box, name):
    box.entry.clear()
    qtbot.keyClicks(box.entry, name)
    qtbot.keyClick(box.entry, Qt.Key_Return)


def add_custom(qtbot, window, name, type_label, replace=""):
    window.custom_name.clear()
    qtbot.keyClicks(window.custom_name, name)
    window.custom_type.setCurrentText(type_label)
    window.custom_replace.clear()
    qtbot.keyClicks(window.custom_replace, replace)
    add = next(b for b in window.findChildren(QtWidgets.QPushButton)
               if b.text() == "Add" and b.parent() is window.custom_table.parent())
    qtbot.mouseClick(add, Qt.LeftButton)


def save(qtbot, window):
    button = window.findChild(QtWidgets.QPushButton, "save_and_apply")
    qtbot.mouseClick(button, Qt.LeftButton)


def test_every_column_kind_and_visibility(qtbot, tmp_path, messages):
    project = Project.create(tmp_path / "p")
    window = make_window(qtbot, project)
    type_and_add(qtbot, window.roi_box, "cell_name")
    type_and_add(qtbot, window.roi_box, "anatomical_region")
    type_and_add(qtbot, window.stim_box, "odor")
    add_custom(qtbot, window, "promoter", "standard text")
    add_custom(qtbot, window, "stage", "whole numbers", "48")
    add_custom(qtbot, window, "dose", "decimal numbers")
    assert messages == []
    assert window.roi_box.names() == ["cell_name", "anatomical_region"]
    assert window.custom_table.rowCount() == 3
    assert window.custom_table.item(1, 1).text() == "whole numbers"
    assert window.custom_table.item(1, 2).text() == "48"
    assert "promoter" in window.visible_list.names()
    window.move_columns(window.visible_list, window.hidden_list, ["comments", "date"])
    window.hidden_list.findItems("ImgUUID", Qt.MatchExactly)[0].setSelected(True)
    window.move_columns(window.hidden_list, window.visible_list)
    window.resize(1100, 650)
    window.grab().save("/tmp/project_configuration.png")
    save(qtbot, window)
    assert messages == []
    config = project.config
    assert config.roi_type_columns == ["cell_name", "anatomical_region"]
    assert config.stimulus_type_columns == ["odor"]
    assert config.custom_columns == {"promoter": CustomColumn("str"),
                                     "stage": CustomColumn("int", 48),
                                     "dose": CustomColumn("float")}
    assert {"comments", "date"} <= set(config.hidden_columns)
    assert "ImgUUID" in config.visible_columns
    assert Project.open(project.path).config.to_dict() == config.to_dict()
    assert "Saved and applied" in window.status.text()


def test_visibility_lists_accept_drops_from_each_other(qtbot, tmp_path):
    project = Project.create(tmp_path / "p")
    window = make_window(qtbot, project)
    for lst in (window.visible_list, window.hidden_list):
        assert lst.dragDropMode() == QtWidgets.QAbstractItemView.DragDrop
        assert lst.defaultDropAction() == Qt.MoveAction
    item = window.visible_list.findItems("comments", Qt.MatchExactly)[0]
    mime = window.visible_list.mimeData([item])
    assert window.hidden_list.dropMimeData(0, mime, Qt.MoveAction)
    assert window.hidden_list.names()[0] == "comments"


def test_new_column_fills_existing_samples_with_replace_value(qtbot, tmp_path, messages):
    config = ProjectConfig(roi_type_columns=["cell_name", "region"])
    project = Project.create(tmp_path / "p", config)
    project.add_sample(make_work_env(stim=False), "a1", "t1")
    backups = len(project.backups())
    window = make_window(qtbot, project)
    add_custom(qtbot, window, "dose", "decimal numbers", "1.5")
    add_custom(qtbot, window, "stage", "whole numbers")
    type_and_add(qtbot, window.stim_box, "odor")
    save(qtbot, window)
    assert messages == []
    df = project.dataframe
    assert df["dose"].tolist() == [1.5, 1.5, 1.5]
    assert df["stage"].dtype == "Int64" and df["stage"].isna().all()
    assert (df["odor"] == "untagged").all()
    assert len(project.backups()) == backups + 1


def test_changing_a_column_type_is_refused_with_the_explanation(qtbot, tmp_path, messages):
    project = Project.create(tmp_path / "p", ProjectConfig(
        custom_columns={"stage": CustomColumn("int")}, roi_type_columns=["cell_name"]))
    window = make_window(qtbot, project)
    window.custom_table.selectRow(0)
    remove = next(b for b in window.findChildren(QtWidgets.QPushButton)
                  if b.text() == "Remove" and b.parent() is window.custom_table.parent())
    qtbot.mouseClick(remove, Qt.LeftButton)
    assert window.custom_table.rowCount() == 0
    add_custom(qtbot, window, "stage", "decimal numbers")
    save(qtbot, window)
    assert len(messages) == 1
    title, text = messages[0]
    assert title == "Data types cannot be changed later"
    assert "'stage'" in text and "data types cannot be changed later" in text
    assert project.config.custom_columns == {"stage": CustomColumn("int")}
    window.remove_column("cell_name")
    add_custom(qtbot, window, "cell_name", "standard text")
    window.remove_column("stage")
    add_custom(qtbot, window, "stage", "whole numbers")
    save(qtbot, window)
    assert "ROI type column and cannot become a custom" in messages[1][1]


@pytest.mark.parametrize("name, needle", [("_x", "reserved"), ("SampleID", "built-in"),
                                          ("a-_-b", "separator"), ("cell_name", "unique")])
def test_invalid_column_names_are_refused(qtbot, tmp_path, messages, name, needle):
    project = Project.create(tmp_path / "p", ProjectConfig(roi_type_columns=["cell_name"]))
    window = make_window(qtbot, project)
    type_and_add(qtbot, window.stim_box, name)
    assert len(messages) == 1 and needle in messages[0][1]
    assert window.stim_box.names() == []
    assert window.stim_box.entry.text() == name  # kept so the user can fix it


def test_bad_replace_value_is_refused(qtbot, tmp_path, messages):
    window = make_window(qtbot, Project.create(tmp_path / "p"))
    add_custom(qtbot, window, "stage", "whole numbers", "late")
    assert messages and "late" in messages[0][1]
    assert window.custom_table.rowCount() == 0
    with pytest.raises(ConfigError):
        parse_replace_value("float", "x")
    assert parse_replace_value("int", " ") is None
    assert math.isclose(parse_replace_value("float", "2.5"), 2.5)


def test_removing_columns_with_samples_asks_first(qtbot, tmp_path, messages, answer):
    config = ProjectConfig(roi_type_columns=["cell_name", "region"])
    project = Project.create(tmp_path / "p", config)
    project.add_sample(make_work_env(stim=False), "a1", "t1")
    window = make_window(qtbot, project)
    window.roi_box.list.setCurrentRow(1)
    remove = next(b for b in window.roi_box.findChildren(QtWidgets.QPushButton)
                  if b.text() == "Remove")
    qtbot.mouseClick(remove, Qt.LeftButton)
    assert window.roi_box.names() == ["cell_name"]
    assert "region" not in window.visible_list.names() + window.hidden_list.names()
    answer["answer"] = QtWidgets.QMessageBox.No
    save(qtbot, window)
    assert "region" in answer["asked"][0]
    assert "region" in project.dataframe.columns
    answer["answer"] = QtWidgets.QMessageBox.Yes
    with qtbot.waitSignal(window.applied, timeout=1000):
        save(qtbot, window)
    assert "region" not in project.dataframe.columns
    assert messages == []
