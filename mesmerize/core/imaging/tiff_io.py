"""Reading and writing TIFF movies.

tifffile arrays are ``[t, y, x]``; ``ImgData.seq`` is ``[x, y, t]`` (``seq = array.T``). The load
methods are the Tiff file module's: ``"asarray"`` (``TiffFile.asarray``, fast, most files),
``"asarray-multi"`` (every series of the file stacked frame by frame, for files that an acquisition
program appended to one frame at a time) and ``"imread"`` (``tifffile.imread``).
"""
from __future__ import annotations

import os
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Union

import numpy as np
import tifffile

from mesmerize.core.atomic import atomic_path
from mesmerize.core.errors import ImageLoadError, ImageShapeError, ParameterError
from mesmerize.core.imaging.imgdata import ImgData, check_seq_xyt
from mesmerize.core.meta import find_meta_path, load_meta_json

PathLike = Union[str, os.PathLike]

LOAD_METHODS = ("asarray", "asarray-multi", "imread")

# What tifffile raises on a truncated, corrupt or non-TIFF file.
_READ_ERRORS = (
    tifffile.TiffFileError, ValueError, OSError, struct.error, IndexError, KeyError, EOFError,
    TypeError, AssertionError, ZeroDivisionError, RuntimeError, MemoryError,
)


def _existing_file(path: PathLike) -> Path:
    p = Path(path)
    if not p.exists():
        raise ImageLoadError(f"TIFF file {p} does not exist: check the path")
    if not p.is_file():
        raise ImageLoadError(f"{p} is not a file: choose a .tif / .tiff movie file")
    return p


def _read_error(path: Path, exc: BaseException) -> ImageLoadError:
    return ImageLoadError(
        f"cannot read {path} as a TIFF movie ({type(exc).__name__}: {exc}). The file may be "
        "truncated (an acquisition or copy that did not finish), corrupt, or not a TIFF: check "
        "that it opens in ImageJ/Fiji, or try another load method"
    )


def _frames_shape(shape: tuple[int, ...], path: Path, what: str = "") -> tuple[int, int, int]:
    """``(T, H, W)`` that an array of ``shape`` stands for (singleton axes of an array with more
    than 3 dimensions squeezed), or ``ImageShapeError``."""
    shape = tuple(shape)
    squeezed = tuple(d for d in shape if d != 1) if len(shape) > 3 else shape
    if len(squeezed) == 3:
        return squeezed
    if len(squeezed) == 2:
        raise ImageShapeError(
            f"{path}{what} is a single image, not a movie (shape {shape}); Mesmerize needs an "
            "image sequence [t, y, x]"
        )
    if len(shape) > 3:
        raise ImageShapeError(
            f"{path}{what} has {len(shape)}-D shape {shape}, which is not a single-channel movie "
            "[t, y, x]: it holds several channels or z-planes. Save one channel / plane per "
            "file (e.g. with ImageJ/Fiji 'Split Channels') and load that"
        )
    raise ImageShapeError(f"{path}{what} has shape {shape}, not a movie [t, y, x]")


def _as_tyx(arr: np.ndarray, path: Path, hint: str = "") -> np.ndarray:
    try:
        shape = _frames_shape(arr.shape, path)
    except ImageShapeError as exc:
        raise ImageShapeError(f"{exc}{hint}") from None
    return arr.reshape(shape)


def _read_asarray(path: Path) -> tuple[np.ndarray, int]:
    with tifffile.TiffFile(path) as tif:
        return tif.asarray(), len(tif.series)


def _read_imread(path: Path) -> tuple[np.ndarray, int]:
    arr = tifffile.imread(path)
    if arr.ndim > 2:
        return arr, 1
    with tifffile.TiffFile(path) as tif:
        return arr, len(tif.series)


def _series_frames(tif: tifffile.TiffFile, path: Path) -> list[tuple[int, int, int]]:
    """``(T, H, W)`` of every series in the file (a 2-D series is one frame), all with the same
    frame size; a file that holds one 2-D image in all is refused as a single image."""
    if not tif.series:
        raise ImageLoadError(f"{path} contains no image data")
    shapes = []
    for i, series in enumerate(tif.series):
        shape = tuple(series.shape)
        if len(shape) == 2 and len(tif.series) > 1:
            shapes.append((1, *shape))
        else:
            shapes.append(_frames_shape(shape, path, f" (series {i})" if i else ""))
    frame = shapes[0][1:]
    for i, shape in enumerate(shapes):
        if shape[1:] != frame:
            raise ImageShapeError(
                f"{path}: series {i} has frames of {shape[1:]} pixels but series 0 has {frame}; "
                "all frames of a movie must have the same size. Load it with method='asarray' "
                "to read only the first series"
            )
    return shapes


