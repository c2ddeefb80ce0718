"""Derivative-based peak and base detection (T. O'Haver, "Differentiation" / peak detection).

A peak is a downward zero crossing of the derivative ``d`` (``d[i] > 0 >= d[i + 1]``) whose
derivative drop ``d[i] - d[i + 1]`` is at least ``slope_thr``; it sits on whichever of samples
``i``, ``i + 1`` is higher in the normalized signal. Peaks whose normalized value is below
``ampl_thr_abs``, or whose prominence in the normalized signal (``scipy.signal.peak_prominences``:
height above the higher of the two lowest points reached before a higher peak or the curve's
end) is below ``ampl_thr_rel``, are dropped.

Bases: between two consecutive peaks, the lowest sample of the normalized signal (the first
when tied). Before the first peak, the last upward zero crossing of the derivative
(``d[i] < 0 <= d[i + 1]``, on the lower of ``i``, ``i + 1``); after the last peak, the first
one. A first or last peak with no such crossing is "lonely": it gets a fictional base at sample
0 or ``T - 1`` when ``fictional_bases`` is set, and is dropped otherwise, because a peak needs a
base on each side to have features.

The result of a curve is a DataFrame with columns ``event`` (sample index in the curve, int64)
and ``label`` (``"base"`` or ``"peak"``), sorted by ``event``, alternating base, peak, base, ...
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.signal import peak_prominences

PB_COLUMNS = ("event", "label")


def crossing_peaks(derivative: np.ndarray, normalized: np.ndarray,
                   slope_thr: float) -> tuple[np.ndarray, np.ndarray]:
    """Peak candidates of every row of a block: ``(rows, samples)`` index arrays.

    derivative, normalized: ``(n, T)``; candidates are downward zero crossings of the
    derivative with a drop of at least ``slope_thr``, sorted by row then sample.
    """
    d0, d1 = derivative[:, :-1], derivative[:, 1:]
    with np.errstate(invalid="ignore"):
        mask = (d0 > 0) & (d1 <= 0) & (d0 - d1 >= slope_thr)
    rows, i = np.nonzero(mask)
    later = normalized[rows, i + 1] > normalized[rows, i]
    return rows, i + later


def upward_crossings(derivative: np.ndarray, normalized: np.ndarray) -> tuple[np.ndarray, ...]:
    """Base candidates of every row: upward zero crossings, on the lower of the two samples."""
    d0, d1 = derivative[:, :-1], derivative[:, 1:]
    with np.errstate(invalid="ignore"):
        rows, i = np.nonzero((d0 < 0) & (d1 >= 0))
    later = normalized[rows, i + 1] < normalized[rows, i]
    return rows, i + later


def _pb_frame(peaks: np.ndarray, bases: np.ndarray) -> pd.DataFrame:
    events = np.empty(peaks.size + bases.size, dtype=np.int64)
    events[0::2] = bases
    events[1::2] = peaks
    labels = np.empty(events.size, dtype=object)
    labels[0::2] = "base"
    labels[1::2] = "peak"
    return pd.DataFrame({"event": events, "label": labels})


def _drop_adjacent(peaks: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Of two peaks on neighbouring samples (no room for a base between), keep the higher."""
    while True:
        adjacent = np.flatnonzero(np.diff(peaks) == 1)
        if not adjacent.size:
            return peaks
        k = adjacent[0]
        peaks = np.delete(peaks, k if values[peaks[k]] < values[peaks[k + 1]] else k + 1)


def _edge_base(peaks: np.ndarray, up: np.ndarray, n: int, fictional_bases: bool,
               left: bool) -> tuple[np.ndarray, int | None]:
    """Drop lonely edge peaks until the first (left) or last peak has a base beyond it."""
    while peaks.size:
        edge = peaks[0] if left else peaks[-1]
        beyond = up[up < edge] if left else up[up > edge]
        if beyond.size:
            return peaks, int(beyond[-1] if left else beyond[0])
        if fictional_bases and (edge > 0 if left else edge < n - 1):
            return peaks, 0 if left else n - 1
        peaks = peaks[1:] if left else peaks[:-1]
    return peaks, None


def curve_events(normalized: np.ndarray, peaks: np.ndarray, up: np.ndarray,
                 ampl_thr_abs: float, ampl_thr_rel: float,
                 fictional_bases: bool) -> pd.DataFrame:
    """The peaks & bases DataFrame of one curve (see the module docstring).

    normalized: ``(T,)``; peaks: candidate peak samples; up: sorted upward-crossing samples of
    the derivative.
    """
    values = np.where(np.isnan(normalized), -np.inf, normalized)
    peaks = np.unique(peaks)
    peaks = peaks[values[peaks] >= ampl_thr_abs]
    if peaks.size and ampl_thr_rel > 0:
        low = np.nanmin(normalized) if np.isfinite(normalized).any() else 0.0
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # zero prominence
            prominence = peak_prominences(np.nan_to_num(normalized, nan=low), peaks)[0]
        peaks = peaks[prominence >= ampl_thr_rel]
    peaks = _drop_adjacent(peaks, values)
    peaks, first = _edge_base(peaks, up, normalized.size, fictional_bases, left=True)
    peaks, last = _edge_base(peaks, up, normalized.size, fictional_bases, left=False)
    if not peaks.size:
        return _pb_frame(np.empty(0, np.int64), np.empty(0, np.int64))
    bases = np.concatenate([[first], _segment_argmins(normalized, peaks), [last]])
    return _pb_frame(peaks.astype(np.int64), bases.astype(np.int64))


def _segment_argmins(values: np.ndarray, peaks: np.ndarray) -> np.ndarray:
    """Index of the lowest value strictly between each pair of consecutive (non-adjacent)
    peaks; the first of ties. NaNs count as +inf."""
    if peaks.size < 2:
        return np.empty(0, dtype=np.int64)
    starts, ends = peaks[:-1] + 1, peaks[1:]
    lengths = ends - starts
    v = np.where(np.isnan(values), np.inf, values)
    mins = np.minimum.reduceat(v, np.column_stack([starts, ends]).ravel())[::2]
    seg = np.repeat(np.arange(starts.size), lengths)
    idx = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths) \
        + np.repeat(starts, lengths)
    hit = v[idx] == mins[seg]
    first_hit = np.empty(starts.size, dtype=np.int64)
    first_hit[seg[hit][::-1]] = idx[hit][::-1]
    return first_hit


def detect_block(derivative: np.ndarray, normalized: np.ndarray, slope_thr: float,
                 ampl_thr_abs: float, ampl_thr_rel: float,
                 fictional_bases: bool) -> list[pd.DataFrame]:
    """Peaks & bases DataFrames of every row of an ``(n, T)`` block."""
    p_rows, p_ix = crossing_peaks(derivative, normalized, slope_thr)
    b_rows, b_ix = upward_crossings(derivative, normalized)
    p_split = np.searchsorted(p_rows, np.arange(1, derivative.shape[0]))
    b_split = np.searchsorted(b_rows, np.arange(1, derivative.shape[0]))
    return [curve_events(normalized[r], peaks, up, ampl_thr_abs, ampl_thr_rel, fictional_bases)
            for r, (peaks, up) in enumerate(zip(np.split(p_ix, p_split),
                                                np.split(b_ix, b_split)))]
