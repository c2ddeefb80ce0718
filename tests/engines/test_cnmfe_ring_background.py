"""The CNMF-E ring background model.

Tolerances: ring weights equal a brute-force ridge least-squares per pixel within 1e-4 relative;
an exactly low-rank smooth background without noise is explained to >= 99% of its temporal
variance; on a synthetic 1-photon movie (64x64, 1500 frames, gSig=3, ssub_B=2) the model fitted
with the true neurons explains >= 80% of the variance of the true background's fluctuations in
pixels away from neurons (measured 0.86), >= 70% when fitted on means of 3 frames (measured
0.76). The rest is mostly shot noise absorbed by the per-pixel least-squares fit, about
n_weights / n_samples of the noise variance (~40 weights per pixel here).
"""
from __future__ import annotations

import numpy as np
import pytest

from mesmerize.core.errors import ParameterError
from mesmerize.demo.synthetic import SyntheticParams, generate
from mesmerize.engines.cnmfe import CNMFEParams
from mesmerize.engines.cnmfe.ring_background import (RIDGE, RingModel, downsample_frames,
                                                     fit_ring_model, ring_offsets,
                                                     upsample_frames)


def _explained(estimate, truth, mask):
    e = (estimate - estimate.mean(axis=0)) - (truth - truth.mean(axis=0))
    t = truth - truth.mean(axis=0)
    return 1 - (e[:, mask] ** 2).sum() / (t[:, mask] ** 2).sum()


def _smooth_low_rank(T=300, H=40, W=44, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W] / 40.0
    maps = np.array([1 + 0 * yy, yy, xx, np.exp(-((yy - 0.3) ** 2 + (xx - 0.6) ** 2) / 0.2)])
    traces = 1 + 0.2 * np.cumsum(rng.normal(0, 0.1, (len(maps), T)), axis=1)
    return (100 * np.tensordot(traces.T, maps, axes=1)).astype(np.float32)


def test_ring_offsets_lie_on_the_ring():
    for r in (1, 5, 13):
        off = ring_offsets(r)
        d2 = (off ** 2).sum(axis=1)
        assert np.all((d2 > r * r) & (d2 <= (r + 1) ** 2))
        assert {tuple(o) for o in off} == {tuple(-o) for o in off}
        assert abs(len(off) - 2 * np.pi * (r + 0.5)) < 0.3 * len(off)


def test_downsample_and_upsample():
    frames = np.arange(2 * 5 * 7, dtype=np.float32).reshape(2, 5, 7)
    ds = downsample_frames(frames, 2)
    assert ds.shape == (2, 3, 4)
    assert ds[0, 0, 0] == frames[0, :2, :2].mean()
    assert ds[1, 2, 3] == frames[1, 4, 6]  # a partial corner block is its single pixel
    assert ds[0, 2, 1] == frames[0, 4, 2:4].mean()
    flat = upsample_frames(np.full((1, 3, 4), 5.0, np.float32), 2, (5, 7))
    assert flat.shape == (1, 5, 7) and np.allclose(flat, 5.0)


@pytest.mark.parametrize("tsub", [1, 3])
def test_weights_match_brute_force_ridge(tsub):
    rng = np.random.default_rng(2)
    Y = (_smooth_low_rank(T=121, H=20, W=18) + rng.normal(0, 3, (121, 20, 18))).astype(np.float32)
    model = fit_ring_model(Y, None, None, radius=4, ssub=1, tsub=tsub, chunk_frames=50)
    X = (Y - Y.mean(axis=0)).astype(np.float64)
    # the fit sees means of tsub frames; the last group (frame 120 alone when tsub=3) is partial
    X = np.stack([X[t:t + tsub].mean(axis=0) for t in range(0, 121, tsub)])
    off = ring_offsets(4)
    for y, x in [(0, 0), (10, 9), (19, 3), (7, 17)]:
        ry, rx = y + off[:, 0], x + off[:, 1]
        ok = (ry >= 0) & (ry < 20) & (rx >= 0) & (rx < 18)
        B = X[:, ry[ok], rx[ok]].T
        M = B @ B.T
        w = np.linalg.solve(M + RIDGE * np.trace(M) * np.eye(len(M)), B @ X[:, y, x])
        row = model.W.getrow(y + x * 20).toarray().ravel()
        got = row[ry[ok] + rx[ok] * 20]
        assert np.count_nonzero(row) <= ok.sum()
        assert np.allclose(got, w, rtol=1e-4, atol=1e-4 * np.abs(w).max())


