"""The base of every plot window: input Transmission, live update, controls dock, status label,
console, and saving/loading the plot as a ``.ptrn`` file (guide: "Saving Plots", "Consoles").

A plot subclass builds its parameter widgets into ``controls_layout``, its plot layout with
``set_main_widget``, and implements ``draw_plot``, ``get_plot_state`` and ``set_plot_state``.
"""
from __future__ import annotations

import logging
import traceback
from pathlib import Path
from typing import Any

import numpy as np
from qtpy import QtCore, QtWidgets

from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import FormatVersionError, MesmerizeError
from mesmerize.core.project.layout import PLOTS_DIR
from mesmerize.gui.console import ConsoleWidget, namespace_banner
from mesmerize.gui.plots.status_label import StatusLabel
from mesmerize.plotting.ptrn_file import PTRN_SUFFIX, read_ptrn, write_ptrn

log = logging.getLogger(__name__)


class PlotWindow(QtWidgets.QMainWindow):
    """A plot over ``transmission`` (the current input, or None).

    ``plot_kind``: the kind written in ``.ptrn`` files; ``saves_ptrn``: whether Save/Load exist;
    ``live_update``: the "Live update from input transmission" check box; ``status``: the
    status label; ``console``: the console widget once shown (None before).
    """

    plot_kind = "plot"
    window_title = "Plot"
    saves_ptrn = False

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.window_title)
        self.transmission: Transmission | None = None
        self.console: ConsoleWidget | None = None
        self._console_dock: QtWidgets.QDockWidget | None = None

        self.controls = QtWidgets.QWidget()
        outer = QtWidgets.QVBoxLayout(self.controls)
        self.controls_layout = QtWidgets.QVBoxLayout()
        outer.addLayout(self.controls_layout)
        outer.addStretch(1)
        self.live_update = QtWidgets.QCheckBox("Live update from input transmission")
        self.live_update.setChecked(True)
        outer.addWidget(self.live_update)
        self.buttons_layout = QtWidgets.QVBoxLayout()
        outer.addLayout(self.buttons_layout)
        self.update_button = QtWidgets.QPushButton("Update Plot")
        self.update_button.clicked.connect(self.update_plot)
        self.buttons_layout.addWidget(self.update_button)
        if self.saves_ptrn:
            row = QtWidgets.QHBoxLayout()
            self.save_button = QtWidgets.QPushButton("Save")
            self.save_button.clicked.connect(self._save_clicked)
            self.load_button = QtWidgets.QPushButton("Load")
            self.load_button.clicked.connect(self._load_clicked)
            row.addWidget(self.save_button)
            row.addWidget(self.load_button)
            self.buttons_layout.addLayout(row)
        self.console_button = QtWidgets.QPushButton("Show/Hide Console")
        self.console_button.clicked.connect(self.toggle_console)
        self.buttons_layout.addWidget(self.console_button)

        scroll = QtWidgets.QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.controls)
        self.controls_dock = QtWidgets.QDockWidget("Controls", self)
        self.controls_dock.setObjectName("controls")
        self.controls_dock.setFeatures(QtWidgets.QDockWidget.DockWidgetMovable
                                       | QtWidgets.QDockWidget.DockWidgetFloatable)
        self.controls_dock.setWidget(scroll)
        self.addDockWidget(QtCore.Qt.LeftDockWidgetArea, self.controls_dock)

        self.status = StatusLabel()
        self._central = QtWidgets.QWidget()
        self._central_layout = QtWidgets.QVBoxLayout(self._central)
        self._central_layout.setContentsMargins(2, 2, 2, 2)
        self._central_layout.addWidget(self.status)
        self.setCentralWidget(self._central)
        self.resize(1100, 700)

    # --- layout --------------------------------------------------------------------------------
    def set_main_widget(self, widget: QtWidgets.QWidget) -> None:
        """Put the plot layout above the status label."""
        self._central_layout.insertWidget(0, widget, 1)

    # --- data ----------------------------------------------------------------------------------
    def set_input(self, transmission: Transmission | None) -> None:
        """New input (from the flowchart or a script): refresh the controls, and the plot when
        live update is on."""
        self.transmission = transmission
        self.input_changed()
        if self.live_update.isChecked():
            self.update_plot()

    def input_changed(self) -> None:
        """Refill controls that depend on the input (override; keep valid current choices)."""

    def update_plot(self) -> bool:
        """Draw the plot from the input and the controls; problems go to the status label.
        True when the plot was drawn."""
        if self.transmission is None:
            self.status.problem("No input: connect a Transmission to this plot's node, or call "
                                "set_input(t).")
            return False
        try:
            self.draw_plot()
        except MesmerizeError as exc:
            self.status.problem(str(exc))
            return False
        except Exception as exc:  # a bug or a library error: show it, keep the window alive
            log.exception("%s plot failed", self.plot_kind)
            self.status.problem(f"{type(exc).__name__}: {exc}", traceback.format_exc())
            return False
        self.status.ok(self.status_text())
        return True

    def status_text(self) -> str:
        """The status shown after a successful draw."""
        return f"{len(self.transmission.df)} rows plotted." if self.transmission is not None else ""

    def draw_plot(self) -> None:
        """Draw from ``self.transmission`` and the controls; raise ``MesmerizeError`` (e.g.
        ``ParameterError``) with a message for problems of the data or the parameters."""
        raise MesmerizeError(f"{type(self).__name__} does not define how to draw its plot.")

    # --- plot state and .ptrn ------------------------------------------------------------------
    def get_plot_state(self) -> dict[str, Any]:
        """The control values, JSON-safe (saved in .ptrn files)."""
        return {}

    def set_plot_state(self, state: dict[str, Any]) -> None:
        """Show saved control values; unknown keys raise ``FormatVersionError``."""
        if state:
            raise FormatVersionError(f"The {self.plot_kind} plot has no controls {sorted(state)}.")

    def plot_arrays(self) -> dict[str, np.ndarray]:
        """Computed arrays saved with the plot (e.g. cluster centres); none by default."""
        return {}

    def restore_plot_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        """Take back the arrays of ``plot_arrays`` from a loaded ``.ptrn`` file."""
        if arrays:
            raise FormatVersionError(f"The {self.plot_kind} plot saves no arrays, the file has "
                                     f"{sorted(arrays)}.")

    def save_ptrn(self, path: str | Path, overwrite: bool = False) -> Path:
        """Save the plot state and its input data as a ``.ptrn`` file."""
        if not self.saves_ptrn:
            raise MesmerizeError(f"The {self.plot_kind} plot cannot be saved as a .ptrn file.")
        return write_ptrn(path, self.plot_kind, self.get_plot_state(), self.transmission,
                          arrays=self.plot_arrays(), overwrite=overwrite)

    def load_ptrn(self, path: str | Path) -> None:
        """Load a ``.ptrn`` file of this plot kind: its data, controls and arrays, then draw."""
        plot_file = read_ptrn(path)
        if plot_file.plot_kind != self.plot_kind:
            raise FormatVersionError(f"{path} is a saved {plot_file.plot_kind} plot, not a "
                                     f"{self.plot_kind} plot; open it in a {plot_file.plot_kind} "
                                     "plot.")
        self.transmission = plot_file.transmission
        self.input_changed()
        self.set_plot_state(plot_file.state)
        self.restore_plot_arrays(plot_file.arrays)
        self.update_plot()

    def _plots_dir(self) -> str:
        proj = self.transmission.proj_path if self.transmission is not None else None
        if proj and (Path(proj) / PLOTS_DIR).is_dir():
            return str(Path(proj) / PLOTS_DIR)
        return str(Path.home())

    def _save_clicked(self) -> None:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self, "Save plot", self._plots_dir(), f"Mesmerize plot (*{PTRN_SUFFIX})")
        if not path:
            return
        if not path.endswith(PTRN_SUFFIX):
            path += PTRN_SUFFIX
        try:
            self.save_ptrn(path, overwrite=True)
        except (MesmerizeError, OSError) as exc:
            QtWidgets.QMessageBox.warning(self, "Plot not saved", str(exc))
            return
        self.status.ok(f"Saved {path}")

    def _load_clicked(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Load plot", self._plots_dir(), f"Mesmerize plot (*{PTRN_SUFFIX})")
        if not path:
            return
        try:
            self.load_ptrn(path)
        except (MesmerizeError, OSError) as exc:
            QtWidgets.QMessageBox.warning(self, "Plot not loaded", str(exc))

    # --- console -------------------------------------------------------------------------------
    def console_namespace(self) -> dict[str, Any]:
        """The console's names; ``this`` is the plot window (extended by each plot)."""
        return {"this": self}

    def show_console(self) -> ConsoleWidget:
        """Build (first time) and show the console dock."""
        if self.console is None:
            namespace = self.console_namespace()
            self.console = ConsoleWidget(namespace, f"plot_{self.plot_kind}",
                                         banner=namespace_banner(namespace))
            self._console_dock = QtWidgets.QDockWidget("Console", self)
            self._console_dock.setObjectName("console")
            self._console_dock.setWidget(self.console)
            self.addDockWidget(QtCore.Qt.BottomDockWidgetArea, self._console_dock)
        self._console_dock.show()
        return self.console

    def toggle_console(self) -> None:
        if self._console_dock is not None and self._console_dock.isVisible():
            self._console_dock.hide()
        else:
            self.show_console()

    def closeEvent(self, event) -> None:  # noqa: N802 (Qt API)
        if self.console is not None:
            self.console.shutdown()
        super().closeEvent(event)
