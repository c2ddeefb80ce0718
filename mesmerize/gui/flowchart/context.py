"""What a Flowchart window knows of the application: the open project and the Project Browser
tabs (both optional, read through callables so the window follows the Welcome Window)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import pandas as pd

from mesmerize.core.errors import ProjectError
from mesmerize.core.project.layout import FLOWCHARTS_DIR, TRNS_DIR
from mesmerize.core.project.tabs import ROOT_TAB

if TYPE_CHECKING:
    from mesmerize.core.project.project import Project
    from mesmerize.core.project.tabs import TabCollection


def _none() -> None:
    return None


@dataclass
class FlowchartContext:
    """``project_provider()``: the open Project or None; ``tabs_provider()``: the Project
    Browser's TabCollection, or None when no Project Browser is open."""

    project_provider: Callable[[], Project | None] = _none
    tabs_provider: Callable[[], TabCollection | None] = _none

    def project(self) -> Project | None:
        return self.project_provider()

    def require_project(self, what: str) -> Project:
        project = self.project()
        if project is None:
            raise ProjectError(f"{what} needs an open project; open one in the Welcome Window.")
        return project

    def tab_names(self) -> list[str]:
        """``root`` and the Project Browser tabs (only ``root`` without a Project Browser)."""
        tabs = self.tabs_provider()
        names = tabs.names() if tabs is not None else [ROOT_TAB]
        return names if ROOT_TAB in names else [ROOT_TAB, *names]

    def tab_dataframe(self, name: str) -> tuple[pd.DataFrame, list[str]]:
        """``(DataFrame, pandas filter history)`` of the tab ``name`` (``root``: the project)."""
        project = self.require_project("LoadProjDF")
        if name == ROOT_TAB:
            return project.dataframe, []
        tabs = self.tabs_provider()
        if tabs is None or name not in tabs:
            raise ProjectError(
                f"There is no Project Browser tab named {name!r}; open the Project Browser and "
                "create it, or choose another DF_Name.")
        tab = tabs.get(name)
        return tab.dataframe, list(tab.filter_history)

    def project_dir(self, sub_dir: str) -> Path | None:
        """``<project>/<sub_dir>`` of the open project, or None."""
        project = self.project()
        return None if project is None else project.path / sub_dir

    def flowcharts_dir(self) -> Path | None:
        return self.project_dir(FLOWCHARTS_DIR)

    def trns_dir(self) -> Path | None:
        return self.project_dir(TRNS_DIR)
