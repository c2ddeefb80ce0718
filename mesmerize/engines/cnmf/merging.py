"""Merging of CNMF components that describe the same neuron.

Two components are merged when their footprints overlap (``a_i . a_j > 0``) and the
correlation of their traces exceeds ``merge_thresh``; merging is transitive (connected
components of that graph). A merged group is replaced by the rank-1 non-negative factorisation
of the sum of its members' contributions ``sum_i a_i c_i`` on their joint support. That sum
(support x T) is never formed: the alternating rank-1 updates only need its products with a
vector, ``S (C_g c)`` and ``(S^T a)^T C_g`` for the members' footprints ``S`` and traces
``C_g``, so a group spanning much of the field of view costs no more memory than its members.
"""
from __future__ import annotations

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph


def merge_groups(A: scipy.sparse.spmatrix, C: np.ndarray, merge_thresh: float) -> list[np.ndarray]:
    """Groups (index arrays, each of >= 2 components) to merge. A (n_pixels, K); C (K, T)."""
    K = C.shape[0]
    if K < 2:
        return []
    A = scipy.sparse.csc_matrix(A)
    overlap = np.asarray((A.T @ A).todense()) > 0
    Cc = C - C.mean(axis=1, keepdims=True)
    norms = np.linalg.norm(Cc, axis=1)
    norms[norms == 0] = np.inf
    corr = (Cc @ Cc.T) / np.outer(norms, norms)
    graph = overlap & (corr > merge_thresh)
    np.fill_diagonal(graph, False)
    n, labels = scipy.sparse.csgraph.connected_components(scipy.sparse.csr_matrix(graph),
                                                          directed=False)
    groups = [np.flatnonzero(labels == i) for i in range(n)]
    return [g for g in groups if g.size > 1]


def merge_components(A: scipy.sparse.spmatrix, C: np.ndarray, merge_thresh: float,
                     n_iter: int = 10) -> tuple[scipy.sparse.csc_matrix, np.ndarray, int]:
    """Merge overlapping, correlated components. Returns the new ``A`` (n_pixels, K'), ``C``
    (K', T) and the number of merges done; merged components are appended after the others."""
    groups = merge_groups(A, C, merge_thresh)
    A = scipy.sparse.csc_matrix(A)
    if not groups:
        return A, C, 0
    merged = np.concatenate(groups)
    keep = np.setdiff1d(np.arange(C.shape[0]), merged)
    new_rows, new_cols, new_vals, new_c = [], [], [], []
    for i, grp in enumerate(groups):
        sub = A[:, grp]
        rows = np.unique(sub.indices)
        S = scipy.sparse.csr_matrix(sub[rows], dtype=np.float64)  # (support, group)
        Cg = np.asarray(C[grp], dtype=np.float64)
        weights = np.asarray(sub.power(2).sum(axis=0)).ravel() ** 0.5
        c = (weights[:, None] * Cg).sum(axis=0)
        a = np.zeros(rows.size)
        for _ in range(n_iter):
            a = np.maximum(S @ (Cg @ c) / max(float(c @ c), 1e-12), 0)
            c = np.maximum((S.T @ a) @ Cg / max(float(a @ a), 1e-12), 0)
        new_rows.append(rows)
        new_cols.append(np.full(rows.size, i))
        new_vals.append(a)
        new_c.append(c)
    A_new = scipy.sparse.csc_matrix(
        (np.concatenate(new_vals), (np.concatenate(new_rows), np.concatenate(new_cols))),
        shape=(A.shape[0], len(groups)))
    A_out = scipy.sparse.hstack([A[:, keep], A_new])
    C_out = np.vstack([C[keep], np.array(new_c)])
    return scipy.sparse.csc_matrix(A_out, dtype=np.float32), C_out, len(groups)
