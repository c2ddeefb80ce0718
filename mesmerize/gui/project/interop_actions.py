"""Project Browser File -> "Export samples to NWB..." and Edit -> "Register sessions
(cross-session ROI identity)...".

Both run in a worker thread (``WorkerTask``) while the status bar says what is running and both
actions are disabled. Export reads the project and writes one NWB file per sample
(``export_samples_to_nwb``). Registration (``register_project_samples``) computes for seconds,
then writes the identity column through ``Project``'s own calls: they hold the project write lock
(a re-entrant lock for threads plus the inter-process file lock) and replace files atomically,
and the browser receives ``Project.changed`` through a queued Qt signal, so the tabs refresh in
the GUI thread. The summary then lists the identities and, per session, how many ROIs were
matched to an earlier session.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import numpy as np
import pandas as pd
from qtpy import QtCore, QtWidgets

from mesmerize.core import interop
from mesmerize.core.errors import MesmerizeError
from mesmerize.gui.worker_task import WorkerTask, failure_text

if TYPE_CHECKING:
    from mesmerize.core.interop.multisession import SessionRegistration
    from mesmerize.gui.project.browser import ProjectBrowserWindow

log = logging.getLogger(__name__)

def samples_of(df: pd.DataFrame) -> list[tuple[str, str]]:
    """``(SampleID, AnimalID)`` of the samples of ``df``, in DataFrame order."""
    first = df.drop_duplicates("SampleID")
    return list(zip(first["SampleID"].astype(str), first["AnimalID"].astype(str)))


def add_checked_items(widget: QtWidgets.QListWidget, texts: list[str]) -> None:
    """Append ``texts`` to ``widget`` as checkable, checked items."""
    for text in texts:
        item = QtWidgets.QListWidgetItem(text, widget)
        item.setFlags(item.flags() | QtCore.Qt.ItemIsUserCheckable)
        item.setCheckState(QtCore.Qt.Checked)


def checked_texts(widget: QtWidgets.QListWidget) -> list[str]:
    """Texts of the checked items, top to bottom."""
    items = (widget.item(i) for i in range(widget.count()))
    return [item.text() for item in items if item.checkState() == QtCore.Qt.Checked]


def _ok_cancel(dialog: QtWidgets.QDialog) -> QtWidgets.QDialogButtonBox:
    buttons = QtWidgets.QDialogButtonBox(
        QtWidgets.QDialogButtonBox.Ok | QtWidgets.QDialogButtonBox.Cancel, parent=dialog)
    buttons.accepted.connect(dialog.accept)
    buttons.rejected.connect(dialog.reject)
    return buttons


class ExportSamplesDialog(QtWidgets.QDialog):
    """Which samples (of the current tab) to export, and whether the movies go into the files."""

    def __init__(self, sample_ids: list[str], tab: str, parent: QtWidgets.QWidget) -> None:
        super().__init__(parent)
        self.setWindowTitle("Export samples to NWB")
        self.samples = QtWidgets.QListWidget(self)
        add_checked_items(self.samples, sample_ids)
        self.include_movie = QtWidgets.QCheckBox(
            "Store the movies in the NWB files (needed to share them without the project)", self)
        self.include_movie.setToolTip("Unticked, each file refers to the movie in the project's "
                                      "images folder by a relative path (much smaller files)")
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(QtWidgets.QLabel(
            f"Samples of tab {tab!r}; one NWB file per sample, named <SampleID>.nwb:", self))
        layout.addWidget(self.samples)
        layout.addWidget(self.include_movie)
        layout.addWidget(_ok_cancel(self))

    def values(self) -> tuple[list[str], bool]:
        """``(sample_ids, include_movie)``."""
        return checked_texts(self.samples), self.include_movie.isChecked()


class RegisterSessionsDialog(QtWidgets.QDialog):
    """Samples of one animal to register (drag to reorder; the first checked one is the
    reference), the registration model, the least Jaccard index of a match and the column."""

    def __init__(self, samples: list[tuple[str, str]], parent: QtWidgets.QWidget) -> None:
        from mesmerize.core.interop.multisession import MODELS, XSESSION_COLUMN

        super().__init__(parent)
        self.setWindowTitle("Register sessions (cross-session ROI identity)")
        self._samples = samples
        self.animal = QtWidgets.QComboBox(self)
        self.animal.addItems(list(dict.fromkeys(animal for _, animal in samples)))
        self.samples = QtWidgets.QListWidget(self)
        self.samples.setDragDropMode(QtWidgets.QAbstractItemView.InternalMove)
        self.model = QtWidgets.QComboBox(self)
        self.model.addItems(list(MODELS))
        self.model.setCurrentText("euclidean")
        self.model.setToolTip("euclidean: rotation + shift; translation: shift only; affine: "
                              "also scale and shear, fitted to the matched ROIs")
        self.min_jaccard = QtWidgets.QDoubleSpinBox(self)
        self.min_jaccard.setRange(0.05, 1.0)
        self.min_jaccard.setSingleStep(0.05)
        self.min_jaccard.setValue(0.3)
        self.min_jaccard.setToolTip("Least overlap (intersection / union of the ROI masks) of "
                                    "two ROIs called the same cell")
        self._default_column = XSESSION_COLUMN
        self.column = QtWidgets.QLineEdit(XSESSION_COLUMN, self)
        self.column.setToolTip("ROI Type column receiving the identities (added when missing)")
        form = QtWidgets.QFormLayout(self)
        form.addRow("AnimalID", self.animal)
        hint = QtWidgets.QLabel("Sessions (CNMF / CNMF-E samples). Drag to reorder: the first "
                                "checked sample is the reference.", self)
        hint.setWordWrap(True)
        form.addRow(hint)
        form.addRow(self.samples)
        form.addRow("Registration model", self.model)
        form.addRow("Least Jaccard index", self.min_jaccard)
        form.addRow("Identity column", self.column)
        form.addRow(_ok_cancel(self))
        self.animal.currentTextChanged.connect(self._show_animal)
        self._show_animal(self.animal.currentText())

    def _show_animal(self, animal: str) -> None:
        self.samples.clear()
        add_checked_items(self.samples, [s for s, a in self._samples if a == animal])

    def values(self) -> dict[str, Any]:
        """Keyword arguments of :meth:`BrowserInteropActions.register_sessions`."""
        return {"sample_ids": checked_texts(self.samples), "model": self.model.currentText(),
                "min_jaccard": self.min_jaccard.value(),
                "column": self.column.text().strip() or self._default_column}


@dataclass
class RegistrationSummary:
    """What a registration found, per session in the order registered.

    ``n_rois[s]``: ROIs of session ``s``; ``matched[s]``: those given the identity of an ROI of
    an earlier session; ``models[s]``, ``image_correlation[s]``: how its mean image was aligned
    to the reference and how well (near 1: good); ``in_all_sessions``: identities present in
    every session.
    """

    sample_ids: list[str]
    n_identities: int
    n_rois: list[int]
    matched: list[int]
    models: list[str]
    image_correlation: list[float]
    in_all_sessions: int

    @classmethod
    def of(cls, sample_ids: list[str], result: SessionRegistration) -> RegistrationSummary:
        """The summary of ``register_project_samples(project, sample_ids)``'s result."""
        present = result.assignment_matrix() >= 0
        return cls(sample_ids=list(sample_ids), n_identities=int(result.n_identities),
                   n_rois=[int(ids.size) for ids in result.identities],
                   matched=[int(np.count_nonzero(j > 0)) for j in result.jaccard],
                   models=list(result.models), image_correlation=list(result.image_correlation),
                   in_all_sessions=int(np.count_nonzero(present.all(axis=1))))

    def text(self, column: str) -> str:
        """The summary as lines for a message box."""
        lines = [f"{self.n_identities} cell identities over {len(self.sample_ids)} sessions, "
                 f"written to column {column!r}; {self.in_all_sessions} found in every session.",
                 ""]
        for s, sample_id in enumerate(self.sample_ids):
            if self.models[s] == "reference":
                lines.append(f"{sample_id}: {self.n_rois[s]} ROIs (reference)")
                continue
            lines.append(
                f"{sample_id}: {self.n_rois[s]} ROIs, {self.matched[s]} matched to earlier "
                f"sessions, {self.n_rois[s] - self.matched[s]} new ({self.models[s]} alignment, "
                f"image correlation {self.image_correlation[s]:.2f})")
        return "\n".join(lines)


