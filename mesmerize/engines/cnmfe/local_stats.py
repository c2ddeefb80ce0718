"""Per-pixel statistics of high-pass filtered traces behind the correlation and PNR images.

Definitions (CaImAn's ``correlation_pnr``, so ``min_corr`` / ``min_pnr`` tuned there mean the
same here). With ``f`` a pixel's filtered trace (see ``filtering``) and ``m`` its temporal mean:

- noise ``sigma``: the "mean" power-spectral-density estimate of ``engines.deconvolution.noise``
  (the average periodogram over frequencies in (0.25, 0.5) cycles/frame, Nyquist excluded), with
  the periodograms of consecutive segments of about ``SEGMENT_FRAMES`` frames pooled (Welch's
  method). The segmentation depends only on the number of frames, so the result does not depend
  on how the movie is chunked; a movie shorter than ``2 * SEGMENT_FRAMES`` is one segment and
  then ``sigma`` equals ``noise_psd(f, noise_method="mean")``.
- PNR: ``max_t (f - m) / sigma``, clipped at 0 (0 where ``sigma`` is 0).
- local correlation: ``z = (f - m) / sigma`` with values below ``CORR_THRESHOLD`` set to 0 (only
  events well above the noise count), then each pixel's Pearson correlation of ``z`` with each of
  its 8 neighbours (5 on an edge, 3 in a corner), averaged. A constant ``z`` correlates 0 with
  everything.

The correlation is accumulated from sums over frames (``CorrelationSums``), so chunks of frames
and strips of rows can be processed independently and added.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft

SEGMENT_FRAMES = 256
CORR_THRESHOLD = 3.0


def noise_segments(n_frames: int) -> list[tuple[int, int]]:
    """Consecutive ``(start, stop)`` frame ranges of SEGMENT_FRAMES to 2*SEGMENT_FRAMES-1 frames
    (one range when ``n_frames < 2 * SEGMENT_FRAMES``)."""
    n_seg = max(1, n_frames // SEGMENT_FRAMES)
    bounds = [s * n_frames // n_seg for s in range(n_seg + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def periodogram_sums(f: np.ndarray) -> tuple[np.ndarray, int]:
    """Sum over the noise frequencies of ``|rfft(f)|^2 / n`` along axis 0 of ``f`` ``(n, ...)``.

    Returns (float64 array of shape ``f.shape[1:]``, number of frequencies summed).
    """
    n = f.shape[0]
    freqs = np.fft.rfftfreq(n)
    keep = (freqs > 0.25) & (freqs <= 0.5)
    if n % 2 == 0:
        keep[-1] = False  # the real-valued Nyquist bin has one degree of freedom only
    idx = np.flatnonzero(keep)
    if idx.size == 0:
        return np.zeros(f.shape[1:]), 0
    # scipy's FFT along the first axis is several times faster than numpy's on (n, h, w) blocks
    spec = scipy.fft.rfft(f, axis=0)[idx[0]:idx[-1] + 1]
    power = np.square(spec.real) + np.square(spec.imag)
    return power.sum(axis=0, dtype=np.float64) / n, int(idx.size)


def filtered_noise(f: np.ndarray) -> np.ndarray:
    """Noise std of every pixel of filtered frames ``f`` ``(T, H, W)`` -> ``(H, W)`` float64."""
    total = np.zeros(f.shape[1:])
    count = 0
    for t0, t1 in noise_segments(f.shape[0]):
        s, c = periodogram_sums(f[t0:t1])
        total += s
        count += c
    return np.sqrt(total / max(count, 1))


def pnr_image(max_centered: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """``max_t (f - m) / sigma`` clipped at 0 (0 where sigma is 0); ``(H, W)`` float32."""
    pnr = np.divide(max_centered, sigma, out=np.zeros(sigma.shape), where=sigma > 0)
    return np.maximum(pnr, 0).astype(np.float32)


def thresholded_z(f: np.ndarray, mean: np.ndarray, sigma: np.ndarray,
                  overwrite: bool = False) -> np.ndarray:
    """``(f - mean) / sigma`` with values below CORR_THRESHOLD (and pixels with sigma 0) set to 0.

    ``f`` ``(n, h, w)`` float32, ``mean`` / ``sigma`` ``(h, w)``; returns float32 ``(n, h, w)``,
    computed in ``f``'s memory when ``overwrite``.
    """
    inv = np.divide(1.0, sigma, out=np.zeros(sigma.shape), where=sigma > 0).astype(np.float32)
    z = np.subtract(f, mean.astype(np.float32), out=f if overwrite else None, dtype=np.float32)
    z *= inv
    z[z < CORR_THRESHOLD] = 0
    return z


@dataclass
class CorrelationSums:
    """Sums over frames of ``z`` and its products with neighbours, all float64.

    ``s1``, ``s2``: ``(H, W)`` sums of z and z^2; ``right``: ``(H, W-1)`` z(y,x) z(y,x+1);
    ``down``: ``(H-1, W)`` z(y,x) z(y+1,x); ``down_right``: ``(H-1, W-1)`` z(y,x) z(y+1,x+1);
    ``down_left``: ``(H-1, W-1)`` z(y,x+1) z(y+1,x); ``n``: number of frames.
    """

    n: int
    s1: np.ndarray
    s2: np.ndarray
    right: np.ndarray
    down: np.ndarray
    down_right: np.ndarray
    down_left: np.ndarray

    @classmethod
    def zeros(cls, dims: tuple[int, int]) -> "CorrelationSums":
        H, W = dims
        return cls(0, np.zeros((H, W)), np.zeros((H, W)), np.zeros((H, W - 1)),
                   np.zeros((H - 1, W)), np.zeros((H - 1, W - 1)), np.zeros((H - 1, W - 1)))


def _psum(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("tij,tij->ij", a, b, dtype=np.float64)


def strip_sums(z: np.ndarray, rows: int) -> tuple[np.ndarray, ...]:
    """Sums for the first ``rows`` rows of ``z`` ``(n, h, W)``; ``z`` holds one more row (the first
    row of the next strip) when ``h == rows + 1``, for the pairs that cross into it.

    Returns ``(s1, s2, right, down, down_right, down_left)`` with ``rows`` rows (``down*`` have
    ``h - 1`` rows when ``h == rows``, i.e. at the bottom of the image).
    """
    top = z[:, :rows]
    s1 = top.sum(axis=0, dtype=np.float64)
    s2 = _psum(top, top)
    right = _psum(top[:, :, :-1], top[:, :, 1:])
    a, b = z[:, :-1], z[:, 1:]
    a, b = a[:, :rows], b[:, :rows]
    down = _psum(a, b)
    down_right = _psum(a[:, :, :-1], b[:, :, 1:])
    down_left = _psum(a[:, :, 1:], b[:, :, :-1])
    return s1, s2, right, down, down_right, down_left


def correlation_sums(z: np.ndarray) -> CorrelationSums:
    """All sums of an in-memory ``z`` ``(n, H, W)``."""
    n, H, _ = z.shape
    return CorrelationSums(n, *strip_sums(z, H))


def _pair_corr(n: int, sa: np.ndarray, saa: np.ndarray, sb: np.ndarray, sbb: np.ndarray,
               sab: np.ndarray) -> np.ndarray:
    va = n * saa - sa * sa
    vb = n * sbb - sb * sb
    den = np.sqrt(np.maximum(va, 0) * np.maximum(vb, 0))
    num = n * sab - sa * sb
    # a variance that is rounding noise relative to the sums is a constant trace
    ok = (va > 1e-12 * n * saa) & (vb > 1e-12 * n * sbb) & (den > 0)
    return np.divide(num, den, out=np.zeros(num.shape), where=ok)


def local_correlation(sums: CorrelationSums) -> np.ndarray:
    """Mean correlation of each pixel with its 8 neighbours, ``(H, W)`` float32."""
    n, s1, s2 = sums.n, sums.s1, sums.s2
    H, W = s1.shape
    acc = np.zeros((H, W))
    cnt = np.zeros((H, W))
    pairs = (
        (sums.right, (slice(None), slice(0, W - 1)), (slice(None), slice(1, W))),
        (sums.down, (slice(0, H - 1), slice(None)), (slice(1, H), slice(None))),
        (sums.down_right, (slice(0, H - 1), slice(0, W - 1)), (slice(1, H), slice(1, W))),
        (sums.down_left, (slice(0, H - 1), slice(1, W)), (slice(1, H), slice(0, W - 1))),
    )
    for sab, ia, ib in pairs:
        if sab.size == 0:
            continue
        c = _pair_corr(n, s1[ia], s2[ia], s1[ib], s2[ib], sab)
        acc[ia] += c
        acc[ib] += c
        cnt[ia] += 1
        cnt[ib] += 1
    return np.divide(acc, cnt, out=np.zeros((H, W)), where=cnt > 0).astype(np.float32)


def corr_pnr_in_memory(f: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Correlation and PNR images of filtered frames ``f`` ``(T, H, W)`` held in memory.

    Returns ``(corr, pnr, sigma, mean)``: float32, float32, float64, float64, all ``(H, W)``.
    """
    mean = f.mean(axis=0, dtype=np.float64)
    sigma = filtered_noise(f)
    pnr = pnr_image(f.max(axis=0) - mean, sigma)
    corr = local_correlation(correlation_sums(thresholded_z(f, mean, sigma)))
    return corr, pnr, sigma, mean
