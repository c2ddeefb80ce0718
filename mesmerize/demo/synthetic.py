"""Realistic synthetic calcium-imaging movies with ground truth.

A movie is rendered from its ground truth in ADU (detector units)::

    clean[t] = offset + sum_j background_maps[j] * background_traces[j, t]
                      + sum_k footprints[k] * baseline[k] * (1 + calcium[k, t])
    movie[t] = noise(displace(clean[t], flow[t]))

``footprints`` peak at 1; ``baseline`` is each soma's resting brightness (ADU above offset at its
footprint's peak) so cells are visible at rest; ``calcium`` is dF/F. Noise is photon shot noise
(Poisson on ``(clean - offset) / gain`` photons; 2-photon adds PMT gain noise), then Gaussian read
noise. Motion follows docs/conventions.md: ``frame_t(r) = clean_t(r - shift_t)``.

Everything is seeded: the same ``SyntheticParams`` give the same movie, frame by frame, whether
generated in memory (``generate``), streamed to disk (``write_synthetic_tiff``) or re-rendered
from saved ground truth (``load_ground_truth(...).frames(t0, t1)``).
"""
from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, Union

import numpy as np
import scipy.sparse
import tifffile

from mesmerize.core.atomic import atomic_path
from mesmerize.core.errors import FormatVersionError, ParameterError
from mesmerize.core.meta import write_meta_json
from mesmerize.demo.synthetic_background import make_background
from mesmerize.demo.synthetic_motion import (
    displace,
    flow_frames,
    nonrigid_grid,
    rigid_shifts,
)
from mesmerize.demo.synthetic_neurons import (
    calcium_traces,
    neuron_footprints,
    place_neurons,
    spike_trains,
)

PathLike = Union[str, os.PathLike]

SOURCE = "mesmerize-synthetic"
TRUTH_FORMAT_VERSION = 1
#: ``generate`` keeps the noise-free movie only when it needs at most this many bytes.
CLEAN_MAX_BYTES = 512 * 2**20
#: Brightest value a uint16 movie is scaled to reach (with a wide safety margin for shot noise).
_UINT16_TARGET = 60000.0
_NOISE_STREAM = 0x5EED
_BIGTIFF_BYTES = 2**32 - 2**25

# Detector models. gain: ADU per photon; offset: ADU of a dark pixel; read_noise: Gaussian noise
# in photon units; excess_k: shape of the PMT single-photon gain distribution (None = camera).
# baseline_photons: median resting soma brightness (photons/px/frame at the footprint's peak).
_DETECTORS = {
    "2p": {"gain": 16.0, "offset": 50.0, "read_noise": 0.3, "excess_k": 4.0,
           "baseline_photons": 14.0},
    "1p": {"gain": 1.5, "offset": 100.0, "read_noise": 1.2, "excess_k": None,
           "baseline_photons": 35.0},
}


@dataclass
class SyntheticParams:
    """What to simulate. ``shape`` is ``(T, H, W)``; lengths in pixels, rates per second."""

    shape: tuple[int, int, int] = (1000, 128, 128)
    n_neurons: int = 30
    fps: float = 10.0
    neuron_radius: float = 4.0
    mode: str = "2p"
    max_shift: float = 0.0
    nonrigid_amplitude: float = 0.0
    seed: int = 0
    dtype: str = "uint16"

    def validated(self) -> SyntheticParams:
        """A checked copy with plain Python types; raises ``ParameterError`` naming the fix."""
        shape = tuple(int(s) for s in self.shape)
        if len(shape) != 3 or min(shape) < 1:
            raise ParameterError(f"shape must be (T, H, W) with positive sizes, got {self.shape!r}")
        if shape[1] < 16 or shape[2] < 16:
            raise ParameterError(f"frames must be at least 16x16 px, got {shape[1]}x{shape[2]}")
        if int(self.n_neurons) < 0:
            raise ParameterError(f"n_neurons must be >= 0, got {self.n_neurons!r}")
        if not float(self.fps) > 0:
            raise ParameterError(f"fps must be > 0 (frames per second), got {self.fps!r}")
        if not 1.0 <= float(self.neuron_radius) <= min(shape[1:]) / 4:
            raise ParameterError(
                f"neuron_radius must be between 1 px and a quarter of the frame, got "
                f"{self.neuron_radius!r}"
            )
        if self.mode not in _DETECTORS:
            raise ParameterError(f"mode must be '2p' or '1p', got {self.mode!r}")
        for name in ("max_shift", "nonrigid_amplitude"):
            value = float(getattr(self, name))
            if not 0.0 <= value <= min(shape[1:]) / 4:
                raise ParameterError(
                    f"{name} must be between 0 and a quarter of the frame size in px, got {value!r}"
                )
        if int(self.seed) < 0:
            raise ParameterError(f"seed must be a non-negative integer, got {self.seed!r}")
        if self.dtype not in ("uint16", "float32"):
            raise ParameterError(f"dtype must be 'uint16' or 'float32', got {self.dtype!r}")
        return replace(
            self, shape=shape, n_neurons=int(self.n_neurons), fps=float(self.fps),
            neuron_radius=float(self.neuron_radius), max_shift=float(self.max_shift),
            nonrigid_amplitude=float(self.nonrigid_amplitude), seed=int(self.seed),
        )

    def to_dict(self) -> dict:
        """JSON-safe dict (``shape`` as a list)."""
        d = asdict(self)
        d["shape"] = list(d["shape"])
        return d


