"""``corr_pnr``: the local correlation and peak-to-noise-ratio images of a movie, out of core.

The guide's "Inspect Correlation and PNR" batch item: the user picks ``min_corr`` and ``min_pnr``
from these images. Definitions are in ``local_stats``. The movie ``[t, y, x]`` (TIFF or .npy,
memory-mapped) is cut into tiles of whole noise segments (frames) by strips of rows; each tile is
read with a halo of ``gSiz // 2`` rows, high-pass filtered and reduced to per-pixel sums. Two
passes: the first gives the temporal mean, maximum and noise of each pixel (hence the PNR), the
second the correlation sums of the thresholded z-scores. Tiles run in parallel on a
``concurrent.futures`` executor when one is given; peak memory is a few tiles
(``tile_bytes`` each) per worker, independent of the movie length.
"""
from __future__ import annotations

import json
import mmap
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mesmerize.core.atomic import atomic_open, write_json_atomic
from mesmerize.core.errors import FormatVersionError, ImageLoadError, ParameterError
from mesmerize.engines.cnmf.movie import open_movie

from .filtering import halo_rows, highpass_filter_frames
from .local_stats import (CorrelationSums, local_correlation, noise_segments, periodogram_sums,
                          pnr_image, strip_sums, thresholded_z)
from .params import CNMFEParams

Progress = Callable[[float, str], None]
FORMAT_VERSION = 1
JSON_NAME = "corr_pnr.json"
NPZ_NAME = "corr_pnr.npz"
DEFAULT_TILE_BYTES = 32 * 2 ** 20


@dataclass(frozen=True)
class MovieSource:
    """Where a worker reads the movie: a raw memory map (file, dtype, offset, shape) of the file."""

    filename: str
    dtype: str
    offset: int
    shape: tuple[int, int, int]

    def open(self) -> np.ndarray:
        return np.memmap(self.filename, dtype=np.dtype(self.dtype), mode="r", offset=self.offset,
                         shape=self.shape)


@dataclass(frozen=True)
class Tile:
    """Frames ``[t0, t1)`` (whole noise segments ``segments``) by rows ``[r0, r1)``."""

    t0: int
    t1: int
    r0: int
    r1: int
    segments: tuple[tuple[int, int], ...]


def _read_filtered(mov: np.ndarray, tile: Tile, extra_rows: int, gSig: tuple[int, int],
                   gSiz: tuple[int, int]) -> tuple[np.ndarray, int]:
    """Filtered rows ``[r0, r1 + extra_rows)`` of the tile (clipped to the image), exact despite
    the strip: the halo supplies the neighbours the kernel needs."""
    H = mov.shape[1]
    h = halo_rows(gSiz)
    lo, hi = max(tile.r0 - h, 0), min(tile.r1 + extra_rows + h, H)
    raw = np.asarray(mov[tile.t0:tile.t1, lo:hi], dtype=np.float32)
    if mov.dtype.kind == "f" and not np.all(np.isfinite(raw)):
        bad = np.flatnonzero(~np.isfinite(raw).all(axis=(1, 2)))
        raise ParameterError(f"the movie contains NaN or infinite values (first in frame "
                             f"{tile.t0 + int(bad[0])}); replace them (e.g. by interpolation) "
                             "before computing the correlation and PNR images")
    f = highpass_filter_frames(raw, gSig, gSiz)
    stop = min(tile.r1 + extra_rows, H)
    return f[:, tile.r0 - lo:stop - lo], stop - tile.r0


def _as_array(source: MovieSource | np.ndarray) -> np.ndarray:
    return source.open() if isinstance(source, MovieSource) else source


def first_pass_tile(source: MovieSource | np.ndarray, tile: Tile, gSig: tuple[int, int],
                    gSiz: tuple[int, int]) -> tuple:
    """Per-pixel (sum, max, periodogram sum, frequency count) of the tile's filtered frames."""
    mov = _as_array(source)
    f, _ = _read_filtered(mov, tile, 0, gSig, gSiz)
    psd = np.zeros(f.shape[1:])
    count = 0
    for s0, s1 in tile.segments:
        p, c = periodogram_sums(f[s0 - tile.t0:s1 - tile.t0])
        psd += p
        count += c
    return tile, f.sum(axis=0, dtype=np.float64), f.max(axis=0), psd, count


