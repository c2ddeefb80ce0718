"""Viewer File -> Import / Export: other tools' results in and NWB files out, without scripts.

File -> Import -> "suite2p output folder..." / "CaImAn HDF5 results" -> "CNMF (2-photon)..." or
"CNMF-E (1-photon)..." put the components onto the movie open in the Viewer (they replace its
ROIs); "NWB file..." replaces the work environment by the file's movie, ROIs, tags and stimuli.
File -> Export -> "NWB file..." writes the work environment as one NWB file (in a worker thread:
storing the movie takes a while). The work is done by ``mesmerize.core.interop``; errors are shown
in a message box and leave the work environment as it was. The readers (pynwb...) load on first
use, not with the Viewer.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from qtpy import QtWidgets

from mesmerize.core import interop
from mesmerize.core.errors import MesmerizeError, ParameterError
from mesmerize.core.project.layout import SAMPLE_ID_SEPARATOR
from mesmerize.core.work_env import ViewerWorkEnv
from mesmerize.gui.worker_task import WorkerTask, failure_text

if TYPE_CHECKING:
    from mesmerize.core.interop.caiman_import import ImportedComponents
    from mesmerize.core.interop.nwb_import import NWBImport
    from mesmerize.gui.viewer.window import ViewerWindow

log = logging.getLogger(__name__)

CAIMAN_MODES = (("CNMF (2-photon)...", "cnmf"), ("CNMF-E (1-photon)...", "cnmfe"))


class ExportNWBDialog(QtWidgets.QDialog):
    """File -> Export -> NWB file: AnimalID, TrialID (from the SampleID when the work environment
    is a project sample), whether the movie frames go into the file or the file refers to a
    TIFF, and the ROI mask layout."""

    def __init__(self, work_env: ViewerWorkEnv, parent: QtWidgets.QWidget) -> None:
        from mesmerize.core.interop.nwb_export import MASK_TYPES

        super().__init__(parent)
        self.setWindowTitle("Export to NWB")
        self.setMinimumWidth(480)
        animal, _, trial = (work_env.sample_id or "").partition(SAMPLE_ID_SEPARATOR)
        self.animal_edit = QtWidgets.QLineEdit(animal, self)
        self.trial_edit = QtWidgets.QLineEdit(trial, self)
        self.include_movie = QtWidgets.QCheckBox("Store the movie frames in the NWB file", self)
        self.include_movie.setChecked(True)
        self.include_movie.setToolTip(
            "Ticked: the file holds the movie as shown in the Viewer and can be shared on its "
            "own. Unticked: the file refers to the TIFF chosen below (smaller).")
        self.movie_edit = QtWidgets.QLineEdit(self)
        self.movie_edit.setPlaceholderText("TIFF file of this movie")
        self.movie_button = QtWidgets.QPushButton("Browse...", self)
        self.movie_button.clicked.connect(self._browse_movie)
        self.mask_type = QtWidgets.QComboBox(self)
        self.mask_type.addItems(list(MASK_TYPES))
        self.mask_type.setToolTip("image: one full-frame mask per ROI; pixel: (x, y, weight) "
                                  "lists, much smaller for large frames")
        movie_row = QtWidgets.QHBoxLayout()
        movie_row.addWidget(self.movie_edit)
        movie_row.addWidget(self.movie_button)
        form = QtWidgets.QFormLayout(self)
        form.addRow("AnimalID", self.animal_edit)
        form.addRow("TrialID", self.trial_edit)
        form.addRow(self.include_movie)
        form.addRow("Movie file", movie_row)
        form.addRow("ROI masks", self.mask_type)
        buttons = QtWidgets.QDialogButtonBox(
            QtWidgets.QDialogButtonBox.Ok | QtWidgets.QDialogButtonBox.Cancel, parent=self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.include_movie.toggled.connect(self._movie_mode_changed)
        self._movie_mode_changed(True)

    def _movie_mode_changed(self, include: bool) -> None:
        self.movie_edit.setEnabled(not include)
        self.movie_button.setEnabled(not include)

    def _browse_movie(self) -> None:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self, "Movie file", "", "TIFF (*.tif *.tiff);;All files (*)")
        if path:
            self.movie_edit.setText(path)

    def values(self) -> dict[str, Any]:
        """Keyword arguments of :meth:`ViewerInteropMenu.export_nwb` (without the path)."""
        include = self.include_movie.isChecked()
        movie = self.movie_edit.text().strip()
        return {"animal_id": self.animal_edit.text().strip(),
                "trial_id": self.trial_edit.text().strip(), "include_movie": include,
                "movie_file": None if include or not movie else movie,
                "mask_type": self.mask_type.currentText()}


class ViewerInteropMenu:
    """Adds File -> Import and File -> Export to ``window`` (a ``ViewerWindow``).

    The methods without a dialog (``import_suite2p``, ``import_caiman``, ``import_nwb``,
    ``export_nwb``) raise the core's errors; the menu actions show them instead.
    ``export_task``: the worker running an export. ``last_message``: the last status shown.
    """

    def __init__(self, window: ViewerWindow) -> None:
        self._window = window
        self.dialog: ExportNWBDialog | None = None
        self.last_message = ""
        self.export_task = WorkerTask(window)
        menu_import = window.menu_file.addMenu("Import")
        self._add(menu_import, "suite2p output folder...", self.import_suite2p_clicked)
        caiman = menu_import.addMenu("CaImAn HDF5 results")
        for text, mode in CAIMAN_MODES:
            self._add(caiman, text, lambda mode=mode: self.import_caiman_clicked(mode))
        self._add(menu_import, "NWB file...", self.import_nwb_clicked)
        menu_export = window.menu_file.addMenu("Export")
        self.export_action = self._add(menu_export, "NWB file...", self.export_nwb_clicked)

    @staticmethod
    def _add(menu: QtWidgets.QMenu, text: str, slot: Callable[[], None]) -> QtWidgets.QAction:
        action = menu.addAction(text)
        action.triggered.connect(lambda *_: slot())
        return action

    @property
    def _work_env(self) -> ViewerWorkEnv:
        return self._window.image_display.workEnv

    def _show_status(self, text: str) -> None:
        self.last_message = text
        self._window.statusBar().showMessage(text)

    def _show_error(self, title: str, exc: BaseException) -> None:
        if not isinstance(exc, MesmerizeError):
            log.error("%s failed", title, exc_info=exc)
            exc = Exception(failure_text(exc))
        self._window.show_error(title, exc)

    def _guarded(self, title: str, func: Callable[[], Any]) -> None:
        # Exceptions must not reach Qt (PyQt aborts on an exception escaping a slot).
        try:
            func()
        except Exception as exc:
            self._show_error(title, exc)

    def _replace_rois_ok(self, source: str) -> bool:
        n = len(self._work_env.roi_manager.roi_list)
        return n == 0 or self._window.confirm(
            f"Import {source}", f"The work environment has {n} ROIs; the imported components "
            "replace them. Continue?")

    # ---- suite2p / CaImAn -----------------------------------------------------------------
    def _components_imported(self, source: str, imported: ImportedComponents) -> None:
        self._window.update_workEnv()
        data = imported.cnmf_data
        self._show_status(f"Imported {len(self._work_env.roi_manager.roi_list)} ROIs from "
                          f"{source} ({data.n_components} components, "
                          f"{data.component_indices().size} accepted)")

    def import_suite2p(self, folder: str | Path) -> ImportedComponents:
        """Put the cells of a suite2p plane folder onto the open movie (CNMF-type ROIs)."""
        imported = interop.import_suite2p(self._work_env, folder)
        self._components_imported("suite2p", imported)
        return imported

    def import_caiman(self, path: str | Path, mode: str = "cnmf") -> ImportedComponents:
        """Put the components of a CaImAn ``.hdf5`` results file onto the open movie;
        ``mode`` ``"cnmf"`` or ``"cnmfe"``."""
        imported = interop.import_caiman_hdf5(self._work_env, path, mode=mode)
        self._components_imported("CaImAn", imported)
        return imported

    def import_suite2p_clicked(self) -> None:
        """File -> Import -> suite2p output folder..."""
        if not self._replace_rois_ok("suite2p"):
            return
        folder = QtWidgets.QFileDialog.getExistingDirectory(
            self._window, "suite2p plane folder (e.g. suite2p/plane0)", "")
        if folder:
            self._guarded("Import suite2p", lambda: self.import_suite2p(folder))

    def import_caiman_clicked(self, mode: str) -> None:
        """File -> Import -> CaImAn HDF5 results -> CNMF / CNMF-E..."""
        if not self._replace_rois_ok("CaImAn results"):
            return
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self._window, "CaImAn results file", "", "HDF5 (*.hdf5 *.h5);;All files (*)")
        if path:
            self._guarded("Import CaImAn results", lambda: self.import_caiman(path, mode))

    # ---- NWB ------------------------------------------------------------------------------
    def import_nwb(self, path: str | Path) -> NWBImport:
        """Replace the work environment by the NWB file's sample (movie, ROIs, tags, stimuli)."""
        imported = interop.import_nwb(path)
        self._window.vi.viewer.workEnv = imported.work_env
        self._window.update_workEnv()
        message = f"Opened {Path(path).name}: {len(imported.work_env.roi_manager.roi_list)} ROIs"
        if imported.notes:
            message += " (" + "; ".join(imported.notes) + ")"
        self._show_status(message)
        return imported

    def import_nwb_clicked(self) -> None:
        """File -> Import -> NWB file..."""
        if self._work_env.modified and not self._window.confirm(
                "Import NWB file", "The work environment has unsaved changes; the NWB file "
                "replaces it. Continue?"):
            return
        path, _ = QtWidgets.QFileDialog.getOpenFileName(
            self._window, "NWB file", "", "NWB (*.nwb);;All files (*)")
        if path:
            self._guarded("Import NWB file", lambda: self.import_nwb(path))

    def export_nwb(self, path: str | Path, animal_id: str, trial_id: str, *,
                   include_movie: bool = True, movie_file: str | Path | None = None,
                   mask_type: str = "image", wait: bool = False) -> bool:
        """Write the work environment to ``path`` (``.nwb`` added when missing; an existing
        file is replaced) in the worker thread; the outcome is shown when it ends. ``wait``:
        write here and now and raise the core's errors (scripts). False when an export is
        running already."""
        work_env = self._work_env
        if work_env.imgdata is None:
            raise ParameterError("The work environment is empty: open a movie with ROIs first.")
        if not include_movie and movie_file is None:
            raise ParameterError("Choose the movie's TIFF file, or tick 'Store the movie frames "
                                 "in the NWB file'.")
        path = Path(path)
        if path.suffix.lower() != ".nwb":
            path = path.with_name(path.name + ".nwb")

        def write() -> Path:
            return interop.export_work_env_to_nwb(
                work_env, path, animal_id, trial_id, movie_file=movie_file,
                include_movie=include_movie, mask_type=mask_type, overwrite=True)

        if wait:
            self._exported(write())
            return True
        started = self.export_task.start(write, self._exported, self._export_failed)
        if started:
            self.export_action.setEnabled(False)
            self._show_status(f"Writing {path.name}...")
        return started

    def _exported(self, path: Path) -> None:
        self.export_action.setEnabled(True)
        self._show_status(f"Wrote {path}")

    def _export_failed(self, exc: BaseException) -> None:
        self.export_action.setEnabled(True)
        self._show_status("NWB export failed")
        self._show_error("Export to NWB", exc)

    def export_nwb_clicked(self) -> None:
        """File -> Export -> NWB file...: the export dialog, then where to save."""
        if self._work_env.imgdata is None:
            self._show_error("Export to NWB", ParameterError(
                "The work environment is empty: open a movie with ROIs first."))
            return
        self.dialog = ExportNWBDialog(self._work_env, self._window)
        self.dialog.accepted.connect(self._export_dialog_accepted)
        self.dialog.open()

    def _export_dialog_accepted(self) -> None:
        values = self.dialog.values()
        path, _ = QtWidgets.QFileDialog.getSaveFileName(
            self._window, "Save NWB file", "", "NWB (*.nwb)")
        if path:
            self._guarded("Export to NWB", lambda: self.export_nwb(path, **values))
