"""The desktop application: one QApplication, the Welcome Window, and the windows it opens.

All windows share the project opened in the Welcome Window, so a Viewer started from it knows
the project's ROI Type and Stimulus Type columns and a Project Browser sample opens in a Viewer.
"""
from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Sequence

from qtpy import QtWidgets

from mesmerize.core.system_config import load_system_config
from mesmerize.gui.batch import BatchManagerWindow, install_batch_manager_menu
from mesmerize.gui.batch.output_opener import output_opener_for
from mesmerize.gui.flowchart.window import FlowchartWindow
from mesmerize.gui.plots.kinds import open_ptrn
from mesmerize.gui.plots.viewer_link import set_sample_opener
from mesmerize.gui.project.welcome import WelcomeWindow
from mesmerize.gui.viewer.add_to_project import install_add_to_project
from mesmerize.gui.viewer.window import ViewerWindow


def has_display() -> bool:
    """True when Qt can open real windows (an X11/Wayland display, or an explicit platform)."""
    return bool(
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
        or os.environ.get("QT_QPA_PLATFORM") or sys.platform in ("darwin", "win32")
    )


def _show_unhandled_exception(exc_type, exc, tb) -> None:
    """PyQt5 aborts the process on an exception escaping a slot; report it and carry on."""
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    sys.stderr.write(text)
    app = QtWidgets.QApplication.instance()
    if app is not None and not isinstance(exc, KeyboardInterrupt):
        QtWidgets.QMessageBox.critical(None, "Mesmerize error", f"{exc_type.__name__}: {exc}")


def build_welcome_window() -> WelcomeWindow:
    """The Welcome Window wired to Viewer and Flowchart windows that follow its open project.

    All Viewers share one Batch Manager window, created the first time one is asked for.
    """
    holder: dict[str, WelcomeWindow] = {}
    batch_managers: list[BatchManagerWindow] = []

    def batch_manager_window() -> BatchManagerWindow:
        if not batch_managers:
            window = BatchManagerWindow()
            window.output_opener = output_opener_for(window)
            batch_managers.append(window)
        return batch_managers[0]

    def plugins_dir() -> str | None:
        return load_system_config().plugins_dir or None

    def new_viewer(work_env=None) -> ViewerWindow:
        project = holder["welcome"].get_project()
        config = project.config if project is not None else None
        window = ViewerWindow(
            work_env=work_env,
            roi_type_columns=config.roi_type_columns if config else (),
            stimulus_types=config.stimulus_type_columns if config else (),
            plugins_dir=plugins_dir(),
        )
        install_add_to_project(window, holder["welcome"].get_project)
        install_batch_manager_menu(window, batch_manager_window)
        window.show()
        return window

    def open_sample(sample_id: str) -> ViewerWindow:
        project = holder["welcome"].get_project()
        return new_viewer(project.load_sample(sample_id))

    def open_sample_of_project(sample_id: str, proj_path: str) -> ViewerWindow | None:
        welcome = holder["welcome"]
        project = welcome.get_project()
        if project is None or Path(project.path).resolve() != Path(proj_path).resolve():
            if welcome.open_project(proj_path) is None:
                return None
        viewer = open_sample(sample_id)
        welcome.windows.append(viewer)
        return viewer

    def browser_tabs():
        browser = holder["welcome"].project_browser
        return browser.tabs if browser is not None else None

    def new_flowchart(fc_path=None) -> FlowchartWindow:
        window = FlowchartWindow(project_provider=holder["welcome"].get_project,
                                 tabs_provider=browser_tabs, fc_path=fc_path,
                                 run_in_background=True)
        window.show()
        return window

    welcome = WelcomeWindow(viewer_factory=new_viewer, sample_opener=open_sample,
                            flowchart_factory=new_flowchart, flowchart_opener=new_flowchart,
                            plot_opener=open_ptrn)
    holder["welcome"] = welcome
    set_sample_opener(open_sample_of_project)
    return welcome


def run_gui(argv: Sequence[str] = (), project: str | os.PathLike | None = None) -> int:
    """Open the Welcome Window (on ``project`` when given) and run the Qt event loop; returns
    the exit status."""
    if not has_display():
        sys.stderr.write(
            "mesmerize: no display found (DISPLAY/WAYLAND_DISPLAY unset). Run it in a desktop "
            "session, or use 'mesmerize demo' and the Python API on a headless machine.\n"
        )
        return 1
    app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["mesmerize", *argv])
    sys.excepthook = _show_unhandled_exception
    welcome = build_welcome_window()
    welcome.show()
    if project is not None:
        welcome.open_project(project)
    return app.exec_()
