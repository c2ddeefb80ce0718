"""Mean-intensity curves of many ROIs at once, out of core.

The masks become one sparse ``(n_rois, n_pixels)`` matrix whose rows are area-normalised (each
row sums to 1), so ``curves = M @ frames`` is the per-ROI mean for every frame. Frames are read
in chunks, and only the pixels some ROI uses are gathered and converted to float32, so a
memory-mapped movie is never loaded whole.
"""
from __future__ import annotations

from typing import Iterable

import numpy as np
import scipy.sparse as sp

from mesmerize.core.errors import ROIError

DEFAULT_CHUNK_FRAMES = 256


def masks_to_matrix(
    masks: Iterable[np.ndarray], frame_shape: tuple[int, int], order: str = "F"
) -> sp.csr_matrix:
    """Area-normalised sparse ``(n_rois, n_x * n_y)`` float32 matrix of boolean ``(x, y)`` masks.

    ``masks`` is iterated once, so a generator keeps only one full-frame mask in memory.
    ``order``: pixel flattening of the ``(x, y)`` frame; ``"F"`` gives index ``y * n_x + x`` (the
    pixel order of a ``[t, y, x]`` movie frame), ``"C"`` gives ``x * n_y + y``. ROIError for a
    mask of the wrong shape or an empty mask.
    """
    if order not in ("C", "F"):
        raise ROIError(f"masks_to_matrix: order must be 'C' or 'F', got {order!r}")
    frame_shape = (int(frame_shape[0]), int(frame_shape[1]))
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    vals: list[np.ndarray] = []
    for r, mask in enumerate(masks):
        mask = np.asarray(mask)
        if mask.shape != frame_shape:
            raise ROIError(
                f"mask of ROI {r} has shape {mask.shape}, expected the frame shape (x, y) = "
                f"{frame_shape}"
            )
        idx = np.flatnonzero(mask.astype(bool, copy=False).ravel(order=order))
        if idx.size == 0:
            raise ROIError(f"mask of ROI {r} is empty; an ROI must cover at least one pixel")
        rows.append(np.full(idx.size, r, dtype=np.int64))
        cols.append(idx)
        vals.append(np.full(idx.size, 1.0 / idx.size, dtype=np.float32))
    n_rois = len(rows)
    n_pixels = frame_shape[0] * frame_shape[1]
    if n_rois == 0:
        return sp.csr_matrix((0, n_pixels), dtype=np.float32)
    return sp.csr_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(n_rois, n_pixels),
        dtype=np.float32,
    )


def extract_curves(
    seq_xyt: np.ndarray,
    masks: Iterable[np.ndarray],
    chunk_frames: int = DEFAULT_CHUNK_FRAMES,
) -> np.ndarray:
    """Mean intensity of each ROI in each frame: ``(n_rois, T)`` float32.

    ``seq_xyt``: ``[x, y, t]`` array, typically ``movie_tyx.T`` of a memory-mapped ``[t, y, x]``
    movie; it is read ``chunk_frames`` frames at a time. ``masks``: boolean ``(x, y)`` masks (a
    sequence, an ``(n_rois, x, y)`` array, or a generator). Accumulation is float32 (relative
    error ~1e-6).
    """
    seq = seq_xyt
    if getattr(seq, "ndim", 0) != 3:
        raise ROIError(
            f"extract_curves needs an [x, y, t] movie, got shape {getattr(seq, 'shape', None)}"
        )
    if int(chunk_frames) < 1:
        raise ROIError(f"chunk_frames must be >= 1, got {chunk_frames}")
    chunk_frames = int(chunk_frames)
    n_x, n_y, n_t = seq.shape
    # A C-contiguous [x, y, t] array keeps each pixel's trace contiguous: flatten (x, y) in C
    # order; anything else (the usual [t, y, x] memmap seen through .T) is read frame-major.
    pixel_major = bool(seq.flags.c_contiguous) and not bool(seq.flags.f_contiguous)
    order = "C" if pixel_major else "F"
    matrix = masks_to_matrix(masks, (n_x, n_y), order=order)
    n_rois = matrix.shape[0]
    curves = np.empty((n_rois, n_t), dtype=np.float32)
    if n_rois == 0 or n_t == 0:
        return curves
    used = np.unique(matrix.indices)
    weights = matrix[:, used].tocsr()
    if pixel_major:
        traces = seq.reshape(n_x * n_y, n_t)
        for t0 in range(0, n_t, chunk_frames):
            t1 = min(t0 + chunk_frames, n_t)
            block = np.asarray(traces[used, t0:t1], dtype=np.float32)
            curves[:, t0:t1] = weights @ block
    else:
        movie_tyx = seq.T
        weights_t = weights.T.tocsr()
        for t0 in range(0, n_t, chunk_frames):
            t1 = min(t0 + chunk_frames, n_t)
            frames = np.reshape(movie_tyx[t0:t1], (t1 - t0, n_x * n_y))
            block = np.asarray(frames[:, used], dtype=np.float32)
            curves[:, t0:t1] = (block @ weights_t).T
    return curves
