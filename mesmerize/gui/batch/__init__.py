"""The Batch Manager window over a core ``Batch`` (``mesmerize.core.batch``).

``BatchManagerWindow(batch)``: the window; ``window.api`` is what a Viewer console's
``get_batch_manager()`` returns once ``install_batch_manager(viewer_window, window)`` attached
them. ``install_batch_manager_menu(viewer_window, provider)`` adds Modules -> Batch Manager.
"""
from __future__ import annotations

from mesmerize.gui.batch.api import BatchManagerAPI
from mesmerize.gui.batch.item_list import STATUS_COLORS
from mesmerize.gui.batch.viewer_hooks import (
    install_batch_manager, install_batch_manager_menu, show_batch_manager,
)
from mesmerize.gui.batch.window import BatchManagerWindow

__all__ = ["BatchManagerAPI", "BatchManagerWindow", "STATUS_COLORS", "install_batch_manager",
           "install_batch_manager_menu", "show_batch_manager"]
