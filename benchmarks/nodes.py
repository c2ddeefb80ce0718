"""Flowchart operations on many curves against the bare vectorised numpy/scipy call.

Issue target: 100,000 curves x 3,000 frames through Normalize, ZScore, Butterworth, Derivative
and PeakDetect, each within 3x of the bare call on the stacked 2-D array. The operation's time
includes stacking the DataFrame's arrays and writing the output column back.

    OMP_NUM_THREADS=1 python benchmarks/nodes.py [--curves 100000] [--frames 3000]

Prints, per operation, the operation's wall time, the bare call's wall time and their ratio.
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
from scipy import signal, stats

from mesmerize.analysis import Transmission, get_operation


def _timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def _bare_peaks(derivative: np.ndarray) -> None:
    """Downward zero crossings of the derivative, all rows at once (the core of PeakDetect)."""
    sign = np.signbit(derivative)
    np.nonzero(~sign[:, :-1] & sign[:, 1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--curves", type=int, default=100_000)
    parser.add_argument("--frames", type=int, default=3_000)
    args = parser.parse_args()

    rng = np.random.default_rng(0)
    fps = 10.0
    stacked = rng.normal(size=(args.curves, args.frames)).cumsum(axis=1).astype(np.float64)
    df = pd.DataFrame({"_RAW_CURVE": list(stacked), "meta": [{"fps": fps}] * args.curves})
    t = Transmission.from_dataframe(df)
    print(f"{args.curves} curves x {args.frames} frames "
          f"({stacked.nbytes / 2**30:.2f} GiB as float64)\n")
    print(f"{'operation':<12} {'op (s)':>8} {'bare (s)':>9} {'ratio':>6}")

    b, a = signal.butter(2, fps / 4.0, fs=fps)
    cases = [
        ("Normalize", {"data_column": "_RAW_CURVE"},
         lambda x: (x - x.min(1, keepdims=True)) / np.ptp(x, axis=1, keepdims=True)),
        ("ZScore", {"data_column": "_RAW_CURVE"}, lambda x: stats.zscore(x, axis=None)),
        ("Butterworth", {"data_column": "_RAW_CURVE", "order": 2, "freq_divisor": 4.0},
         lambda x: signal.filtfilt(b, a, x, axis=1)),
        ("Derivative", {"data_column": "_RAW_CURVE"}, lambda x: np.gradient(x, axis=1)),
    ]
    outputs = {}
    for name, params, bare in cases:
        outputs[name], op_s = _timed(lambda: get_operation(name)(t, **params))
        _, bare_s = _timed(lambda: bare(stacked))
        print(f"{name:<12} {op_s:8.2f} {bare_s:9.2f} {op_s / bare_s:6.2f}")

    derivative = outputs["Derivative"]
    normalized = get_operation("Normalize")(derivative, data_column="_RAW_CURVE")
    _, op_s = _timed(lambda: get_operation("PeakDetect")(
        normalized, derivative, normalized, None, data_column="_RAW_CURVE"))
    grad = np.gradient(stacked, axis=1)
    _, bare_s = _timed(lambda: _bare_peaks(grad))
    print(f"{'PeakDetect':<12} {op_s:8.2f} {bare_s:9.2f} {op_s / bare_s:6.2f}  "
          "(bare: zero crossings only; the op also builds one peaks/bases DataFrame per curve)")


if __name__ == "__main__":
    main()
