"""Projects: directory layout, configuration, the project DataFrame, samples, filters.

``Project``, ``ProjectConfig`` and ``CustomColumn`` are imported lazily, so importing a
sub-module (e.g. ``mesmerize.core.project.filters``) does not pull in the imaging and ROI
packages that ``Project`` needs.
"""
from mesmerize.lazy_exports import lazy_exports

_EXPORTS = {
    "CustomColumn": "mesmerize.core.project.config",
    "ProjectConfig": "mesmerize.core.project.config",
    "Project": "mesmerize.core.project.project",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
