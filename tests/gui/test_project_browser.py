"""Project Browser: value lists, filters typed and clicked, tabs, history, DataFrame editor,
console namespace (the guide's 'atena' -> 'ATENA' example), open-sample signal."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from qtpy import QtCore, QtWidgets
from qtpy.QtCore import Qt

from mesmerize.core.project import CustomColumn, Project, ProjectConfig
from mesmerize.core.project.filters import apply_column_filter
from mesmerize.core.project.tabs import ROOT_TAB
from mesmerize.gui.project.browser import ProjectBrowserWindow
from mesmerize.gui.project.dataframe_model import DataFrameModel
from mesmerize.gui.project.namespaces import build_browser_namespace
from tests.core.test_project_samples import make_work_env

SAMPLES = [
    ("a1", "t1", {0: {"cell_name": "atena", "region": "head"}, 1: {"cell_name": "atenp"},
                  2: {"cell_name": "pr"}}, {"stage": 48, "promoter": "pc2"}),
    ("a2", "t1", {0: {"cell_name": "atena"}, 1: {"cell_name": "mn"}, 2: {"cell_name": "palp"}},
     {"stage": 72, "promoter": "cng_ch4"}),
]


def browser_config() -> ProjectConfig:
    return ProjectConfig(
        roi_type_columns=["cell_name", "region"], stimulus_type_columns=["odor"],
        custom_columns={"stage": CustomColumn("int"), "promoter": CustomColumn("str"),
                        "dose": CustomColumn("float", 0.5)})


@pytest.fixture
def project(tmp_path):
    project = Project.create(tmp_path / "proj", browser_config())
    for seed, (animal, trial, tags, custom) in enumerate(SAMPLES):
        project.add_sample(make_work_env(seed=seed, tags=tags), animal, trial, custom)
    return project


@pytest.fixture
def browser(qtbot, project):
    window = ProjectBrowserWindow(project)
    qtbot.addWidget(window)
    window.show()
    return window


@pytest.fixture
def tab_name(monkeypatch):
    """Answers the new-tab-name dialog with the names queued in the returned list."""
    names: list[str] = []
    monkeypatch.setattr(QtWidgets.QInputDialog, "getText",
                        staticmethod(lambda *a, **k: (names.pop(0), True)))
    return names


@pytest.fixture
def messages(monkeypatch):
    """Records QMessageBox.warning/critical calls instead of showing them."""
    shown: list[tuple[str, str]] = []

    def record(parent, title, text, *args, **kwargs):
        shown.append((title, text))
        return QtWidgets.QMessageBox.Ok

    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", staticmethod(record))
    monkeypatch.setattr(QtWidgets.QMessageBox, "critical", staticmethod(record))
    return shown


def click_values(qtbot, column_filter, values):
    view = column_filter.values_view
    for i, value in enumerate(values):
        row = column_filter.values().index(value)
        rect = view.visualRect(column_filter.values_model.index(row))
        modifier = Qt.ControlModifier if i else Qt.NoModifier
        qtbot.mouseClick(view.viewport(), Qt.LeftButton, modifier, rect.center())


def menu_action(menu: QtWidgets.QMenu, text: str) -> QtWidgets.QAction:
    return next(a for a in menu.actions() if a.text() == text)


def rows(df: pd.DataFrame) -> list[str]:
    return sorted(df["uuid_curve"])


def test_lists_show_unique_values_of_visible_columns(browser, project):
    page = browser.pages[ROOT_TAB]
    assert list(page.filters) == project.config.visible_columns
    assert "ImgPath" not in page.filters and "uuid_curve" not in page.filters
    assert page.filters["cell_name"].values() == ["atena", "atenp", "mn", "palp", "pr"]
    assert page.filters["stage"].values() == ["48", "72"]
    assert page.filters["SampleID"].values() == ["a1-_-t1", "a2-_-t1"]
    assert page.filters["dose"].values() == ["0.5"]


def test_clicked_values_or_filter_from_root_asks_for_a_tab(qtbot, browser, project, tab_name):
    cell = browser.pages[ROOT_TAB].filters["cell_name"]
    click_values(qtbot, cell, ["atena", "pr"])
    assert cell.filter_text() == "atena|pr"
    tab_name.append("atena_pr")
    qtbot.mouseClick(cell.apply_button, Qt.LeftButton)
    assert browser.tabs.names() == [ROOT_TAB, "atena_pr"]
    assert browser.current_tab_name() == "atena_pr"
    got = browser.get_dataframe()
    root = project.dataframe
    assert rows(got) == rows(root[root["cell_name"].isin(["atena", "pr"])])
    assert len(got) == 3
    assert browser.filter_history() == [
        "df[df['cell_name'].astype(str).str.contains('atena|pr', regex=True)]"]
    assert browser.tabs.get(ROOT_TAB).dataframe.shape[0] == 6
    assert browser.pages["atena_pr"].filters["cell_name"].values() == ["atena", "pr"]


def test_typed_partial_filter_and_history_view(qtbot, browser, project, tab_name):
    cell = browser.pages[ROOT_TAB].filters["cell_name"]
    qtbot.keyClicks(cell.entry, "aten")
    tab_name.append("aten")
    qtbot.mouseClick(cell.apply_button, Qt.LeftButton)
    root = project.dataframe
    expected, expr = apply_column_filter(root, "cell_name", "aten")
    assert rows(browser.get_dataframe()) == rows(expected)
    assert sorted(browser.get_dataframe()["cell_name"]) == ["atena", "atena", "atenp"]
    dialog = browser.show_filter_history()
    text = dialog.findChild(QtWidgets.QPlainTextEdit, "history_text").toPlainText()
    assert text == expr == "df[df['cell_name'].astype(str).str.contains('aten', regex=False)]"
    df = root  # noqa: F841 (the filter expression evaluated below reads df)
    assert rows(eval(text)) == rows(expected)
    table = browser.show_current_dataframe().findChild(QtWidgets.QTableView, "dataframe_table")
    assert table.model().rowCount() == 3
    dialog.grab().save("/tmp/project_browser_history.png")


def test_exact_modifier_from_the_entry_menu(qtbot, browser, tab_name):
    cell = browser.pages[ROOT_TAB].filters["cell_name"]
    qtbot.keyClicks(cell.entry, "atena")
    menu = cell.entry_menu()
    texts = [a.text() for a in menu.actions()]
    assert {"$NOT:", "$STR:", "$STR=:", "$STR!=:"} <= set(texts)
    assert "$>:" not in texts  # text column: no numeric modifiers
    menu_action(menu, "$STR=:").trigger()
    assert cell.filter_text() == "$STR=:atena"
    menu_action(cell.entry_menu(), "$NOT:").trigger()
    assert cell.filter_text() == "$NOT:atena"  # a modifier replaces the previous one
    menu_action(cell.entry_menu(), "$STR=:").trigger()
    tab_name.append("exact")
    qtbot.keyClick(cell.entry, Qt.Key_Return)
    assert sorted(browser.get_dataframe()["cell_name"]) == ["atena", "atena"]
    assert browser.filter_history() == ["df[df['cell_name'].astype(str).isin(['atena'])]"]


def test_numeric_filter_on_whole_number_column(qtbot, browser, project, tab_name):
    stage = browser.pages[ROOT_TAB].filters["stage"]
    assert stage.numeric
    stage.set_filter_text("50")
    menu_action(stage.entry_menu(), "$>:").trigger()
    assert stage.filter_text() == "$>:50"
    tab_name.append("late")
    qtbot.mouseClick(stage.apply_button, Qt.LeftButton)
    got = browser.get_dataframe()
    assert set(got["SampleID"]) == {"a2-_-t1"} and len(got) == 3
    assert browser.filter_history() == ["df[df['stage'] > 50]"]
    click_values(qtbot, browser.pages["late"].filters["stage"], ["72"])
    assert browser.pages["late"].filters["stage"].filter_text() == "$=:72"


def test_bad_filter_is_reported_and_creates_no_tab(qtbot, browser, tab_name, messages):
    cell = browser.pages[ROOT_TAB].filters["cell_name"]
    cell.set_filter_text("$>:3")
    tab_name.append("never")
    qtbot.mouseClick(cell.apply_button, Qt.LeftButton)
    assert browser.tabs.names() == [ROOT_TAB]
    assert messages and "not numbers" in messages[0][1]


def test_apply_in_place_then_apply_all_in_new_tab(qtbot, browser, project, tab_name):
    root_cell = browser.pages[ROOT_TAB].filters["cell_name"]
    tab_name.append("copy")
    qtbot.mouseClick(root_cell.apply_button, Qt.LeftButton)  # empty entry: a copy of root
    assert len(browser.get_dataframe()) == 6 and browser.filter_history() == []
    page = browser.pages["copy"]
    page.filters["cell_name"].set_filter_text("p")
    qtbot.mouseClick(page.filters["cell_name"].apply_button, Qt.LeftButton)
    assert browser.tabs.names() == [ROOT_TAB, "copy"]  # in place, no new tab
    assert sorted(browser.get_dataframe()["cell_name"]) == ["atenp", "palp", "pr"]
    page.filters["cell_name"].set_filter_text("$NOT:palp")
    page.filters["promoter"].set_filter_text("pc2|cng")
    tab_name.append("both")
    menu_action(page.filters["promoter"].apply_menu(), "Apply all in new tab").trigger()
    assert browser.current_tab_name() == "both"
    got = browser.get_dataframe()
    assert sorted(got["cell_name"]) == ["atenp", "pr"]
    assert browser.filter_history() == [
        "df[df['cell_name'].astype(str).str.contains('p', regex=False)]",
        "df[~df['cell_name'].astype(str).str.contains('palp', regex=False)]",
        "df[df['promoter'].astype(str).str.contains('pc2|cng', regex=True)]",
    ]
    assert len(browser.tabs.get("copy").dataframe) == 3  # source tab unchanged


def test_project_changes_replay_tab_filters(qtbot, browser, project, tab_name):
    cell = browser.pages[ROOT_TAB].filters["cell_name"]
    cell.set_filter_text("$STR=:atena")
    tab_name.append("atena")
    qtbot.mouseClick(cell.apply_button, Qt.LeftButton)
    assert len(browser.get_dataframe()) == 2
    project.add_sample(make_work_env(seed=5, tags={0: {"cell_name": "atena"}}), "a3", "t2",
                       {"stage": 50, "promoter": "pc2"})
    qtbot.waitUntil(lambda: len(browser.tabs.get("atena").dataframe) == 3)
    qtbot.waitUntil(lambda: "a3-_-t2" in browser.pages[ROOT_TAB].filters["SampleID"].values())


def test_double_click_sample_id_emits_open_sample(qtbot, browser):
    sample_ids = browser.pages[ROOT_TAB].filters["SampleID"]
    view = sample_ids.values_view
    rect = view.visualRect(sample_ids.values_model.index(1))
    with qtbot.waitSignal(browser.open_sample, timeout=2000) as blocker:
        # QTest's double-click lacks the preceding press a real double-click has
        qtbot.mousePress(view.viewport(), Qt.LeftButton, pos=rect.center())
        qtbot.mouseDClick(view.viewport(), Qt.LeftButton, pos=rect.center())
    assert blocker.args == ["a2-_-t1"]


def edit_cell(qtbot, table: QtWidgets.QTableView, row: int, column: str, text: str) -> None:
    """Type ``text`` into a cell through the view's editor, as a user would."""
    model = table.model()
    col = list(model.dataframe().columns).index(column)
    index = model.index(row, col)
    table.scrollTo(index)
    table.setCurrentIndex(index)
    table.edit(index)
    editor = table.focusWidget()
    assert isinstance(editor, QtWidgets.QLineEdit)
    editor.selectAll()
    qtbot.keyClicks(editor, text)
    qtbot.keyClick(editor, Qt.Key_Return)
    # the delegate commits and closes the editor through a queued call
    qtbot.waitUntil(lambda: table.state() != QtWidgets.QAbstractItemView.EditingState)
    QtWidgets.QApplication.sendPostedEvents(None, QtCore.QEvent.DeferredDelete)


