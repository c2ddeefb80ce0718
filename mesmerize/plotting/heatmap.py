"""Heatmap of a column of equal-length arrays: rows sorted by a categorical column, or ordered by
the dendrogram of a hierarchical clustering (FCluster), with label colour bars and a legend.

- ``heatmap_data(df, ...)`` prepares the ``(n_rows, n_samples)`` matrix in display order.
- ``fcluster_linkage(t)`` finds the linkage matrix an FCluster node logged for a Transmission.
- ``HeatmapGrid(fig, data, ...)`` draws it on a matplotlib Figure, with the axes of a seaborn
  ``ClusterGrid`` (``ax_heatmap``, ``ax_row_dendrogram``, ``ax_col_dendrogram`` for the legend,
  ``ax_row_colors``, ``cax``). Large matrices are drawn fast: only the visible part, averaged down
  to about the axes' pixel size, is handed to matplotlib at each draw.
- ``build_heatmap(df, ...)`` returns a standalone ``Figure`` (scripts, the demo pipeline).

No Qt.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from numbers import Real
from typing import TYPE_CHECKING, Any, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.patches import Patch, Rectangle
from matplotlib.ticker import FuncFormatter, MaxNLocator
from scipy.cluster import hierarchy
from seaborn.axisgrid import Grid
from seaborn.matrix import ClusterGrid

from mesmerize.analysis.arrays import require_column, stack_column
from mesmerize.analysis.history_trace import BLOCK_COLUMN
from mesmerize.analysis.ops.hierarchical import FCLUSTER_COLUMN, METHODS, distances
from mesmerize.core.errors import ParameterError
from mesmerize.plotting.utils import get_colormap

if TYPE_CHECKING:
    from mesmerize.analysis.transmission import Transmission

LINKAGE_METHODS = METHODS
FCLUSTER_OPERATION = "fcluster"
#: Labels listed per legend; more are summarised as "... n more" (their colours stay drawn).
MAX_LEGEND_ENTRIES = 40
#: Drawn image size relative to the heatmap axes' size in pixels: one block mean per pixel
#: (a box filter); more would only be resampled away by matplotlib.
DISPLAY_OVERSAMPLING = 1


@dataclass
class HeatmapData:
    """``matrix`` ``(n_rows, n_samples)`` float (float32 data stay float32, other numbers
    become float64) in display order; ``order`` the DataFrame row
    positions in display order; ``labels`` the labels-column value of each displayed row (None
    without a labels column); ``clusters`` the FCluster label of each displayed row and
    ``linkage`` the ``(n_rows - 1, 4)`` linkage matrix whose leaves give the order (both None
    without clustering); ``data_column`` / ``labels_column`` the column names."""

    matrix: np.ndarray
    order: np.ndarray
    labels: list | None = None
    clusters: list | None = None
    linkage: np.ndarray | None = None
    data_column: str = ""
    labels_column: str | None = None


def sorted_positions(values: Sequence[Any]) -> np.ndarray:
    """Stable order of ``values``: numerically when all are numbers, else by their text."""
    values = list(values)
    if all(isinstance(v, Real) and not isinstance(v, bool) for v in values):
        keys = np.asarray(values, dtype=np.float64)
    else:
        keys = np.asarray([str(v) for v in values], dtype=str)
    return np.argsort(keys, kind="stable")


def _categories(df: pd.DataFrame, column: str, param: str) -> np.ndarray:
    require_column(df, column, param)
    values = df[column].to_numpy(dtype=object)
    if pd.isna(values).any():
        raise ParameterError(
            f"{param}: column {column!r} has missing values; fill or filter them first.")
    return values


def check_linkage(linkage: np.ndarray, n_rows: int) -> np.ndarray:
    """``linkage`` as a float64 ``(n_rows - 1, 4)`` matrix; ``ParameterError`` otherwise."""
    z = np.asarray(linkage, dtype=np.float64)
    if z.ndim != 2 or z.shape != (n_rows - 1, 4):
        raise ParameterError(
            f"Heatmap: the linkage matrix has shape {z.shape} but the data have {n_rows} rows "
            f"(expected {(n_rows - 1, 4)}); plot the output of the FCluster node that used it.")
    return z


def heatmap_data(df: pd.DataFrame, data_column: str, labels_column: str | None = None,
                 sort_by: str | None = None, linkage: np.ndarray | None = None) -> HeatmapData:
    """Stack ``data_column`` (equal-length 1-D arrays) in display order.

    ``sort_by``: a categorical column; rows are sorted by it (stable). ``linkage``: a linkage
    matrix of the rows; rows follow its dendrogram's leaves, and the FCluster labels (column
    ``FCLUSTER_LABELS``) are returned in ``clusters``. Sorting and a linkage exclude each other.

    ``ParameterError`` for a missing column, non-array cells, unequal lengths (use
    SpliceArrays), an empty DataFrame or missing labels.
    """
    if len(df) == 0:
        raise ParameterError("Heatmap: the DataFrame has no rows; nothing to plot.")
    matrix = stack_column(df, data_column, "data_column")
    if not np.issubdtype(matrix.dtype, np.floating):
        matrix = matrix.astype(np.float64)
    labels = None if labels_column is None else _categories(df, labels_column, "labels_column")
    clusters = None
    z = None
    if linkage is not None:
        if sort_by is not None:
            raise ParameterError("Heatmap: rows follow the dendrogram of the clustering; sorting "
                                 "them by a column is not possible (choose no sort column).")
        z = check_linkage(linkage, len(df))
        order = hierarchy.leaves_list(z).astype(np.int64)
        if FCLUSTER_COLUMN in df.columns:
            clusters = list(_categories(df, FCLUSTER_COLUMN, "cluster labels")[order])
    elif sort_by is not None:
        order = sorted_positions(_categories(df, sort_by, "sort column")).astype(np.int64)
    else:
        order = np.arange(len(df), dtype=np.int64)
    identity = bool(np.array_equal(order, np.arange(len(df))))
    return HeatmapData(matrix=matrix if identity else matrix[order], order=order,
                       labels=None if labels is None else list(labels[order]),
                       clusters=clusters, linkage=z, data_column=data_column,
                       labels_column=labels_column)


def fcluster_linkage(t: Transmission) -> np.ndarray | None:
    """The linkage matrix the last FCluster node logged for ``t``'s rows, or None when no
    FCluster was applied. ``ParameterError`` when the rows are no longer the ones that were
    clustered (filtered, merged with other data, or from different FCluster runs)."""
    df = t.df
    if BLOCK_COLUMN not in df.columns or len(df) == 0:
        return None
    trace = t.history_trace
    blocks = [b for b in dict.fromkeys(df[BLOCK_COLUMN].astype(str)) if b in trace.data_blocks]
    found = [b for b in blocks if trace.check_operation_exists(b, FCLUSTER_OPERATION)]
    if not found:
        return None
    if len(found) != len(blocks):
        raise ParameterError(
            "Heatmap: only some rows come from an FCluster node, so no dendrogram can be drawn; "
            "plot the FCluster output on its own.")
    matrices = [np.asarray(trace.get_operation_params(b, FCLUSTER_OPERATION)["linkage_matrix"],
                           dtype=np.float64) for b in found]
    if any(m.shape != matrices[0].shape or not np.array_equal(m, matrices[0])
           for m in matrices[1:]):
        raise ParameterError(
            "Heatmap: the rows come from different FCluster runs, so no single dendrogram can be "
            "drawn; plot each FCluster output separately.")
    z = matrices[0]
    if z.ndim != 2 or z.shape[0] + 1 != len(df):
        raise ParameterError(
            f"Heatmap: the FCluster linkage matrix was computed from {len(z) + 1} rows but the "
            f"input has {len(df)}; rows were added or removed after FCluster, so the dendrogram "
            "cannot be drawn. Connect the heatmap to the FCluster output directly.")
    return z


def block_means(matrix: np.ndarray, max_rows: int, max_cols: int) -> tuple[np.ndarray, int, int]:
    """Means of ``matrix`` over blocks of ``fr`` consecutive rows and ``fc`` consecutive columns,
    the smallest factors that give at most ``max_rows`` x ``max_cols`` values (a last, partial
    block averages the remainder). Returns ``(means, fr, fc)``; ``means`` is float32."""
    out = matrix
    factors = []
    for axis, limit in ((0, max_rows), (1, max_cols)):
        size = out.shape[axis]
        f = max(1, -(-size // max(1, limit)))
        factors.append(f)
        if f == 1:
            continue
        full = (size // f) * f
        head = np.moveaxis(out, axis, 0)
        blocks = head[:full].reshape(size // f, f, *head.shape[1:]).mean(axis=1, dtype=np.float32)
        if full < size:
            blocks = np.concatenate([blocks, head[full:].mean(axis=0, dtype=np.float32)[None]])
        out = np.moveaxis(blocks, 0, axis)
    return np.ascontiguousarray(out, dtype=np.float32), factors[0], factors[1]


class ViewImage(AxesImage):
    """An image of a large matrix that draws only the part visible in its axes, averaged down
    to about ``DISPLAY_OVERSAMPLING`` x the axes' pixel size. Matrix cell ``(i, j)`` covers
    ``x in [j, j + 1)``, ``y in [i, i + 1)`` (row 0 at the top). The axes must not autoscale."""

    def __init__(self, ax, matrix: np.ndarray, **kwargs: Any) -> None:
        super().__init__(ax, origin="upper", interpolation="nearest", **kwargs)
        self.matrix = matrix
        self._view_key: tuple | None = None

    def update_view(self) -> None:
        """Take the visible part of the matrix (cached until the view or axes size change)."""
        n_rows, n_cols = self.matrix.shape
        x0, x1 = sorted(self.axes.get_xlim())
        y0, y1 = sorted(self.axes.get_ylim())
        c0, c1 = max(0, int(np.floor(x0))), min(n_cols, int(np.ceil(x1)))
        r0, r1 = max(0, int(np.floor(y0))), min(n_rows, int(np.ceil(y1)))
        if c1 <= c0 or r1 <= r0:
            c0, c1, r0, r1 = 0, 1, 0, 1
        box = self.axes.bbox
        max_rows = max(16, int(box.height * DISPLAY_OVERSAMPLING))
        max_cols = max(16, int(box.width * DISPLAY_OVERSAMPLING))
        key = (r0, r1, c0, c1, max_rows, max_cols)
        if key == self._view_key:
            return
        self._view_key = key
        shown, fr, fc = block_means(self.matrix[r0:r1, c0:c1], max_rows, max_cols)
        # a last, partial block is drawn as tall/wide as the others, past the matrix's end
        self.set_data(shown)
        self.set_extent((c0, c0 + shown.shape[1] * fc, r0 + shown.shape[0] * fr, r0))

    def draw(self, renderer) -> None:
        self.update_view()
        super().draw(renderer)


def dendrogram_segments(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Line segments of the dendrogram of linkage matrix ``z`` ``(n - 1, 4)`` drawn sideways:
    ``(3 * (n - 1), 2, 2)`` points ``(height, row)`` where leaf ``hierarchy.leaves_list(z)[k]``
    sits at row ``k + 0.5`` and each link at the mean row of its two children; and the leaf
    order ``(n,)``. Iterative, so trees of any depth work."""
    n = z.shape[0] + 1
    leaves = hierarchy.leaves_list(z)
    position = np.empty(2 * n - 1)
    height = np.zeros(2 * n - 1)
    position[leaves] = np.arange(n) + 0.5
    segments = np.empty((3 * (n - 1), 2, 2))
    for i, (a, b, h, _) in enumerate(z):
        a, b = int(a), int(b)
        pa, pb = position[a], position[b]
        position[n + i] = (pa + pb) / 2.0
        height[n + i] = h
        segments[3 * i] = ((height[a], pa), (h, pa))
        segments[3 * i + 1] = ((h, pa), (h, pb))
        segments[3 * i + 2] = ((h, pb), (height[b], pb))
    return segments, leaves


