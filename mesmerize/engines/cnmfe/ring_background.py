"""The CNMF-E ring model of the 1-photon background (Zhou et al. 2018, eq. 5).

The background of pixel ``i`` at time ``t`` is its constant level plus a weighted sum of the
fluctuations of the pixels on a ring around it:

    B(t) = b0 + W (Y(t) - A C(t) - b0),   W[i, j] != 0 only for j on the ring of i,

with the ring the pixels at a distance ``d`` with ``r^2 < d^2 <= (r + 1)^2`` (``r`` the ring
radius, ``ring_size_factor * gSiz``, rounded). The ring lies outside a neuron centred on ``i``,
so the weights learn the smooth background without the neuron's own signal. ``b0 = mean_t(Y) -
A mean_t(C)``; each row of ``W`` is the ridge-regularised least-squares fit of the pixel's
residual fluctuation from its ring's (ridge ``1e-5`` times the trace of the normal matrix, as in
CaImAn). For speed the fit and ``W`` live on a grid downsampled ``ssub`` times in each direction
(block means; partial blocks at the edges average the pixels they have); the background is
brought back to full resolution by linear interpolation.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import cv2
import numpy as np
import scipy.sparse

from mesmerize.core.errors import ParameterError
from mesmerize.engines.cnmf.movie import MovieReader

RIDGE = 1e-5
_BATCH_BYTES = 64 * 2 ** 20
#: default float32 bytes of the residual held by the banded fit and background
BAND_BYTES = 64 * 2 ** 20


def ring_offsets(radius: int) -> np.ndarray:
    """``(n, 2)`` int offsets ``(dy, dx)`` with ``radius^2 < dy^2 + dx^2 <= (radius + 1)^2``."""
    r = int(radius)
    dy, dx = np.mgrid[-r - 1:r + 2, -r - 1:r + 2]
    d2 = dy ** 2 + dx ** 2
    on = (d2 > r * r) & (d2 <= (r + 1) ** 2)
    return np.stack([dy[on], dx[on]], axis=1)


def downsampled_dims(dims: tuple[int, int], ssub: int) -> tuple[int, int]:
    """Grid size after ``ssub`` x ``ssub`` block averaging (partial blocks kept)."""
    return (dims[0] - 1) // ssub + 1, (dims[1] - 1) // ssub + 1


def downsample_frames(frames: np.ndarray, ssub: int) -> np.ndarray:
    """Block means of ``frames`` ``(n, H, W)`` -> ``(n, h, w)`` float32."""
    frames = np.asarray(frames, dtype=np.float32)
    if ssub == 1:
        return frames
    n, H, W = frames.shape
    h, w = downsampled_dims((H, W), ssub)
    padded = np.zeros((n, h * ssub, w * ssub), np.float32)
    padded[:, :H, :W] = frames
    counts = np.zeros((h * ssub, w * ssub), np.float32)
    counts[:H, :W] = 1
    sums = padded.reshape(n, h, ssub, w, ssub).sum(axis=(2, 4))
    return sums / counts.reshape(h, ssub, w, ssub).sum(axis=(1, 3))


def upsample_frames(frames: np.ndarray, ssub: int, dims: tuple[int, int]) -> np.ndarray:
    """Linear interpolation of block means ``(n, h, w)`` back to ``(n, H, W)`` float32."""
    if ssub == 1:
        return np.asarray(frames, dtype=np.float32)
    n, h, w = frames.shape
    out = np.empty((n,) + tuple(dims), np.float32)
    for i in range(n):
        big = cv2.resize(np.ascontiguousarray(frames[i], np.float32), (w * ssub, h * ssub),
                         interpolation=cv2.INTER_LINEAR)
        out[i] = big[:dims[0], :dims[1]]
    return out


def _time_means(frames: np.ndarray, tsub: int) -> np.ndarray:
    """Means of ``tsub`` consecutive frames (a last partial group averages what it has)."""
    if tsub == 1:
        return frames
    n = frames.shape[0]
    starts = np.arange(0, n, tsub)
    return np.add.reduceat(frames, starts, axis=0) / np.diff(np.append(starts, n))[:, None, None]


def _neuron_frames(A: np.ndarray | scipy.sparse.spmatrix | None, C: np.ndarray | None,
                   t0: int, t1: int, dims: tuple[int, int]) -> np.ndarray | float:
    """``A C[:, t0:t1]`` as ``(t1 - t0, H, W)`` frames (0 without components)."""
    if A is None or C is None or A.shape[1] == 0:
        return 0.0
    ac = A @ np.asarray(C[:, t0:t1], dtype=np.float32)  # (n_pixels, n) Fortran pixel order
    ac = np.asarray(ac, dtype=np.float32)
    return ac.reshape(dims[1], dims[0], -1).transpose(2, 1, 0)


def _check_inputs(Y, A, C) -> None:
    if len(Y.shape) != 3:
        raise ParameterError(f"the movie must be (T, H, W), got shape {Y.shape}")
    T, H, W = Y.shape
    if A is not None:
        if A.shape[0] != H * W:
            raise ParameterError(f"A has {A.shape[0]} rows but the movie has {H * W} pixels")
        if C is None or C.shape != (A.shape[1], T):
            raise ParameterError(f"C must be ({A.shape[1]}, {T}) to match A and the movie, got "
                                 f"{None if C is None else C.shape}")


@dataclass
class RingModel:
    """A fitted ring model: ``W`` ``(n, n)`` csr float32 over the downsampled grid (pixels in
    Fortran order over ``downsampled_dims(dims, ssub)``), ``b0`` ``(H*W,)`` float32 (Fortran
    order over ``dims``), ``radius`` the ring radius in full-resolution pixels."""

    W: scipy.sparse.csr_matrix
    b0: np.ndarray
    dims: tuple[int, int]
    ssub: int
    radius: float

    @property
    def b0_image(self) -> np.ndarray:
        """``b0`` as a ``(H, W)`` image."""
        return self.b0.reshape(self.dims[1], self.dims[0]).T

    def background(self, Y: np.ndarray, A=None, C=None, t0: int = 0) -> np.ndarray:
        """Background ``(n, H, W)`` float32 of frames ``Y`` ``(n, H, W)`` (frames ``t0`` to
        ``t0 + n`` of the movie) given components ``A`` ``(H*W, K)`` and ``C`` ``(K, T)``."""
        n = Y.shape[0]
        b0 = self.b0_image
        X = np.asarray(Y, np.float32) - _neuron_frames(A, C, t0, t0 + n, self.dims) - b0
        Xd = downsample_frames(X, self.ssub)
        h, w = Xd.shape[1:]
        flat = Xd.transpose(0, 2, 1).reshape(n, h * w)  # Fortran pixel order
        fluct = (self.W @ flat.T).T.reshape(n, w, h).transpose(0, 2, 1)
        return upsample_frames(np.ascontiguousarray(fluct), self.ssub, self.dims) + b0

    def update(self, Y: np.ndarray, A=None, C=None, tsub: int = 1,
               chunk_frames: int = 500) -> "RingModel":
        """Refit ``W`` and ``b0`` on new components (same radius and downsampling)."""
        return fit_ring_model(Y, A, C, self.radius, self.ssub, tsub, chunk_frames)

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays for an npz file (no pickle); inverse of ``from_arrays``."""
        W = self.W.tocsr()
        return {"ring_W_data": W.data, "ring_W_indices": W.indices, "ring_W_indptr": W.indptr,
                "ring_W_shape": np.array(W.shape), "ring_b0": self.b0,
                "ring_dims": np.array(self.dims), "ring_ssub": np.array(self.ssub),
                "ring_radius": np.array(self.radius)}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> "RingModel":
        """Rebuild a model from ``to_arrays`` output (a dict or an open npz file)."""
        W = scipy.sparse.csr_matrix((arrays["ring_W_data"], arrays["ring_W_indices"],
                                     arrays["ring_W_indptr"]),
                                    shape=tuple(int(s) for s in arrays["ring_W_shape"]))
        return cls(W=W, b0=np.asarray(arrays["ring_b0"], np.float32),
                   dims=tuple(int(d) for d in arrays["ring_dims"]),
                   ssub=int(arrays["ring_ssub"]), radius=float(arrays["ring_radius"]))


