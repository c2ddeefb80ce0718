"""The pure-Python domain model of Mesmerize (no Qt anywhere below this package).

``from mesmerize.core import ViewerWorkEnv, ImgData`` is the import the user guide's scripts use.
They are resolved on first access so that importing a light module such as
``mesmerize.core.errors`` does not load the imaging stack.
"""
from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "ImgData": "mesmerize.core.imaging.imgdata",
    "ViewerWorkEnv": "mesmerize.core.work_env",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mesmerize.core' has no attribute {name!r}")
