"""Component evaluation (CaImAn's ``evaluate_components`` criteria, without the CNN).

- **SNR** (``min_SNR``): event exceptionality of the trace ``C + YrA``. The noise std is
  estimated from the values below the trace's mode; each frame's z-score (with CaImAn's factor
  of 3 on the noise std) gives the log tail probability ``log(1 - Phi(z))``; the least likely
  window of ``N = ceil(decay_time * fr)`` consecutive frames gives the fitness, converted back
  to an SNR ``-Phi^-1(exp(fitness / N))``.
- **r-value** (``rval_thr``): spatial consistency — correlation, over the footprint's support,
  between the footprint and the mean of the data minus background over the frames around the
  5 largest peaks of the trace (3 before to 10 after each, CaImAn's defaults). Averaging the
  frames after a peak matters: frames chosen only because the data projected high on the
  footprint would reproduce the footprint from pure noise. Other components are not
  subtracted (as in CaImAn). Footprints smaller than a quarter of a disk of radius ``gSig``
  (fragments, not neurons) get r = -1.
- **CNN** (``cnn_thr``): **off**. CaImAn's classifier needs trained weights that Mesmerize
  cannot ship; components are never accepted or rejected by it.

A component is accepted when (SNR >= min_SNR or r >= rval_thr) and SNR >= 0.5 (CaImAn's
``SNR_lowest``).
"""
from __future__ import annotations

import numpy as np
import scipy.sparse
import scipy.stats

from mesmerize.engines.cnmf.streaming import PixelSource, as_source, support_products


SNR_LOWEST = 0.5


def trace_mode(x: np.ndarray, n_bins: int = 100) -> float:
    """Mode of the values of ``x`` (T,) from a lightly smoothed histogram."""
    hist, edges = np.histogram(x, bins=n_bins)
    hist = np.convolve(hist, np.ones(3) / 3, mode="same")
    i = int(np.argmax(hist))
    return float(0.5 * (edges[i] + edges[i + 1]))


def trace_snr(traces: np.ndarray, window: int) -> np.ndarray:
    """SNR of each trace of ``traces`` (K, T) by event exceptionality over ``window`` frames."""
    K, T = traces.shape
    window = int(max(1, min(window, T)))
    snr = np.zeros(K)
    for k in range(K):
        x = traces[k]
        d = x - trace_mode(x)
        below = d[d < 0]
        if below.size == 0 or not np.any(below):
            continue
        sd = np.sqrt(np.mean(below ** 2))
        logp = scipy.stats.norm.logsf(d / (3 * sd))
        moving = np.convolve(logp, np.ones(window), mode="full")[:T]
        fitness = float(np.min(moving))
        snr[k] = -scipy.stats.norm.ppf(np.exp(fitness / window))
    return np.nan_to_num(snr, posinf=np.finfo(np.float64).max)


def event_frames(c: np.ndarray, n_peaks: int = 5, before: int = 3, after: int = 10) -> np.ndarray:
    """Frames around the ``n_peaks`` highest local maxima of trace ``c`` (T,): from ``before``
    frames before to ``after`` frames after each peak (CaImAn's ``Npeaks``, ``tB``, ``tA``)."""
    T = c.size
    inner = np.flatnonzero((c[1:-1] > c[:-2]) & (c[1:-1] >= c[2:]) & (c[1:-1] > 0)) + 1
    peaks = inner[np.argsort(c[inner])[::-1][:n_peaks]]
    frames = (peaks[:, None] + np.arange(-before, after + 1)[None, :]).ravel()
    return np.unique(frames[(frames >= 0) & (frames < T)])


def spatial_rvalues(Yr: np.ndarray | PixelSource, A: scipy.sparse.spmatrix, C: np.ndarray,
                    b: np.ndarray, f: np.ndarray, min_pixels: int = 3) -> np.ndarray:
    """r-value (K,) of each component: see the module docstring. Yr (n_pixels, T) or a
    :class:`~mesmerize.engines.cnmf.streaming.PixelSource` (one streamed pass)."""
    A = scipy.sparse.csc_matrix(A)
    A.sort_indices()
    K, T = C.shape
    r = np.full(K, -1.0)
    # E (K, T): each component's average over its event frames, as weights on the frames
    E = np.zeros((K, T))
    for k in range(K):
        frames = event_frames(C[k])
        if frames.size:
            E[k, frames] = 1.0 / frames.size
    means, _ = support_products(as_source(Yr), A, E)
    fE = np.asarray(f, dtype=np.float64) @ E.T  # (nb, K) background averaged over the frames
    for k in range(K):
        lo, hi = A.indptr[k], A.indptr[k + 1]
        sup = A.indices[lo:hi]
        if not E[k].any() or sup.size < max(min_pixels, 3):
            continue
        resid = means[lo:hi] - b[sup] @ fE[:, k]
        ak = A.data[lo:hi]
        if resid.std() == 0 or ak.std() == 0:
            continue
        r[k] = float(np.corrcoef(resid, ak)[0, 1])
    return r


def evaluate_components(Yr: np.ndarray | PixelSource, A: scipy.sparse.spmatrix, C: np.ndarray,
                        YrA: np.ndarray, b: np.ndarray, f: np.ndarray,
                        fr: float, decay_time: float, min_SNR: float, rval_thr: float,
                        gSig: tuple[int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray,
                                                        np.ndarray]:
    """Returns ``idx_components``, ``idx_components_bad`` (int arrays), ``SNR`` and r-values (K,).

    Yr (n_pixels, T) or a pixel source; A (n_pixels, K); C, YrA (K, T); b (n_pixels, nb);
    f (nb, T); fr (Hz); decay_time (s); gSig (px) sets the smallest footprint given an r-value.
    """
    snr = trace_snr(C + YrA, int(np.ceil(decay_time * fr)))
    rval = spatial_rvalues(Yr, A, C, b, f, int(np.pi * gSig[0] * gSig[1] / 4))
    good = ((snr >= min_SNR) | (rval >= rval_thr)) & (snr >= SNR_LOWEST)
    return np.flatnonzero(good), np.flatnonzero(~good), snr, rval
