"""The Project Browser's DataFrame editor: view and edit project DataFrame cells in a table.

Edits are kept per row's ``uuid_curve`` and written with ``Project.set_dataframe`` (which backs
up ``root.dfr`` first and re-checks every protected column). Columns that identify a row or
point at its files are refused in the table with the guide's explanation.
"""
from __future__ import annotations

from typing import Any, Mapping

import pandas as pd
from qtpy import QtCore, QtWidgets

from mesmerize.core.errors import MesmerizeError
from mesmerize.core.project import Project
from mesmerize.core.project.config import PROTECTED_COLUMNS
from mesmerize.gui.project.dataframe_model import DataFrameModel

EDITOR_WARNING = (
    "Make sure you know what you are doing when you directly modify the Project DataFrame. "
    "Changes cannot be undone but you can restore a backup from the project's dataframes "
    "directory (a backup is made before every save).")

_FILE_COLUMN_REASON = (
    "Do not modify data under the following columns: CurvePath, ImgInfoPath, ImgPath, ROI_State, "
    "SampleID or any uuid column: they link each row to its files. The edit was refused.")
_ID_COLUMN_REASON = (
    "You can never change the AnimalID or TrialID (i.e. SampleID) since these are used as unique "
    "identifiers. Work-around: open the sample in the Viewer, add it to the project with a new "
    "AnimalID/TrialID, then delete the previous sample. The edit was refused.")

EDITOR_PROTECTED_COLUMNS: dict[str, str] = {
    **{c: _FILE_COLUMN_REASON for c in PROTECTED_COLUMNS},
    "AnimalID": _ID_COLUMN_REASON, "TrialID": _ID_COLUMN_REASON,
}
"""Columns the editor refuses, with the message shown."""


def merge_cell_edits(root: pd.DataFrame, edits: Mapping[tuple[str, str], Any]) -> pd.DataFrame:
    """A copy of ``root`` with ``{(uuid_curve, column): value}`` written into the matching rows.

    Edits of rows no longer in ``root`` (deleted meanwhile) are dropped.
    """
    out = root.copy()
    position = pd.Series(range(len(out)), index=pd.Index(out["uuid_curve"].to_numpy()))
    for (uuid, column), value in edits.items():
        if uuid in position.index:
            out.iat[int(position[uuid]), out.columns.get_loc(column)] = value
    return out


class DataFrameEditor(QtWidgets.QDialog):
    """Edit the rows of ``dataframe`` (a Project Browser tab, by default the whole project).

    ``saved`` is emitted after the edits were written to the project.
    """

    saved = QtCore.Signal()

    def __init__(self, project: Project, dataframe: pd.DataFrame | None = None,
                 title: str = "root", parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.project = project
        self.setWindowTitle(f"DataFrame editor — {title}")
        self.resize(1000, 600)
        df = (project.dataframe if dataframe is None else dataframe).copy()
        self._edits: dict[tuple[str, str], Any] = {}
        self.model = DataFrameModel(df, editable=True,
                                    protected_columns=EDITOR_PROTECTED_COLUMNS,
                                    protected_reasons=EDITOR_PROTECTED_COLUMNS, parent=self)
        self.model.edit_refused.connect(self._show_refusal)
        self.model.cell_edited.connect(self._record_edit)

        warning = QtWidgets.QLabel(EDITOR_WARNING)
        warning.setWordWrap(True)
        warning.setStyleSheet("color: #b35900;")
        self.table = QtWidgets.QTableView()
        self.table.setModel(self.model)
        self.table.setAlternatingRowColors(True)
        self.table.horizontalHeader().setDefaultSectionSize(110)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.status = QtWidgets.QLabel("No changes.")
        self.save_button = QtWidgets.QPushButton("Save to project")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.save)
        close_button = QtWidgets.QPushButton("Close")
        close_button.clicked.connect(self.close)

        buttons = QtWidgets.QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(close_button)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(warning)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

    @property
    def pending_edits(self) -> dict[tuple[str, str], Any]:
        """``{(uuid_curve, column): value}`` not yet saved."""
        return dict(self._edits)

    def _record_edit(self, row: int, column: str) -> None:
        df = self.model.dataframe()
        uuid = df["uuid_curve"].iat[row]
        self._edits[(uuid, column)] = df[column].iat[row]
        self.save_button.setEnabled(True)
        self.status.setText(f"{len(self._edits)} unsaved cell edit(s).")

    def _show_refusal(self, message: str) -> None:
        QtWidgets.QMessageBox.warning(self, "Edit refused", message)

    def save(self) -> bool:
        """Write the pending edits to the project (backup first); False if the core refused."""
        if not self._edits:
            return True
        try:
            self.project.set_dataframe(merge_cell_edits(self.project.dataframe, self._edits))
        except MesmerizeError as exc:
            QtWidgets.QMessageBox.critical(self, "Cannot save the DataFrame", str(exc))
            return False
        backups = self.project.backups()
        self._edits.clear()
        self.save_button.setEnabled(False)
        self.status.setText(f"Saved. Backup of the previous DataFrame: "
                            f"{backups[-1].name if backups else 'none'}")
        self.saved.emit()
        return True

    def closeEvent(self, event) -> None:
        if self._edits:
            answer = QtWidgets.QMessageBox.question(
                self, "Unsaved edits",
                f"Save {len(self._edits)} cell edit(s) to the project before closing?",
                QtWidgets.QMessageBox.Save | QtWidgets.QMessageBox.Discard
                | QtWidgets.QMessageBox.Cancel)
            if answer == QtWidgets.QMessageBox.Cancel or (
                    answer == QtWidgets.QMessageBox.Save and not self.save()):
                event.ignore()
                return
            self._edits.clear()
        super().closeEvent(event)
