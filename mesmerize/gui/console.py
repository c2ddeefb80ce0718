"""Consoles: each window's namespace builder and the embedded qtconsole widget.

DESIGN.md section 6: a window's console namespace is built by one function, used by its embedded
console and its Script Editor, so a script behaves the same wherever it runs.
"""
from __future__ import annotations

import importlib
import json
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ipykernel.inprocess.ipkernel import InProcessInteractiveShell
from qtconsole.inprocess import QtInProcessKernelManager
from qtconsole.rich_jupyter_widget import RichJupyterWidget
from qtpy import QtCore, QtGui, QtWidgets
from traitlets.config import Config

from mesmerize.core.atomic import write_json_atomic
from mesmerize.core.batch.errors import BatchError
from mesmerize.core.errors import FormatVersionError, ImageLoadError
from mesmerize.core.imaging.imgdata import ImgData
from mesmerize.core.system_config import console_history_path
from mesmerize.core.work_env import ViewerWorkEnv

if TYPE_CHECKING:
    from mesmerize.gui.viewer.window import ViewerWindow

log = logging.getLogger(__name__)

HISTORY_FORMAT_VERSION = 1
MAX_HISTORY_ENTRIES = 1000


def build_viewer_namespace(viewer_window: ViewerWindow) -> dict[str, Any]:
    """The Viewer console's namespace: exactly the names of the user guide's Viewer console.

    ``vi`` (ViewerUtils), ``all_modules`` (list of module names), ``ViewerWorkEnv``, ``ImgData``,
    ``get_workEnv()``, ``get_image()``, ``get_meta()``, ``get_module(name, hide=False)``,
    ``get_batch_manager()``, ``update_workEnv()``, ``clear_workEnv()`` and ``image_utils``
    (``mesmerize.core.image_utils``; left out, with a logged warning, when it cannot be imported),
    plus ``viewer`` (``vi.viewer``), which the guide's CNMF/CNMFE scripts pass as
    ``bm.load_item_output(..., viewers=viewer, ...)`` without listing it in the namespace table,
    and ``this``, the window itself, as in every Mesmerize console (guide chapter "Consoles").
    """
    vi = viewer_window.vi

    def get_workEnv() -> ViewerWorkEnv:
        """The current viewer work environment (ViewerWorkEnv)."""
        return vi.viewer.workEnv

    def get_image():
        """The current image sequence, get_workEnv().imgdata.seq, shaped [x, y, t]."""
        imgdata = vi.viewer.workEnv.imgdata
        if imgdata is None:
            raise ImageLoadError("the work environment has no image; load one first (Modules -> "
                                 "Load Images -> Tiff files, or get_module('tiff_io').load_tiff)")
        return imgdata.seq

    def get_meta() -> dict:
        """The current meta data dict ({} when the work environment is empty)."""
        return vi.viewer.workEnv.meta

    def get_batch_manager():
        """The batch manager of this viewer."""
        manager = viewer_window.batch_manager
        if manager is None:
            raise BatchError("no Batch Manager is open for this viewer: open or create a batch "
                             "with Modules -> Batch Manager first")
        return manager

    namespace: dict[str, Any] = {
        "this": viewer_window,
        "vi": vi,
        "viewer": vi.viewer,
        "all_modules": viewer_window.module_names(),
        "ViewerWorkEnv": ViewerWorkEnv,
        "ImgData": ImgData,
        "get_workEnv": get_workEnv,
        "get_image": get_image,
        "get_meta": get_meta,
        "get_module": vi.get_module,
        "get_batch_manager": get_batch_manager,
        "update_workEnv": vi.update_workEnv,
        "clear_workEnv": vi.clear_workEnv,
    }
    try:
        namespace["image_utils"] = importlib.import_module("mesmerize.core.image_utils")
    except ImportError as exc:
        log.warning("image_utils is not available in the Viewer console: %s", exc)
    return namespace


def namespace_banner(namespace: dict[str, Any]) -> str:
    """One line per namespace name with the first line of its docstring."""
    lines = ["Namespace:"]
    for name, value in namespace.items():
        if name == "all_modules":
            doc = "names of the available modules"
        elif name == "vi":
            doc = "ViewerUtils: vi.viewer.workEnv, vi.update_workEnv(), vi.get_module(...)"
        else:
            doc = (getattr(value, "__doc__", None) or "").strip().splitlines()
            doc = doc[0] if doc else ""
        call = "()" if callable(value) and not isinstance(value, type) else ""
        lines.append(f"  {name}{call}: {doc}")
    lines.append("Execute: Shift+Enter; history: Page Up / Page Down\n")
    return "\n".join(lines)


