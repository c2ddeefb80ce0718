"""Initialisation of CNMF: greedy ROI search (Pnevmatikakis et al. 2016) and background NMF.

Greedy ROI: the movie minus each pixel's temporal median is blurred with a Gaussian of width
``gSig``; the pixel with the largest blurred energy ``sum_t rho^2`` is the centre of the next
neuron. A rank-1 non-negative factorisation ``a c`` of the data in a window of half-size
``2 gSig + 1`` around it gives the footprint and trace; ``a c`` is removed from the data and the
energy is updated locally before the next search. Pixels within ``gSig`` of a chosen centre
are not chosen again (the residual of a fitted neuron would otherwise attract duplicates).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import scipy.sparse

from mesmerize.core.errors import ParameterError
from mesmerize.engines.cnmf.streaming import InMemoryPixels, PixelSource


def pixels_to_cube(Yr: np.ndarray, dims: tuple[int, int]) -> np.ndarray:
    """(n_pixels, T) in Fortran pixel order -> (H, W, T) view/copy."""
    H, W = dims
    return Yr.reshape(W, H, -1).transpose(1, 0, 2)


_TRUNCATE = 2.0


def _blur_matrix(n: int, sigma: float) -> np.ndarray:
    """(n, n) float32 matrix of the 1-D Gaussian filter of ``scipy.ndimage.gaussian_filter1d``
    (``truncate=_TRUNCATE``, ``mode="constant"``: zero outside the image)."""
    r = int(_TRUNCATE * sigma + 0.5)
    x = np.arange(-r, r + 1)
    phi = np.exp(-0.5 * x ** 2 / sigma ** 2)
    phi /= phi.sum()
    offset = np.arange(n)[None, :] - np.arange(n)[:, None]
    G = np.zeros((n, n), np.float32)
    inside = np.abs(offset) <= r
    G[inside] = phi[offset[inside] + r]
    return G


def _blur(cube: np.ndarray, gSig: tuple[int, int]) -> np.ndarray:
    """Gaussian blur of (h, w, T) over the two spatial axes (separable, as two matrix products)."""
    h, w, T = cube.shape
    out = (_blur_matrix(h, gSig[0]) @ cube.reshape(h, w * T)).reshape(h, w, T)
    return np.matmul(_blur_matrix(w, gSig[1])[None], out)


def _rank1_nmf(D: np.ndarray, c: np.ndarray, n_iter: int = 5) -> tuple[np.ndarray, np.ndarray]:
    c = np.maximum(c, 0)
    a = np.zeros(D.shape[0], dtype=D.dtype)
    for _ in range(n_iter):
        cc = float(c @ c)
        if cc <= 0:
            break
        a = np.maximum(D @ c / cc, 0)
        aa = float(a @ a)
        if aa <= 0:
            break
        c = np.maximum(a @ D / aa, 0)
    return a, c


def greedy_roi(Yr: np.ndarray, dims: tuple[int, int], K: int, gSig: tuple[int, int],
               n_iter: int = 5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Greedy initialisation of ``K`` components.

    Yr : (n_pixels, T) float32, Fortran pixel order over ``dims = (H, W)``.
    Returns ``A`` (n_pixels, K) float32 footprints, ``C`` (K, T) float32 traces and the
    per-pixel temporal median (n_pixels,) that was subtracted before the search.
    """
    H, W = dims
    T = Yr.shape[1]
    gy, gx = gSig
    if 2 * gy + 1 > H or 2 * gx + 1 > W:
        raise ParameterError(f"gSig={gSig} is too large for a field of view (or patch) of "
                             f"{H}x{W} pixels: a neuron of radius gSig must fit (2*gSig+1 <= size);"
                             " lower gSig or enlarge rf")
    med = np.median(Yr, axis=1)
    cube = pixels_to_cube(Yr - med[:, None], dims).copy()
    rho = _blur(cube, gSig)
    energy = np.sum(rho ** 2, axis=2)
    wy, wx = 2 * gy + 1, 2 * gx + 1
    reach_y, reach_x = int(_TRUNCATE * gy + 0.5), int(_TRUNCATE * gx + 0.5)
    suppressed = np.zeros((H, W), bool)
    ry, rx = np.ogrid[-gy:gy + 1, -gx:gx + 1]
    core = (ry / gy) ** 2 + (rx / gx) ** 2 <= 1.0
    A = np.zeros((H, W, K), dtype=np.float32)
    C = np.zeros((K, T), dtype=np.float32)
    for k in range(K):
        y, x = np.unravel_index(int(np.argmax(energy)), energy.shape)
        if energy[y, x] <= 0:
            return (A[:, :, :k].transpose(1, 0, 2).reshape(H * W, k), C[:k], med)
        ys, xs = slice(max(y - wy, 0), min(y + wy + 1, H)), slice(max(x - wx, 0), min(x + wx + 1, W))
        D = cube[ys, xs].reshape(-1, T)
        a, c = _rank1_nmf(D, rho[y, x].copy(), n_iter)
        A[ys, xs, k] = a.reshape(cube[ys, xs].shape[:2])
        C[k] = c
        cube[ys, xs] -= (a[:, None] * c[None, :]).reshape(cube[ys, xs].shape)
        # The blur is linear, so removing the rank-1 a c from the window changes rho by the
        # blurred footprint (reaching reach_y/x beyond the window) times c.
        oy = slice(max(ys.start - reach_y, 0), min(ys.stop + reach_y, H))
        ox = slice(max(xs.start - reach_x, 0), min(xs.stop + reach_x, W))
        img = np.zeros((oy.stop - oy.start, ox.stop - ox.start, 1), np.float32)
        img[ys.start - oy.start:ys.stop - oy.start, xs.start - ox.start:xs.stop - ox.start, 0] = \
            a.reshape(cube[ys, xs].shape[:2])
        rho[oy, ox] -= _blur(img, gSig) * c[None, None, :]
        cy = slice(max(y - gy, 0), min(y + gy + 1, H))
        cx = slice(max(x - gx, 0), min(x + gx + 1, W))
        suppressed[cy, cx] |= core[cy.start - y + gy:cy.stop - y + gy,
                                   cx.start - x + gx:cx.stop - x + gx]
        energy[oy, ox] = np.sum(rho[oy, ox] ** 2, axis=2)
        energy[suppressed] = 0.0
    return A.transpose(1, 0, 2).reshape(H * W, K), C, med


