"""Welcome Window: new project through the dialogs, recent projects, flowchart / plot lists,
injected window factories, menus, and the console with every object of the instance."""
from __future__ import annotations

import json

import pytest
from qtpy import QtWidgets
from qtpy.QtCore import Qt

from mesmerize.core.errors import FormatVersionError
from mesmerize.core.project import CustomColumn, Project, ProjectConfig
from mesmerize.gui.project.browser import ProjectBrowserWindow
from mesmerize.gui.project.namespaces import build_welcome_namespace
from mesmerize.gui.project.recent_projects import (
    MAX_RECENT_PROJECTS, add_recent_project, load_recent_projects, recent_projects_path,
)
from mesmerize.gui.project.welcome import WelcomeWindow
from tests.core.test_project_samples import make_work_env


@pytest.fixture
def messages(monkeypatch):
    shown: list[tuple[str, str]] = []

    def record(parent, title, text, *args, **kwargs):
        shown.append((title, text))
        return QtWidgets.QMessageBox.Ok

    for name in ("warning", "critical", "information"):
        monkeypatch.setattr(QtWidgets.QMessageBox, name, staticmethod(record))
    return shown


@pytest.fixture
def welcome(qtbot):
    window = WelcomeWindow()
    qtbot.addWidget(window)
    window.show()
    yield window
    window.console.shutdown()


def make_project(path, n_samples=1) -> Project:
    project = Project.create(path, ProjectConfig(roi_type_columns=["cell_name", "region"]))
    for i in range(n_samples):
        project.add_sample(make_work_env(seed=i, stim=False,
                                         tags={0: {"cell_name": "atena"}}), f"a{i}", "t1")
    return project


def test_new_project_through_the_dialogs(qtbot, welcome, tmp_path, monkeypatch, messages,
                                         config_dir):
    monkeypatch.setattr(QtWidgets.QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: str(tmp_path)))
    monkeypatch.setattr(QtWidgets.QInputDialog, "getText",
                        staticmethod(lambda *a, **k: ("zebrafish_ptz", True)))
    with qtbot.waitSignal(welcome.project_opened, timeout=2000):
        qtbot.mouseClick(welcome.new_project_button, Qt.LeftButton)
    project = welcome.project
    assert project.path == tmp_path / "zebrafish_ptz"
    assert (project.path / "dataframes" / "root.dfr").is_file()
    config_window = welcome.project_config_window
    assert config_window is not None and config_window.isVisible()
    config_window.roi_box.entry.setText("cell_name")
    config_window.roi_box.entry.returnPressed.emit()
    config_window.stim_box.entry.setText("odor")
    config_window.stim_box.entry.returnPressed.emit()
    assert config_window.add_custom_column("drug_state", "str", "control")
    assert config_window.add_custom_column("stage", "int")
    assert config_window.add_custom_column("temperature", "float", "21.5")
    assert config_window.save_and_apply()
    assert messages == []
    assert Project.open(project.path).config.custom_columns == {
        "drug_state": CustomColumn("str", "control"), "stage": CustomColumn("int"),
        "temperature": CustomColumn("float", 21.5)}
    assert load_recent_projects() == [str(project.path)]
    assert recent_projects_path().parent == config_dir
    assert welcome.recent_list.item(0).text() == str(project.path)
    assert welcome.browser_button.isEnabled() and welcome.project_config_action.isEnabled()
    assert "zebrafish_ptz" in welcome.windowTitle()


def test_new_project_in_a_non_empty_directory_is_refused(qtbot, welcome, tmp_path, monkeypatch,
                                                         messages):
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "file.txt").write_text("x")
    monkeypatch.setattr(QtWidgets.QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: str(tmp_path)))
    monkeypatch.setattr(QtWidgets.QInputDialog, "getText",
                        staticmethod(lambda *a, **k: ("taken", True)))
    assert welcome.new_project_dialog() is None
    assert welcome.project is None and "not empty" in messages[0][1]
    monkeypatch.setattr(QtWidgets.QInputDialog, "getText",
                        staticmethod(lambda *a, **k: ("a/b", True)))
    assert welcome.new_project_dialog() is None and "path separators" in messages[1][1]


def test_open_project_dialog_and_recent_list(qtbot, welcome, tmp_path, monkeypatch, messages):
    project = make_project(tmp_path / "p1")
    monkeypatch.setattr(QtWidgets.QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: str(project.path)))
    qtbot.mouseClick(welcome.open_project_button, Qt.LeftButton)
    assert welcome.project.path == project.path
    missing = tmp_path / "moved_away"
    add_recent_project(missing)
    add_recent_project(project.path)
    welcome.refresh_recent_projects()
    items = [welcome.recent_list.item(i) for i in range(welcome.recent_list.count())]
    assert [i.text() for i in items] == [str(project.path), str(missing)]
    assert "Not found" in items[1].toolTip() and "Not found" not in items[0].toolTip()
    assert items[1].foreground().color() != items[0].foreground().color()
    welcome.recent_list.itemDoubleClicked.emit(items[1])
    assert messages and messages[0][0] == "Project not found"
    welcome.grab().save("/tmp/welcome_recent.png")

    other = make_project(tmp_path / "p2", n_samples=0)
    add_recent_project(other.path)
    welcome.refresh_recent_projects()
    browser = welcome.open_project_browser()
    rect = welcome.recent_list.visualItemRect(welcome.recent_list.item(0))
    qtbot.mousePress(welcome.recent_list.viewport(), Qt.LeftButton, pos=rect.center())
    qtbot.mouseDClick(welcome.recent_list.viewport(), Qt.LeftButton, pos=rect.center())
    assert welcome.project.path == other.path
    assert welcome.project_browser is None and not browser.isVisible()
    assert load_recent_projects()[0] == str(other.path)


