"""Spatial update of CNMF: non-negative regression of each pixel on the traces.

For fixed traces ``V = [C; f]`` ((K + nb), T) each pixel's row ``[a_p, b_p]`` minimises
``||y_p - [a_p, b_p] V||^2`` with ``a_p, b_p >= 0``, where ``a_pk`` may be non-zero only inside
a dilated support of component k's previous footprint (Pnevmatikakis et al. 2016). The problem
is solved for all pixels at once by HALS (exact block coordinate descent on the Gram form
``Q = V V^T``, ``q = Y V^T``). Afterwards each footprint keeps the pixels above ``max_thr`` of
its maximum and its largest connected piece (CaImAn's ``threshold_components`` 'max' method).
"""
from __future__ import annotations

import numpy as np
import scipy.ndimage as ndi
import scipy.sparse


def disk(radius: int) -> np.ndarray:
    """Boolean disk structuring element of the given radius (pixels)."""
    r = np.arange(-radius, radius + 1)
    return (r[:, None] ** 2 + r[None, :] ** 2) <= radius ** 2


def search_supports(A: scipy.sparse.spmatrix, dims: tuple[int, int], radius: int) -> list[np.ndarray]:
    """Pixel indices (Fortran order) of each footprint's support dilated by ``radius``."""
    H, W = dims
    A = scipy.sparse.csc_matrix(A)
    se = disk(radius)
    out = []
    for k in range(A.shape[1]):
        img = np.zeros(H * W, bool)
        img[A.indices[A.indptr[k]:A.indptr[k + 1]]] = True
        grown = ndi.binary_dilation(img.reshape((H, W), order="F"), structure=se)
        out.append(np.flatnonzero(grown.ravel(order="F")))
    return out


def clean_footprint(a: np.ndarray, dims: tuple[int, int], max_thr: float = 0.1) -> np.ndarray:
    """Zero the pixels of footprint ``a`` (n_pixels,) below ``max_thr * max`` and outside its
    largest connected piece."""
    peak = a.max() if a.size else 0.0
    if peak <= 0:
        return np.zeros_like(a)
    img = (a >= max_thr * peak).reshape(dims, order="F")
    labels, n = ndi.label(img)
    if n > 1:
        sizes = ndi.sum(a.reshape(dims, order="F"), labels, index=np.arange(1, n + 1))
        img = labels == (1 + int(np.argmax(sizes)))
    return np.where(img.ravel(order="F"), a, 0).astype(a.dtype)


def update_spatial(Yr: np.ndarray, C: np.ndarray, f: np.ndarray, A: scipy.sparse.spmatrix,
                   b: np.ndarray, dims: tuple[int, int], radius: int, n_sweeps: int = 20,
                   max_thr: float = 0.1) -> tuple[scipy.sparse.csc_matrix, np.ndarray]:
    """New footprints ``A`` (n_pixels, K) sparse and background ``b`` (n_pixels, nb).

    Yr : (n_pixels, T) movie; C : (K, T); f : (nb, T); A, b : previous estimates (warm start and
    supports). A component whose footprint vanishes keeps an all-zero column (callers drop it).
    """
    K, nb = C.shape[0], f.shape[0]
    V = np.vstack([C, f]).astype(np.float32)
    Q = (V @ V.T).astype(np.float64)
    # float32 pixel-by-component matrices: they dominate the memory of a full-FOV update
    q = np.asarray(Yr @ V.T, dtype=np.float32)
    X = np.hstack([scipy.sparse.csc_matrix(A).toarray(), np.asarray(b)]).astype(np.float32)
    supports = search_supports(A, dims, radius)
    for k in range(K):
        outside = np.ones(X.shape[0], bool)
        outside[supports[k]] = False
        X[outside, k] = 0.0
    rows = supports + [slice(None)] * nb
    Qf = Q.astype(np.float32)
    for _ in range(n_sweeps):
        for j in range(K + nb):
            if Q[j, j] <= 0:
                X[rows[j], j] = 0.0
                continue
            r = rows[j]
            X[r, j] = np.maximum(X[r, j] + (q[r, j] - X[r] @ Qf[:, j]) / Qf[j, j], 0.0)
    A_new = np.column_stack([clean_footprint(X[:, k], dims, max_thr) for k in range(K)]) \
        if K else np.zeros((X.shape[0], 0))
    return scipy.sparse.csc_matrix(A_new.astype(np.float32)), X[:, K:].copy()
