"""System configuration (Welcome Window -> Configuration -> System Configuration).

Stored per user as ``config_dir()/system_config.json`` (JSON with ``format_version``).
``config_dir()`` is ``~/.mesmerize`` unless the environment variable ``MESMERIZE_CONFIG_DIR``
names another directory; the consoles keep their command history there too.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Mapping

from mesmerize.core.atomic import PathLike, write_json_atomic
from mesmerize.core.errors import ConfigError, FormatVersionError

__all__ = [
    "SYSTEM_CONFIG_FORMAT_VERSION", "SystemConfig", "config_dir", "system_config_path",
    "load_system_config", "save_system_config", "thread_env", "console_history_path",
]

SYSTEM_CONFIG_FORMAT_VERSION = 1
CONFIG_DIR_ENV = "MESMERIZE_CONFIG_DIR"
THREAD_ENV_VARS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS",
                   "NUMBA_NUM_THREADS")


def _cpu_count() -> int:
    return os.cpu_count() or 1


def default_work_dir() -> str:
    """``<system temp dir>/mesmerize_work``."""
    return str(Path(tempfile.gettempdir()) / "mesmerize_work")


@dataclass
class SystemConfig:
    """Per-user settings; invalid values raise ``ConfigError`` naming the field.

    max_threads: threads Mesmerize may use (batch subprocesses, flowchart, viewer),
        1 .. 4 x CPU count. python_call: interpreter for batch subprocesses (default: the
        running one, so they see the same environment). use_cuda: GPU acceleration where
        available. work_dir: directory for temporary files. pre_run_commands: shell lines run
        before each batch subprocess. plugins_dir: "" (none) or an existing directory.
        item_time_limit_s: seconds a batch item may run before it is stopped and marked failed
        (None: no limit). item_memory_limit_mib: MiB of resident memory (RSS, the item's whole
        process tree) a batch item may use before it is stopped and marked failed (None: no
        limit). Both apply to items run by the Batch Manager on this machine, not on SLURM.
    """

    max_threads: int = field(default_factory=_cpu_count)
    python_call: str = field(default_factory=lambda: sys.executable)
    use_cuda: bool = False
    work_dir: str = field(default_factory=default_work_dir)
    pre_run_commands: str = ""
    plugins_dir: str = ""
    item_time_limit_s: float | None = None
    item_memory_limit_mib: int | None = None

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> None:
        """Check every field; raises ``ConfigError`` naming the first invalid one and the fix."""
        limit = _cpu_count() * 4
        if type(self.max_threads) is not int or not 1 <= self.max_threads <= limit:
            raise ConfigError(f"max_threads must be a whole number from 1 to {limit} "
                              f"(4 x CPU count), got {self.max_threads!r}")
        for name in ("python_call", "work_dir"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value.strip():
                raise ConfigError(f"{name} must be non-empty text, got {value!r}")
        if type(self.use_cuda) is not bool:
            raise ConfigError(f"use_cuda must be true or false, got {self.use_cuda!r}")
        if not isinstance(self.pre_run_commands, str):
            raise ConfigError(f"pre_run_commands must be text (shell lines), "
                              f"got {self.pre_run_commands!r}")
        if not isinstance(self.plugins_dir, str):
            raise ConfigError(f"plugins_dir must be text (a directory path or empty), "
                              f"got {self.plugins_dir!r}")
        time_limit = self.item_time_limit_s
        if time_limit is not None and (isinstance(time_limit, bool) or not isinstance(
                time_limit, (int, float)) or not 0 < time_limit < float("inf")):
            raise ConfigError(f"item_time_limit_s must be a number of seconds > 0, or null for no "
                              f"limit, got {time_limit!r}")
        memory_limit = self.item_memory_limit_mib
        if memory_limit is not None and (type(memory_limit) is not int or memory_limit < 1):
            raise ConfigError(f"item_memory_limit_mib must be a whole number of MiB >= 1, or null "
                              f"for no limit, got {memory_limit!r}")
        if self.plugins_dir and not Path(self.plugins_dir).expanduser().is_dir():
            raise ConfigError(f"plugins_dir {self.plugins_dir!r} is not an existing directory; "
                              f"set it to your plugins directory or leave it empty")

    def python_executable(self) -> str:
        """Absolute path of ``python_call`` (looked up on PATH); ``ConfigError`` if not found."""
        found = shutil.which(os.path.expanduser(self.python_call))
        if found is None:
            raise ConfigError(f"python_call {self.python_call!r} is not an executable found on "
                              f"PATH; set it to a Python interpreter, e.g. {sys.executable!r}")
        return found

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict including ``format_version``."""
        return {"format_version": SYSTEM_CONFIG_FORMAT_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "system configuration"
                  ) -> SystemConfig:
        """Build from a stored dict; missing fields take their defaults.

        Raises ``FormatVersionError`` for a missing or newer ``format_version`` and
        ``ConfigError`` for unknown fields or invalid values.
        """
        version = data.get("format_version")
        if type(version) is not int:
            raise FormatVersionError(f"{source} has no integer format_version (got {version!r}); "
                                     f"it is not a Mesmerize system configuration file")
        if version > SYSTEM_CONFIG_FORMAT_VERSION:
            raise FormatVersionError(
                f"{source} has format_version {version}, newer than the "
                f"{SYSTEM_CONFIG_FORMAT_VERSION} this Mesmerize understands; upgrade Mesmerize")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known - {"format_version"})
        if unknown:
            raise ConfigError(f"{source} has unknown field(s) {', '.join(unknown)}; valid fields: "
                              f"{', '.join(sorted(known))}. Remove them")
        try:
            return cls(**{k: v for k, v in data.items() if k in known})
        except ConfigError as exc:
            raise ConfigError(f"{source}: {exc}") from exc


