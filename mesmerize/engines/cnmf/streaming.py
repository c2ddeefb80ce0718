"""The movie as a source of pixel blocks, so that the full-FOV steps of CNMF run out of core.

The updates of CNMF only need a few products of the data ``Y`` (n_pixels, T) with small
matrices: ``M^T Y`` for sparse footprints (temporal update), ``Y v_k`` on the support of each
footprint and ``Y f^T`` (spatial update and evaluation), residual statistics (background). Each
is a sum over blocks of pixels, so a :class:`PixelSource` hands the data out as bands of pixels
``(ids, Y_band)`` and the functions here accumulate over them. :class:`InMemoryPixels` wraps an
array (one band: the in-memory path of patches, of CNMF-E and of ``rf=None``);
:class:`BandedMovie` reads horizontal bands of rows of the movie file, with at most
``band_bytes`` of float32 data in memory, so memory is bounded by the band size, not by
FOV x T. Pixel ids are Fortran order over ``dims = (H, W)``.

Reading a band from the movie file means transposing frames into pixel rows, which costs far
more than the arithmetic of a pass; so a :class:`BandedMovie` given a ``cache_dir`` writes each
band, the first time it is read, to a pixel-major copy of the movie (the file's dtype,
``n_pixels x T`` in the band order, as CaImAn's ``Yr`` memory map) and reads later passes from
it. The copy is deleted by :meth:`BandedMovie.close`; when the disk lacks room for it (or fills
up while it is written) the bands are read from the movie file as before, with the same values.
"""
from __future__ import annotations

import errno
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterator, Protocol

import numpy as np
import scipy.sparse

from mesmerize.engines.cnmf.movie import MovieReader
from mesmerize.engines.deconvolution.noise import noise_psd

#: default float32 bytes of one band of the movie held in memory (BandedMovie)
BAND_BYTES = 64 * 2**20
#: free disk space left untouched when deciding whether the pixel-major copy fits
CACHE_MARGIN_BYTES = 2**30


class PixelSource(Protocol):
    """``n_pixels``, ``n_frames``; ``bands()`` yields ``(ids (n,), Y (n, T) float32)``
    covering every pixel exactly once."""

    n_pixels: int
    n_frames: int

    def bands(self) -> Iterator[tuple[np.ndarray, np.ndarray]]: ...


