"""CNMF benchmark on a synthetic 2-photon movie: accuracy, wall time per stage, peak memory.

Usage (run by hand; prints figures):

    OMP_NUM_THREADS=1 python benchmarks/cnmf.py --size 256 --frames 1000 --neurons 60 --workers 1 2
    OMP_NUM_THREADS=1 python benchmarks/cnmf.py --size 512 --frames 3000 --neurons 200 --workers 2
    OMP_NUM_THREADS=1 python benchmarks/cnmf.py --size 256 --frames 1000 --profile 40 --cache /tmp/m

``--cache DIR`` keeps the movie (and its ground truth) in DIR and reuses it; ``--profile N``
runs once without an executor under cProfile and prints the N top functions; ``--p``/``--gnb``
set the AR order and the number of background components. The movie is streamed to a TIFF
(never held in memory by the generator). Each run uses patches (``--rf``, ``--stride``)
through a ``ProcessPoolExecutor`` with the given number of workers (1 = a pool of one process).
Accuracy: detection F1 (centroid distance < gSig, footprint correlation > 0.7) and the median
correlation of matched traces with the true calcium. Memory is sampled every 0.1 s during each fit
over this process and its workers (``process_memory.MemorySampler``): peak summed RSS (which
counts the movie's pages read through the file cache mapping) and peak summed RssAnon (the
processes' own allocations), with this process's RssAnon before the fit for reference.
"""
from __future__ import annotations

import argparse
import cProfile
import multiprocessing
import os
import pstats
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from process_memory import MemorySampler, anon_bytes, cpu_seconds

from mesmerize.demo.synthetic import SyntheticParams, load_ground_truth, write_synthetic_tiff
from mesmerize.engines.cnmf import fit
from mesmerize.engines.cnmf.scoring import match_components


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--frames", type=int, default=1000)
    ap.add_argument("--neurons", type=int, default=60)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rf", type=int, default=32)
    ap.add_argument("--stride", type=int, default=10)
    ap.add_argument("--k", type=int, default=12)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--gnb", type=int, default=2)
    ap.add_argument("--p", type=int, default=1)
    ap.add_argument("--cache", type=Path, default=None,
                    help="folder in which the movie is kept and reused between runs")
    ap.add_argument("--profile", type=int, default=0,
                    help="print the N top functions (cumulative time) of a serial run (no "
                         "executor: the patches run in this process) instead of the worker runs")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.cache or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"movie_{args.frames}x{args.size}x{args.size}_{args.neurons}_{args.seed}.tif"
        t0 = time.perf_counter()
        if path.exists() and path.with_name(f"{path.stem}_truth.npz").exists():
            truth = load_ground_truth(path.with_name(f"{path.stem}_truth.npz"))
        else:
            truth = write_synthetic_tiff(path, SyntheticParams(
                shape=(args.frames, args.size, args.size), n_neurons=args.neurons,
                neuron_radius=4, mode="2p", seed=args.seed))
        print(f"movie {args.frames}x{args.size}x{args.size}, {args.neurons} neurons: "
              f"ready in {time.perf_counter() - t0:.1f} s")
        params = {"p": 1, "gnb": 2, "merge_thresh": 0.8, "rf": args.rf,
                  "stride_cnmf": args.stride, "k": args.k, "gSig": 4, "min_SNR": 2.5,
                  "rval_thr": 0.8, "cnn_thr": 0.8, "decay_time": 0.6, "refit": False}
        params.update(p=args.p, gnb=args.gnb)
        if args.profile:
            prof = cProfile.Profile()
            t0 = time.perf_counter()
            with prof:
                res = fit(path, params, Path(tmp) / "profiled", fr=truth.params.fps)
            print(f"serial run: wall {time.perf_counter() - t0:.1f} s; stages "
                  + ", ".join(f"{k} {v:.1f} s" for k, v in res.timings.items()))
            pstats.Stats(prof).sort_stats("cumulative").print_stats(args.profile)
            pstats.Stats(prof).sort_stats("tottime").print_stats(args.profile)
            return
        # spawned (not forked) workers: a forked worker would inherit, and be charged in its
        # RSS for, the movie the main process holds
        spawn = multiprocessing.get_context("spawn")
        for n in args.workers:
            sampler = MemorySampler()
            idle_anon = anon_bytes(os.getpid())
            sampler.start()
            cpu0 = cpu_seconds()
            t0 = time.perf_counter()
            with ProcessPoolExecutor(max_workers=n, mp_context=spawn) as ex:
                res = fit(path, params, Path(tmp) / f"out{n}", executor=ex,
                          fr=truth.params.fps)
            wall = time.perf_counter() - t0
            cpu = cpu_seconds() - cpu0
            sampler.stop()
            good = res.idx_components
            H, W = res.dims
            found = res.A[:, good].toarray().T.reshape(-1, W, H).transpose(0, 2, 1)
            score = match_components(truth.footprints, found, 4.0, 0.7,
                                     truth.calcium, res.C[good])
            stages = ", ".join(f"{k} {v:.1f} s" for k, v in res.timings.items())
            print(f"workers={n}: wall {wall:.1f} s, CPU {cpu:.1f} s ({stages}); peak RSS "
                  f"(main + workers) {sampler.peak_rss / 2**20:.0f} MiB, peak RssAnon "
                  f"{sampler.peak_anon / 2**20:.0f} MiB (main before the fit "
                  f"{idle_anon / 2**20:.0f} MiB)")
            print(f"  components {res.n_components}, accepted {good.size}; F1 {score.f1:.3f} "
                  f"(precision {score.precision:.3f}, recall {score.recall:.3f}); median trace "
                  f"corr {np.nanmedian(score.trace_corr):.3f}")


if __name__ == "__main__":
    main()
