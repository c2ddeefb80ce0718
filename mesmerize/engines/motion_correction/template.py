"""Template estimation: the reference image every frame is registered to.

The first template is built as CaImAn does: frames sampled evenly across the movie are
averaged in bins of 10, the median of the bin means is the starting template, and the sample
is rigidly registered to it and re-averaged (two rounds). The sample is re-read bin by bin in
each round, so memory holds one bin of frames and the bin means, not the sample. Between passes
over the whole movie, the template is the median of the chunk means of the corrected frames.
"""
from __future__ import annotations

import numpy as np

from .filtering import prepare_frames
from .io import read_frames
from .params import MotionCorrectionParams
from .registration import estimate_shifts, template_spectrum
from .warp import apply_rigid

_BIN = 10
_ROUNDS = 2


def _bin_means(movie_path: str, bins: list[np.ndarray], params: MotionCorrectionParams,
               template: np.ndarray | None) -> np.ndarray:
    """Means ``(n_bins, H, W)`` of each bin of frames, registered to ``template`` if given."""
    spectrum = None
    if template is not None:
        prepared = prepare_frames(template[None], params.gSig_filt, params.bord_px)[0]
        spectrum = template_spectrum(prepared, (params.max_shifts[0] + 1, params.max_shifts[1] + 1))
    means = []
    for frame_indices in bins:
        frames = np.concatenate([read_frames(movie_path, int(i), int(i) + 1)
                                 for i in frame_indices]).astype(np.float32)
        if spectrum is not None:
            shifts = estimate_shifts(prepare_frames(frames, params.gSig_filt, params.bord_px),
                                     spectrum, params.max_shifts, params.upsample_factor_fft)
            frames = apply_rigid(frames, shifts)
        means.append(frames.mean(axis=0, dtype=np.float64))
    return np.stack(means)


def initial_template(movie_path: str, n_frames: int, params: MotionCorrectionParams) -> np.ndarray:
    """Template ``(H, W)`` float32 from ``params.n_template_frames`` evenly spaced frames."""
    n_sample = min(n_frames, params.n_template_frames)
    idx = np.unique(np.linspace(0, n_frames - 1, n_sample).round().astype(int))
    bins = np.array_split(idx, max(1, len(idx) // _BIN))
    template = np.median(_bin_means(movie_path, bins, params, None), axis=0).astype(np.float32)
    for _ in range(_ROUNDS):
        means = _bin_means(movie_path, bins, params, template)
        template = np.median(means, axis=0).astype(np.float32)
    return template
