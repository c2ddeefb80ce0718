"""Connecting Viewer windows to a Batch Manager window.

``install_batch_manager(viewer, bm_window)`` makes the Viewer console's ``get_batch_manager()``
return ``bm_window.api``; ``install_batch_manager_menu(viewer, provider)`` adds
Modules -> Batch Manager, which shows the (shared) window and attaches the Viewer to it.
"""
from __future__ import annotations

from typing import Any, Callable

from qtpy import QtWidgets

from mesmerize.gui.batch.window import BatchManagerWindow


def install_batch_manager(viewer_window: Any, batch_manager_window: BatchManagerWindow) -> None:
    """Attach a Viewer to a Batch Manager: the Viewer console's ``get_batch_manager()`` returns
    its API, ``process_batch(clear_viewers=True)`` clears this Viewer, and double-clicking a
    finished item (or View Input) loads into the first attached Viewer."""
    viewer_window.batch_manager = batch_manager_window.api
    if viewer_window not in batch_manager_window.viewers:
        batch_manager_window.viewers.append(viewer_window)
        viewer_window.destroyed.connect(
            lambda *_: _forget_viewer(batch_manager_window, viewer_window))


def _forget_viewer(batch_manager_window: BatchManagerWindow, viewer_window: Any) -> None:
    if viewer_window in batch_manager_window.viewers:
        batch_manager_window.viewers.remove(viewer_window)


def show_batch_manager(viewer_window: Any, batch_manager_window: BatchManagerWindow
                       ) -> BatchManagerWindow:
    """Attach ``viewer_window``, show the Batch Manager, and ask for a batch when none is open
    (the guide: "you will be prompted with a dialog to open a batch or ... a new batch")."""
    install_batch_manager(viewer_window, batch_manager_window)
    batch_manager_window.show()
    batch_manager_window.raise_()
    batch_manager_window.activateWindow()
    if batch_manager_window.batch is None:
        batch_manager_window.ask_for_batch()
    return batch_manager_window


def install_batch_manager_menu(viewer_window: Any,
                               batch_manager_provider: Callable[[], BatchManagerWindow]
                               ) -> QtWidgets.QAction:
    """Add Modules -> Batch Manager to ``viewer_window``; ``batch_manager_provider()`` returns
    the Batch Manager window to show (one shared by all Viewers of the application)."""
    action = viewer_window.menu_modules.addAction("Batch Manager")
    action.triggered.connect(
        lambda *_: show_batch_manager(viewer_window, batch_manager_provider()))
    return action
