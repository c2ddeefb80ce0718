"""OASIS and constrained deconvolution against a brute-force solver and ground-truth spikes.

Reference: the same convex problem written on the spikes, ``min 1/2||K s - y'||^2, s >= 0``
(``K = G^-1``, ``y' = y - lam G^T 1``), solved by scipy's bounded least squares (BVLS).
Tolerances: AR(1) is exact (max |c - c_ref| < 1e-8); AR(2) OASIS is greedy (Friedrich et al.
2017), so we require corr(c, c_ref) > 0.999 and an objective within 10 % of the optimum; with
``exact=True`` AR(2) matches the reference to 1e-8 (max |c - c_ref|) and its objective to 1e-10.
The noise-constrained AR(2) search (``constrained_foopsi``, exact by default) must return the
reference optimum at the penalty it chose (1e-7), meet the noise budget to 1e-3 relative, and
spend no more spikes (sum s, the constrained problem's objective) than the greedy search.
"""
import numpy as np
import pytest
from scipy.optimize import lsq_linear

from mesmerize.core.errors import ParameterError
from mesmerize.engines.deconvolution import (
    constrained_foopsi, estimate_ar_coefficients, noise_psd, oasis, spikes_from_calcium)
from mesmerize.engines.deconvolution.exact import refine_spikes


def _G(g, T):
    G = np.eye(T)
    for i, gi in enumerate(g, 1):
        G -= gi * np.eye(T, k=-i)
    return G


def _reference(y, g, lam):
    T = y.size
    G = _G(g, T)
    K = np.linalg.inv(G)
    res = lsq_linear(K, y - lam * G.T @ np.ones(T), bounds=(0, np.inf), method="bvls", tol=1e-12)
    return K @ res.x


def _objective(c, y, g, lam):
    return 0.5 * np.sum((c - y) ** 2) + lam * np.sum(_G(g, y.size) @ c)


def _simulate(rng, g, T, rate=0.05, sigma=0.3):
    s = (rng.random(T) < rate) * rng.exponential(1.0, T)
    c = np.zeros(T)
    for t in range(T):
        c[t] = s[t] + sum(gi * c[t - i] for i, gi in enumerate(g, 1) if t - i >= 0)
    return c, s, c + sigma * rng.standard_normal(T)


@pytest.mark.parametrize("lam", [0.0, 0.5, 2.0])
def test_ar1_matches_bruteforce_exactly(lam):
    rng = np.random.default_rng(1)
    for _ in range(4):
        _, _, y = _simulate(rng, [0.95], 200)
        c, s = oasis(y - 0.1, 0.95, lam)
        ref = _reference(y - 0.1, [0.95], lam)
        assert np.max(np.abs(c - ref)) < 1e-8
        assert s.min() >= -1e-10


@pytest.mark.parametrize("lam", [0.0, 0.5, 2.0])
def test_ar2_close_to_bruteforce(lam):
    g = [1.7, -0.712]
    rng = np.random.default_rng(2)
    for _ in range(4):
        _, _, y = _simulate(rng, g, 200)
        c, s = oasis(y, np.array(g), lam)
        ref = _reference(y, g, lam)
        assert np.corrcoef(c, ref)[0, 1] > 0.999
        opt = _objective(ref, y, g, lam)
        assert _objective(c, y, g, lam) <= 1.10 * opt + 1e-9
        assert s.min() >= -1e-9


@pytest.mark.parametrize("g", [[1.7, -0.712], [1.2, -0.3]])
@pytest.mark.parametrize("lam", [0.0, 0.5, 2.0])
def test_ar2_exact_matches_bruteforce(g, lam):
    rng = np.random.default_rng(8)
    for _ in range(3):
        _, _, y = _simulate(rng, g, 200)
        c, s = oasis(y, np.array(g), lam, exact=True)
        ref = _reference(y, g, lam)
        assert np.max(np.abs(c - ref)) < 1e-8
        opt = _objective(ref, y, g, lam)
        assert _objective(c, y, g, lam) <= opt + 1e-10 * abs(opt)
        assert s.min() >= 0
        np.testing.assert_allclose(spikes_from_calcium(c, g), s, atol=1e-9)