@dataclass(eq=False)
class SyntheticMovie:
    """A synthetic movie and its ground truth.

    movie: ``(T, H, W)`` uint16/float32 ADU, or None when not held in memory.
    clean: ``(T, H, W)`` float32 ADU before motion and noise, or None (too big / not rendered).
    footprints: ``(K, H, W)`` float32 peaking at 1. centers: ``(K, 2)`` float64 ``(y, x)`` px.
    calcium: ``(K, T)`` float32 dF/F. spikes: ``(K, T)`` float32 spikes per frame.
    baseline: ``(K,)`` float32 resting ADU above offset at each footprint's peak.
    shifts: ``(T, 2)`` float32 rigid ``(dy, dx)`` px. flow_grid: ``(T, gy, gx, 2)`` non-rigid
    control-point displacements px (None without non-rigid motion); ``flow`` upsamples it.
    background_maps: ``(J, H, W)`` float32 ADU; background_traces: ``(J, T)`` float32 (~1).
    gain: ADU per photon; offset: ADU of a dark pixel.
    """

    params: SyntheticParams
    footprints: np.ndarray
    centers: np.ndarray
    calcium: np.ndarray
    spikes: np.ndarray
    baseline: np.ndarray
    shifts: np.ndarray
    background_maps: np.ndarray
    background_traces: np.ndarray
    gain: float
    offset: float
    meta: dict
    flow_grid: np.ndarray | None = None
    movie: np.ndarray | None = None
    clean: np.ndarray | None = None
    _sparse_footprints: scipy.sparse.csr_matrix | None = field(default=None, init=False, repr=False)

    @property
    def flow(self) -> np.ndarray | None:
        """Total displacement ``(T, H, W, 2)`` float32 ``(dy, dx)`` px (rigid + non-rigid), or None
        without non-rigid motion. Computed on each access: use ``flow_frames`` for long movies."""
        if self.flow_grid is None:
            return None
        return self.flow_frames(0, self.params.shape[0])

    def flow_frames(self, t0: int, t1: int) -> np.ndarray:
        """Total displacement ``(t1 - t0, H, W, 2)`` float32 of frames ``t0:t1``."""
        return flow_frames(self.shifts, self.flow_grid, self.params.shape[1:], t0, t1)

    def clean_frames(self, t0: int, t1: int) -> np.ndarray:
        """Noise-free, motionless frames ``t0:t1`` as ``(t1 - t0, H, W)`` float32 ADU."""
        _, h, w = self.params.shape
        if self._sparse_footprints is None:
            per_cell = scipy.sparse.csr_matrix(self.footprints.reshape(len(self.footprints), -1))
            self._sparse_footprints = per_cell.T.tocsr()
        n = t1 - t0
        activity = (self.baseline[:, None] * (1.0 + self.calcium[:, t0:t1])).astype(np.float32)
        # the sparse product sums each pixel in a fixed order, so frames do not depend on t0:t1
        out = np.asarray(self._sparse_footprints @ activity, np.float32).T.reshape(n, h, w)
        for j in range(len(self.background_maps)):
            out += self.background_maps[j] * self.background_traces[j, t0:t1, None, None]
        out += np.float32(self.offset)
        return out

    def frames(self, t0: int, t1: int, clean: np.ndarray | None = None) -> np.ndarray:
        """The noisy, moving movie frames ``t0:t1`` ``(t1 - t0, H, W)`` in ``params.dtype``.

        ``clean`` may pass ``clean_frames(t0, t1)`` when already computed. Noise of frame t is
        drawn from a generator seeded by ``(seed, t)``, so any chunking gives the same frames.
        """
        p = self.params
        det = _DETECTORS[p.mode]
        if clean is None:
            clean = self.clean_frames(t0, t1)
        moving = p.max_shift > 0 or self.flow_grid is not None
        out = np.empty(clean.shape, np.dtype(p.dtype))
        for i, t in enumerate(range(t0, t1)):
            img = clean[i]
            if moving:
                d = self.shifts[t] if self.flow_grid is None else self.flow_frames(t, t + 1)[0]
                img = displace(img, d)
            rng = np.random.default_rng([p.seed, _NOISE_STREAM, t])
            photons = np.maximum((img - self.offset) / self.gain, 0.0)
            detected = rng.poisson(photons).astype(np.float32)
            if det["excess_k"] is not None:
                k = det["excess_k"]
                detected = rng.standard_gamma(detected * k, dtype=np.float32) / np.float32(k)
            read = rng.standard_normal(detected.shape, np.float32)
            detected += np.float32(det["read_noise"]) * read
            adu = np.float32(self.offset) + np.float32(self.gain) * detected
            if p.dtype == "uint16":
                out[i] = np.clip(np.rint(adu), 0, 65535)
            else:
                out[i] = adu
        return out

    def iter_frames(self, chunk_frames: int = 200) -> Iterator[np.ndarray]:
        """Yield the movie frame by frame ``(H, W)``, rendering ``chunk_frames`` at a time."""
        if chunk_frames < 1:
            raise ParameterError(f"chunk_frames must be >= 1, got {chunk_frames!r}")
        n = self.params.shape[0]
        for t0 in range(0, n, chunk_frames):
            if self.movie is not None:
                block = self.movie[t0:t0 + chunk_frames]
            else:
                block = self.frames(t0, min(n, t0 + chunk_frames))
            yield from block

    def save(self, directory: PathLike, name: str) -> tuple[Path, Path, Path]:
        """Write ``<name>.tiff`` ([t, y, x]), ``<name>.json`` (meta) and ``<name>_truth.npz``.

        The movie is streamed from memory when held, else rendered chunk by chunk. Every file is
        written atomically. Returns the three paths.
        """
        directory = Path(directory)
        tiff_path = directory / f"{name}.tiff"
        _write_tiff(tiff_path, self)
        meta_path = directory / f"{name}.json"
        write_meta_json(meta_path, self.meta)
        truth_path = directory / f"{name}_truth.npz"
        self.save_ground_truth(truth_path)
        return tiff_path, meta_path, truth_path

    def save_ground_truth(self, path: PathLike) -> None:
        """Write the ground truth (everything but the movie) as an npz file, atomically."""
        arrays = {
            "format_version": np.array(TRUTH_FORMAT_VERSION),
            "footprints": self.footprints, "centers": self.centers, "calcium": self.calcium,
            "spikes": self.spikes, "baseline": self.baseline, "shifts": self.shifts,
            "background_maps": self.background_maps,
            "background_traces": self.background_traces,
            "gain": np.array(self.gain), "offset": np.array(self.offset),
            "params": np.array(json.dumps(self.params.to_dict())),
            "meta": np.array(json.dumps(self.meta)),
        }
        if self.flow_grid is not None:
            arrays["flow_grid"] = self.flow_grid
        with atomic_path(path) as tmp:
            with open(tmp, "wb") as fh:
                np.savez_compressed(fh, **arrays)


