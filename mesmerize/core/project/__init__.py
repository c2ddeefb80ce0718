"""Projects: directory layout, configuration, the project DataFrame, samples, filters.

``Project``, ``ProjectConfig`` and ``CustomColumn`` are imported lazily, so importing a
sub-module (e.g. ``mesmerize.core.project.filters``) does not pull in the imaging and ROI
packages that ``Project`` needs.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["CustomColumn", "Project", "ProjectConfig"]

_EXPORTS = {
    "CustomColumn": "mesmerize.core.project.config",
    "ProjectConfig": "mesmerize.core.project.config",
    "Project": "mesmerize.core.project.project",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
