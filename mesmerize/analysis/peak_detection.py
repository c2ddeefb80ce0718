"""Derivative-based peak and base detection (T. O'Haver, "Differentiation" / peak detection).

A peak is a downward zero crossing of the derivative ``d`` (``d[i] > 0 >= d[i + 1]``) whose
derivative drop ``d[i] - d[i + 1]`` is at least ``slope_thr``; it sits on whichever of samples
``i``, ``i + 1`` is higher in the normalized signal. Peaks whose normalized value is below
``ampl_thr_abs``, or whose prominence in the normalized signal (``scipy.signal.peak_prominences``:
height above the higher of the two lowest points reached before a higher peak or the curve's
end; NaNs count as the curve's minimum) is below ``ampl_thr_rel``, are dropped. Of two peaks on
neighbouring samples (no room for a base between) the lower is dropped.

Bases: between two consecutive peaks, the lowest sample of the normalized signal (the first
when tied, NaNs count as +inf). Before the first peak, the last upward zero crossing of the
derivative (``d[i] < 0 <= d[i + 1]``, on the lower of ``i``, ``i + 1``); after the last peak,
the first one. A first or last peak with no such crossing is "lonely": it gets a fictional base
at sample 0 or ``T - 1`` when ``fictional_bases`` is set, and is dropped otherwise, because a
peak needs a base on each side to have features.

The result of a curve is a DataFrame with columns ``event`` (sample index in the curve, int64)
and ``label`` (``"base"`` or ``"peak"``), sorted by ``event``, alternating base, peak, base, ...

The whole block is scanned by one compiled loop (one pass per row, no per-row Python), and the
per-curve DataFrames are views into two flat arrays (events, labels), built without pandas'
per-call validation because a 100,000-curve block would otherwise spend most of its time there.
"""
from __future__ import annotations

import gc
from contextlib import contextmanager

import numba
import numpy as np
import pandas as pd
from pandas._libs.internals import BlockPlacement
from pandas.core.internals.blocks import new_block
from pandas.core.internals.managers import BlockManager

PB_COLUMNS = ("event", "label")
LABELS = np.array(["base", "peak"], dtype=object)
_MAX_FLOAT = np.finfo(np.float64).max


@numba.njit(cache=True, nogil=True)
def _prominent(y: np.ndarray, peak: int, min_prominence: float) -> bool:
    """scipy.signal.peak_prominences of one peak (no window) >= min_prominence."""
    top = y[peak]
    left_min = top
    i = peak
    while i >= 0 and y[i] <= top:
        left_min = min(left_min, y[i])
        i -= 1
    right_min = top
    i = peak
    while i < y.size and y[i] <= top:
        right_min = min(right_min, y[i])
        i += 1
    return top - max(left_min, right_min) >= min_prominence


@numba.njit(cache=True, nogil=True)
def _segment_argmin(x: np.ndarray, start: int, stop: int) -> int:
    """Index of the lowest ``x[start:stop]`` (first of ties, NaN counts as +inf)."""
    best = start
    best_v = np.inf if np.isnan(x[start]) else x[start]
    for i in range(start + 1, stop):
        v = x[i]
        lower = v < best_v
        best = i if lower else best
        best_v = v if lower else best_v
    return best


@numba.njit(cache=True, nogil=True)
def _row_events(d: np.ndarray, x: np.ndarray, slope_thr: float, abs_thr: float,
                rel_thr: float, fictional: bool, peaks: np.ndarray, ups: np.ndarray,
                y: np.ndarray, out: np.ndarray, w: int) -> int:
    """Write one curve's events (base, peak, ..., base) into ``out[w:]``; return their count.

    ``peaks``, ``ups``, ``y`` are scratch arrays of the curve's length.
    """
    size = x.size
    n_pk = 0
    n_up = 0
    # branch-free: on noisy curves the crossing tests are unpredictable and mispredicted
    # branches would cost more than the scan itself
    # (and carried values: each sample is loaded once)
    a = d[0] if size else 0.0
    xa = x[0] if size else 0.0
    for i in range(size - 1):
        b = d[i + 1]
        xb = x[i + 1]
        rising = xb > xa
        peaks[n_pk] = i + rising
        n_pk += (a > 0) & (b <= 0) & (a - b >= slope_thr) & ((xb if rising else xa) >= abs_thr)
        ups[n_up] = i + (xb < xa)
        n_up += (a < 0) & (b >= 0)
        a = b
        xa = xb
    if n_pk and rel_thr > 0:
        low = np.inf
        finite = False
        for v in x:
            if not np.isnan(v):
                low = min(low, v)
                finite = finite or np.isfinite(v)
        if not finite:
            low = 0.0
        for i in range(size):
            v = x[i]
            y[i] = low if np.isnan(v) else min(max(v, -_MAX_FLOAT), _MAX_FLOAT)
        kept = 0
        for j in range(n_pk):
            if _prominent(y, peaks[j], rel_thr):
                peaks[kept] = peaks[j]
                kept += 1
        n_pk = kept
    kept = 0
    for j in range(n_pk):
        p = peaks[j]
        if kept and p == peaks[kept - 1] + 1:
            if x[peaks[kept - 1]] < x[p]:
                peaks[kept - 1] = p
        else:
            peaks[kept] = p
            kept += 1
    first, last = 0, kept - 1
    ups_view = ups[:n_up]
    left_base = -1
    while first <= last:
        j = np.searchsorted(ups_view, peaks[first]) - 1
        if j >= 0:
            left_base = ups_view[j]
            break
        if fictional and peaks[first] > 0:
            left_base = 0
            break
        first += 1
    right_base = -1
    while first <= last:
        j = np.searchsorted(ups_view, peaks[last], side="right")
        if j < n_up:
            right_base = ups_view[j]
            break
        if fictional and peaks[last] < size - 1:
            right_base = size - 1
            break
        last -= 1
    if first > last:
        return 0
    out[w] = left_base
    k = w + 1
    for j in range(first, last + 1):
        out[k] = peaks[j]
        k += 1
        if j < last:
            out[k] = _segment_argmin(x, peaks[j] + 1, peaks[j + 1])
            k += 1
    out[k] = right_base
    return k + 1 - w


