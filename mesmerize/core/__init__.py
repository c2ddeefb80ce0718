"""The pure-Python domain model of Mesmerize (no Qt anywhere below this package).

``from mesmerize.core import ViewerWorkEnv, ImgData`` is the import the user guide's scripts use.
"""
from mesmerize.core.imaging.imgdata import ImgData
from mesmerize.core.work_env import ViewerWorkEnv

__all__ = ["ImgData", "ViewerWorkEnv"]
