"""CNMF with p = 0 (no calcium dynamics) and gnb = 0 (no background components).

Same synthetic movie as test_cnmf_fit (128x128, 1000 frames, 30 neurons). p = 0: no
deconvolution, so C is the rectified raw trace (C = S) and g is empty; detection is unchanged
(F1 >= 0.9) and the raw traces still follow the true calcium (median correlation >= 0.8: they
keep the noise that OASIS removes). gnb = 0: each pixel's temporal median is removed instead of a
background model, b and f are empty; run with patches so the out-of-core refinement removes the
medians band by band. Detection F1 >= 0.85 and median trace correlation >= 0.9: the neuropil's
slow fluctuations are not modelled and leak into the neurons' traces and footprints.
"""
import numpy as np
import pytest

from mesmerize.engines.cnmf import fit
from mesmerize.engines.cnmf.scoring import match_components
from tests.engines.test_cnmf_fit import PARAMS

pytestmark = pytest.mark.usefixtures("one_blas_thread")


def _score(res, sm):
    good = res.idx_components
    return match_components(sm.footprints, res.footprint_images()[good], 4.0, 0.7,
                            sm.calcium, res.C[good])


def test_p0_no_dynamics(cnmf_2p_movie, tmp_path):
    sm, path = cnmf_2p_movie
    res = fit(path, dict(PARAMS, p=0), tmp_path, fr=sm.params.fps)
    K = res.n_components
    assert res.g.shape == (K, 0)
    np.testing.assert_array_equal(res.S, res.C)
    assert res.C.min() >= 0
    score = _score(res, sm)
    assert score.f1 >= 0.9, (score.f1, score.precision, score.recall)
    assert np.nanmedian(score.trace_corr) >= 0.8


def test_gnb0_no_background_with_patches(cnmf_2p_movie, tmp_path):
    sm, path = cnmf_2p_movie
    res = fit(path, dict(PARAMS, gnb=0, rf=32, k=12), tmp_path, fr=sm.params.fps)
    assert res.b.shape == (128 * 128, 0) and res.f.shape == (0, 1000)
    score = _score(res, sm)
    assert score.f1 >= 0.85, (score.f1, score.precision, score.recall)
    assert np.nanmedian(score.trace_corr) >= 0.9
