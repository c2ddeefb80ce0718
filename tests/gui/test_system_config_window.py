"""System Configuration window: shows the saved values, saves valid ones through the core,
refuses invalid ones with the core's message."""
from __future__ import annotations

import json
import sys

import pytest
from qtpy import QtWidgets
from qtpy.QtCore import Qt

from mesmerize.core.system_config import (
    SystemConfig, load_system_config, save_system_config, system_config_path,
)
from mesmerize.gui.system_config_window import SystemConfigWindow


@pytest.fixture
def messages(monkeypatch):
    shown: list[tuple[str, str]] = []

    def record(parent, title, text, *args, **kwargs):
        shown.append((title, text))
        return QtWidgets.QMessageBox.Ok

    monkeypatch.setattr(QtWidgets.QMessageBox, "warning", staticmethod(record))
    monkeypatch.setattr(QtWidgets.QMessageBox, "critical", staticmethod(record))
    return shown


def make_window(qtbot, path=None):
    window = SystemConfigWindow(path)
    qtbot.addWidget(window)
    window.show()
    return window


def click(qtbot, window, text):
    button = next(b for b in window.findChildren(QtWidgets.QPushButton) if b.text() == text)
    qtbot.mouseClick(button, Qt.LeftButton)


def test_shows_saved_values_and_saves_edits(qtbot, tmp_path, config_dir, messages, monkeypatch):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    save_system_config(SystemConfig(max_threads=1, use_cuda=False, pre_run_commands="a",
                                    item_memory_limit_mib=2048))
    window = make_window(qtbot)
    assert window.path == system_config_path() and window.path.parent == config_dir
    assert window.max_threads.value() == 1 and window.pre_run_commands.toPlainText() == "a"
    assert window.item_memory_limit.value() == 2048
    assert window.item_time_limit.text() == "No limit"
    window.item_time_limit.setValue(3600)
    window.max_threads.setValue(2)
    window.python_call.setText(sys.executable)
    window.use_cuda.setChecked(True)
    monkeypatch.setattr(QtWidgets.QFileDialog, "getExistingDirectory",
                        staticmethod(lambda *a, **k: str(tmp_path / "work")))
    click(qtbot, window, "Browse…")  # the work dir's button comes first
    assert window.work_dir.text() == str(tmp_path / "work")
    window.pre_run_commands.setPlainText("source /venv/bin/activate\nexport MKL_NUM_THREADS=1")
    window.plugins_dir.setText(str(plugins))
    window.grab().save("/tmp/system_configuration.png")
    with qtbot.waitSignal(window.saved, timeout=1000) as blocker:
        click(qtbot, window, "Save")
    assert messages == []
    saved = load_system_config()
    assert saved == blocker.args[0]
    assert saved == SystemConfig(max_threads=2, python_call=sys.executable, use_cuda=True,
                                 work_dir=str(tmp_path / "work"),
                                 pre_run_commands="source /venv/bin/activate\n"
                                                  "export MKL_NUM_THREADS=1",
                                 plugins_dir=str(plugins), item_time_limit_s=3600.0,
                                 item_memory_limit_mib=2048)
    assert json.loads(system_config_path().read_text())["format_version"] == 1


def test_thread_limit_follows_the_core(qtbot):
    window = make_window(qtbot)
    window.max_threads.setValue(10 ** 6)
    SystemConfig(max_threads=window.max_threads.value())  # the maximum is valid
    window.max_threads.setValue(0)
    assert window.max_threads.value() == 1


@pytest.mark.parametrize("field, value, needle", [
    ("plugins_dir", "/no/such/plugins", "plugins_dir"),
    ("python_call", "no-such-python-3.99", "python_call"),
    ("work_dir", "  ", "work_dir"),
])
def test_invalid_values_are_refused_with_the_core_message(qtbot, messages, field, value, needle):
    window = make_window(qtbot)
    getattr(window, field).setText(value)
    click(qtbot, window, "Save")
    assert len(messages) == 1 and needle in messages[0][1]
    assert not system_config_path().exists()


def test_unreadable_file_is_reported_and_defaults_shown(qtbot, config_dir):
    config_dir.mkdir(parents=True)
    system_config_path().write_text("{not json")
    window = make_window(qtbot)
    assert "not valid JSON" in window.status.text()
    assert window.max_threads.value() == SystemConfig().max_threads
