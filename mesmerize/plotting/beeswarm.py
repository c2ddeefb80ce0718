"""Beeswarm / violin plot of numeric columns grouped by a categorical column (no Qt).

``beeswarm_data(df, data_column, group_column)`` checks and tidies the data (one float per
row, groups as strings, sorted group order). ``swarm_layout(df, data_column, group_column)``
computes what the interactive Beeswarm plot draws: each point's x position (its group's
position plus a pseudo-scatter offset), its y value and DataFrame index label, and one violin
(a Gaussian KDE outline) per group. ``build_beeswarm(df, ...)`` draws a static figure with
seaborn into a matplotlib ``Figure``.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mesmerize.analysis.arrays import require_column
from mesmerize.core.errors import ParameterError
from mesmerize.plotting.utils import get_colormap

KINDS = ("beeswarm", "violin", "both")
BANDWIDTHS = ("scott", "silverman")
ALL_GROUP = "all"
_KDE_CHUNK = 1 << 22  # grid points x values evaluated at once, bounds the KDE's memory


def beeswarm_data(df: pd.DataFrame, data_column: str,
                  group_column: str | None) -> tuple[pd.DataFrame, list[str]]:
    """A tidy DataFrame with float column ``value``, string column ``group`` and the original
    DataFrame index label of each row in ``index``, and the group order (sorted). Rows whose
    value is NaN are dropped. ``group_column=None`` puts every row in one group ``"all"``.

    ``ParameterError`` for a missing column, a data column that is not one number per row
    (arrays must be reduced first, e.g. with PeakFeatures), or no finite value at all.
    """
    require_column(df, data_column, "data_column")
    if group_column is not None:
        require_column(df, group_column, "group_column")
    raw = df[data_column].to_numpy(dtype=object)
    bad = [i for i, v in enumerate(raw)
           if not (np.isscalar(v) and isinstance(v, (int, float, np.number))
                   and not isinstance(v, (bool, np.bool_)))]
    if bad:
        raise ParameterError(
            f"data_column: column {data_column!r} must hold one number per row, but row "
            f"{bad[0]} holds {type(raw[bad[0]]).__name__}; reduce arrays to numbers first "
            "(e.g. PeakFeatures or ArrayStats).")
    if group_column is None:
        groups = np.full(len(df), ALL_GROUP, dtype=object)
    else:
        if df[group_column].isna().any():
            raise ParameterError(f"group_column: column {group_column!r} has missing values; "
                                 "fill or filter them first.")
        groups = df[group_column].astype(str).to_numpy()
    tidy = pd.DataFrame({"value": raw.astype(np.float64), "group": groups,
                         "index": df.index.to_numpy(dtype=object)})
    tidy = tidy[np.isfinite(tidy["value"])].reset_index(drop=True)
    if tidy.empty:
        raise ParameterError(f"data_column: column {data_column!r} has no finite value to plot.")
    return tidy, sorted(tidy["group"].unique())


def swarm_offsets(values: np.ndarray, bin_height: float, step: float,
                  max_offset: float) -> np.ndarray:
    """Horizontal pseudo-scatter offsets ``(n,)`` for ``values`` ``(n,)``, so that points of
    similar value sit side by side instead of on top of each other.

    Values are binned into bins ``bin_height`` tall (data units); inside a bin the points, in
    order of value, take the slots 0, +1, -1, +2, -2, ... Offsets are ``slot * step`` with
    ``step`` shrunk so the fullest bin stays within ``+-max_offset`` (x units).
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1:
        raise ParameterError(f"swarm_offsets: values must be 1-D, got shape {values.shape}.")
    if not (bin_height > 0 and step > 0 and max_offset >= 0):
        raise ParameterError("swarm_offsets: bin_height and step must be > 0 and max_offset "
                             f">= 0, got {bin_height!r}, {step!r}, {max_offset!r}.")
    n = values.size
    if n == 0:
        return np.zeros(0)
    bins = np.floor((values - values.min()) / bin_height).astype(np.int64)
    order = np.lexsort((values, bins))
    sorted_bins = bins[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_bins)) + 1]
    rank = np.arange(n) - np.repeat(starts, np.diff(np.r_[starts, n]))
    slots = np.where(rank % 2 == 1, (rank + 1) // 2, -(rank // 2)).astype(np.float64)
    widest = np.abs(slots).max()
    if widest > 0:
        step = min(step, max_offset / widest)
    offsets = np.empty(n)
    offsets[order] = slots * step
    return offsets


def kde_bandwidth(values: np.ndarray, bw_method: str | float = "scott") -> float:
    """Standard deviation (data units) of the Gaussian kernel for 1-D ``values``, as
    ``scipy.stats.gaussian_kde`` chooses it: ``factor * std(values, ddof=1)`` with Scott's
    factor ``n**(-1/5)``, Silverman's ``(3n/4)**(-1/5)``, or ``bw_method`` itself when it is a
    number."""
    values = np.asarray(values, dtype=np.float64)
    n = values.size
    if n < 2:
        raise ParameterError(f"kde_bandwidth: a KDE needs at least 2 values, got {n}.")
    if isinstance(bw_method, str):
        if bw_method not in BANDWIDTHS:
            raise ParameterError(f"kde_bandwidth: bw_method must be one of {BANDWIDTHS} or a "
                                 f"positive number, got {bw_method!r}.")
        factor = n ** -0.2 if bw_method == "scott" else (0.75 * n) ** -0.2
    else:
        factor = float(bw_method)
        if not factor > 0:
            raise ParameterError(f"kde_bandwidth: bw_method must be > 0, got {bw_method!r}.")
    return factor * float(np.std(values, ddof=1))


def gaussian_kde(values: np.ndarray, grid: np.ndarray,
                 bw_method: str | float = "scott") -> np.ndarray:
    """Gaussian kernel density estimate of 1-D ``values`` evaluated at ``grid`` ``(m,)``:
    ``(m,)`` density (integrates to 1). ``ParameterError`` when the values have no spread."""
    values = np.asarray(values, dtype=np.float64)
    grid = np.asarray(grid, dtype=np.float64)
    sigma = kde_bandwidth(values, bw_method)
    if not sigma > 0:
        raise ParameterError("gaussian_kde: all values are equal, so they have no density to "
                             "estimate; a violin needs values that differ.")
    density = np.empty(grid.size)
    chunk = max(1, _KDE_CHUNK // max(values.size, 1))
    norm = values.size * sigma * np.sqrt(2.0 * np.pi)
    for start in range(0, grid.size, chunk):
        z = (grid[start:start + chunk, None] - values[None, :]) / sigma
        density[start:start + chunk] = np.exp(-0.5 * z * z).sum(axis=1) / norm
    return density


@dataclass(frozen=True)
class Violin:
    """Outline of one group's violin: at heights ``y`` ``(m,)`` it spans ``position +-
    half_width`` ``(m,)`` (x units, the widest point is the layout's ``max_half_width``)."""

    group: str
    position: float
    y: np.ndarray
    half_width: np.ndarray


@dataclass(frozen=True)
class SwarmLayout:
    """What the Beeswarm plot of one data column draws.

    ``order``: group names, group ``i`` centred at x = ``i``; ``counts``: points per group.
    Per point (``(n,)`` arrays): ``x`` position, ``y`` value, ``group`` name, ``index`` (the
    DataFrame index label of its row). ``violins``: one per group with at least two distinct
    values.
    """

    data_column: str
    group_column: str | None
    order: list[str]
    counts: dict[str, int]
    x: np.ndarray
    y: np.ndarray
    group: np.ndarray
    index: np.ndarray
    violins: list[Violin]


def swarm_layout(df: pd.DataFrame, data_column: str, group_column: str | None,
                 max_half_width: float = 0.4, n_bins: int = 60, grid_points: int = 100,
                 bw_method: str | float = "scott") -> SwarmLayout:
    """Pseudo-scatter positions and violins of ``data_column`` per group of ``group_column``.

    Points are binned into ``n_bins`` bins over the column's value range; the swarm and the
    violins of each group stay within ``+-max_half_width`` of its position. Violins are KDEs on
    ``grid_points`` heights from the group's minimum to maximum (not beyond the data).
    """
    if not 0 < max_half_width <= 0.5:
        raise ParameterError(f"Beeswarm: max_half_width must be in (0, 0.5], got "
                             f"{max_half_width!r}.")
    if n_bins < 1 or grid_points < 2:
        raise ParameterError(f"Beeswarm: n_bins must be >= 1 and grid_points >= 2, got "
                             f"{n_bins!r} and {grid_points!r}.")
    tidy, order = beeswarm_data(df, data_column, group_column)
    values = tidy["value"].to_numpy()
    groups = tidy["group"].to_numpy()
    span = float(np.ptp(values))
    bin_height = span / n_bins if span > 0 else 1.0
    x = np.empty(values.size)
    violins = []
    for position, name in enumerate(order):
        members = np.flatnonzero(groups == name)
        vals = values[members]
        x[members] = position + swarm_offsets(vals, bin_height, max_half_width / 8,
                                              max_half_width)
        if vals.size >= 2 and np.ptp(vals) > 0:
            y = np.linspace(vals.min(), vals.max(), grid_points)
            density = gaussian_kde(vals, y, bw_method)
            violins.append(Violin(name, float(position), y,
                                  density * (max_half_width / density.max())))
    counts = {name: int(np.count_nonzero(groups == name)) for name in order}
    return SwarmLayout(data_column, group_column, order, counts, x, values, groups,
                       tidy["index"].to_numpy(), violins)


def build_beeswarm(df: pd.DataFrame, data_column: str, group_column: str | None,
                   kind: str = "beeswarm", cmap: str = "tab10", point_size: float = 4.0,
                   title: str | None = None, ylabel: str | None = None,
                   figsize: tuple[float, float] = (7.0, 5.0)) -> Figure:
    """One swarm (``kind="beeswarm"``), violin (``"violin"``) or both of ``data_column`` per
    group of ``group_column``, groups sorted, coloured with ``cmap``. Returns the ``Figure``.
    """
    import seaborn as sns

    if kind not in KINDS:
        raise ParameterError(f"Beeswarm: kind must be one of {KINDS}, got {kind!r}.")
    if not point_size > 0:
        raise ParameterError(f"Beeswarm: point_size must be > 0, got {point_size!r}.")
    tidy, order = beeswarm_data(df, data_column, group_column)
    palette = get_colormap(order, cmap)
    fig = Figure(figsize=figsize, layout="constrained")
    ax = fig.add_subplot(1, 1, 1)
    if kind in ("violin", "both"):
        sns.violinplot(data=tidy, x="group", y="value", hue="group", order=order,
                       hue_order=order, palette=palette, ax=ax, legend=False, cut=0,
                       inner=None if kind == "both" else "quartile",
                       fill=kind == "violin", linewidth=1.0)
    if kind in ("beeswarm", "both"):
        with warnings.catch_warnings():  # crowded groups: seaborn warns and overlaps points
            warnings.simplefilter("ignore", UserWarning)
            sns.swarmplot(data=tidy, x="group", y="value", hue="group", order=order,
                          hue_order=order, palette=palette, size=point_size, ax=ax,
                          legend=False, edgecolor="black", linewidth=0.3)
    counts = tidy["group"].value_counts()
    ax.set_xticks(range(len(order)), [f"{g}\n(n={counts[g]})" for g in order])
    ax.set_xlabel(group_column or "")
    ax.set_ylabel(ylabel or data_column)
    if title:
        ax.set_title(title)
    return fig
