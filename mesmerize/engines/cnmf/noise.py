"""Per-pixel noise level of a movie from the power spectral density, chunked over pixels."""
from __future__ import annotations

import numpy as np

from mesmerize.engines.deconvolution.noise import noise_psd


def pixel_noise(Yr: np.ndarray, noise_method: str = "mean",
                noise_range: tuple[float, float] = (0.25, 0.5),
                chunk_pixels: int = 4096) -> np.ndarray:
    """Noise std of every pixel of ``Yr`` (n_pixels, T) (see ``noise_psd`` for the methods).

    Works on memory-mapped arrays: at most ``chunk_pixels`` rows are in memory at a time.
    Returns (n_pixels,) float64 in the units of the movie.
    """
    n = Yr.shape[0]
    sn = np.empty(n)
    for start in range(0, n, chunk_pixels):
        stop = min(start + chunk_pixels, n)
        sn[start:stop] = noise_psd(np.asarray(Yr[start:stop], dtype=np.float32),
                                   noise_range=noise_range, noise_method=noise_method)
    return sn
