"""Flowchart operations as pure functions on Transmissions, and the algorithms they use (no Qt).

``Transmission``, ``HistoryTrace``, ``get_sampling_rate``, ``get_frequency_linspace``,
``get_operation`` and ``list_operations`` are imported lazily.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

__all__ = ["HistoryTrace", "Transmission", "get_frequency_linspace", "get_operation",
           "get_sampling_rate", "list_operations"]

_EXPORTS = {
    "Transmission": "mesmerize.analysis.transmission",
    "HistoryTrace": "mesmerize.analysis.history_trace",
    "get_sampling_rate": "mesmerize.analysis.sampling",
    "get_frequency_linspace": "mesmerize.analysis.sampling",
    "get_operation": "mesmerize.analysis.registry",
    "list_operations": "mesmerize.analysis.registry",
}


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(list(globals()) + __all__)
