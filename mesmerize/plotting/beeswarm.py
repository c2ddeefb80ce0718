"""Beeswarm / violin plot of a numeric column grouped by a categorical column (no Qt).

``beeswarm_data(df, data_column, group_column)`` checks and tidies the data (one float per
row, groups as strings, sorted group order); ``build_beeswarm(df, ...)`` draws it with seaborn
into a matplotlib ``Figure``.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from mesmerize.analysis.arrays import require_column
from mesmerize.core.errors import ParameterError
from mesmerize.plotting.utils import get_colormap

KINDS = ("beeswarm", "violin", "both")


def beeswarm_data(df: pd.DataFrame, data_column: str,
                  group_column: str) -> tuple[pd.DataFrame, list[str]]:
    """A tidy DataFrame with float column ``value`` and string column ``group``, and the
    group order (sorted). Rows whose value is NaN are dropped.

    ``ParameterError`` for a missing column, a data column that is not one number per row
    (arrays must be reduced first, e.g. with PeakFeatures), or no finite value at all.
    """
    require_column(df, data_column, "data_column")
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
    groups = df[group_column]
    if groups.isna().any():
        raise ParameterError(f"group_column: column {group_column!r} has missing values; fill "
                             "or filter them first.")
    tidy = pd.DataFrame({"value": raw.astype(np.float64), "group": groups.astype(str).to_numpy()})
    tidy = tidy[np.isfinite(tidy["value"])].reset_index(drop=True)
    if tidy.empty:
        raise ParameterError(f"data_column: column {data_column!r} has no finite value to plot.")
    return tidy, sorted(tidy["group"].unique())


def build_beeswarm(df: pd.DataFrame, data_column: str, group_column: str,
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
    ax.set_xlabel(group_column)
    ax.set_ylabel(ylabel or data_column)
    if title:
        ax.set_title(title)
    return fig
