"""Vectorised access to array columns: stack equal-length cells into 2-D, write rows back.

Operations call ``map_rows`` with a function of a ``(n_rows, n_samples)`` array; rows are
grouped by array length (and optionally a per-row key such as the sampling rate), so the
function runs once per group, never once per row.
"""
from __future__ import annotations

from typing import Any, Callable, Hashable, Sequence

import numpy as np
import pandas as pd

from mesmerize.core.errors import ParameterError


def require_column(df: pd.DataFrame, column: Any, param: str = "data_column") -> str:
    """Check that ``column`` is a column of ``df``; ``ParameterError`` names ``param``."""
    if not isinstance(column, str) or column not in df.columns:
        raise ParameterError(
            f"{param}: {column!r} is not a column of the input DataFrame; choose one of "
            f"{[c for c in df.columns]}.")
    return column


def array_cells(df: pd.DataFrame, column: str, param: str = "data_column") -> list[np.ndarray]:
    """The cells of ``column`` as 1-D numeric arrays (lists are converted)."""
    require_column(df, column, param)
    cells = []
    for i, v in enumerate(df[column].to_numpy(dtype=object)):
        a = np.asarray(v) if isinstance(v, (np.ndarray, list, tuple)) else None
        if a is None or a.ndim != 1 or a.dtype.kind not in "biufc":
            raise ParameterError(
                f"{param}: column {column!r} must hold 1-D numerical arrays, but row {i} holds "
                f"{type(v).__name__}{'' if a is None else f' with shape {a.shape}'}.")
        cells.append(a)
    return cells


def stack_column(df: pd.DataFrame, column: str, param: str = "data_column",
                 dtype: Any = None) -> np.ndarray:
    """``(n_rows, n_samples)`` array of the equal-length arrays in ``column``.

    Unequal lengths raise ``ParameterError`` telling the user to make them equal with
    SpliceArrays.
    """
    cells = array_cells(df, column, param)
    if not cells:
        return np.empty((0, 0), dtype=np.float64 if dtype is None else dtype)
    lengths = {a.size for a in cells}
    if len(lengths) > 1:
        raise ParameterError(
            f"{param}: the arrays in column {column!r} have different lengths "
            f"({min(lengths)} to {max(lengths)}); this operation needs equal lengths. Cut them "
            "to one length with a SpliceArrays node first.")
    out = stack_cells(cells)
    return out if dtype is None else out.astype(dtype, copy=False)


def rows_to_cells(arr: np.ndarray) -> np.ndarray:
    """An object array whose cell ``i`` is (a view of) ``arr[i]``."""
    cells = np.empty(arr.shape[0], dtype=object)
    for i in range(arr.shape[0]):
        cells[i] = arr[i]
    return cells


def _shared_rows(cells: Sequence[np.ndarray]) -> np.ndarray | None:
    """A read-only ``(n, T)`` view over ``cells`` when they are evenly spaced rows of one
    array (as operations produce them), so stacking needs no copy; else None."""
    first = cells[0]
    base = first.base
    if (len(cells) < 2 or first.ndim != 1 or first.size == 0 or first.strides[0] <= 0
            or not isinstance(base, np.ndarray) or not base.flags.c_contiguous):
        return None
    start = first.__array_interface__["data"][0]
    stride = cells[1].__array_interface__["data"][0] - start
    if stride <= 0:
        return None
    for i, c in enumerate(cells):
        if (c.base is not base or c.shape != first.shape or c.strides != first.strides
                or c.dtype != first.dtype
                or c.__array_interface__["data"][0] != start + i * stride):
            return None
    base_start = base.__array_interface__["data"][0]
    last_byte = start + (len(cells) - 1) * stride + (first.size - 1) * first.strides[0]
    if start < base_start or last_byte + first.itemsize > base_start + base.nbytes:
        return None
    return np.lib.stride_tricks.as_strided(first, shape=(len(cells), first.size),
                                           strides=(stride, first.strides[0]), writeable=False)


def stack_cells(cells: Sequence[np.ndarray]) -> np.ndarray:
    """``(n, T)`` array of equal-length 1-D cells: a read-only view when they are rows of one
    array, else a stacked copy."""
    shared = _shared_rows(cells)
    return np.stack(cells) if shared is None else shared


def map_rows(cells: Sequence[np.ndarray], func: Callable[..., np.ndarray],
             keys: Sequence[Hashable] | None = None) -> np.ndarray:
    """Apply ``func(block_2d[, key])`` to rows grouped by (length[, key]); return object cells.

    ``func`` gets a ``(n_group, n_samples)`` array (and the group's key when ``keys`` is given)
    and returns an array whose first axis is ``n_group``; row ``j`` of the result becomes the
    output cell of the ``j``-th row of the group.
    """
    n = len(cells)
    out = np.empty(n, dtype=object)
    if n == 0:
        return out
    lengths = np.fromiter((a.size for a in cells), dtype=np.int64, count=n)
    group_keys = list(zip(lengths, keys)) if keys is not None else list(lengths)
    codes, uniques = pd.factorize(pd.Series(group_keys, dtype=object), sort=False)
    for g, key in enumerate(uniques):
        idx = np.flatnonzero(codes == g)
        block = stack_cells([cells[i] for i in idx] if len(uniques) > 1 else cells)
        result = func(block) if keys is None else func(block, key[1])
        for j, i in enumerate(idx):
            out[i] = result[j]
    return out


def map_rows_scalar(cells: Sequence[np.ndarray], func: Callable[..., np.ndarray],
                    keys: Sequence[Hashable] | None = None, dtype: Any = np.float64) -> np.ndarray:
    """Like ``map_rows`` for a ``func`` returning one value per row: a ``(n_rows,)`` array."""
    out = map_rows(cells, func, keys)
    return np.array(list(out), dtype=dtype) if len(out) else np.empty(0, dtype=dtype)