def load_history(path: Path) -> list[str]:
    """Entries of a console history file (``[]`` when absent). ``FormatVersionError`` when the
    file is not a history file or comes from a newer Mesmerize."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return []
    except (OSError, ValueError) as exc:
        raise FormatVersionError(f"console history {path} cannot be read ({exc}); delete it to "
                                 "start a new history") from exc
    version = data.get("format_version") if isinstance(data, dict) else None
    if not isinstance(version, int) or not isinstance(data.get("entries"), list):
        raise FormatVersionError(f"{path} is not a Mesmerize console history (no integer "
                                 "format_version / entries); delete it to start a new history")
    if version > HISTORY_FORMAT_VERSION:
        raise FormatVersionError(f"console history {path} has format_version {version}, newer "
                                 f"than this Mesmerize reads ({HISTORY_FORMAT_VERSION}); "
                                 "upgrade Mesmerize")
    return [str(entry) for entry in data["entries"]]


def save_history(path: Path, entries: list[str]) -> None:
    """Atomically write the last ``MAX_HISTORY_ENTRIES`` entries."""
    write_json_atomic(path, {"format_version": HISTORY_FORMAT_VERSION,
                             "entries": list(entries[-MAX_HISTORY_ENTRIES:])})


class _MesmerizeJupyterWidget(RichJupyterWidget):
    """RichJupyterWidget whose history is the Mesmerize history file, not IPython's database."""

    history_changed = QtCore.Signal()

    def do_execute(self, source, complete, indent):  # noqa: D102 (qtconsole override)
        super().do_execute(source, complete, indent)
        if complete:
            self.history_changed.emit()

    def _handle_history_reply(self, msg) -> None:
        # the kernel's (IPython's) history is not used: it was loaded from ~/.mesmerize
        return


class ConsoleWidget(QtWidgets.QWidget):
    """qtconsole's RichJupyterWidget on an in-process IPython kernel of its own.

    ``namespace`` is pushed into the kernel; the command history is kept in
    ``console_history_path(history_name)`` (under ``~/.mesmerize``) and reloaded on start.
    """

    def __init__(self, namespace: dict[str, Any], history_name: str, banner: str = "",
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        # The in-process shell is a process-wide singleton: dropping the instance gives this
        # console its own shell and namespace, so two windows' consoles never share names.
        InProcessInteractiveShell.clear_instance()
        # IPython's own sqlite history is kept off; the history lives in ~/.mesmerize instead.
        self.kernel_manager = QtInProcessKernelManager(
            config=Config({"HistoryManager": {"hist_file": ":memory:"}}))
        self.kernel_manager.start_kernel(show_banner=False)
        self.kernel_manager.kernel.shell.push(namespace)
        self.kernel_client = self.kernel_manager.client()
        self.kernel_client.start_channels()

        self.history_path = console_history_path(history_name)
        self._history_writable = True
        try:
            history = load_history(self.history_path)
        except FormatVersionError as exc:
            history = []
            self._history_writable = False
            banner = f"{banner}\nHistory not loaded (and not saved): {exc}\n"
        self.rich = _MesmerizeJupyterWidget(parent=self)
        self.rich.banner = banner
        self.rich.kernel_manager = self.kernel_manager
        self.rich.kernel_client = self.kernel_client
        self.rich._set_history(history)
        self.rich.history_changed.connect(self._save_history)
        self.rich._control.installEventFilter(self)
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.rich)

    @property
    def namespace(self) -> dict[str, Any]:
        """The kernel's user namespace."""
        return self.kernel_manager.kernel.shell.user_ns

    def push(self, variables: dict[str, Any]) -> None:
        """Add ``variables`` to the namespace."""
        self.kernel_manager.kernel.shell.push(variables)

    def execute(self, source: str) -> None:
        """Run ``source`` in the console as if typed (shown, output printed, kept in history)."""
        self._wait_for_reply()
        self.rich.execute(source, hidden=False)
        self._wait_for_reply()

    def _wait_for_reply(self, timeout_s: float = 10.0) -> None:
        # The in-process kernel runs the code at once, but the widget takes the reply from the
        # event loop; a second execute before that would leave its text in the input line.
        deadline = time.monotonic() + timeout_s
        while self.rich._executing and time.monotonic() < deadline:
            QtCore.QCoreApplication.processEvents(QtCore.QEventLoop.AllEvents, 50)

    @property
    def history(self) -> list[str]:
        """Executed entries, oldest first (loaded ones included)."""
        return list(self.rich._history)

    def _save_history(self) -> None:
        if self._history_writable:
            try:
                save_history(self.history_path, self.history)
            except OSError as exc:
                log.warning("console history not saved to %s: %s", self.history_path, exc)

    def eventFilter(self, obj: QtCore.QObject, event: QtCore.QEvent) -> bool:  # noqa: N802
        if event.type() == QtCore.QEvent.KeyPress and obj is self.rich._control:
            if event.key() == QtCore.Qt.Key_PageUp:
                self.rich.history_previous()
                return True
            if event.key() == QtCore.Qt.Key_PageDown:
                self.rich.history_next()
                return True
            if (event.key() in (QtCore.Qt.Key_Return, QtCore.Qt.Key_Enter)
                    and event.modifiers() == QtCore.Qt.NoModifier):
                # the guide's keys: Enter adds a line (qtconsole's Ctrl+Enter), Shift+Enter runs
                QtWidgets.QApplication.sendEvent(obj, QtGui.QKeyEvent(
                    QtCore.QEvent.KeyPress, event.key(), QtCore.Qt.ControlModifier))
                return True
        return super().eventFilter(obj, event)

    def shutdown(self) -> None:
        """Stop the kernel channels and the kernel's IOPub thread (call when the window closes;
        each open kernel keeps a thread, so windows opened and closed all day add up)."""
        self.kernel_client.stop_channels()
        self.kernel_manager.shutdown_kernel()