def second_pass_tile(source: MovieSource | np.ndarray, tile: Tile, gSig: tuple[int, int],
                     gSiz: tuple[int, int], mean: np.ndarray, sigma: np.ndarray) -> tuple:
    """Correlation sums of the tile; ``mean`` / ``sigma`` cover rows ``[r0, r1 + 1)``."""
    mov = _as_array(source)
    f, n_rows = _read_filtered(mov, tile, 1, gSig, gSiz)
    z = thresholded_z(f, mean[:n_rows], sigma[:n_rows], overwrite=True)
    return tile, strip_sums(z, tile.r1 - tile.r0)


@dataclass
class CorrPNRResult:
    """Correlation image ``corr`` and PNR image ``pnr``, both ``(H, W)`` float32 of the
    ``[t, y, x]`` movie; ``noise`` ``(H, W)`` float32 noise std of the filtered traces."""

    corr: np.ndarray
    pnr: np.ndarray
    noise: np.ndarray
    params: dict = field(default_factory=dict)
    movie_path: str = ""
    n_frames: int = 0

    def save(self, output_dir: str | Path) -> Path:
        """Write ``corr_pnr.npz`` then ``corr_pnr.json`` (atomically); returns the JSON path."""
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        with atomic_open(out / NPZ_NAME, "wb") as fh:
            np.savez(fh, corr=self.corr.astype(np.float32), pnr=self.pnr.astype(np.float32),
                     noise=self.noise.astype(np.float32))
        info = {"format_version": FORMAT_VERSION, "kind": "cnmfe_corr_pnr",
                "arrays": NPZ_NAME, "dims": list(self.corr.shape), "n_frames": int(self.n_frames),
                "movie_path": self.movie_path, "params": self.params}
        write_json_atomic(out / JSON_NAME, info)
        return out / JSON_NAME

    @classmethod
    def load(cls, output_dir: str | Path) -> "CorrPNRResult":
        """Read a result written by ``save``; refuses files of a newer format version."""
        out = Path(output_dir)
        path = out / JSON_NAME
        try:
            info = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ImageLoadError(f"no correlation/PNR result in {out} ({JSON_NAME} missing); "
                                 "run the 'Inspect Correlation and PNR' item first") from None
        except (OSError, ValueError) as exc:
            raise ImageLoadError(f"cannot read {path}: {exc}") from exc
        version = info.get("format_version") if isinstance(info, dict) else None
        if not isinstance(version, int) or info.get("kind") != "cnmfe_corr_pnr":
            raise FormatVersionError(f"{path} is not a Mesmerize correlation/PNR result")
        if version > FORMAT_VERSION:
            raise FormatVersionError(f"{path} has format_version {version}, newer than this "
                                     f"Mesmerize reads ({FORMAT_VERSION}); upgrade Mesmerize")
        try:
            with np.load(out / info["arrays"], allow_pickle=False) as z:
                corr, pnr, noise = z["corr"], z["pnr"], z["noise"]
        except (OSError, KeyError, ValueError) as exc:
            raise ImageLoadError(f"cannot read the arrays of {path}: {exc}") from exc
        dims = tuple(info["dims"])
        if corr.shape != dims or pnr.shape != dims or noise.shape != dims:
            raise ImageLoadError(f"the arrays of {path} do not have the recorded shape {dims}")
        return cls(corr=corr, pnr=pnr, noise=noise, params=info.get("params", {}),
                   movie_path=info.get("movie_path", ""), n_frames=int(info.get("n_frames", 0)))


