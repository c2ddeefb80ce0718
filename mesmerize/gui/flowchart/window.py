"""The Flowchart window: pyqtgraph's flowchart editor with Mesmerize's nodes.

Right click in the chart -> Add node -> a category (the registry's) -> a node; connect terminals
by dragging; each node's controls are in the list on the left (click a node to highlight them).
Save / Load write and read ``.fc`` JSON files (``fc_file``), by default in the open project's
``flowcharts`` directory; drop ``.trn`` files on the chart to add LoadFile nodes; View -> Console
opens a console with ``get_nodes()``.
"""
from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any, Callable, Sequence

from pyqtgraph.flowchart import Flowchart, Node
from qtpy import QtCore, QtWidgets

from mesmerize.core.errors import FormatVersionError, MesmerizeError
from mesmerize.gui.console import ConsoleWidget, namespace_banner
from mesmerize.gui.flowchart.base_node import MesmerizeNode
from mesmerize.gui.flowchart.context import FlowchartContext
from mesmerize.gui.flowchart.fc_file import read_fc, write_fc
from mesmerize.gui.flowchart.library import build_node_library
from mesmerize.gui.flowchart.namespace import build_flowchart_namespace

FC_FILTER = "Flowchart (*.fc)"


def _trn_paths(mime: QtCore.QMimeData) -> list[str]:
    return [url.toLocalFile() for url in mime.urls()
            if url.isLocalFile() and url.toLocalFile().endswith(".trn")]


