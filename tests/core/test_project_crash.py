"""Crash safety: a writer SIGKILLed at random moments never leaves a mixed or dangling project."""
import multiprocessing
import os
import signal

import numpy as np
import pandas as pd
import pytest

from mesmerize.core.project import Project
from mesmerize.core.project import samples as samples_module
from mesmerize.core.project.dataframe_store import read_dataframe_file
from tests.core.test_project_samples import make_work_env, project_config, tree_hashes

ROIS_PER_SAMPLE = 3
N_KILLS = 20


def _add_until_killed(path, animal_id, ready):
    """Child: alternately add a new sample and overwrite sample 'ow-_-t', forever."""
    project = Project.open(path, lock_timeout_s=30)
    envs = [make_work_env(seed, n_rois=ROIS_PER_SAMPLE) for seed in range(2)]
    ready.set()
    i = 0
    while True:
        project.add_sample(envs[i % 2], animal_id, f"t{i}", {"stage": i})
        project.add_sample(envs[(i + 1) % 2], "ow", "t", {"stage": i}, overwrite=True,
                           overwrite_image=bool(i % 2))
        i += 1


def _check_state(project: Project, previous: pd.DataFrame, animal_id: str) -> pd.DataFrame:
    """The DataFrame is the previous one plus whole new samples, 'ow' is one whole version, and
    every file it refers to exists."""
    df = project.dataframe
    ow, rest = df.iloc[:ROIS_PER_SAMPLE], df.iloc[ROIS_PER_SAMPLE:].reset_index(drop=True)
    assert (ow.SampleID == "ow-_-t").all() and ow.ImgUUID.nunique() == 1
    assert (df.SampleID == "ow-_-t").sum() == ROIS_PER_SAMPLE
    old_rest = previous.iloc[ROIS_PER_SAMPLE:].reset_index(drop=True)
    pd.testing.assert_frame_equal(rest.iloc[:len(old_rest)], old_rest)
    added = rest.iloc[len(old_rest):]
    assert len(added) % ROIS_PER_SAMPLE == 0
    n_added = len(added) // ROIS_PER_SAMPLE
    expected = np.repeat([f"{animal_id}-_-t{i}" for i in range(n_added)], ROIS_PER_SAMPLE)
    assert added.SampleID.tolist() == expected.tolist()
    for _, sample in added.groupby("SampleID"):
        assert sample.ImgUUID.nunique() == 1 and sample.uuid_curve.is_unique
    assert df.uuid_curve.is_unique
    assert project.missing_files() == []
    for path in project.backups():
        read_dataframe_file(path)
    return df


def test_sigkill_during_writes_never_corrupts(tmp_path):
    rng = np.random.default_rng(1234)
    ctx = multiprocessing.get_context("fork")
    project = Project.create(tmp_path / "proj", project_config())
    project.add_sample(make_work_env(3, n_rois=ROIS_PER_SAMPLE), "ow", "t")
    previous = project.dataframe
    kills_after_writes = 0
    for k in range(N_KILLS):
        ready = ctx.Event()
        child = ctx.Process(target=_add_until_killed, args=(project.path, f"k{k}", ready))
        child.start()
        assert ready.wait(30)
        child.join(timeout=float(rng.uniform(0.0, 0.25)))
        os.kill(child.pid, signal.SIGKILL)
        child.join(10)
        assert child.exitcode == -signal.SIGKILL
        reopened = Project.open(project.path)
        new = _check_state(reopened, previous, f"k{k}")
        kills_after_writes += len(new) > len(previous)
        previous = new
        last = reopened.sample_ids()[-1]
        loaded = reopened.load_sample(last)
        assert len(loaded.roi_manager.roi_list) == ROIS_PER_SAMPLE
        reopened.load_sample("ow-_-t")
    assert kills_after_writes >= N_KILLS // 4, "the child rarely got to write; kills too early"
    removed = project.purge_unreferenced_files()
    assert removed, "no kill landed between writing sample files and swapping the DataFrame"
    leftovers = [p for p in project.path.rglob(".*.tmp")]
    assert leftovers == []
    assert project.missing_files() == []
    for sample_id in project.sample_ids():
        project.load_sample(sample_id)


@pytest.mark.parametrize("failing", ["write_text_atomic", "write_curves_npz", "save_tiff"])
def test_failed_file_write_leaves_no_new_files(tmp_path, monkeypatch, failing):
    project = Project.create(tmp_path / "proj", project_config())
    project.add_sample(make_work_env(0), "a0", "t")
    before = tree_hashes(project.path)

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(samples_module, failing, boom)
    with pytest.raises(OSError, match="disk full"):
        project.add_sample(make_work_env(1), "a1", "t")
    assert tree_hashes(project.path) == before


def test_failed_dataframe_write_removes_new_sample_files(tmp_path, monkeypatch):
    project = Project.create(tmp_path / "proj", project_config())
    project.add_sample(make_work_env(0), "a0", "t")
    before = tree_hashes(project.path)

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("mesmerize.core.project.dataframe_store.write_dataframe_file", boom)
    with pytest.raises(OSError, match="disk full"):
        project.add_sample(make_work_env(1), "a1", "t")
    after = tree_hashes(project.path)
    new_files = set(after) - set(before)
    assert len(new_files) == 1 and new_files.pop().startswith("dataframes/root_")
    assert {k: v for k, v in after.items() if k in before} == before
    assert Project.open(project.path).sample_ids() == ["a0-_-t"]
