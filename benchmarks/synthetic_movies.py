"""Speed and memory of synthetic movie generation.

Run: ``OMP_NUM_THREADS=1 python benchmarks/synthetic_movies.py [--large]``. Prints seconds per
movie for in-memory generation (2p/1p, with and without motion) and, with ``--large``, for
streaming a 512x512x3000 uint16 movie to a TIFF with the peak resident memory.
"""
from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from mesmerize.demo.synthetic import SyntheticParams, generate, write_synthetic_tiff


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--large", action="store_true", help="also stream 512x512x3000 to disk")
    args = parser.parse_args()
    cases = [
        ("2p still", SyntheticParams()),
        ("2p rigid+nonrigid", SyntheticParams(max_shift=4.0, nonrigid_amplitude=1.5)),
        ("1p still", SyntheticParams(mode="1p")),
        ("1p rigid", SyntheticParams(mode="1p", max_shift=4.0)),
    ]
    for label, params in cases:
        t0 = time.perf_counter()
        generate(params)
        print(f"generate {params.shape} {label:20s} {time.perf_counter() - t0:6.2f} s")
    if args.large:
        params = SyntheticParams(shape=(3000, 512, 512), n_neurons=300, max_shift=6.0,
                                 nonrigid_amplitude=2.0)
        with tempfile.TemporaryDirectory() as tmp:
            rss0 = _peak_rss_mib()
            t0 = time.perf_counter()
            write_synthetic_tiff(Path(tmp) / "large.tiff", params)
            size = (Path(tmp) / "large.tiff").stat().st_size / 2**30
            print(f"write_synthetic_tiff {params.shape}: {time.perf_counter() - t0:.1f} s, "
                  f"{size:.2f} GiB file, peak RSS {_peak_rss_mib():.0f} MiB (before {rss0:.0f})")


if __name__ == "__main__":
    main()
