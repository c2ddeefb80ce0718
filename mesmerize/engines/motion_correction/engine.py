"""``correct``: NoRMCorre rigid + piecewise-rigid motion correction of a movie file, out of core.

Passes over the movie: ``iters_rigid`` rigid passes, then (``pw_rigid``) ``iters`` piecewise
passes; the template is the median of the chunk means of the corrected frames between passes
and only the last pass writes the corrected movie. Chunks of frames run in parallel on a
``concurrent.futures`` executor; each worker reads and writes only its own frames, so peak
memory is bounded by ``chunk_frames`` times the number of workers.
"""
from __future__ import annotations

import multiprocessing
import os
import warnings
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any

import numpy as np

from mesmerize.core.atomic import atomic_path
from mesmerize.core.errors import ParameterError

from .chunk_worker import ChunkResult, PassSpec, limit_threads, process_chunk
from .io import create_output, movie_info, read_frames, write_frames
from .params import MotionCorrectionParams
from .piecewise import PatchGrid
from .result import MOVIE_NAME, MotionCorrectionResult
from .template import initial_template
from .torch_backend import cuda_available

Progress = Callable[[float, str], None]
_CHUNK_BYTES = 16 * 2 ** 20  # float32 pixels per chunk when chunk_frames is 0
_TEMPLATE_GROUPS = 32  # chunk means are pooled into at most this many groups for the median


def default_max_workers() -> int:
    """The system configuration's max threads when available, else the CPU count."""
    try:
        from mesmerize.core.system_config import load_system_config
        value = getattr(load_system_config(), "max_threads", None)
    except ImportError:
        value = None
    return max(1, int(value) if value else (os.cpu_count() or 1))