def _finite_range(matrix: np.ndarray) -> tuple[float, float]:
    """``(min, max)`` of the finite values of ``matrix`` ((0, 1) when there are none)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN data: handled below
        low, high = np.nanmin(matrix), np.nanmax(matrix)
    if not (np.isfinite(low) and np.isfinite(high)):
        finite = matrix[np.isfinite(matrix)]
        if finite.size == 0:
            return 0.0, 1.0
        low, high = finite.min(), finite.max()
    return float(low), float(high)


def _check_cmap(cmap: str) -> None:
    if cmap not in matplotlib.colormaps:
        raise ParameterError(f"Heatmap: unknown colormap {cmap!r}; use a matplotlib name such "
                             "as 'viridis' or 'jet'.")


def _label_colours(values: Sequence[Any], cmap: str) -> dict:
    unique = list(dict.fromkeys(values))
    ordered = [unique[i] for i in sorted_positions(unique)]
    return get_colormap(ordered, cmap)


class RowCentreLocator(MaxNLocator):
    """Ticks at the centres ``k + 0.5`` of whole rows ``k`` (row ``k`` spans ``[k, k + 1)``)."""

    def tick_values(self, vmin: float, vmax: float) -> np.ndarray:
        return super().tick_values(vmin - 0.5, vmax - 0.5) + 0.5


@dataclass
class RowDendrogram:
    """The drawn row dendrogram: ``linkage`` and ``reordered_ind`` (the leaf order), as in
    seaborn's dendrogram plotter."""

    linkage: np.ndarray
    reordered_ind: list


