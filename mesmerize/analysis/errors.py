"""Exceptions of the analysis layer (Transmissions, HistoryTrace, .trn files).

They subclass ``mesmerize.core.errors.MesmerizeError`` and the builtin a caller would catch.
Parameter problems of an operation raise ``mesmerize.core.errors.ParameterError``.
"""
from mesmerize.core.errors import MesmerizeError


class TransmissionError(MesmerizeError, ValueError):
    """A Transmission's DataFrame cannot be used as asked (missing column, unsupported values)."""


class TransmissionFileExistsError(MesmerizeError, FileExistsError):
    """Saving a Transmission would overwrite an existing file."""


class DataBlockNotFoundError(MesmerizeError, KeyError):
    """A data block UUID is not in the HistoryTrace."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class OperationNotFoundError(MesmerizeError, KeyError):
    """An operation was never applied to the given data block."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