def _chunks(n_frames: int, frame_shape: tuple[int, int], chunk_frames: int) -> list[tuple[int, int]]:
    if chunk_frames == 0:
        chunk_frames = max(1, _CHUNK_BYTES // (4 * frame_shape[0] * frame_shape[1]))
    return [(s, min(s + chunk_frames, n_frames)) for s in range(0, n_frames, chunk_frames)]


def _check_frame_size(p: MotionCorrectionParams, h: int, w: int) -> None:
    """Refuse shifts or borders that leave no template to register against."""
    for name, size, shift in (("y", h, p.max_shifts_y), ("x", w, p.max_shifts_x)):
        region = size - 2 * p.bord_px
        if region < 8:
            raise ParameterError(f"bord_px={p.bord_px} leaves {region} px of {size} px frames "
                                 "to register; lower bord_px")
        if 2 * (shift + 1) >= region:
            raise ParameterError(f"max_shifts_{name}={shift} is too large for frames of {size} px "
                                 f"(bord_px={p.bord_px}); use at most {(region - 1) // 2 - 1}")


class _Pass:
    """Runs one pass over all chunks and gathers shifts and statistics in frame order."""

    def __init__(self, spec: PassSpec, n_frames: int, n_chunks: int) -> None:
        self.spec = spec
        self.shifts = np.zeros((n_frames, 2), dtype=np.float32)
        self.shifts_els = None
        if spec.grid is not None:
            self.shifts_els = np.zeros((n_frames,) + spec.grid.n_patches + (2,), dtype=np.float32)
        n_groups = min(n_chunks, _TEMPLATE_GROUPS)
        self.group_of_chunk = np.arange(n_chunks) * n_groups // n_chunks
        self.group_sums = np.zeros((n_groups,) + spec.template.shape)
        self.group_counts = np.zeros(n_groups)
        self.summary = None
        self.vmin, self.vmax = np.inf, -np.inf

    def add(self, index: int, r: ChunkResult) -> None:
        self.shifts[r.start:r.stop] = r.shifts
        if r.shifts_els is not None:
            self.shifts_els[r.start:r.stop] = r.shifts_els
        g = self.group_of_chunk[index]
        self.group_sums[g] += r.frame_sum
        self.group_counts[g] += r.stop - r.start
        if r.summary is not None:
            if self.summary is None:
                self.summary = r.summary
            else:
                self.summary += r.summary
        self.vmin, self.vmax = min(self.vmin, r.vmin), max(self.vmax, r.vmax)

    def template(self) -> np.ndarray:
        """Median of the group means of the corrected frames ``(H, W)`` float32."""
        return np.median(self.group_sums / self.group_counts[:, None, None], axis=0).astype(np.float32)


def _run_pass(spec: PassSpec, chunks: list[tuple[int, int]], executor: Executor | None,
              max_in_flight: int, on_chunk: Callable[[], None], n_frames: int) -> _Pass:
    acc = _Pass(spec, n_frames, len(chunks))
    if executor is None:
        for i, (a, b) in enumerate(chunks):
            acc.add(i, process_chunk(spec, a, b))
            on_chunk()
        return acc
    pending: dict[Any, int] = {}
    todo = iter(enumerate(chunks))
    for i, (a, b) in todo:
        pending[executor.submit(process_chunk, spec, a, b)] = i
        if len(pending) >= max_in_flight:
            break
    while pending:
        done, _ = wait(pending, return_when=FIRST_COMPLETED)
        for fut in done:
            acc.add(pending.pop(fut), fut.result())
            on_chunk()
            nxt = next(todo, None)
            if nxt is not None:
                i, (a, b) = nxt
                pending[executor.submit(process_chunk, spec, a, b)] = i
    return acc


def _convert_bit_depth(src: Path, dst: Path, depth: int, vmin: float, vmax: float,
                       chunks: list[tuple[int, int]]) -> tuple[float, float]:
    """Copy float32 ``src`` into unsigned ``dst`` chunk by chunk; returns (scale, offset).

    Values are kept as they are (rounded) when they already fit the integer range; otherwise
    they are scaled linearly so that [vmin, vmax] spans the whole range, so nothing is clipped.
    """
    dtype = np.dtype(f"uint{depth}")
    top = float(np.iinfo(dtype).max)
    if vmin >= -0.5 and vmax <= top + 0.5:
        scale, offset = 1.0, 0.0
    else:
        offset = vmin
        scale = top / (vmax - vmin) if vmax > vmin else 1.0
    n_frames = chunks[-1][1]
    create_output(dst, (n_frames,) + np.load(src, mmap_mode="r").shape[1:], dtype)
    for a, b in chunks:
        block = read_frames(src, a, b)
        write_frames(dst, a, np.clip(np.rint((block - offset) * scale), 0, top).astype(dtype))
    return scale, offset


def correct(
    movie_path: os.PathLike | str,
    params: Mapping[str, Any] | MotionCorrectionParams,
    output_dir: os.PathLike | str,
    progress: Progress | None = None,
    executor: Executor | None = None,
    max_workers: int | None = None,
) -> MotionCorrectionResult:
    """Motion-correct a ``[t, y, x]`` movie (TIFF or ``.npy``) with NoRMCorre.

    ``params``: the guide's dict (see :mod:`.params`). ``progress(fraction, message)`` is called
    after each chunk. ``executor``: where chunks run; when None, a process pool of
    ``max_workers`` (default: the system configuration's max threads, else the CPU count) is
    used, or the calling process when that is 1. Writes ``corrected.npy`` and the result files
    into ``output_dir`` and returns the :class:`MotionCorrectionResult`.
    ``result.shifts[t]`` is the displacement (dy, dx) px of frame t's content relative to the
    template.
    """
    p = MotionCorrectionParams.from_dict(params)
    movie_path = str(Path(movie_path))
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    (n_frames, h, w), _ = movie_info(movie_path)
    _check_frame_size(p, h, w)
    chunks = _chunks(n_frames, (h, w), p.chunk_frames)
    grid = None
    if p.pw_rigid:
        grid = PatchGrid.build((h, w), p.strides, p.overlaps, p.upsample, p.bord_px)
        if grid is None:
            warnings.warn(
                f"frames of {h}x{w} px (bord_px={p.bord_px}) are smaller than one patch "
                f"{p.patch_size}; running rigid motion correction only. Lower strides/overlaps "
                "for piecewise-rigid correction.", stacklevel=2)
    device = None
    if p.use_cuda:
        if cuda_available():
            device = "cuda"
        else:
            warnings.warn("use_cuda is on but torch with CUDA is not importable; estimating "
                          "shifts on the CPU", stacklevel=2)
    passes = [None] * p.iters_rigid + ([grid] * p.iters if grid is not None else [])
    n_steps = len(passes) * len(chunks) + 1
    done = [0]
    report = progress or (lambda fraction, message: None)

    def on_chunk() -> None:
        done[0] += 1
        report(done[0] / n_steps, f"pass {min(len(passes), 1 + (done[0] - 1) // len(chunks))} of "
                                  f"{len(passes)}")

    own_executor = None
    workers = max_workers or default_max_workers()
    if executor is None and workers > 1 and len(chunks) > 1:
        own_executor = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                           initializer=limit_threads, initargs=(1,))
    pool = executor or own_executor
    in_flight = 2 * workers  # chunks submitted ahead: keeps workers busy, bounds held results
    float_tmp = output_dir / f".{MOVIE_NAME}.float32.tmp.npy"
    try:
        report(0.0, "estimating template")
        template = initial_template(movie_path, n_frames, p)
        done[0] = 1
        with atomic_path(output_dir / MOVIE_NAME) as tmp:
            out_float = tmp if p.output_bit_depth is None else float_tmp
            create_output(out_float, (n_frames, h, w), np.float32)
            for i, pass_grid in enumerate(passes):
                last = i == len(passes) - 1
                spec = PassSpec(movie_path, p, template, pass_grid, str(out_float) if last else None,
                                summaries=last, device=device)
                result = _run_pass(spec, chunks, pool, in_flight, on_chunk, n_frames)
                if not last:
                    template = result.template()
            scale, offset = 1.0, 0.0
            if p.output_bit_depth is not None:
                scale, offset = _convert_bit_depth(out_float, tmp, p.output_bit_depth,
                                                   result.vmin, result.vmax, chunks)
    finally:
        if own_executor is not None:
            own_executor.shutdown()
        float_tmp.unlink(missing_ok=True)
    mc = MotionCorrectionResult(
        shifts=result.shifts, shifts_els=result.shifts_els,
        patch_centres_y=None if grid is None else grid.centres_y.astype(np.float32),
        patch_centres_x=None if grid is None else grid.centres_x.astype(np.float32),
        template=template, mean_image=result.summary.mean_image(),
        correlation_image=result.summary.correlation_image(),
        output_path=output_dir / MOVIE_NAME, params=p.to_dict(), movie_path=movie_path,
        output_scale=scale, output_offset=offset, grid_upsample=p.upsample,
    )
    mc.save(output_dir)
    report(1.0, "done")
    return mc
