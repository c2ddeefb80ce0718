"""Reading the input movie of CNMF: TIFF ([t, y, x], memory-mapped when possible) or .npy.

:class:`MovieReader` reads blocks of frames/rows with plain file reads when the file stores the
frames contiguously (uncompressed TIFF, .npy): unlike slicing a memory map, the pages read do not
stay mapped into the process, so its resident memory is bounded by the blocks it holds.
"""
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


class MovieReader:
    """Blocks of a (T, H, W) movie file, read without keeping the file mapped.

    ``shape``, ``dtype`` as the movie's. Files whose frames are not stored contiguously
    (compressed TIFF) are read into memory once by :func:`open_movie` and sliced.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        mov = open_movie(self.path)
        self.shape = tuple(int(n) for n in mov.shape)
        self.dtype = np.dtype(mov.dtype)
        if isinstance(mov, np.memmap) and mov.flags.c_contiguous and mov.filename is not None:
            self._offset = int(mov.offset)
            self._array = None
        else:
            self._offset = None
            self._array = np.asarray(mov)
        del mov

    def block(self, t0: int, t1: int, y0: int = 0, y1: int | None = None) -> np.ndarray:
        """Frames ``t0:t1``, rows ``y0:y1``, all columns: (t1 - t0, y1 - y0, W) in the file dtype."""
        T, H, W = self.shape
        y1 = H if y1 is None else y1
        if self._array is not None:
            return np.array(self._array[t0:t1, y0:y1])
        out = np.empty((t1 - t0, y1 - y0, W), self.dtype)
        frame_bytes = H * W * self.dtype.itemsize
        row_bytes = W * self.dtype.itemsize
        with open(self.path, "rb", buffering=0) as fh:
            if y0 == 0 and y1 == H:
                fh.seek(self._offset + t0 * frame_bytes)
                self._fill(fh, memoryview(out).cast("B"), t0)
                return out
            for i, t in enumerate(range(t0, t1)):
                fh.seek(self._offset + t * frame_bytes + y0 * row_bytes)
                self._fill(fh, memoryview(out[i]).cast("B"), t)
        return out

    def _fill(self, fh, view: memoryview, t: int) -> None:
        # a single read may return less than asked (e.g. > 2 GiB on Linux): read until full
        done = 0
        while done < len(view):
            n = fh.readinto(view[done:])
            if not n:
                raise ImageLoadError(f"movie {self.path} is truncated (at frame {t})")
            done += n


def read_window(reader: MovieReader, y0: int = 0, y1: int | None = None, x0: int = 0,
                x1: int | None = None, chunk_frames: int = 200) -> np.ndarray:
    """(n_pixels, T) float32 of the window ``[y0:y1, x0:x1]``, pixels in Fortran order over the
    window's (h, w), read ``chunk_frames`` frames at a time; refuses NaN/inf values."""
    T, H, W = reader.shape
    y1 = H if y1 is None else y1
    x1 = W if x1 is None else x1
    h, w = y1 - y0, x1 - x0
    Yr = np.empty((h * w, T), dtype=np.float32)
    for t0 in range(0, T, chunk_frames):
        t1 = min(t0 + chunk_frames, T)
        block = reader.block(t0, t1, y0, y1)[:, :, x0:x1].astype(np.float32)
        if not np.all(np.isfinite(block)):
            raise ParameterError(f"the movie contains NaN or infinite values (frames {t0}-{t1 - 1});"
                                 " replace them (e.g. by interpolation) before running CNMF")
        Yr[:, t0:t1] = block.transpose(2, 1, 0).reshape(h * w, t1 - t0)
    return Yr


def check_movie_file(reader: MovieReader, chunk_frames: int = 100) -> None:
    """Refuse a movie with NaN/inf values or whose frames are all identical (one pass in
    blocks of ``chunk_frames`` frames; nothing is kept)."""
    first = reader.block(0, 1)[0].astype(np.float64)
    varies = False
    for t0 in range(0, reader.shape[0], chunk_frames):
        t1 = min(t0 + chunk_frames, reader.shape[0])
        block = reader.block(t0, t1)
        if block.dtype.kind == "f" and not np.all(np.isfinite(block)):
            raise ParameterError(f"the movie contains NaN or infinite values (frames {t0}-{t1 - 1});"
                                 " replace them (e.g. by interpolation) before running CNMF")
        varies = varies or bool(np.any(block != first))
    if not varies:
        raise ParameterError("the movie is constant (all frames identical): there is no activity "
                             "to extract")
