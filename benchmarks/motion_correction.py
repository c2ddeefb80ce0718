"""Motion-correction benchmark: throughput, peak memory and accuracy on a synthetic movie.

    OMP_NUM_THREADS=1 python benchmarks/motion_correction.py [--frames 2000] [--size 512]
        [--workers 2] [--workdir DIR] [--suite2p-python /path/to/venv/bin/python] [--use-cuda]

Writes a ``size x size`` uint16 synthetic 2-photon movie with known rigid + non-rigid motion
(``mesmerize.demo.synthetic.write_synthetic_tiff``, streamed to disk), then times Mesmerize's
rigid and piecewise-rigid correction on ``--workers`` processes, sampling the resident memory of
the whole process tree, and prints frames/s, peak RSS and the RMSE against the true motion.
With ``--suite2p-python`` (a Python where ``pip install suite2p`` worked; suite2p is not a
Mesmerize dependency) the same movie is registered by suite2p on the CPU with the same number
of threads, in a subprocess, and the ratios are printed.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np


def mesmerize_worker(tiff: str, params_json: str, out_dir: str, workers: int) -> None:
    """Run one correction in this (fresh) process so its memory is measured alone."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout
    from mesmerize.engines.motion_correction import correct

    t0 = time.perf_counter()
    correct(tiff, json.loads(params_json), out_dir, max_workers=workers)
    print(json.dumps({"wall_s": time.perf_counter() - t0}))


def suite2p_worker(tiff: str, nonrigid: bool, threads: int, out_json: str) -> None:
    """Run inside the suite2p Python: register ``tiff`` on the CPU and dump timings/offsets."""
    import tifffile
    import torch
    from suite2p import default_settings
    from suite2p.registration.register import registration_wrapper

    from suite2p.io import BinaryFile

    torch.set_num_threads(threads)
    raw = tifffile.memmap(tiff, mode="r")
    n, ly, lx = raw.shape
    # suite2p registers int16 binary files (its pipeline converts TIFFs first; not timed)
    raw_bin, reg_bin = out_json + ".raw.bin", out_json + ".reg.bin"
    with BinaryFile(ly, lx, raw_bin, n_frames=n, write=True) as f:
        for a in range(0, n, 500):
            f[a:a + 500] = np.minimum(raw[a:a + 500], 32767).astype(np.int16)
    settings = default_settings()["registration"]
    settings["nonrigid"] = nonrigid
    settings["do_bidiphase"] = False
    t0 = time.perf_counter()
    with BinaryFile(ly, lx, raw_bin, n_frames=n) as f_raw, \
            BinaryFile(ly, lx, reg_bin, n_frames=n, write=True) as f_reg:
        outputs = registration_wrapper(f_reg, f_raw=f_raw, settings=settings,
                                       device=torch.device("cpu"))
    wall = time.perf_counter() - t0
    result = {"wall_s": wall, "yoff": np.asarray(outputs["yoff"]).tolist(),
              "xoff": np.asarray(outputs["xoff"]).tolist()}
    if nonrigid:
        result["yoff1"] = np.asarray(outputs["yoff1"]).tolist()
        result["xoff1"] = np.asarray(outputs["xoff1"]).tolist()
    Path(out_json).write_text(json.dumps(result))
    os.unlink(raw_bin)
    os.unlink(reg_bin)


class PeakRSS:
    """Samples, every 20 ms, the RSS of this process's children (the process under test and its
    workers): ``peak`` (their sum) and ``peak_child`` (the largest single child)."""

    def __init__(self) -> None:
        import psutil
        self.proc = psutil.Process()
        self.peak = self.peak_child = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        import psutil
        while not self._stop.is_set():
            children = []
            for p in self.proc.children(recursive=True):
                try:
                    children.append(p.memory_info().rss)
                except psutil.Error:
                    pass
            self.peak = max(self.peak, sum(children))
            self.peak_child = max([self.peak_child] + children)
            time.sleep(0.02)

    def __enter__(self) -> PeakRSS:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()


def rmse_without_offset(error: np.ndarray) -> float:
    error = error - error.mean(axis=0)
    return float(np.sqrt((error ** 2).mean()))


def field_rmse(result, truth, n_frames: int, border: int = 16, step: int = 100) -> float:
    """Displacement-field RMSE (per-pixel temporal mean removed), frames in blocks."""
    est_mean = np.zeros(truth.params.shape[1:] + (2,))
    true_mean = np.zeros_like(est_mean)
    for a in range(0, n_frames, step):
        est_mean += result.displacement_field(a, a + step).sum(axis=0)
        true_mean += truth.flow_frames(a, min(n_frames, a + step)).sum(axis=0)
    offset = (est_mean - true_mean) / n_frames
    total = 0.0
    for a in range(0, n_frames, step):
        b = min(n_frames, a + step)
        e = result.displacement_field(a, b) - truth.flow_frames(a, b) - offset
        total += float((e[:, border:-border, border:-border] ** 2).sum())
    inner = (truth.params.shape[1] - 2 * border) * (truth.params.shape[2] - 2 * border)
    return float(np.sqrt(total / (n_frames * inner * 2)))


