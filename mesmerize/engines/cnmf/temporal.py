"""Temporal update of CNMF: block coordinate descent over components with deconvolution.

For fixed footprints ``A`` and background ``b``, each component's trace is refreshed in turn
from its "raw" trace ``y_k = C_k + (A^T Y - A^T A C - A^T b f)_k / (A^T A)_kk`` (the data
projected on the footprint after removing every other component and the background), which is
deconvolved with OASIS under the noise constraint (``constrained_foopsi``); AR coefficients are
estimated per component from the autocovariance, with ``decay_time`` as the fallback prior.
Components whose footprints do not overlap (``(A^T A)_jk = 0``) do not enter each other's raw
traces, so, as in CaImAn, the sweep visits groups of mutually non-overlapping components (a
greedy colouring); within a group the traces are deconvolved independently, in parallel on an
``Executor`` when one is given, with the same result as one after the other.
The background traces ``f >= 0`` are updated by HALS after each sweep. For AR(2) greedy
OASIS's approximate solution is kept, unless ``exact``: then the last sweep solves each trace's
problem exactly (``constrained_foopsi(exact=True)``; callers ask for it on their final update).
"""
from __future__ import annotations

from concurrent.futures import Executor
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


def component_groups(AA: np.ndarray) -> list[np.ndarray]:
    """Groups of components (index arrays, covering 0..K-1) with no two overlapping members,
    from the Gram matrix ``AA = A^T A`` (K, K): greedy colouring in component order."""
    K = AA.shape[0]
    overlap = AA != 0
    colour = np.full(K, -1)
    members: list[list[int]] = []
    for k in range(K):
        taken = np.zeros(len(members) + 1, bool)
        nbrs = colour[np.flatnonzero(overlap[k])]
        taken[nbrs[nbrs >= 0]] = True
        c = int(np.argmin(taken))
        if c == len(members):
            members.append([])
        members[c].append(k)
        colour[k] = c
    return [np.asarray(m) for m in members]


def deconvolve_rows(Y: np.ndarray, p: int, decay_time: float, fr: float,
                    exact: bool) -> list[tuple]:
    """``constrained_foopsi`` of every row of ``Y`` (n, T): ``(c, s, g, sn, b)`` per row (a
    module-level function, so that an executor's worker processes can run it)."""
    out = []
    for y in Y:
        res = constrained_foopsi(y, p=p, decay_time=decay_time, fr=fr, exact=exact)
        out.append((res.c, res.s, res.g, res.sn, res.b))
    return out


def _deconvolve(Y: np.ndarray, p: int, decay_time: float, fr: float, exact: bool,
                executor: Executor | None, chunk: int = 16) -> list[tuple]:
    if executor is None or Y.shape[0] <= chunk:
        return deconvolve_rows(Y, p, decay_time, fr, exact)
    futures = [executor.submit(deconvolve_rows, Y[i:i + chunk], p, decay_time, fr, exact)
               for i in range(0, Y.shape[0], chunk)]
    return [row for fut in futures for row in fut.result()]


def update_temporal(Yr: np.ndarray | PixelSource, A: scipy.sparse.spmatrix, b: np.ndarray,
                    C: np.ndarray, f: np.ndarray, p: int, decay_time: float, fr: float,
                    n_sweeps: int = 2, exact: bool = False,
                    executor: Executor | None = None) -> TemporalState:
    """Block coordinate descent over the rows of ``C`` (and ``f``) for fixed ``A``, ``b``.

    Yr (n_pixels, T) or a :class:`~mesmerize.engines.cnmf.streaming.PixelSource` (one streamed
    pass computes ``A^T Y`` and ``b^T Y``); A (n_pixels, K) sparse; b (n_pixels, nb); C (K, T)
    warm start; f (nb, T) warm start; p AR order; decay_time (s); fr (Hz); exact: solve AR(2)
    exactly in the last sweep; executor: deconvolves each group's traces in parallel.
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
    diag = np.diag(AA).copy()
    empty = diag <= 0
    C[empty] = 0
    groups = [grp[~empty[grp]] for grp in component_groups(AA)]
    for sweep in range(n_sweeps):
        last = exact and sweep == n_sweeps - 1
        for grp in groups:
            if grp.size == 0:
                continue
            Y = C[grp] + (AY[grp] - AA[grp] @ C - Ab[grp] @ f) / diag[grp, None]
            for k, y, (c, s, gk, snk, blk) in zip(
                    grp, Y, _deconvolve(Y, p, decay_time, fr, last, executor)):
                C[k], S[k], g[k], sn[k], bl[k] = c, s, gk, snk, blk
                YrA[k] = y - c
        for j in range(nb):
            if bb[j, j] > 0:
                f[j] = np.maximum(f[j] + (bY[j] - bA[j] @ C - bb[j] @ f) / bb[j, j], 0)
    return TemporalState(C, S, YrA, f, g, sn, bl)
