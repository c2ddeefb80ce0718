"""A small engine registered as a batch item kind by the batch tests (real subprocess runs
without depending on the heavy engines).

``copy_engine`` scales the input movie by ``params["scale"]`` and saves it as ``scaled.npy``;
``params["sleep_s"]`` makes it slow, ``params["fail"]`` makes it raise, ``params["spawn_child"]``
starts a grandchild process (``sleep``) whose PID goes to ``child.pid``.
``params["print_env"]`` lists environment variables to print.

``make_movie`` writes a tiny TIFF movie with its meta JSON for the tests.
"""
from __future__ import annotations

import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mesmerize.core.batch.kinds import ItemKind
from mesmerize.core.errors import ParameterError
from mesmerize.core.imaging.tiff_io import open_movie_tyx

KIND = ItemKind(
    name="test_copy",
    engine="tests.core.batch_kinds_for_tests:copy_engine",
    result_loader="tests.core.batch_kinds_for_tests:CopyResult.load",
    output_movie_attr="output_path",
)
OUTPUT_NAME = "scaled.npy"
REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass
class CopyResult:
    output_path: Path

    @classmethod
    def load(cls, output_dir) -> "CopyResult":
        path = Path(output_dir) / OUTPUT_NAME
        if not path.is_file():
            raise FileNotFoundError(path)
        return cls(path)

    def load_movie(self) -> np.ndarray:
        return np.load(self.output_path, allow_pickle=False)


def copy_engine(movie_path, params, output_dir, progress=None, executor=None) -> CopyResult:
    if params.get("fail"):
        raise ParameterError(f"scale must be a number, got {params.get('scale')!r}")
    movie_path = str(movie_path)
    movie = (np.load(movie_path, allow_pickle=False) if movie_path.endswith(".npy")
             else np.asarray(open_movie_tyx(movie_path)))
    if params.get("spawn_child"):
        child = subprocess.Popen(["sleep", "120"])
        (Path(output_dir) / "child.pid").write_text(str(child.pid))
    print("copy engine started", flush=True)
    for name in params.get("print_env", []):
        print(f"env {name}={os.environ.get(name)}", flush=True)
    steps = 5
    for i in range(steps):
        time.sleep(float(params.get("sleep_s", 0.0)) / steps)
        if progress is not None:
            progress((i + 1) / steps, f"step {i + 1} of {steps}")
    out = Path(output_dir) / OUTPUT_NAME
    np.save(out, movie.astype(np.float32) * float(params.get("scale", 1.0)))
    return CopyResult(out)


META = {"source": "batch test", "fps": 10.0, "date": "20260101_120000"}


def make_movie(directory: Path, name: str = "movie", frames: int = 12) -> tuple[Path, np.ndarray]:
    """A tiny ``[x, y, t]`` uint16 movie saved as ``<name>.tiff`` + ``<name>.json``."""
    from mesmerize.core.imaging.tiff_io import save_tiff
    from mesmerize.core.meta import write_meta_json

    seq = np.random.default_rng(0).integers(0, 1000, (10, 8, frames)).astype(np.uint16)
    path = Path(directory) / f"{name}.tiff"
    save_tiff(path, seq)
    write_meta_json(path.with_suffix(".json"), META)
    return path, seq