class HeatmapGrid(ClusterGrid):
    """A heatmap on ``fig`` with seaborn ClusterGrid's axes: ``ax_heatmap``,
    ``ax_row_dendrogram`` (the clustering tree, empty without one), ``ax_col_dendrogram`` (the
    legend), ``ax_row_colors`` (label colour bars, None without labels), ``cax`` (colorbar).

    ``matrix`` is the full ``(n_rows, n_samples)`` data in display order, ``image`` the heatmap
    artist, ``highlighted_row`` the display row outlined by ``highlight_row`` (or None).
    """

    def __init__(self, fig: Figure, data: HeatmapData, cmap: str = "jet",
                 labels_cmap: str = "tab10", xlabel: str | None = None,
                 colorbar_label: str | None = None) -> None:
        _check_cmap(cmap)
        _check_cmap(labels_cmap)
        Grid.__init__(self)  # ClusterGrid's own __init__ would open a pyplot figure
        self._figure = fig
        self.matrix = data.matrix
        self.data = self.data2d = pd.DataFrame(data.matrix)
        self.mask = None
        self.heatmap_data = data
        self.row_colors = self.row_color_labels = None
        self.col_colors = self.col_color_labels = None
        self.ax_col_colors = None
        self.dendrogram_col = None
        self.dendrogram_row = None
        self.cbar_pos = None
        self.highlighted_row: int | None = None
        self._highlight: Rectangle | None = None

        bars = [(name, values) for name, values in
                (("cluster", data.clusters), (data.labels_column, data.labels))
                if values is not None]
        clustered = data.linkage is not None
        n_rows, n_cols = data.matrix.shape
        legend_rows = max([1] + [int(np.ceil(min(len(set(v)), MAX_LEGEND_ENTRIES + 1) / 8))
                                 for _, v in bars])
        widths = ([0.22] if clustered else []) + ([0.035 * len(bars)] if bars else []) + [1, 0.03]
        self.gs = fig.add_gridspec(2, len(widths), width_ratios=widths,
                                   height_ratios=[min(0.5, 0.07 + 0.05 * legend_rows), 1])
        col = 0
        if clustered:
            self.ax_row_dendrogram = fig.add_subplot(self.gs[1, 0])
            col = 1
        self.ax_heatmap = fig.add_subplot(self.gs[1, -2])
        if clustered:
            self.ax_row_dendrogram.sharey(self.ax_heatmap)
        else:
            self.ax_row_dendrogram = fig.add_subplot(self.gs[0, -1])
        self.ax_row_colors = None
        if bars:
            self.ax_row_colors = fig.add_subplot(self.gs[1, col], sharey=self.ax_heatmap)
        self.ax_col_dendrogram = fig.add_subplot(self.gs[0, -2])
        self.ax_cbar = self.cax = fig.add_subplot(self.gs[1, -1])

        vmin, vmax = _finite_range(data.matrix)
        self.image = ViewImage(self.ax_heatmap, data.matrix, cmap=cmap,
                               norm=matplotlib.colors.Normalize(vmin, vmax))
        self.image.set_clip_path(self.ax_heatmap.patch)
        self.ax_heatmap.add_image(self.image)
        self.ax_heatmap.set_autoscale_on(False)
        self.ax_heatmap.set_xlim(0, n_cols)
        self.ax_heatmap.set_ylim(n_rows, 0)
        self.ax_heatmap.set_aspect("auto")
        self.image.update_view()
        self.ax_heatmap.yaxis.set_major_locator(RowCentreLocator(nbins="auto", integer=True))
        self.ax_heatmap.yaxis.set_major_formatter(FuncFormatter(lambda y, _: f"{y - 0.5:.0f}"))
        self.ax_heatmap.xaxis.set_major_locator(MaxNLocator(nbins="auto", integer=True))
        self.ax_heatmap.yaxis.tick_right()
        self.ax_heatmap.yaxis.set_label_position("right")
        self.ax_heatmap.set_ylabel("row")
        self.ax_heatmap.set_xlabel(data.data_column if xlabel is None else xlabel)
        colorbar = fig.colorbar(self.image, cax=self.cax)
        if colorbar_label:
            colorbar.set_label(colorbar_label)

        self.ax_row_dendrogram.set_axis_off()
        if clustered:
            self._draw_dendrogram(data.linkage)
        self.ax_col_dendrogram.set_axis_off()
        self._draw_label_bars(bars, labels_cmap)

    def _draw_dendrogram(self, z: np.ndarray) -> None:
        segments, leaves = dendrogram_segments(z)
        self.dendrogram_row = RowDendrogram(linkage=z, reordered_ind=leaves.tolist())
        ax = self.ax_row_dendrogram
        ax.add_collection(LineCollection(segments, colors="0.2", linewidths=0.8))
        top = float(z[:, 2].max()) if len(z) else 1.0
        ax.set_xlim(top * 1.05 if top > 0 else 1.0, 0.0)

    def _draw_label_bars(self, bars: list[tuple[str, list]], cmap: str) -> None:
        if not bars:
            return
        columns, handles = [], []
        for name, values in bars:
            colours = _label_colours(values, cmap)
            columns.append([colours[v] for v in values])
            patches = [Patch(color=c, label=str(v)) for v, c in colours.items()]
            if len(patches) > MAX_LEGEND_ENTRIES:
                more = len(patches) - MAX_LEGEND_ENTRIES
                patches = patches[:MAX_LEGEND_ENTRIES] + [Patch(color="none",
                                                                label=f"... {more} more")]
            handles.append((name, patches))
        rgba = np.array(columns, dtype=np.float64).transpose(1, 0, 2)
        n_rows = rgba.shape[0]
        self.ax_row_colors.imshow(rgba, aspect="auto", interpolation="nearest",
                                  extent=(0, len(bars), n_rows, 0))
        self.ax_row_colors.set_xticks(np.arange(len(bars)) + 0.5,
                                      [str(name) for name, _ in bars], rotation=90)
        self.ax_row_colors.tick_params(left=False, labelleft=False)
        self.ax_heatmap.set_ylim(n_rows, 0)
        locations = ["center"] if len(handles) == 1 else ["center left", "center right"]
        for (name, patches), loc in zip(handles, locations):
            legend = self.ax_col_dendrogram.legend(
                handles=patches, title=str(name), loc=loc, ncol=min(len(patches), 8),
                fontsize="x-small", title_fontsize="small", frameon=False,
                handlelength=1.0, columnspacing=1.0)
            self.ax_col_dendrogram.add_artist(legend)

    def row_at(self, y: float | None) -> int | None:
        """The display row at heatmap y coordinate ``y`` (None outside the rows)."""
        if y is None or not np.isfinite(y):
            return None
        row = int(np.floor(y))
        return row if 0 <= row < self.matrix.shape[0] else None

    def highlight_row(self, row: int | None) -> None:
        """Outline display row ``row`` on the heatmap (None removes the outline)."""
        if self._highlight is not None:
            self._highlight.remove()
            self._highlight = None
        self.highlighted_row = row
        if row is None:
            return
        if not 0 <= row < self.matrix.shape[0]:
            raise ParameterError(f"Heatmap: row {row} is outside the {self.matrix.shape[0]} rows.")
        self._highlight = Rectangle((0, row), self.matrix.shape[1], 1, fill=False,
                                    edgecolor="white", linewidth=1.5, zorder=5)
        self.ax_heatmap.add_patch(self._highlight)


