"""Time the all-pairs normalized cross-correlation of one sample (target: ~500 curves x 3000
frames in seconds) and check it against tslearn's normalized_cc on a subset of pairs.

Run: OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/cross_correlation.py [n_curves] [n_frames]
"""
from __future__ import annotations

import os
import sys
import time

import numpy as np

from mesmerize.plotting.cross_correlation import ccf_maxima, pre_normalize


def calcium_curves(n_curves: int, n_frames: int, seed: int = 0) -> np.ndarray:
    """``(n_curves, n_frames)`` dF/F-like traces: a baseline, sparse transients with a 1 s decay
    at 10 Hz, shared population events and Gaussian noise."""
    rng = np.random.default_rng(seed)
    kernel = np.exp(-np.arange(40) / 10.0)
    shared = (rng.random(n_frames) < 0.01).astype(float)
    spikes = (rng.random((n_curves, n_frames)) < 0.02) + 0.5 * shared
    traces = np.array([np.convolve(s, kernel)[:n_frames] for s in spikes])
    return 1.0 + traces + 0.1 * rng.normal(size=(n_curves, n_frames))


def tslearn_check(curves: np.ndarray, lags: np.ndarray, maxima: np.ndarray,
                  n_pairs: int = 200) -> tuple[float, float]:
    """Largest |maxima - tslearn| over random pairs, and the largest shortfall of tslearn's
    CCF at our lag below its maximum (0 when our lag is a global maximum)."""
    from tslearn.metrics.cycc import normalized_cc

    rng = np.random.default_rng(1)
    n, t = curves.shape
    worst_max = worst_lag = 0.0
    for i, j in rng.integers(0, n, size=(n_pairs, 2)):
        cc = normalized_cc(curves[i].reshape(-1, 1), curves[j].reshape(-1, 1))
        worst_max = max(worst_max, abs(maxima[i, j] - cc.max()))
        worst_lag = max(worst_lag, cc.max() - cc[int(lags[i, j]) + t - 1])
    return worst_max, worst_lag


def main() -> None:
    n_curves = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    n_frames = int(sys.argv[2]) if len(sys.argv) > 2 else 3000
    curves = pre_normalize(calcium_curves(n_curves, n_frames), "zscore")
    pairs = n_curves * (n_curves + 1) // 2
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"{n_curves} curves x {n_frames} frames = {pairs} pairs, CCFs of {2 * n_frames - 1} "
          f"lags; {os.cpu_count()} CPUs, load average {load:.1f} (wall times grow with load)")
    from tslearn.metrics.cycc import normalized_cc

    normalized_cc(curves[0].reshape(-1, 1), curves[1].reshape(-1, 1))  # numba compile
    start = time.perf_counter()
    for i in range(200):
        cc = normalized_cc(curves[i % n_curves].reshape(-1, 1), curves[-1].reshape(-1, 1))
        cc.argmax()
    per_pair = (time.perf_counter() - start) / 200
    print(f"  tslearn normalized_cc pair by pair: {per_pair * 1e6:.0f} us/pair, "
          f"{per_pair * n_curves ** 2:.0f} s for all {n_curves ** 2} ordered pairs (extrapolated)")
    for precision in ("single", "double"):
        for workers in sorted({1, 2, min(4, os.cpu_count() or 1)}):
            start, cpu_start = time.perf_counter(), time.process_time()
            lags, maxima = ccf_maxima(curves, precision=precision, workers=workers)
            elapsed = time.perf_counter() - start
            cpu = time.process_time() - cpu_start
            worst_max, worst_lag = tslearn_check(curves, lags, maxima)
            print(f"  {precision:6s} workers={workers}: {elapsed:6.2f} s wall, {cpu:6.2f} s CPU "
                  f"({elapsed / pairs * 1e6:5.1f} us/pair); vs tslearn on 200 pairs: "
                  f"max |dmaxima| = {worst_max:.1e}, CCF shortfall at our lag = {worst_lag:.1e}")


if __name__ == "__main__":
    main()
