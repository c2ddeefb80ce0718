"""The Datapoint Tracer (guide chapter "Datapoint Tracer"): everything about one DataFrame row of
a plot's input Transmission.

Top left: the analysis log of the row's data block. Top right: the Max or Std projection of the
row's sample movie with its ROI outlined. Bottom left: the row's other columns. Bottom right: the
"DPT curve" column's array, with the span of the peak highlighted for peak feature rows
(``_pf_b_ix_l`` .. ``_pf_b_ix_r``). "Open in viewer" asks for the row's sample to be opened.
"""
from __future__ import annotations

import json
from typing import Any, Hashable

import numpy as np
import pandas as pd
import pyqtgraph as pg
from qtpy import QtCore, QtWidgets

from mesmerize.analysis.history_trace import BLOCK_COLUMN
from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import ImageLoadError, MesmerizeError, ParameterError, ProjectError
from mesmerize.gui.plots.viewer_link import open_sample_in_viewer
from mesmerize.plotting.sample_image import sample_projection, roi_outline

PEAK_LEFT_COLUMN, PEAK_RIGHT_COLUMN = "_pf_b_ix_l", "_pf_b_ix_r"
PROJECTION_CHOICES = {"Max Projection": "max", "Std. Deviation Projection": "std"}
MAX_TEXT = 300
MAX_LISTED = 8


def _shape_of_list(value: list) -> tuple[int, ...]:
    shape = [len(value)]
    inner = value
    while inner and isinstance(inner[0], list):
        inner = inner[0]
        shape.append(len(inner))
    return tuple(shape)


def describe_value(value: Any) -> str:
    """A short, one-line text of a cell or logged parameter (arrays and long lists summarised)."""
    if isinstance(value, np.ndarray):
        if value.size <= MAX_LISTED and value.ndim <= 1:
            return np.array2string(value, precision=4, separator=", ")
        return f"array {' x '.join(map(str, value.shape))} ({value.dtype})"
    if isinstance(value, pd.DataFrame):
        return f"DataFrame: {len(value)} rows, columns {list(value.columns)}"
    if isinstance(value, list) and (len(value) > MAX_LISTED or
                                    any(isinstance(v, (list, dict)) for v in value)):
        return f"list {' x '.join(map(str, _shape_of_list(value)))}"
    if isinstance(value, dict):
        try:
            text = json.dumps(value, default=str)
        except (TypeError, ValueError):
            text = str(value)
    else:
        text = str(value)
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 3] + "..."


