"""SpaceMap plot (guide: "SpaceMap"): a categorical column mapped as coloured ROI patches onto
the Max or Standard Deviation projection of a sample's movie. The drawing is
``mesmerize.plotting.spacemap``; this window holds the controls and the sample list."""
from __future__ import annotations

import contextlib
from typing import Any, Iterator

import matplotlib
from matplotlib.axes import Axes
from qtpy import QtCore, QtWidgets

from mesmerize.core.errors import FormatVersionError, ParameterError
from mesmerize.gui.plots.base import PlotWindow
from mesmerize.gui.plots.mpl_area import MatplotlibArea
from mesmerize.gui.plots.column_combo import ColumnCombo
from mesmerize.gui.plots.sample_list import SampleList
from mesmerize.plotting.spacemap import SamplePatches, build_spacemap, label_columns, sample_ids

_STATE_KEYS = {"patch_labels", "image_colormap", "patches_colormap", "projection",
               "fill_patches", "line_width", "alpha", "sample"}
DEFAULT_IMAGE_CMAP = "gray"
DEFAULT_PATCHES_CMAP = "tab10"


class SpaceMapPlotArea(MatplotlibArea):
    """The plot area: ``fig``, ``ax`` (the Axes of the current plot), ``draw()``."""

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent, figsize=(6.0, 5.0))
        self.ax: Axes = self.fig.add_subplot(1, 1, 1)

    def new_axes(self) -> Axes:
        """Clear the figure and make a fresh ``ax``."""
        self.fig.clear()
        self.ax = self.fig.add_subplot(1, 1, 1)
        return self.ax


