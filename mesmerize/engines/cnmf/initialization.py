"""Initialisation of CNMF: greedy ROI search (Pnevmatikakis et al. 2016) and background NMF.

Greedy ROI: the movie minus each pixel's temporal median is blurred with a Gaussian of width
``gSig``; the pixel with the largest blurred energy ``sum_t rho^2`` is the centre of the next
neuron. A rank-1 non-negative factorisation ``a c`` of the data in a window of half-size
``2 gSig + 1`` around it gives the footprint and trace; ``a c`` is removed from the data and the
energy is updated locally before the next search. Pixels within ``gSig`` of a chosen centre
are not chosen again (the residual of a fitted neuron would otherwise attract duplicates).
"""
from __future__ import annotations

import numpy as np
import scipy.ndimage as ndi

from mesmerize.core.errors import ParameterError


def pixels_to_cube(Yr: np.ndarray, dims: tuple[int, int]) -> np.ndarray:
    """(n_pixels, T) in Fortran pixel order -> (H, W, T) view/copy."""
    H, W = dims
    return Yr.reshape(W, H, -1).transpose(1, 0, 2)


_TRUNCATE = 2.0


def _blur(cube: np.ndarray, gSig: tuple[int, int]) -> np.ndarray:
    return ndi.gaussian_filter(cube, sigma=(gSig[0], gSig[1], 0), truncate=_TRUNCATE,
                               mode="constant")


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
        # the blur of the changed pixels reaches reach_y (kernel radius) beyond the window; computing
        # it there needs data from twice that margin
        my = slice(max(ys.start - 2 * reach_y, 0), min(ys.stop + 2 * reach_y, H))
        mx = slice(max(xs.start - 2 * reach_x, 0), min(xs.stop + 2 * reach_x, W))
        local = _blur(cube[my, mx], gSig)
        iy = slice(max(ys.start - reach_y, 0) - my.start, min(ys.stop + reach_y, H) - my.start)
        ix = slice(max(xs.start - reach_x, 0) - mx.start, min(xs.stop + reach_x, W) - mx.start)
        oy = slice(iy.start + my.start, iy.stop + my.start)
        ox = slice(ix.start + mx.start, ix.stop + mx.start)
        rho[oy, ox] = local[iy, ix]
        cy = slice(max(y - gy, 0), min(y + gy + 1, H))
        cx = slice(max(x - gx, 0), min(x + gx + 1, W))
        suppressed[cy, cx] |= core[cy.start - y + gy:cy.stop - y + gy,
                                   cx.start - x + gx:cx.stop - x + gx]
        energy[oy, ox] = np.sum(rho[oy, ox] ** 2, axis=2)
        energy[suppressed] = 0.0
    return A.transpose(1, 0, 2).reshape(H * W, K), C, med


def background_nmf(R: np.ndarray, nb: int, n_iter: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """Rank-``nb`` non-negative factorisation ``R ~ b f`` of a residual R (n_pixels, T).

    Negative values of R are clipped to 0. Initialised with a constant and slow cosine
    traces, refined by HALS. Returns ``b`` (n_pixels, nb), ``f`` (nb, T)
    float32.
    """
    P, T = R.shape
    if nb == 0:
        return np.zeros((P, 0), np.float32), np.zeros((0, T), np.float32)
    R = np.maximum(R, 0).astype(np.float32, copy=False)
    # Start: a constant trace (the static background) plus slow cosines for further components;
    # HALS then fits both factors.
    t = np.arange(T, dtype=np.float32)
    f = np.stack([1.0 + 0.5 * np.cos(np.pi * j * (t + 0.5) / T) if j else np.ones(T, np.float32)
                  for j in range(nb)]).astype(np.float32)
    b = np.zeros((P, nb), np.float32)
    for _ in range(n_iter):
        ff = f @ f.T
        Rf = R @ f.T
        for j in range(nb):
            b[:, j] = np.maximum(b[:, j] + (Rf[:, j] - b @ ff[:, j]) / max(ff[j, j], 1e-12), 0)
        bb = b.T @ b
        bR = b.T @ R
        for j in range(nb):
            f[j] = np.maximum(f[j] + (bR[j] - bb[j] @ f) / max(bb[j, j], 1e-12), 0)
    return b, f
