"""Benchmark: full CNMF-E (``mesmerize.engines.cnmfe.fit``) on a synthetic 1-photon movie.

Streams a realistic synthetic 1-photon movie (``mesmerize.demo.synthetic.write_synthetic_tiff``:
bright, smooth, time-varying background, neuropil texture, overlapping neurons at rest, shot
and read noise; uint16 TIFF ``[t, y, x]``) to ``--dir`` (reused with ``--keep``), then runs
``fit`` with patches (``--rf``, ``--stride``; ``--rf 0`` for the whole field of view) on a
process pool of ``--workers`` workers (``--workers 0``: in this process). Prints the wall time of
every stage (from the progress messages and ``result.timings``), CPU time of all processes,
peak memory sampled every 0.1 s over the main process and its workers (summed RSS, which counts
page-cache pages of the memory-mapped movie, and summed RssAnon, the processes' own
allocations), and the accuracy against the ground truth: detection F1 of the accepted
components (centroid within gSig px, footprint correlation > 0.6) and the median correlation of
the matched traces with the true calcium.

    PYTHONPATH=. python benchmarks/cnmfe.py [--size 512] [--frames 3000] [--workers 2]
        [--rf 40] [--stride 20] [--gsig 4] [--dir DIR] [--keep]
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import argparse  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from process_memory import MemorySampler, anon_bytes, cpu_seconds  # noqa: E402
from synthetic_1p import synthetic_1p_movie  # noqa: E402

from mesmerize.demo.synthetic import load_ground_truth  # noqa: E402
from mesmerize.engines.cnmf.scoring import match_components  # noqa: E402
from mesmerize.engines.cnmfe import CNMFEParams, fit  # noqa: E402


class StageClock:
    """Progress callback that records the wall time between successive progress messages."""

    def __init__(self) -> None:
        self.t = time.perf_counter()
        self.msg = "start"
        self.stages: list[tuple[str, float]] = []

    def __call__(self, frac: float, msg: str) -> None:
        now = time.perf_counter()
        self.stages.append((self.msg, now - self.t))
        self.t, self.msg = now, msg


def _limit_threads() -> None:
    cv2.setNumThreads(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--frames", type=int, default=3000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rf", type=int, default=40, help="patch half-size (0: no patches)")
    ap.add_argument("--stride", type=int, default=20)
    ap.add_argument("--gsig", type=int, default=4)
    ap.add_argument("--k", type=int, default=40, help="largest number of neurons per patch")
    ap.add_argument("--dir", default=None)
    ap.add_argument("--keep", action="store_true", help="keep (and reuse) the movie")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    work = Path(args.dir or tempfile.mkdtemp(prefix="cnmfe_fit_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    movie, truth_path, n_neurons = synthetic_1p_movie(work, args.size, args.frames)
    params = CNMFEParams(fr=10.0, gSig=args.gsig, min_corr=0.8, min_pnr=5, k=args.k,
                         min_SNR=2.5, r_values_min=0.85, decay_time=0.4,
                         rf=args.rf or None, stride=args.stride)
    clock = StageClock()
    sampler = MemorySampler()
    idle_anon = anon_bytes(os.getpid())
    sampler.start()
    cpu0 = cpu_seconds()
    t = time.perf_counter()
    if args.workers > 0:
        with ProcessPoolExecutor(args.workers, initializer=_limit_threads) as pool:
            res = fit(movie, params, work / "cnmfe", progress=clock, executor=pool)
    else:
        res = fit(movie, params, work / "cnmfe", progress=clock)
    wall = time.perf_counter() - t
    cpu = cpu_seconds() - cpu0
    sampler.stop()
    truth = load_ground_truth(truth_path)  # after the run: dense footprints are K*H*W*4 bytes
    idx = res.idx_components
    score = match_components(truth.footprints, res.footprint_images()[idx],
                             max_distance=args.gsig, min_corr=0.6, true_traces=truth.calcium,
                             found_traces=res.C[idx])
    print(f"movie {args.frames} x {args.size} x {args.size} uint16, {n_neurons} neurons, "
          f"gSig={args.gsig}, rf={args.rf or None}, stride={args.stride}, "
          f"workers={args.workers}")
    print("stages (wall s, from progress messages):")
    for msg, dt in clock.stages[1:] + [(clock.msg, time.perf_counter() - clock.t)]:
        print(f"  {dt:8.1f}  {msg}")
    print("result.timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in res.timings.items()))
    print(f"CNMF-E wall time: {wall:.1f} s; CPU time (user + system, main + workers): "
          f"{cpu:.1f} s; load average {os.getloadavg()[0]:.1f}")
    print(f"peak RSS (main + workers, incl. mapped movie pages): "
          f"{sampler.peak_rss / 2**20:.0f} MiB")
    print(f"peak RssAnon (main + workers, own allocations): {sampler.peak_anon / 2**20:.0f} MiB "
          f"(main process before the run: {idle_anon / 2**20:.0f} MiB)")
    print(f"components: {res.n_components} found, {len(idx)} accepted, {n_neurons} true")
    print(f"detection: F1 {score.f1:.3f} (precision {score.precision:.3f}, recall "
          f"{score.recall:.3f}); median trace correlation "
          f"{np.nanmedian(score.trace_corr) if len(score.trace_corr) else float('nan'):.3f}")
    if not args.keep:
        for p in work.glob("synthetic_1p_*"):
            p.unlink()


if __name__ == "__main__":
    main()
