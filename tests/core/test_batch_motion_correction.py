"""Real motion-correction and CNMF items processed by the batch in subprocesses, on tiny
synthetic movies."""
from __future__ import annotations

import numpy as np
import pytest

from mesmerize.core import ImgData, ViewerWorkEnv
from mesmerize.core.batch import Batch
from mesmerize.core.system_config import SystemConfig, save_system_config
from mesmerize.demo.synthetic import SyntheticParams, generate
from mesmerize.engines.cnmf import CNMFResult
from mesmerize.engines.motion_correction import MotionCorrectionResult

MC_PARAMS = {"max_shifts_x": 4, "max_shifts_y": 4, "iters_rigid": 1, "name_rigid": "",
             "max_dev": 2, "strides": (24, 24), "overlaps": (8, 8), "upsample": 2,
             "name_elas": "tiny", "output_bit_depth": "Do not convert", "pw_rigid": False}


@pytest.fixture()
def batch(tmp_path, monkeypatch):
    monkeypatch.setenv("MESMERIZE_CONFIG_DIR", str(tmp_path / "config"))
    save_system_config(SystemConfig(max_threads=1))
    return Batch.create(tmp_path / "mc_batch")


def test_motion_correction_items_run_in_subprocesses(batch):
    movie = generate(SyntheticParams(shape=(60, 48, 48), n_neurons=8, max_shift=2))
    shifts = movie.shifts
    work_env = ViewerWorkEnv(ImgData(movie.movie.T, movie.meta))
    rigid = batch.add_item("caiman_motion_correction", "tiny", MC_PARAMS, input_work_env=work_env)
    bad = batch.add_item("caiman_motion_correction", "tiny",
                         {**MC_PARAMS, "strides": (8, 8), "overlaps": (16, 16)},
                         input_work_env=work_env)
    piecewise = batch.add_item("caiman_motion_correction", "tiny",
                               {**MC_PARAMS, "pw_rigid": True}, input_work_env=work_env)
    assert list(batch.diff_params([rigid, bad, piecewise]).columns) == ["strides", "overlaps",
                                                                        "pw_rigid"]
    runner = batch.process_batch(wait=True)
    assert runner.results == {rigid: "finished", bad: "failed", piecewise: "finished"}
    assert "ParameterError" in batch.get_item(bad).error
    assert "overlaps" in batch.get_item(bad).error
    for uuid in (rigid, piecewise):
        result = batch.load_item_output(uuid)
        assert isinstance(result, MotionCorrectionResult)
        assert result.load_movie().shape == (60, 48, 48)
        # Shifts are relative to the template: compare after removing the constant offset.
        err = result.shifts - shifts
        err -= np.median(err, axis=0)
        assert np.abs(err).max() < 0.5, "recovered shifts within 0.5 px of the truth"
        assert batch.get_item(uuid).outputs["movie"] == f"{uuid}/output/corrected.npy"
        info = Batch.open(batch.path).output_work_env_info(uuid)
        assert info["meta"]["fps"] == 10.0
        assert info["history_trace"] == [{"caiman_motion_correction":
                                          batch.get_item(uuid).params}]
    assert batch.load_item_output(rigid).params["pw_rigid"] is False


def test_cnmf_item_takes_a_motion_correction_item_as_input(batch):
    movie = generate(SyntheticParams(shape=(120, 40, 40), n_neurons=5, neuron_radius=3.0,
                                     max_shift=1))
    work_env = ViewerWorkEnv(ImgData(movie.movie.T, movie.meta),
                             history_trace=[{"crop": {"x0": 0}}])
    mc = batch.add_item("caiman_motion_correction", "cells", MC_PARAMS, input_work_env=work_env)
    params = {"p": 1, "gnb": 1, "merge_thresh": 0.8, "rf": None, "k": 5, "gSig": 3,
              "min_SNR": 1.5, "rval_thr": 0.5, "decay_time": 0.4, "refit": False}
    fit = batch.add_item("cnmf", "cells", params, input_item=mc)
    runner = batch.process_batch(wait=True)
    assert runner.results == {mc: "finished", fit: "finished"}, batch.get_item(fit).error
    result = batch.load_item_output(fit)
    assert isinstance(result, CNMFResult)
    assert result.A.shape[0] == 40 * 40 and result.C.shape[1] == 120
    assert result.C.shape[0] >= 1
    assert result.params["fr"] == 10.0, "the frame rate comes from the input's meta data"
    history = batch.output_work_env_info(fit)["history_trace"]
    assert [list(h) for h in history] == [["crop"], ["caiman_motion_correction"], ["cnmf"]]
