"""Chunked movie I/O: ``[t, y, x]`` TIFF or ``.npy`` in, preallocated ``.npy`` memmap out.

Every call opens the file, touches only the requested frames and closes it again, so a
process's resident memory is bounded by the chunk it works on, not by the movie.
"""
from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import tifffile

from mesmerize.core.errors import ImageLoadError

TIFF_SUFFIXES = (".tif", ".tiff")


def _check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in TIFF_SUFFIXES + (".npy",):
        raise ImageLoadError(f"{path}: unsupported movie format {suffix!r}; use a TIFF or a .npy file")
    if not path.is_file():
        raise ImageLoadError(f"{path}: movie file not found")
    return suffix


@functools.lru_cache(maxsize=8)
def _tiff_layout(path: str, mtime_ns: int, size: int) -> tuple[int, tuple[int, ...], str] | None:
    """``(byte offset, shape, dtype)`` of a TIFF's pixels when they are one contiguous [t, y, x]
    block (cached per file version, so chunk reads do not parse the page table again)."""
    with tifffile.TiffFile(path) as tif:
        series = tif.series[0]
        offset = series.dataoffset
        if offset is None or len(series.shape) != 3:
            return None
        return int(offset), tuple(int(n) for n in series.shape), series.dtype.str


def _contiguous_tiff(path: Path) -> np.memmap | None:
    stat = path.stat()
    layout = _tiff_layout(str(path), stat.st_mtime_ns, stat.st_size)
    if layout is None:
        return None
    offset, shape, dtype = layout
    return np.memmap(path, dtype=np.dtype(dtype), mode="r", offset=offset, shape=shape)


def movie_info(path: os.PathLike | str) -> tuple[tuple[int, int, int], np.dtype]:
    """``((T, H, W), dtype)`` of a ``[t, y, x]`` movie without reading its pixels."""
    path = Path(path)
    if _check_suffix(path) == ".npy":
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
        shape, dtype = arr.shape, arr.dtype
    else:
        with tifffile.TiffFile(path) as tif:
            series = tif.series[0]
            shape, dtype = series.shape, series.dtype
            if len(shape) == 2 and len(tif.pages) > 1:
                shape = (len(tif.pages),) + tuple(shape)
    if len(shape) != 3:
        raise ImageLoadError(f"{path}: expected a [t, y, x] movie, got an array of shape {shape}")
    return tuple(int(s) for s in shape), np.dtype(dtype)


def read_frames(path: os.PathLike | str, start: int, stop: int) -> np.ndarray:
    """Frames ``start:stop`` of a ``[t, y, x]`` movie as an in-memory ``(n, H, W)`` array."""
    path = Path(path)
    if _check_suffix(path) == ".npy":
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
        return np.array(arr[start:stop])
    mapped = _contiguous_tiff(path)
    if mapped is not None:
        out = np.array(mapped[start:stop])
        del mapped
        return out
    with tifffile.TiffFile(path) as tif:
        if len(tif.pages) > 1:
            data = tif.asarray(key=range(start, stop))
            return data.reshape((stop - start,) + data.shape[-2:])
        return np.array(tif.asarray()[start:stop])


def create_output(path: os.PathLike | str, shape: tuple[int, int, int], dtype: np.dtype) -> None:
    """Preallocate a ``.npy`` file of ``shape`` and ``dtype`` (filled lazily by the OS)."""
    out = np.lib.format.open_memmap(path, mode="w+", dtype=dtype, shape=shape)
    out.flush()
    del out


def write_frames(path: os.PathLike | str, start: int, frames: np.ndarray) -> None:
    """Write ``frames (n, H, W)`` at ``start`` into a preallocated ``.npy`` file and flush."""
    out = np.load(path, mmap_mode="r+", allow_pickle=False)
    out[start:start + len(frames)] = frames
    out.flush()
    del out
