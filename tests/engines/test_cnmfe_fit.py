"""The CNMF-E fit (``mesmerize.engines.cnmfe.fit``) on synthetic 1-photon movies.

Tolerances: on 96x96 px, 700-frame 1-photon movies (18 neurons of radius 4 px on a bright,
smooth, time-varying background, shot + read noise; gSig=4, min_corr=0.8, min_pnr=5) the accepted
components match the true footprints (centroids within gSig px, footprint correlation > 0.6,
``cnmf.scoring.match_components``) with F1 >= 0.85 and the matched traces correlate with the true
calcium with a median >= 0.85 (measured on seeds 1-6: F1 0.94, median correlation 0.98-0.99);
the same with 4 patches (rf=30, stride=15) fitted on a process pool (measured F1 0.97, 0.94).
Seeded with the true footprints (``Ain``) the same holds with F1 >= 0.9. The movie minus the
ring background rebuilt from the saved model and minus ``A C`` leaves a per-pixel residual std
within 15% of the noise std (measured 0.99x), and the model's constant level ``b0`` correlates
> 0.99 with the true mean background away from neurons (measured 0.9999).
"""
from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

from mesmerize.core import ImgData, ViewerWorkEnv
from mesmerize.core.batch import Batch
from mesmerize.core.errors import ImageLoadError, ParameterError
from mesmerize.core.system_config import SystemConfig, save_system_config
from mesmerize.demo.synthetic import SyntheticParams, generate
from mesmerize.engines.cnmf import CNMFResult
from mesmerize.engines.cnmf.scoring import match_components
from mesmerize.engines.cnmfe import CNMFEParams, fit
from mesmerize.engines.cnmfe.pipeline import RING_NPZ_NAME, load_ring_model

GSIG = 4
PARAMS = dict(gSig=GSIG, min_corr=0.8, min_pnr=5, k=60, min_SNR=2.5, r_values_min=0.85,
              decay_time=0.4)


def _movie(tmp_path, seed, shape=(700, 96, 96), n_neurons=18, radius=4.0):
    m = generate(SyntheticParams(shape=shape, mode="1p", n_neurons=n_neurons,
                                 neuron_radius=radius, seed=seed, dtype="float32"))
    path = tmp_path / f"movie_{seed}.npy"
    np.save(path, m.movie)
    return m, path


def _score(m, result, idx):
    return match_components(m.footprints, result.footprint_images()[idx], max_distance=GSIG,
                            min_corr=0.6, true_traces=m.calcium, found_traces=result.C[idx])


@pytest.mark.parametrize("seed", [1, 2])
def test_detects_neurons_and_recovers_traces(tmp_path, seed):
    m, path = _movie(tmp_path, seed)
    calls = []
    result = fit(path, CNMFEParams(fr=10.0, **PARAMS), tmp_path / "out",
                 progress=lambda frac, msg: calls.append((frac, msg)))
    idx = result.idx_components
    score = _score(m, result, idx)
    assert score.f1 >= 0.85, (score.precision, score.recall)
    assert np.median(score.trace_corr) >= 0.85, score.trace_corr
    T, H, W = m.movie.shape
    K = result.n_components
    assert result.A.shape == (H * W, K) and result.C.shape == (K, T) == result.S.shape
    assert result.YrA.shape == (K, T) and result.g.shape == (K, 1)
    assert result.b.shape == (H * W, 1) and np.all(result.f == 1)
    assert result.A.min() >= 0 and result.C.min() >= 0
    assert result.SNR_comp.shape == result.r_values.shape == (K,)
    fracs = [c[0] for c in calls]
    assert fracs[0] == 0.0 and fracs[-1] == 1.0 and fracs == sorted(fracs)
    assert result.params["method"] == "cnmfe" and result.params["gSig"] == [GSIG, GSIG]


def test_patches_run_on_an_executor(tmp_path):
    m, path = _movie(tmp_path, 1)
    messages = []
    with ProcessPoolExecutor(max_workers=2) as executor:
        result = fit(path, CNMFEParams(fr=10.0, rf=30, stride=15, **{**PARAMS, "k": 30}),
                     tmp_path / "out", executor=executor,
                     progress=lambda frac, msg: messages.append(msg))
    assert "fitting 4 patches" in messages
    idx = result.idx_components
    score = _score(m, result, idx)
    assert score.f1 >= 0.85, (score.precision, score.recall)
    assert np.median(score.trace_corr) >= 0.85, score.trace_corr
    with pytest.raises(ParameterError, match="raise rf"):
        fit(path, CNMFEParams(fr=10.0, rf=6, stride=4, **PARAMS), tmp_path / "bad")


def test_result_and_ring_model_round_trip(tmp_path):
    m, path = _movie(tmp_path, 3, shape=(500, 80, 80), n_neurons=12, radius=3.5)
    out = tmp_path / "out"
    result = fit(path, {**PARAMS, "gSig": 3, "fr": 10.0}, out)
    loaded = CNMFResult.load(out)
    assert (loaded.A != result.A).nnz == 0 and loaded.dims == result.dims == (80, 80)
    for name in ("b", "C", "f", "YrA", "S", "sn", "g", "idx_components", "SNR_comp", "r_values"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(result, name))
    assert loaded.params == json.loads(json.dumps(result.params))
    ring = load_ring_model(out)
    Y = m.movie
    T = Y.shape[0]
    AC = (result.A @ result.C).reshape(80, 80, T, order="F").transpose(2, 0, 1)
    residual = (Y - ring.background(Y, result.A, result.C) - AC).std(axis=0)
    noise = result.sn.reshape(80, 80, order="F")
    assert 0.85 < np.median(residual / noise) < 1.15
    away = m.footprints.max(axis=0) < 0.05
    true_mean = m.offset + np.tensordot(m.background_traces.mean(axis=1), m.background_maps, 1)
    assert np.corrcoef(ring.b0_image[away], true_mean[away])[0, 1] > 0.99
    np.testing.assert_array_equal(ring.b0, result.b[:, 0])
    with pytest.raises(ImageLoadError, match=RING_NPZ_NAME):
        load_ring_model(tmp_path)


