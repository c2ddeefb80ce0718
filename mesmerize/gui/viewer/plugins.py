"""Find Viewer plugin modules: ``.py`` files in the plugins directory defining ``ViewerModule``
subclasses (interface documented in ``modules/base.py``)."""
from __future__ import annotations

import hashlib
import importlib.util
import inspect
import sys
from pathlib import Path

from mesmerize.gui.viewer.modules.base import ViewerModule


def _import_file(path: Path):
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    module_name = f"mesmerize_plugin_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[module_name]
        raise
    return module


def discover_plugins(plugins_dir: str | Path) -> tuple[list[type[ViewerModule]], list[str]]:
    """Import every ``*.py`` file of ``plugins_dir`` (sorted by name, ``_``-prefixed skipped).

    Returns ``(module_classes, problems)``: the ``ViewerModule`` subclasses defined in those
    files that have a ``name`` and ``title``, and one message per file that failed to import or
    class that lacks them. An empty ``plugins_dir`` gives ``([], [])``.
    """
    if not plugins_dir:
        return [], []
    directory = Path(plugins_dir).expanduser()
    if not directory.is_dir():
        return [], [f"plugins directory {directory} does not exist; fix it in the System "
                    "Configuration"]
    classes: list[type[ViewerModule]] = []
    problems: list[str] = []
    for path in sorted(directory.glob("*.py")):
        if path.name.startswith("_"):
            continue
        try:
            module = _import_file(path)
        except Exception as exc:  # a broken plugin must not stop the Viewer from opening
            problems.append(f"plugin {path.name} failed to import: {type(exc).__name__}: {exc}")
            continue
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if not issubclass(obj, ViewerModule) or obj is ViewerModule:
                continue
            if obj.__module__ != module.__name__:
                continue
            if not obj.name or not obj.title:
                problems.append(f"plugin {path.name}: class {obj.__name__} needs the class "
                                "attributes 'name' (for get_module) and 'title' (menu entry)")
                continue
            classes.append(obj)
    return classes, problems
