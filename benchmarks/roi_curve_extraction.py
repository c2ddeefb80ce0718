"""Benchmark: mean curves of 500 manual ROIs from a memory-mapped 512 x 512 x 3000 uint16 movie.

Writes the movie ([t, y, x], ~1.5 GiB) to a temporary .npy in chunks, opens it with
``np.load(mmap_mode="r")``, builds 500 polygon/ellipse ROIs, and times ``ROIManager.update_curves``
(mask building + one vectorised extraction over the ``[x, y, t]`` view). Prints wall time, peak
RSS (VmHWM, which counts the movie's page-cache pages mapped by the memmap; the movie is written
by a child process so that does not count) and the peak
anonymous memory (RssAnon, the process's own allocations), then checks 20 curves against the
naive per-ROI mean. Target: < 5 s.

    PYTHONPATH=. python benchmarks/roi_curve_extraction.py [--frames 3000] [--size 512]
        [--rois 500] [--dir DIR]
"""
from __future__ import annotations

import argparse
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import multiprocessing  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from mesmerize.core.roi.manager import ROIManager  # noqa: E402


def status_kib(field: str) -> int:
    """A ``kB`` field of /proc/self/status (Linux), in KiB."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise RuntimeError(f"{field} not found in /proc/self/status")


class AnonPeak:
    """Samples RssAnon every 5 ms in a thread and keeps the maximum."""

    def __init__(self) -> None:
        self.peak = status_kib("RssAnon")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, status_kib("RssAnon"))
            time.sleep(0.005)

    def __enter__(self) -> AnonPeak:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, status_kib("RssAnon"))


def write_movie(path: Path, n_frames: int, size: int, seed: int = 0) -> None:
    """Baseline texture + slow fluctuation + Poisson-like noise, written 250 frames at a time."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    texture = rng.uniform(0, 300, (size, size))
    baseline = 400 + 200 * np.sin(xx / 17.0) * np.cos(yy / 23.0) + texture
    shape = (n_frames, size, size)
    movie = np.lib.format.open_memmap(path, mode="w+", dtype=np.uint16, shape=shape)
    for t0 in range(0, n_frames, 250):
        t1 = min(t0 + 250, n_frames)
        gain = 1.0 + 0.1 * np.sin(np.arange(t0, t1) / 50.0)[:, None, None]
        noise = rng.normal(0, 20, (t1 - t0, size, size))
        movie[t0:t1] = np.clip(baseline[None] * gain + noise, 0, 65535).astype(np.uint16)
    movie.flush()
    del movie


def make_rois(manager: ROIManager, n_rois: int, size: int, seed: int = 1) -> None:
    """Half polygons (6-10 vertices, radius 4-9 px), half rotated ellipses, over the frame."""
    rng = np.random.default_rng(seed)
    for i in range(n_rois):
        cx, cy = rng.uniform(10, size - 10, 2)
        if i % 2 == 0:
            n = int(rng.integers(6, 11))
            angles = np.sort(rng.uniform(0, 2 * np.pi, n))
            radii = rng.uniform(4, 9, n)
            manager.add_polygon_roi(
                np.column_stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)])
            )
        else:
            manager.add_ellipse_roi((cx, cy), tuple(rng.uniform(3, 8, 2)), rng.uniform(0, 180))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=3000)
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--rois", type=int, default=500)
    parser.add_argument("--dir", default=None, help="where to write the temporary movie")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = Path(tmp) / "movie.npy"
        t_write = time.perf_counter()
        # written by a child process so its memory does not count in this process's peak RSS
        writer = multiprocessing.get_context("fork").Process(
            target=write_movie, args=(path, args.frames, args.size)
        )
        writer.start()
        writer.join()
        if writer.exitcode != 0:
            raise SystemExit(f"writing the movie failed (exit code {writer.exitcode})")
        print(f"movie: {args.frames} x {args.size} x {args.size} uint16 "
              f"({path.stat().st_size / 2**30:.2f} GiB), written in "
              f"{time.perf_counter() - t_write:.1f} s")

        movie_tyx = np.load(path, mmap_mode="r")
        seq = movie_tyx.T  # [x, y, t] view, as ImgData.seq
        manager = ROIManager()
        make_rois(manager, args.rois, args.size)

        rss_before = status_kib("VmRSS")
        with AnonPeak() as anon:
            anon_before = status_kib("RssAnon")
            t0 = time.perf_counter()
            manager.update_curves(seq)
            wall = time.perf_counter() - t0
        peak_rss = status_kib("VmHWM")

        print(f"{args.rois} ROIs, {args.frames} frames: update_curves wall time {wall:.2f} s "
              f"(target < 5 s)")
        print(f"peak RSS (VmHWM, includes mapped movie pages): {peak_rss / 1024:.0f} MiB; "
              f"RSS before extraction {rss_before / 1024:.0f} MiB")
        print(f"peak anonymous memory (RssAnon): {anon.peak / 1024:.0f} MiB "
              f"(+{(anon.peak - anon_before) / 1024:.0f} MiB during extraction)")

        rng = np.random.default_rng(2)
        worst = 0.0
        for i in rng.choice(len(manager.roi_list), size=min(20, len(manager.roi_list)),
                            replace=False):
            roi = manager.roi_list[int(i)]
            mask_yx = roi.mask(seq.shape[:2]).T
            naive = np.asarray(movie_tyx[:, mask_yx], dtype=np.float64).mean(axis=1)
            worst = max(worst, float(np.max(np.abs(roi.curve_data[1] - naive) / naive)))
        print(f"max relative error vs naive per-ROI mean (20 ROIs): {worst:.2e}")
        del seq, movie_tyx


if __name__ == "__main__":
    main()
