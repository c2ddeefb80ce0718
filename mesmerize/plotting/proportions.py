"""Proportions of one categorical column within the groups of another (no Qt).

``proportions_table(df, x_column, y_column, percentages)`` is the cross-tabulation: one row per
X group, one column per Y category, holding counts or percentages (each X group sums to 100%).
``draw_proportions`` draws it into a matplotlib Axes as stacked bars or a heatmap;
``export_proportions_csv`` writes it atomically.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mesmerize.analysis.arrays import require_column
from mesmerize.core.atomic import write_text_atomic
from mesmerize.core.errors import ParameterError
from mesmerize.plotting.utils import get_colormap

KINDS = ("bar", "heatmap")


def categorical_columns(df: pd.DataFrame) -> list[str]:
    """Columns whose cells are single values (no arrays, lists or dicts): the columns that can
    group or be counted."""
    out = []
    for name in df.columns:
        column = df[name]
        if column.dtype == object and any(
                isinstance(v, (np.ndarray, list, tuple, dict, set)) for v in column.to_numpy()):
            continue
        out.append(str(name))
    return out


def proportions_table(df: pd.DataFrame, x_column: str, y_column: str,
                      percentages: bool = True) -> pd.DataFrame:
    """Cross-tabulation of ``y_column`` within each group of ``x_column``.

    Index: the sorted X groups (named ``x_column``); columns: the sorted Y categories (named
    ``y_column``). Values: counts (int64), or with ``percentages`` the percent of the X group's
    rows in each Y category (float64, each row sums to 100). Rows with a missing X or Y value
    are left out. ``ParameterError`` for a missing or array-valued column, or no rows left.
    """
    require_column(df, x_column, "X column")
    require_column(df, y_column, "Y column")
    for param, name in (("X column", x_column), ("Y column", y_column)):
        if name not in categorical_columns(df[[name]]):
            raise ParameterError(
                f"{param}: column {name!r} holds arrays; choose a column of categorical labels "
                "(one value per row).")
    if x_column == y_column:
        raise ParameterError("Proportions: X column and Y column are the same column; choose "
                             "two different columns.")
    pair = df[[x_column, y_column]].dropna()
    if len(pair) == 0:
        raise ParameterError(
            f"Proportions: no row has both an {x_column!r} and a {y_column!r} value; nothing "
            "to count.")
    table = pd.crosstab(pair[x_column], pair[y_column])
    if percentages:
        table = table.div(table.sum(axis=1), axis=0) * 100.0
    table.index.name, table.columns.name = x_column, y_column
    return table


def draw_proportions(ax: Any, table: pd.DataFrame, kind: str = "bar", percentages: bool = True,
                     cmap: str = "tab10") -> None:
    """Draw ``table`` (from ``proportions_table``) into ``ax``: one stacked bar per X group
    with a legend of the Y categories (``"bar"``), or an annotated heatmap (``"heatmap"``)."""
    if kind not in KINDS:
        raise ParameterError(f"Proportions: plot kind must be one of {KINDS}, got {kind!r}.")
    unit = "%" if percentages else "count"
    xs = np.arange(len(table.index))
    x_labels = [str(v) for v in table.index]
    if kind == "bar":
        colours = get_colormap(list(table.columns),
                               cmap if len(table.columns) <= 10 else "tab20", "mpl")
        bottom = np.zeros(len(table.index))
        for category in table.columns:
            heights = table[category].to_numpy(dtype=np.float64)
            ax.bar(xs, heights, bottom=bottom, color=colours[category], label=str(category),
                   width=0.8, edgecolor="white", linewidth=0.5)
            bottom += heights
        ax.set_xticks(xs, x_labels, rotation=45 if len(xs) > 6 else 0, ha="right"
                      if len(xs) > 6 else "center")
        ax.set_xlim(-0.6, len(xs) - 0.4)
        ax.set_ylabel(unit)
        ax.legend(title=str(table.columns.name), fontsize=8, title_fontsize=8,
                  loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0)
    else:
        values = table.to_numpy(dtype=np.float64).T
        image = ax.imshow(values, aspect="auto", cmap="viridis", interpolation="nearest")
        ax.figure.colorbar(image, ax=ax, label=unit)
        ax.set_xticks(xs, x_labels, rotation=45 if len(xs) > 6 else 0)
        ax.set_yticks(np.arange(len(table.columns)), [str(v) for v in table.columns])
        ax.set_ylabel(str(table.columns.name))
        if values.size <= 400:
            high = np.nanmax(values) if values.size else 0.0
            for (r, c), v in np.ndenumerate(values):
                ax.text(c, r, f"{v:.1f}" if percentages else f"{int(v)}", ha="center",
                        va="center", fontsize=7, color="k" if v > 0.6 * high else "w")
    ax.set_xlabel(str(table.index.name))


def export_proportions_csv(table: pd.DataFrame, path: str | os.PathLike,
                           overwrite: bool = False) -> Path:
    """Write ``table`` as CSV (X groups in the first column, one column per Y category)
    atomically; refuses an existing ``path`` unless ``overwrite``."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise ParameterError(f"{path} already exists; choose a new file name or pass "
                             "overwrite=True.")
    write_text_atomic(path, table.to_csv())
    return path