def background_nmf(R: np.ndarray, nb: int, n_iter: int = 30,
                   tol: float = 1e-4) -> tuple[np.ndarray, np.ndarray]:
    """Rank-``nb`` non-negative factorisation ``R ~ b f`` of a residual R (n_pixels, T).

    Negative values of R are clipped to 0; see ``hals_nmf`` for the start and the stopping
    rule. Returns ``b`` (n_pixels, nb), ``f`` (nb, T) float32.
    """
    P, T = R.shape
    if nb == 0:
        return np.zeros((P, 0), np.float32), np.zeros((0, T), np.float32)
    R = np.maximum(R, 0).astype(np.float32, copy=False)
    return hals_nmf(lambda fT: R @ fT, lambda b: b.T @ R, float(np.vdot(R, R)), P, T, nb,
                    n_iter, tol, np.float32)


def hals_nmf(r_times: Callable[[np.ndarray], np.ndarray],
             rt_times: Callable[[np.ndarray], np.ndarray], rr: float, n_rows: int, n_cols: int,
             nb: int, n_iter: int, tol: float, dtype: type = np.float32
             ) -> tuple[np.ndarray, np.ndarray]:
    """Rank-``nb`` non-negative factorisation ``R ~ b f`` of an (n_rows, n_cols) matrix R known
    through its products: ``r_times(f.T)`` = ``R f^T`` (n_rows, nb), ``rt_times(b)`` = ``b^T R``
    (nb, n_cols), and ``rr`` = ``||R||^2``, so R itself need not exist.

    Starts from a constant trace (the static background) plus slow cosines, refines by HALS for
    at most ``n_iter`` rounds and stops when a round lowers ``||R - b f||^2`` by less than
    ``tol`` of it. Returns ``b`` (n_rows, nb) and ``f`` (nb, n_cols) of ``dtype``.
    """
    t = np.arange(n_cols, dtype=dtype)
    f = np.stack([1.0 + 0.5 * np.cos(np.pi * j * (t + 0.5) / n_cols) if j
                  else np.ones(n_cols, dtype) for j in range(nb)]).astype(dtype)
    b = np.zeros((n_rows, nb), dtype)
    last = np.inf
    for _ in range(n_iter):
        ff = f @ f.T
        Rf = r_times(f.T)
        for j in range(nb):
            b[:, j] = np.maximum(b[:, j] + (Rf[:, j] - b @ ff[:, j]) / max(ff[j, j], 1e-12), 0)
        # ||R - b f||^2 from the products at hand (b just updated for this f)
        err = rr - 2.0 * float(np.sum(b * Rf)) + float(np.sum((b.T @ b) * ff))
        if last - err < tol * max(err, 1e-30):
            break
        last = err
        bb = b.T @ b
        bR = rt_times(b)
        for j in range(nb):
            f[j] = np.maximum(f[j] + (bR[j] - bb[j] @ f) / max(bb[j, j], 1e-12), 0)
    return b, f