def run_suite2p(python: str, tiff: Path, nonrigid: bool, threads: int, workdir: Path) -> dict:
    out_json = workdir / f"suite2p_{'nonrigid' if nonrigid else 'rigid'}.json"
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads),
           "NUMBA_NUM_THREADS": str(threads)}
    cmd = [python, __file__, "--suite2p-worker", str(tiff), "--nonrigid", str(int(nonrigid)),
           "--workers", str(threads), "--out", str(out_json)]
    with PeakRSS() as rss:
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
    result = json.loads(out_json.read_text())
    result["peak_rss"] = rss.peak
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--frames", type=int, default=2000)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--suite2p-python", default=None)
    ap.add_argument("--use-cuda", action="store_true", help="also time use_cuda=True runs")
    ap.add_argument("--suite2p-worker", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--mesmerize-worker", nargs=3, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--nonrigid", type=int, default=0, help=argparse.SUPPRESS)
    ap.add_argument("--out", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.mesmerize_worker:
        mesmerize_worker(*args.mesmerize_worker, args.workers)
        return
    if args.suite2p_worker:
        suite2p_worker(args.suite2p_worker, bool(args.nonrigid), args.workers, args.out)
        return

    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a source checkout
    from mesmerize.demo.synthetic import SyntheticParams, write_synthetic_tiff
    from mesmerize.engines.motion_correction import MotionCorrectionResult
    from mesmerize.engines.motion_correction.engine import _CHUNK_BYTES

    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="mc_bench_"))
    workdir.mkdir(parents=True, exist_ok=True)
    shape = (args.frames, args.size, args.size)
    tiff = workdir / f"synthetic_{args.frames}x{args.size}.tif"
    params = SyntheticParams(shape=shape, n_neurons=int(30 * (args.size / 128) ** 2),
                             max_shift=10.0, nonrigid_amplitude=1.0, seed=0)
    t0 = time.perf_counter()
    if tiff.exists():
        from mesmerize.demo.synthetic import load_ground_truth
        truth = load_ground_truth(tiff.with_name(f"{tiff.stem}_truth.npz"))
    else:
        truth = write_synthetic_tiff(tiff, params)
    print(f"movie: {shape} uint16, {tiff.stat().st_size / 2**30:.2f} GiB at {tiff} "
          f"({time.perf_counter() - t0:.0f} s to write)")
    print(f"chunk budget: {_CHUNK_BYTES / 2**20:.0f} MiB float32 per chunk; workers: {args.workers}")

    runs = {
        "rigid": {"max_shifts_x": 12, "max_shifts_y": 12, "pw_rigid": False},
        "piecewise": {"max_shifts_x": 12, "max_shifts_y": 12, "strides": 48, "overlaps": 24,
                      "max_dev": 3},
    }
    if args.use_cuda:
        runs.update({f"{k}+cuda": {**v, "use_cuda": True} for k, v in list(runs.items())})
    fps = {}
    for name, mc_params in runs.items():
        out = workdir / f"out_{name}"
        cmd = [sys.executable, __file__, "--mesmerize-worker", str(tiff), json.dumps(mc_params),
               str(out), "--workers", str(args.workers)]
        with PeakRSS() as rss:
            done = subprocess.run(cmd, check=True, capture_output=True, text=True)
        wall = json.loads(done.stdout.strip().splitlines()[-1])["wall_s"]
        result = MotionCorrectionResult.load(out)
        fps[name] = args.frames / wall
        rigid_rmse = rmse_without_offset(result.shifts - truth.shifts)
        line = (f"mesmerize {name:14s}: {fps[name]:7.1f} frames/s ({wall:6.1f} s), peak RSS "
                f"{rss.peak / 2**20:5.0f} MiB (largest process {rss.peak_child / 2**20:4.0f}), "
                f"rigid shift RMSE {rigid_rmse:.3f} px")
        if name.startswith("piecewise"):
            line += f", field RMSE {field_rmse(result, truth, args.frames):.3f} px"
        print(line, flush=True)
        os.unlink(result.output_path)

    if args.suite2p_python is None:
        print("suite2p: not run (pass --suite2p-python)")
        return
    for name, nonrigid in (("rigid", False), ("piecewise", True)):
        s2p = run_suite2p(args.suite2p_python, tiff, nonrigid, args.workers, workdir)
        s2p_fps = args.frames / s2p["wall_s"]
        # suite2p's rigid offsets (whole pixels) use the same sign as Mesmerize's shifts
        est = np.stack([s2p["yoff"], s2p["xoff"]], axis=1)
        print(f"suite2p   {name:14s}: {s2p_fps:7.1f} frames/s ({s2p['wall_s']:6.1f} s), peak RSS "
              f"{s2p['peak_rss'] / 2**20:6.0f} MiB, rigid shift RMSE "
              f"{rmse_without_offset(est - truth.shifts):.3f} px; "
              f"mesmerize/suite2p throughput ratio {fps[name] / s2p_fps:.2f}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
