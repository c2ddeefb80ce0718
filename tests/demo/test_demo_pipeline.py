"""The full demo pipeline on a tiny movie: batch in real subprocesses, CNMF sample, .trn,
figures, and the accuracy summary against the generator's ground truth."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from PIL import Image

from mesmerize.analysis import Transmission
from mesmerize.core.batch import Batch
from mesmerize.core.errors import MetaDataError, ProjectError
from mesmerize.core.project import Project
from mesmerize.demo.pipeline import (
    CLUSTER_COLUMN, PipelineParams, format_summary, run_demo_pipeline, shift_rmse,
)
from mesmerize.demo.synthetic import SyntheticParams, generate

TINY = SyntheticParams(shape=(300, 64, 64), n_neurons=6, fps=10.0, neuron_radius=4.0,
                       mode="2p", max_shift=1.5, seed=0)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    messages: list[str] = []
    summary = run_demo_pipeline(out, PipelineParams(movie=TINY, timeout_s=300),
                                progress=messages.append)
    return out, summary, messages


def test_batch_ran_motion_correction_then_cnmf(demo):
    out, summary, messages = demo
    batch = Batch.open(summary["batch_path"])
    assert summary["batch_path"] == out / "project" / "batches" / "demo"
    assert [(i.module, i.status) for i in batch.items] == [
        ("caiman_motion_correction", "finished"), ("cnmf", "finished")]
    assert batch.items[1].input_item == batch.items[0].uuid
    assert any("[cnmf 'demo_cnmf'] finished" in m for m in messages)
    assert messages[0].startswith("[1/6]") and messages[-1].startswith("[6/6]")


def test_project_holds_the_cnmf_sample_with_tags_and_stimuli(demo):
    _out, summary, _ = demo
    project = Project.open(summary["project_path"])
    assert project.sample_ids() == [summary["sample_id"]]
    df = project.dataframe
    assert len(df) == summary["n_found"] > 0
    assert set(df["cell_type"]) <= {"high_rate", "low_rate", "unmatched"}
    assert set(df["stimulus"]) == {"light, sound"}
    work_env = project.load_sample(summary["sample_id"])
    assert work_env.roi_manager.mode == "cnmf"
    assert "cnmf" in {key for step in work_env.history_trace for key in step}
    curves = project.load_curves(df)
    assert all(c.shape == (300,) and np.isfinite(c).all() for c in curves)


def test_trn_loads_with_clusters_and_figures_exist(demo):
    out, summary, _ = demo
    assert summary["trn_path"].parent == out / "project" / "trns"
    t = Transmission.from_hdf5(summary["trn_path"])
    assert len(t.df) == summary["n_found"]
    assert {"_ZSCORE", CLUSTER_COLUMN} <= set(t.df.columns)
    z = np.stack(t.df["_ZSCORE"])
    np.testing.assert_allclose(z.mean(axis=1), 0, atol=1e-6)  # each trace z-scored alone
    np.testing.assert_allclose(z.std(axis=1), 1, atol=1e-6)
    assert sum(summary["clusters"].values()) == summary["n_found"]
    for key in ("heatmap_path", "beeswarm_path"):
        with Image.open(summary[key]) as image:
            assert image.size[0] > 300 and image.size[1] > 200
    assert summary["n_peaks"] > summary["n_found"]  # every neuron fires several times


def test_summary_accuracy_against_ground_truth(demo):
    _out, summary, _ = demo
    # tolerances: 6 well-separated neurons in 300 frames are all found by CNMF (F1 1.0 in
    # practice); shifts within a quarter pixel RMS of the truth (0.14 px in practice)
    assert summary["n_true"] == 6
    assert 0.8 <= summary["f1"] <= 1.0
    assert summary["trace_corr"] > 0.8
    assert 0.0 < summary["shift_rmse_px"] < 0.25
    text = format_summary(summary)
    assert "F1" in text and "RMSE" in text


def test_refuses_an_output_directory_with_a_previous_demo(demo):
    out, _summary, _ = demo
    with pytest.raises(ProjectError, match="already exists"):
        run_demo_pipeline(out, PipelineParams(movie=TINY), progress=lambda m: None)


def test_shift_rmse_ignores_a_constant_offset():
    rng = np.random.default_rng(0)
    truth = rng.normal(size=(100, 2))
    assert shift_rmse(truth + [0.7, -0.3], truth) == pytest.approx(0.0, abs=1e-12)
    error = np.zeros((4, 2))
    error[:, 0] = [1, -1, 1, -1]
    assert shift_rmse(truth[:4] + error, truth[:4]) == pytest.approx(1.0)


def test_runs_on_a_user_movie_with_its_meta_data_elsewhere(tmp_path):
    movie = generate(replace(TINY, seed=5))
    movie_path, meta_path, _truth = movie.save(tmp_path / "acquired", "mine")
    elsewhere = tmp_path / "meta" / "notes.json"
    elsewhere.parent.mkdir()
    meta_path.rename(elsewhere)
    out = tmp_path / "out"
    summary = run_demo_pipeline(out, PipelineParams(movie=TINY, movie_path=str(movie_path),
                                                    meta_path=str(elsewhere)),
                                progress=lambda message: None)
    assert not (out / "raw").exists()
    assert summary["f1"] is None and summary["shift_rmse_px"] is None
    assert summary["truth_path"] is None and summary["n_found"] > 0
    df = Project.open(summary["project_path"]).dataframe
    assert set(df["cell_type"]) == {"high_rate", "low_rate"}
    assert "no ground truth" in format_summary(summary)
    assert summary["heatmap_path"].is_file() and summary["trn_path"].is_file()


def test_a_user_movie_without_a_frame_rate_is_refused(tmp_path):
    movie = generate(replace(TINY, shape=(30, 32, 32), n_neurons=2))
    movie_path, meta_path, _truth = movie.save(tmp_path, "mine")
    meta_path.unlink()
    with pytest.raises(MetaDataError):
        run_demo_pipeline(tmp_path / "out", PipelineParams(movie=TINY,
                                                           movie_path=str(movie_path)),
                          progress=lambda message: None)
