"""Splitting the field of view into overlapping patches (CaImAn's ``rf`` / ``stride_cnmf``).

A patch is ``2 rf + 1`` pixels wide; neighbouring patches overlap by ``stride_cnmf + 1``
pixels, so patch starts are ``2 rf - stride_cnmf`` apart; the last patch of a row/column is
moved back to end at the border. Footprints found in a patch are embedded in the full field of
view (Fortran pixel order over ``dims``).
"""
from __future__ import annotations

from concurrent.futures import Executor, as_completed
from typing import Any, Callable, Sequence

import numpy as np
import scipy.sparse


def _starts(size: int, width: int, step: int) -> list[int]:
    if width >= size:
        return [0]
    starts = list(range(0, size - width + 1, step))
    if starts[-1] + width < size:
        starts.append(size - width)
    return starts


def patch_windows(dims: tuple[int, int], rf: int, stride: int) -> list[tuple[int, int, int, int]]:
    """Patches as ``(y0, y1, x0, x1)`` half-open windows covering ``dims = (H, W)``."""
    H, W = dims
    width = 2 * rf + 1
    step = max(1, 2 * rf - stride)
    return [(y0, min(y0 + width, H), x0, min(x0 + width, W))
            for y0 in _starts(H, width, step) for x0 in _starts(W, width, step)]


def embed_footprints(A_patch: scipy.sparse.spmatrix, window: tuple[int, int, int, int],
                     dims: tuple[int, int]) -> scipy.sparse.csc_matrix:
    """Footprints of a patch (n_patch_pixels, K) -> full field of view (H*W, K), Fortran order."""
    y0, y1, x0, x1 = window
    h = y1 - y0
    A_patch = scipy.sparse.coo_matrix(A_patch)
    yy = A_patch.row % h
    xx = A_patch.row // h
    rows = (y0 + yy) + dims[0] * (x0 + xx)
    return scipy.sparse.csc_matrix((A_patch.data, (rows, A_patch.col)),
                                   shape=(dims[0] * dims[1], A_patch.shape[1]))


def restrict_footprints(A: scipy.sparse.spmatrix, window: tuple[int, int, int, int],
                        dims: tuple[int, int]) -> scipy.sparse.csc_matrix:
    """Full-FOV footprints (H*W, K) -> the pixels of ``window`` (Fortran order over the window)."""
    y0, y1, x0, x1 = window
    ys, xs = np.meshgrid(np.arange(y0, y1), np.arange(x0, x1), indexing="ij")
    idx = (ys + dims[0] * xs).ravel(order="F")
    return scipy.sparse.csc_matrix(scipy.sparse.csr_matrix(A)[idx])


def run_patches(fit_one: Callable[..., Any], movie_path: str,
                windows: Sequence[tuple[int, int, int, int]], params: Any,
                executor: Executor | None, report: Callable[[float, str], None],
                start: float, end: float) -> list:
    """``fit_one(movie_path, window, params)`` for every window, on ``executor`` when given
    (serially here otherwise); results in the order of ``windows``. Progress goes from
    ``start`` to ``end`` as patches finish ("patch i/n fitted"); when one fails, the patches
    not yet started are cancelled and its exception is raised."""
    n = len(windows)

    def done(i: int) -> None:
        report(start + (end - start) * i / max(n, 1), f"patch {i}/{n} fitted")

    if executor is None:
        outs = []
        for window in windows:
            outs.append(fit_one(movie_path, window, params))
            done(len(outs))
        return outs
    futures = {executor.submit(fit_one, movie_path, w, params): i for i, w in enumerate(windows)}
    outs: list = [None] * n
    try:
        for count, fut in enumerate(as_completed(futures), start=1):
            outs[futures[fut]] = fut.result()
            done(count)
    except BaseException:
        for fut in futures:  # a failed patch fails the fit: do not start the others
            fut.cancel()
        raise
    return outs
