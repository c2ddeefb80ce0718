"""CNMF on the project's synthetic 2-photon movies, against ground truth.

Targets (issue 4): detection F1 >= 0.9 (match: centroid distance < gSig and footprint
correlation > 0.7), median correlation of matched denoised traces with the true calcium >= 0.9,
deconvolved spikes correlated with the true spikes (median > 0.5 after 3-frame smoothing, since
OASIS places a spike within a frame of the true one). Movies: 128x128, 1000 frames, 30 neurons.
"""
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import tifffile

from mesmerize.core.errors import ImageLoadError, ParameterError
from mesmerize.core.meta import write_meta_json
from mesmerize.demo.synthetic import SyntheticParams, generate
from mesmerize.engines.cnmf import CNMFResult, fit
from mesmerize.engines.cnmf.scoring import match_components

PARAMS = {"p": 1, "gnb": 2, "merge_thresh": 0.8, "rf": None, "stride_cnmf": 10, "k": 60,
          "gSig": 4, "min_SNR": 2.5, "rval_thr": 0.8, "cnn_thr": 0.8, "decay_time": 0.6,
          "refit": False}


pytestmark = pytest.mark.usefixtures("one_blas_thread")


@pytest.fixture(scope="module")
def movie(cnmf_2p_movie):
    return cnmf_2p_movie


def _smooth(x):
    return np.convolve(x, np.ones(3), mode="same")


def _check_accuracy(res, sm):
    good = res.idx_components
    score = match_components(sm.footprints, res.footprint_images()[good], 4.0, 0.7,
                             sm.calcium, res.C[good])
    assert score.f1 >= 0.9, (score.f1, score.precision, score.recall)
    # a true neuron that never fires is visible at rest but has a constant trace: its
    # correlation is undefined (NaN) and left out of the medians
    assert np.nanmedian(score.trace_corr) >= 0.9
    spike_corr = [np.corrcoef(_smooth(sm.spikes[i]), _smooth(res.S[good][j]))[0, 1]
                  for i, j in score.matches if sm.spikes[i].any()]
    assert np.median(spike_corr) > 0.5
    return score


def test_fit_full_fov_matches_ground_truth(movie, tmp_path):
    sm, path = movie
    calls = []
    res = fit(path, PARAMS, tmp_path, progress=lambda f, m: calls.append(f), fr=sm.params.fps)
    _check_accuracy(res, sm)
    assert calls[0] == 0.0 and calls[-1] == 1.0 and calls == sorted(calls)
    K = res.n_components
    assert res.A.shape == (128 * 128, K) and res.C.shape == (K, 1000) == res.S.shape
    assert res.b.shape == (128 * 128, 2) and res.f.shape == (2, 1000) and res.g.shape == (K, 1)
    assert np.all(res.g > 0) and np.all(res.g < 1)
    assert sorted(np.concatenate([res.idx_components, res.idx_components_bad])) == list(range(K))
    back = CNMFResult.load(tmp_path)
    np.testing.assert_array_equal(back.C, res.C)
    assert (back.A != res.A).nnz == 0


def test_fit_ar2_with_patches_in_executor_and_refit(movie, tmp_path):
    sm, path = movie
    params = dict(PARAMS, p=2, rf=32, k=12, refit=True)  # p=2 as in the guide
    with ThreadPoolExecutor(max_workers=2) as ex:
        res = fit(path, params, tmp_path, executor=ex, fr=sm.params.fps)
    _check_accuracy(res, sm)
    assert "refit" in res.timings and "patches" in res.timings
    # the pixel-major copy of the movie used by the refinement is gone
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cnmf_result.json", "cnmf_result.npz"]


def test_seeded_with_true_footprints(movie, tmp_path):
    sm, path = movie
    res = fit(path, dict(PARAMS, Ain=sm.footprints), tmp_path, fr=sm.params.fps)
    score = match_components(sm.footprints, res.footprint_images(), 4.0, 0.7,
                             sm.calcium, res.C)
    assert score.recall >= 0.95 and np.nanmedian(score.trace_corr) >= 0.95


def test_frame_rate_read_from_meta_json_beside_movie(tmp_path):
    sm = generate(SyntheticParams(shape=(300, 48, 48), n_neurons=5, neuron_radius=4, fps=7.5,
                                  mode="2p", seed=3))
    path = tmp_path / "small.tif"
    tifffile.imwrite(path, sm.movie)
    write_meta_json(tmp_path / "small.json", sm.meta)
    res = fit(path, dict(PARAMS, k=8), tmp_path / "out")
    assert res.params["fr"] == 7.5
    assert CNMFResult.load(tmp_path / "out").params["fr"] == 7.5


def _small_movie(tmp_path, data, name="m.npy"):
    path = tmp_path / name
    np.save(path, data)
    return path


def test_bad_inputs_raise_clear_errors(tmp_path):
    rng = np.random.default_rng(0)
    data = rng.normal(100, 5, (100, 32, 32)).astype(np.float32)
    with pytest.raises(ParameterError, match="gSig"):
        fit(_small_movie(tmp_path, data), dict(PARAMS, gSig=20), tmp_path, fr=10)
    with pytest.raises(ParameterError, match="gSig"):
        fit(_small_movie(tmp_path, data), dict(PARAMS, gSig=8, rf=5, stride_cnmf=2),
            tmp_path, fr=10)
    with pytest.raises(ParameterError, match="'k' is 0"):
        fit(_small_movie(tmp_path, data), dict(PARAMS, k=0), tmp_path, fr=10)
    with pytest.raises(ParameterError, match="constant"):
        fit(_small_movie(tmp_path, np.full((100, 32, 32), 7, np.uint16)), PARAMS, tmp_path, fr=10)
    nan_data = data.copy()
    nan_data[50, 3, 3] = np.nan
    with pytest.raises(ParameterError, match="NaN"):
        fit(_small_movie(tmp_path, nan_data), PARAMS, tmp_path, fr=10)
    with pytest.raises(ParameterError, match="frame rate"):
        fit(_small_movie(tmp_path, data), PARAMS, tmp_path)
    with pytest.raises(ImageLoadError):
        fit(tmp_path / "missing.tif", PARAMS, tmp_path, fr=10)
    with pytest.raises(ImageLoadError, match="3-D"):
        fit(_small_movie(tmp_path, data[0]), PARAMS, tmp_path, fr=10)
    assert not (tmp_path / "cnmf_result.json").exists()
