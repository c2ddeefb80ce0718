"""One unit of parallel work: register and correct a chunk of frames against a template.

Runs in a worker process (or in-process): reads its frames from the movie file, estimates rigid
and optionally piecewise shifts, warps the raw frames, writes them into the preallocated output
and returns the shifts plus the sums needed for the template and the summary images.
"""
from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from .filtering import prepare_frames
from .io import read_frames, write_frames
from .params import MotionCorrectionParams
from .piecewise import PatchGrid, estimate_patch_shifts, template_patch_spectra
from .registration import estimate_shifts, template_spectrum
from .summary_images import SummaryAccumulator
from .warp import apply_field, apply_rigid


@dataclasses.dataclass(frozen=True)
class PassSpec:
    """What every chunk of one pass over the movie needs.

    ``template``: ``(H, W)`` float32 raw-intensity template; ``grid``: None for a rigid pass;
    ``output_path``: float32 ``.npy`` to write corrected frames into (None: do not write);
    ``summaries``: accumulate mean/correlation image sums of the corrected frames.
    ``device``: torch device for shift estimation (None: numpy/scipy on the CPU).
    """

    movie_path: str
    params: MotionCorrectionParams
    template: np.ndarray
    grid: PatchGrid | None
    output_path: str | None
    summaries: bool
    fft_workers: int = 1
    device: str | None = None


@dataclasses.dataclass
class ChunkResult:
    """Shifts ``(n, 2)``, patch shifts ``(n, ny, nx, 2)`` or None, corrected-frame sum
    ``(H, W)`` float64, summary sums or None, and the corrected frames' min and max."""

    start: int
    stop: int
    shifts: np.ndarray
    shifts_els: np.ndarray | None
    frame_sum: np.ndarray
    summary: SummaryAccumulator | None
    vmin: float
    vmax: float


def limit_threads(n_threads: int) -> None:
    """Process-pool initializer: keep OpenCV from oversubscribing the cores."""
    cv2.setNumThreads(n_threads)


def correct_frames(raw: np.ndarray, spec: PassSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Frames ``(n, H, W)`` -> (corrected float32 frames, shifts ``(n, 2)``, patch shifts)."""
    p = spec.params
    raw = np.asarray(raw, dtype=np.float32)
    prepared = prepare_frames(raw, p.gSig_filt, p.bord_px)
    template = prepare_frames(spec.template[None], p.gSig_filt, p.bord_px)[0]
    margin = (p.max_shifts[0] + 1, p.max_shifts[1] + 1)
    shifts = estimate_shifts(prepared, template_spectrum(template, margin), p.max_shifts,
                             p.upsample_factor_fft, workers=spec.fft_workers, device=spec.device)
    if spec.grid is None:
        return apply_rigid(raw, shifts), shifts, None
    patch_spectra = template_patch_spectra(spec.grid, template, p.max_dev + 1)
    shifts_els = estimate_patch_shifts(prepared, spec.grid, patch_spectra, shifts, p.max_dev,
                                       p.upsample_factor_fft, workers=spec.fft_workers,
                                       device=spec.device)
    return apply_field(raw, spec.grid.field(shifts_els)), shifts, shifts_els


def process_chunk(spec: PassSpec, start: int, stop: int) -> ChunkResult:
    """Correct frames ``start:stop`` of ``spec.movie_path`` (see module docstring)."""
    corrected, shifts, shifts_els = correct_frames(read_frames(spec.movie_path, start, stop), spec)
    if spec.output_path is not None:
        write_frames(spec.output_path, start, corrected)
    summary = None
    if spec.summaries:
        summary = SummaryAccumulator(reference=spec.template.astype(np.float64))
        summary.add(corrected)
    return ChunkResult(start, stop, shifts, shifts_els, corrected.sum(axis=0, dtype=np.float64),
                       summary, float(corrected.min()), float(corrected.max()))