def read_rows(Y, t0: int, t1: int, y0: int, y1: int) -> np.ndarray:
    """Frames ``t0:t1``, rows ``y0:y1``, all columns of ``Y`` (a ``(T, H, W)`` array or memmap, or
    a :class:`~mesmerize.engines.cnmf.movie.MovieReader`) as a new float32 array
    ``(t1 - t0, y1 - y0, W)`` (never a view of ``Y``: callers modify it)."""
    if isinstance(Y, MovieReader):
        return Y.block(t0, t1, y0, y1).astype(np.float32)
    return np.array(Y[t0:t1, y0:y1], dtype=np.float32)


def neuron_rows(A: scipy.sparse.csr_matrix | None, C: np.ndarray | None, t0: int, t1: int,
                dims: tuple[int, int], y0: int, y1: int) -> np.ndarray | float:
    """``A C[:, t0:t1]`` on rows ``y0:y1`` as ``(t1 - t0, y1 - y0, W)`` float32 (0 without
    components); ``A`` ``(H*W, K)`` csr, Fortran pixel order over ``dims``."""
    if A is None or C is None or A.shape[1] == 0:
        return 0.0
    H, W = dims
    ids = (np.arange(y0, y1)[:, None] + H * np.arange(W)[None, :]).ravel()
    ac = np.asarray(A[ids] @ np.asarray(C[:, t0:t1], dtype=np.float32), dtype=np.float32)
    return ac.reshape(y1 - y0, W, t1 - t0).transpose(2, 0, 1)


