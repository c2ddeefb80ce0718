"""The pure-Python domain model of Mesmerize (no Qt anywhere below this package).

``from mesmerize.core import ViewerWorkEnv, ImgData`` is the import the user guide's scripts use.
They are resolved on first access so that importing a light module such as
``mesmerize.core.errors`` does not load the imaging stack.
"""
from mesmerize.lazy_exports import lazy_exports

_EXPORTS = {
    "ImgData": "mesmerize.core.imaging.imgdata",
    "ViewerWorkEnv": "mesmerize.core.work_env",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