@numba.njit(cache=True, nogil=True)
def _detect_rows(derivative: np.ndarray, normalized: np.ndarray, slope_thr: float,
                 abs_thr: float, rel_thr: float,
                 fictional: bool) -> tuple[np.ndarray, np.ndarray]:
    n, size = normalized.shape
    offsets = np.zeros(n + 1, dtype=np.int64)
    out = np.empty(max(64, 8 * n + size + 2), dtype=np.int64)
    peaks = np.empty(max(size, 1), dtype=np.int64)
    ups = np.empty(max(size, 1), dtype=np.int64)
    y = np.empty(max(size, 1), dtype=np.float64)
    w = 0
    for r in range(n):
        if w + size + 2 > out.size:
            # projected from the rows so far, so large blocks grow once or twice, not log(n)
            projected = int(1.25 * w / max(r, 1) * n)
            grown = np.empty(max(2 * out.size, projected) + size + 2, dtype=np.int64)
            grown[:w] = out[:w]
            out = grown
        w += _row_events(derivative[r], normalized[r], slope_thr, abs_thr, rel_thr, fictional,
                         peaks, ups, y, out, w)
        offsets[r + 1] = w
    # a slack of up to a quarter is cheaper to keep than to copy away
    return (out[:w] if 4 * w >= 3 * out.size else out[:w].copy()), offsets


_PLACEMENTS = (BlockPlacement(slice(0, 1)), BlockPlacement(slice(1, 2)))
_PB_INDEX = pd.Index(PB_COLUMNS)


def pb_frame(events: np.ndarray) -> pd.DataFrame:
    """Peaks & bases DataFrame of one curve from its sorted events ``(2 * n_peaks + 1,)`` or
    ``(0,)`` (base, peak, base, ...)."""
    events = np.asarray(events, dtype=np.int64)
    return pd.DataFrame({"event": events, "label": LABELS[np.arange(events.size) % 2]})


def pb_frames(events: np.ndarray, offsets: np.ndarray) -> list[pd.DataFrame]:
    """Per-curve peaks & bases DataFrames from flat events and ``(n + 1,)`` row offsets.

    Curve ``r``'s frame holds ``events[offsets[r]:offsets[r + 1]]``; its columns are views into
    the flat events (disjoint slices) and one shared read-only label array, assembled from
    pandas blocks directly: ``pd.DataFrame``'s own constructor costs ~5x more per frame.
    """
    lengths = np.diff(offsets)
    labels = _alternating_labels(int(lengths.max(initial=0)))[None, :]
    ev2 = events[None, :]
    indexes: dict[int, pd.RangeIndex] = {}
    frames = []
    with _gc_paused():
        for start, size in zip(offsets[:-1].tolist(), lengths.tolist()):
            index = indexes.get(size)
            if index is None:
                index = indexes[size] = pd.RangeIndex(size)
            mgr = BlockManager((new_block(ev2[:, start:start + size], _PLACEMENTS[0], ndim=2),
                                new_block(labels[:, :size], _PLACEMENTS[1], ndim=2)),
                               [_PB_INDEX, index], verify_integrity=False)
            frames.append(pd.DataFrame._from_mgr(mgr, axes=mgr.axes))
    return frames


def _alternating_labels(size: int) -> np.ndarray:
    """Read-only ``["base", "peak", "base", ...]`` of ``size``; frames share it as their label
    column (read-only, so an in-place edit of one frame cannot change the others)."""
    labels = LABELS[np.arange(size) % 2]
    labels.flags.writeable = False
    return labels


@contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector: building many small DataFrames (which hold no
    cycles) otherwise triggers collections that scan the whole heap and double the cost."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def detect_events(derivative: np.ndarray, normalized: np.ndarray, slope_thr: float,
                  ampl_thr_abs: float, ampl_thr_rel: float,
                  fictional_bases: bool) -> tuple[np.ndarray, np.ndarray]:
    """Flat events of every row of an ``(n, T)`` block: ``(events, offsets)``; row ``r``'s
    events (base, peak, ..., base sample indices, int64) are ``events[offsets[r]:offsets[r+1]]``.
    """
    derivative = np.asarray(derivative, dtype=np.float64)
    normalized = np.asarray(normalized, dtype=np.float64)
    return _detect_rows(derivative, normalized, float(slope_thr), float(ampl_thr_abs),
                        float(ampl_thr_rel), bool(fictional_bases))


def detect_block(derivative: np.ndarray, normalized: np.ndarray, slope_thr: float,
                 ampl_thr_abs: float, ampl_thr_rel: float,
                 fictional_bases: bool) -> list[pd.DataFrame]:
    """Peaks & bases DataFrames of every row of an ``(n, T)`` block."""
    return pb_frames(*detect_events(derivative, normalized, slope_thr, ampl_thr_abs,
                                    ampl_thr_rel, fictional_bases))
