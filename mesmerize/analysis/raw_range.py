"""Raw intensity range of ROIs in the movie they come from (used by the NormRaw node).

For each ROI, pixels are picked inside its spatial region (footprint > 0) by their brightness in
the mean image: ``top_5`` / ``top_10`` the 5 / 10 brightest, ``top_5p`` / ``top_10p`` /
``top_25p`` the brightest 5 / 10 / 25 % (at least one pixel), ``full_mean`` all of them. The
raw trace is the mean of the picked pixels in each frame; its min and max over time are the
ROI's raw range.
"""
from __future__ import annotations

import math

import numpy as np

from mesmerize.core.errors import ParameterError

RAW_RANGE_OPTIONS = ("top_5", "top_10", "top_5p", "top_10p", "top_25p", "full_mean")
_CHUNK_FRAMES = 256


def _n_picked(option: str, n_pixels: int) -> int:
    if option == "full_mean":
        return n_pixels
    if option.endswith("p"):
        return max(1, math.ceil(n_pixels * int(option[4:-1]) / 100))
    return min(n_pixels, int(option[4:]))


def picked_pixels(mean_image: np.ndarray, region: np.ndarray, option: str) -> np.ndarray:
    """Flat indices (into ``mean_image.ravel()``) of the pixels ``option`` picks in ``region``
    (boolean, same shape as ``mean_image``)."""
    if option not in RAW_RANGE_OPTIONS:
        raise ParameterError(f"option must be one of {list(RAW_RANGE_OPTIONS)}, got {option!r}.")
    flat = np.flatnonzero(region.ravel())
    if flat.size == 0:
        raise ParameterError("An ROI has an empty spatial region; it has no raw range.")
    brightness = mean_image.ravel()[flat]
    order = np.argsort(-brightness, kind="stable")
    return flat[order[:_n_picked(option, flat.size)]]


def raw_ranges(movie_tyx: np.ndarray, regions: np.ndarray, option: str) -> np.ndarray:
    """``(K, 2)`` raw (min, max) of ``K`` ROIs.

    ``movie_tyx``: ``(T, H, W)`` (may be a memory map; read in chunks of frames);
    ``regions``: boolean ``(K, H, W)``.
    """
    n_frames = movie_tyx.shape[0]
    mean_image = np.zeros(movie_tyx.shape[1:], dtype=np.float64)
    for start in range(0, n_frames, _CHUNK_FRAMES):
        mean_image += np.asarray(movie_tyx[start:start + _CHUNK_FRAMES], dtype=np.float64).sum(0)
    mean_image /= n_frames
    picks = [picked_pixels(mean_image, r, option) for r in regions]
    flat_idx = np.concatenate(picks)
    starts = np.concatenate([[0], np.cumsum([p.size for p in picks])[:-1]])
    counts = np.array([p.size for p in picks], dtype=np.float64)
    lo = np.full(len(picks), np.inf)
    hi = np.full(len(picks), -np.inf)
    for start in range(0, n_frames, _CHUNK_FRAMES):
        chunk = np.asarray(movie_tyx[start:start + _CHUNK_FRAMES], dtype=np.float64)
        values = chunk.reshape(chunk.shape[0], -1)[:, flat_idx]
        traces = np.add.reduceat(values, starts, axis=1) / counts
        lo = np.minimum(lo, traces.min(axis=0))
        hi = np.maximum(hi, traces.max(axis=0))
    return np.column_stack([lo, hi])
