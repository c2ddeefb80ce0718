"""The Welcome Window: the first window of Mesmerize.

Large buttons for new Viewer / Flowchart windows, Open / New Project, the recent projects
(``config_dir()/recent_projects.json``), the open project's saved flowcharts
(``flowcharts/*.fc``) and interactive plots (``plots/*.ptrn``), the Configure and Help menus and a
console with every object of the instance. The Viewer, Flowchart and plot windows are made by
callables the application passes in, so this module does not import them.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from qtpy import QtCore, QtGui, QtWidgets
from qtpy.QtCore import Qt

import mesmerize
from mesmerize.core.errors import ConfigError, FormatVersionError, MesmerizeError
from mesmerize.core.project import Project
from mesmerize.core.project.layout import FLOWCHARTS_DIR, PLOTS_DIR
from mesmerize.gui.help_docs import open_docs
from mesmerize.gui.project.browser import ProjectBrowserWindow
from mesmerize.gui.project.project_config import ProjectConfigWindow
from mesmerize.gui.project.recent_projects import (
    add_recent_project, load_recent_projects, looks_like_project,
)
from mesmerize.gui.system_config_window import SystemConfigWindow

DOCUMENTATION_URL = "http://docs.mesmerizelab.org/"

WindowFactory = Callable[[], QtWidgets.QWidget]
FileOpener = Callable[[Path], QtWidgets.QWidget]
SampleOpener = Callable[[str], Any]


def _big_button(text: str, tooltip: str) -> QtWidgets.QPushButton:
    button = QtWidgets.QPushButton(text)
    button.setToolTip(tooltip)
    button.setMinimumHeight(64)
    font = button.font()
    font.setPointSize(font.pointSize() + 5)
    button.setFont(font)
    return button


class WelcomeWindow(QtWidgets.QMainWindow):
    """The Welcome Window.

    viewer_factory / flowchart_factory: make a new Viewer / Flowchart window.
    flowchart_opener / plot_opener: open a ``.fc`` / ``.ptrn`` file in a new window.
    sample_opener: open a project sample (SampleID) in a Viewer, for the Project Browser.
    recent_projects_file: where the recent projects list lives (default in ``config_dir()``).
    A button whose callable is missing is disabled. ``project_opened(Project)`` is emitted
    whenever a project is opened or created.
    """

    project_opened = QtCore.Signal(object)

    def __init__(self, viewer_factory: WindowFactory | None = None,
                 flowchart_factory: WindowFactory | None = None,
                 flowchart_opener: FileOpener | None = None,
                 plot_opener: FileOpener | None = None,
                 sample_opener: SampleOpener | None = None,
                 recent_projects_file: str | Path | None = None,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Mesmerize")
        self.resize(1000, 700)
        self._viewer_factory = viewer_factory
        self._flowchart_factory = flowchart_factory
        self._flowchart_opener = flowchart_opener
        self._plot_opener = plot_opener
        self._sample_opener = sample_opener
        self._recent_file = recent_projects_file
        self._project: Project | None = None
        self.windows: list[QtWidgets.QWidget] = []
        self.project_browser: ProjectBrowserWindow | None = None
        self.project_config_window: ProjectConfigWindow | None = None
        self.system_config_window: SystemConfigWindow | None = None
        self._watcher = QtCore.QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(lambda _path: self.refresh_project_files())

        self.new_viewer_button = _big_button("New Viewer", "Open a new Viewer window")
        self.new_viewer_button.clicked.connect(self.new_viewer)
        self.new_viewer_button.setEnabled(viewer_factory is not None)
        self.new_flowchart_button = _big_button("New Flowchart", "Open a new Flowchart window")
        self.new_flowchart_button.clicked.connect(self.new_flowchart)
        self.new_flowchart_button.setEnabled(flowchart_factory is not None)
        self.open_project_button = QtWidgets.QPushButton("Open Project")
        self.open_project_button.clicked.connect(self.open_project_dialog)
        self.new_project_button = QtWidgets.QPushButton("New Project")
        self.new_project_button.clicked.connect(self.new_project_dialog)
        self.browser_button = QtWidgets.QPushButton("Project Browser")
        self.browser_button.clicked.connect(self.open_project_browser)
        for button in (self.open_project_button, self.new_project_button, self.browser_button):
            button.setMinimumHeight(36)

        self.recent_list = QtWidgets.QListWidget()
        self.recent_list.setTextElideMode(Qt.ElideMiddle)
        self.recent_list.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.recent_list.itemDoubleClicked.connect(self._open_recent_item)
        self.recent_error = QtWidgets.QLabel()
        self.recent_error.setWordWrap(True)
        self.recent_error.setStyleSheet("color: #b00020;")
        self.recent_error.hide()

        self.project_label = QtWidgets.QLabel()
        self.project_path = QtWidgets.QLineEdit()
        self.project_path.setReadOnly(True)
        self.project_path.setFrame(False)
        self.flowcharts_list = QtWidgets.QListWidget()
        self.flowcharts_list.itemDoubleClicked.connect(
            lambda item: self._open_file(item, self._flowchart_opener, "flowchart"))
        self.plots_list = QtWidgets.QListWidget()
        self.plots_list.itemDoubleClicked.connect(
            lambda item: self._open_file(item, self._plot_opener, "plot"))

        left = QtWidgets.QVBoxLayout()
        left.addWidget(self.new_viewer_button)
        left.addWidget(self.new_flowchart_button)
        project_buttons = QtWidgets.QHBoxLayout()
        project_buttons.addWidget(self.open_project_button)
        project_buttons.addWidget(self.new_project_button)
        left.addLayout(project_buttons)
        left.addWidget(QtWidgets.QLabel("<b>Recent projects</b>"))
        left.addWidget(self.recent_list, 1)
        left.addWidget(self.recent_error)
        right = QtWidgets.QVBoxLayout()
        right.addWidget(self.project_label)
        right.addWidget(self.project_path)
        right.addWidget(self.browser_button)
        right.addWidget(QtWidgets.QLabel("<b>Flowcharts</b> (double-click to open)"))
        right.addWidget(self.flowcharts_list, 1)
        right.addWidget(QtWidgets.QLabel("<b>Interactive plots</b> (double-click to open)"))
        right.addWidget(self.plots_list, 1)
        top = QtWidgets.QWidget()
        top_layout = QtWidgets.QHBoxLayout(top)
        top_layout.addLayout(left, 1)
        top_layout.addLayout(right, 1)

        from mesmerize.gui.console import ConsoleWidget
        from mesmerize.gui.project.namespaces import (
            WELCOME_NAMES, build_welcome_namespace, console_banner,
        )
        self.console = ConsoleWidget(build_welcome_namespace(self), "Welcome Window",
                                     banner=console_banner(WELCOME_NAMES))
        splitter = QtWidgets.QSplitter(Qt.Vertical)
        splitter.addWidget(top)
        splitter.addWidget(self.console)
        splitter.setSizes([420, 280])
        self.setCentralWidget(splitter)

        self._build_menus()
        self.refresh_recent_projects()
        self._show_project_state()

    def _build_menus(self) -> None:
        configure = self.menuBar().addMenu("&Configure")
        self.project_config_action = configure.addAction(
            "Project Configuration", self.open_project_configuration)
        configure.addAction("System Configuration", self.open_system_configuration)
        help_menu = self.menuBar().addMenu("&Help")
        help_menu.addAction("Open docs", lambda: open_docs(self))
        help_menu.addAction("User guide (online)",
                            lambda: QtGui.QDesktopServices.openUrl(QtCore.QUrl(DOCUMENTATION_URL)))
        help_menu.addAction("Console keys", self._show_console_help)
        help_menu.addAction("About Mesmerize", self._show_about)

    # --- project -------------------------------------------------------------------------------
    @property
    def project(self) -> Project | None:
        """The open project (None until one is opened or created)."""
        return self._project

    def get_project(self) -> Project | None:
        """The open Project (None when no project is open)."""
        return self._project

    def _set_project(self, project: Project) -> None:
        for window in (self.project_browser, self.project_config_window):
            if window is not None:
                window.close()
                self.windows.remove(window)
        self.project_browser = None
        self.project_config_window = None
        self._project = project
        try:
            add_recent_project(project.path, self._recent_file)
        except (ConfigError, FormatVersionError, OSError) as exc:
            self._show_recent_error(exc)
        self.refresh_recent_projects()
        self._show_project_state()
        self.console.push({"project": project})
        self.project_opened.emit(project)

    def open_project(self, path: str | Path) -> Project | None:
        """Open the project directory ``path``; shows why and returns None when it cannot."""
        try:
            project = Project.open(path)
        except (MesmerizeError, OSError) as exc:
            QtWidgets.QMessageBox.critical(self, "Cannot open the project", str(exc))
            return None
        self._set_project(project)
        return project

    def open_project_dialog(self) -> Project | None:
        """Open Project: choose a project directory."""
        path = QtWidgets.QFileDialog.getExistingDirectory(self, "Choose a project directory")
        return self.open_project(path) if path else None

    def new_project_dialog(self) -> Project | None:
        """New Project: choose a location and a name, create it, then configure it."""
        location = QtWidgets.QFileDialog.getExistingDirectory(
            self, "Choose a location for the new project")
        if not location:
            return None
        name, ok = QtWidgets.QInputDialog.getText(self, "New Project", "Project name:")
        name = name.strip()
        if not ok or not name:
            return None
        if Path(name).name != name or name in (".", ".."):
            QtWidgets.QMessageBox.warning(
                self, "Invalid project name",
                f"{name!r} is not a plain directory name; use a name without path separators.")
            return None
        try:
            project = Project.create(Path(location) / name)
        except (MesmerizeError, OSError) as exc:
            QtWidgets.QMessageBox.critical(self, "Cannot create the project", str(exc))
            return None
        self._set_project(project)
        self.open_project_configuration()
        return project

    def _show_project_state(self) -> None:
        project = self._project
        self.browser_button.setEnabled(project is not None)
        self.project_config_action.setEnabled(project is not None)
        if project is None:
            self.project_label.setText("No project open. Open or create a project.")
            self.project_path.clear()
            self.setWindowTitle("Mesmerize")
        else:
            self.project_label.setText(f"<b>Project:</b> {project.path.name}")
            self.project_path.setText(str(project.path))
            self.project_path.setCursorPosition(0)
            self.setWindowTitle(f"Mesmerize — {project.path.name}")
        watched = self._watcher.directories()
        if watched:
            self._watcher.removePaths(watched)
        if project is not None:
            self._watcher.addPaths([str(project.path / FLOWCHARTS_DIR),
                                    str(project.path / PLOTS_DIR)])
        self.refresh_project_files()

    def refresh_project_files(self) -> None:
        """List the open project's ``flowcharts/*.fc`` and ``plots/*.ptrn``."""
        for widget, directory, pattern in ((self.flowcharts_list, FLOWCHARTS_DIR, "*.fc"),
                                           (self.plots_list, PLOTS_DIR, "*.ptrn")):
            widget.clear()
            if self._project is None:
                continue
            for path in sorted((self._project.path / directory).glob(pattern)):
                item = QtWidgets.QListWidgetItem(path.stem)
                item.setData(Qt.UserRole, str(path))
                item.setToolTip(str(path))
                widget.addItem(item)

    # --- recent projects -----------------------------------------------------------------------
    def refresh_recent_projects(self) -> None:
        """Show the recent projects; missing ones are greyed with a tooltip."""
        self.recent_list.clear()
        try:
            paths = load_recent_projects(self._recent_file)
        except (ConfigError, FormatVersionError) as exc:
            self._show_recent_error(exc)
            return
        grey = self.palette().color(QtGui.QPalette.Disabled, QtGui.QPalette.Text)
        for path in paths:
            item = QtWidgets.QListWidgetItem(path)
            item.setData(Qt.UserRole, path)
            if looks_like_project(path):
                item.setToolTip(f"{path}\nDouble-click to open")
            else:
                item.setForeground(grey)
                item.setToolTip(f"{path}\nNot found: the project was moved or deleted")
            self.recent_list.addItem(item)

    def _show_recent_error(self, exc: Exception) -> None:
        self.recent_error.setText(str(exc))
        self.recent_error.show()

    def _open_recent_item(self, item: QtWidgets.QListWidgetItem) -> None:
        path = item.data(Qt.UserRole)
        if not looks_like_project(path):
            QtWidgets.QMessageBox.warning(
                self, "Project not found",
                f"{path} is not a Mesmerize project any more (moved or deleted). Use Open "
                "Project to choose its new location.")
            return
        self.open_project(path)

    # --- windows -------------------------------------------------------------------------------
    def _keep(self, window: QtWidgets.QWidget | None) -> QtWidgets.QWidget | None:
        if window is not None:
            self.windows.append(window)
            window.show()
        return window

    def new_viewer(self) -> QtWidgets.QWidget | None:
        """New Viewer: a new Viewer window (kept in ``windows``)."""
        return self._keep(self._viewer_factory()) if self._viewer_factory else None

    def new_flowchart(self) -> QtWidgets.QWidget | None:
        """New Flowchart: a new Flowchart window (kept in ``windows``)."""
        return self._keep(self._flowchart_factory()) if self._flowchart_factory else None

    def _open_file(self, item: QtWidgets.QListWidgetItem, opener: FileOpener | None,
                   kind: str) -> QtWidgets.QWidget | None:
        path = Path(item.data(Qt.UserRole))
        if opener is None:
            QtWidgets.QMessageBox.warning(self, f"Cannot open the {kind}",
                                          f"No {kind} window is available to open {path.name}.")
            return None
        try:
            return self._keep(opener(path))
        except (MesmerizeError, OSError) as exc:
            QtWidgets.QMessageBox.critical(self, f"Cannot open the {kind}", str(exc))
            return None

    def open_project_browser(self) -> ProjectBrowserWindow | None:
        """The Project Browser of the open project (created on first use)."""
        if self._project is None:
            QtWidgets.QMessageBox.information(self, "No project", "Open or create a project first.")
            return None
        if self.project_browser is None:
            self.project_browser = ProjectBrowserWindow(self._project)
            self.project_browser.open_sample.connect(self._open_sample)
            self.windows.append(self.project_browser)
        self.project_browser.show()
        self.project_browser.raise_()
        return self.project_browser

    def _open_sample(self, sample_id: str) -> None:
        if self._sample_opener is None:
            QtWidgets.QMessageBox.information(
                self, "Open sample", f"No Viewer is available to open {sample_id}.")
            return
        try:
            self._keep(self._sample_opener(sample_id))
        except (MesmerizeError, OSError) as exc:
            QtWidgets.QMessageBox.critical(self, "Cannot open the sample", str(exc))

    def open_project_configuration(self) -> ProjectConfigWindow | None:
        """Configure -> Project Configuration for the open project."""
        if self._project is None:
            QtWidgets.QMessageBox.information(self, "No project", "Open or create a project first.")
            return None
        if self.project_config_window is None:
            self.project_config_window = ProjectConfigWindow(self._project)
            self.windows.append(self.project_config_window)
        self.project_config_window.show()
        self.project_config_window.raise_()
        return self.project_config_window

    def open_system_configuration(self) -> SystemConfigWindow:
        """Configure -> System Configuration."""
        if self.system_config_window is None:
            self.system_config_window = SystemConfigWindow()
            self.windows.append(self.system_config_window)
        self.system_config_window.show()
        self.system_config_window.raise_()
        return self.system_config_window

    def _show_console_help(self) -> None:
        QtWidgets.QMessageBox.information(
            self, "Console keys",
            "Execute: Shift+Enter\nNew line: Enter\nHistory: Page Up / Page Down\n"
            "The history is stored in ~/.mesmerize. In every console, 'this' is the window.")

    def _show_about(self) -> None:
        QtWidgets.QMessageBox.about(
            self, "About Mesmerize",
            f"Mesmerize {mesmerize.__version__}\nCalcium imaging analysis from raw movies to "
            "publication figures.")