def _read_all_series(path: Path) -> tuple[np.ndarray, int]:
    """Every series of the file stacked along t: ``(T, H, W)``."""
    with tifffile.TiffFile(path) as tif:
        shapes = _series_frames(tif, path)
        dtypes = {np.dtype(s.dtype) for s in tif.series}
        if len(dtypes) > 1:
            raise ImageLoadError(
                f"{path}: its series have different dtypes {sorted(map(str, dtypes))}; save the "
                "movie with a single dtype"
            )
        n_frames = sum(s[0] for s in shapes)
        out = np.empty((n_frames, *shapes[0][1:]), dtype=dtypes.pop())
        t0 = 0
        for series, shape in zip(tif.series, shapes):
            out[t0:t0 + shape[0]] = series.asarray().reshape(shape)
            t0 += shape[0]
        return out, len(shapes)


_READERS: dict[str, Callable[[Path], tuple[np.ndarray, int]]] = {
    "asarray": _read_asarray,
    "asarray-multi": _read_all_series,
    "imread": _read_imread,
}


def load_tiff(
    path: PathLike, method: str = "asarray", meta_path: PathLike | None = None
) -> ImgData:
    """Load a TIFF movie as ``ImgData`` (``seq`` ``[x, y, t]``).

    ``method``: one of ``LOAD_METHODS``. ``meta_path``: the .json meta data file; when None, the
    file beside the movie with the same name (``xyz.tif`` -> ``xyz.json``) is used if present,
    otherwise the ImgData has no meta data. 4-D arrays with a singleton axis are squeezed.
    Raises ``ImageLoadError`` (unreadable file, wrong shape), ``MetaDataError`` (bad meta file),
    ``ParameterError`` (unknown method).
    """
    if method not in _READERS:
        raise ParameterError(
            f"unknown TIFF load method {method!r}: choose one of "
            f"{', '.join(map(repr, LOAD_METHODS))}"
        )
    p = _existing_file(path)
    if meta_path is None:
        meta_path = find_meta_path(p)
    meta = None if meta_path is None else load_meta_json(meta_path)
    try:
        arr, n_series = _READERS[method](p)
    except ImageLoadError:
        raise
    except _READ_ERRORS as exc:
        raise _read_error(p, exc) from exc
    hint = ""
    if arr.ndim == 2 and n_series > 1:
        hint = (
            f". The file holds {n_series} series (one per appended frame): load it with "
            "method='asarray-multi'"
        )
    return ImgData(_as_tyx(arr, p, hint).T, meta)


def _strided_page_view(tif: tifffile.TiffFile, path: Path, n_frames: int) -> np.ndarray | None:
    """Memory-mapped ``(T, H, W)`` view when every page is one uncompressed frame at a fixed
    byte stride (pages appended frame by frame, IFDs between the frames); else None."""
    pages = list(tif.pages)
    if len(pages) != n_frames or n_frames < 2:
        return None
    first = pages[0]
    if len(first.shape) != 2:
        return None
    for page in pages:
        if page.shape != first.shape or page.dtype != first.dtype or not page.is_memmappable:
            return None
    offsets = np.array([page.dataoffsets[0] for page in pages], dtype=np.int64)
    steps = np.diff(offsets)
    stride = int(steps[0])
    dtype = np.dtype(first.dtype).newbyteorder(tif.byteorder)
    height, width = first.shape
    frame_bytes = height * width * dtype.itemsize
    end = int(offsets[-1]) + frame_bytes
    if np.any(steps != stride) or stride < frame_bytes or end > path.stat().st_size:
        return None
    raw = np.memmap(path, dtype=np.uint8, mode="r")
    return np.ndarray(
        (n_frames, height, width), dtype=dtype, buffer=raw, offset=int(offsets[0]),
        strides=(stride, width * dtype.itemsize, dtype.itemsize),
    )


def open_movie_tyx(path: PathLike) -> np.ndarray:
    """The movie as a read-only ``(T, H, W)`` array for engines.

    Memory-mapped when the frames are stored uncompressed (one contiguous series via
    ``tifffile.memmap``, or frames appended page by page at a fixed stride); otherwise every
    series is read into memory and stacked. The dtype keeps the file's byte order. Raises
    ``ImageLoadError``.
    """
    p = _existing_file(path)
    try:
        with tifffile.TiffFile(p) as tif:
            shapes = _series_frames(tif, p)
            contiguous = len(shapes) == 1 and tif.series[0].dataoffset is not None
            view = None if contiguous else _strided_page_view(tif, p, sum(s[0] for s in shapes))
        if contiguous:
            return _as_tyx(tifffile.memmap(p, mode="r"), p)
        if view is not None:
            return view
        arr, _ = _read_all_series(p)
    except ImageLoadError:
        raise
    except _READ_ERRORS as exc:
        raise _read_error(p, exc) from exc
    return arr


def save_tiff(path: PathLike, seq_xyt: np.ndarray) -> None:
    """Atomically write an ``[x, y, t]`` sequence as an uncompressed TIFF stored ``[t, y, x]``.

    The file is one series that ``tifffile.memmap`` can map; BigTIFF is used when it exceeds 4 GB.
    """
    seq = check_seq_xyt(seq_xyt, "seq_xyt")
    with atomic_path(path) as tmp:
        tifffile.imwrite(tmp, seq.T, photometric="minisblack")
