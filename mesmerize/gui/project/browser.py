"""The Project Browser: browse, filter into tabs and edit the project DataFrame.

A view over a core ``Project`` and a core ``TabCollection``: each tab page shows one
``ColumnFilter`` per visible column (Project Configuration) with the tab DataFrame's unique
values. Filtering from the root tab always creates a new, named tab; other tabs are filtered in
place unless "Apply in new tab" / "Apply all in new tab" is chosen. Project changes (samples
added, configuration, DataFrame edits) replay every tab's filters.
"""
from __future__ import annotations

import pandas as pd
from qtpy import QtCore, QtGui, QtWidgets
from qtpy.QtCore import Qt

from mesmerize.core.errors import FilterSyntaxError, MesmerizeError, ProjectError
from mesmerize.core.project import Project
from mesmerize.core.project.tabs import ROOT_TAB, TabCollection, TabEvent
from mesmerize.gui.project.column_filter import (
    APPLY_ALL, APPLY_ALL_NEW_TAB, APPLY_NEW_TAB, ColumnFilter,
)
from mesmerize.gui.project.dataframe_editor import DataFrameEditor
from mesmerize.gui.project.dataframe_model import DataFrameModel
from mesmerize.gui.project.interop_actions import BrowserInteropActions


class TabPage(QtWidgets.QScrollArea):
    """One browser tab: a row of ``ColumnFilter`` widgets, one per visible column."""

    def __init__(self, name: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.name = name
        self.filters: dict[str, ColumnFilter] = {}
        self.setWidgetResizable(True)
        self.setMinimumHeight(260)
        self._container = QtWidgets.QWidget()
        self._layout = QtWidgets.QHBoxLayout(self._container)
        self._layout.setContentsMargins(4, 4, 4, 4)
        self.setWidget(self._container)

    def show_dataframe(self, df: pd.DataFrame, columns: list[str]) -> list[ColumnFilter]:
        """Show ``columns`` of ``df``; returns the filters created (columns new to the page)."""
        columns = [c for c in columns if c in df.columns]
        created = []
        if list(self.filters) != columns:
            texts = {c: f.filter_text() for c, f in self.filters.items()}
            for widget in self.filters.values():
                widget.setParent(None)
                widget.deleteLater()
            self.filters = {}
            for column in columns:
                widget = ColumnFilter(column, df[column])
                widget.set_filter_text(texts.get(column, ""))
                self.filters[column] = widget
                self._layout.addWidget(widget)
                created.append(widget)
        else:
            for column, widget in self.filters.items():
                widget.set_values(df[column])
        return created

    def entries(self) -> dict[str, str]:
        """``{column: entry text}`` in column order (empty entries included)."""
        return {c: f.filter_text() for c, f in self.filters.items()}


class ProjectBrowserWindow(QtWidgets.QMainWindow):
    """The Project Browser of ``project``. ``open_sample(sample_id)`` is emitted when a SampleID
    is double-clicked (the application opens it in a Viewer)."""

    open_sample = QtCore.Signal(str)
    _project_event = QtCore.Signal(str)

    def __init__(self, project: Project, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.setWindowTitle(f"Project Browser — {project.path.name}")
        self.resize(1100, 600)
        self.tabs = TabCollection(lambda: self.project.dataframe)
        self.pages: dict[str, TabPage] = {}
        self.console = None
        self._console_dock: QtWidgets.QDockWidget | None = None
        self._dialogs: list[QtWidgets.QWidget] = []

        self.tab_widget = QtWidgets.QTabWidget()
        self.tab_widget.setTabsClosable(True)
        self.tab_widget.tabCloseRequested.connect(self._close_tab)
        self.tab_widget.tabBarDoubleClicked.connect(self.rename_tab)
        self.setCentralWidget(self.tab_widget)
        self._build_menus()

        self.tabs.changed.connect(self._on_tab_event)
        self._add_page(ROOT_TAB)
        # Core events may come from worker threads: a queued Qt signal brings them to the GUI.
        self._project_event.connect(self._on_project_changed)
        self.project.changed.connect(self._forward_project_event)
        self._listening = True
        self.statusBar().showMessage(
            f"{len(self.tabs.get(ROOT_TAB).dataframe)} rows in the project")

    def _build_menus(self) -> None:
        self.interop = BrowserInteropActions(self)
        self.menuBar().addMenu("&File").addAction(self.interop.export_action)
        view = self.menuBar().addMenu("&View")
        view.addAction("Current dataframe", self.show_current_dataframe)
        view.addAction("Current tab filter history", self.show_filter_history)
        view.addSeparator()
        view.addAction("Console", self.show_console)
        edit = self.menuBar().addMenu("&Edit")
        edit.addAction("DataFrame editor", self.open_dataframe_editor)
        edit.addAction("Delete sample...", self.delete_sample_dialog)
        edit.addAction(self.interop.register_action)

    # --- console API (the guide's Project Browser console) -----------------------------------
    def current_tab_name(self) -> str:
        """Name of the tab shown."""
        page = self.tab_widget.currentWidget()
        return page.name if isinstance(page, TabPage) else ROOT_TAB

    def get_dataframe(self) -> pd.DataFrame:
        """Returns the DataFrame of the current Project Browser tab."""
        return self.tabs.get(self.current_tab_name()).dataframe

    def get_root_dataframe(self) -> pd.DataFrame:
        """Returns the DataFrame of the root tab (the entire project DataFrame, a copy)."""
        return self.project.dataframe

    def set_root_dataframe(self, df: pd.DataFrame) -> None:
        """Set a pandas DataFrame as the project DataFrame (a backup is made first)."""
        self.project.set_dataframe(df)

    def delete_sample_dialog(self) -> str | None:
        """Edit -> Delete sample...: choose a sample of the current tab, confirm, delete it.
        Returns the deleted SampleID (None when cancelled or refused)."""
        ids = list(dict.fromkeys(self.get_dataframe()["SampleID"].astype(str)))
        if not ids:
            QtWidgets.QMessageBox.information(self, "Delete sample", "This tab has no samples.")
            return None
        sample_id, ok = QtWidgets.QInputDialog.getItem(
            self, "Delete sample", "Sample to delete:", ids, 0, False)
        if not ok:
            return None
        answer = QtWidgets.QMessageBox.question(
            self, "Delete sample",
            f"Delete {sample_id} from the project? A backup of the project DataFrame is made "
            "first, and the sample's files are kept until you purge unreferenced files, so "
            "restoring that backup brings it back.",
            QtWidgets.QMessageBox.Yes | QtWidgets.QMessageBox.No, QtWidgets.QMessageBox.No)
        if answer != QtWidgets.QMessageBox.Yes:
            return None
        try:
            self.project.delete_sample(sample_id)
        except (MesmerizeError, OSError) as exc:
            QtWidgets.QMessageBox.warning(self, "Sample not deleted", str(exc))
            return None
        self.statusBar().showMessage(f"Deleted {sample_id} (a backup was made first)")
        return sample_id

    def filter_history(self) -> list[str]:
        """The pandas expressions that made the current tab from the root DataFrame."""
        return self.tabs.get(self.current_tab_name()).filter_history

    # --- tabs ----------------------------------------------------------------------------------
    def _visible_columns(self) -> list[str]:
        return self.project.config.visible_columns

    def _add_page(self, name: str) -> TabPage:
        page = TabPage(name)
        self.pages[name] = page
        index = self.tab_widget.addTab(page, name)
        if name == ROOT_TAB:
            self.tab_widget.tabBar().setTabButton(index, QtWidgets.QTabBar.RightSide, None)
        self._show_tab_dataframe(name)
        return page

    def _show_tab_dataframe(self, name: str) -> None:
        page = self.pages[name]
        for widget in page.show_dataframe(self.tabs.get(name).dataframe, self._visible_columns()):
            widget.apply_requested.connect(self.apply_filter)
            widget.value_double_clicked.connect(self._value_double_clicked)

    def _on_tab_event(self, event: TabEvent) -> None:
        if event.kind == "created":
            self._add_page(event.name)
        elif event.kind == "filtered":
            self._show_tab_dataframe(event.name)
        elif event.kind == "removed":
            page = self.pages.pop(event.name)
            self.tab_widget.removeTab(self.tab_widget.indexOf(page))
            page.deleteLater()
        elif event.kind == "renamed":
            page = self.pages.pop(event.old_name)
            page.name = event.name
            self.pages[event.name] = page
            self.tab_widget.setTabText(self.tab_widget.indexOf(page), event.name)
        elif event.kind == "refreshed":
            for name in self.pages:
                self._show_tab_dataframe(name)

    def _close_tab(self, index: int) -> None:
        page = self.tab_widget.widget(index)
        if isinstance(page, TabPage) and page.name != ROOT_TAB:
            self.tabs.remove(page.name)

    def rename_tab(self, index: int) -> None:
        """Rename the tab at ``index`` (double-click on it); the root tab keeps its name."""
        page = self.tab_widget.widget(index)
        if not isinstance(page, TabPage) or page.name == ROOT_TAB:
            return
        name = self.ask_tab_name(page.name)
        if name is None:
            return
        try:
            self.tabs.rename(page.name, name)
        except ProjectError as exc:
            QtWidgets.QMessageBox.warning(self, "Tab not renamed", str(exc))

    def ask_tab_name(self, current: str = "") -> str | None:
        """Ask for a new tab's name; None when cancelled."""
        name, ok = QtWidgets.QInputDialog.getText(
            self, "Tab name", "Name for the tab:", QtWidgets.QLineEdit.Normal, current)
        return name.strip() if ok and name.strip() else None

    def apply_filter(self, column: str, mode: str) -> str | None:
        """Apply the entry of ``column`` (or every entry for the "all" modes) of the current tab.

        From the root tab, or with a "new tab" mode, a new tab named by the user is created;
        otherwise the current tab is filtered in place. Returns the name of the tab filtered or
        created, None when cancelled or refused (the reason is shown).
        """
        source = self.current_tab_name()
        page = self.pages[source]
        entries = page.entries()
        filters = entries if mode in (APPLY_ALL, APPLY_ALL_NEW_TAB) else {column: entries[column]}
        new_tab = source == ROOT_TAB or mode in (APPLY_NEW_TAB, APPLY_ALL_NEW_TAB)
        try:
            if new_tab:
                name = self.ask_tab_name()
                if name is None:
                    return None
                self.tabs.create_tab(name, source, filters)
            else:
                name = source
                self.tabs.apply_in_place(source, filters)
        except (FilterSyntaxError, ProjectError) as exc:
            QtWidgets.QMessageBox.warning(self, "Filter not applied", str(exc))
            return None
        for applied in filters:
            page.filters[applied].set_filter_text("")
        self.tab_widget.setCurrentWidget(self.pages[name])
        self.statusBar().showMessage(f"Tab {name!r}: {len(self.tabs.get(name).dataframe)} rows")
        return name

    def _value_double_clicked(self, column: str, value: str) -> None:
        if column == "SampleID":
            self.open_sample.emit(value)

    # --- project changes -----------------------------------------------------------------------
    def _forward_project_event(self, what: str, detail: object = None) -> None:
        self._project_event.emit(what)

    def _on_project_changed(self, what: str) -> None:
        try:
            self.tabs.refresh()
        except FilterSyntaxError as exc:
            QtWidgets.QMessageBox.warning(self, "Tab not updated", str(exc))
            for name in self.pages:
                self._show_tab_dataframe(name)
        self.statusBar().showMessage(
            f"Project updated ({what}): {len(self.tabs.get(ROOT_TAB).dataframe)} rows")

    # --- views and dialogs ---------------------------------------------------------------------
    def _keep(self, dialog: QtWidgets.QWidget) -> QtWidgets.QWidget:
        self._dialogs = [d for d in self._dialogs if d.isVisible()] + [dialog]
        dialog.show()
        return dialog

    def show_current_dataframe(self) -> QtWidgets.QDialog:
        """View -> Current dataframe: a read-only table of the current tab's DataFrame."""
        name = self.current_tab_name()
        dialog = QtWidgets.QDialog(self)
        dialog.setWindowTitle(f"Current dataframe — {name}")
        dialog.resize(1000, 500)
        table = QtWidgets.QTableView(dialog)
        table.setObjectName("dataframe_table")
        table.setModel(DataFrameModel(self.get_dataframe(), parent=table))
        table.setAlternatingRowColors(True)
        layout = QtWidgets.QVBoxLayout(dialog)
        layout.addWidget(table)
        return self._keep(dialog)

    def show_filter_history(self) -> QtWidgets.QDialog:
        """View -> Current tab filter history: the pandas expressions, applied in order."""
        name = self.current_tab_name()
        history = self.filter_history()
        dialog = QtWidgets.QDialog(self)
        dialog.setWindowTitle(f"Filter history — {name}")
        dialog.resize(700, 300)
        text = QtWidgets.QPlainTextEdit(dialog)
        text.setObjectName("history_text")
        text.setReadOnly(True)
        text.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.FixedFont))
        text.setPlainText("\n".join(history) if history else
                          "# no filters: this tab is the whole project DataFrame")
        layout = QtWidgets.QVBoxLayout(dialog)
        layout.addWidget(QtWidgets.QLabel(
            "Each line is evaluated with the previous result bound to df:"))
        layout.addWidget(text)
        return self._keep(dialog)

    def open_dataframe_editor(self) -> DataFrameEditor:
        """Edit -> DataFrame editor for the rows of the current tab."""
        editor = DataFrameEditor(self.project, self.get_dataframe(), self.current_tab_name(), self)
        return self._keep(editor)

    def show_console(self):
        """View -> Console: the console dock (created on first use)."""
        if self.console is None:
            from mesmerize.gui.console import ConsoleWidget
            from mesmerize.gui.project.namespaces import (
                BROWSER_NAMES, build_browser_namespace, console_banner,
            )
            self.console = ConsoleWidget(build_browser_namespace(self), "Project Browser",
                                         banner=console_banner(BROWSER_NAMES))
            self._console_dock = QtWidgets.QDockWidget("Console", self)
            self._console_dock.setWidget(self.console)
            self.addDockWidget(Qt.BottomDockWidgetArea, self._console_dock)
            self.resizeDocks([self._console_dock], [260], Qt.Vertical)
        self._console_dock.show()
        return self.console

    def showEvent(self, event) -> None:
        if not self._listening:
            self.project.changed.connect(self._forward_project_event)
            self._listening = True
            self._on_project_changed("reopened")
        super().showEvent(event)

    def closeEvent(self, event) -> None:
        # A closed browser stops following the project; showing it again catches up.
        self.project.changed.disconnect(self._forward_project_event)
        self._listening = False
        super().closeEvent(event)

