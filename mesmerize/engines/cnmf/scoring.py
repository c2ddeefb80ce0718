"""Scoring a CNMF result against ground truth (synthetic movies, acceptance checks).

A detected component matches a true neuron when the distance between their footprints'
centroids is below ``max_distance`` pixels and the spatial correlation of the footprints is
above ``min_corr``; matches are one-to-one (Hungarian assignment maximising correlation).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment


@dataclass
class DetectionScore:
    """``matches`` (n, 2) pairs (true index, detected index); ``precision``, ``recall``, ``f1``;
    ``trace_corr`` (n,) correlation of matched traces (NaN when no traces were given)."""

    matches: np.ndarray
    precision: float
    recall: float
    f1: float
    trace_corr: np.ndarray


def centroids(footprints: np.ndarray) -> np.ndarray:
    """(K, 2) ``(y, x)`` intensity centroids of (K, H, W) footprints."""
    K, H, W = footprints.shape
    yy, xx = np.mgrid[:H, :W]
    mass = footprints.reshape(K, -1).sum(axis=1)
    mass[mass == 0] = np.nan
    return np.stack([(footprints * yy).reshape(K, -1).sum(1) / mass,
                     (footprints * xx).reshape(K, -1).sum(1) / mass], axis=1)


def match_components(true_fp: np.ndarray, found_fp: np.ndarray, max_distance: float,
                     min_corr: float = 0.7, true_traces: np.ndarray | None = None,
                     found_traces: np.ndarray | None = None) -> DetectionScore:
    """Match (K, H, W) true footprints with (D, H, W) detected ones (see module docstring)."""
    K, D = len(true_fp), len(found_fp)
    if K == 0 or D == 0:
        return DetectionScore(np.zeros((0, 2), int), 0.0, 0.0, 0.0, np.zeros(0))
    dist = np.linalg.norm(centroids(true_fp)[:, None] - centroids(found_fp)[None], axis=2)
    t = true_fp.reshape(K, -1) - true_fp.reshape(K, -1).mean(1, keepdims=True)
    f = found_fp.reshape(D, -1) - found_fp.reshape(D, -1).mean(1, keepdims=True)
    tn, fn = np.linalg.norm(t, axis=1), np.linalg.norm(f, axis=1)
    tn[tn == 0], fn[fn == 0] = np.inf, np.inf
    corr = (t @ f.T) / np.outer(tn, fn)
    ok = (np.nan_to_num(dist, nan=np.inf) < max_distance) & (corr > min_corr)
    cost = np.where(ok, -corr, 1.0)
    rows, cols = linear_sum_assignment(cost)
    sel = ok[rows, cols]
    matches = np.stack([rows[sel], cols[sel]], axis=1)
    n = len(matches)
    precision, recall = n / D, n / K
    f1 = 2 * n / (K + D)
    if true_traces is not None and found_traces is not None:
        with np.errstate(invalid="ignore", divide="ignore"):  # constant trace -> NaN
            tc = np.array([np.corrcoef(true_traces[i], found_traces[j])[0, 1]
                           for i, j in matches])
    else:
        tc = np.full(n, np.nan)
    return DetectionScore(matches, precision, recall, f1, tc)
