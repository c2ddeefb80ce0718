"""Greedy CNMF-E initialisation from the correlation/PNR images.

Tolerances: on synthetic 1-photon movies (96x96, 600 frames, 18 neurons of radius 4 px, gSig=4,
min_corr=0.8, min_pnr=5) at least 85% of the true neurons are found (a seed within gSig px of the
true centre), at most 2 seeds are false positives, and the matched initial traces correlate with
the true calcium with a median >= 0.8. Two overlapping neurons on a bright drifting background
are both found with traces correlating >= 0.9 with the truth.
"""
from __future__ import annotations

import numpy as np
import pytest

from mesmerize.core.errors import ParameterError
from mesmerize.demo.synthetic import SyntheticParams, generate
from mesmerize.engines.cnmfe import CNMFEParams
from mesmerize.engines.cnmfe.corr_pnr import compute_corr_pnr
from mesmerize.engines.cnmfe.initialization import greedy_corr_pnr


def _two_neuron_movie(T=500, H=40, W=40, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W]
    centres = [(18.0, 16.0), (21.0, 22.0)]
    shapes = np.array([np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * 2.0 ** 2))
                       for cy, cx in centres])
    kernel = np.exp(-np.arange(40) / 8.0)
    calcium = np.array([np.convolve((rng.random(T) > 0.97) * rng.uniform(0.5, 1.5, T),
                                    kernel)[:T] for _ in centres])
    t = np.arange(T)
    background = (400 + 150 * np.exp(-((yy - 5) ** 2 + (xx - 30) ** 2) / 600.0))[None] * \
        (1 + 0.05 * np.sin(2 * np.pi * t / 250.0))[:, None, None]
    clean = background + 60 * np.tensordot(calcium.T, shapes, axes=1)
    movie = rng.poisson(clean).astype(np.float32)
    return movie, np.array(centres), calcium


def _match(true_centres, found):
    d = np.linalg.norm(true_centres[:, None, :] - found[None, :, :].astype(float), axis=2)
    return d


def test_two_overlapping_neurons_on_bright_background():
    movie, centres, calcium = _two_neuron_movie()
    res = greedy_corr_pnr(movie, CNMFEParams(gSig=2, min_corr=0.8, min_pnr=6, k=10))
    d = _match(centres, res.centers)
    assert res.A.shape == (40 * 40, len(res.centers)) and res.C.shape == (len(res.centers), 500)
    assert np.all(d.min(axis=1) <= 2), res.centers
    for i in range(2):
        j = int(np.argmin(d[i]))
        assert np.corrcoef(calcium[i], res.C[j])[0, 1] >= 0.9
        footprint = res.A[:, j].toarray().reshape((40, 40), order="F")  # Fortran pixel order
        peak = np.unravel_index(np.argmax(footprint), footprint.shape)
        assert np.hypot(peak[0] - centres[i][0], peak[1] - centres[i][1]) <= 2
    assert res.A.min() >= 0
    assert len(res.centers) <= 3


@pytest.mark.parametrize("seed", [1, 2])
def test_finds_most_neurons_of_a_one_photon_movie(seed):
    m = generate(SyntheticParams(shape=(600, 96, 96), mode="1p", n_neurons=18, neuron_radius=4.0,
                                 seed=seed, dtype="float32"))
    g = 4
    res = greedy_corr_pnr(m.movie, CNMFEParams(gSig=g, min_corr=0.8, min_pnr=5, k=60))
    d = _match(m.centers, res.centers)
    found = d.min(axis=1) <= g
    false_pos = int(np.sum(d.min(axis=0) > g))
    assert found.mean() >= 0.85, (found.sum(), len(found))
    assert false_pos <= 2
    corrs = [np.corrcoef(m.calcium[i], res.C[int(np.argmin(d[i]))])[0, 1]
             for i in np.flatnonzero(found)]
    assert np.median(corrs) >= 0.8


def test_k_limit_order_border_and_no_seed():
    movie, centres, _ = _two_neuron_movie(seed=1)
    p = CNMFEParams(gSig=2, min_corr=0.8, min_pnr=6, k=1)
    res = greedy_corr_pnr(movie, p)
    assert len(res.centers) == 1
    score = np.where((res.corr > p.min_corr) & (res.pnr > p.min_pnr), res.corr * res.pnr, -1)
    assert tuple(res.centers[0]) == np.unravel_index(np.argmax(score), score.shape)
    # the seeds are chosen on the same images the "Inspect Correlation and PNR" item shows
    corr, pnr, _ = compute_corr_pnr(movie, p)
    assert np.max(np.abs(res.corr - corr)) < 1e-5
    assert np.allclose(res.pnr, pnr, rtol=1e-4, atol=1e-4)
    none = greedy_corr_pnr(movie, CNMFEParams(gSig=2, min_corr=0.8, min_pnr=1000))
    assert none.A.shape == (1600, 0) and none.C.shape == (0, 500) and none.centers.shape == (0, 2)
    border = greedy_corr_pnr(movie, CNMFEParams(gSig=2, min_corr=0.8, min_pnr=6, bord_px=19))
    assert np.all((border.centers >= 19) & (border.centers < 21))


def test_bad_input():
    movie, _, _ = _two_neuron_movie(T=100)
    bad = movie.copy()
    bad[5, 1, 1] = np.inf
    with pytest.raises(ParameterError, match="NaN or infinite"):
        greedy_corr_pnr(bad, CNMFEParams(gSig=2))
    with pytest.raises(ParameterError, match="gSig"):
        greedy_corr_pnr(movie, CNMFEParams(gSig=10))
    with pytest.raises(ParameterError, match="at least 8"):
        greedy_corr_pnr(movie[:5], CNMFEParams(gSig=2))
    flat = np.full((60, 30, 30), 9.0, np.float32)
    with pytest.raises(ParameterError, match="constant"):
        greedy_corr_pnr(flat, CNMFEParams(gSig=2, min_pnr=1))