def test_dataframe_editor_saves_with_backup(qtbot, browser, project, messages):
    editor = browser.open_dataframe_editor()
    backups_before = len(project.backups())
    edit_cell(qtbot, editor.table, 1, "comments", "bleached")
    edit_cell(qtbot, editor.table, 4, "stage", "60")
    edit_cell(qtbot, editor.table, 4, "dose", "1.25")
    assert len(editor.pending_edits) == 3
    editor.grab().save("/tmp/project_browser_editor.png")
    qtbot.mouseClick(editor.save_button, Qt.LeftButton)
    assert messages == []
    df = project.dataframe
    assert df["comments"].iloc[1] == "bleached" and df["comments"].iloc[0] == "sample 0"
    assert df["stage"].dtype == "Int64"
    assert df.loc[df["SampleID"] == "a2-_-t1", "stage"].tolist() == [72, 60, 72]
    assert df["dose"].iloc[4] == pytest.approx(1.25)
    assert len(project.backups()) == backups_before + 1
    assert editor.pending_edits == {}
    assert "bleached" in browser.pages[ROOT_TAB].filters["comments"].values()


@pytest.mark.parametrize("column", ["ImgPath", "ROI_State", "uuid_curve", "SampleID", "AnimalID"])
def test_dataframe_editor_refuses_protected_columns(qtbot, browser, project, messages, column):
    before = project.dataframe
    editor = browser.open_dataframe_editor()
    edit_cell(qtbot, editor.table, 0, column, "changed")
    assert len(messages) == 1 and messages[0][0] == "Edit refused"
    assert column in messages[0][1] or "SampleID" in messages[0][1]
    assert editor.model.dataframe()[column].iloc[0] == before[column].iloc[0]
    assert editor.pending_edits == {} and not editor.save_button.isEnabled()


