"""Subpixel translation estimation by FFT cross-correlation (numpy/scipy backend).

Sign convention: for a frame whose content is displaced by ``d = (dy, dx)`` pixels relative to
the template, ``frame(r) = template(r - d)``, the estimated shift is ``+d``. The integer peak of
the circular cross-correlation is searched within ``max_shift`` px of zero, then refined
with an upsampled DFT of the cross-power spectrum around the peak (Guizar-Sicairos et al. 2008,
the method NoRMCorre uses) and a final 3-point parabolic fit on the upsampled samples.

Every function works on a batch: arrays shaped ``(..., h, w)`` (frames or patches), shifts
``(..., 2)`` as ``(dy, dx)``.
"""
from __future__ import annotations

import math

import numpy as np
import scipy.fft as sp_fft

_MIN_BAND = 32  # lowest band limit (cycles per window) of the subpixel refinement


def signed_lags(n: int) -> np.ndarray:
    """Lag of each index of a length-``n`` circular correlation: ``0, 1, ..., -2, -1`` (int)."""
    return np.fft.fftfreq(n, 1.0 / n).round().astype(np.int64)


def template_spectrum(template: np.ndarray, margin: tuple[int, int] = (0, 0)) -> np.ndarray:
    """Conjugate real FFT ``(..., h, w // 2 + 1)`` of prepared template window(s) ``(..., h, w)``.

    Only the inner region, ``margin = (my, mx)`` px away from the window's edges, is kept (minus
    its mean; zero outside). For any shift up to the margin, the circular correlation of a frame
    window with it is then the exact linear correlation: no wrapped-around or missing content
    enters it, which would bias shifts toward zero.
    """
    t = np.array(template, dtype=np.float32)
    h, w = t.shape[-2:]
    my, mx = margin
    if 2 * my >= h or 2 * mx >= w:
        raise ValueError(f"margin {margin} leaves no template inside a {h}x{w} window")
    inner = t[..., my:h - my, mx:w - mx]
    inner = inner - inner.mean(axis=(-2, -1), keepdims=True)
    t[...] = 0
    t[..., my:h - my, mx:w - mx] = inner
    return np.conj(sp_fft.rfft2(t)).astype(np.complex64)


def window_lags(n: int, half: int) -> np.ndarray:
    """Lags ``-half..half`` (all ``n`` lags when the window would wrap), as int64."""
    if 2 * half + 1 >= n:
        return signed_lags(n)
    return np.arange(-half, half + 1)


def _parabolic_offset(left: np.ndarray, mid: np.ndarray, right: np.ndarray) -> np.ndarray:
    """Vertex offset in samples (within [-0.5, 0.5]) of the parabola through three samples."""
    denom = left - 2.0 * mid + right
    with np.errstate(divide="ignore", invalid="ignore"):
        off = np.where(denom < 0, 0.5 * (left - right) / denom, 0.0)
    return np.clip(off, -0.5, 0.5)


