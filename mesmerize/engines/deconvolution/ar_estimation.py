"""AR coefficients of a calcium trace from its autocovariance (Pnevmatikakis et al. 2016).

For ``y = c + noise`` with ``c`` an AR(p) process and white noise of variance ``sn^2``, the
autocovariance ``r`` satisfies the Yule-Walker equations ``r[k] = sum_j g_j r~[k - j]`` for
``k >= 1``, where ``r~`` equals ``r`` except ``r~[0] = r[0] - sn^2``. We solve them in the least
squares sense for ``k = 1..lags`` and shrink the roots of the AR polynomial by ``fudge_factor``
(CaImAn uses 0.96 to counter the upward bias of short traces).
"""
from __future__ import annotations

import numpy as np

from mesmerize.core.errors import ParameterError


def autocovariance(y: np.ndarray, max_lag: int) -> np.ndarray:
    """Biased autocovariance of a 1-D trace for lags ``0..max_lag`` (FFT based)."""
    y = np.asarray(y, dtype=np.float64)
    y = y - y.mean()
    T = y.size
    n = 1 << int(np.ceil(np.log2(2 * T - 1)))
    f = np.fft.rfft(y, n)
    return np.fft.irfft(f * np.conj(f), n)[:max_lag + 1] / T


def g_from_decay_time(decay_time: float, fr: float, p: int) -> np.ndarray:
    """AR coefficients of a transient decaying with time constant ``decay_time`` (s) at ``fr`` Hz.

    AR(1): ``g = exp(-1 / (decay_time fr))``. AR(2): decay as above and a rise time of one
    tenth of the decay time (fast indicator onset).
    """
    if decay_time <= 0 or fr <= 0:
        raise ParameterError(f"decay_time and fr must be > 0, got {decay_time} and {fr}")
    d = np.exp(-1.0 / (decay_time * fr))
    if p == 0:
        return np.zeros(0)
    if p == 1:
        return np.array([d])
    if p == 2:
        r = np.exp(-1.0 / (0.1 * decay_time * fr))
        return np.array([d + r, -d * r])
    raise ParameterError(f"p must be 0, 1 or 2, got {p}")


def estimate_ar_coefficients(y: np.ndarray, p: int, sn: float, lags: int = 5,
                             fudge_factor: float = 0.96) -> np.ndarray | None:
    """AR(p) coefficients of trace ``y`` (T,), given its noise std ``sn``.

    Returns ``(p,)`` float64 coefficients of a stable decaying process with non-negative impulse
    response, or None when the autocovariance does not describe one (e.g. a trace of pure
    noise); callers then fall back to :func:`g_from_decay_time`.
    """
    if p == 0:
        return np.zeros(0)
    if p not in (1, 2):
        raise ParameterError(f"p must be 0, 1 or 2, got {p}")
    lags = max(lags, p) + p
    r = autocovariance(y, lags)
    r_tilde = r.copy()
    r_tilde[0] -= sn ** 2
    k = np.arange(1, lags + 1)
    A = np.stack([r_tilde[np.abs(k - j)] for j in range(1, p + 1)], axis=1)
    g, *_ = np.linalg.lstsq(A, r[1:lags + 1], rcond=None)
    roots = np.roots(np.concatenate([[1.0], -g])) * fudge_factor
    if np.any(np.abs(np.imag(roots)) > 1e-9) or np.any(np.real(roots) <= 0) \
            or np.any(np.abs(roots) >= 1):
        return None
    return -np.real(np.poly(roots))[1:]