class BrowserInteropActions:
    """The two actions of a ``ProjectBrowserWindow`` (``export_action``, ``register_action``;
    the browser puts them in its menus). ``task``: the worker. ``last_summary`` /
    ``last_error``: the outcome of the last run, also shown in a message box (``message``)."""

    def __init__(self, browser: ProjectBrowserWindow) -> None:
        self._browser = browser
        self.task = WorkerTask(browser)
        self.dialog: QtWidgets.QDialog | None = None
        self.message: QtWidgets.QMessageBox | None = None
        self.last_summary: RegistrationSummary | None = None
        self.last_error: str | None = None
        self.export_action = QtWidgets.QAction("Export samples to NWB...", browser)
        self.export_action.triggered.connect(lambda *_: self.export_clicked())
        self.register_action = QtWidgets.QAction(
            "Register sessions (cross-session ROI identity)...", browser)
        self.register_action.triggered.connect(lambda *_: self.register_clicked())
        self._busy = QtWidgets.QProgressBar(browser)
        self._busy.setRange(0, 0)
        self._busy.setMaximumWidth(120)
        self._busy.hide()
        browser.statusBar().addPermanentWidget(self._busy)

    # ---- running and reporting -------------------------------------------------------------
    def _start(self, busy_text: str, compute: Callable[[], Any],
               on_result: Callable[[Any], None], title: str) -> bool:
        def failed(exc: BaseException) -> None:
            self._set_busy(None)
            self._show_error(title, exc)

        def done(value: Any) -> None:
            self._set_busy(None)
            on_result(value)

        started = self.task.start(compute, done, failed)
        if started:
            self._set_busy(busy_text)
        return started

    def _set_busy(self, text: str | None) -> None:
        for action in (self.export_action, self.register_action):
            action.setEnabled(text is None)
        self._busy.setVisible(text is not None)
        if text is not None:
            self._browser.statusBar().showMessage(text)

    def _show_message(self, icon: QtWidgets.QMessageBox.Icon, title: str, text: str) -> None:
        self.message = QtWidgets.QMessageBox(icon, title, text, parent=self._browser)
        self.message.open()

    def _show_error(self, title: str, exc: BaseException) -> None:
        if not isinstance(exc, MesmerizeError):
            log.error("%s failed", title, exc_info=exc)
        self.last_error = failure_text(exc)
        self._browser.statusBar().showMessage(f"{title} failed")
        self._show_message(QtWidgets.QMessageBox.Warning, title, self.last_error)

    # ---- export -----------------------------------------------------------------------------
    def export_samples(self, sample_ids: list[str], out_dir: str | Path,
                       include_movie: bool = False, overwrite: bool = False) -> bool:
        """Export ``sample_ids`` to ``out_dir/<SampleID>.nwb`` in the worker thread; False when
        a task is running already. The outcome is shown when it ends."""
        project = self._browser.project

        def done(paths: list[Path]) -> None:
            self.last_error = None
            self._browser.statusBar().showMessage(f"Wrote {len(paths)} NWB files to {out_dir}")

        return self._start(
            f"Exporting {len(sample_ids)} samples to NWB...",
            lambda: interop.export_samples_to_nwb(project, sample_ids, out_dir,
                                                  include_movie=include_movie,
                                                  overwrite=overwrite),
            done, "Export samples to NWB")

    def export_clicked(self) -> None:
        """File -> Export samples to NWB...: the samples of the current tab."""
        name = self._browser.current_tab_name()
        ids = [s for s, _ in samples_of(self._browser.get_dataframe())]
        if not ids:
            self._show_message(QtWidgets.QMessageBox.Information, "Export samples to NWB",
                               f"Tab {name!r} has no samples.")
            return
        self.dialog = ExportSamplesDialog(ids, name, self._browser)
        self.dialog.accepted.connect(self._export_dialog_accepted)
        self.dialog.open()

    def _export_dialog_accepted(self) -> None:
        sample_ids, include_movie = self.dialog.values()
        if not sample_ids:
            return
        out_dir = QtWidgets.QFileDialog.getExistingDirectory(
            self._browser, "Directory for the NWB files", "")
        if not out_dir:
            return
        existing = [s for s in sample_ids if (Path(out_dir) / f"{s}.nwb").exists()]
        if existing:
            answer = QtWidgets.QMessageBox.question(
                self._browser, "Export samples to NWB",
                f"{out_dir} already holds {len(existing)} of these files "
                f"({', '.join(existing[:3])}{'...' if len(existing) > 3 else ''}). Replace them?")
            if answer != QtWidgets.QMessageBox.Yes:
                return
        self.export_samples(sample_ids, out_dir, include_movie, overwrite=bool(existing))

    # ---- registration -----------------------------------------------------------------------
    def register_sessions(self, sample_ids: list[str], **options: Any) -> bool:
        """Run ``register_project_samples(project, sample_ids, **options)`` (``column``,
        ``model``, ``min_jaccard``...) in the worker thread; False when a task is running
        already. The summary is shown when it ends (``last_summary``)."""
        from mesmerize.core.interop.multisession import XSESSION_COLUMN

        project = self._browser.project
        sample_ids = list(sample_ids)
        column = options.get("column", XSESSION_COLUMN)

        def done(result: SessionRegistration) -> None:
            self.last_error = None
            self.last_summary = RegistrationSummary.of(sample_ids, result)
            self._browser.statusBar().showMessage(
                f"Registered {len(sample_ids)} sessions: {result.n_identities} identities")
            self._show_message(QtWidgets.QMessageBox.Information, "Sessions registered",
                               self.last_summary.text(column))

        return self._start(
            f"Registering {len(sample_ids)} sessions...",
            lambda: interop.register_project_samples(project, sample_ids, **options),
            done, "Register sessions")

    def register_clicked(self) -> None:
        """Edit -> Register sessions...: choose the samples of one animal in the current tab."""
        samples = samples_of(self._browser.get_dataframe())
        if len(samples) < 2:
            self._show_message(
                QtWidgets.QMessageBox.Information, "Register sessions",
                "Registration needs at least two samples (sessions) of one animal in the "
                "current tab.")
            return
        self.dialog = RegisterSessionsDialog(samples, self._browser)
        self.dialog.accepted.connect(self._register_dialog_accepted)
        self.dialog.open()

    def _register_dialog_accepted(self) -> None:
        values = self.dialog.values()
        self.register_sessions(values.pop("sample_ids"), **values)