def band_limited_axes(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices of the frequency rows ``(h)`` and half-spectrum columns kept for refinement.

    The peak of a cross-correlation is smooth: frequencies above a quarter of the sampling rate
    barely move it (they carry mostly noise) but dominate the cost of the matrix DFT.
    """
    rows = np.nonzero(np.abs(signed_lags(h)) <= max(h // 4, _MIN_BAND))[0]
    cols = np.nonzero(np.arange(w // 2 + 1) <= max(w // 4, _MIN_BAND))[0]
    return rows, cols


def upsampled_dft_kernels(shape: tuple[int, int], peak: np.ndarray, factor: int
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Matrix-DFT kernels sampling the correlation every ``1 / factor`` px around ``peak``.

    Returns ``ey (..., n_up, n_rows)`` and ``ex (..., n_cols, n_up)`` complex64 such that
    ``real(ey @ cross[..., rows, cols] @ ex)`` is the upsampled correlation, ``n_up`` samples
    per axis centred on the integer peak (``(..., 2)``), for the band of
    :func:`band_limited_axes`. Half-spectrum columns other than 0 and Nyquist count twice.
    """
    h, w = shape
    rows, cols = band_limited_axes(h, w)
    n_up = int(math.ceil(1.5 * factor)) | 1
    steps = (np.arange(n_up) - n_up // 2) / factor
    ky = signed_lags(h)[rows].astype(np.float64)
    kx = cols.astype(np.float64)
    weight = np.where((cols == 0) | (2 * cols == w), 1.0, 2.0)
    y = peak[..., 0, None].astype(np.float64) + steps
    x = peak[..., 1, None].astype(np.float64) + steps
    ey = np.exp((2j * np.pi / h) * y[..., :, None] * ky).astype(np.complex64)
    ex = (np.exp((2j * np.pi / w) * kx[:, None] * x[..., None, :]) * weight[:, None])
    return ey, ex.astype(np.complex64)


def peak_from_upsampled(up: np.ndarray, peak: np.ndarray, factor: int) -> np.ndarray:
    """Subpixel shifts ``(..., 2)`` from upsampled correlations ``(..., n_up, n_up)`` around
    the integer ``peak``: the best sample, refined by a 3-point parabola per axis."""
    n_up = up.shape[-1]
    flat_up = up.reshape(up.shape[:-2] + (-1,))
    iy, ix = np.divmod(flat_up.argmax(axis=-1), n_up)
    iy_c = np.clip(iy, 1, n_up - 2)
    ix_c = np.clip(ix, 1, n_up - 2)

    def at(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.take_along_axis(flat_up, (a * n_up + b)[..., None], axis=-1)[..., 0]

    oy = np.where(iy == iy_c, _parabolic_offset(at(iy_c - 1, ix), at(iy_c, ix), at(iy_c + 1, ix)), 0)
    ox = np.where(ix == ix_c, _parabolic_offset(at(iy, ix_c - 1), at(iy, ix_c), at(iy, ix_c + 1)), 0)
    dy = peak[..., 0] + (iy - n_up // 2 + oy) / factor
    dx = peak[..., 1] + (ix - n_up // 2 + ox) / factor
    return np.stack([dy, dx], axis=-1)


def integer_peak(window: np.ndarray, ly: np.ndarray, lx: np.ndarray) -> np.ndarray:
    """Integer lags ``(..., 2)`` of the maxima of correlation windows ``(..., len(ly) * len(lx))``."""
    iy, ix = np.divmod(window.argmax(axis=-1), len(lx))
    return np.stack([ly[iy], lx[ix]], axis=-1)


def estimate_shifts(
    frames: np.ndarray,
    template_conj: np.ndarray,
    max_shift: tuple[int, int],
    upsample_factor: int,
    workers: int = 1,
    device: str | None = None,
) -> np.ndarray:
    """Shifts ``(..., 2)`` (dy, dx) in px of prepared ``frames (..., h, w)`` against a template.

    ``template_conj``: from :func:`template_spectrum`, broadcastable to the frames' spectra.
    The integer peak is searched within ``max_shift = (my, mx)`` px of zero, then refined to
    ``1 / upsample_factor`` px. ``device`` (``"cuda"``, ``"cpu"``): run the FFTs and the matrix
    DFT with torch on that device instead of numpy/scipy (see :mod:`.torch_backend`).
    """
    if device is not None:
        from .torch_backend import estimate_shifts_torch
        return estimate_shifts_torch(frames, template_conj, max_shift, upsample_factor, device)
    frames = np.asarray(frames, dtype=np.float32)
    h, w = frames.shape[-2:]
    batch = frames.shape[:-2]
    cross = sp_fft.rfft2(frames, workers=workers) * template_conj
    cross[..., 0, 0] = 0
    cc = sp_fft.irfft2(cross, s=(h, w), workers=workers)
    ly, lx = window_lags(h, max_shift[0]), window_lags(w, max_shift[1])
    peak = integer_peak(cc[..., ly % h, :][..., lx % w].reshape(batch + (-1,)), ly, lx)
    rows, cols = band_limited_axes(h, w)
    band = np.ascontiguousarray(cross[..., rows, :][..., cols])
    ey, ex = upsampled_dft_kernels((h, w), peak, upsample_factor)
    return peak_from_upsampled(np.matmul(np.matmul(ey, band), ex).real, peak, upsample_factor)
