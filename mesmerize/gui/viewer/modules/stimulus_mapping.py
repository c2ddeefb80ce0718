"""Stimulus Mapping module: one tab per stimulus type, a table of periods (name, start, end,
colour) each. Script use: ``get_module('stimulus_mapping').maps['ori'].set_data(df)``."""
from __future__ import annotations

import pandas as pd
import pyqtgraph as pg
from qtpy import QtWidgets

from mesmerize.core.errors import MesmerizeError, StimulusMapError
from mesmerize.core.stimulus import DEFAULT_COLORS, UNITS, StimulusMap, color_to_hex
from mesmerize.core.work_env import ViewerWorkEnv
from mesmerize.gui.viewer.modules.base import ViewerModule

NAME, START, END, COLOR = range(4)
NOT_SHOWN = "(none)"


class ColorButton(QtWidgets.QPushButton):
    """A table cell button showing a colour; click opens a colour picker (with alpha)."""

    def __init__(self, color: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.color = ""
        self.set_color(color)
        self.clicked.connect(self._pick)

    def set_color(self, color: object) -> None:
        """Set the colour (anything ``color_to_hex`` accepts); stored as ``#rrggbbaa``."""
        self.color = color_to_hex(color)
        self.setStyleSheet(f"background-color: rgba{pg.mkColor(self.color).getRgb()};")
        self.setText(self.color)

    def _pick(self) -> None:
        chosen = QtWidgets.QColorDialog.getColor(
            pg.mkColor(self.color), self, "Stimulus colour",
            QtWidgets.QColorDialog.ShowAlphaChannel)
        if chosen.isValid():
            self.set_color(chosen)


class StimulusTable(QtWidgets.QWidget):
    """The tab of one stimulus type: units and a table of periods."""

    def __init__(self, stim_type: str, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.stim_type = stim_type
        self.units = QtWidgets.QComboBox(self)
        self.units.addItems(list(UNITS))
        self.units.setToolTip("Unit of start and end; seconds are converted with the movie's fps")
        self.table = QtWidgets.QTableWidget(0, 4, self)
        self.table.setHorizontalHeaderLabels(["name", "start", "end", "color"])
        self.table.horizontalHeader().setSectionResizeMode(QtWidgets.QHeaderView.Stretch)
        self.table.setSelectionBehavior(QtWidgets.QAbstractItemView.SelectRows)
        self.table.setMinimumHeight(140)
        row = QtWidgets.QHBoxLayout()
        row.addWidget(QtWidgets.QLabel("Time units", self))
        row.addWidget(self.units)
        row.addStretch(1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addLayout(row)
        layout.addWidget(self.table)

    def add_row(self, name: str = "", start: float | str = "", end: float | str = "",
                color: str | None = None) -> int:
        """Append a row; returns its index."""
        r = self.table.rowCount()
        self.table.insertRow(r)
        for column, value in ((NAME, name), (START, start), (END, end)):
            text = f"{value:g}" if isinstance(value, float) else str(value)
            self.table.setItem(r, column, QtWidgets.QTableWidgetItem(text))
        color = DEFAULT_COLORS[r % len(DEFAULT_COLORS)] if color is None else color
        self.table.setCellWidget(r, COLOR, ColorButton(color, self.table))
        return r

    def remove_selected(self) -> None:
        """Remove the selected rows (the last row when none is selected)."""
        rows = sorted({i.row() for i in self.table.selectedIndexes()}, reverse=True)
        if not rows and self.table.rowCount():
            rows = [self.table.rowCount() - 1]
        for r in rows:
            self.table.removeRow(r)

    def set_cell(self, row: int, column: int, text: str) -> None:
        """Type ``text`` into a name/start/end cell."""
        self.table.item(row, column).setText(text)

    def color_button(self, row: int) -> ColorButton:
        return self.table.cellWidget(row, COLOR)

    def show_map(self, stim_map: StimulusMap) -> None:
        """Fill the table from a core map."""
        self.units.setCurrentText(stim_map.units)
        self.table.setRowCount(0)
        for name, start, end, color in stim_map.dataframe.itertuples(index=False):
            self.add_row(name, float(start), float(end), color)

    def dataframe(self) -> pd.DataFrame:
        """The rows as a DataFrame ``name, start, end, color``; StimulusMapError names a cell
        that is not a number."""
        rows = []
        for r in range(self.table.rowCount()):
            values = {}
            for column, key in ((START, "start"), (END, "end")):
                text = self.table.item(r, column).text().strip()
                try:
                    values[key] = float(text)
                except ValueError:
                    raise StimulusMapError(
                        f"{self.stim_type!r} row {r + 1}: {key} {text!r} is not a number"
                    ) from None
            rows.append({"name": self.table.item(r, NAME).text().strip(), **values,
                         "color": self.color_button(r).color})
        return pd.DataFrame(rows, columns=["name", "start", "end", "color"])


class StimulusMappingModule(ViewerModule):
    """Stimulus Mapping of the user guide; ``maps`` is the core ``StimulusMaps.maps``."""

    name = "stimulus_mapping"
    title = "Stimulus Mapping"

    def __init__(self, vi, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(vi, parent)
        self.tables: dict[str, StimulusTable] = {}
        self.tabs = QtWidgets.QTabWidget(self)
        self.add_row_button = QtWidgets.QPushButton("Add Row", self)
        self.add_row_button.clicked.connect(lambda *_: self.add_row())
        self.remove_button = QtWidgets.QPushButton("Remove stim", self)
        self.remove_button.clicked.connect(lambda *_: self.remove_stim())
        self.set_all_button = QtWidgets.QPushButton("Set all maps", self)
        self.set_all_button.clicked.connect(self.set_all_maps)
        self.timeline_combo = QtWidgets.QComboBox(self)
        self.timeline_combo.setToolTip("Stimulus type drawn on the viewer timeline")
        self.timeline_combo.currentTextChanged.connect(lambda *_: self.show_on_timeline())
        self.status = QtWidgets.QLabel(self)
        self.status.setWordWrap(True)
        self.empty_label = QtWidgets.QLabel(
            "No stimulus types: add Stimulus Type columns in the Project Configuration", self)
        buttons = QtWidgets.QHBoxLayout()
        for button in (self.add_row_button, self.remove_button, self.set_all_button):
            buttons.addWidget(button)
        timeline = QtWidgets.QHBoxLayout()
        timeline.addWidget(QtWidgets.QLabel("Show on timeline", self))
        timeline.addWidget(self.timeline_combo, 1)
        layout = QtWidgets.QVBoxLayout(self)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)
        layout.addLayout(timeline)
        layout.addWidget(self.status)

    @property
    def maps(self):
        """``stim_type -> StimulusMap`` of the work environment (``maps['ori'].set_data(df)``)."""
        return self.vi.viewer.workEnv.stim_maps.maps

    def current_table(self) -> StimulusTable | None:
        """The table of the tab shown (None without stimulus types)."""
        return self.tabs.currentWidget()

    def add_row(self) -> None:
        """Add Row: an empty row in the current tab."""
        if self.current_table() is not None:
            self.current_table().add_row()

    def remove_stim(self) -> None:
        """Remove stim: remove the selected rows of the current tab."""
        if self.current_table() is not None:
            self.current_table().remove_selected()

    def on_work_env_changed(self, work_env: ViewerWorkEnv) -> None:
        self.unbind_all()
        self.bind(work_env.stim_maps.changed, self._on_maps_changed)
        shown = self.timeline_combo.currentText()
        self.tabs.clear()
        self.tables.clear()
        for stim_type, stim_map in work_env.stim_maps.maps.items():
            table = StimulusTable(stim_type, self.tabs)
            table.show_map(stim_map)
            self.tabs.addTab(table, stim_type)
            self.tables[stim_type] = table
        self.empty_label.setVisible(not self.tables)
        self.timeline_combo.blockSignals(True)
        self.timeline_combo.clear()
        self.timeline_combo.addItems([NOT_SHOWN, *self.tables])
        self.timeline_combo.setCurrentText(shown if shown in self.tables else NOT_SHOWN)
        self.timeline_combo.blockSignals(False)
        self.show_on_timeline()

    def _on_maps_changed(self, stim_type: str | None) -> None:
        if stim_type is None or stim_type not in self.tables:
            self.on_work_env_changed(self.vi.viewer.workEnv)
            return
        self.tables[stim_type].show_map(self.maps[stim_type])
        if self.timeline_combo.currentText() == stim_type:
            self.show_on_timeline()

    def set_all_maps(self) -> bool:
        """"Set all maps": validate every tab against the movie, then set every map; nothing
        is set when one tab is invalid (the error is shown). True on success."""
        work_env = self.vi.viewer.workEnv
        imgdata = work_env.imgdata
        try:
            staged = {}
            for stim_type, table in self.tables.items():
                df = table.dataframe()
                units = table.units.currentText()
                candidate = StimulusMap(stim_type, units=units)
                candidate.set_data(df)
                if imgdata is not None:
                    candidate.validate(imgdata.n_frames, work_env.meta.get("fps"))
                staged[stim_type] = (df, units)
        except MesmerizeError as exc:
            self.status.setText(f"Not set: {exc}")
            return False
        for stim_type, (df, units) in staged.items():
            self.maps[stim_type].set_data(df, units=units)
        self.status.setText("All maps set")
        return True

    def show_on_timeline(self, stim_type: str | None = None) -> None:
        """Draw ``stim_type``'s periods (default: the "Show on timeline" choice) on the
        timeline; "(none)" removes them."""
        if stim_type is not None:
            self.timeline_combo.setCurrentText(stim_type)
            return
        chosen = self.timeline_combo.currentText()
        display = self.vi.viewer
        if chosen not in self.tables:
            display.set_stimulus_periods(None)
            return
        try:
            periods = self.maps[chosen].to_frames(display.workEnv.meta.get("fps"))
        except StimulusMapError as exc:
            self.status.setText(str(exc))
            display.set_stimulus_periods(None)
            return
        display.set_stimulus_periods(periods)

    def shutdown(self) -> None:
        self.vi.viewer.set_stimulus_periods(None)
        super().shutdown()