def test_seeding_with_true_footprints(tmp_path):
    m, path = _movie(tmp_path, 4)
    result = fit(path, CNMFEParams(fr=10.0, Ain=m.footprints, **PARAMS), tmp_path / "out")
    score = _score(m, result, np.arange(result.n_components))
    assert result.n_components <= len(m.footprints)
    assert score.f1 >= 0.9, (score.precision, score.recall)
    assert np.median(score.trace_corr) >= 0.85, score.trace_corr
    for wrong in (m.footprints[:, :50], m.footprints.reshape(len(m.footprints), -1).T[:100]):
        with pytest.raises(ParameterError, match="Ain has"):
            fit(path, CNMFEParams(fr=10.0, Ain=wrong, **PARAMS), tmp_path / "bad")


def test_border_and_low_rank_background(tmp_path):
    m, path = _movie(tmp_path, 5, shape=(400, 64, 64), n_neurons=10, radius=3.5)
    bord = 8
    result = fit(path, {**PARAMS, "gSig": 3, "bord_px": bord, "gnb": 2, "frate": 10.0},
                 tmp_path / "out")
    imgs = result.footprint_images()
    assert result.n_components >= 1
    inner = np.zeros((64, 64), bool)
    inner[bord:-bord, bord:-bord] = True
    assert np.all(imgs[:, ~inner] == 0), "no footprint pixel within bord_px of an edge"
    assert result.b.shape == (64 * 64, 2) and result.f.shape == (2, 400)
    assert result.b.min() >= 0 and result.f.min() >= 0


def test_bad_input_is_refused_with_clear_errors(tmp_path):
    m, path = _movie(tmp_path, 6, shape=(100, 32, 32), n_neurons=3, radius=3.0)
    out = tmp_path / "out"
    with pytest.raises(ParameterError, match="min_corr"):
        fit(path, {**PARAMS, "min_corr": 1.2, "fr": 10.0}, out)
    with pytest.raises(ParameterError, match="gSig.*too large"):
        fit(path, {**PARAMS, "gSig": 10, "fr": 10.0}, out)
    with pytest.raises(ParameterError, match="min_pnr"):
        fit(path, {**PARAMS, "gSig": 3, "min_pnr": 1e6, "fr": 10.0}, out)
    with pytest.raises(ParameterError, match="frame rate"):
        fit(path, {**PARAMS, "gSig": 3}, out)
    with pytest.raises(ParameterError, match="unknown CNMF-E parameter 'gsig'"):
        fit(path, {"gsig": 3, "fr": 10.0}, out)
    with pytest.raises(ImageLoadError, match="not found"):
        fit(tmp_path / "missing.tif", {**PARAMS, "fr": 10.0}, out)
    assert not out.exists(), "nothing is written when the input is refused"


@pytest.fixture()
def batch(tmp_path, monkeypatch):
    monkeypatch.setenv("MESMERIZE_CONFIG_DIR", str(tmp_path / "config"))
    save_system_config(SystemConfig(max_threads=1))
    return Batch.create(tmp_path / "cnmfe_batch")


def test_cnmfe_item_runs_through_the_batch(batch):
    movie = generate(SyntheticParams(shape=(300, 56, 56), mode="1p", n_neurons=6,
                                     neuron_radius=3.5, seed=7))
    work_env = ViewerWorkEnv(ImgData(movie.movie.T, movie.meta))
    # the guide's CNMFE dict, GUI keys included; the frame rate comes from the meta data
    params = {"Input": "Current Work Environment", "frate": 10.0, "gSig": 3, "bord_px": 2,
              "min_corr": 0.8, "min_pnr": 5, "min_SNR": 2.5, "r_values_min": 0.85,
              "decay_time": 0.4, "rf": None, "stride": 20, "gnb": 0, "nb_patch": 0, "k": 20,
              "name_corr_pnr": "", "name_cnmfe": "cells", "do_corr_pnr": False,
              "do_cnmfe": True}
    good = batch.add_item("cnmfe", "cells", params, input_work_env=work_env)
    bad = batch.add_item("cnmfe", "cells", {**params, "min_corr": 1.5}, input_work_env=work_env)
    runner = batch.process_batch(wait=True)
    assert runner.results == {good: "finished", bad: "failed"}, batch.get_item(good).error
    assert "ParameterError" in batch.get_item(bad).error
    assert "min_corr" in batch.get_item(bad).error
    result = batch.load_item_output(good)
    assert isinstance(result, CNMFResult)
    assert result.A.shape[0] == 56 * 56 and result.C.shape[1] == 300
    assert len(result.idx_components) >= 3
    assert result.params["fr"] == 10.0 and result.params["method"] == "cnmfe"
