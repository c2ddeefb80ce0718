"""The interface every Viewer module (built-in or plugin) implements.

A module is a ``ViewerModule`` subclass (a QWidget) with three class attributes:

- ``name``: the key of ``get_module(name)`` (``"tiff_io"``, ``"roi_manager"``...), unique;
- ``title``: the dock window title and the Modules/Plugins menu entry;
- ``menu_path``: optional sub-menu names above the entry (``("Load Images",)``).

It is constructed as ``Module(vi)`` where ``vi`` is the window's ``ViewerUtils``; the work
environment is ``vi.viewer.workEnv``. ``on_work_env_changed(work_env)`` is called after every
``update_workEnv()`` (a new or modified work environment) and once after construction.
``api`` is the object ``get_module(name)`` returns to scripts: the module itself unless a module
overrides it. ``shutdown()`` runs when the window closes.

Plugins: a plugin is a ``.py`` file in the System Configuration's plugins directory that
defines one or more ``ViewerModule`` subclasses (imported from
``mesmerize.gui.viewer.modules.base``); each appears in the Viewer's Plugins menu. Example::

    from qtpy import QtWidgets
    from mesmerize.gui.viewer.modules.base import ViewerModule

    class FrameCounter(ViewerModule):
        name = "frame_counter"
        title = "Frame counter"

        def __init__(self, vi):
            super().__init__(vi)
            self.label = QtWidgets.QLabel(self)
            QtWidgets.QVBoxLayout(self).addWidget(self.label)

        def on_work_env_changed(self, work_env):
            n = 0 if work_env.is_empty else work_env.imgdata.n_frames
            self.label.setText(f"{n} frames")
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable

from qtpy import QtWidgets

if TYPE_CHECKING:
    from mesmerize.core.work_env import ViewerWorkEnv
    from mesmerize.gui.viewer.viewer_utils import ViewerUtils


class ViewerModule(QtWidgets.QWidget):
    """Base class of Viewer modules; see the module docstring for the interface."""

    name: str = ""
    title: str = ""
    menu_path: tuple[str, ...] = ()

    def __init__(self, vi: ViewerUtils, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.vi = vi
        self._bindings: list[tuple[Any, Callable[..., Any]]] = []

    @property
    def api(self) -> Any:
        """The object ``get_module(name)`` returns; the module itself by default."""
        return self

    def on_work_env_changed(self, work_env: ViewerWorkEnv) -> None:
        """Show ``work_env`` (called after every ``update_workEnv()``)."""

    def bind(self, emitter: Any, callback: Callable[..., Any]) -> None:
        """Connect ``callback`` to a core ``EventEmitter`` until ``unbind_all()``."""
        emitter.connect(callback)
        self._bindings.append((emitter, callback))

    def unbind_all(self) -> None:
        """Disconnect everything connected with ``bind`` (before binding a new work env)."""
        for emitter, callback in self._bindings:
            emitter.disconnect(callback)
        self._bindings.clear()

    def shutdown(self) -> None:
        """Release resources when the Viewer closes."""
        self.unbind_all()
