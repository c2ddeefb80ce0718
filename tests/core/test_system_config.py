"""System configuration: defaults, validation per field, JSON round trip, format_version,
corrupt files, config dir override, thread environment, console history paths."""
import json
import os
import sys
import tempfile
from pathlib import Path

import pytest

from mesmerize.core.errors import ConfigError, FormatVersionError
from mesmerize.core.system_config import (
    SYSTEM_CONFIG_FORMAT_VERSION, SystemConfig, config_dir, console_history_path,
    load_system_config, save_system_config, system_config_path, thread_env,
)


@pytest.fixture(autouse=True)
def cfg_dir(tmp_path, monkeypatch):
    directory = tmp_path / "cfg"
    monkeypatch.setenv("MESMERIZE_CONFIG_DIR", str(directory))
    return directory


def write_raw(cfg_dir, data):
    cfg_dir.mkdir(parents=True, exist_ok=True)
    path = cfg_dir / "system_config.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def test_defaults():
    cfg = SystemConfig()
    assert cfg.max_threads == os.cpu_count()
    assert cfg.python_call == sys.executable
    assert cfg.use_cuda is False
    assert cfg.work_dir == str(Path(tempfile.gettempdir()) / "mesmerize_work")
    assert cfg.pre_run_commands == "" and cfg.plugins_dir == ""


def test_config_dir_env_and_home(cfg_dir, monkeypatch, tmp_path):
    assert config_dir() == cfg_dir
    assert system_config_path() == cfg_dir / "system_config.json"
    monkeypatch.delenv("MESMERIZE_CONFIG_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert config_dir() == tmp_path / "home" / ".mesmerize"
    monkeypatch.setenv("MESMERIZE_CONFIG_DIR", "")
    assert config_dir() == tmp_path / "home" / ".mesmerize"


def test_load_defaults_when_absent(cfg_dir):
    assert load_system_config() == SystemConfig()
    assert not cfg_dir.exists()


def test_round_trip(cfg_dir, tmp_path):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    cfg = SystemConfig(max_threads=1, python_call="python3", use_cuda=True,
                       work_dir=str(tmp_path / "work"),
                       pre_run_commands="source /venv/bin/activate\nexport MKL_NUM_THREADS=1",
                       plugins_dir=str(plugins))
    path = save_system_config(cfg)
    assert path == cfg_dir / "system_config.json"
    stored = json.loads(path.read_text())
    assert stored["format_version"] == SYSTEM_CONFIG_FORMAT_VERSION
    assert load_system_config() == cfg
    assert [p.name for p in cfg_dir.iterdir()] == ["system_config.json"]  # no temp files left


def test_explicit_path(tmp_path):
    path = tmp_path / "elsewhere" / "sys.json"
    save_system_config(SystemConfig(max_threads=1), path)
    assert load_system_config(path).max_threads == 1


def test_missing_fields_take_defaults(cfg_dir):
    write_raw(cfg_dir, {"format_version": 1, "use_cuda": True})
    cfg = load_system_config()
    assert cfg.use_cuda is True and cfg.max_threads == os.cpu_count()


@pytest.mark.parametrize("field, value", [
    ("max_threads", 0), ("max_threads", os.cpu_count() * 4 + 1), ("max_threads", 2.0),
    ("max_threads", True), ("max_threads", "4"), ("python_call", ""), ("python_call", 3),
    ("use_cuda", 1), ("use_cuda", "yes"), ("work_dir", " "), ("work_dir", None),
    ("pre_run_commands", ["a"]), ("plugins_dir", 5), ("plugins_dir", "/no/such/dir/xyz"),
])
def test_invalid_values_name_the_field(cfg_dir, field, value):
    with pytest.raises(ConfigError, match=field):
        SystemConfig(**{field: value})
    path = write_raw(cfg_dir, {"format_version": 1, field: value})
    with pytest.raises(ConfigError, match=field) as info:
        load_system_config()
    assert str(path) in str(info.value)


def test_max_threads_upper_bound_allowed():
    assert SystemConfig(max_threads=os.cpu_count() * 4).max_threads == os.cpu_count() * 4


def test_save_validates_edited_fields(cfg_dir):
    cfg = SystemConfig()
    cfg.max_threads = -1
    with pytest.raises(ConfigError, match="max_threads"):
        save_system_config(cfg)
    assert not (cfg_dir / "system_config.json").exists()


def test_save_keeps_old_file_when_write_fails(cfg_dir, monkeypatch):
    save_system_config(SystemConfig(max_threads=1))
    import mesmerize.core.atomic as atomic

    def broken(path, obj, indent=2):
        with atomic.atomic_open(path) as fh:
            fh.write('{"format_version": 1, "max')
            raise OSError("disk full")

    monkeypatch.setattr("mesmerize.core.system_config.write_json_atomic", broken)
    with pytest.raises(OSError):
        save_system_config(SystemConfig(max_threads=2))
    assert load_system_config().max_threads == 1
    assert [p.name for p in cfg_dir.iterdir()] == ["system_config.json"]


def test_unknown_field(cfg_dir):
    write_raw(cfg_dir, {"format_version": 1, "max_thread": 2})
    with pytest.raises(ConfigError, match="max_thread.*valid fields"):
        load_system_config()


def test_newer_format_version_refused(cfg_dir):
    write_raw(cfg_dir, {"format_version": SYSTEM_CONFIG_FORMAT_VERSION + 1})
    with pytest.raises(FormatVersionError, match="upgrade Mesmerize"):
        load_system_config()


@pytest.mark.parametrize("data", [{}, {"format_version": "1"}, {"format_version": None}])
def test_missing_format_version_refused(cfg_dir, data):
    write_raw(cfg_dir, data)
    with pytest.raises(FormatVersionError, match="format_version"):
        load_system_config()


@pytest.mark.parametrize("text", ["{not json", "", "[1, 2]", "\xff\xfe"])
def test_corrupt_file_names_file_and_fix(cfg_dir, text):
    path = write_raw(cfg_dir, text)
    if text == "\xff\xfe":
        path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(ConfigError) as info:
        load_system_config()
    assert str(path) in str(info.value) and "delete it" in str(info.value)


def test_thread_env():
    env = thread_env(SystemConfig(max_threads=1))
    assert env == {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
                   "OPENBLAS_NUM_THREADS": "1", "NUMBA_NUM_THREADS": "1"}


def test_python_executable():
    assert Path(SystemConfig().python_executable()) == Path(sys.executable)
    with pytest.raises(ConfigError, match="python_call"):
        SystemConfig(python_call="no-such-python-xyz").python_executable()


def test_console_history_path(cfg_dir):
    assert console_history_path("Viewer") == cfg_dir / "console_history" / "viewer.txt"
    assert console_history_path("Project Browser") == \
        cfg_dir / "console_history" / "project_browser.txt"
    assert console_history_path("../../etc") == cfg_dir / "console_history" / "etc.txt"
    with pytest.raises(ConfigError, match="window name"):
        console_history_path(" /// ")
