"""CNMF temporal update: groups of non-overlapping components, parallel deconvolution.

Grouping must not change the block coordinate descent: within a group no component enters
another's raw trace, so the grouped sweep equals a plain one-at-a-time sweep in the groups'
order (checked to 1e-12 against a hand-written sweep), and deconvolving the groups on a
process pool gives the same traces as in this process (1e-12).
"""
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import scipy.sparse

from mesmerize.engines.cnmf.streaming import as_source, project
from mesmerize.engines.cnmf.temporal import component_groups, update_temporal
from mesmerize.engines.deconvolution import constrained_foopsi


def _scene(seed=0, K=12, T=600):
    """1-D 'pixels': K footprints on a line, neighbours overlapping in pairs; AR(1) traces."""
    rng = np.random.default_rng(seed)
    n = 8 * K + 8
    A = np.zeros((n, K))
    for k in range(K):
        A[8 * k:8 * k + 12, k] = np.hanning(14)[1:13]
    s = (rng.random((K, T)) < 0.03) * rng.exponential(1.0, (K, T))
    C = np.zeros((K, T))
    for t in range(T):
        C[:, t] = s[:, t] + (0.9 * C[:, t - 1] if t else 0.0)
    b = np.full((n, 1), 1.0)
    f = np.ones((1, T))
    Yr = A @ C + b @ f + 0.1 * rng.standard_normal((n, T))
    return Yr.astype(np.float32), scipy.sparse.csc_matrix(A), b, C, f


def test_groups_have_no_overlapping_members_and_cover_all():
    _, A, _, _, _ = _scene()
    AA = (A.T @ A).toarray()
    groups = component_groups(AA)
    assert sorted(np.concatenate(groups).tolist()) == list(range(A.shape[1]))
    assert len(groups) == 2  # a chain of pairwise overlaps: two colours
    for grp in groups:
        sub = AA[np.ix_(grp, grp)]
        assert np.count_nonzero(sub - np.diag(np.diag(sub))) == 0


def test_grouped_sweep_equals_sequential_sweep_in_group_order():
    Yr, A, b, C0, f0 = _scene(1)
    C_start = np.maximum(C0 + 0.2, 0)
    state = update_temporal(Yr, A, b, C_start, f0, p=1, decay_time=0.5, fr=20.0, n_sweeps=1)
    # the reference: one coordinate at a time, in the groups' order
    Ad = A.toarray().astype(np.float64)
    AA, AY = Ad.T @ Ad, project(as_source(Yr), A)  # as the update computes it
    Ab = Ad.T @ b
    C = C_start.copy()
    for k in np.concatenate(component_groups(AA)):
        y = C[k] + (AY[k] - AA[k] @ C - Ab[k] @ f0) / AA[k, k]
        C[k] = constrained_foopsi(y, p=1, decay_time=0.5, fr=20.0).c
    np.testing.assert_allclose(state.C, C, atol=1e-9)
    assert np.median([np.corrcoef(state.C[k], C0[k])[0, 1] for k in range(len(C0))]) > 0.9


def test_process_pool_gives_the_serial_result():
    Yr, A, b, C0, f0 = _scene(2, K=40)  # groups of 20: more than one chunk of 16 each
    serial = update_temporal(Yr, A, b, C0, f0, p=2, decay_time=0.5, fr=20.0, exact=True)
    with ProcessPoolExecutor(max_workers=2) as ex:
        pooled = update_temporal(Yr, A, b, C0, f0, p=2, decay_time=0.5, fr=20.0, exact=True,
                                 executor=ex)
    for name in ("C", "S", "YrA", "f", "g", "sn", "bl"):
        np.testing.assert_allclose(getattr(pooled, name), getattr(serial, name), atol=1e-12,
                                   err_msg=name)