def test_exact_low_rank_background_is_explained():
    Y = _smooth_low_rank()
    model = fit_ring_model(Y, None, None, radius=6, ssub=2)
    B = model.background(Y)
    assert np.allclose(B.mean(axis=0), Y.mean(axis=0), rtol=1e-3)
    assert _explained(B, Y, np.ones(Y.shape[1:], bool)) >= 0.99


def test_one_photon_background_away_from_neurons():
    m = generate(SyntheticParams(shape=(1500, 64, 64), mode="1p", n_neurons=8, neuron_radius=4.0,
                                 seed=1, dtype="float32"))
    K = len(m.footprints)
    A = m.footprints.transpose(0, 2, 1).reshape(K, -1).T  # (H*W, K) Fortran pixel order
    C = m.baseline[:, None] * (1 + m.calcium)
    p = CNMFEParams(gSig=3)
    model = fit_ring_model(m.movie, A, C, radius=p.ring_radius, ssub=p.ssub_B)
    B = model.background(m.movie, A, C)
    truth = np.tensordot(m.background_traces.T, m.background_maps, axes=1)
    away = m.footprints.sum(axis=0) < 0.01
    assert away.mean() > 0.3
    assert _explained(B, truth, away) >= 0.8
    # chunked application (frames 700-899) equals the whole-movie background
    part = model.background(m.movie[700:900], A, C, t0=700)
    assert np.allclose(part, B[700:900], atol=1e-3)
    # a fit on means of 3 frames is 3x cheaper but has 3x fewer samples per weight (measured 0.76)
    fast = fit_ring_model(m.movie, A, C, radius=p.ring_radius, ssub=p.ssub_B, tsub=3)
    assert _explained(fast.background(m.movie, A, C), truth, away) >= 0.7


def test_save_arrays_roundtrip_and_update(tmp_path):
    Y = _smooth_low_rank(T=100, H=30, W=30)
    model = fit_ring_model(Y, None, None, radius=6, ssub=2)
    np.savez(tmp_path / "ring.npz", **model.to_arrays())
    with np.load(tmp_path / "ring.npz", allow_pickle=False) as z:
        loaded = RingModel.from_arrays(z)
    assert loaded.dims == (30, 30) and loaded.ssub == 2 and loaded.radius == 6
    assert np.allclose(loaded.background(Y[:5]), model.background(Y[:5]))
    A = np.zeros((900, 1), np.float32)
    A[15 + 15 * 30, 0] = 1
    C = np.ones((1, 100), np.float32)
    updated = model.update(Y, A, C)
    assert updated.radius == 6
    assert updated.b0_image[15, 15] == pytest.approx(Y[:, 15, 15].mean() - 1, rel=1e-5)


def test_bad_input():
    Y = _smooth_low_rank(T=50, H=20, W=20)
    with pytest.raises(ParameterError, match="ring of radius"):
        fit_ring_model(Y, None, None, radius=40, ssub=2)
    with pytest.raises(ParameterError, match="rows"):
        fit_ring_model(Y, np.zeros((10, 1)), np.zeros((1, 50)), radius=4)
    with pytest.raises(ParameterError, match="C must be"):
        fit_ring_model(Y, np.zeros((400, 1)), np.zeros((2, 50)), radius=4)
    bad = Y.copy()
    bad[3, 2, 2] = np.nan
    with pytest.raises(ParameterError, match="NaN"):
        fit_ring_model(bad, None, None, radius=4)
