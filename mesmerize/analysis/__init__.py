"""Flowchart operations as pure functions on Transmissions, and the algorithms they use (no Qt).

``Transmission``, ``HistoryTrace``, ``get_sampling_rate``, ``get_frequency_linspace``,
``get_operation`` and ``list_operations`` are imported lazily.
"""
from mesmerize.lazy_exports import lazy_exports

_EXPORTS = {
    "Transmission": "mesmerize.analysis.transmission",
    "HistoryTrace": "mesmerize.analysis.history_trace",
    "get_sampling_rate": "mesmerize.analysis.sampling",
    "get_frequency_linspace": "mesmerize.analysis.sampling",
    "get_operation": "mesmerize.analysis.registry",
    "list_operations": "mesmerize.analysis.registry",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