def test_dataframe_editor_refuses_text_in_number_column(qtbot, browser, messages):
    editor = browser.open_dataframe_editor()
    edit_cell(qtbot, editor.table, 0, "stage", "late")
    assert messages and "whole numbers" in messages[0][1]
    assert editor.pending_edits == {}


def test_editor_on_a_tab_edits_the_matching_project_rows(qtbot, browser, project, tab_name):
    cell = browser.pages[ROOT_TAB].filters["cell_name"]
    cell.set_filter_text("$STR=:mn")
    tab_name.append("mn")
    qtbot.mouseClick(cell.apply_button, Qt.LeftButton)
    editor = browser.open_dataframe_editor()
    assert editor.model.rowCount() == 1
    edit_cell(qtbot, editor.table, 0, "region", "tail")
    assert editor.save()
    df = project.dataframe
    assert df.loc[df["cell_name"] == "mn", "region"].tolist() == ["tail"]
    assert (df.loc[df["cell_name"] != "mn", "region"] != "tail").all()


def test_namespace_set_root_dataframe_guide_example(browser, project):
    ns = build_browser_namespace(browser)
    assert ns["this"] is browser
    backups_before = len(project.backups())
    df = ns["get_root_dataframe"]().copy()
    atena = df.index[df.cell_name == "atena"].tolist()
    assert atena == [0, 3]
    with pytest.warns(FutureWarning):  # pandas 2 warns about the guide's chained assignment
        df.cell_name[df.cell_name == 'atena'] = 'ATENA'
    assert len(df.cell_name[df.cell_name == 'atena']) == 0
    ns["set_root_dataframe"](df)
    saved = Project.open(project.path).dataframe
    assert saved.cell_name.iloc[atena].tolist() == ["ATENA", "ATENA"]
    assert saved.cell_name.iloc[[1, 2]].tolist() == ["atenp", "pr"]
    assert len(project.backups()) == backups_before + 1
    assert len(ns["get_dataframe"]()) == 6


