"""Console namespaces of the Welcome Window and the Project Browser.

One function per window (DESIGN.md section 6): the embedded console, the Script Editor and
``mesmerize exec`` all build the namespace here, so a script behaves the same wherever it runs.
``this`` is the window in each console.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from mesmerize.gui.project.browser import ProjectBrowserWindow
    from mesmerize.gui.project.welcome import WelcomeWindow


BROWSER_NAMES: dict[str, str] = {
    "this": "this Project Browser window",
    "get_dataframe()": "DataFrame of the current Project Browser tab",
    "get_root_dataframe()": "DataFrame of the root tab (the entire project DataFrame, a copy)",
    "set_root_dataframe(df)": "set a pandas DataFrame as the project DataFrame (backup first)",
    "pd, np": "pandas and numpy",
}

WELCOME_NAMES: dict[str, str] = {
    "this": "the Welcome Window",
    "project": "the open Project (None until a project is opened)",
    "get_project()": "the open Project",
    "open_project(path)": "open a project directory",
    "windows": "every window opened from the Welcome Window",
    "get_project_browser()": "the Project Browser of the open project",
    "mesmerize, pd, np": "the mesmerize package, pandas and numpy",
}


def console_banner(names: dict[str, str]) -> str:
    """The text shown when a console opens: one line per name, then the keys."""
    width = max(len(name) for name in names)
    lines = ["Useful names:"]
    lines += [f"  {name.ljust(width)}  {text}" for name, text in names.items()]
    lines.append("Execute: Shift+Enter; new line: Enter; history: Page Up / Page Down\n")
    return "\n".join(lines)


def build_browser_namespace(browser: ProjectBrowserWindow) -> dict[str, Any]:
    """The Project Browser console: ``get_dataframe()``, ``get_root_dataframe()``,
    ``set_root_dataframe(df)``, ``this`` (the browser), ``pd`` and ``np``."""
    return {
        "this": browser,
        "get_dataframe": browser.get_dataframe,
        "get_root_dataframe": browser.get_root_dataframe,
        "set_root_dataframe": browser.set_root_dataframe,
        "pd": pd,
        "np": np,
    }


def build_welcome_namespace(window: WelcomeWindow) -> dict[str, Any]:
    """The Welcome Window console: every object of the Mesmerize instance.

    ``this`` (the Welcome Window), ``project`` (the open ``Project`` or None; re-pushed when
    another project is opened), ``get_project()``, ``open_project(path)``, ``windows`` (the live
    list of windows opened from the Welcome Window), ``get_project_browser()``, ``pd``, ``np``.
    """
    import mesmerize

    return {
        "this": window,
        "project": window.project,
        "get_project": window.get_project,
        "open_project": window.open_project,
        "windows": window.windows,
        "get_project_browser": window.open_project_browser,
        "mesmerize": mesmerize,
        "pd": pd,
        "np": np,
    }