def test_not_a_project_is_reported(qtbot, welcome, tmp_path, messages):
    assert welcome.open_project(tmp_path) is None
    assert messages[0][0] == "Cannot open the project" and "not a valid" in messages[0][1]


def test_recent_list_file_is_bounded_and_versioned(config_dir, tmp_path):
    for i in range(MAX_RECENT_PROJECTS + 5):
        add_recent_project(tmp_path / f"p{i}")
    stored = load_recent_projects()
    assert len(stored) == MAX_RECENT_PROJECTS
    assert stored[0] == str(tmp_path / f"p{MAX_RECENT_PROJECTS + 4}")
    recent_projects_path().write_text(json.dumps({"format_version": 99, "projects": []}))
    with pytest.raises(FormatVersionError):
        add_recent_project(tmp_path / "x")
    assert json.loads(recent_projects_path().read_text())["format_version"] == 99


def test_flowcharts_and_plots_open_with_the_injected_openers(qtbot, tmp_path):
    project = make_project(tmp_path / "p", n_samples=0)
    (project.path / "flowcharts" / "peaks.fc").write_text("{}")
    (project.path / "flowcharts" / "notes.txt").write_text("x")
    (project.path / "plots" / "heatmap.ptrn").write_text("{}")
    opened = []

    def opener(path):
        opened.append(path)
        return QtWidgets.QWidget()

    window = WelcomeWindow(flowchart_opener=opener, plot_opener=opener)
    qtbot.addWidget(window)
    window.open_project(project.path)
    assert [window.flowcharts_list.item(i).text()
            for i in range(window.flowcharts_list.count())] == ["peaks"]
    assert window.plots_list.item(0).text() == "heatmap"
    window.flowcharts_list.itemDoubleClicked.emit(window.flowcharts_list.item(0))
    window.plots_list.itemDoubleClicked.emit(window.plots_list.item(0))
    assert opened == [project.path / "flowcharts" / "peaks.fc",
                      project.path / "plots" / "heatmap.ptrn"]
    assert len(window.windows) == 2
    (project.path / "flowcharts" / "cluster.fc").write_text("{}")
    qtbot.waitUntil(lambda: window.flowcharts_list.count() == 2, timeout=5000)
    window.console.shutdown()


def test_window_factories(qtbot, welcome):
    assert not welcome.new_viewer_button.isEnabled()
    assert not welcome.new_flowchart_button.isEnabled()
    made = []

    def factory():
        made.append(QtWidgets.QMainWindow())
        return made[-1]

    window = WelcomeWindow(viewer_factory=factory, flowchart_factory=factory)
    qtbot.addWidget(window)
    qtbot.mouseClick(window.new_viewer_button, Qt.LeftButton)
    qtbot.mouseClick(window.new_flowchart_button, Qt.LeftButton)
    assert window.windows == made and len(made) == 2 and made[0].isVisible()
    window.console.shutdown()


def test_menus(qtbot, welcome, tmp_path):
    menus = {a.text(): a.menu() for a in welcome.menuBar().actions()}
    assert set(menus) == {"&Configure", "&Help"}
    configure = [a.text() for a in menus["&Configure"].actions()]
    assert configure == ["Project Configuration", "System Configuration"]
    assert not welcome.project_config_action.isEnabled()
    next(a for a in menus["&Configure"].actions() if a.text() == "System Configuration").trigger()
    assert welcome.system_config_window.isVisible()
    welcome.open_project(make_project(tmp_path / "p", n_samples=0).path)
    welcome.project_config_action.trigger()
    assert welcome.project_config_window.isVisible()
    assert {"About Mesmerize", "Console keys"} <= {a.text() for a in menus["&Help"].actions()}


def test_project_browser_and_sample_opener(qtbot, tmp_path):
    project = make_project(tmp_path / "p", n_samples=2)
    asked = []
    window = WelcomeWindow(sample_opener=lambda sample_id: asked.append(sample_id))
    qtbot.addWidget(window)
    window.open_project(project.path)
    qtbot.mouseClick(window.browser_button, Qt.LeftButton)
    browser = window.project_browser
    assert isinstance(browser, ProjectBrowserWindow) and browser in window.windows
    browser.open_sample.emit("a1-_-t1")
    assert asked == ["a1-_-t1"]
    assert window.open_project_browser() is browser
    window.console.shutdown()


def test_console_namespace_has_every_object(qtbot, welcome, tmp_path):
    ns = build_welcome_namespace(welcome)
    assert ns["this"] is welcome and ns["project"] is None and ns["windows"] is welcome.windows
    project_path = make_project(tmp_path / "p", n_samples=1).path
    welcome.console.execute(f"p = open_project({str(project_path)!r})\n"
                            "n_rows = len(p.dataframe)\n"
                            "same = p is project is get_project() and this.project is p")
    qtbot.waitUntil(lambda: "same" in welcome.console.namespace, timeout=5000)
    assert welcome.console.namespace["n_rows"] == 3
    assert welcome.console.namespace["same"] is True
    welcome.console.execute("b = get_project_browser()\nin_windows = b in windows")
    qtbot.waitUntil(lambda: "in_windows" in welcome.console.namespace, timeout=5000)
    assert welcome.console.namespace["in_windows"] is True
    welcome.resize(1000, 720)
    welcome.grab().save("/tmp/welcome.png")