def _hals_rows(R_f: np.ndarray, ff: np.ndarray, b: np.ndarray, n_iter: int) -> np.ndarray:
    """Non-negative rows ``b`` (n, nb) minimising ``||R - b f||`` given ``R f^T`` and ``f f^T``."""
    for _ in range(n_iter):
        for j in range(b.shape[1]):
            b[:, j] = np.maximum(b[:, j] + (R_f[:, j] - b @ ff[:, j]) / max(ff[j, j], 1e-12), 0)
    return b


def background_of_source(source: PixelSource, dims: tuple[int, int],
                         A: scipy.sparse.spmatrix, C: np.ndarray, nb: int,
                         max_bytes: int = 64 * 2**20) -> tuple[np.ndarray, np.ndarray]:
    """:func:`background_nmf` of the residual ``Y - A C`` of a pixel source, out of core.

    An in-memory source is factorised directly. Otherwise the residual is averaged over
    ``d x d`` pixel blocks (the smallest d for which the coarse residual fits ``max_bytes``)
    in one streamed pass and factorised to get ``f``; a second pass fits each pixel's ``b``
    to ``f`` (non-negative least squares) and updates ``f`` once for that ``b``.
    Returns ``b`` (n_pixels, nb), ``f`` (nb, T) float32.
    """
    P, T = source.n_pixels, source.n_frames
    if nb == 0:
        return np.zeros((P, 0), np.float32), np.zeros((0, T), np.float32)
    A = scipy.sparse.csr_matrix(A, dtype=np.float32)
    C32 = np.asarray(C, dtype=np.float32)
    if isinstance(source, InMemoryPixels):
        return background_nmf(source.Yr - np.asarray(A @ C32, dtype=np.float32), nb)
    H, W = dims
    d = 1
    while -(-H // d) * -(-W // d) * T * 4 > max_bytes:
        d += 1
    Hc, Wc = -(-H // d), -(-W // d)
    coarse_of = (np.arange(P) % H) // d + Hc * ((np.arange(P) // H) // d)
    Rc = np.zeros((Hc * Wc, T), np.float32)
    for ids, Y in source.bands():
        R = np.maximum(Y - A[ids] @ C32, 0)
        S = scipy.sparse.csr_matrix((np.ones(len(ids), np.float32),
                                     (coarse_of[ids], np.arange(len(ids)))), shape=(Hc * Wc, len(ids)))
        Rc += S @ R
    Rc /= np.bincount(coarse_of, minlength=Hc * Wc)[:, None].astype(np.float32)
    b_c, f = background_nmf(Rc, nb)
    del Rc
    ff = f @ f.T
    b = np.zeros((P, nb), np.float32)
    bR = np.zeros((nb, T), np.float32)
    for ids, Y in source.bands():
        R = np.maximum(Y - A[ids] @ C32, 0)
        b[ids] = _hals_rows(R @ f.T, ff, b_c[coarse_of[ids]].copy(), 30)
        bR += b[ids].T @ R
    bb = b.T @ b
    for j in range(nb):
        f[j] = np.maximum(f[j] + (bR[j] - bb[j] @ f) / max(bb[j, j], 1e-12), 0)
    return b, f
