"""Scatter plot data: ``[x, y]`` points, log axes, colours and shapes by category (no Qt).

``scatter_points(df, ...)`` takes the points from a data column of ``[x, y]`` arrays (e.g.
LDA's ``_LDA_TRANSFORM``) or from separate X and Y columns of single numbers, optionally as
``log10``. ``category_colors`` / ``category_symbols`` map a categorical column to one colour /
marker per row plus the legend. ``scatter_table`` is the plotted data as a DataFrame (for
"Export data"), ``draw_scatter`` / ``build_scatter_figure`` the same plot in matplotlib.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Hashable

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from mesmerize.analysis.arrays import require_column
from mesmerize.core.errors import ParameterError
from mesmerize.plotting.utils import get_colormap

#: pyqtgraph symbol names used for "Shapes based on", in order; repeated beyond 10 categories.
SYMBOLS = ("o", "s", "t", "d", "+", "x", "star", "p", "h", "t1")
#: The matplotlib markers drawing the same shapes as ``SYMBOLS``.
MPL_MARKERS = {"o": "o", "s": "s", "t": "v", "d": "D", "+": "P", "x": "X", "star": "*",
               "p": "p", "h": "h", "t1": "^"}


def log10_checked(values: np.ndarray, axis_name: str) -> np.ndarray:
    """``log10(values)``; ``ParameterError`` naming the axis and the first offending row when
    a value is zero or negative (NaN stays NaN)."""
    values = np.asarray(values, dtype=np.float64)
    bad = np.flatnonzero(values <= 0)
    if bad.size:
        raise ParameterError(
            f"log {axis_name}: {bad.size} value(s) are zero or negative (row {bad[0]} is "
            f"{values[bad[0]]:g}), and log10 is only defined for positive values; untick "
            f"'log {axis_name}' or filter those rows out.")
    return np.log10(values)


def _number_column(df: pd.DataFrame, column: str, param: str) -> np.ndarray:
    require_column(df, column, param)
    raw = df[column].to_numpy(dtype=object)
    for i, v in enumerate(raw):
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.number)):
            raise ParameterError(
                f"{param}: column {column!r} must hold one number per row, but row {i} holds "
                f"{type(v).__name__}; for [x, y] arrays choose it as the Data Column instead.")
    return raw.astype(np.float64)


def _xy_column(df: pd.DataFrame, column: str) -> np.ndarray:
    require_column(df, column, "data_column")
    raw = df[column].to_numpy(dtype=object)
    out = np.empty((len(raw), 2))
    for i, v in enumerate(raw):
        a = np.asarray(v) if isinstance(v, (np.ndarray, list, tuple)) else None
        if a is None or a.shape != (2,) or a.dtype.kind not in "biuf":
            what = type(v).__name__ if a is None else f"an array of shape {a.shape}"
            raise ParameterError(
                f"data_column: column {column!r} must hold [x, y] arrays of 2 numbers, but row "
                f"{i} holds {what}; for 2-D LDA output set n_components=2, or use the X and Y "
                "columns instead.")
        out[i] = a
    return out


def scatter_points(df: pd.DataFrame, data_column: str | None = None,
                   x_column: str | None = None, y_column: str | None = None,
                   log_x: bool = False, log_y: bool = False) -> np.ndarray:
    """``(n_rows, 2)`` float64 ``(x, y)`` of every row, in the order of ``df``.

    Either ``data_column`` (cells are ``[x, y]`` arrays) or both ``x_column`` and ``y_column``
    (one number per row). ``log_x`` / ``log_y`` take ``log10`` of that coordinate.
    """
    if data_column is not None:
        if x_column is not None or y_column is not None:
            raise ParameterError("Scatter: give either a Data Column of [x, y] arrays or X and "
                                 "Y columns, not both.")
        xy = _xy_column(df, data_column)
    elif x_column is not None and y_column is not None:
        xy = np.column_stack([_number_column(df, x_column, "x_column"),
                              _number_column(df, y_column, "y_column")])
    else:
        raise ParameterError("Scatter: choose a Data Column of [x, y] arrays, or both an X and "
                             "a Y column.")
    if log_x:
        xy[:, 0] = log10_checked(xy[:, 0], "x")
    if log_y:
        xy[:, 1] = log10_checked(xy[:, 1], "y")
    return xy


def _labels(df: pd.DataFrame, column: str, param: str) -> np.ndarray:
    require_column(df, column, param)
    labels = df[column]
    if labels.isna().any():
        raise ParameterError(f"{param}: column {column!r} has missing values; fill or filter "
                             "them first.")
    return labels.astype(str).to_numpy()


def category_colors(df: pd.DataFrame, column: str | None, cmap: str = "tab10",
                    alpha: float = 1.0, default: tuple = (0.12, 0.47, 0.71)
                    ) -> tuple[list[tuple], dict[Hashable, tuple]]:
    """Per-row RGBA float colours (0-1) and the legend ``{label: colour}`` (labels sorted) of
    categorical ``column``; without a column every row gets ``default`` and the legend is
    empty."""
    if not 0.0 <= float(alpha) <= 1.0:
        raise ParameterError(f"Scatter: alpha must be within 0 and 1, got {alpha!r}.")
    if column is None:
        return [(*default[:3], float(alpha))] * len(df), {}
    labels = _labels(df, column, "colors_column")
    legend = get_colormap(sorted(set(labels)), cmap, alpha=alpha)
    return [legend[v] for v in labels], legend


def category_symbols(df: pd.DataFrame, column: str | None
                     ) -> tuple[list[str], dict[Hashable, str]]:
    """Per-row pyqtgraph symbol names (``SYMBOLS``) and the legend ``{label: symbol}`` (labels
    sorted) of categorical ``column``; without a column every row is ``"o"``."""
    if column is None:
        return ["o"] * len(df), {}
    labels = _labels(df, column, "shapes_column")
    legend = {v: SYMBOLS[i % len(SYMBOLS)] for i, v in enumerate(sorted(set(labels)))}
    return [legend[v] for v in labels], legend


@dataclass(frozen=True)
class ScatterData:
    """Everything the scatter plot draws, one entry per row of the input DataFrame:
    ``xy`` ``(n, 2)``, ``colors`` RGBA 0-1, ``symbols`` pyqtgraph names, ``index`` DataFrame
    index labels; the two legends (``{label: colour}``, ``{label: symbol}``) and the columns
    they come from; axis labels."""

    xy: np.ndarray
    colors: list[tuple]
    symbols: list[str]
    index: np.ndarray
    color_legend: dict
    symbol_legend: dict
    xlabel: str
    ylabel: str
    colors_column: str | None = None
    shapes_column: str | None = None


def scatter_data(df: pd.DataFrame, data_column: str | None = None, x_column: str | None = None,
                 y_column: str | None = None, log_x: bool = False, log_y: bool = False,
                 colors_column: str | None = None, cmap: str = "tab10",
                 shapes_column: str | None = None, alpha: float = 1.0) -> ScatterData:
    """Points, per-row colours and symbols and axis labels (see ``scatter_points``,
    ``category_colors``, ``category_symbols``). ``ParameterError`` when there is no row."""
    if len(df) == 0:
        raise ParameterError("Scatter: the input DataFrame has no rows to plot.")
    xy = scatter_points(df, data_column, x_column, y_column, log_x, log_y)
    colors, color_legend = category_colors(df, colors_column, cmap, alpha)
    symbols, symbol_legend = category_symbols(df, shapes_column)
    if data_column is not None:
        xlabel, ylabel = f"{data_column} [x]", f"{data_column} [y]"
    else:
        xlabel, ylabel = str(x_column), str(y_column)
    if log_x:
        xlabel = f"log10({xlabel})"
    if log_y:
        ylabel = f"log10({ylabel})"
    return ScatterData(xy, colors, symbols, df.index.to_numpy(dtype=object), color_legend,
                       symbol_legend, xlabel, ylabel, colors_column, shapes_column)


def scatter_table(df: pd.DataFrame, data: ScatterData, colors_column: str | None = None,
                  shapes_column: str | None = None, uuid_column: str | None = None
                  ) -> pd.DataFrame:
    """The plotted points as a DataFrame: ``index`` (row label), ``x``, ``y`` (after log),
    and the colour, shape and UUID columns when given (their values as they are in ``df``)."""
    table = pd.DataFrame({"index": data.index, "x": data.xy[:, 0], "y": data.xy[:, 1]})
    for column in dict.fromkeys(c for c in (colors_column, shapes_column, uuid_column) if c):
        require_column(df, column, "column")
        table[column] = df[column].astype(str).to_numpy()
    return table


def draw_scatter(ax: Axes, data: ScatterData, spot_size: float = 10.0) -> None:
    """Draw the scatter plot of ``data`` into matplotlib ``ax`` (marker size ``spot_size``
    pixels as in the interactive plot), with a legend per category mapping."""
    if not spot_size > 0:
        raise ParameterError(f"Scatter: spot size must be > 0, got {spot_size!r}.")
    symbols = np.asarray(data.symbols)
    colors = np.asarray(data.colors, dtype=np.float64)
    size_pt2 = (spot_size * 0.75) ** 2  # pyqtgraph sizes are pixels, matplotlib points**2
    for symbol in dict.fromkeys(data.symbols):
        members = symbols == symbol
        ax.scatter(data.xy[members, 0], data.xy[members, 1], c=colors[members],
                   marker=MPL_MARKERS[symbol], s=size_pt2, linewidths=0.3, edgecolors="black")
    handles = [Line2D([], [], linestyle="", marker="o", color=c,
                      label=f"{data.colors_column}: {k}") for k, c in data.color_legend.items()]
    handles += [Line2D([], [], linestyle="", marker=MPL_MARKERS[s], color="grey",
                       label=f"{data.shapes_column}: {k}") for k, s in data.symbol_legend.items()]
    if handles:
        ax.legend(handles=handles, loc="best", fontsize="small")
    ax.set_xlabel(data.xlabel)
    ax.set_ylabel(data.ylabel)


def build_scatter_figure(data: ScatterData, spot_size: float = 10.0, title: str | None = None,
                         figsize: tuple[float, float] = (6.0, 5.0)) -> Figure:
    """``draw_scatter`` into a new matplotlib ``Figure`` (with ``title``)."""
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    draw_scatter(ax, data, spot_size)
    if title:
        ax.set_title(title)
    return fig
