"""A minimal observer so core models can announce changes without knowing about Qt.

The Qt layer connects slots to these emitters (the napari model/controls split); scripts and tests
can connect plain callables.
"""
from __future__ import annotations

from typing import Any, Callable


class EventEmitter:
    """Calls every connected callback, in connection order, with the emitted arguments."""

    def __init__(self) -> None:
        self._callbacks: list[Callable[..., Any]] = []

    def connect(self, callback: Callable[..., Any]) -> None:
        """Register ``callback``; connecting the same callable twice has no extra effect."""
        if callback not in self._callbacks:
            self._callbacks.append(callback)

    def disconnect(self, callback: Callable[..., Any]) -> None:
        """Unregister ``callback``; unknown callbacks are ignored."""
        if callback in self._callbacks:
            self._callbacks.remove(callback)

    def emit(self, *args: Any, **kwargs: Any) -> None:
        """Call the connected callbacks with ``args`` and ``kwargs``."""
        for callback in list(self._callbacks):
            callback(*args, **kwargs)