def _write_tiff(path: Path, movie: SyntheticMovie, chunk_frames: int = 200) -> None:
    t, h, w = movie.params.shape
    dtype = np.dtype(movie.params.dtype)
    with atomic_path(path) as tmp:
        tifffile.imwrite(
            tmp, movie.iter_frames(chunk_frames), shape=(t, h, w), dtype=dtype,
            photometric="minisblack", bigtiff=t * h * w * dtype.itemsize > _BIGTIFF_BYTES,
        )


def _make_truth(params: SyntheticParams) -> SyntheticMovie:
    """Draw all ground truth (small) for ``params``; the movie itself is rendered later."""
    p = params.validated()
    t, h, w = p.shape
    det = _DETECTORS[p.mode]
    one_photon = p.mode == "1p"
    rng = np.random.default_rng(p.seed)
    centers = place_neurons(rng, p.n_neurons, (h, w), p.neuron_radius)
    footprints = neuron_footprints(rng, centers, (h, w), p.neuron_radius, one_photon)
    amplitudes, spikes = spike_trains(rng, p.n_neurons, t, p.fps)
    calcium = calcium_traces(rng, amplitudes, p.fps)
    baseline_ph = det["baseline_photons"] * rng.lognormal(0.0, 0.35, p.n_neurons)
    population = calcium.mean(axis=0) if p.n_neurons else np.zeros(t, np.float32)
    maps_ph, traces = make_background(
        rng, (h, w), t, p.fps, p.neuron_radius, one_photon, population
    )
    shifts = rigid_shifts(rng, t, p.fps, p.max_shift)
    grid = nonrigid_grid(rng, t, p.fps, (h, w), p.nonrigid_amplitude)

    # Brightest expected photon count anywhere (maps, footprints >= 0), with 10% for the overshoot
    # of bicubic warping; the gain is lowered if its shot-noise tail could reach the uint16 limit.
    peak = np.tensordot(traces.max(axis=1), maps_ph, axes=1)
    if p.n_neurons:
        peak += np.tensordot(baseline_ph * (1.0 + calcium.max(axis=1)), footprints, axes=1)
    lam = 1.1 * float(peak.max())
    excess = 1.0 + (1.0 / det["excess_k"] if det["excess_k"] else 0.0)
    span = lam + 8.0 * np.sqrt(lam * excess) + 10.0 + 6.0 * det["read_noise"]
    gain = min(det["gain"], (_UINT16_TARGET - det["offset"]) / span)

    meta = {
        "source": SOURCE,
        "fps": p.fps,
        "date": datetime.now(timezone.utc).strftime("%Y%m%d_%H%M%S"),
        "orig_meta": {**p.to_dict(), "gain_adu_per_photon": gain, "offset_adu": det["offset"]},
    }
    return SyntheticMovie(
        params=p, footprints=footprints, centers=centers, calcium=calcium, spikes=spikes,
        baseline=(gain * baseline_ph).astype(np.float32), shifts=shifts,
        background_maps=(gain * maps_ph).astype(np.float32), background_traces=traces,
        gain=float(gain), offset=float(det["offset"]), meta=meta, flow_grid=grid,
    )


