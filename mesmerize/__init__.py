"""Mesmerize: calcium imaging analysis from raw movies to publication figures."""

__version__ = "0.1.0"


def __getattr__(name: str):
    """``from mesmerize import Transmission`` (the user guide's import), resolved on first use."""
    if name == "Transmission":
        from mesmerize.analysis.transmission import Transmission

        return Transmission
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