def config_dir() -> Path:
    """``$MESMERIZE_CONFIG_DIR`` when set (non-empty), else ``~/.mesmerize``; not created here."""
    env = os.environ.get(CONFIG_DIR_ENV, "").strip()
    return Path(env).expanduser() if env else Path.home() / ".mesmerize"


def system_config_path() -> Path:
    """``config_dir()/system_config.json``."""
    return config_dir() / "system_config.json"


def load_system_config(path: PathLike | None = None) -> SystemConfig:
    """Read the configuration (default: ``system_config_path()``); defaults when absent."""
    file = Path(path) if path is not None else system_config_path()
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return SystemConfig()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read the system configuration {file}: {exc}. Fix the file or "
                          f"delete it to go back to the defaults") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"The system configuration {file} is not valid JSON ({exc}); fix the "
                          f"file or delete it to go back to the defaults") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"The system configuration {file} must hold a JSON object, not "
                          f"{type(data).__name__}; fix the file or delete it to go back to the "
                          f"defaults")
    return SystemConfig.from_dict(data, source=str(file))


def save_system_config(cfg: SystemConfig, path: PathLike | None = None) -> Path:
    """Validate and atomically write ``cfg`` (default: ``system_config_path()``).

    Returns the path written.
    """
    cfg.validate()
    file = Path(path) if path is not None else system_config_path()
    write_json_atomic(file, cfg.to_dict())
    return file


def thread_env(cfg: SystemConfig) -> dict[str, str]:
    """Environment variables that cap BLAS/OpenMP/numba threads of a subprocess at max_threads."""
    return {name: str(cfg.max_threads) for name in THREAD_ENV_VARS}


def console_history_path(window_name: str) -> Path:
    """``config_dir()/console_history/<window>.txt`` for a window name such as "Viewer"."""
    slug = re.sub(r"[^a-z0-9]+", "_", str(window_name).lower()).strip("_")
    if not slug:
        raise ConfigError(f"A console history needs a window name with letters or digits, got "
                          f"{window_name!r}")
    return config_dir() / "console_history" / f"{slug}.txt"
