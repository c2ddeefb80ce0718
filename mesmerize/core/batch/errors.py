"""Exceptions of the batch queue (``mesmerize.core.errors`` has no class for these cases)."""
from __future__ import annotations

from mesmerize.core.errors import MesmerizeError


class BatchError(MesmerizeError):
    """A batch operation cannot be done."""


class BatchPathError(BatchError, ValueError):
    """A batch directory path is invalid (spaces, special characters) or a path is outside it."""


class BatchItemNotFoundError(BatchError, KeyError):
    """No item with the given UUID (or index) exists in the batch."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class EngineUnavailableError(BatchError, ImportError):
    """The engine of an item kind is unknown or cannot be imported in this installation."""


class DependencyError(BatchError):
    """An item is needed by other items (as their input) or its input item has no output."""
