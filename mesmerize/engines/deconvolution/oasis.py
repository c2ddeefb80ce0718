"""OASIS: online active-set deconvolution of calcium traces (Friedrich, Zhou & Paninski 2017).

Model: a fluorescence trace ``y`` (length ``T``) is ``y = c + b + noise``, where the calcium
``c`` follows an autoregressive process driven by non-negative spikes ``s``:

- AR(1): ``s_t = c_t - g c_{t-1}``
- AR(2): ``s_t = c_t - g1 c_{t-1} - g2 c_{t-2}``

with ``c_{-1} = c_{-2} = 0``. OASIS solves

    minimise 1/2 ||c - y||^2 + lam * sum(s)   subject to   s >= s_min (or s = 0), c_0 >= 0

by pooling adjacent time points (pool-adjacent-violators generalised to AR dynamics). For AR(1)
with ``s_min = 0`` the result is the exact optimum of this convex problem. For AR(2), and for
``s_min > 0`` (a non-convex hard threshold), the greedy pooling gives an approximate solution, as
the paper states (objective up to ~5 % above the optimum for slow kernels such as
``g = (1.7, -0.712)``). ``exact=True`` (AR(2), ``s_min = 0``) refines the greedy solution to the
exact optimum with an active-set method (``exact.py``); ``tests/engines/test_oasis.py`` checks
both against a brute-force solver.
"""
from __future__ import annotations

import numba
import numpy as np

from mesmerize.core.errors import ParameterError
from mesmerize.engines.deconvolution.exact import refine_spikes


@numba.njit(cache=True, nogil=True)
def _oasis_ar1(y: np.ndarray, g: float, lam: float, s_min: float) -> np.ndarray:
    T = y.shape[0]
    yy = y - lam * (1.0 - g)
    yy[T - 1] -= lam * g
    v = np.empty(T)
    w = np.empty(T)
    start = np.empty(T, np.int64)
    length = np.empty(T, np.int64)
    n = 0
    for k in range(T):
        v[n] = yy[k]
        w[n] = 1.0
        start[n] = k
        length[n] = 1
        while n > 0:
            prev = v[n - 1] if n - 1 > 0 else max(v[0], 0.0)
            gl = g ** length[n - 1]
            if v[n] >= gl * prev + s_min:
                break
            # Merging pool n into pool n-1: least-squares value of the union, in which pool n's
            # points are continued decays of pool n-1's start value.
            v[n - 1] = (w[n - 1] * v[n - 1] + gl * w[n] * v[n]) / (w[n - 1] + gl * gl * w[n])
            w[n - 1] = w[n - 1] + gl * gl * w[n]
            length[n - 1] += length[n]
            n -= 1
        n += 1
    c = np.empty(T)
    for j in range(n):
        val = max(v[j], 0.0) if j == 0 else v[j]
        for k in range(length[j]):
            c[start[j] + k] = val
            val *= g
    return c


@numba.njit(cache=True, nogil=True)
def _pool_start(v, j):
    # the first pool starts from c_0 >= 0; later pools are kept >= 0 by the spike constraint
    return max(v[0], 0.0) if j == 0 else v[j]


@numba.njit(cache=True, nogil=True)
def _ar2_pool_value(yy, h, hh2, hh1, t0, ln, g2, c_prev):
    acc = 0.0
    for k in range(ln):
        acc += h[k] * yy[t0 + k]
    return (acc - g2 * c_prev * hh1[ln]) / hh2[ln]


@numba.njit(cache=True, nogil=True)
def _ar2_value_at(h, g2, v, k, c_prev):
    if k == 0:
        return v
    return h[k] * v + g2 * h[k - 1] * c_prev