class InMemoryPixels:
    """An in-memory (n_pixels, T) array as a single band."""

    def __init__(self, Yr: np.ndarray):
        self.Yr = Yr
        self.n_pixels, self.n_frames = Yr.shape

    def bands(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        yield np.arange(self.n_pixels), self.Yr


def as_source(data: np.ndarray | PixelSource) -> PixelSource:
    """An array becomes :class:`InMemoryPixels`; a source is returned as is."""
    return InMemoryPixels(data) if isinstance(data, np.ndarray) else data


def _pread_into(fd: int, view: memoryview, offset: int) -> int:
    return os.preadv(fd, [view], offset)


def _transfer(op, fd: int, view: memoryview, offset: int) -> None:
    # reads and writes may move fewer bytes than asked (e.g. > 2 GiB on Linux): loop until done
    done = 0
    while done < len(view):
        n = op(fd, view[done:], offset + done)
        if not n:
            raise OSError(errno.EIO, "short read of the pixel-major copy of the movie")
        done += n


class BandedMovie:
    """A movie file read in horizontal bands of rows (all frames), never all at once.

    ``remove_median``: subtract each pixel's temporal median (the static background, used
    when ``gnb = 0``); the medians are computed on the first pass and kept (n_pixels floats).
    ``cache_dir``: folder for the pixel-major copy of the movie (see the module docstring;
    ``cache_bytes`` tells its size, 0 while none is kept); call :meth:`close` when done.
    """

    def __init__(self, path: str | Path, remove_median: bool = False,
                 band_bytes: int = BAND_BYTES, chunk_frames: int = 200,
                 cache_dir: str | Path | None = None):
        self.reader = MovieReader(path)
        T, H, W = self.reader.shape
        self.dims = (H, W)
        self.n_pixels, self.n_frames = H * W, T
        rows = int(max(1, min(H, band_bytes // (4 * W * T))))
        self.windows = [(y0, min(y0 + rows, H)) for y0 in range(0, H, rows)]
        self.remove_median = remove_median
        self.chunk_frames = chunk_frames
        self._median: dict[int, np.ndarray] = {}
        self._cached = [False] * len(self.windows)
        self._cache_fd: int | None = None
        self.cache_path: Path | None = None
        need = self.n_pixels * T * self.reader.dtype.itemsize
        if cache_dir is not None and shutil.disk_usage(cache_dir).free > need + CACHE_MARGIN_BYTES:
            fd, name = tempfile.mkstemp(prefix=".pixel_major_", suffix=".raw", dir=cache_dir)
            self._cache_fd, self.cache_path = fd, Path(name)

    @property
    def cache_bytes(self) -> int:
        """Bytes of the pixel-major copy (0 when none is kept)."""
        return 0 if self.cache_path is None else \
            self.n_pixels * self.n_frames * self.reader.dtype.itemsize

    def close(self) -> None:
        """Delete the pixel-major copy (later passes read the movie file again)."""
        if self._cache_fd is not None:
            os.close(self._cache_fd)
            self.cache_path.unlink(missing_ok=True)
        self._cache_fd, self.cache_path = None, None
        self._cached = [False] * len(self.windows)

    def band_ids(self, y0: int, y1: int) -> np.ndarray:
        """Pixel ids of rows ``y0:y1`` in the order of the band's data (row by row, i.e. the
        file's order: a plain 2-D transpose turns frames into pixel rows)."""
        H, W = self.dims
        return (np.arange(y0, y1)[:, None] + H * np.arange(W)[None, :]).ravel()

    def _raw_band(self, i: int) -> np.ndarray:
        """(n, T) band ``i`` in the file's dtype, from the copy or transposed from the file."""
        y0, y1 = self.windows[i]
        T, W = self.n_frames, self.dims[1]
        raw = np.empty(((y1 - y0) * W, T), self.reader.dtype)
        offset = y0 * W * T * raw.itemsize
        if self._cached[i]:
            _transfer(_pread_into, self._cache_fd, memoryview(raw).cast("B"), offset)
            return raw
        for t0 in range(0, T, self.chunk_frames):
            t1 = min(t0 + self.chunk_frames, T)
            raw[:, t0:t1] = self.reader.block(t0, t1, y0, y1).reshape(t1 - t0, -1).T
        if self._cache_fd is not None:
            try:
                _transfer(os.pwrite, self._cache_fd, memoryview(raw).cast("B"), offset)
                self._cached[i] = True
            except OSError:  # disk full or failing: keep reading the movie file instead
                self.close()
        return raw

    def read_band(self, i: int) -> np.ndarray:
        """(n, T) float32 data of band ``i`` (median removed when ``remove_median``)."""
        Y = self._raw_band(i).astype(np.float32, copy=False)
        if self.remove_median:
            if i not in self._median:
                self._median[i] = np.median(Y, axis=1)
            Y -= self._median[i][:, None]
        return Y

    def bands(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for i, (y0, y1) in enumerate(self.windows):
            yield self.band_ids(y0, y1), self.read_band(i)


def pixel_noise_of(source: PixelSource, noise_method: str = "mean",
                   chunk_pixels: int = 4096) -> np.ndarray:
    """Per-pixel noise std (n_pixels,) float64 (power spectral density, see ``noise_psd``)."""
    sn = np.empty(source.n_pixels)
    for ids, Y in source.bands():
        for s in range(0, len(ids), chunk_pixels):
            sn[ids[s:s + chunk_pixels]] = noise_psd(Y[s:s + chunk_pixels].astype(np.float32),
                                                    noise_method=noise_method)
    return sn


def project(source: PixelSource, M: scipy.sparse.spmatrix | np.ndarray) -> np.ndarray:
    """``M^T Y`` (m, T) float64 for weights ``M`` (n_pixels, m), sparse or dense."""
    M = scipy.sparse.csr_matrix(M, dtype=np.float32)
    out = np.zeros((M.shape[1], source.n_frames))
    for ids, Y in source.bands():
        Mb = M[ids]
        if Mb.nnz:
            # float32 product (like the data: no float64 copy of the band), float64 sums
            out += Mb.T @ Y.astype(np.float32, copy=False)
    return out


def support_products(source: PixelSource, pattern: scipy.sparse.spmatrix, V: np.ndarray,
                     W: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray | None]:
    """Data times traces, only where needed.

    pattern (n_pixels, K) sparse: entry (i, k) asks for ``sum_t Y[i, t] V[k, t]``; returns
    these values aligned with ``csc_matrix(pattern)`` (sorted indices) ``.indices``, and, when
    ``W`` (m, T) is given, the dense ``Y W^T`` (n_pixels, m).
    """
    P = scipy.sparse.csc_matrix(pattern)
    P.sort_indices()
    rows = P.indices
    cols = np.repeat(np.arange(P.shape[1]), np.diff(P.indptr))
    vals = np.zeros(rows.size)
    V32 = np.asarray(V, dtype=np.float32)
    dense = None if W is None else np.zeros((source.n_pixels, W.shape[0]))
    W32 = None if W is None else np.asarray(W, dtype=np.float32)
    local = np.full(source.n_pixels, -1, np.int64)
    for ids, Y in source.bands():
        local[ids] = np.arange(len(ids))
        sel = np.flatnonzero(local[rows] >= 0)
        if sel.size:
            # entries of the band grouped by component (sel is sorted by column)
            c = cols[sel]
            cuts = np.flatnonzero(np.diff(c)) + 1
            for grp in np.split(sel, cuts):
                vals[grp] = Y[local[rows[grp]]] @ V32[cols[grp[0]]]
        if W32 is not None:
            dense[ids] = Y @ W32.T
        local[ids] = -1
    return vals, dense


def pixel_medians(source: PixelSource) -> np.ndarray:
    """Temporal median of every pixel (n_pixels,) float64."""
    med = np.empty(source.n_pixels)
    for ids, Y in source.bands():
        med[ids] = np.median(Y, axis=1)
    return med

