"""Spatial update of CNMF: non-negative regression of each pixel on the traces.

For fixed traces ``V = [C; f]`` ((K + nb), T) each pixel's row ``[a_p, b_p]`` minimises
``||y_p - [a_p, b_p] V||^2`` with ``a_p, b_p >= 0``, where ``a_pk`` may be non-zero only inside
a dilated support of component k's previous footprint (Pnevmatikakis et al. 2016). Pixels are
independent: each is solved by HALS (exact coordinate descent on the Gram form ``Q = V V^T``,
``q_p = y_p V^T``) over its few active components and the background, in a compiled loop.
Only the products ``q`` on the supports and ``Y f^T`` are taken from the data (one streamed
pass, see ``streaming.support_products``), so the update never holds a pixels x components
or pixels x frames matrix. Afterwards each footprint keeps the pixels above ``max_thr`` of its
maximum and its largest connected piece (CaImAn's ``threshold_components`` 'max' method).
"""
from __future__ import annotations

import numba
import numpy as np
import scipy.ndimage as ndi
import scipy.sparse

from mesmerize.engines.cnmf.streaming import PixelSource, as_source, support_products


def disk(radius: int) -> np.ndarray:
    """Boolean disk structuring element of the given radius (pixels)."""
    r = np.arange(-radius, radius + 1)
    return (r[:, None] ** 2 + r[None, :] ** 2) <= radius ** 2


def _boxes(A: scipy.sparse.csc_matrix, dims: tuple[int, int], k: int, margin: int):
    """Pixel (y, x) of column k's non-zeros and its bounding box grown by ``margin``."""
    idx = A.indices[A.indptr[k]:A.indptr[k + 1]]
    y, x = idx % dims[0], idx // dims[0]
    y0, x0 = max(int(y.min()) - margin, 0), max(int(x.min()) - margin, 0)
    y1, x1 = min(int(y.max()) + margin + 1, dims[0]), min(int(x.max()) + margin + 1, dims[1])
    return y, x, (y0, y1, x0, x1)


def search_supports(A: scipy.sparse.spmatrix, dims: tuple[int, int],
                    radius: int) -> scipy.sparse.csc_matrix:
    """Boolean (n_pixels, K) pattern: each footprint's support dilated by a disk of ``radius``
    (computed on the footprint's bounding box)."""
    H, W = dims
    A = scipy.sparse.csc_matrix(A)
    A.eliminate_zeros()
    se = disk(radius)
    rows, cols = [], []
    for k in range(A.shape[1]):
        if A.indptr[k] == A.indptr[k + 1]:
            continue
        y, x, (y0, y1, x0, x1) = _boxes(A, dims, k, radius)
        img = np.zeros((y1 - y0, x1 - x0), bool)
        img[y - y0, x - x0] = True
        gy, gx = np.nonzero(ndi.binary_dilation(img, structure=se))
        rows.append((gy + y0) + H * (gx + x0))
        cols.append(np.full(gy.size, k))
    if not rows:
        return scipy.sparse.csc_matrix((H * W, A.shape[1]), dtype=bool)
    r, c = np.concatenate(rows), np.concatenate(cols)
    out = scipy.sparse.csc_matrix((np.ones(r.size, bool), (r, c)), shape=(H * W, A.shape[1]))
    out.sort_indices()
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


def clean_footprints(A: scipy.sparse.spmatrix, dims: tuple[int, int],
                     max_thr: float = 0.1) -> scipy.sparse.csc_matrix:
    """:func:`clean_footprint` of every column of ``A`` (n_pixels, K), each on its bounding box."""
    A = scipy.sparse.csc_matrix(A)
    A.eliminate_zeros()
    out = []
    for k in range(A.shape[1]):
        if A.indptr[k] == A.indptr[k + 1]:
            out.append(scipy.sparse.csc_matrix((A.shape[0], 1), dtype=A.dtype))
            continue
        y, x, (y0, y1, x0, x1) = _boxes(A, dims, k, 0)
        box = np.zeros((y1 - y0, x1 - x0), A.dtype)
        box[y - y0, x - x0] = A.data[A.indptr[k]:A.indptr[k + 1]]
        kept = clean_footprint(box.ravel(order="F"), box.shape, max_thr).reshape(box.shape,
                                                                                 order="F")
        gy, gx = np.nonzero(kept)
        out.append(scipy.sparse.csc_matrix(
            (kept[gy, gx], ((gy + y0) + dims[0] * (gx + x0), np.zeros(gy.size, int))),
            shape=(A.shape[0], 1)))
    if not out:
        return scipy.sparse.csc_matrix((A.shape[0], 0), dtype=A.dtype)
    return scipy.sparse.hstack(out, format="csc")