def test_console_runs_the_guide_example(qtbot, browser, project):
    console = browser.show_console()
    assert console.namespace["this"] is browser
    console.execute("df = get_root_dataframe().copy()\n"
                    "df.cell_name[df.cell_name == 'atena'] = 'ATENA'\n"
                    "set_root_dataframe(df)\n"
                    "n_tab = len(get_dataframe())")
    qtbot.waitUntil(lambda: "n_tab" in console.namespace, timeout=5000)
    assert console.namespace["n_tab"] == 6
    assert (project.dataframe.cell_name == "ATENA").sum() == 2
    qtbot.waitUntil(lambda: "ATENA" in browser.pages[ROOT_TAB].filters["cell_name"].values())
    browser.resize(1200, 800)
    browser.grab().save("/tmp/project_browser_console.png")


def test_model_over_100k_rows_reads_only_what_is_asked():
    n = 100_000
    df = pd.DataFrame({"SampleID": np.repeat([f"s{i}" for i in range(1000)], 100),
                       "stage": pd.array(np.arange(n) % 90, dtype="Int64"),
                       "dose": np.linspace(0, 1, n)})
    model = DataFrameModel(df)
    assert model.rowCount() == n and model.columnCount() == 3
    assert model.data(model.index(n - 1, 0)) == "s999"
    assert model.data(model.index(n - 1, 1)) == str((n - 1) % 90)
    assert model.headerData(n - 1, Qt.Vertical) == str(n - 1)


