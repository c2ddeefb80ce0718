"""Registry of the Viewer's built-in modules (the Modules menu).

Each entry is ``"package.module:ClassName"`` of a ``ViewerModule`` subclass, imported when the
window is built; add a module by appending its entry here.
"""
from __future__ import annotations

import importlib

from mesmerize.gui.viewer.modules.base import ViewerModule

BUILTIN_MODULES: tuple[str, ...] = (
    "mesmerize.gui.viewer.modules.tiff_io:TiffModule",
    "mesmerize.gui.viewer.modules.roi_manager:ROIManagerModule",
    "mesmerize.gui.viewer.modules.stimulus_mapping:StimulusMappingModule",
    "mesmerize.gui.viewer.modules.script_editor:ScriptEditorModule",
    "mesmerize.gui.viewer.modules.caiman_motion_correction:MotionCorrectionModule",
    "mesmerize.gui.viewer.modules.cnmf:CNMFModule",
    "mesmerize.gui.viewer.modules.cnmfe:CNMFEModule",
)


def builtin_module_classes() -> list[type[ViewerModule]]:
    """The classes of ``BUILTIN_MODULES``, in menu order."""
    classes = []
    for entry in BUILTIN_MODULES:
        module_name, class_name = entry.split(":")
        classes.append(getattr(importlib.import_module(module_name), class_name))
    return classes
