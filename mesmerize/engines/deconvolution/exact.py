"""Exact solution of the OASIS problem for AR(p) by an active-set method on the spikes.

The OASIS problem (see ``oasis.py``) with ``s_min = 0`` is the convex quadratic programme

    minimise 1/2 ||K s - y||^2 + lam * sum(s)   subject to   s >= 0,

where ``c = K s`` is the AR(p) filter of the spikes (``K`` lower triangular, its columns the
shifted impulse response ``h``). For AR(1) OASIS's pooling is exact; for AR(2) the greedy pooling
of Friedrich et al. (2017) is only approximate (objective up to a few percent above the optimum
for slow, strongly second-order kernels). :func:`refine_spikes` solves the problem exactly with
the Lawson-Hanson active-set method, warm-started from the greedy solution's spike times: it
only has to add or drop the few spikes in which the greedy solution errs. ``K s`` and ``K^T r``
are computed by the AR recursion (``scipy.signal.lfilter``) in O(T); each least-squares
subproblem is solved on the active spikes only (dense, O(T n_spikes^2)).
"""
from __future__ import annotations

import numpy as np
import scipy.signal


def impulse_response(g: np.ndarray, T: int) -> np.ndarray:
    """Calcium ``h`` (T,) after one unit spike at t = 0 for AR coefficients ``g`` (p,)."""
    impulse = np.zeros(T)
    impulse[0] = 1.0
    return scipy.signal.lfilter([1.0], np.concatenate([[1.0], -np.asarray(g)]), impulse)


def _forward(s: np.ndarray, den: np.ndarray) -> np.ndarray:
    return scipy.signal.lfilter([1.0], den, s)


def _adjoint(r: np.ndarray, den: np.ndarray) -> np.ndarray:
    return scipy.signal.lfilter([1.0], den, r[::-1])[::-1]


def refine_spikes(y: np.ndarray, g: np.ndarray, lam: float, s_init: np.ndarray,
                  tol: float = 1e-10, max_iter: int | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Exact ``(c, s)`` (T,) of the OASIS problem for trace ``y`` (T,), AR ``g`` (p,), penalty
    ``lam`` >= 0, starting from spikes ``s_init`` (T,) (e.g. greedy OASIS's; any >= 0 works).

    Stops when the KKT conditions hold to ``tol`` times the scale of ``y`` (gradient >= -tol on
    inactive times, zero on active ones) or after ``max_iter`` (default ``2 T``) changes of the
    active set.
    """
    y = np.asarray(y, dtype=np.float64)
    T = y.size
    g = np.asarray(g, dtype=np.float64)
    den = np.concatenate([[1.0], -g])
    h = impulse_response(g, T)
    # y' with K^T y' = K^T y - lam 1 (G^T 1 = lam-weights of the spikes on the calcium)
    G1 = np.ones(T)
    for i, gi in enumerate(g, start=1):
        G1[:T - i] -= gi
    y_eff = y - lam * G1
    scale = max(float(np.max(np.abs(y))), 1e-12)
    thr = tol * scale
    s = np.where(np.asarray(s_init, dtype=np.float64) > thr, s_init, 0.0).astype(np.float64)
    active = s > 0
    t_idx = np.arange(T)
    for _ in range(max_iter or 2 * T):
        while True:  # least squares on the active set, stepping back to stay feasible
            idx = np.flatnonzero(active)
            z = np.zeros(T)
            if idx.size:
                lag = t_idx[:, None] - idx[None, :]
                KP = np.where(lag >= 0, h[np.clip(lag, 0, T - 1)], 0.0)
                z[idx] = np.linalg.lstsq(KP, y_eff, rcond=None)[0]
            bad = idx[z[idx] <= 0]
            if bad.size == 0:
                s = z
                break
            alpha = float(np.min(s[bad] / (s[bad] - z[bad])))
            s = s + alpha * (z - s)
            active &= s > thr
            s[~active] = 0.0
        grad = _adjoint(_forward(s, den) - y_eff, den)
        grad[active] = np.inf
        t_new = int(np.argmin(grad))
        if grad[t_new] >= -thr:
            break
        active[t_new] = True
    return _forward(s, den), s
