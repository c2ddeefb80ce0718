"""The System Configuration window (Welcome Window -> Configure -> System Configuration).

A form over ``mesmerize.core.system_config.SystemConfig``; the core validates and saves
(``config_dir()/system_config.json``). Batch processes started afterwards read the saved file.
"""
from __future__ import annotations

import os
from pathlib import Path

from qtpy import QtCore, QtGui, QtWidgets

from mesmerize.core.errors import ConfigError, FormatVersionError
from mesmerize.core.system_config import (
    SystemConfig, load_system_config, save_system_config, system_config_path,
)

PRE_RUN_HINT = (
    "Shell lines run before each batch subprocess, e.g.\n"
    "source /path_to_venv/bin/activate\nexport MKL_NUM_THREADS=1")


class SystemConfigWindow(QtWidgets.QWidget):
    """Edit and save the system configuration stored at ``path`` (default: the user's).

    ``saved(SystemConfig)`` is emitted after a successful save.
    """

    saved = QtCore.Signal(object)

    def __init__(self, path: str | Path | None = None,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.path = Path(path) if path is not None else system_config_path()
        self.setWindowTitle("System Configuration")
        self.resize(620, 480)
        self.load_error: str | None = None
        try:
            config = load_system_config(self.path)
        except (ConfigError, FormatVersionError) as exc:
            self.load_error = str(exc)
            config = SystemConfig()

        self.max_threads = QtWidgets.QSpinBox()
        # The core accepts 1 .. 4 x CPU count (SystemConfig.validate).
        self.max_threads.setRange(1, 4 * (os.cpu_count() or 1))
        self.max_threads.setValue(config.max_threads)
        self.python_call = QtWidgets.QLineEdit(config.python_call)
        self.use_cuda = QtWidgets.QCheckBox("Use CUDA acceleration where available")
        self.use_cuda.setChecked(config.use_cuda)
        self.work_dir = QtWidgets.QLineEdit(config.work_dir)
        self.pre_run_commands = QtWidgets.QPlainTextEdit(config.pre_run_commands)
        self.pre_run_commands.setPlaceholderText(PRE_RUN_HINT)
        self.pre_run_commands.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.FixedFont))
        self.plugins_dir = QtWidgets.QLineEdit(config.plugins_dir)
        self.plugins_dir.setPlaceholderText("(none)")
        # 0 shows as "No limit" and means None in the configuration
        self.item_time_limit = QtWidgets.QDoubleSpinBox()
        self.item_time_limit.setRange(0.0, 1e7)
        self.item_time_limit.setDecimals(0)
        self.item_time_limit.setSuffix(" s")
        self.item_time_limit.setSpecialValueText("No limit")
        self.item_time_limit.setValue(config.item_time_limit_s or 0.0)
        self.item_memory_limit = QtWidgets.QSpinBox()
        self.item_memory_limit.setRange(0, 2 ** 30)
        self.item_memory_limit.setSuffix(" MiB")
        self.item_memory_limit.setSpecialValueText("No limit")
        self.item_memory_limit.setValue(config.item_memory_limit_mib or 0)

        form = QtWidgets.QFormLayout()
        form.addRow("Maximum number of threads to use:", self.max_threads)
        form.addRow("Python call:", self.python_call)
        form.addRow("", self.use_cuda)
        form.addRow("Work dir:", self._with_browse(self.work_dir, "Choose the work directory"))
        form.addRow(QtWidgets.QLabel("Pre-run commands:"))
        form.addRow(self.pre_run_commands)
        form.addRow("Plugins directory:",
                    self._with_browse(self.plugins_dir, "Choose the plugins directory"))
        form.addRow("Batch item time limit:", self.item_time_limit)
        form.addRow("Batch item memory limit:", self.item_memory_limit)

        self.status = QtWidgets.QLabel(
            f"Could not read the saved configuration: {self.load_error}" if self.load_error
            else f"Saved in {self.path}")
        self.status.setWordWrap(True)
        save = QtWidgets.QPushButton("Save")
        save.clicked.connect(self.save)
        close = QtWidgets.QPushButton("Close")
        close.clicked.connect(self.close)
        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(save)
        buttons.addWidget(close)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)

    def _with_browse(self, entry: QtWidgets.QLineEdit, caption: str) -> QtWidgets.QWidget:
        button = QtWidgets.QPushButton("Browse…")
        button.clicked.connect(lambda: self._browse(entry, caption))
        row = QtWidgets.QWidget()
        layout = QtWidgets.QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(entry, 1)
        layout.addWidget(button)
        return row

    def _browse(self, entry: QtWidgets.QLineEdit, caption: str) -> None:
        chosen = QtWidgets.QFileDialog.getExistingDirectory(self, caption, entry.text())
        if chosen:
            entry.setText(chosen)

    def config(self) -> SystemConfig:
        """The configuration the form shows; ``ConfigError`` when a field is invalid."""
        cfg = SystemConfig(
            max_threads=self.max_threads.value(),
            python_call=self.python_call.text().strip(),
            use_cuda=self.use_cuda.isChecked(),
            work_dir=self.work_dir.text().strip(),
            pre_run_commands=self.pre_run_commands.toPlainText(),
            plugins_dir=self.plugins_dir.text().strip(),
            item_time_limit_s=self.item_time_limit.value() or None,
            item_memory_limit_mib=self.item_memory_limit.value() or None,
        )
        cfg.python_executable()
        return cfg

    def save(self) -> SystemConfig | None:
        """Validate and save; shows the core's message and returns None when invalid."""
        try:
            cfg = self.config()
            save_system_config(cfg, self.path)
        except ConfigError as exc:
            QtWidgets.QMessageBox.warning(self, "Invalid system configuration", str(exc))
            return None
        except OSError as exc:
            QtWidgets.QMessageBox.critical(self, "System configuration not saved",
                                           f"Cannot write {self.path}: {exc}")
            return None
        self.status.setText(f"Saved in {self.path}. New batch processes use it.")
        self.saved.emit(cfg)
        return cfg
