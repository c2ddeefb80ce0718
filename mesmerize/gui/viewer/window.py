"""ViewerWindow: the Viewer main window (image area, menus, dockable modules, console)."""
from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import partial
from typing import Any

from qtpy import QtCore, QtGui, QtWidgets

from mesmerize.core.errors import MesmerizeError, ParameterError
from mesmerize.core.system_config import load_system_config
from mesmerize.core.work_env import ViewerWorkEnv
from mesmerize.gui.help_docs import open_docs
from mesmerize.gui.viewer.image_display import ImageDisplay
from mesmerize.gui.viewer.image_menu import (
    CropTool,
    DtypeDialog,
    MeasureTool,
    ProjectionWindow,
    ResizeDialog,
)
from mesmerize.gui.viewer.interop_menu import ViewerInteropMenu
from mesmerize.gui.viewer.modules import builtin_module_classes
from mesmerize.gui.viewer.modules.base import ViewerModule
from mesmerize.gui.viewer.plugins import discover_plugins
from mesmerize.gui.viewer.viewer_utils import ViewerUtils
from mesmerize.gui.viewer.work_env_editor import WorkEnvEditor

log = logging.getLogger(__name__)



class ViewerWindow(QtWidgets.QMainWindow):
    """The Viewer: shows a ``ViewerWorkEnv`` and hosts the Viewer modules as dock widgets.

    ``roi_type_columns`` / ``stimulus_types``: the project's ROI Type and Stimulus Type columns,
    given to every work environment shown. ``plugins_dir``: where plugin modules are found
    (default: the System Configuration's). ``batch_manager``: set by whoever opens a batch for
    this viewer; ``get_batch_manager()`` returns it.
    """

    sig_workEnv_updated = QtCore.Signal()

    def __init__(self, work_env: ViewerWorkEnv | None = None,
                 roi_type_columns: Iterable[str] = (), stimulus_types: Iterable[str] = (),
                 plugins_dir: str | None = None,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.resize(1200, 850)
        self.image_display = ImageDisplay(work_env, parent=self)
        self.setCentralWidget(self.image_display)
        # modules (right) run the full height; the console sits under the image only
        self.setCorner(QtCore.Qt.BottomRightCorner, QtCore.Qt.RightDockWidgetArea)
        self.vi = ViewerUtils(self)
        self.batch_manager: Any = None
        self.roi_type_columns = tuple(roi_type_columns)
        self.stimulus_types = tuple(stimulus_types)
        self._bound_env: ViewerWorkEnv | None = None
        self._refresh_pending = False
        self._module_classes: dict[str, type[ViewerModule]] = {}
        self._modules: dict[str, tuple[ViewerModule, QtWidgets.QDockWidget]] = {}
        self.console = None
        self.console_dock: QtWidgets.QDockWidget | None = None
        self.work_env_editor: WorkEnvEditor | None = None
        self.projection_windows: list[ProjectionWindow] = []
        self.dialog: QtWidgets.QDialog | None = None
        self.last_error: str | None = None
        self.crop_tool = CropTool(self.image_display, self._crop)
        self.measure_tool = MeasureTool(self.image_display, self)

        builtins = builtin_module_classes()
        for cls in builtins:
            self._module_classes[cls.name] = cls
        if plugins_dir is None:
            try:
                plugins_dir = load_system_config().plugins_dir
            except MesmerizeError as exc:
                log.warning("plugins not loaded: %s", exc)
                plugins_dir = ""
        plugins, self.plugin_problems = discover_plugins(plugins_dir)
        for problem in self.plugin_problems:
            log.warning(problem)
        for cls in [p for p in plugins if p.name in self._module_classes]:
            self.plugin_problems.append(f"plugin module {cls.__name__} is not loaded: its name "
                                        f"{cls.name!r} is already taken; rename it")
        plugins = [p for p in plugins if p.name not in self._module_classes]
        for cls in plugins:
            self._module_classes[cls.name] = cls
        self._build_menus(builtins, plugins)
        self.update_workEnv()

    # ---- menus ---------------------------------------------------------------------------
    def _add_action(self, menu: QtWidgets.QMenu, text: str, slot, shortcut: str | None = None
                    ) -> QtWidgets.QAction:
        action = menu.addAction(text)
        action.triggered.connect(lambda *_: slot())
        if shortcut:
            action.setShortcut(QtGui.QKeySequence(shortcut))
        return action

    def _build_menus(self, builtins: list[type[ViewerModule]],
                     plugins: list[type[ViewerModule]]) -> None:
        bar = self.menuBar()
        self.menu_file = bar.addMenu("&File")
        self._add_action(self.menu_file, "Clear Work Environment", self._clear_clicked)
        self.interop_menu = ViewerInteropMenu(self)
        self.menu_image = bar.addMenu("&Image")
        self._add_action(self.menu_image, "Reset Scale", self.image_display.view_box.autoRange)
        self._add_action(self.menu_image, "Resize", self._resize_clicked)
        self._add_action(self.menu_image, "Crop", self._guarded(self.crop_tool.trigger))
        self._add_action(self.menu_image, "Measure", self.measure_tool.trigger)
        self._add_action(self.menu_image, "Change dtype", self._dtype_clicked)
        projections = self.menu_image.addMenu("Projections")
        for kind in ("mean", "max", "std"):
            self._add_action(projections, kind.capitalize(), partial(self.show_projection, kind))
        self.menu_modules = bar.addMenu("&Modules")
        self._add_module_actions(self.menu_modules, builtins)
        self.menu_plugins = bar.addMenu("&Plugins")
        self._add_module_actions(self.menu_plugins, plugins)
        for problem in self.plugin_problems:
            self.menu_plugins.addAction(problem[:120]).setEnabled(False)
        if not plugins and not self.plugin_problems:
            self.menu_plugins.addAction("No plugins (set a plugins directory in the System "
                                        "Configuration)").setEnabled(False)
        self.menu_view = bar.addMenu("&View")
        self._add_action(self.menu_view, "Work Environment Editor", self.show_work_env_editor)
        self._add_action(self.menu_view, "Console", self.toggle_console)
        self.menu_help = bar.addMenu("&Help")
        self._add_action(self.menu_help, "Open docs", self.open_docs)

    def _add_module_actions(self, menu: QtWidgets.QMenu, classes: list[type[ViewerModule]]
                            ) -> None:
        submenus: dict[tuple[str, ...], QtWidgets.QMenu] = {(): menu}
        for cls in classes:
            path: tuple[str, ...] = ()
            for name in cls.menu_path:
                parent = submenus[path]
                path = (*path, name)
                if path not in submenus:
                    submenus[path] = parent.addMenu(name)
            self._add_action(submenus[path], cls.title,
                             partial(self._open_module_from_menu, cls.name))

    def menu_action(self, *path: str) -> QtWidgets.QAction:
        """The menu bar action at ``path`` of texts, e.g. ``("Image", "Crop")``."""
        actions = self.menuBar().actions()
        for i, text in enumerate(path):
            action = next((a for a in actions if a.text().replace("&", "") == text), None)
            if action is None:
                raise KeyError(f"no menu entry {' -> '.join(path[:i + 1])}")
            if i < len(path) - 1:
                actions = action.menu().actions()
        return action

    # ---- work environment ----------------------------------------------------------------
    def set_project_columns(self, roi_type_columns: Iterable[str],
                            stimulus_types: Iterable[str]) -> None:
        """Use a project's ROI Type and Stimulus Type columns, then refresh the GUI."""
        self.roi_type_columns = tuple(roi_type_columns)
        self.stimulus_types = tuple(stimulus_types)
        self.update_workEnv()

    def _apply_project_columns(self, work_env: ViewerWorkEnv) -> None:
        was_modified = work_env.modified
        manager = work_env.roi_manager
        columns = tuple(dict.fromkeys((*self.roi_type_columns, *manager.roi_type_columns)))
        if columns != manager.roi_type_columns:
            manager.set_roi_type_columns(columns)
        stim = work_env.stim_maps
        types = tuple(dict.fromkeys((*self.stimulus_types, *stim.stim_types)))
        if types != stim.stim_types:
            stim.set_stim_types(types)
        if not was_modified:
            work_env.mark_saved()

    def update_workEnv(self) -> None:
        """Show ``vi.viewer.workEnv``: image, title, every module, the work env editor."""
        self._refresh_pending = False
        work_env = self.image_display.workEnv
        if work_env is not self._bound_env:
            if self._bound_env is not None:
                self._bound_env.changed.disconnect(self._on_work_env_changed)
            work_env.changed.connect(self._on_work_env_changed)
            self._bound_env = work_env
        self._apply_project_columns(work_env)
        self.image_display.show_work_env()
        title = "Viewer"
        if work_env.sample_id:
            title += f" - {work_env.sample_id}"
        elif work_env.imgdata is not None and work_env.meta.get("source"):
            title += f" - {work_env.meta['source']}"
        self.setWindowTitle(title)
        for module, _ in self._modules.values():
            module.on_work_env_changed(work_env)
        if self.work_env_editor is not None and self.work_env_editor.isVisible():
            self.work_env_editor.show_work_env(work_env)
        self.sig_workEnv_updated.emit()

    def _on_work_env_changed(self) -> None:
        if not self._refresh_pending:
            self._refresh_pending = True
            QtCore.QTimer.singleShot(0, self._refresh_if_pending)

    def _refresh_if_pending(self) -> None:
        if self._refresh_pending:
            self.update_workEnv()

    # ---- modules -------------------------------------------------------------------------
    def module_names(self) -> list[str]:
        """Names of every available module (built-in, then plugins)."""
        return list(self._module_classes)

    def get_module(self, name: str, hide: bool = False) -> Any:
        """The API object of module ``name``, created on first use; its dock is shown unless
        ``hide`` (scripts can drive a hidden module)."""
        if name not in self._module_classes:
            raise ParameterError(f"no Viewer module named {name!r}; available modules: "
                                 f"{', '.join(self._module_classes)}")
        if name not in self._modules:
            module = self._module_classes[name](self.vi)
            dock = QtWidgets.QDockWidget(module.title, self)
            dock.setObjectName(f"dock_{name}")
            dock.setWidget(module)
            self.addDockWidget(QtCore.Qt.RightDockWidgetArea, dock)
            dock.hide()
            self._modules[name] = (module, dock)
            module.on_work_env_changed(self.image_display.workEnv)
        module, dock = self._modules[name]
        if hide:
            dock.hide()
        else:
            dock.show()
            dock.raise_()
        return module.api

    def _open_module_from_menu(self, name: str) -> None:
        try:
            self.get_module(name)
        except Exception as exc:  # plugin code must not take the Viewer down with it
            log.exception("module %s failed to open", name)
            self.show_error(f"Module {name}", exc)

    def module_widget(self, name: str) -> ViewerModule:
        """The widget of a created module (``get_module`` creates it)."""
        return self._modules[name][0]

    def module_dock(self, name: str) -> QtWidgets.QDockWidget:
        """The dock widget of a created module."""
        return self._modules[name][1]

    # ---- console -------------------------------------------------------------------------
    def get_console(self):
        """The Viewer console (created on first use, in a dock at the bottom)."""
        if self.console is None:
            from mesmerize.gui.console import (
                ConsoleWidget,
                build_viewer_namespace,
                namespace_banner,
            )

            namespace = build_viewer_namespace(self)
            self.console = ConsoleWidget(namespace, "viewer", banner=namespace_banner(namespace))
            self.console_dock = QtWidgets.QDockWidget("Console", self)
            self.console_dock.setObjectName("dock_console")
            self.console_dock.setWidget(self.console)
            self.addDockWidget(QtCore.Qt.BottomDockWidgetArea, self.console_dock)
            self.console.setMinimumHeight(160)
            self.resizeDocks([self.console_dock], [260], QtCore.Qt.Vertical)
        return self.console

    def show_console(self) -> None:
        """Show the console dock (creating the console if needed)."""
        self.get_console()
        self.console_dock.show()
        self.console_dock.raise_()

    def toggle_console(self) -> None:
        """View -> Console: show or hide the console."""
        self.get_console()
        self.console_dock.setVisible(not self.console_dock.isVisible())

    # ---- menu actions --------------------------------------------------------------------
    def show_error(self, title: str, exc: BaseException) -> None:
        """Tell the user what went wrong (non-blocking message box); kept in ``last_error``."""
        self.last_error = str(exc)
        box = QtWidgets.QMessageBox(QtWidgets.QMessageBox.Warning, title, str(exc), parent=self)
        box.open()

    def confirm(self, title: str, question: str) -> bool:
        """Ask a yes/no question."""
        answer = QtWidgets.QMessageBox.question(self, title, question)
        return answer == QtWidgets.QMessageBox.Yes

    def _guarded(self, func):
        def run(*args: Any) -> None:
            try:
                func(*args)
            except MesmerizeError as exc:
                self.show_error("Viewer", exc)
        return run

    def _clear_clicked(self) -> None:
        work_env = self.image_display.workEnv
        if work_env.modified and not self.confirm(
                "Clear Work Environment", "The work environment has unsaved changes. Clear it?"):
            return
        self.vi.clear_workEnv()

    def _crop(self, x0: int, x1: int, y0: int, y1: int) -> None:
        self.vi.crop(x0, x1, y0, y1)

    def _open_dialog(self, dialog: QtWidgets.QDialog, apply) -> None:
        self.dialog = dialog
        dialog.accepted.connect(self._guarded(lambda: apply(*dialog.values())))
        dialog.open()

    def _resize_clicked(self) -> None:
        imgdata = self.image_display.workEnv.imgdata
        if imgdata is not None:
            self._open_dialog(ResizeDialog(imgdata.frame_shape, self), self.vi.resize)

    def _dtype_clicked(self) -> None:
        imgdata = self.image_display.workEnv.imgdata
        if imgdata is not None:
            self._open_dialog(DtypeDialog(str(imgdata.dtype), self), self.vi.change_dtype)

    def show_projection(self, kind: str) -> ProjectionWindow | None:
        """Image -> Projections: show the ``kind`` (mean/max/std) projection in a new window."""
        if self.image_display.workEnv.imgdata is None:
            return None
        window = ProjectionWindow(kind, self.vi.projection(kind), self)
        self.projection_windows.append(window)
        window.show()
        return window

    def show_work_env_editor(self) -> WorkEnvEditor:
        """View -> Work Environment Editor."""
        if self.work_env_editor is None:
            self.work_env_editor = WorkEnvEditor(self)
            self.work_env_editor.setWindowFlags(QtCore.Qt.Window)
        self.work_env_editor.show_work_env(self.image_display.workEnv)
        self.work_env_editor.show()
        return self.work_env_editor

    def open_docs(self) -> bool:
        """Help -> Open docs: open the built documentation in the web browser (or say how to
        build it)."""
        return open_docs(self)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802
        for module, _ in self._modules.values():
            module.shutdown()
        if self.console is not None:
            self.console.shutdown()
        if self._bound_env is not None:
            self._bound_env.changed.disconnect(self._on_work_env_changed)
            self._bound_env = None
        self.image_display.play(0)
        for window in (*self.projection_windows, self.work_env_editor):
            if window is not None:
                window.close()
        super().closeEvent(event)