class DatapointTracerWidget(QtWidgets.QWidget):
    """Shows one row of a Transmission: set it with ``set_datapoint(t, index, column)``.

    ``current_index``: the DataFrame index label shown (None when empty). Signal
    ``open_in_viewer_requested(sample_id, proj_path)`` when "Open in viewer" is clicked.
    """

    open_in_viewer_requested = QtCore.Signal(str, str)

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.transmission: Transmission | None = None
        self.current_index: Hashable | None = None
        self.dpt_curve_column: str | None = None

        self.history_tree = QtWidgets.QTreeWidget()
        self.history_tree.setHeaderLabels(["Analysis log"])

        self.info_table = QtWidgets.QTableWidget(0, 2)
        self.info_table.setHorizontalHeaderLabels(["Column", "Value"])
        self.info_table.horizontalHeader().setStretchLastSection(True)
        self.info_table.verticalHeader().setVisible(False)
        self.info_table.setEditTriggers(QtWidgets.QAbstractItemView.NoEditTriggers)

        self.image_plot = pg.PlotWidget()
        self.image_plot.setAspectLocked(True)
        self.image_plot.invertY(True)
        self.image_plot.hideAxis("left")
        self.image_plot.hideAxis("bottom")
        self.image_item = pg.ImageItem(axisOrder="col-major")
        self.image_plot.addItem(self.image_item)
        self.roi_outline_item = pg.PlotDataItem(pen=pg.mkPen((255, 60, 60), width=2))
        self.image_plot.addItem(self.roi_outline_item)
        self.image_message = QtWidgets.QLabel()
        self.image_message.setWordWrap(True)
        self.projection_combo = QtWidgets.QComboBox()
        self.projection_combo.addItems(list(PROJECTION_CHOICES))
        self.projection_combo.currentIndexChanged.connect(self._show_image)

        self.curve_plot = pg.PlotWidget()
        self.curve_plot.showGrid(x=True, y=True, alpha=0.3)
        self.curve_item = self.curve_plot.plot(pen=pg.mkPen((30, 120, 220), width=1.5))
        self.peak_region = pg.LinearRegionItem(movable=False,
                                               brush=pg.mkBrush(255, 170, 0, 70))
        self.peak_region.setZValue(-10)
        self.peak_region.hide()
        self.curve_plot.addItem(self.peak_region)
        self.curve_message = QtWidgets.QLabel()
        self.curve_message.setWordWrap(True)

        self.open_in_viewer_button = QtWidgets.QPushButton("Open in viewer")
        self.open_in_viewer_button.setEnabled(False)
        self.open_in_viewer_button.clicked.connect(self._open_in_viewer)

        self._build_layout()

    def _build_layout(self) -> None:
        image_box = QtWidgets.QWidget()
        image_layout = QtWidgets.QVBoxLayout(image_box)
        image_layout.setContentsMargins(0, 0, 0, 0)
        image_layout.addWidget(self.projection_combo)
        image_layout.addWidget(self.image_plot, 1)
        image_layout.addWidget(self.image_message)
        curve_box = QtWidgets.QWidget()
        curve_layout = QtWidgets.QVBoxLayout(curve_box)
        curve_layout.setContentsMargins(0, 0, 0, 0)
        curve_layout.addWidget(self.curve_plot, 1)
        curve_layout.addWidget(self.curve_message)

        left = QtWidgets.QSplitter(QtCore.Qt.Vertical)
        left.addWidget(self.history_tree)
        left.addWidget(self.info_table)
        right = QtWidgets.QSplitter(QtCore.Qt.Vertical)
        right.addWidget(image_box)
        right.addWidget(curve_box)
        splitter = QtWidgets.QSplitter(QtCore.Qt.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setSizes([300, 300])
        layout = QtWidgets.QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.open_in_viewer_button)

    # --- data ----------------------------------------------------------------------------------
    @property
    def row(self) -> pd.Series | None:
        """The DataFrame row shown (None when empty)."""
        if self.transmission is None or self.current_index is None:
            return None
        return self.transmission.df.loc[self.current_index]

    def set_datapoint(self, t: Transmission, index: Hashable,
                      dpt_curve_column: str | None = None) -> None:
        """Show the row with DataFrame index label ``index`` of ``t``; ``dpt_curve_column`` is
        the array column drawn at the bottom right (None: no curve). ``ParameterError`` when the
        row or column does not exist."""
        if not t.df.index.is_unique:
            raise ParameterError("Datapoint Tracer: the input's DataFrame index has duplicate "
                                 "labels, so a row cannot be identified; reset its index.")
        if index not in t.df.index:
            raise ParameterError(f"Datapoint Tracer: the input has no row with index {index!r}.")
        if dpt_curve_column is not None and dpt_curve_column not in t.df.columns:
            raise ParameterError(
                f"Datapoint Tracer: DPT curve column {dpt_curve_column!r} is not a column of the "
                f"input; choose one of {list(t.df.columns)}.")
        self.transmission = t
        self.current_index = index
        self.dpt_curve_column = dpt_curve_column
        row = self.row
        self._show_history(row)
        self._show_info(row)
        self._show_image()
        self._show_curve(row)
        self.open_in_viewer_button.setEnabled(
            t.proj_path is not None and isinstance(row.get("SampleID"), str))

    def clear(self) -> None:
        """Show nothing."""
        self.transmission = None
        self.current_index = None
        self.dpt_curve_column = None
        self.history_tree.clear()
        self.info_table.setRowCount(0)
        self.image_item.clear()
        self.roi_outline_item.setData([], [])
        self.image_message.setText("")
        self.curve_item.setData([], [])
        self.peak_region.hide()
        self.curve_message.setText("")
        self.open_in_viewer_button.setEnabled(False)

    def _show_history(self, row: pd.Series) -> None:
        self.history_tree.clear()
        block = row.get(BLOCK_COLUMN)
        trace = self.transmission.history_trace
        if not isinstance(block, str) or block not in trace.data_blocks:
            QtWidgets.QTreeWidgetItem(self.history_tree, ["(no analysis log for this row)"])
            return
        for i, entry in enumerate(trace.get_data_block_history(block), start=1):
            name, params = next(iter(entry.items()))
            item = QtWidgets.QTreeWidgetItem(self.history_tree, [f"{i}. {name}"])
            items = params.items() if isinstance(params, dict) else [("parameters", params)]
            for key, value in items:
                child = QtWidgets.QTreeWidgetItem(item, [f"{key}: {describe_value(value)}"])
                child.setToolTip(0, child.text(0))
        self.history_tree.expandAll()

    def _show_info(self, row: pd.Series) -> None:
        names = [c for c in row.index if c != self.dpt_curve_column]
        self.info_table.setRowCount(len(names))
        for i, name in enumerate(names):
            self.info_table.setItem(i, 0, QtWidgets.QTableWidgetItem(str(name)))
            self.info_table.setItem(i, 1, QtWidgets.QTableWidgetItem(describe_value(row[name])))
        self.info_table.resizeColumnToContents(0)

    def _show_image(self) -> None:
        row = self.row
        if row is None:
            return
        kind = PROJECTION_CHOICES[self.projection_combo.currentText()]
        self.image_item.clear()
        self.roi_outline_item.setData([], [])
        try:
            image = sample_projection(self.transmission.proj_path, row.get("ImgPath"), kind)
        except (ProjectError, ImageLoadError) as exc:
            self.image_plot.hide()
            self.image_message.setText(f"Image unavailable: {exc}")
            return
        self.image_plot.show()
        self.image_item.setImage(image, autoLevels=True)
        try:
            outline = roi_outline(self.transmission.proj_path, row)
        except ProjectError as exc:
            self.image_message.setText(f"ROI outline unavailable: {exc}")
        else:
            closed = np.vstack([outline, outline[:1]])
            self.roi_outline_item.setData(closed[:, 0], closed[:, 1])
            self.image_message.setText(f"{row.get('SampleID', '')}: "
                                       f"{self.projection_combo.currentText()}")
        self.image_plot.autoRange()

    def _show_curve(self, row: pd.Series) -> None:
        self.curve_item.setData([], [])
        self.peak_region.hide()
        column = self.dpt_curve_column
        if column is None:
            self.curve_message.setText("Choose a DPT curve column to see this row's curve.")
            return
        curve = row[column]
        if not isinstance(curve, np.ndarray) or curve.ndim != 1 or \
                not np.issubdtype(curve.dtype, np.number):
            self.curve_message.setText(f"DPT curve column {column!r} holds no 1-D numerical array "
                                       "in this row.")
            return
        self.curve_item.setData(np.arange(curve.size), curve.astype(np.float64))
        self.curve_message.setText(f"{column}: {curve.size} samples")
        left, right = row.get(PEAK_LEFT_COLUMN), row.get(PEAK_RIGHT_COLUMN)
        if left is not None and right is not None and pd.notna(left) and pd.notna(right):
            self.peak_region.setRegion((float(left), float(right)))
            self.peak_region.show()
            self.curve_message.setText(f"{column}: {curve.size} samples; peak from sample "
                                       f"{int(left)} to {int(right)} highlighted")
        self.curve_plot.autoRange()

    def _open_in_viewer(self) -> None:
        """Emit ``open_in_viewer_requested`` and open the sample through the application
        (``viewer_link``); why it cannot be opened is shown in a message box."""
        row = self.row
        if row is None:
            return
        sample_id = str(row.get("SampleID", ""))
        proj_path = self.transmission.proj_path
        self.open_in_viewer_requested.emit(sample_id, str(proj_path or ""))
        try:
            open_sample_in_viewer(sample_id, proj_path)
        except (MesmerizeError, OSError) as exc:
            QtWidgets.QMessageBox.warning(self, "Cannot open the sample", str(exc))


class DatapointTracerWindow(QtWidgets.QMainWindow):
    """A window holding one Datapoint Tracer (``tracer``), for plots' "View -> Live datapoint
    tracer"."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Datapoint Tracer")
        self.tracer = DatapointTracerWidget()
        self.setCentralWidget(self.tracer)
        self.resize(900, 600)

    def set_datapoint(self, t: Transmission, index: Hashable,
                      dpt_curve_column: str | None = None) -> None:
        """Show a row (see ``DatapointTracerWidget.set_datapoint``)."""
        self.tracer.set_datapoint(t, index, dpt_curve_column)
