"""The Batch Manager window: a view over a core ``Batch`` and the ``BatchRunner`` processing it.

Layout (the guide's "Batch Manager" chapter): title = batch directory name; top = its parent
directory; top left = controls and the item list coloured by status; top right = standard out
of the item processes; bottom left = the selected item's parameters (first line its UUID);
bottom right = its output information; a progress bar under the list.
"""
from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path
from typing import Any, Callable

from qtpy import QtCore, QtGui, QtWidgets

from mesmerize.core.batch import Batch, BatchRunner, RunnerSettings
from mesmerize.core.batch.errors import BatchError, DependencyError
from mesmerize.core.batch.item import FINISHED
from mesmerize.core.errors import MesmerizeError, ParameterError
from mesmerize.gui.batch.item_output import input_work_env
from mesmerize.gui.batch.item_list import UUID_ROLE, BatchItemList
from mesmerize.gui.batch.item_text import output_text, params_text
from mesmerize.gui.batch.runner_bridge import RunnerBridge

ItemOpener = Callable[[Batch, str], Any]

POLL_INTERVAL_MS = 500
"""How often the items table is checked for writes by the item processes."""

MAX_OUTPUT_LINES = 20000


class BatchManagerWindow(QtWidgets.QMainWindow):
    """The Batch Manager over ``batch`` (None: no batch open until New/Open batch).

    ``runner_settings``: subprocess settings (default: the System Configuration's).
    ``output_opener(batch, uuid)``: called when a finished item is double-clicked (default:
    ``api.load_item_output`` into the first attached Viewer). ``input_opener(batch, uuid)``:
    "View Input" (default: the input movie into the first attached Viewer). ``api`` is the
    console object
    (``get_batch_manager()``); ``viewers`` the Viewer windows attached by
    ``install_batch_manager``.
    """

    def __init__(self, batch: Batch | None = None, runner_settings: RunnerSettings | None = None,
                 output_opener: ItemOpener | None = None, input_opener: ItemOpener | None = None,
                 parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        from mesmerize.gui.batch.api import BatchManagerAPI

        self.resize(1100, 750)
        self.batch: Batch | None = None
        self.runner: BatchRunner | None = None
        self.runner_settings = runner_settings
        self.output_opener = output_opener
        self.input_opener = input_opener
        self.viewers: list[Any] = []
        self.last_error: str | None = None
        self.api = BatchManagerAPI(self)
        self._bridge = RunnerBridge(self)
        queued = QtCore.Qt.QueuedConnection
        self._bridge.output.connect(self._on_output, queued)
        self._bridge.progress.connect(self._on_progress, queued)
        self._bridge.item_finished.connect(self._on_item_finished, queued)
        self._bridge.run_finished.connect(self._on_run_finished, queued)
        self._bridge.batch_changed.connect(self._schedule_refresh, queued)
        self._refresh_pending = False
        self._stream_uuid: str | None = None
        self._build_ui()
        self._poll_timer = QtCore.QTimer(self)
        self._poll_timer.setInterval(POLL_INTERVAL_MS)
        self._poll_timer.timeout.connect(self._poll)
        if batch is not None:
            self.set_batch(batch)
        else:
            self._show_batch_state()

    # ---- layout ---------------------------------------------------------------------------

    def _button(self, text: str, tooltip: str, slot: Callable[[], Any]) -> QtWidgets.QPushButton:
        button = QtWidgets.QPushButton(text, self)
        button.setToolTip(tooltip)
        button.clicked.connect(lambda *_: slot())
        return button

    def _build_ui(self) -> None:
        self.parent_label = QtWidgets.QLabel(self)
        self.parent_label.setTextInteractionFlags(QtCore.Qt.TextSelectableByMouse)

        self.start_button = self._button("Start", "Process the batch from the first item",
                                         self._start_clicked)
        self.start_at_selection_button = self._button(
            "Start at selection", "Process the batch from the selected item",
            self._start_at_selection_clicked)
        self.delete_button = self._button(
            "Delete selection", "Delete the selected item and its data in the batch dir",
            self._delete_clicked)
        self.export_button = self._button(
            "Export shell scripts", "Write bash scripts that run the items on a computing "
            "cluster", self._export_clicked)
        self.abort_button = self._button("Abort", "Abort the current batch item",
                                         self.abort)
        self.new_batch_button = self._button("New batch", "Create a new batch",
                                             self._new_batch_clicked)
        self.open_batch_button = self._button("Open batch", "Open a batch",
                                              self._open_batch_clicked)
        self.view_input_button = self._button(
            "View Input", "Open the input work environment of the selected item in the viewer",
            self._view_input_clicked)
        self.use_work_dir_check = QtWidgets.QCheckBox("Use work dir", self)
        self.use_work_dir_check.setToolTip(
            "Process items in the work dir of the System Configuration, then move the output "
            "into the batch dir")

        buttons = QtWidgets.QGridLayout()
        for i, button in enumerate((
                self.start_button, self.start_at_selection_button, self.delete_button,
                self.export_button, self.abort_button, self.new_batch_button,
                self.open_batch_button, self.view_input_button)):
            buttons.addWidget(button, i // 2, i % 2)
        buttons.addWidget(self.use_work_dir_check, 4, 0, 1, 2)

        self.item_list = BatchItemList(self)
        self.item_list.currentItemChanged.connect(lambda *_: self._show_selected())
        self.item_list.itemDoubleClicked.connect(self._on_item_double_clicked)
        self.progress_bar = QtWidgets.QProgressBar(self)
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("idle")
        self.progress_bar.setTextVisible(True)

        left = QtWidgets.QWidget(self)
        left_layout = QtWidgets.QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.item_list, 1)
        left_layout.addWidget(self.progress_bar)

        self.stdout_text = self._text_panel("Standard out of the item processes")
        self.stdout_text.setMaximumBlockCount(MAX_OUTPUT_LINES)
        self.params_text = self._text_panel("Parameters of the selected item")
        self.output_text = self._text_panel("Output information of the selected item")

        top = QtWidgets.QSplitter(QtCore.Qt.Horizontal, self)
        top.addWidget(left)
        top.addWidget(self._titled("Standard out", self.stdout_text))
        top.setStretchFactor(0, 2)
        top.setStretchFactor(1, 3)
        bottom = QtWidgets.QSplitter(QtCore.Qt.Horizontal, self)
        bottom.addWidget(self._titled("Item parameters", self.params_text))
        bottom.addWidget(self._titled("Output information", self.output_text))
        self.splitter = QtWidgets.QSplitter(QtCore.Qt.Vertical, self)
        self.splitter.addWidget(top)
        self.splitter.addWidget(bottom)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)

        central = QtWidgets.QWidget(self)
        layout = QtWidgets.QVBoxLayout(central)
        layout.addWidget(self.parent_label)
        layout.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

    def _text_panel(self, tooltip: str) -> QtWidgets.QPlainTextEdit:
        panel = QtWidgets.QPlainTextEdit(self)
        panel.setReadOnly(True)
        panel.setToolTip(tooltip)
        panel.setLineWrapMode(QtWidgets.QPlainTextEdit.NoWrap)
        panel.setFont(QtGui.QFontDatabase.systemFont(QtGui.QFontDatabase.FixedFont))
        return panel

    def _titled(self, title: str, widget: QtWidgets.QWidget) -> QtWidgets.QWidget:
        box = QtWidgets.QWidget(self)
        layout = QtWidgets.QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QtWidgets.QLabel(f"<b>{title}</b>", box))
        layout.addWidget(widget, 1)
        return box

    # ---- batch ----------------------------------------------------------------------------

    def get_batch(self) -> Batch:
        """The open batch; ``BatchError`` when none is open."""
        if self.batch is None:
            raise BatchError("No batch is open: create one with New batch or open one with "
                             "Open batch.")
        return self.batch

    def set_batch(self, batch: Batch) -> None:
        """Show ``batch`` (refused while the current batch is being processed)."""
        if self.is_running:
            raise BatchError("The current batch is being processed; abort it or wait until it "
                             "has finished before switching batches.")
        if self.batch is not None:
            self._bridge.detach_batch(self.batch)
        self.batch = batch
        self._bridge.attach_batch(batch)
        self.stdout_text.clear()
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("idle")
        self._poll_timer.start()
        self._show_batch_state()

    def open_batch(self, path: str | os.PathLike) -> Batch:
        """Open the batch in ``path`` (``BatchPathError`` / ``BatchError`` when invalid)."""
        batch = Batch.open(path)
        self.set_batch(batch)
        return batch

    def new_batch(self, path: str | os.PathLike) -> Batch:
        """Create an empty batch in ``path`` and show it."""
        if self.is_running:
            raise BatchError("The current batch is being processed; abort it or wait until it "
                             "has finished before creating a new batch.")
        batch = Batch.create(path)
        self.set_batch(batch)
        return batch

    @property
    def is_running(self) -> bool:
        """True while a run started from this window is processing items."""
        return self.runner is not None and self.runner.is_running

    def _show_batch_state(self) -> None:
        if self.batch is None:
            self.setWindowTitle("Batch Manager")
            self.parent_label.setText("No batch open: create one with New batch or open one "
                                      "with Open batch.")
        else:
            self.setWindowTitle(f"Batch Manager - {self.batch.name}")
            self.parent_label.setText(str(self.batch.path.parent))
            self.parent_label.setToolTip(str(self.batch.path))
        self.refresh_items()

    # ---- item list ------------------------------------------------------------------------

    def _schedule_refresh(self) -> None:
        if not self._refresh_pending:
            self._refresh_pending = True
            QtCore.QTimer.singleShot(0, self._refresh_if_pending)

    def _refresh_if_pending(self) -> None:
        if self._refresh_pending:
            self.refresh_items()

    def _poll(self) -> None:
        if self.batch is None:
            return
        try:
            self.batch.refresh()
        except (MesmerizeError, OSError) as exc:
            self._poll_timer.stop()
            self.show_error("Batch Manager", f"The batch can no longer be read: {exc}")

    def refresh_items(self) -> None:
        """Rebuild the item list from the batch table, keeping the selection."""
        self._refresh_pending = False
        self.item_list.show_items(self.batch.items if self.batch is not None else [])
        self._show_selected()

    def selected_uuid(self) -> str | None:
        """UUID of the selected item, or None."""
        return self.item_list.selected_uuid()

    def select_item(self, uuid: str) -> None:
        """Select the item ``uuid`` in the list."""
        self.item_list.select_uuid(uuid)

    def item_color(self, uuid: str) -> str:
        """The list background colour (``#rrggbb``) of item ``uuid``."""
        return self.item_list.item_color(uuid)

    def _show_selected(self) -> None:
        uuid = self.selected_uuid()
        item = None
        if uuid is not None and self.batch is not None:
            try:
                item = self.batch.get_item(uuid)
            except BatchError:
                item = None
        if item is None:
            self.params_text.clear()
            self.output_text.clear()
        else:
            self.params_text.setPlainText(params_text(self.batch, item))
            self.output_text.setPlainText(output_text(self.batch, item))
        self._update_controls()

    def _update_controls(self) -> None:
        has_batch = self.batch is not None
        running = self.is_running
        selected = self.selected_uuid() is not None
        has_items = self.item_list.count() > 0
        self.start_button.setEnabled(has_batch and not running and has_items)
        self.start_at_selection_button.setEnabled(has_batch and not running and selected)
        self.delete_button.setEnabled(has_batch and selected)
        self.export_button.setEnabled(has_batch and has_items)
        self.abort_button.setEnabled(running)
        self.new_batch_button.setEnabled(not running)
        self.open_batch_button.setEnabled(not running)
        self.view_input_button.setEnabled(selected)
        self.use_work_dir_check.setEnabled(not running)

    # ---- processing -----------------------------------------------------------------------

    def start_processing(self, start_ix: int | str = 0, clear_viewers: bool = False
                         ) -> BatchRunner:
        """Process the batch from queue position ``start_ix`` (or the item with that UUID) in
        subprocesses; ``clear_viewers`` first clears the attached Viewers' work environments
        (frees their memory). Returns the runner."""
        batch = self.get_batch()
        if self.is_running:
            raise BatchError("The batch is already being processed; items added now are "
                             "processed too.")
        if isinstance(start_ix, str):
            start_ix = batch.index_of(start_ix)
        if isinstance(start_ix, bool) or not isinstance(start_ix, int):
            raise ParameterError(f"start_ix must be a queue position (int) or an item UUID, got "
                                 f"{start_ix!r}.")
        runner = BatchRunner(batch, start_ix=start_ix, settings=self.runner_settings,
                             use_work_dir=self.use_work_dir_check.isChecked())
        if clear_viewers:
            for viewer in self.viewers:
                viewer.vi.clear_workEnv()
        self._bridge.attach_runner(runner)
        self.runner = runner
        self._stream_uuid = None
        self.progress_bar.setValue(0)
        self.progress_bar.setFormat("starting")
        runner.start()
        self._update_controls()
        return runner

    def abort(self) -> None:
        """Abort the current item (its process tree is killed; the run stops)."""
        if self.runner is not None and self.runner.is_running:
            self.runner.abort()
            self.progress_bar.setFormat("aborting")

    def _item_name(self, uuid: str) -> str:
        try:
            return self.get_batch().get_item(uuid).name
        except BatchError:
            return uuid

    def _note_stream(self, uuid: str) -> None:
        if uuid != self._stream_uuid:
            self._stream_uuid = uuid
            self.stdout_text.appendPlainText(f"==== {self._item_name(uuid)} ({uuid}) ====")
            self.progress_bar.setValue(0)

    def _on_output(self, uuid: str, line: str) -> None:
        self._note_stream(uuid)
        self.stdout_text.appendPlainText(line)

    def _on_progress(self, uuid: str, fraction: float, message: str) -> None:
        self._note_stream(uuid)
        self.progress_bar.setValue(round(fraction * self.progress_bar.maximum()))
        self.progress_bar.setFormat(f"{self._item_name(uuid)}: {message}  %p%")

    def _on_item_finished(self, uuid: str, status: str) -> None:
        self._note_stream(uuid)
        self.stdout_text.appendPlainText(f"==== {self._item_name(uuid)}: {status} ====")
        if status == FINISHED:
            self.progress_bar.setValue(self.progress_bar.maximum())
        self.refresh_items()

    def _on_run_finished(self) -> None:
        runner = self.runner
        if runner is not None and runner.is_running:
            # the thread emits "finished" just before it ends; look again once it has
            QtCore.QTimer.singleShot(20, self._on_run_finished)
            return
        if runner is not None and runner.error is not None:
            self.stdout_text.appendPlainText(f"The batch run stopped: {runner.error}")
            self.progress_bar.setFormat("stopped")
        else:
            self.progress_bar.setFormat("done")
        self.refresh_items()

    # ---- buttons --------------------------------------------------------------------------

    def show_error(self, title: str, text: str) -> None:
        """Tell the user what went wrong; the text is kept in ``last_error``."""
        self.last_error = text
        QtWidgets.QMessageBox.warning(self, title, text)

    def _guarded(self, title: str, action: Callable[[], Any]) -> Any:
        try:
            return action()
        except (MesmerizeError, OSError) as exc:
            self.show_error(title, str(exc))
            return None

    def ask_for_batch(self) -> None:
        """Ask whether to open a batch or create a new one, then show that dialog."""
        choices = ["Open batch", "New batch"]
        choice, ok = QtWidgets.QInputDialog.getItem(
            self, "Batch Manager", "No batch is open. Open a batch or create a new one?",
            choices, 0, False)
        if not ok:
            return
        if choice == choices[0]:
            self._open_batch_clicked()
        else:
            self._new_batch_clicked()

    def _start_clicked(self) -> None:
        self._guarded("Start", lambda: self.start_processing(0))

    def _start_at_selection_clicked(self) -> None:
        uuid = self.selected_uuid()
        if uuid is not None:
            self._guarded("Start at selection", lambda: self.start_processing(uuid))

    def _delete_clicked(self) -> None:
        uuid = self.selected_uuid()
        if uuid is None:
            return
        name = self._item_name(uuid)
        answer = QtWidgets.QMessageBox.question(
            self, "Delete item", f"Delete the item {name!r} ({uuid}) and its data?")
        if answer != QtWidgets.QMessageBox.Yes:
            return
        self._guarded("Delete item", lambda: self.delete_item(uuid))

    def delete_item(self, uuid: str) -> bool:
        """Delete item ``uuid``; when other items take its output as input, ask before deleting
        it anyway. Returns whether it was deleted."""
        batch = self.get_batch()
        try:
            batch.remove_item(uuid)
        except DependencyError as exc:
            answer = QtWidgets.QMessageBox.question(
                self, "Delete item", f"{exc}\n\nDelete it anyway? Those items will fail.")
            if answer != QtWidgets.QMessageBox.Yes:
                return False
            batch.remove_item(uuid, force=True)
        self.refresh_items()
        return True

    def _export_clicked(self) -> None:
        batch = self.get_batch()
        directory = QtWidgets.QFileDialog.getExistingDirectory(
            self, "Directory for the shell scripts", str(batch.path.parent))
        if not directory:
            return
        paths = self._guarded("Export shell scripts", lambda: self.export_shell_scripts(directory))
        if paths is not None:
            QtWidgets.QMessageBox.information(
                self, "Export shell scripts",
                f"Wrote {len(paths)} item scripts and run_all.sh to {directory}.")

    def export_shell_scripts(self, out_dir: str | os.PathLike) -> list[Path]:
        """Write one bash script per item (and ``run_all.sh``) into ``out_dir``."""
        options: dict[str, Any] = {"use_work_dir": self.use_work_dir_check.isChecked()}
        if self.runner_settings is not None:
            options["settings"] = self.runner_settings
        return self.get_batch().export_shell_scripts(out_dir, **options)

    def _new_batch_clicked(self) -> None:
        location = QtWidgets.QFileDialog.getExistingDirectory(
            self, "Location of the new batch", str(Path.home()))
        if not location:
            return
        default = datetime.now().strftime("batch_%Y%m%d_%H%M%S")
        name, ok = QtWidgets.QInputDialog.getText(
            self, "New batch", "Name of the batch directory (a-z, A-Z, 0-9, _):", text=default)
        if ok and name:
            self._guarded("New batch", lambda: self.new_batch(Path(location) / name))

    def _open_batch_clicked(self) -> None:
        directory = QtWidgets.QFileDialog.getExistingDirectory(self, "Open batch",
                                                               str(Path.home()))
        if directory:
            self._guarded("Open batch", lambda: self.open_batch(directory))

    def _view_input_clicked(self) -> None:
        uuid = self.selected_uuid()
        if uuid is not None:
            opener = self.input_opener or self._load_input_into_first_viewer
            self._guarded("View Input", lambda: opener(self.get_batch(), uuid))

    def _first_viewer(self) -> Any:
        if not self.viewers:
            raise BatchError("No Viewer is attached to this Batch Manager: open it from a "
                             "Viewer (Modules -> Batch Manager) to view inputs and outputs.")
        return self.viewers[0]

    def _load_input_into_first_viewer(self, batch: Batch, uuid: str) -> None:
        vi = self._first_viewer().vi
        vi.viewer.workEnv = input_work_env(batch, uuid)
        vi.update_workEnv()

    def _on_item_double_clicked(self, entry: QtWidgets.QListWidgetItem) -> None:
        uuid = entry.data(UUID_ROLE)
        item = self._guarded("Load output", lambda: self.get_batch().get_item(uuid))
        if item is None:
            return
        if item.status != FINISHED:
            self.show_error("Load output", f"The item {item.name!r} is {item.status}; only "
                                           "finished items have an output to load.")
            return
        opener = self.output_opener or self._load_into_first_viewer
        self._guarded("Load output", lambda: opener(self.get_batch(), uuid))

    def _load_into_first_viewer(self, batch: Batch, uuid: str) -> Any:
        return self.api.load_item_output(viewers=self._first_viewer(), UUID=uuid)

    def closeEvent(self, event: QtGui.QCloseEvent) -> None:  # noqa: N802
        if self.is_running:
            # The run goes on in the background; the window comes back from the Viewer.
            event.ignore()
            self.hide()
            return
        self._poll_timer.stop()
        super().closeEvent(event)
