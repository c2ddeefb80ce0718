"""Benchmark: CNMF-E correlation and PNR images of a 512 x 512 x 3000 1-photon movie on 2 cores.

Streams a synthetic 1-photon movie (``mesmerize.demo.synthetic.write_synthetic_tiff``, uint16
TIFF ``[t, y, x]``, ~1.5 GiB) to a directory (kept and reused with ``--keep``), then times
``mesmerize.engines.cnmfe.corr_pnr`` with a process pool of ``--workers`` workers (and in-process
with ``--workers 0``). Memory is sampled every 0.1 s over the main process and its workers:
peak summed RSS (counts the movie's page-cache pages mapped by the memory maps) and peak summed
RssAnon (the processes' own allocations); CPU time (user + system) of all processes, which
does not depend on other load on the machine. Also prints how the true neuron centres rank in
the PNR image.

    PYTHONPATH=. python benchmarks/cnmfe_corr_pnr.py [--frames 3000] [--size 512] [--workers 2]
        [--gsig 4] [--dir DIR] [--keep]
"""
from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import tempfile  # noqa: E402
import time  # noqa: E402
from concurrent.futures import ProcessPoolExecutor  # noqa: E402
from pathlib import Path  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402
from process_memory import MemorySampler, anon_bytes, cpu_seconds  # noqa: E402
from synthetic_1p import synthetic_1p_movie  # noqa: E402

from mesmerize.demo.synthetic import load_ground_truth  # noqa: E402
from mesmerize.engines.cnmfe import CNMFEParams, corr_pnr  # noqa: E402


def _limit_threads() -> None:
    cv2.setNumThreads(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=3000)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--gsig", type=int, default=4)
    ap.add_argument("--dir", default=None)
    ap.add_argument("--keep", action="store_true", help="keep (and reuse) the movie")
    args = ap.parse_args()
    cv2.setNumThreads(1)
    work = Path(args.dir or tempfile.mkdtemp(prefix="cnmfe_bench_"))
    work.mkdir(parents=True, exist_ok=True)
    movie, truth_path, n_neurons = synthetic_1p_movie(work, args.size, args.frames)
    params = CNMFEParams(gSig=args.gsig)
    idle_anon = anon_bytes(os.getpid())
    sampler = MemorySampler()
    sampler.start()
    cpu0 = cpu_seconds()
    t = time.perf_counter()
    if args.workers > 0:
        with ProcessPoolExecutor(args.workers, initializer=_limit_threads) as pool:
            res = corr_pnr(movie, params, work / "corr_pnr", executor=pool)
    else:
        res = corr_pnr(movie, params, work / "corr_pnr")
    wall = time.perf_counter() - t
    cpu = cpu_seconds() - cpu0
    sampler.stop()
    truth = load_ground_truth(truth_path)  # after the run: its footprints alone are ~K*H*W*4 B
    ctr = np.clip(np.round(truth.centers).astype(int), 0, args.size - 1)
    top = np.percentile(res.pnr, 90)
    in_top = np.mean([res.pnr[max(y - 1, 0):y + 2, max(x - 1, 0):x + 2].max() >= top
                      for y, x in ctr])
    print(f"movie {args.frames} x {args.size} x {args.size} uint16, gSig={args.gsig}, "
          f"workers={args.workers}")
    print(f"corr/PNR wall time: {wall:.1f} s ({args.frames / wall:.0f} frames/s); CPU time "
          f"(user + system, main + workers): {cpu:.1f} s, load average {os.getloadavg()[0]:.1f}")
    print(f"peak RSS (main + workers, incl. mapped movie pages): "
          f"{sampler.peak_rss / 2**20:.0f} MiB")
    print(f"peak RssAnon (main + workers, own allocations): {sampler.peak_anon / 2**20:.0f} MiB"
          f" (main process before the run: {idle_anon / 2**20:.0f} MiB)")
    print(f"true centres in the top PNR decile: {100 * in_top:.0f}% of {len(ctr)}")
    if not args.keep:
        for p in work.glob("synthetic_1p_*"):
            p.unlink()


if __name__ == "__main__":
    main()