def test_render_browser(qtbot, browser, tab_name):
    cell = browser.pages[ROOT_TAB].filters["cell_name"]
    click_values(qtbot, cell, ["atena", "pr"])
    browser.resize(1300, 520)
    browser.grab().save("/tmp/project_browser.png")
    assert QtCore.QFile.exists("/tmp/project_browser.png")


def test_configuration_changes_update_the_columns(qtbot, browser, project):
    config = project.config
    config.visible_columns.remove("comments")
    config.hidden_columns.append("comments")
    config.roi_type_columns.append("side")
    project.apply_config(config)
    qtbot.waitUntil(lambda: "side" in browser.pages[ROOT_TAB].filters)
    assert "comments" not in browser.pages[ROOT_TAB].filters
    assert browser.pages[ROOT_TAB].filters["side"].values() == ["untagged"]


def test_closing_a_tab_removes_it(qtbot, browser, tab_name):
    tab_name.append("copy")
    qtbot.mouseClick(browser.pages[ROOT_TAB].filters["cell_name"].apply_button, Qt.LeftButton)
    assert browser.tab_widget.count() == 2
    browser.tab_widget.tabCloseRequested.emit(0)  # the root tab stays
    browser.tab_widget.tabCloseRequested.emit(1)
    assert browser.tabs.names() == [ROOT_TAB] and browser.tab_widget.count() == 1
    assert browser.current_tab_name() == ROOT_TAB


def test_double_click_renames_a_tab(qtbot, browser, tab_name, messages):
    tab_name.append("copy")
    qtbot.mouseClick(browser.pages[ROOT_TAB].filters["cell_name"].apply_button, Qt.LeftButton)
    tab_name.append("renamed")
    browser.tab_widget.tabBarDoubleClicked.emit(1)
    assert browser.tabs.names() == [ROOT_TAB, "renamed"]
    assert browser.tab_widget.tabText(1) == "renamed" and browser.current_tab_name() == "renamed"
    tab_name.append(ROOT_TAB)
    browser.tab_widget.tabBarDoubleClicked.emit(1)
    assert browser.tabs.names() == [ROOT_TAB, "renamed"] and "reserved" in messages[0][1]


@pytest.mark.parametrize("answer", ["Yes", "No"])
def test_delete_sample_from_the_edit_menu_after_confirmation(browser, project, monkeypatch,
                                                             answer):
    ids = project.sample_ids()
    asked = []
    monkeypatch.setattr(QtWidgets.QInputDialog, "getItem",
                        staticmethod(lambda parent, title, label, items, *a:
                                     asked.append(list(items)) or (items[1], True)))
    monkeypatch.setattr(QtWidgets.QMessageBox, "question", staticmethod(
        lambda *a, **k: getattr(QtWidgets.QMessageBox, answer)))
    n_backups = len(project.backups())
    edit = next(m for m in browser.menuBar().findChildren(QtWidgets.QMenu) if m.title() == "&Edit")
    menu_action(edit, "Delete sample...").trigger()
    assert asked == [ids]
    if answer == "No":
        assert Project.open(project.path).sample_ids() == ids
        return
    assert Project.open(project.path).sample_ids() == [ids[0], *ids[2:]]
    assert len(project.backups()) == n_backups + 1
    assert ids[1] not in set(browser.get_root_dataframe()["SampleID"])
