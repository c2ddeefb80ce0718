"""Project Browser tabs: named sub-DataFrames of the project DataFrame, made by filters.

The ``root`` tab is always the whole project DataFrame (read from a provider callable, so it
follows the project). Every other tab stores the filter steps that made it from root, so
``refresh()`` can rebuild it after the project DataFrame changes. Filtering the root tab always
creates a new tab (``create_tab``); other tabs can also be filtered in place (``apply_in_place``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import pandas as pd

from mesmerize.core.errors import FilterSyntaxError, ProjectError
from mesmerize.core.events import EventEmitter
from mesmerize.core.project.filters import apply_filters

__all__ = ["ROOT_TAB", "DataFrameTab", "TabEvent", "TabCollection"]

ROOT_TAB = "root"

FilterStep = tuple[tuple[object, str], ...]


@dataclass(frozen=True)
class DataFrameTab:
    """A tab's name, its DataFrame (rows keep the root's index) and its pandas filter history."""

    name: str
    dataframe: pd.DataFrame
    filter_history: list[str]


@dataclass(frozen=True)
class TabEvent:
    """What ``TabCollection.changed`` emits.

    ``kind`` is "created", "filtered", "removed", "renamed" (``old_name`` set) or "refreshed"
    (``name`` is None: every tab was recomputed).
    """

    kind: str
    name: str | None
    old_name: str | None = None


@dataclass
class _Tab:
    dataframe: pd.DataFrame
    steps: list[FilterStep]
    history: list[str]


def _replay(root: pd.DataFrame, steps: list[FilterStep]) -> tuple[pd.DataFrame, list[str]]:
    df, history = root, []
    for step in steps:
        df, exprs = apply_filters(df, dict(step))
        history.extend(exprs)
    return df, history


class TabCollection:
    """Named filtered views of the project DataFrame; ``root_provider()`` returns the root."""

    def __init__(self, root_provider: Callable[[], pd.DataFrame]) -> None:
        self._root_provider = root_provider
        self._tabs: dict[str, _Tab] = {}
        self.changed = EventEmitter()

    def _root(self) -> pd.DataFrame:
        return self._root_provider()

    def names(self) -> list[str]:
        """Tab names in creation order, ``"root"`` first."""
        return [ROOT_TAB, *self._tabs]

    def __contains__(self, name: object) -> bool:
        return name == ROOT_TAB or name in self._tabs

    def __len__(self) -> int:
        return 1 + len(self._tabs)

    def get(self, name: str) -> DataFrameTab:
        """The tab ``name``; the root tab is read from the provider at each call."""
        if name == ROOT_TAB:
            return DataFrameTab(ROOT_TAB, self._root(), [])
        tab = self._tab(name)
        return DataFrameTab(name, tab.dataframe, list(tab.history))

    def _tab(self, name: str) -> _Tab:
        if name == ROOT_TAB:
            raise ProjectError(
                f"The {ROOT_TAB!r} tab is the whole project DataFrame and cannot be modified here; "
                f"filter it into a new tab with create_tab(), or change the project DataFrame")
        try:
            return self._tabs[name]
        except KeyError:
            raise ProjectError(f"There is no tab named {name!r}; existing tabs: "
                               f"{', '.join(map(repr, self.names()))}") from None

    def _check_new_name(self, name: object) -> str:
        if not isinstance(name, str) or not name.strip():
            raise ProjectError(f"A tab name must be non-empty text, got {name!r}; type a name")
        if name == ROOT_TAB:
            raise ProjectError(f"{ROOT_TAB!r} is reserved for the whole project DataFrame; "
                               f"choose another tab name")
        if name in self._tabs:
            raise ProjectError(f"A tab named {name!r} already exists; choose another name or "
                               f"remove that tab first")
        return name

    def _steps_of(self, name: str) -> list[FilterStep]:
        return [] if name == ROOT_TAB else list(self._tab(name).steps)

    def create_tab(self, name: str, source_tab: str = ROOT_TAB,
                   filters: Mapping[object, str] | None = None) -> DataFrameTab:
        """Filter ``source_tab``'s DataFrame into a new tab ``name`` (empty filters = a copy).

        The new tab's filter history is the source's history followed by the new expressions.
        Raises ``ProjectError`` for a bad name or unknown source, ``FilterSyntaxError`` for a bad
        entry (no tab is created then).
        """
        self._check_new_name(name)
        source = self.get(source_tab)
        step: FilterStep = tuple((filters or {}).items())
        df, exprs = apply_filters(source.dataframe, dict(step))
        self._tabs[name] = _Tab(df, [*self._steps_of(source_tab), step],
                                [*source.filter_history, *exprs])
        self.changed.emit(TabEvent("created", name))
        return self.get(name)

    def apply_in_place(self, name: str, filters: Mapping[object, str]) -> DataFrameTab:
        """Filter the existing tab ``name`` in place; the root tab refuses (use create_tab)."""
        tab = self._tab(name)
        step: FilterStep = tuple(filters.items())
        df, exprs = apply_filters(tab.dataframe, dict(step))
        tab.dataframe = df
        tab.steps.append(step)
        tab.history.extend(exprs)
        self.changed.emit(TabEvent("filtered", name))
        return self.get(name)

    def remove(self, name: str) -> None:
        """Delete tab ``name`` (the root tab cannot be removed)."""
        self._tab(name)
        del self._tabs[name]
        self.changed.emit(TabEvent("removed", name))

    def rename(self, old_name: str, new_name: str) -> None:
        """Rename a tab, keeping its position in ``names()``."""
        self._tab(old_name)
        if new_name == old_name:
            return
        self._check_new_name(new_name)
        self._tabs = {(new_name if key == old_name else key): tab
                      for key, tab in self._tabs.items()}
        self.changed.emit(TabEvent("renamed", new_name, old_name))

    def refresh(self) -> None:
        """Recompute every tab from the current root by replaying its filters.

        All tabs are recomputed before any is replaced, so a failure leaves them unchanged; a
        filter that no longer applies (e.g. its column was removed) raises ``FilterSyntaxError``
        naming the tab.
        """
        root = self._root()
        rebuilt: dict[str, tuple[pd.DataFrame, list[str]]] = {}
        for name, tab in self._tabs.items():
            try:
                rebuilt[name] = _replay(root, tab.steps)
            except FilterSyntaxError as exc:
                raise FilterSyntaxError(
                    f"Tab {name!r} cannot be rebuilt from the project DataFrame: {exc} "
                    f"Remove the tab or restore the column") from exc
        for name, (df, history) in rebuilt.items():
            tab = self._tabs[name]
            tab.dataframe, tab.history = df, history
        self.changed.emit(TabEvent("refreshed", None))