def _cmap_combo(default: str) -> QtWidgets.QComboBox:
    combo = QtWidgets.QComboBox()
    combo.addItems(sorted(matplotlib.colormaps, key=str.lower))
    combo.setSizeAdjustPolicy(QtWidgets.QComboBox.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(10)
    combo.setCurrentText(default)
    return combo


class SpaceMapWidget(PlotWindow):
    """Controls (guide table): Patch labels, Image Colormap, Patches Colormap, Projection
    (Max / Standard Deviation), Fill Patches, Line width, Alpha, Samples; plus Update Plot,
    Save, Load and Show/Hide Console from the base. Any control change redraws.

    ``plot`` is the plot area (console: ``get_plot()``); ``patches`` the ``SamplePatches`` last
    drawn (None before).
    """

    plot_kind = "spacemap"
    window_title = "SpaceMap"
    saves_ptrn = True

    def __init__(self, parent: QtWidgets.QWidget | None = None) -> None:
        super().__init__(parent)
        self.patches: SamplePatches | None = None
        self._quiet_depth = 0
        self.patch_labels = ColumnCombo("categorical")
        self.image_cmap = _cmap_combo(DEFAULT_IMAGE_CMAP)
        self.patches_cmap = _cmap_combo(DEFAULT_PATCHES_CMAP)
        self.max_button = QtWidgets.QRadioButton("Max")
        self.std_button = QtWidgets.QRadioButton("Standard Deviation")
        self.max_button.setChecked(True)
        self.fill_patches = QtWidgets.QCheckBox("Fill Patches")
        self.line_width = QtWidgets.QDoubleSpinBox()
        self.line_width.setRange(0.0, 20.0)
        self.line_width.setSingleStep(0.5)
        self.line_width.setValue(2.0)
        self.alpha = QtWidgets.QDoubleSpinBox()
        self.alpha.setRange(0.0, 1.0)
        self.alpha.setSingleStep(0.05)
        self.alpha.setValue(0.8)
        self.samples = SampleList()
        self.samples.setToolTip("Click on a sample to plot it")

        form = QtWidgets.QFormLayout()
        form.addRow("Patch labels", self.patch_labels)
        form.addRow("Image Colormap", self.image_cmap)
        form.addRow("Patches Colormap", self.patches_cmap)
        projection = QtWidgets.QVBoxLayout()
        projection.addWidget(self.max_button)
        projection.addWidget(self.std_button)
        form.addRow("Projection", projection)
        form.addRow(self.fill_patches)
        form.addRow("Line width", self.line_width)
        form.addRow("Alpha", self.alpha)
        self.controls_layout.addLayout(form)
        self.controls_layout.addWidget(QtWidgets.QLabel("Samples"))
        self.controls_layout.addWidget(self.samples, 1)

        self.plot = SpaceMapPlotArea()
        self.set_main_widget(self.plot)
        for signal in (self.patch_labels.currentIndexChanged, self.image_cmap.currentIndexChanged,
                       self.patches_cmap.currentIndexChanged, self.max_button.toggled,
                       self.fill_patches.toggled, self.line_width.valueChanged,
                       self.alpha.valueChanged, self.samples.currentRowChanged):
            signal.connect(self._control_changed)
        self.resize(1000, 650)
        self.resizeDocks([self.controls_dock], [self.controls.sizeHint().width() + 24],
                         QtCore.Qt.Horizontal)

    # --- the guide's console names -------------------------------------------------------------
    def get_plot(self) -> SpaceMapPlotArea:
        """The plot area: ``.fig``, ``.ax`` and ``.draw()``."""
        return self.plot

    def console_namespace(self) -> dict[str, Any]:
        return {**super().console_namespace(), "get_plot": self.get_plot}

    # --- controls ------------------------------------------------------------------------------
    def projection(self) -> str:
        return "max" if self.max_button.isChecked() else "std"

    def current_sample(self) -> str | None:
        return self.samples.current_sample()

    def set_current_sample(self, sample_id: str) -> None:
        """Select ``sample_id`` in the Samples list (which redraws)."""
        self.samples.set_current_sample(sample_id)

    @contextlib.contextmanager
    def _quiet(self) -> Iterator[None]:
        """Change controls without redrawing after each change."""
        self._quiet_depth += 1
        try:
            yield
        finally:
            self._quiet_depth -= 1

    def _control_changed(self, *_args: Any) -> None:
        if self.transmission is not None and not self._quiet_depth:
            self.update_plot()

    def input_changed(self) -> None:
        t = self.transmission
        with self._quiet():
            self.patch_labels.set_columns([] if t is None else label_columns(t))
            self.samples.set_samples(
                [] if t is None or "SampleID" not in t.df.columns else sample_ids(t))

    def draw_plot(self) -> None:
        label_column = self.patch_labels.value()
        if label_column is None:
            raise ParameterError("SpaceMap: the input has no categorical column for the patch "
                                 "labels (e.g. an ROI type column).")
        sample_id = self.current_sample()
        if sample_id is None:
            raise ParameterError("SpaceMap: the input has no samples (no SampleID column or no "
                                 "rows); load data from a project.")
        self.patches = None
        ax = self.plot.new_axes()
        self.patches = build_spacemap(
            ax, self.transmission, sample_id, label_column, projection=self.projection(),
            image_cmap=self.image_cmap.currentText(),
            patches_cmap=self.patches_cmap.currentText(), fill=self.fill_patches.isChecked(),
            line_width=self.line_width.value(), alpha=self.alpha.value())
        self.plot.fig.tight_layout()
        self.plot.draw()

    def status_text(self) -> str:
        if self.patches is None:
            return ""
        return (f"{self.patches.sample_id}: {len(self.patches.outlines)} ROIs, "
                f"{len(set(self.patches.labels))} {self.patch_labels.value()} label(s).")

    # --- state ---------------------------------------------------------------------------------
    def get_plot_state(self) -> dict[str, Any]:
        return {"patch_labels": self.patch_labels.value(),
                "image_colormap": self.image_cmap.currentText(),
                "patches_colormap": self.patches_cmap.currentText(),
                "projection": self.projection(), "fill_patches": self.fill_patches.isChecked(),
                "line_width": self.line_width.value(), "alpha": self.alpha.value(),
                "sample": self.current_sample()}

    def set_plot_state(self, state: dict[str, Any]) -> None:
        unknown = set(state) - _STATE_KEYS
        if unknown:
            raise FormatVersionError(f"The spacemap plot has no controls {sorted(unknown)}.")
        if state.get("projection", "max") not in ("max", "std"):
            raise ParameterError(f"SpaceMap: projection must be 'max' or 'std', got "
                                 f"{state['projection']!r}.")
        for key in ("image_colormap", "patches_colormap"):
            if key in state and state[key] not in matplotlib.colormaps:
                raise ParameterError(f"SpaceMap: unknown {key} {state[key]!r}.")
        with self._quiet():
            if state.get("patch_labels") is not None:
                self.patch_labels.set_value(state["patch_labels"])
            if "image_colormap" in state:
                self.image_cmap.setCurrentText(state["image_colormap"])
            if "patches_colormap" in state:
                self.patches_cmap.setCurrentText(state["patches_colormap"])
            if "projection" in state:
                button = self.max_button if state["projection"] == "max" else self.std_button
                button.setChecked(True)
            if "fill_patches" in state:
                self.fill_patches.setChecked(bool(state["fill_patches"]))
            if "line_width" in state:
                self.line_width.setValue(float(state["line_width"]))
            if "alpha" in state:
                self.alpha.setValue(float(state["alpha"]))
            if state.get("sample") is not None:
                self.set_current_sample(state["sample"])