def draw_heatmap(fig: Figure, data: HeatmapData, cmap: str = "jet", labels_cmap: str = "tab10",
                 xlabel: str | None = None, colorbar_label: str | None = None,
                 title: str | None = None) -> HeatmapGrid:
    """Clear ``fig`` and draw ``data`` on it (constrained layout); returns the grid."""
    fig.clear()
    fig.set_layout_engine("constrained")
    grid = HeatmapGrid(fig, data, cmap=cmap, labels_cmap=labels_cmap, xlabel=xlabel,
                       colorbar_label=colorbar_label)
    if title:
        fig.suptitle(title)
    return grid


def build_heatmap(df: pd.DataFrame, data_column: str, labels_column: str | None = None,
                  cmap: str = "viridis", labels_cmap: str = "tab10", clustermap: bool = False,
                  method: str = "complete", metric: str = "euclidean",
                  title: str | None = None, xlabel: str = "sample",
                  figsize: tuple[float, float] = (8.0, 6.0)) -> Figure:
    """A heatmap of ``data_column`` (one row per DataFrame row, one column per array sample).

    Without ``clustermap`` the rows are sorted by ``labels_column``, whose colour band and
    legend label them. With ``clustermap`` the rows are clustered hierarchically (``method``,
    ``metric`` of scipy's linkage) and drawn in dendrogram order beside the tree. Returns the
    ``Figure`` (not shown; save it with ``savefig``).
    """
    _check_cmap(cmap)
    _check_cmap(labels_cmap)
    z = None
    if clustermap:
        if method not in LINKAGE_METHODS:
            raise ParameterError(f"Heatmap: method must be one of {LINKAGE_METHODS}, got "
                                 f"{method!r}.")
        if method in ("centroid", "median", "ward") and metric != "euclidean":
            raise ParameterError(f"Heatmap: the {method} method needs metric 'euclidean', got "
                                 f"{metric!r}.")
        matrix = heatmap_data(df, data_column).matrix
        if len(matrix) < 2:
            raise ParameterError("Heatmap: a clustermap needs at least 2 rows to cluster.")
        if not np.isfinite(matrix).all():
            raise ParameterError("Heatmap: the data has NaN or infinite values, which cannot be "
                                 "clustered; filter those rows out first.")
        z = hierarchy.linkage(distances(matrix, metric), method=method)
    data = heatmap_data(df, data_column, labels_column,
                        sort_by=None if clustermap else labels_column, linkage=z)
    fig = Figure(figsize=figsize)
    draw_heatmap(fig, data, cmap=cmap, labels_cmap=labels_cmap, xlabel=xlabel,
                 colorbar_label=data_column, title=title)
    return fig
