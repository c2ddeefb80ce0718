"""Time-series plots (no Qt): the mean of equal-length arrays with a confidence interval or
standard-deviation band, per group of a categorical column, and the Simple Plot of every array.

``mean_band(curves, error)`` computes ``(mean, low, high)``; ``timeseries_groups(df, ...)`` does
it per group; ``draw_timeseries(ax, groups, x)`` and ``draw_curves(ax, df, column)`` draw into
matplotlib axes. ``time_axis(n, sampling_rate)`` gives the x values in seconds (or frames).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from scipy import stats

from mesmerize.analysis.arrays import array_cells, require_column, stack_column
from mesmerize.core.errors import ParameterError
from mesmerize.plotting.utils import get_colormap

ERRORS = ("ci", "sd", "none")


def _real(arr: np.ndarray, column: str) -> np.ndarray:
    if arr.dtype.kind == "c":
        raise ParameterError(f"data_column: column {column!r} holds complex arrays (e.g. RFFT "
                             "output); make them real first, e.g. with an AbsoluteValue node.")
    return arr.astype(np.float64, copy=False)


def mean_band(curves: np.ndarray, error: str = "ci", confidence: float = 0.95
              ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """``(mean, low, high)`` over the rows of ``curves`` ``(n_curves, n_samples)``, each
    ``(n_samples,)``; NaN samples are left out of their column.

    ``error="ci"``: the ``confidence`` interval of the mean from Student's t distribution,
    ``mean +- t_{(1+c)/2, n-1} * sd / sqrt(n)`` (sd with ddof=1); ``"sd"``: ``mean +- sd``
    (ddof=1); ``"none"``: low and high are None. A column with a single value has no spread:
    its band is NaN (not drawn).
    """
    if error not in ERRORS:
        raise ParameterError(f"TimeSeries: error must be one of {ERRORS}, got {error!r}.")
    if not 0.0 < confidence < 1.0:
        raise ParameterError(f"TimeSeries: confidence must be between 0 and 1 (e.g. 0.95), got "
                             f"{confidence!r}.")
    curves = np.asarray(curves, dtype=np.float64)
    if curves.ndim != 2 or curves.shape[0] == 0:
        raise ParameterError(f"TimeSeries: curves must be (n_curves, n_samples) with at least "
                             f"one curve, got shape {curves.shape}.")
    n = np.sum(np.isfinite(curves), axis=0)
    if np.any(n == 0):
        raise ParameterError(f"TimeSeries: sample {int(np.argmax(n == 0))} is NaN in every "
                             "curve; remove NaNs or splice the arrays first.")
    mean = np.nanmean(curves, axis=0)
    if error == "none":
        return mean, None, None
    spread = np.full(mean.shape, np.nan)
    several = n > 1
    spread[several] = np.nanstd(curves[:, several], axis=0, ddof=1)
    if error == "ci":
        with np.errstate(invalid="ignore", divide="ignore"):
            t_crit = stats.t.ppf(0.5 + confidence / 2.0, np.maximum(n - 1, 1))
            spread = np.where(several, t_crit * spread / np.sqrt(n), np.nan)
    return mean, mean - spread, mean + spread


def time_axis(n_samples: int, sampling_rate: float | None = None) -> tuple[np.ndarray, str]:
    """x values ``(n_samples,)`` and their label: seconds (``i / sampling_rate``) when the rate
    (Hz) is known, else frame numbers."""
    if sampling_rate is None:
        return np.arange(n_samples, dtype=np.float64), "frame"
    if not sampling_rate > 0:
        raise ParameterError(f"TimeSeries: sampling rate must be > 0 Hz, got {sampling_rate!r}.")
    return np.arange(n_samples) / float(sampling_rate), "time (s)"


@dataclass(frozen=True)
class GroupSeries:
    """Mean and band (``(n_samples,)`` arrays; band None without error) of the ``n`` curves of
    one group."""

    label: str
    n: int
    mean: np.ndarray
    low: np.ndarray | None
    high: np.ndarray | None


def timeseries_groups(df: pd.DataFrame, data_column: str, group_column: str | None = None,
                      error: str = "ci", confidence: float = 0.95) -> list[GroupSeries]:
    """``mean_band`` of the equal-length arrays in ``data_column``, one ``GroupSeries`` per
    group of ``group_column`` (sorted labels), or one labelled ``"all"`` without a group."""
    if len(df) == 0:
        raise ParameterError("TimeSeries: the input DataFrame has no rows to plot.")
    curves = _real(stack_column(df, data_column, "data_column"), data_column)
    if group_column is None:
        labels = np.full(len(df), "all", dtype=object)
    else:
        require_column(df, group_column, "group_column")
        if df[group_column].isna().any():
            raise ParameterError(f"group_column: column {group_column!r} has missing values; "
                                 "fill or filter them first.")
        labels = df[group_column].astype(str).to_numpy()
    out = []
    for label in sorted(set(labels)):
        members = curves[labels == label]
        out.append(GroupSeries(label, members.shape[0], *mean_band(members, error, confidence)))
    return out


def draw_timeseries(ax: Axes, groups: list[GroupSeries], x: np.ndarray, cmap: str = "tab10",
                    band_alpha: float = 0.25) -> None:
    """Draw each group's mean as a line and its band as a shaded area, with a legend of
    ``label (n=...)`` when there is more than one group."""
    colours = get_colormap([g.label for g in groups], cmap)
    for g in groups:
        colour = colours[g.label]
        ax.plot(x, g.mean, color=colour, linewidth=1.5, label=f"{g.label} (n={g.n})")
        if g.low is not None:
            ax.fill_between(x, g.low, g.high, color=colour, alpha=band_alpha, linewidth=0)
    if len(groups) > 1:
        ax.legend(loc="best", fontsize="small")


def draw_curves(ax: Axes, df: pd.DataFrame, data_column: str,
                sampling_rate: float | None = None, max_legend: int = 10) -> int:
    """Simple Plot: draw every 1-D array of ``data_column`` against its sample index (or time
    in s with ``sampling_rate``); arrays may differ in length. Labels the lines by DataFrame
    index when there are at most ``max_legend``. Returns the number of lines drawn."""
    if len(df) == 0:
        raise ParameterError("Plot: the input DataFrame has no rows to plot.")
    cells = [_real(c, data_column) for c in array_cells(df, data_column)]
    for label, cell in zip(df.index, cells):
        x, _ = time_axis(cell.size, sampling_rate)
        ax.plot(x, cell, linewidth=0.8, label=str(label))
    ax.set_xlabel(time_axis(0, sampling_rate)[1])
    ax.set_ylabel(data_column)
    if len(cells) <= max_legend:
        ax.legend(loc="best", fontsize="small", title="row")
    return len(cells)