def generate(params: SyntheticParams, chunk_frames: int = 200) -> SyntheticMovie:
    """Render a synthetic movie in memory with its ground truth (``clean`` kept when it needs at
    most ``CLEAN_MAX_BYTES``)."""
    truth = _make_truth(params)
    t, h, w = truth.params.shape
    movie = np.empty((t, h, w), np.dtype(truth.params.dtype))
    keep_clean = t * h * w * 4 <= CLEAN_MAX_BYTES
    clean_all = np.empty((t, h, w), np.float32) if keep_clean else None
    for t0 in range(0, t, chunk_frames):
        t1 = min(t, t0 + chunk_frames)
        clean = truth.clean_frames(t0, t1)
        movie[t0:t1] = truth.frames(t0, t1, clean=clean)
        if clean_all is not None:
            clean_all[t0:t1] = clean
    truth.movie = movie
    truth.clean = clean_all
    return truth


def write_synthetic_tiff(
    path: PathLike, params: SyntheticParams, chunk_frames: int = 200
) -> SyntheticMovie:
    """Stream a synthetic movie to ``path`` (TIFF ``[t, y, x]``, uncompressed and contiguous so it
    can be memory-mapped) chunk by chunk, never holding the movie in memory. Writes the meta data
    beside it (``<stem>.json``) and the ground truth (``<stem>_truth.npz``); returns the ground
    truth (``movie`` and ``clean`` None). Produces exactly the frames ``generate`` would."""
    path = Path(path)
    truth = _make_truth(params)
    _write_tiff(path, truth, chunk_frames)
    write_meta_json(path.with_suffix(".json"), truth.meta)
    truth.save_ground_truth(path.with_name(f"{path.stem}_truth.npz"))
    return truth


def load_ground_truth(truth_path: PathLike) -> SyntheticMovie:
    """Read a ``*_truth.npz`` file written by ``save``/``write_synthetic_tiff`` (movie None; the
    frames can be re-rendered with ``.frames(t0, t1)``)."""
    path = Path(truth_path)
    with np.load(path, allow_pickle=False) as z:
        if "format_version" not in z.files or "params" not in z.files:
            raise FormatVersionError(
                f"{path} is not a Mesmerize synthetic ground-truth file (no format_version "
                "or params): pass the <name>_truth.npz written by SyntheticMovie.save or "
                "write_synthetic_tiff"
            )
        version = int(z["format_version"])
        if version > TRUTH_FORMAT_VERSION:
            raise FormatVersionError(
                f"{path} has ground-truth format_version {version}, newer than this Mesmerize "
                f"reads ({TRUTH_FORMAT_VERSION}): upgrade Mesmerize to open it"
            )
        pdict = json.loads(str(z["params"]))
        pdict["shape"] = tuple(pdict["shape"])
        return SyntheticMovie(
            params=SyntheticParams(**pdict).validated(),
            footprints=z["footprints"], centers=z["centers"], calcium=z["calcium"],
            spikes=z["spikes"], baseline=z["baseline"], shifts=z["shifts"],
            background_maps=z["background_maps"], background_traces=z["background_traces"],
            gain=float(z["gain"]), offset=float(z["offset"]), meta=json.loads(str(z["meta"])),
            flow_grid=z["flow_grid"] if "flow_grid" in z.files else None,
        )
