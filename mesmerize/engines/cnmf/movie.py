"""Reading the input movie of CNMF: TIFF ([t, y, x], memory-mapped when possible) or .npy."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import tifffile

from mesmerize.core.errors import ImageLoadError, ParameterError


def open_movie(path: str | Path) -> np.ndarray:
    """Return the movie at ``path`` as a (T, H, W) array, memory-mapped when the file allows."""
    path = Path(path)
    if not path.exists():
        raise ImageLoadError(f"movie file not found: {path}")
    suffix = path.suffix.lower()
    try:
        if suffix == ".npy":
            mov = np.load(path, mmap_mode="r", allow_pickle=False)
        elif suffix in (".tif", ".tiff"):
            try:
                mov = tifffile.memmap(path, mode="r")
            except ValueError:
                mov = tifffile.imread(path)
        else:
            raise ImageLoadError(f"unsupported movie format {suffix!r} ({path}); use .tif/.tiff "
                                 "([t, y, x]) or .npy")
    except (OSError, ValueError) as exc:
        if isinstance(exc, ImageLoadError):
            raise
        raise ImageLoadError(f"cannot read movie {path}: {exc}") from exc
    if mov.ndim != 3:
        raise ImageLoadError(f"movie {path} must be 3-D [t, y, x], got shape {mov.shape}")
    if mov.shape[0] < 16:
        raise ImageLoadError(f"movie {path} has {mov.shape[0]} frames; CNMF needs at least 16")
    return mov


def movie_to_pixels(mov: np.ndarray, y0: int = 0, y1: int | None = None, x0: int = 0,
                    x1: int | None = None, chunk_frames: int = 500) -> np.ndarray:
    """(n_pixels, T) float32 of the window ``[y0:y1, x0:x1]``, pixels in Fortran order over
    the window's (h, w). Reads ``chunk_frames`` frames at a time and refuses NaN/inf values."""
    T = mov.shape[0]
    y1 = mov.shape[1] if y1 is None else y1
    x1 = mov.shape[2] if x1 is None else x1
    h, w = y1 - y0, x1 - x0
    Yr = np.empty((h * w, T), dtype=np.float32)
    for t0 in range(0, T, chunk_frames):
        t1 = min(t0 + chunk_frames, T)
        block = np.asarray(mov[t0:t1, y0:y1, x0:x1], dtype=np.float32)
        if not np.all(np.isfinite(block)):
            raise ParameterError(f"the movie contains NaN or infinite values (frames {t0}-{t1 - 1});"
                                 " replace them (e.g. by interpolation) before running CNMF")
        Yr[:, t0:t1] = block.transpose(2, 1, 0).reshape(h * w, t1 - t0)
    return Yr


def check_movie_values(mov: np.ndarray, chunk_frames: int = 500) -> None:
    """Refuse a movie with NaN/inf values or whose frames are all identical (chunked pass)."""
    first = np.asarray(mov[0], dtype=np.float64)
    varies = False
    for t0 in range(0, mov.shape[0], chunk_frames):
        t1 = min(t0 + chunk_frames, mov.shape[0])
        block = np.asarray(mov[t0:t1], dtype=np.float64)
        if not np.all(np.isfinite(block)):
            raise ParameterError(f"the movie contains NaN or infinite values (frames {t0}-{t1 - 1});"
                                 " replace them (e.g. by interpolation) before running CNMF")
        varies = varies or bool(np.any(block != first))
    if not varies:
        raise ParameterError("the movie is constant (all frames identical): there is no activity "
                             "to extract")