class FlowchartWindow(QtWidgets.QMainWindow):
    """A Flowchart window.

    ``project_provider()`` returns the open Project (or None) and ``tabs_provider()`` the Project
    Browser's TabCollection (or None); ``fc_path`` is a ``.fc`` file to load.
    ``run_in_background``: analysis nodes compute in worker threads, so the window stays
    responsive (the application's windows); off, every update is computed before it returns (what
    scripts and tests expect). ``wait_until_idle()`` waits for background work.
    """

    def __init__(self, project_provider: Callable[[], Any] | None = None,
                 tabs_provider: Callable[[], Any] | None = None,
                 fc_path: str | os.PathLike | None = None,
                 parent: QtWidgets.QWidget | None = None,
                 run_in_background: bool = False) -> None:
        super().__init__(parent)
        self.run_in_background = run_in_background
        self.context = FlowchartContext()
        if project_provider is not None:
            self.context.project_provider = project_provider
        if tabs_provider is not None:
            self.context.tabs_provider = tabs_provider
        self.library = build_node_library(self.context)
        self.flowchart = Flowchart(terminals={}, library=self.library)
        for internal in (self.flowchart.inputNode, self.flowchart.outputNode):
            internal.graphicsItem().hide()
        self.fc_path: Path | None = None
        self.console: ConsoleWidget | None = None
        self._console_dock: QtWidgets.QDockWidget | None = None
        self.resize(1300, 800)
        self._build_layout()
        self._build_menus()
        self._show_title()
        if fc_path is not None:
            self.load_fc(fc_path)

    # --- layout --------------------------------------------------------------------------------
    def _build_layout(self) -> None:
        ctrl = self.flowchart.widget()
        for button in (ctrl.ui.loadBtn, ctrl.ui.saveBtn, ctrl.ui.saveAsBtn, ctrl.ui.reloadBtn,
                       ctrl.ui.showChartBtn, ctrl.ui.fileNameLabel):
            button.hide()
        self.chart_widget = ctrl.chartWidget
        self.view = self.chart_widget.view
        self.chart_widget.hoverDock.hide()
        self.chart_widget.selDock.hide()
        self.flowchart.sigChartChanged.connect(self._chart_changed)

        buttons = QtWidgets.QHBoxLayout()
        self.load_button = QtWidgets.QPushButton("Load")
        self.load_button.clicked.connect(self.load_dialog)
        self.save_button = QtWidgets.QPushButton("Save")
        self.save_button.clicked.connect(self.save_clicked)
        self.save_as_button = QtWidgets.QPushButton("Save as...")
        self.save_as_button.clicked.connect(self.save_as_dialog)
        self.reset_view_button = QtWidgets.QPushButton("Reset View")
        self.reset_view_button.clicked.connect(self.reset_view)
        for button in (self.load_button, self.save_button, self.save_as_button,
                       self.reset_view_button):
            buttons.addWidget(button)
        left = QtWidgets.QWidget()
        left_layout = QtWidgets.QVBoxLayout(left)
        left_layout.setContentsMargins(4, 4, 4, 4)
        left_layout.addLayout(buttons)
        left_layout.addWidget(ctrl, 1)

        splitter = QtWidgets.QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(self.chart_widget)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([340, 960])
        self.setCentralWidget(splitter)

        self.view.setAcceptDrops(True)
        self.view.viewport().setAcceptDrops(True)
        self.view.viewport().installEventFilter(self)

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        file_menu.addAction("Load...", self.load_dialog)
        file_menu.addAction("Save", self.save_clicked)
        file_menu.addAction("Save as...", self.save_as_dialog)
        view_menu = self.menuBar().addMenu("&View")
        view_menu.addAction("Console", self.show_console)
        view_menu.addAction("Reset View", self.reset_view)

    def _chart_changed(self, _chart, action: str, node: Node) -> None:
        if action == "add" and isinstance(node, MesmerizeNode):
            node.run_in_background = self.run_in_background
        if action == "add" and node in self.flowchart.widget().items:
            self.flowchart.widget().items[node].setExpanded(True)

    def set_run_in_background(self, on: bool) -> None:
        """Compute analysis nodes in worker threads (on) or before each update returns (off)."""
        self.run_in_background = on
        for node in self.get_nodes().values():
            node.run_in_background = on

    def busy_nodes(self) -> list[str]:
        """Names of the nodes computing in the background now."""
        return [name for name, node in self.get_nodes().items() if getattr(node, "busy", False)]

    def wait_until_idle(self, timeout_s: float = 300.0) -> None:
        """Process events until no node computes in the background; ``MesmerizeError`` after
        ``timeout_s`` seconds."""
        deadline = time.monotonic() + timeout_s
        app = QtWidgets.QApplication.instance()
        while self.busy_nodes():
            if time.monotonic() > deadline:
                raise MesmerizeError(f"Nodes {self.busy_nodes()} still compute after "
                                     f"{timeout_s:g} s.")
            app.processEvents(QtCore.QEventLoop.AllEvents, 50)
            time.sleep(0.005)

    def _show_title(self) -> None:
        name = self.fc_path.name if self.fc_path is not None else "[new]"
        self.setWindowTitle(f"Flowchart — {name}")

    # --- nodes ---------------------------------------------------------------------------------
    def get_nodes(self) -> dict[str, MesmerizeNode]:
        """The flowchart's nodes by name (``get_nodes()[name].t`` is a node's output)."""
        internal = (self.flowchart.inputNode, self.flowchart.outputNode)
        return {name: node for name, node in self.flowchart.nodes().items()
                if node not in internal}

    def node_types(self) -> list[str]:
        """Every node type the library offers."""
        return list(self.library.nodeList)

    def add_node(self, node_type: str, name: str | None = None,
                 pos: Sequence[float] = (0.0, 0.0)) -> MesmerizeNode:
        """Add a node of ``node_type`` (e.g. "Normalize") at scene position ``pos``."""
        if node_type not in self.library.nodeList:
            raise MesmerizeError(f"There is no node type {node_type!r}; the node types are "
                                 f"{self.node_types()}.")
        if name is not None and name in self.flowchart.nodes():
            raise MesmerizeError(f"A node named {name!r} exists already; choose another name.")
        return self.flowchart.createNode(node_type, name=name, pos=list(pos))

    def _node(self, node: str | Node) -> Node:
        if isinstance(node, Node):
            return node
        try:
            return self.get_nodes()[node]
        except KeyError:
            raise MesmerizeError(f"There is no node named {node!r}; the nodes are "
                                 f"{list(self.get_nodes())}.") from None

    def connect_nodes(self, out_node: str | Node, in_node: str | Node,
                      out_terminal: str = "Out", in_terminal: str = "In") -> None:
        """Connect ``out_node``'s output terminal to ``in_node``'s input terminal."""
        source, target = self._node(out_node), self._node(in_node)
        for node, term in ((source, out_terminal), (target, in_terminal)):
            if term not in node.terminals:
                raise MesmerizeError(f"Node {node.name()!r} has no terminal {term!r}; its "
                                     f"terminals are {list(node.terminals)}.")
        self.flowchart.connectTerminals(source[out_terminal], target[in_terminal])

    def connections(self) -> list[list[str]]:
        """``[out_node, out_terminal, in_node, in_terminal]`` of every connection, sorted."""
        return sorted([a.node().name(), a.name(), b.node().name(), b.name()]
                      for a, b in self.flowchart.listConnections())

    def add_load_file_node(self, path: str | os.PathLike,
                           pos: Sequence[float] = (0.0, 0.0)) -> MesmerizeNode:
        """A LoadFile node named after the ``.trn`` file, loading it."""
        stem, name, i = Path(path).stem, Path(path).stem, 1
        while name in self.flowchart.nodes():
            name, i = f"{stem}.{i}", i + 1
        node = self.add_node("LoadFile", name=name, pos=pos)
        node.set_path(path)
        return node

    def reset_view(self) -> None:
        """Show all nodes."""
        self.flowchart.viewBox.autoRange(padding=0.1)

    # --- .fc files -----------------------------------------------------------------------------
    def _default_dir(self) -> str:
        if self.fc_path is not None:
            return str(self.fc_path.parent)
        directory = self.context.flowcharts_dir()
        return str(directory) if directory is not None and directory.is_dir() else ""

    def save_fc(self, path: str | os.PathLike) -> Path:
        """Write the graph, node positions and every control value to a ``.fc`` file."""
        nodes = [{"name": name, **node.state()} for name, node in self.get_nodes().items()]
        self.fc_path = write_fc(path, nodes, self.connections())
        self._show_title()
        return self.fc_path

    def load_fc(self, path: str | os.PathLike) -> None:
        """Replace the graph with the one in a ``.fc`` file and process it.

        ``FormatVersionError`` for a file that cannot be used (the current graph is then kept
        when the file itself is bad, and cleared when a node's saved values are refused).
        """
        path = Path(path)
        data = read_fc(path, self.node_types())
        self.flowchart.clear()
        try:
            nodes = [self._restore_node(entry) for entry in data["nodes"]]
            for out_node, out_term, in_node, in_term in data["connections"]:
                self.connect_nodes(out_node, in_node, out_term, in_term)
        except Exception as exc:
            self.flowchart.clear()
            raise FormatVersionError(f"{path} cannot be loaded: {exc}") from exc
        self.fc_path = path
        self._show_title()
        for node in nodes:
            if not node.inputs():
                node.update()
        self.reset_view()

    def _restore_node(self, entry: dict) -> MesmerizeNode:
        node = self.add_node(entry["type"], name=entry["name"], pos=entry["pos"])
        try:
            node.restore_control_state(entry["controls"])
            apply = entry.get("apply")
            if node.apply_box is not None and apply is not None:
                node.apply_box.blockSignals(True)
                node.apply_box.setChecked(bool(apply))
                node.apply_box.blockSignals(False)
            node.bypass(bool(entry.get("bypass", False)))
        except MesmerizeError as exc:
            raise MesmerizeError(f"node {entry['name']!r}: {exc}") from exc
        return node

    def save_clicked(self) -> Path | None:
        """Save to the current file, or ask for one."""
        if self.fc_path is None:
            return self.save_as_dialog()
        return self._save_reporting(self.fc_path)

    def save_as_dialog(self) -> Path | None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, "Save flowchart as", self._default_dir(), FC_FILTER)
        return self._save_reporting(path) if path else None

    def _save_reporting(self, path: str | os.PathLike) -> Path | None:
        try:
            saved = self.save_fc(path)
        except (MesmerizeError, OSError, ValueError) as exc:
            QtWidgets.QMessageBox.critical(self, "Flowchart not saved", str(exc))
            return None
        self.statusBar().showMessage(f"Saved {saved}", 5000)
        return saved

    def load_dialog(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Load flowchart", self._default_dir(), FC_FILTER)
        if not path:
            return
        try:
            self.load_fc(path)
        except (MesmerizeError, OSError) as exc:
            QtWidgets.QMessageBox.critical(self, "Flowchart not loaded", str(exc))

    # --- console -------------------------------------------------------------------------------
    def show_console(self) -> ConsoleWidget:
        """View -> Console: a console with ``get_nodes()``, ``this``, ``Transmission``, pd, np."""
        if self.console is None:
            namespace = build_flowchart_namespace(self)
            self.console = ConsoleWidget(namespace, "flowchart", namespace_banner(namespace))
            self._console_dock = QtWidgets.QDockWidget("Console", self)
            self._console_dock.setWidget(self.console)
            self.addDockWidget(QtCore.Qt.BottomDockWidgetArea, self._console_dock)
        self._console_dock.show()
        return self.console

    # --- events --------------------------------------------------------------------------------
    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        kind = event.type()
        if kind in (QtCore.QEvent.DragEnter, QtCore.QEvent.DragMove):
            if _trn_paths(event.mimeData()):
                event.acceptProposedAction()
                return True
        elif kind == QtCore.QEvent.Drop:
            paths = _trn_paths(event.mimeData())
            if paths:
                scene_pos = self.view.mapToScene(event.pos())
                pos = self.flowchart.viewBox.mapSceneToView(scene_pos)
                for i, path in enumerate(paths):
                    self.add_load_file_node(path, (pos.x(), pos.y() + 40 * i))
                event.acceptProposedAction()
                return True
        return super().eventFilter(obj, event)

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if self.console is not None:
            self.console.shutdown()
        for node in self.get_nodes().values():
            if isinstance(node, MesmerizeNode):
                node.drop_background_result()
            view = getattr(node, "view", None)
            if view is not None:
                view.close()
        super().closeEvent(event)
