"""Mesmerize: calcium imaging analysis from raw movies to publication figures.

``from mesmerize import Transmission`` (the user guide's import) is resolved on first use.
"""
from mesmerize.lazy_exports import lazy_exports

__version__ = "0.1.0"

__getattr__, __dir__ = lazy_exports(__name__, {"Transmission": "mesmerize.analysis.transmission"})
