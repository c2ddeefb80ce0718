"""ΔF/F of CNMF traces with a running-percentile baseline (CaImAn's ``detrend_df_f``).

For each component, the raw fluorescence is ``F = C + YrA`` (denoised ``C`` alone when
``use_residuals=False``). The background's contribution on the footprint, ``B = a^T b f /
||a||^2``, is the "F" under the cell. With ``frames_window`` None, baselines are constant
``quantile_min`` percentiles over the whole trace; otherwise they are running percentiles over
windows of ``frames_window`` frames (centred, edge-padded). Result: ``(F - F0) / (B0 + F0)``
where ``F0``, ``B0`` are the baselines of ``F`` and ``B``.
"""
from __future__ import annotations

import numpy as np
import scipy.ndimage as ndi
import scipy.sparse

from mesmerize.core.errors import ParameterError


def running_percentile(X: np.ndarray, q: float, window: int | None) -> np.ndarray:
    """Percentile ``q`` of each row of ``X`` (K, T): constant (window None) or running."""
    X = np.asarray(X, dtype=np.float64)
    if window is None:
        return np.repeat(np.percentile(X, q, axis=1)[:, None], X.shape[1], axis=1)
    window = int(min(window, X.shape[1]))
    return ndi.percentile_filter(X, q, size=(1, window), mode="nearest")


def detrend_df_f(A: scipy.sparse.spmatrix, b: np.ndarray, C: np.ndarray, f: np.ndarray,
                 YrA: np.ndarray | None = None, quantile_min: float = 8.0,
                 frames_window: int | None = 500, use_residuals: bool = True) -> np.ndarray:
    """ΔF/F (K, T) float64 of the components (see module docstring for the formula).

    A (n_pixels, K); b (n_pixels, nb); C, YrA (K, T); f (nb, T).
    """
    if not 0 <= quantile_min <= 100:
        raise ParameterError(f"quantile_min must be within [0, 100], got {quantile_min}")
    if frames_window is not None and frames_window < 1:
        raise ParameterError(f"frames_window must be >= 1 or None, got {frames_window}")
    A = scipy.sparse.csc_matrix(A, dtype=np.float64)
    F = np.asarray(C, dtype=np.float64)
    if use_residuals and YrA is not None:
        F = F + YrA
    norm2 = np.asarray(A.power(2).sum(axis=0)).ravel()
    norm2[norm2 == 0] = 1.0
    B = np.asarray(A.T @ np.asarray(b, dtype=np.float64)) @ np.asarray(f, dtype=np.float64) \
        / norm2[:, None] if np.size(f) else np.zeros_like(F)
    F0 = running_percentile(F, quantile_min, frames_window)
    B0 = running_percentile(B, quantile_min, frames_window)
    denom = B0 + F0
    denom[np.abs(denom) < 1e-12] = np.nan
    return (F - F0) / denom
