"""Viewer nodes: ViewTransmission (a table of ``t.df``) and ViewHistory (a tree of the
HistoryTrace of every data block). The views follow the input while they are open."""
from __future__ import annotations

from typing import Any, Mapping

import pandas as pd
from qtpy import QtWidgets

from mesmerize.analysis.transmission import Transmission
from mesmerize.gui.flowchart.base_node import MesmerizeNode, check_control_state
from mesmerize.gui.project.dataframe_model import DataFrameModel

MAX_LIST_ITEMS = 20
"""Longer lists (e.g. RFFT frequencies) show their first items and the count."""


class TransmissionTableView(QtWidgets.QWidget):
    """A summary line and a table of a Transmission's DataFrame."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary = QtWidgets.QLabel()
        self.summary.setWordWrap(True)
        self.model = DataFrameModel(pd.DataFrame())
        self.table = QtWidgets.QTableView()
        self.table.setModel(self.model)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)

    def show_transmission(self, t: Transmission | None) -> None:
        if t is None:
            self.summary.setText("No input Transmission.")
            self.model.set_dataframe(pd.DataFrame())
            return
        self.summary.setText(
            f"{len(t.df)} rows x {len(t.df.columns)} columns, "
            f"{len(t.history_trace.data_blocks)} data block(s); last output: {t.last_output} "
            f"({t.last_unit}); project: {t.proj_path}")
        self.model.set_dataframe(t.df)


def _add_value(parent: QtWidgets.QTreeWidgetItem, key: str, value: Any) -> None:
    if isinstance(value, dict):
        item = QtWidgets.QTreeWidgetItem(parent, [str(key), ""])
        for k, v in value.items():
            _add_value(item, k, v)
    elif isinstance(value, list) and len(value) > MAX_LIST_ITEMS:
        shown = ", ".join(map(str, value[:MAX_LIST_ITEMS]))
        QtWidgets.QTreeWidgetItem(parent, [str(key), f"[{shown}, ...] ({len(value)} items)"])
    else:
        QtWidgets.QTreeWidgetItem(parent, [str(key), str(value)])


class HistoryTreeView(QtWidgets.QTreeWidget):
    """Data block -> operations in order -> parameters."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setHeaderLabels(["Name", "Value"])

    def show_transmission(self, t: Transmission | None) -> None:
        self.clear()
        if t is None:
            return
        trace = t.history_trace
        for block in trace.data_blocks:
            block_item = QtWidgets.QTreeWidgetItem(self, [block, ""])
            for i, entry in enumerate(trace.get_data_block_history(block)):
                (name, params), = entry.items()
                op_item = QtWidgets.QTreeWidgetItem(block_item, [f"{i}: {name}", ""])
                for key, value in params.items():
                    _add_value(op_item, key, value)
            block_item.setExpanded(True)
        self.resizeColumnToContents(0)


class _ViewNode(MesmerizeNode):
    has_apply = False
    view_class: type = TransmissionTableView
    title = ""

    def __init__(self, name: str) -> None:
        self.view: QtWidgets.QWidget | None = None
        super().__init__(name, {"In": {"io": "in"}})

    def build_controls(self, layout: QtWidgets.QVBoxLayout) -> None:
        self.show_button = QtWidgets.QPushButton("Show")
        self.show_button.clicked.connect(self.show_view)
        layout.addWidget(self.show_button)

    def show_view(self) -> QtWidgets.QWidget:
        """Open (or raise) the view window of the input."""
        if self.view is None:
            self.view = self.view_class()
            self.view.resize(900, 500)
        self.view.setWindowTitle(f"{self.title} — {self.name()}")
        self.view.show_transmission(self.t)
        self.view.show()
        self.view.raise_()
        return self.view

    def run(self, In: Transmission | None = None, **inputs: Any) -> dict[str, Any]:  # noqa: N803
        self.t = In
        if self.view is not None and self.view.isVisible():
            self.view.show_transmission(In)
        return {}

    def control_state(self) -> dict[str, Any]:
        return {}

    def restore_control_state(self, state: Mapping[str, Any]) -> None:
        check_control_state(self, state, ())

    def close(self) -> None:
        if self.view is not None:
            self.view.close()
        super().close()


class ViewTransmissionNode(_ViewNode):
    """Shows the input Transmission: its DataFrame as a table and a summary."""

    nodeName = "ViewTransmission"
    view_class = TransmissionTableView
    title = "Transmission"


class ViewHistoryNode(_ViewNode):
    """Shows the HistoryTrace of the input Transmission as a tree."""

    nodeName = "ViewHistory"
    view_class = HistoryTreeView
    title = "History Trace"
