"""Submitting batch items to a real single-node SLURM cluster started by the test."""
from __future__ import annotations

import time

import numpy as np
import pytest

from mesmerize.core.batch import Batch, RunnerSettings, register_kind, unregister_kind
from mesmerize.core.batch.errors import DependencyError
from mesmerize.core.batch.slurm import SlurmSettings, SlurmSubmitter
from tests.core import batch_kinds_for_tests as helpers
from tests.core.slurm_cluster import ClusterUnavailable, start_cluster, stop_cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    try:
        cluster = start_cluster(tmp_path_factory.mktemp("slurm"))
    except ClusterUnavailable as exc:
        pytest.skip(f"no SLURM cluster: {exc}")
    yield cluster
    stop_cluster(cluster)


@pytest.fixture()
def batch(tmp_path, monkeypatch, cluster):
    monkeypatch.setenv("MESMERIZE_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("SLURM_CONF", cluster.env["SLURM_CONF"])
    register_kind(helpers.KIND)
    yield Batch.create(tmp_path / "slurm_batch")
    unregister_kind(helpers.KIND.name)


@pytest.fixture()
def movie(tmp_path):
    return helpers.make_movie(tmp_path)


def submitter(batch):
    return SlurmSubmitter(batch, SlurmSettings(time_limit="00:10:00", cpus_per_task=1),
                          RunnerSettings())


def test_job_per_item_with_dependency_runs_and_collects(batch, movie, cluster):
    u1 = batch.add_item(helpers.KIND.name, "a", {"scale": 2.0, "sleep_s": 0.5},
                        input_movie=movie[0])
    u2 = batch.add_item(helpers.KIND.name, "b", {"scale": 0.5, "print_env": ["OMP_NUM_THREADS"]},
                        input_item=u1)
    sub = submitter(batch)
    jobs = sub.submit()
    assert list(jobs) == [u1, u2]
    assert batch.get_item(u1).slurm_job == jobs[u1]
    assert "#SBATCH --cpus-per-task=1" in (batch.item_dir(u2) / "slurm_job.sh").read_text()
    assert sub.submit() == {}, "queued items are not submitted twice"
    assert sub.wait(timeout_s=120, interval_s=0.5), cluster.log_tail()
    assert [batch.get_item(u).status for u in (u1, u2)] == ["finished", "finished"], \
        batch.get_item(u2).error
    np.testing.assert_allclose(batch.load_item_output(u2).load_movie(), movie[1].T * 1.0)
    log = (batch.item_dir(u2) / f"slurm-{jobs[u2]}.log").read_text()
    assert "env OMP_NUM_THREADS=1" in log


def test_job_array_of_independent_items(batch, movie, cluster):
    uuids = [batch.add_item(helpers.KIND.name, f"v{i}", {"scale": float(i)},
                            input_movie=movie[0]) for i in range(3)]
    sub = submitter(batch)
    jobs = sub.submit(array=True)
    array_id = jobs[uuids[0]].split("_")[0]
    assert [jobs[u] for u in uuids] == [f"{array_id}_{i}" for i in range(3)]
    assert sub.wait(timeout_s=120, interval_s=0.5), cluster.log_tail()
    assert [batch.get_item(u).status for u in uuids] == ["finished"] * 3
    chained = batch.add_item(helpers.KIND.name, "c", {}, input_item=uuids[0])
    second = batch.add_item(helpers.KIND.name, "d", {}, input_item=chained)
    with pytest.raises(DependencyError, match="one job per item"):
        sub.submit([chained, second], array=True)


def test_failing_item_and_cancelled_job(batch, movie, cluster):
    bad = batch.add_item(helpers.KIND.name, "bad", {"fail": True}, input_movie=movie[0])
    slow = batch.add_item(helpers.KIND.name, "slow", {"sleep_s": 60}, input_movie=movie[0])
    sub = submitter(batch)
    sub.submit()
    deadline = time.monotonic() + 60
    while batch.get_item(slow).status != "running" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert batch.get_item(slow).status == "running", cluster.log_tail()
    sub.cancel(slow)
    assert sub.wait(timeout_s=60, interval_s=0.5), cluster.log_tail()
    assert batch.get_item(bad).status == "failed"
    assert "ParameterError" in batch.get_item(bad).error
    assert batch.get_item(slow).status == "aborted"
    assert Batch.open(batch.path).get_item(slow).status == "aborted"


def test_job_killed_outside_the_runner_is_recorded(batch, movie, cluster):
    uuid = batch.add_item(helpers.KIND.name, "x", {}, input_movie=movie[0])
    settings = RunnerSettings(pre_run_commands=["echo 'module load missing' >&2", "exit 7"])
    sub = SlurmSubmitter(batch, SlurmSettings(time_limit="00:10:00"), settings)
    jobs = sub.submit()
    assert sub.wait(timeout_s=60, interval_s=0.5), cluster.log_tail()
    item = batch.get_item(uuid)
    assert item.status == "failed"
    assert f"SLURM job {jobs[uuid]} ended (FAILED)" in item.error
    assert "module load missing" in item.error