def make_tiles(n_frames: int, dims: tuple[int, int], tile_bytes: int = DEFAULT_TILE_BYTES,
               ) -> list[Tile]:
    """Tiles of whole noise segments by strips of rows, each about ``tile_bytes`` of float32."""
    H, W = dims
    segments = noise_segments(n_frames)
    seg_len = max(t1 - t0 for t0, t1 in segments)
    rows = max(1, min(H, tile_bytes // (4 * W * seg_len)))
    per_tile = max(1, tile_bytes // (4 * W * rows * seg_len))
    tiles = []
    for i in range(0, len(segments), per_tile):
        group = tuple(segments[i:i + per_tile])
        for r0 in range(0, H, rows):
            tiles.append(Tile(group[0][0], group[-1][1], r0, min(r0 + rows, H), group))
    return tiles


def _run(fn, tasks: list[tuple], executor: Executor | None, on_done: Callable[[Any], None]) -> None:
    if executor is None:
        for args in tasks:
            on_done(fn(*args))
        return
    futures: list[Future] = [executor.submit(fn, *args) for args in tasks]
    try:
        for fut in as_completed(futures):
            on_done(fut.result())
    finally:
        for fut in futures:
            fut.cancel()


def _source(mov: np.ndarray) -> MovieSource | np.ndarray:
    # each tile maps the file anew, so pages read for one tile are unmapped after it (the
    # resident memory stays a few tiles, not the whole movie); workers can re-open it
    # only a whole mapping (not a view of one, whose ``offset`` is its parent's) describes its bytes
    if isinstance(mov, np.memmap) and isinstance(mov.base, mmap.mmap) and mov.flags.c_contiguous:
        return MovieSource(str(mov.filename), mov.dtype.str, int(mov.offset), tuple(mov.shape))
    return mov


def compute_corr_pnr(mov: np.ndarray, params: CNMFEParams, progress: Progress | None = None,
                     executor: Executor | None = None, tile_bytes: int = DEFAULT_TILE_BYTES,
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Correlation, PNR and noise images ``(H, W)`` of a ``(T, H, W)`` array (memmap or not).

    With an executor the tiles run there when ``mov`` is a C-contiguous memory map (workers
    re-open the file); otherwise (an array in memory) they run in this process.
    """
    T, H, W = mov.shape
    params.check_fov((H, W))
    if T < 8:
        raise ParameterError(f"the movie has {T} frames; the noise estimate needs at least 8")
    gSig, gSiz = params.gSig, params.gSiz
    tiles = make_tiles(T, (H, W), tile_bytes)
    source = _source(mov)
    if not isinstance(source, MovieSource):
        executor = None  # shipping the whole array to every task would cost more than it saves
    report = progress or (lambda fraction, message: None)
    total = np.zeros((H, W))
    peak = np.full((H, W), -np.inf, dtype=np.float32)
    psd = np.zeros((H, W))
    counts: dict[int, int] = {}
    done = [0]

    def add_first(res: tuple) -> None:
        tile, s, m, p, c = res
        total[tile.r0:tile.r1] += s
        np.maximum(peak[tile.r0:tile.r1], m, out=peak[tile.r0:tile.r1])
        psd[tile.r0:tile.r1] += p
        counts[tile.r0] = counts.get(tile.r0, 0) + c
        done[0] += 1
        report(0.5 * done[0] / len(tiles), "correlation/PNR: noise and peaks")

    _run(first_pass_tile, [(source, t, gSig, gSiz) for t in tiles], executor, add_first)
    count = counts[0]
    mean = total / T
    sigma = np.sqrt(psd / count)
    if not np.any(sigma > 0):
        raise ParameterError("the movie has no temporal variation after spatial high-pass "
                             "filtering (a constant movie?); the correlation and PNR images are "
                             "undefined - check that the right file was given")
    pnr = pnr_image(peak - mean, sigma)
    sums = CorrelationSums.zeros((H, W))
    sums.n = T
    done[0] = 0

    def add_second(res: tuple) -> None:
        tile, (s1, s2, right, down, dr, dl) = res
        r0, r1 = tile.r0, tile.r1
        sums.s1[r0:r1] += s1
        sums.s2[r0:r1] += s2
        sums.right[r0:r1] += right
        n_down = down.shape[0]
        sums.down[r0:r0 + n_down] += down
        sums.down_right[r0:r0 + n_down] += dr
        sums.down_left[r0:r0 + n_down] += dl
        done[0] += 1
        report(0.5 + 0.5 * done[0] / len(tiles), "correlation/PNR: local correlations")

    tasks = [(source, t, gSig, gSiz, mean[t.r0:t.r1 + 1], sigma[t.r0:t.r1 + 1]) for t in tiles]
    _run(second_pass_tile, tasks, executor, add_second)
    return local_correlation(sums), pnr, sigma.astype(np.float32)


def corr_pnr(movie_path: str | Path, params: CNMFEParams | Mapping[str, Any],
             output_dir: str | Path, progress: Progress | None = None,
             executor: Executor | None = None) -> CorrPNRResult:
    """Compute the correlation and PNR images of the movie at ``movie_path`` (``[t, y, x]`` TIFF
    or .npy), save them in ``output_dir`` (``corr_pnr.npz`` + ``corr_pnr.json``) and return them.

    ``params``: a ``CNMFEParams`` or the guide's CNMFE dict (only ``gSig`` / ``gSiz`` matter).
    """
    if not isinstance(params, CNMFEParams):
        params = CNMFEParams.from_dict(params)
    mov = open_movie(movie_path)
    corr, pnr, noise = compute_corr_pnr(mov, params, progress, executor)
    result = CorrPNRResult(corr=corr, pnr=pnr, noise=noise,
                           params={"gSig": list(params.gSig), "gSiz": list(params.gSiz)},
                           movie_path=str(movie_path), n_frames=int(mov.shape[0]))
    result.save(output_dir)
    if progress is not None:
        progress(1.0, "correlation/PNR: saved")
    return result
