"""View -> Work Environment Editor: a read-only tree of the work environment's data."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from qtpy import QtWidgets

from mesmerize.core.work_env import ViewerWorkEnv

ATTRIBUTES = ("imgdata", "roi_manager", "sample_id", "stim_maps", "history_trace", "UUID",
              "custom_columns_dict", "comments")


def _summary(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return f"array {value.shape} {value.dtype}"
    if isinstance(value, (Mapping, list, tuple)):
        return f"{type(value).__name__} ({len(value)})"
    if isinstance(value, pd.DataFrame):
        return f"DataFrame ({len(value)} rows)"
    return repr(value)


def _children(value: Any) -> list[tuple[str, Any]]:
    """Named parts of ``value`` shown below it in the tree."""
    if isinstance(value, Mapping):
        return [(str(k), v) for k, v in value.items()]
    if isinstance(value, (list, tuple)):
        return [(str(i), v) for i, v in enumerate(value)]
    if isinstance(value, pd.DataFrame):
        return [(str(i), row.to_dict()) for i, row in value.iterrows()]
    return []


def work_env_items(work_env: ViewerWorkEnv) -> list[tuple[str, Any]]:
    """``(attribute, value)`` pairs shown at the top level; objects are described by their
    data (ImgData: seq and meta; ROI manager: mode, columns and ROI states; stimulus maps: one
    table per stimulus type)."""
    items: list[tuple[str, Any]] = []
    for name in ATTRIBUTES:
        value = getattr(work_env, name)
        if name == "imgdata" and value is not None:
            value = {"seq": value.seq, "meta": value.meta}
        elif name == "roi_manager":
            value = {"mode": value.mode, "roi_type_columns": list(value.roi_type_columns),
                     "roi_list": [roi.to_state() for roi in value.roi_list]}
        elif name == "stim_maps":
            value = {t: m.dataframe for t, m in value.maps.items()}
        items.append((name, value))
    return items


class WorkEnvEditor(QtWidgets.QWidget):
    """Read-only tree: attribute / value summary; expand (double-click) to see the contents."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Work Environment Editor")
        self.tree = QtWidgets.QTreeWidget(self)
        self.tree.setHeaderLabels(["Name", "Value"])
        self.tree.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(QtWidgets.QLabel("Read only: change the work environment through the "
                                          "modules or the console", self))
        layout.addWidget(self.tree)
        self.resize(500, 500)

    def show_work_env(self, work_env: ViewerWorkEnv) -> None:
        """Rebuild the tree from ``work_env``."""
        self.tree.clear()
        for name, value in work_env_items(work_env):
            self.tree.addTopLevelItem(self._item(name, value))
        self.tree.resizeColumnToContents(0)

    def _item(self, name: str, value: Any) -> QtWidgets.QTreeWidgetItem:
        item = QtWidgets.QTreeWidgetItem([name, _summary(value)])
        for child_name, child in _children(value):
            item.addChild(self._item(child_name, child))
        return item

    def find(self, *path: str) -> QtWidgets.QTreeWidgetItem | None:
        """The item at ``path`` of names (e.g. ``("imgdata", "meta", "fps")``), or None."""
        items = [self.tree.topLevelItem(i) for i in range(self.tree.topLevelItemCount())]
        found = None
        for name in path:
            found = next((it for it in items if it.text(0) == name), None)
            if found is None:
                return None
            items = [found.child(i) for i in range(found.childCount())]
        return found
