"""Heatmap of a column of equal-length arrays, rows sorted and labelled by a categorical column.

``heatmap_data(df, data_column, labels_column)`` prepares the ``(n_rows, n_samples)`` matrix and
the row labels; ``build_heatmap(df, ...)`` draws it as a matplotlib ``Figure`` (a plain heatmap
with a label colour band, or a seaborn clustermap with hierarchical row clustering). No Qt.
"""
from __future__ import annotations

from dataclasses import dataclass

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from mesmerize.analysis.arrays import require_column, stack_column
from mesmerize.core.errors import ParameterError
from mesmerize.plotting.utils import get_colormap

LINKAGE_METHODS = ("single", "complete", "average", "weighted", "centroid", "median", "ward")


@dataclass
class HeatmapData:
    """``matrix`` ``(n_rows, n_samples)`` float64 in display order; ``labels`` the category of
    each displayed row (None without a labels column); ``order`` the DataFrame row positions
    in display order."""

    matrix: np.ndarray
    labels: list | None
    order: np.ndarray


def heatmap_data(df: pd.DataFrame, data_column: str, labels_column: str | None = None,
                 sort: bool = True) -> HeatmapData:
    """Stack ``data_column`` (equal-length 1-D arrays) and, with ``labels_column`` and
    ``sort``, order the rows by label (stable: rows keep their order within a label).

    ``ParameterError`` for a missing column, non-array cells, unequal lengths (use
    SpliceArrays), an empty DataFrame or missing labels.
    """
    if len(df) == 0:
        raise ParameterError("Heatmap: the DataFrame has no rows; nothing to plot.")
    matrix = stack_column(df, data_column, "data_column", dtype=np.float64)
    order = np.arange(len(df))
    labels = None
    if labels_column is not None:
        require_column(df, labels_column, "labels_column")
        values = df[labels_column].to_numpy(dtype=object)
        if pd.isna(values).any():
            raise ParameterError(
                f"labels_column: column {labels_column!r} has missing values; fill or filter "
                "them first.")
        if sort:
            order = np.array(sorted(order, key=lambda i: str(values[i])), dtype=np.int64)
        labels = [values[i] for i in order]
    return HeatmapData(matrix=matrix[order], labels=labels, order=order)


def _check_cmap(cmap: str) -> None:
    if cmap not in matplotlib.colormaps:
        raise ParameterError(f"Heatmap: unknown colormap {cmap!r}; use a matplotlib name such "
                             "as 'viridis' or 'jet'.")


def build_heatmap(df: pd.DataFrame, data_column: str, labels_column: str | None = None,
                  cmap: str = "viridis", labels_cmap: str = "tab10", clustermap: bool = False,
                  method: str = "complete", metric: str = "euclidean",
                  title: str | None = None, xlabel: str = "sample",
                  figsize: tuple[float, float] = (8.0, 6.0)) -> Figure:
    """A heatmap of ``data_column`` (one row per DataFrame row, one column per array sample).

    Without ``clustermap`` the rows are sorted by ``labels_column`` and a colour band at the
    left shows each row's label (legend on the right). With ``clustermap`` seaborn clusters
    the rows hierarchically (``method``, ``metric`` of scipy's linkage) and the label band is
    drawn as row colours. Returns the ``Figure`` (not shown; save it with ``savefig``).
    """
    _check_cmap(cmap)
    _check_cmap(labels_cmap)
    data = heatmap_data(df, data_column, labels_column, sort=not clustermap)
    colours = None if data.labels is None else get_colormap(
        sorted(set(data.labels), key=str), labels_cmap)
    if clustermap:
        return _clustermap(data, colours, cmap, method, metric, title, xlabel, figsize)
    fig = Figure(figsize=figsize, layout="constrained")
    if colours is None:
        ax = fig.add_subplot(1, 1, 1)
    else:
        band, ax = fig.subplots(1, 2, sharey=True, width_ratios=[1, 30])
        codes = {label: i for i, label in enumerate(colours)}
        band.imshow(np.array([codes[label] for label in data.labels])[:, None], aspect="auto",
                    interpolation="nearest",
                    cmap=matplotlib.colors.ListedColormap(list(colours.values())),
                    vmin=-0.5, vmax=len(colours) - 0.5)
        band.set_xticks([])
        band.yaxis.set_major_locator(MaxNLocator(integer=True))
        band.set_ylabel(f"row (sorted by {labels_column})")
        ax.tick_params(labelleft=False)
        fig.legend(handles=[Patch(color=c, label=str(label)) for label, c in colours.items()],
                   title=labels_column, loc="outside right upper")
    if colours is None:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel("row")
    image = ax.imshow(data.matrix, aspect="auto", interpolation="nearest", cmap=cmap)
    ax.set_xlabel(xlabel)
    fig.colorbar(image, ax=ax, label=data_column, shrink=0.8)
    if title:
        fig.suptitle(title)
    return fig


def _clustermap(data: HeatmapData, colours: dict | None, cmap: str, method: str, metric: str,
                title: str | None, xlabel: str, figsize: tuple[float, float]) -> Figure:
    import matplotlib.pyplot as plt
    import seaborn as sns

    if method not in LINKAGE_METHODS:
        raise ParameterError(f"Heatmap: method must be one of {LINKAGE_METHODS}, got "
                             f"{method!r}.")
    if method in ("centroid", "median", "ward") and metric != "euclidean":
        raise ParameterError(f"Heatmap: the {method} method needs metric 'euclidean', got "
                             f"{metric!r}.")
    if len(data.matrix) < 2:
        raise ParameterError("Heatmap: a clustermap needs at least 2 rows to cluster.")
    if not np.isfinite(data.matrix).all():
        raise ParameterError("Heatmap: the data has NaN or infinite values, which cannot be "
                             "clustered; filter those rows out first.")
    row_colors = None if colours is None else [colours[label] for label in data.labels]
    grid = sns.clustermap(pd.DataFrame(data.matrix), row_cluster=True, col_cluster=False,
                          method=method, metric=metric, cmap=cmap, row_colors=row_colors,
                          figsize=figsize, yticklabels=False, xticklabels="auto")
    fig = grid.figure
    plt.close(fig)  # owned by the caller, not by pyplot's figure manager
    grid.ax_heatmap.set_xlabel(xlabel)
    if colours is not None:
        fig.legend(handles=[Patch(color=c, label=str(label)) for label, c in colours.items()],
                   loc="upper right", frameon=False, fontsize="small",
                   ncol=max(1, min(len(colours), 4)))
    if title:
        fig.suptitle(title)
    return fig
