"""Batch item inputs and outputs as work environments the Viewer shows (no Qt).

A motion-correction item's corrected movie becomes a ``ViewerWorkEnv`` holding the movie
``[x, y, t]``, the input's meta data and the output's history trace (the input's history plus
the item's ``{module: params}``). An item's input ("View Input") likewise.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from mesmerize.core.batch import Batch
from mesmerize.core.imaging.imgdata import ImgData
from mesmerize.core.imaging.tiff_io import open_movie_tyx
from mesmerize.core.work_env import ViewerWorkEnv

CHUNK_FRAMES = 256
"""Frames converted at a time, so peak extra memory is one chunk, not a second movie."""


def corrected_seq_xyt(movie_tyx: Any, output_scale: float, output_offset: float,
                      chunk_frames: int = CHUNK_FRAMES) -> np.ndarray:
    """The corrected intensities of a stored motion-corrected movie, shaped ``[x, y, t]``.

    ``movie_tyx``: ``(T, H, W)`` array or memory map as stored. Stored values relate to the
    corrected intensities as ``value = stored / output_scale + output_offset`` (the engine's bit
    depth conversion); with scale 1 and offset 0 the stored dtype is kept, otherwise the result
    is float32 so intensities (and ΔF/F computed from them) are those of the correction.
    """
    n_frames, height, width = movie_tyx.shape
    identity = output_scale == 1.0 and output_offset == 0.0
    dtype = movie_tyx.dtype.newbyteorder("=") if identity else np.dtype(np.float32)
    out = np.empty((width, height, n_frames), dtype=dtype)
    scale, offset = np.float32(output_scale), np.float32(output_offset)
    for start in range(0, n_frames, chunk_frames):
        block = np.asarray(movie_tyx[start:start + chunk_frames])
        if not identity:
            block = block.astype(np.float32) / scale + offset
        out[:, :, start:start + len(block)] = block.transpose(2, 1, 0)
    return out


def motion_corrected_work_env(batch: Batch, uuid: str, result: Any) -> ViewerWorkEnv:
    """A work environment of finished motion-correction item ``uuid`` of ``batch``.

    ``result``: its ``MotionCorrectionResult`` (``output_path``, ``output_scale``,
    ``output_offset``). The work environment has no SampleID: it is a new movie, to be added to
    the project as a new sample.
    """
    info = batch.output_work_env_info(uuid)
    movie = result.load_movie()
    seq = corrected_seq_xyt(movie, result.output_scale, result.output_offset)
    del movie
    return ViewerWorkEnv(imgdata=ImgData(seq, info.get("meta") or None),
                         history_trace=info.get("history_trace") or [])


def input_work_env(batch: Batch, uuid: str) -> ViewerWorkEnv:
    """A work environment of item ``uuid``'s input: its stored movie (TIFF), or the output
    movie of its input item (bit-depth scaling undone), with the input's meta data and history.
    """
    item = batch.get_item(uuid)
    path = batch.input_movie_path(uuid)
    info = batch.input_work_env_info(uuid)
    scale, offset = 1.0, 0.0
    if item.input_item is not None:
        source = batch.load_item_output(item.input_item)
        scale = float(getattr(source, "output_scale", 1.0))
        offset = float(getattr(source, "output_offset", 0.0))
    if path.suffix == ".npy":
        movie = np.load(path, mmap_mode="r", allow_pickle=False)
    else:
        movie = open_movie_tyx(path)
    seq = corrected_seq_xyt(movie, scale, offset)
    del movie
    return ViewerWorkEnv(imgdata=ImgData(seq, info.get("meta") or None),
                         history_trace=info.get("history_trace") or [])
