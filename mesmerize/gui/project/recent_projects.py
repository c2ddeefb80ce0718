"""The Welcome Window's recent-projects list, stored in ``config_dir()/recent_projects.json``.

Qt-free: ``{"format_version": 1, "projects": ["/abs/path", ...]}``, most recent first, at
most ``MAX_RECENT_PROJECTS`` entries, written atomically.
"""
from __future__ import annotations

import json
from pathlib import Path

from mesmerize.core.atomic import PathLike, write_json_atomic
from mesmerize.core.errors import ConfigError, FormatVersionError
from mesmerize.core.project.layout import CONFIG_FILE
from mesmerize.core.system_config import config_dir

RECENT_PROJECTS_FORMAT_VERSION = 1
MAX_RECENT_PROJECTS = 15

__all__ = [
    "MAX_RECENT_PROJECTS", "recent_projects_path", "load_recent_projects", "add_recent_project",
    "remove_recent_project", "looks_like_project",
]


def recent_projects_path() -> Path:
    """``config_dir()/recent_projects.json``."""
    return config_dir() / "recent_projects.json"


def looks_like_project(path: PathLike) -> bool:
    """True when ``path`` is a directory holding a project ``config.json``."""
    return (Path(path) / CONFIG_FILE).is_file()


def load_recent_projects(path: PathLike | None = None) -> list[str]:
    """The stored project paths, most recent first; ``[]`` when the file does not exist.

    Raises ``ConfigError`` for an unreadable or malformed file and ``FormatVersionError`` for
    one written by a newer Mesmerize.
    """
    file = Path(path) if path is not None else recent_projects_path()
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise ConfigError(f"Cannot read the recent projects list {file}: {exc}. Delete the file "
                          f"to start a new list") from exc
    if not isinstance(data, dict) or type(data.get("format_version")) is not int:
        raise FormatVersionError(f"{file} has no integer format_version; it is not a Mesmerize "
                                 f"recent projects list. Delete the file to start a new list")
    if data["format_version"] > RECENT_PROJECTS_FORMAT_VERSION:
        raise FormatVersionError(
            f"{file} has format_version {data['format_version']}, newer than the "
            f"{RECENT_PROJECTS_FORMAT_VERSION} this Mesmerize understands; upgrade Mesmerize")
    projects = data.get("projects")
    if not isinstance(projects, list) or not all(isinstance(p, str) for p in projects):
        raise ConfigError(f"{file}: 'projects' must be a list of paths, got {projects!r}. "
                          f"Delete the file to start a new list")
    return projects[:MAX_RECENT_PROJECTS]


def _save(projects: list[str], path: PathLike | None) -> None:
    file = Path(path) if path is not None else recent_projects_path()
    write_json_atomic(file, {"format_version": RECENT_PROJECTS_FORMAT_VERSION,
                             "projects": projects[:MAX_RECENT_PROJECTS]})


def add_recent_project(project_dir: PathLike, path: PathLike | None = None) -> list[str]:
    """Move ``project_dir`` (made absolute) to the top of the list and save it; returns the list.

    Raises like ``load_recent_projects`` (an unreadable list is never overwritten).
    """
    entry = str(Path(project_dir).absolute())
    projects = load_recent_projects(path)
    projects = [entry, *(p for p in projects if p != entry)]
    _save(projects, path)
    return projects[:MAX_RECENT_PROJECTS]


def remove_recent_project(project_dir: PathLike, path: PathLike | None = None) -> list[str]:
    """Remove ``project_dir`` from the list and save it; returns the list."""
    entry = str(Path(project_dir).absolute())
    projects = [p for p in load_recent_projects(path) if p != entry]
    _save(projects, path)
    return projects
