"""Every plot window by kind: the ``mesmerize exec --window`` names, the flowchart's Display
nodes and the opening of saved ``.ptrn`` plots (Welcome Window, ``--open``)."""
from __future__ import annotations

import os

from mesmerize.core.errors import FormatVersionError
from mesmerize.gui.plots.base import PlotWindow
from mesmerize.gui.plots.beeswarm import BeeswarmPlotWindow
from mesmerize.gui.plots.cross_correlation import CrossCorrelationWidget
from mesmerize.gui.plots.heatmap import HeatmapTracerWidget
from mesmerize.gui.plots.kshape import KShapeWidget
from mesmerize.gui.plots.proportions import ProportionsWidget
from mesmerize.gui.plots.scatter import ScatterPlotWidget
from mesmerize.gui.plots.simple_plot import SimplePlotWidget
from mesmerize.gui.plots.spacemap import SpaceMapWidget
from mesmerize.gui.plots.timeseries import TimeSeriesWidget
from mesmerize.plotting.ptrn_file import read_ptrn_kind

PLOT_WINDOWS: dict[str, type[PlotWindow]] = {
    "heatmap": HeatmapTracerWidget,
    "kshape": KShapeWidget,
    "beeswarm": BeeswarmPlotWindow,
    "proportions": ProportionsWidget,
    "scatter": ScatterPlotWidget,
    "timeseries": TimeSeriesWidget,
    "spacemap": SpaceMapWidget,
    "crosscorr": CrossCorrelationWidget,
    "simple": SimplePlotWidget,
}
"""``mesmerize exec --window`` kind -> plot window class (the issue's names)."""

DISPLAY_NODES: dict[str, type[PlotWindow]] = {
    "BeeswarmPlots": BeeswarmPlotWindow,
    "Heatmap": HeatmapTracerWidget,
    "CrossCorr": CrossCorrelationWidget,
    "Plot": SimplePlotWidget,
    "Proportions": ProportionsWidget,
    "ScatterPlot": ScatterPlotWidget,
    "TimeSeries": TimeSeriesWidget,
    "SpaceMap": SpaceMapWidget,
}
"""Display node name (guide chapter 19.2) -> the plot window it feeds."""


def plot_class_for_kind(plot_kind: str) -> type[PlotWindow]:
    """The plot window class whose ``.ptrn`` files have ``plot_kind``."""
    for cls in PLOT_WINDOWS.values():
        if cls.saves_ptrn and cls.plot_kind == plot_kind:
            return cls
    raise FormatVersionError(f"Saved plots of kind {plot_kind!r} cannot be opened by this "
                             "Mesmerize; upgrade Mesmerize to open it.")


def open_ptrn(path: str | os.PathLike) -> PlotWindow:
    """A new plot window of the right kind showing the saved plot at ``path``."""
    window = plot_class_for_kind(read_ptrn_kind(path))()
    try:
        window.load_ptrn(path)
    except Exception:
        window.close()
        raise
    return window
