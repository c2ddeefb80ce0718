"""Temporal update of CNMF: block coordinate descent over components with deconvolution.

For fixed footprints ``A`` and background ``b``, each component's trace is refreshed in turn
from its "raw" trace ``y_k = C_k + (A^T Y - A^T A C - A^T b f)_k / (A^T A)_kk`` (the data
projected on the footprint after removing every other component and the background), which is
deconvolved with OASIS under the noise constraint (``constrained_foopsi``); AR coefficients are
estimated per component from the autocovariance, with ``decay_time`` as the fallback prior.
The background traces ``f >= 0`` are updated by HALS after each sweep. For AR(2) the
intermediate sweeps keep greedy OASIS's approximate solution and the last sweep solves each
trace's problem exactly (``constrained_foopsi(exact=True)``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse

from mesmerize.engines.cnmf.streaming import PixelSource, as_source, project
from mesmerize.engines.deconvolution import constrained_foopsi


@dataclass
class TemporalState:
    """Traces after a temporal update: ``C``, ``S``, ``YrA`` (K, T); ``f`` (nb, T); ``g``
    (K, p) AR coefficients; ``sn`` (K,) trace noise; ``bl`` (K,) trace baselines."""

    C: np.ndarray
    S: np.ndarray
    YrA: np.ndarray
    f: np.ndarray
    g: np.ndarray
    sn: np.ndarray
    bl: np.ndarray


def update_temporal(Yr: np.ndarray | PixelSource, A: scipy.sparse.spmatrix, b: np.ndarray, C: np.ndarray,
                    f: np.ndarray, p: int, decay_time: float, fr: float,
                    n_sweeps: int = 2) -> TemporalState:
    """Block coordinate descent over the rows of ``C`` (and ``f``) for fixed ``A``, ``b``.

    Yr (n_pixels, T) or a :class:`~mesmerize.engines.cnmf.streaming.PixelSource` (one streamed
    pass computes ``A^T Y`` and ``b^T Y``); A (n_pixels, K) sparse; b (n_pixels, nb); C (K, T) warm start;
    f (nb, T) warm start; p AR order; decay_time (s); fr (Hz).
    """
    A = scipy.sparse.csc_matrix(A, dtype=np.float64)
    K, T = C.shape
    nb = f.shape[0]
    proj = project(as_source(Yr), scipy.sparse.hstack([A, scipy.sparse.csc_matrix(b)]))
    AY, bY = proj[:K], proj[K:]
    AA = np.asarray((A.T @ A).todense())
    Ab = np.asarray(A.T @ b, dtype=np.float64)
    bb = np.asarray(b.T @ b, dtype=np.float64)
    bA = Ab.T
    C = np.asarray(C, dtype=np.float64).copy()
    f = np.asarray(f, dtype=np.float64).copy()
    S = np.zeros_like(C)
    YrA = np.zeros_like(C)
    g = np.zeros((K, p))
    sn = np.zeros(K)
    bl = np.zeros(K)
    for sweep in range(n_sweeps):
        last = sweep == n_sweeps - 1
        for k in range(K):
            if AA[k, k] <= 0:
                C[k] = 0
                continue
            y = C[k] + (AY[k] - AA[k] @ C - Ab[k] @ f) / AA[k, k]
            res = constrained_foopsi(y, p=p, decay_time=decay_time, fr=fr, exact=last)
            C[k], S[k], g[k], sn[k], bl[k] = res.c, res.s, res.g, res.sn, res.b
            YrA[k] = y - res.c
        for j in range(nb):
            if bb[j, j] > 0:
                f[j] = np.maximum(f[j] + (bY[j] - bA[j] @ C - bb[j] @ f) / bb[j, j], 0)
    return TemporalState(C, S, YrA, f, g, sn, bl)
