"""The movie minus its CNMF-E ring background, served in bands of rows (out of core).

:class:`RingResidual` is a ``cnmf.streaming.PixelSource``: its ``bands()`` yield horizontal
bands of whole rows of ``Y - B`` (or of the background ``B`` itself), computed on the fly from
the movie and the ring model ``B(t) = b0 + up(W down(Y(t) - A C(t) - b0))`` (see
``ring_background``). A band of rows ``y0:y1`` needs the downsampled residual of the rows its
upsampling reads (one downsampled row either side) plus the ring's reach (``r + 1``
downsampled rows) beyond them; those rows are read frame-chunk by frame-chunk, so the memory is
the band (at most ``band_bytes`` of float32, at least ``ssub`` rows) plus one chunk of the halo,
never the field of view times the movie length. The bands equal the rows of
``RingModel.background`` of the whole movie (tested).
"""
from __future__ import annotations

from typing import Iterator

import cv2
import numpy as np
import scipy.sparse

from .ring_background import (BAND_BYTES, RingModel, downsample_frames, downsampled_dims,
                              neuron_rows, read_rows)

#: float32 bytes of one chunk of halo rows read at a time
CHUNK_BYTES = 32 * 2 ** 20


class RingResidual:
    """``Y - B`` (or ``B`` with ``background_only``) of a movie ``Y`` ``(T, H, W)`` (array,
    memmap or ``MovieReader``) in bands of rows; pixel ids in Fortran order over ``dims``.

    ``A`` ``(H*W, K)`` and ``C`` ``(K, T)``: the components removed before the background's
    ring regression (None: none).
    """

    def __init__(self, Y, ring: RingModel, A=None, C=None, background_only: bool = False,
                 band_bytes: int = BAND_BYTES):
        T, H, W = (int(n) for n in Y.shape)
        self.Y, self.ring = Y, ring
        self.dims = (H, W)
        self.n_pixels, self.n_frames = H * W, T
        self.A = None if A is None else scipy.sparse.csr_matrix(A, dtype=np.float32)
        self.C = None if C is None else np.asarray(C, dtype=np.float32)
        self.background_only = background_only
        s = ring.ssub
        rows = int(max(s, band_bytes // (4 * W * T) // s * s))
        self.windows = [(y0, min(y0 + rows, H)) for y0 in range(0, H, rows)]
        self._W = scipy.sparse.csr_matrix(ring.W)

    def band_ids(self, y0: int, y1: int) -> np.ndarray:
        """Pixel ids (Fortran order over ``dims``) of rows ``y0:y1``, row by row."""
        H, W = self.dims
        return (np.arange(y0, y1)[:, None] + H * np.arange(W)[None, :]).ravel()

    def _geometry(self, y0: int, y1: int):
        s = self.ring.ssub
        h, w = downsampled_dims(self.dims, s)
        reach = int(round(self.ring.radius / s)) + 1
        uy0, uy1 = max(y0 // s - 1, 0), min((y1 - 1) // s + 2, h)  # rows the upsampling reads
        hy0, hy1 = max(uy0 - reach, 0), min(uy1 + reach, h)  # rows their rings read
        tgt = (np.arange(uy0, uy1)[None, :] + h * np.arange(w)[:, None]).ravel()
        src = (np.arange(hy0, hy1)[None, :] + h * np.arange(w)[:, None]).ravel()
        W_sub = self._W[tgt][:, src]
        return (uy0, uy1), (hy0, hy1), W_sub

    def background_rows(self, y0: int, y1: int, t0: int, t1: int,
                        geometry=None) -> np.ndarray:
        """The background ``B`` of frames ``t0:t1`` on rows ``y0:y1``: ``(n, y1 - y0, W)``."""
        s, (H, W) = self.ring.ssub, self.dims
        (uy0, uy1), (hy0, hy1), W_sub = geometry or self._geometry(y0, y1)
        w = downsampled_dims(self.dims, s)[1]
        b0 = self.ring.b0_image
        r0, r1 = hy0 * s, min(hy1 * s, H)
        X = read_rows(self.Y, t0, t1, r0, r1)
        X -= neuron_rows(self.A, self.C, t0, t1, self.dims, r0, r1)
        X -= b0[r0:r1]
        Xd = downsample_frames(X, s)  # (n, hy1 - hy0, w)
        n = t1 - t0
        flat = Xd.transpose(0, 2, 1).reshape(n, -1)  # Fortran order over the halo rows
        fluct = np.asarray(W_sub @ flat.T, np.float32).T.reshape(n, w, uy1 - uy0)
        fluct = fluct.transpose(0, 2, 1)
        out = np.empty((n, y1 - y0, W), np.float32)
        a = y0 - uy0 * s
        for i in range(n):
            if s == 1:
                big = fluct[i]
            else:
                big = cv2.resize(np.ascontiguousarray(fluct[i]), (w * s, (uy1 - uy0) * s),
                                 interpolation=cv2.INTER_LINEAR)
            out[i] = big[a:a + y1 - y0, :W]
        out += b0[y0:y1]
        return out

    def read_band(self, i: int) -> np.ndarray:
        """``(n, T)`` float32 data of band ``i`` (rows ``windows[i]``), pixels row by row."""
        y0, y1 = self.windows[i]
        T, W = self.n_frames, self.dims[1]
        geometry = self._geometry(y0, y1)
        halo_rows = (geometry[1][1] - geometry[1][0]) * self.ring.ssub
        step = int(max(1, CHUNK_BYTES // (4 * W * max(halo_rows, 1))))
        out = np.empty(((y1 - y0) * W, T), np.float32)
        for t0 in range(0, T, step):
            t1 = min(t0 + step, T)
            B = self.background_rows(y0, y1, t0, t1, geometry)
            if not self.background_only:
                B = read_rows(self.Y, t0, t1, y0, y1) - B
            out[:, t0:t1] = B.reshape(t1 - t0, -1).T
        return out

    def bands(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        for i, (y0, y1) in enumerate(self.windows):
            yield self.band_ids(y0, y1), self.read_band(i)

    def to_pixels(self) -> np.ndarray:
        """All of it as one ``(n_pixels, T)`` float32 array (Fortran pixel order); for patches
        and small movies, where it is cheaper to compute once than to stream every pass."""
        out = np.empty((self.n_pixels, self.n_frames), np.float32)
        for ids, band in self.bands():
            out[ids] = band
        return out