@numba.njit(cache=True, nogil=True)
def _hals_pixels(indptr, indices, q, x, qb, xb, Q, n_sweeps):
    # Per pixel i: coordinate descent over its component entries indptr[i]:indptr[i+1] (columns
    # ``indices``, data q/x) and then its nb background entries (columns K.., data qb/xb[i]).
    n_pix = indptr.size - 1
    nb = qb.shape[1]
    K = Q.shape[0] - nb
    for i in range(n_pix):
        lo, hi = indptr[i], indptr[i + 1]
        for _ in range(n_sweeps):
            for e in range(lo, hi):
                j = indices[e]
                d = Q[j, j]
                if d <= 0.0:
                    x[e] = 0.0
                    continue
                acc = 0.0
                for e2 in range(lo, hi):
                    acc += x[e2] * Q[indices[e2], j]
                for m in range(nb):
                    acc += xb[i, m] * Q[K + m, j]
                x[e] = max(x[e] + (q[e] - acc) / d, 0.0)
            for mj in range(nb):
                j = K + mj
                d = Q[j, j]
                if d <= 0.0:
                    xb[i, mj] = 0.0
                    continue
                acc = 0.0
                for e2 in range(lo, hi):
                    acc += x[e2] * Q[indices[e2], j]
                for m in range(nb):
                    acc += xb[i, m] * Q[K + m, j]
                xb[i, mj] = max(xb[i, mj] + (qb[i, mj] - acc) / d, 0.0)


def _values_on(pattern: scipy.sparse.csr_matrix, A: scipy.sparse.spmatrix) -> np.ndarray:
    """Values of ``A`` at the entries of ``pattern`` (both (n_pixels, K), CSR sorted), 0 where
    A has none."""
    A = scipy.sparse.csr_matrix(A)
    A.sort_indices()
    K = pattern.shape[1]
    key_p = np.repeat(np.arange(pattern.shape[0], dtype=np.int64), np.diff(pattern.indptr)) * K \
        + pattern.indices
    key_a = np.repeat(np.arange(A.shape[0], dtype=np.int64), np.diff(A.indptr)) * K + A.indices
    pos = np.minimum(np.searchsorted(key_a, key_p), max(key_a.size - 1, 0))
    out = np.zeros(key_p.size)
    if key_a.size:
        hit = key_a[pos] == key_p
        out[hit] = A.data[pos[hit]]
    return out


def update_spatial(Yr: np.ndarray | PixelSource, C: np.ndarray, f: np.ndarray,
                   A: scipy.sparse.spmatrix, b: np.ndarray, dims: tuple[int, int], radius: int,
                   n_sweeps: int = 20, max_thr: float = 0.1
                   ) -> tuple[scipy.sparse.csc_matrix, np.ndarray]:
    """New footprints ``A`` (n_pixels, K) sparse and background ``b`` (n_pixels, nb).

    Yr : (n_pixels, T) movie or a :class:`~mesmerize.engines.cnmf.streaming.PixelSource`;
    C : (K, T); f : (nb, T); A, b : previous estimates (warm start and supports). A component
    whose footprint vanishes keeps an all-zero column (callers drop it).
    """
    source = as_source(Yr)
    nb = f.shape[0]
    V = np.vstack([C, f]).astype(np.float64)
    Q = V @ V.T
    support = search_supports(A, dims, radius)
    q_csc, qb = support_products(source, support, C, f)
    # the support's entries in pixel (CSR) order, with the products and the warm start on them
    sup_csc = scipy.sparse.csc_matrix((q_csc, support.indices, support.indptr), shape=support.shape)
    sup_csr = sup_csc.tocsr()
    sup_csr.sort_indices()
    x = _values_on(sup_csr, A)
    xb = np.ascontiguousarray(np.asarray(b, dtype=np.float64).reshape(source.n_pixels, nb))
    qb = np.zeros((source.n_pixels, 0)) if qb is None else np.ascontiguousarray(qb)
    _hals_pixels(sup_csr.indptr.astype(np.int64), sup_csr.indices.astype(np.int64),
                 sup_csr.data.astype(np.float64), x, qb, xb, Q, n_sweeps)
    A_new = scipy.sparse.csr_matrix((x.astype(np.float32), sup_csr.indices, sup_csr.indptr),
                                    shape=sup_csr.shape)
    return clean_footprints(A_new, dims, max_thr), xb.astype(np.float32)