@numba.njit(cache=True, nogil=True)
def _oasis_ar2(y: np.ndarray, g1: float, g2: float, lam: float, s_min: float) -> np.ndarray:
    T = y.shape[0]
    yy = y.copy()
    for t in range(T):
        yy[t] -= lam * (1.0 - g1 - g2)
    if T >= 2:
        yy[T - 2] -= lam * g2
    yy[T - 1] -= lam * (g1 + g2)
    # Impulse response h_k (c after one unit spike) and the sums the pool values need.
    h = np.empty(T + 1)
    h[0] = 1.0
    if T >= 1:
        h[1] = g1
    for k in range(2, T + 1):
        h[k] = g1 * h[k - 1] + g2 * h[k - 2]
    hh2 = np.zeros(T + 1)
    hh1 = np.zeros(T + 1)
    for k in range(T):
        hh2[k + 1] = hh2[k] + h[k] * h[k]
        hh1[k + 1] = hh1[k] + (h[k] * h[k - 1] if k > 0 else 0.0)
    v = np.empty(T)
    start = np.empty(T, np.int64)
    length = np.empty(T, np.int64)
    # c_prev[j]: calcium at the time point before pool j starts (0 before the trace).
    cprev = np.zeros(T)
    n = 0
    for k in range(T):
        start[n] = k
        length[n] = 1
        cprev[n] = 0.0
        if n > 0:
            j = n - 1
            cprev[n] = _ar2_value_at(h, g2, _pool_start(v, j), length[j] - 1, cprev[j])
        v[n] = yy[k]
        while n > 0:
            j = n - 1
            c_last = cprev[n]
            if length[j] >= 2:
                c_before = _ar2_value_at(h, g2, _pool_start(v, j), length[j] - 2, cprev[j])
            else:
                c_before = cprev[j]
            if v[n] - g1 * c_last - g2 * c_before >= s_min:
                break
            length[j] += length[n]
            v[j] = _ar2_pool_value(yy, h, hh2, hh1, start[j], length[j], g2, cprev[j])
            n -= 1
            if n > 0:
                cprev[n] = _ar2_value_at(h, g2, _pool_start(v, n - 1), length[n - 1] - 1,
                                         cprev[n - 1])
        n += 1
    c = np.empty(T)
    for j in range(n):
        vj = _pool_start(v, j)
        cp = cprev[j]
        for k in range(length[j]):
            c[start[j] + k] = _ar2_value_at(h, g2, vj, k, cp)
    return c


def spikes_from_calcium(c: np.ndarray, g: np.ndarray) -> np.ndarray:
    """Spike train ``s = G c`` for AR coefficients ``g`` (length p); ``s_0 = c_0``. Shape of ``c``."""
    c = np.asarray(c, dtype=np.float64)
    s = c.copy()
    for i, gi in enumerate(np.asarray(g, dtype=np.float64), start=1):
        s[i:] -= gi * c[:-i]
    return s


def check_ar_coefficients(g: np.ndarray) -> np.ndarray:
    """Validated AR coefficients as a float64 array (p,), p in {0, 1, 2}, of a stable process."""
    g = np.atleast_1d(np.asarray(g, dtype=np.float64))
    if g.size not in (0, 1, 2) or not np.all(np.isfinite(g)):
        raise ParameterError(f"AR coefficients g must be 0, 1 or 2 finite numbers, got {g!r}")
    if g.size:
        roots = np.roots(np.concatenate([[1.0], -g]))
        if np.any(np.abs(roots) >= 1.0):
            raise ParameterError(
                f"AR coefficients g={g.tolist()} describe an unstable (non-decaying) process; "
                "the roots of z^p - g1 z^(p-1) - ... must lie inside the unit circle")
    return g


def oasis(y: np.ndarray, g: np.ndarray | float, lam: float = 0.0,
          s_min: float = 0.0, exact: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Deconvolve one trace with OASIS for AR(p), p in {0, 1, 2}.

    Parameters
    ----------
    y : (T,) fluorescence with the baseline already removed (same units as the result).
    g : AR coefficients, length p (a float means AR(1)); an empty array means AR(0) (c = max(y, 0)).
    lam : L1 sparsity penalty on the spikes (>= 0).
    s_min : minimal spike size (>= 0); smaller spikes are set to zero.
    exact : for AR(2), refine the greedy solution to the exact optimum (needs ``s_min = 0``);
        AR(0) and AR(1) are always exact.

    Returns
    -------
    c, s : (T,) float64 denoised calcium and spikes (``s = G c``).
    """
    y = np.ascontiguousarray(y, dtype=np.float64)
    if y.ndim != 1 or y.size == 0:
        raise ParameterError(f"oasis expects one non-empty 1-D trace, got shape {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ParameterError("the trace contains NaN or infinite values; remove them before deconvolution")
    if lam < 0 or s_min < 0:
        raise ParameterError(f"lam and s_min must be >= 0, got lam={lam}, s_min={s_min}")
    if exact and s_min > 0:
        raise ParameterError("exact=True solves the convex problem, which needs s_min=0 (a "
                             "minimal spike size makes it non-convex); set s_min=0 or exact=False")
    return oasis_unchecked(y, check_ar_coefficients(g), lam, s_min, exact)


def oasis_unchecked(y: np.ndarray, g: np.ndarray, lam: float, s_min: float,
                    exact: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """:func:`oasis` for a float64 contiguous finite ``y`` and stable ``g`` (p,) already checked
    (inner loop of the noise-constrained search)."""
    if g.size == 0:
        c = np.maximum(y - lam, 0.0)
    elif g.size == 1:
        c = _oasis_ar1(y, float(g[0]), float(lam), float(s_min))
    else:
        c = _oasis_ar2(y, float(g[0]), float(g[1]), float(lam), float(s_min))
        if exact:
            return refine_spikes(y, g, lam, spikes_from_calcium(c, g))
    return c, spikes_from_calcium(c, g)