@pytest.mark.parametrize("g", [[1.7, -0.712], [1.2, -0.3]])
def test_exact_ar2_from_any_start_and_long_traces(g):
    """The active set reaches the optimum from no spikes at all, and on a 3,000-frame trace
    from the greedy start (objective never above greedy's)."""
    rng = np.random.default_rng(9)
    _, _, y = _simulate(rng, g, 200)
    c, _ = refine_spikes(y, np.array(g), 0.5, np.zeros(200))
    assert np.max(np.abs(c - _reference(y, g, 0.5))) < 1e-8
    _, _, y = _simulate(rng, g, 3000)
    c_greedy, _ = oasis(y, np.array(g), 1.0)
    c_exact, s_exact = oasis(y, np.array(g), 1.0, exact=True)
    grad = np.linalg.solve(_G(g, y.size).T, c_exact - y) + 1.0  # K^T (c - y) + lam
    assert grad.min() > -1e-7 and np.max(np.abs(grad[s_exact > 0])) < 1e-7
    assert _objective(c_exact, y, g, 1.0) <= _objective(c_greedy, y, g, 1.0)


@pytest.mark.parametrize("g", [[1.7, -0.712], [1.5, -0.56]])
def test_constrained_foopsi_ar2_is_exact(g):
    rng = np.random.default_rng(10)
    _, _, y = _simulate(rng, g, 400, rate=0.03, sigma=0.3)
    y = y + 1.0
    greedy = constrained_foopsi(y, p=2, g=np.array(g), exact=False)
    res = constrained_foopsi(y, p=2, g=np.array(g))
    assert res.b == greedy.b and res.sn == greedy.sn
    budget = res.sn ** 2 * y.size
    resid = np.sum((y - res.b - res.c) ** 2)
    assert (1 - 1e-3) * budget <= resid <= budget * (1 + 1e-9)
    assert np.max(np.abs(res.c - _reference(y - res.b, g, res.lam))) < 1e-7
    assert res.s.sum() <= greedy.s.sum() + 1e-9


def test_exact_needs_convex_problem():
    with pytest.raises(ParameterError, match="s_min=0"):
        oasis(np.ones(20), np.array([1.5, -0.56]), 0.1, s_min=0.2, exact=True)


def test_s_min_removes_small_spikes():
    rng = np.random.default_rng(3)
    _, _, y = _simulate(rng, [0.9], 300)
    c, s = oasis(y, 0.9, 0.0, s_min=0.5)
    nz = s[1:][s[1:] > 1e-9]
    assert nz.size > 0 and nz.min() >= 0.5 - 1e-9
    np.testing.assert_allclose(spikes_from_calcium(c, [0.9]), s, atol=1e-12)


def test_ar_estimation_recovers_coefficients():
    rng = np.random.default_rng(4)
    _, _, y = _simulate(rng, [0.9], 20000, sigma=0.2)
    g = estimate_ar_coefficients(y, 1, 0.2, fudge_factor=1.0)
    assert abs(g[0] - 0.9) < 0.02
    _, _, y2 = _simulate(rng, [1.6, -0.63], 20000, sigma=0.2)
    g2 = estimate_ar_coefficients(y2, 2, 0.2, fudge_factor=1.0)
    assert np.allclose(g2, [1.6, -0.63], atol=0.05)


@pytest.mark.parametrize("p,g", [(1, [0.95]), (2, [1.7, -0.712])])
def test_constrained_foopsi_recovers_ground_truth(p, g):
    rng = np.random.default_rng(5)
    c_true, s_true, y = _simulate(rng, g, 2000, rate=0.02, sigma=0.25)
    y = y + 2.0
    res = constrained_foopsi(y, p=p)
    assert abs(res.b - 2.0) < 0.2
    assert abs(res.sn - 0.25) < 0.04
    assert np.corrcoef(res.c, c_true)[0, 1] > 0.95
    assert np.corrcoef(res.s, s_true)[0, 1] > 0.85
    assert np.sum((y - res.b - res.c) ** 2) <= res.sn ** 2 * y.size * 1.001


def test_p0_and_bad_input():
    y = np.abs(np.random.default_rng(6).standard_normal(100))
    res = constrained_foopsi(y, p=0, optimize_b=False)
    np.testing.assert_allclose(res.c, y)
    with pytest.raises(ParameterError, match="NaN"):
        oasis(np.array([1.0, np.nan, 2.0]), 0.9)
    with pytest.raises(ParameterError, match="unstable"):
        oasis(np.ones(10), 1.2)
    with pytest.raises(ParameterError, match="p must be"):
        constrained_foopsi(y, p=3)


@pytest.mark.parametrize("method,factor", [("mean", 1.0), ("median", np.sqrt(np.log(2))),
                                           ("logmexp", np.exp(-np.euler_gamma / 2))])
def test_noise_psd_known_gaussian_level(method, factor):
    rng = np.random.default_rng(7)
    Y = 1.7 * rng.standard_normal((200, 3000))
    sn = noise_psd(Y, noise_method=method)
    assert abs(np.median(sn) - 1.7 * factor) < 0.02 * 1.7
