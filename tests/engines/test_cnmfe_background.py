"""The stored low-rank background of CNMF-E with patches, and ``nb_patch``.

``nb_patch`` (as in CaImAn, used only with ``gnb > 0`` and patches) is the rank of each patch's
background approximation; the stored ``b``, ``f`` (rank ``gnb``) factorise the patches'
approximations placed in the field of view. Tolerances: ``low_rank_of_product`` reaches the
residual of a direct HALS factorisation of the formed product within 1% (and ~0 on an exactly
low-rank product); a patch's rank-3 approximation of its ring background has a smaller error
than its rank-1 one; on a 1-photon movie the stored ``b f`` (gnb = 2) correlates > 0.9 with the
true background (offset + maps x traces) over pixels and frames, and ``nb_patch`` 1 vs 3 gives
different ``b``, ``f``.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse

from mesmerize.demo.synthetic import SyntheticParams, generate
from mesmerize.engines.cnmf.initialization import background_nmf
from mesmerize.engines.cnmfe import CNMFEParams, fit
from mesmerize.engines.cnmfe.pipeline import (fit_patch, low_rank_of_product,
                                              patch_background_rank)

PARAMS = dict(fr=10.0, gSig=3, min_corr=0.8, min_pnr=5, k=30, min_SNR=2.5, r_values_min=0.85,
              decay_time=0.4)


def test_low_rank_of_product_matches_the_formed_product():
    rng = np.random.default_rng(0)
    Bm = scipy.sparse.random(500, 12, density=0.3, random_state=1, format="csr")
    F = rng.random((12, 200)) + 0.5
    R = np.asarray(Bm @ F)
    for nb in (1, 3):
        b, f = low_rank_of_product(Bm, F, nb)
        b_ref, f_ref = background_nmf(R, nb, n_iter=200, tol=1e-9)
        assert b.shape == (500, nb) and f.shape == (nb, 200)
        assert b.min() >= 0 and f.min() >= 0
        err, ref = np.linalg.norm(R - b @ f), np.linalg.norm(R - b_ref @ f_ref)
        assert err <= 1.01 * ref + 1e-6 * np.linalg.norm(R), (err, ref)
    Bx = scipy.sparse.csr_matrix(rng.random((300, 2)))
    Fx = rng.random((2, 100)) + 0.1
    Rx = np.asarray(Bx @ Fx)
    b, f = low_rank_of_product(Bx, Fx, 2, n_iter=2000, tol=0)
    assert np.linalg.norm(Rx - b @ f) < 1e-2 * np.linalg.norm(Rx)


def test_nb_patch_sets_the_rank_of_each_patch_background(tmp_path):
    m = generate(SyntheticParams(shape=(400, 48, 48), mode="1p", n_neurons=6, seed=2,
                                 neuron_radius=3.5, dtype="float32"))
    path = tmp_path / "movie.npy"
    np.save(path, m.movie)
    window = (0, 48, 0, 48)
    base = CNMFEParams(rf=23, stride=10, gnb=2, **PARAMS)
    assert patch_background_rank(dataclasses.replace(base, gnb=0, nb_patch=3)) == 0
    assert patch_background_rank(dataclasses.replace(base, nb_patch=0)) == 2
    errors = {}
    for nb in (1, 3):
        out = fit_patch(str(path), window, dataclasses.replace(base, nb_patch=nb))
        assert out.b.shape == (48 * 48, nb) and out.f.shape == (nb, 400)
        assert out.A.shape[1] >= 3
        # error against the patch's data minus its components: the background it approximates
        Yr = m.movie.transpose(2, 1, 0).reshape(48 * 48, 400)
        errors[nb] = np.linalg.norm(Yr - out.A @ out.C - out.b @ out.f)
    assert errors[3] < errors[1], errors
    none = fit_patch(str(path), window, dataclasses.replace(base, gnb=0, nb_patch=3))
    assert none.b.shape == (48 * 48, 0) and none.f.shape == (0, 400)


def test_stored_background_from_patches(tmp_path):
    m = generate(SyntheticParams(shape=(400, 64, 64), mode="1p", n_neurons=10, seed=5,
                                 neuron_radius=3.5, dtype="float32"))
    path = tmp_path / "movie.npy"
    np.save(path, m.movie)
    true_bg = m.offset + np.tensordot(m.background_traces.T, m.background_maps, 1)  # (T, H, W)
    true_bg = true_bg.transpose(2, 1, 0).reshape(64 * 64, -1)
    results = {}
    for nb in (1, 3):
        res = fit(path, CNMFEParams(rf=20, stride=10, gnb=2, nb_patch=nb, **PARAMS),
                  tmp_path / f"out{nb}")
        assert res.b.shape == (64 * 64, 2) and res.f.shape == (2, 400)
        assert res.b.min() >= 0 and res.f.min() >= 0
        assert np.corrcoef((res.b @ res.f).ravel(), true_bg.ravel())[0, 1] > 0.9
        assert res.params["nb_patch"] == nb
        results[nb] = res
    assert not np.allclose(results[1].b @ results[1].f, results[3].b @ results[3].f, rtol=1e-3)