def _chunk_frames_for(dims: tuple[int, int], n_rows: int, max_bytes: int) -> int:
    return int(max(1, max_bytes // (4 * max(n_rows, 1) * dims[1])))


def _static_level(Y, A, C, dims: tuple[int, int], T: int, chunk_bytes: int) -> np.ndarray:
    """``mean_t(Y) - A mean_t(C)`` as a ``(H, W)`` float32 image (frames read in chunks)."""
    H, W = dims
    mean_y = np.zeros(dims)
    step = _chunk_frames_for(dims, H, chunk_bytes)
    for t0 in range(0, T, step):
        block = read_rows(Y, t0, min(t0 + step, T), 0, H)
        if not np.all(np.isfinite(block)):
            raise ParameterError("the movie contains NaN or infinite values; replace them before "
                                 "fitting the background")
        mean_y += block.sum(axis=0, dtype=np.float64)
    mean_y /= T
    if A is not None:
        mean_y -= _neuron_frames(A, C.mean(axis=1, keepdims=True), 0, 1, dims)[0]
    return mean_y.astype(np.float32)


def fit_ring_model(Y, A=None, C=None, radius: float = 25.0, ssub: int = 2,
                   tsub: int = 1, chunk_frames: int = 500,
                   band_bytes: int = BAND_BYTES) -> RingModel:
    """Fit the ring model to ``Y`` ``(T, H, W)`` minus ``A C``.

    ``Y``: an array, a memmap or a :class:`~mesmerize.engines.cnmf.movie.MovieReader` (read in
    blocks, never whole); ``A``: ``(H*W, K)`` footprints (Fortran pixel order, dense or sparse)
    or None; ``C``: ``(K, T)``; ``radius``: ring radius in pixels (``ring_size_factor * gSiz``);
    ``ssub``: spatial downsampling of the fit; ``tsub``: the fit uses means of ``tsub``
    consecutive frames (the background is slow; the cost falls ``tsub``-fold); ``chunk_frames``:
    frames read at a time (rounded to a multiple of ``tsub``).

    Each pixel's weights only need the residual on its ring, so the rows of the downsampled grid
    are fitted in bands, each from the residual of the band plus ``r + 1`` rows either side
    (``r`` the downsampled radius), zero outside the image. Memory: about ``band_bytes`` (at
    least ``3 (r + 1)`` downsampled rows by ``T / tsub`` frames), independent of the field of
    view's height; the result does not depend on the banding. Time: about ``n_pixels / ssub^2 *
    n_ring^2 * T / tsub`` multiply-adds, ``n_ring ~ 2 pi r``.
    """
    _check_inputs(Y, A, C)
    T, H, W = (int(n) for n in Y.shape)
    dims = (H, W)
    ssub, tsub = int(ssub), int(tsub)
    if ssub < 1 or tsub < 1:
        raise ParameterError(f"ssub and tsub must be >= 1, got {ssub} and {tsub}")
    r = int(round(radius / ssub))
    h, w = downsampled_dims(dims, ssub)
    if r < 1 or r + 1 >= max(h, w):
        raise ParameterError(f"a ring of radius {radius:.1f} px (downsampled {ssub}x: {r}) does "
                             f"not fit a {H}x{W} field of view; lower ring_size_factor or gSig, "
                             "or use a larger patch (rf)")
    A = None if A is None else scipy.sparse.csr_matrix(A, dtype=np.float32)
    b0 = _static_level(Y, A, C, dims, T, band_bytes)
    pad = r + 1
    wp = w + 2 * pad
    n_fit = (T - 1) // tsub + 1
    row_bytes = 4 * wp * n_fit
    band_h = int(max(pad, band_bytes // row_bytes - 2 * pad))
    offsets = ring_offsets(r)
    ring_flat = offsets[:, 0] * wp + offsets[:, 1]
    n_ring = len(offsets)
    rows, cols, vals = [], [], []
    for ty0 in range(0, h, band_h):
        ty1 = min(ty0 + band_h, h)
        Xt = _padded_residual(Y, A, C, b0, ty0 - pad, ty1 + pad, dims, ssub, tsub,
                              chunk_frames, pad)
        # targets: downsampled rows ty0:ty1, Fortran order; flat indices into the padded band
        tx, ty = np.meshgrid(np.arange(w), np.arange(ty0, ty1), indexing="ij")
        ty, tx = ty.ravel(), tx.ravel()
        target = (ty - ty0 + pad) * wp + (tx + pad)
        batch = max(1, _BATCH_BYTES // (4 * n_ring * n_fit))
        for s in range(0, target.size, batch):
            tgt = target[s:s + batch]
            idx = tgt[:, None] + ring_flat[None, :]
            B = Xt[idx]  # (nb, n_ring, n_fit)
            M = np.einsum("pit,pjt->pij", B, B, optimize=True).astype(np.float64)
            rhs = np.einsum("pit,pt->pi", B, Xt[tgt], optimize=True).astype(np.float64)
            tr = np.trace(M, axis1=1, axis2=2)
            M[:, np.arange(n_ring), np.arange(n_ring)] += (RIDGE * tr + (tr == 0))[:, None]
            wts = np.linalg.solve(M, rhs[:, :, None])[:, :, 0]
            ry = ty[s:s + batch, None] + offsets[None, :, 0]
            rx = tx[s:s + batch, None] + offsets[None, :, 1]
            inside = (ry >= 0) & (ry < h) & (rx >= 0) & (rx < w)
            pix = (ty[s:s + batch] + h * tx[s:s + batch])[:, None].repeat(n_ring, axis=1)
            rows.append(pix[inside])
            cols.append((ry + rx * h)[inside])
            vals.append(wts[inside])
        del Xt
    n = h * w
    Wmat = scipy.sparse.csr_matrix((np.concatenate(vals).astype(np.float32),
                                    (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
    return RingModel(W=Wmat, b0=b0.T.ravel(), dims=dims, ssub=ssub, radius=float(radius))


def _padded_residual(Y, A, C, b0: np.ndarray, gy0: int, gy1: int, dims: tuple[int, int],
                     ssub: int, tsub: int, chunk_frames: int, pad: int) -> np.ndarray:
    """Downsampled residual ``Y - A C - b0`` on downsampled rows ``gy0:gy1`` (zero outside the
    image) and all columns padded by ``pad`` zeros either side, as ``(rows * (w + 2 pad),
    n_fit)`` float32 (row-major pixels, time means of ``tsub`` frames)."""
    H, W = dims
    T = Y.shape[0]
    h, w = downsampled_dims(dims, ssub)
    n_fit = (T - 1) // tsub + 1
    Xt = np.zeros((gy1 - gy0, w + 2 * pad, n_fit), np.float32)
    ly0, ly1 = max(gy0, 0), min(gy1, h)
    y0, y1 = ly0 * ssub, min(ly1 * ssub, H)
    step = max(1, min(chunk_frames, _chunk_frames_for(dims, y1 - y0, BAND_BYTES)) // tsub) * tsub
    for t0 in range(0, T, step):
        t1 = min(t0 + step, T)
        block = read_rows(Y, t0, t1, y0, y1)
        block -= neuron_rows(A, C, t0, t1, dims, y0, y1)
        block -= b0[y0:y1]
        block = _time_means(downsample_frames(block, ssub), tsub)
        s = t0 // tsub
        Xt[ly0 - gy0:ly1 - gy0, pad:pad + w, s:s + len(block)] = block.transpose(1, 2, 0)
    return Xt.reshape(-1, n_fit)
