"""Noise-constrained deconvolution (CaImAn's ``constrained_foopsi`` with the OASIS solver).

Problem (Pnevmatikakis et al. 2016, Friedrich et al. 2017):

    minimise sum(s)  subject to  ||y - b - c||^2 <= sn^2 T,  s = G c >= 0

solved as the Lagrangian OASIS problem with the penalty ``lam`` chosen (bisection on log lam)
so that the residual norm equals the noise budget ``sn^2 T``. With ``optimize_b`` the baseline
is the 15th percentile of ``y``. We do not alternate ``b = mean(y - c)`` with the lambda search:
on synthetic AR traces that drifts the baseline upwards (the L1 penalty shrinks transients and
the residual budget is absorbed by ``b``), while the percentile is within ~0.6 noise std.
If even ``lam = 0`` leaves a residual above the budget (noise underestimated), ``lam = 0`` is
used.

For AR(2) the greedy OASIS solution is approximate, so with ``exact`` (the default) the search
is finished on the exact optimum (``exact.refine_spikes``): starting from the greedy ``lam`` and
spikes, ``lam`` is bracketed and re-tuned by regula falsi (Illinois) on ``log lam`` until the
exact solution's residual meets the budget to 1e-4 relative, each solve warm-started from the
previous spikes (a fraction of a millisecond each on T = 3,000).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mesmerize.core.errors import ParameterError
from mesmerize.engines.deconvolution.ar_estimation import (
    estimate_ar_coefficients, g_from_decay_time)
from mesmerize.engines.deconvolution.noise import noise_psd
from mesmerize.engines.deconvolution.exact import refine_spikes
from mesmerize.engines.deconvolution.oasis import check_ar_coefficients, oasis_unchecked


@dataclass
class Deconvolution:
    """Result for one trace: ``c``, ``s`` (T,) calcium and spikes, baseline ``b``, AR ``g`` (p,),
    noise std ``sn`` and the sparsity penalty ``lam`` used; all in the units of the input."""

    c: np.ndarray
    s: np.ndarray
    b: float
    g: np.ndarray
    sn: float
    lam: float


def _fit_lambda(y: np.ndarray, g: np.ndarray, budget: float, s_min: float,
                n_bisect: int = 30) -> tuple[np.ndarray, np.ndarray, float]:
    c, s = oasis_unchecked(y, g, 0.0, s_min)
    if np.sum((y - c) ** 2) >= budget:
        return c, s, 0.0
    lo, hi = 0.0, max(float(np.max(np.abs(y))), 1e-12) * y.size
    best = (c, s, 0.0)
    for _ in range(n_bisect):
        mid = np.sqrt(max(lo, hi * 1e-9) * hi)
        c, s = oasis_unchecked(y, g, mid, s_min)
        if np.sum((y - c) ** 2) <= budget:
            lo, best = mid, (c, s, mid)
        else:
            hi = mid
        if hi - lo <= 1e-4 * hi:
            break
    return best


def _exact_lambda(y: np.ndarray, g: np.ndarray, budget: float, s: np.ndarray, lam: float,
                  rtol: float = 1e-4, max_solves: int = 40) -> tuple[np.ndarray, np.ndarray, float]:
    """Exact ``(c, s, lam)``: the largest ``lam`` (to ``rtol``) whose exact optimum keeps the
    residual ``||y - c||^2`` within ``budget``, starting from ``lam`` and spikes ``s``."""
    def solve(lam_: float, s0: np.ndarray):
        c_, s_ = refine_spikes(y, g, lam_, s0)
        return c_, s_, float(np.sum((y - c_) ** 2)) - budget

    c, s, gap = solve(lam, s)
    if lam == 0.0:  # even the greedy lam = 0 missed the budget: the exact lam = 0 optimum
        return c, s, 0.0
    lo = (lam, gap, c, s) if gap <= 0 else None
    hi = None if lo is not None else (lam, gap, c, s)
    for _ in range(max_solves):  # bracket: widen by factors of 2 until the residual crosses
        if lo is not None and hi is not None:
            break
        step = lo[0] * 2.0 if hi is None else hi[0] / 2.0
        if hi is not None and step < 1e-12 * hi[0]:
            c, s, gap = solve(0.0, s)
            lo = (0.0, gap, c, s)
            break
        c, s, gap = solve(step, s)
        if gap <= 0:
            lo = (step, gap, c, s)
        else:
            hi = (step, gap, c, s)
    if hi is None or lo is None or lo[0] == 0.0:
        return (lo or hi)[2], (lo or hi)[3], (lo or hi)[0]
    x_lo, f_lo, x_hi, f_hi = np.log(lo[0]), lo[1], np.log(hi[0]), hi[1]
    side = 0
    for _ in range(max_solves):
        if -lo[1] <= rtol * budget or x_hi - x_lo <= rtol:
            break
        x = x_lo - f_lo * (x_hi - x_lo) / (f_hi - f_lo)
        c, s, gap = solve(float(np.exp(x)), lo[3])
        if gap <= 0:
            lo, x_lo, f_lo = (float(np.exp(x)), gap, c, s), x, gap
            if side == -1:
                f_hi /= 2
            side = -1
        else:
            x_hi, f_hi = x, gap
            if side == 1:
                f_lo /= 2
            side = 1
    return lo[2], lo[3], lo[0]


def constrained_foopsi(y: np.ndarray, p: int = 1, g: np.ndarray | None = None,
                       sn: float | None = None, s_min: float = 0.0, lags: int = 5,
                       fudge_factor: float = 0.96, noise_method: str = "mean",
                       optimize_b: bool = True, b: float = 0.0, bas_nonneg: bool = False,
                       decay_time: float | None = None, fr: float | None = None,
                       exact: bool = True) -> Deconvolution:
    """Deconvolve trace ``y`` (T,) under the noise constraint.

    ``g``/``sn`` are estimated when None (AR coefficients from the autocovariance; when that
    fails, from ``decay_time`` (s) and frame rate ``fr`` (Hz), which are then required).
    ``optimize_b`` estimates a constant baseline (15th percentile; ``>= 0`` when
    ``bas_nonneg``), else ``b`` is used as given. ``p = 0`` means no dynamics: ``c = max(y - b, 0)`` and ``s = c``.
    ``exact``: for AR(2), finish on the exact optimum (see the module docstring; AR(0) and
    AR(1) are always exact); ``False`` keeps the greedy solution (faster, e.g. for intermediate
    sweeps of an alternating fit).
    """
    y = np.asarray(y, dtype=np.float64)
    if y.ndim != 1 or y.size < 8:
        raise ParameterError(f"constrained_foopsi needs a 1-D trace of >= 8 frames, got {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ParameterError("the trace contains NaN or infinite values; remove them first")
    if p not in (0, 1, 2):
        raise ParameterError(f"p must be 0, 1 or 2, got {p}")
    if sn is None:
        sn = float(noise_psd(y, noise_method=noise_method))
    if g is None:
        g = estimate_ar_coefficients(y, p, sn, lags, fudge_factor)
        if g is None:
            if decay_time is None or fr is None:
                raise ParameterError("the AR coefficients cannot be estimated from this trace; "
                                     "give decay_time (s) and fr (Hz) as a prior")
            g = g_from_decay_time(decay_time, fr, p)
    g = np.atleast_1d(np.asarray(g, dtype=np.float64))[:p] if p else np.zeros(0)
    g = check_ar_coefficients(g)
    if optimize_b:
        b = float(np.percentile(y, 15))
        if bas_nonneg:
            b = max(b, 0.0)
    budget = sn ** 2 * y.size
    if p == 0:
        c = np.maximum(y - b, 0.0)
        return Deconvolution(c, c.copy(), float(b), g, float(sn), 0.0)
    c, s, lam = _fit_lambda(y - b, g, budget, s_min)
    if exact and p == 2 and s_min == 0:
        c, s, lam = _exact_lambda(y - b, g, budget, s, lam)
    return Deconvolution(c, s, float(b), g, float(sn), float(lam))
