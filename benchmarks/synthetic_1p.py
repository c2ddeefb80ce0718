"""The realistic 1-photon synthetic movie shared by the CNMF-E benchmarks, written once per
folder and reused."""
from __future__ import annotations

import time
from pathlib import Path

from mesmerize.demo.synthetic import SyntheticParams, write_synthetic_tiff


def synthetic_1p_movie(work: Path, size: int, frames: int) -> tuple[Path, Path, int]:
    """``(movie, ground-truth npz, number of neurons)`` of a ``frames x size x size`` uint16
    1-photon movie in ``work`` (seed 0, one neuron of radius 4 px per 1,000 pixels, at least
    10); written only when it is not there yet."""
    movie = work / f"synthetic_1p_{size}x{size}x{frames}.tif"
    truth_path = movie.with_name(movie.stem + "_truth.npz")
    n_neurons = max(10, size * size // 1000)
    if not (movie.exists() and truth_path.exists()):
        t = time.perf_counter()
        write_synthetic_tiff(movie, SyntheticParams(shape=(frames, size, size),
                                                    n_neurons=n_neurons, neuron_radius=4.0,
                                                    mode="1p", seed=0, dtype="uint16"))
        print(f"wrote {movie} ({movie.stat().st_size / 2**30:.2f} GiB) in "
              f"{time.perf_counter() - t:.1f} s")
    return movie, truth_path, n_neurons
