"""Batch directory, items table and item bookkeeping (no subprocesses)."""
from __future__ import annotations

import json
import socket
import subprocess
import sys
import time

import numpy as np
import psutil
import pytest
import tifffile

from mesmerize.core import ImgData, ViewerWorkEnv
from mesmerize.core.batch import (
    Batch, BatchError, BatchItemNotFoundError, BatchPathError, DependencyError,
    EngineUnavailableError, ItemKind, register_kind, unregister_kind,
)
from mesmerize.core.batch.table import ItemsTable
from mesmerize.core.errors import FormatVersionError, ParameterError, ProjectLockedError
from tests.core import batch_kinds_for_tests as helpers


@pytest.fixture()
def kind(monkeypatch, tmp_path):
    monkeypatch.setenv("MESMERIZE_CONFIG_DIR", str(tmp_path / "config"))
    register_kind(helpers.KIND)
    yield helpers.KIND.name
    unregister_kind(helpers.KIND.name)


@pytest.fixture()
def batch(tmp_path, kind):
    return Batch.create(tmp_path / "batch_1")


@pytest.fixture()
def movie(tmp_path):
    return helpers.make_movie(tmp_path)


def test_create_open_and_df(batch, movie, kind):
    u1 = batch.add_item(kind, "a", {"scale": 2}, input_movie=movie[0])
    u2 = batch.add_item(kind, "b", {"scale": 3}, input_item=u1)
    reopened = Batch.open(batch.path)
    df = reopened.df
    assert list(df.index) == [0, 1]
    assert list(df["uuid"]) == [u1, u2]
    assert list(df["name"]) == ["a", "b"]
    assert list(df["status"]) == ["pending", "pending"]
    assert df.loc[1, "input_item"] == u1
    assert df.loc[0, "params"] == {"scale": 2}
    assert reopened.index_of(u2) == 1
    table = json.loads((batch.path / "batch.json").read_text())
    assert table["format_version"] == 1
    assert table["items"][0]["input_files"]["movie"] == f"{u1}/input/movie.tiff"


def test_create_refuses_existing_batch_and_open_refuses_plain_dir(batch, tmp_path):
    with pytest.raises(BatchError, match="already holds a batch"):
        Batch.create(batch.path)
    (tmp_path / "plain").mkdir()
    with pytest.raises(BatchError, match="not a batch directory"):
        Batch.open(tmp_path / "plain")


def test_batch_path_with_space_is_refused(tmp_path):
    with pytest.raises(BatchPathError, match="' '"):
        Batch.create(tmp_path / "my batch")


def test_newer_table_format_is_refused(batch):
    data = json.loads((batch.path / "batch.json").read_text())
    data["format_version"] = 99
    (batch.path / "batch.json").write_text(json.dumps(data))
    with pytest.raises(FormatVersionError, match="upgrade Mesmerize"):
        Batch.open(batch.path)


def test_add_item_stores_work_env_movie_meta_and_history(batch, kind):
    seq = np.arange(6 * 5 * 4, dtype=np.uint16).reshape(6, 5, 4)
    work_env = ViewerWorkEnv(ImgData(seq, helpers.META), history_trace=[{"crop": {"x0": 1}}])
    uuid = batch.add_item(kind, "from_viewer", {"scale": 1.5}, input_work_env=work_env)
    stored = tifffile.imread(batch.input_movie_path(uuid))
    np.testing.assert_array_equal(stored, seq.T)
    info = batch.input_work_env_info(uuid)
    assert info["meta"]["fps"] == 10.0
    assert info["history_trace"] == [{"crop": {"x0": 1}}]


def test_add_item_copies_movie_with_its_meta_and_records_source(tmp_path, kind, movie):
    batch = Batch.create(tmp_path / "batch_raw", raw_data_root=tmp_path)
    uuid = batch.add_item(kind, "raw", {}, input_movie=movie[0])
    np.testing.assert_array_equal(tifffile.imread(batch.input_movie_path(uuid)), movie[1].T)
    assert batch.input_work_env_info(uuid)["meta"]["source"] == "batch test"
    assert batch.get_item(uuid).source == "$RAW/movie.tiff"
    assert batch.source_path(uuid) == movie[0]


def test_add_item_needs_exactly_one_input(batch, kind, movie):
    with pytest.raises(ParameterError, match="exactly one input"):
        batch.add_item(kind, "x", {})
    with pytest.raises(ParameterError, match="exactly one input"):
        batch.add_item(kind, "x", {}, input_movie=movie[0], input_item="abc")
    with pytest.raises(BatchItemNotFoundError):
        batch.add_item(kind, "x", {}, input_item="no-such-uuid")
    assert batch.items == []
    assert [p.name for p in batch.path.iterdir() if p.is_dir()] == []


def test_unknown_and_unimportable_kinds_are_refused(batch, movie):
    with pytest.raises(EngineUnavailableError, match="Unknown batch item kind 'nope'"):
        batch.add_item("nope", "x", {}, input_movie=movie[0])
    register_kind(ItemKind("future", "mesmerize.engines.not_written_yet:fit",
                           "mesmerize.engines.not_written_yet:Result.load"))
    try:
        with pytest.raises(EngineUnavailableError, match="mesmerize.engines.not_written_yet"):
            batch.add_item("future", "x", {}, input_movie=movie[0])
    finally:
        unregister_kind("future")
    assert batch.items == []


def test_params_are_stored_json_safe(batch, kind, movie):
    uuid = batch.add_item(kind, "x", {"gSig_filt": (10, 10), "k": np.int64(3),
                                      "thr": np.float32(0.5)}, input_movie=movie[0])
    assert Batch.open(batch.path).get_item(uuid).params == {"gSig_filt": [10, 10], "k": 3,
                                                            "thr": 0.5}
    with pytest.raises(ParameterError, match="finite"):
        batch.add_item(kind, "x", {"bad": float("nan")}, input_movie=movie[0])
    with pytest.raises(ParameterError, match="object"):
        batch.add_item(kind, "x", {"bad": object()}, input_movie=movie[0])


def test_parameter_variants_and_diff(batch, kind, movie):
    base = {"strides": 196, "overlaps": 98, "max_dev": 3}
    u1 = batch.add_item(kind, "trial_1", base, input_movie=movie[0])
    u2 = batch.add_item(kind, "trial_1", {**base, "strides": 256, "overlaps": 128},
                        input_movie=movie[0])
    u3 = batch.add_item(kind, "trial_1", {**base, "upsample": 4}, input_movie=movie[0])
    assert batch.variants("trial_1") == [u1, u2, u3]
    diff = batch.diff_params([u1, u2, u3])
    assert list(diff.columns) == ["strides", "overlaps", "upsample"]
    assert list(diff.index) == [u1, u2, u3]
    assert diff.loc[u2, "strides"] == 256
    assert diff.loc[u1, "upsample"] is None


def test_remove_item_checks_dependents(batch, kind, movie):
    u1 = batch.add_item(kind, "mc", {}, input_movie=movie[0])
    u2 = batch.add_item(kind, "cnmf", {}, input_item=u1)
    with pytest.raises(DependencyError, match=u2):
        batch.remove_item(u1)
    assert (batch.path / u1).is_dir()
    batch.remove_item(u1, force=True)
    assert not (batch.path / u1).exists()
    assert [i.uuid for i in batch.items] == [u2]
    with pytest.raises(BatchItemNotFoundError):
        batch.remove_item(u1)


def test_running_item_cannot_be_removed(batch, kind, movie):
    uuid = batch.add_item(kind, "x", {}, input_movie=movie[0])
    batch.update_item(uuid, status="running",
                      process={"pid": 1, "host": "another-host", "create_time": 0.0})
    with pytest.raises(BatchError, match="abort it"):
        batch.remove_item(uuid)


def test_reopen_marks_dead_running_items_interrupted(batch, kind, movie):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    u_dead = batch.add_item(kind, "dead", {}, input_movie=movie[0])
    u_remote = batch.add_item(kind, "remote", {}, input_movie=movie[0])
    u_live = batch.add_item(kind, "live", {}, input_movie=movie[0])
    me = psutil.Process()
    batch.update_item(u_dead, status="running", process={
        "pid": dead.pid, "host": socket.gethostname(), "create_time": time.time() - 5})
    batch.update_item(u_remote, status="moving", process={
        "pid": 1, "host": "cluster-node-7", "create_time": 0.0})
    batch.update_item(u_live, status="running", process={
        "pid": me.pid, "host": socket.gethostname(), "create_time": me.create_time()})
    reopened = Batch.open(batch.path)
    statuses = dict(zip(reopened.df["uuid"], reopened.df["status"]))
    assert statuses == {u_dead: "interrupted", u_remote: "moving", u_live: "running"}
    assert f"PID {dead.pid}" in reopened.get_item(u_dead).error


def test_load_item_output_of_unfinished_item_is_refused(batch, kind, movie):
    uuid = batch.add_item(kind, "x", {}, input_movie=movie[0])
    with pytest.raises(BatchError, match="not finished"):
        batch.load_item_output(uuid)
    with pytest.raises(DependencyError, match="process it first"):
        batch.input_movie_path(batch.add_item(kind, "y", {}, input_item=uuid))


def test_changed_event_and_refresh(batch, kind, movie):
    calls = []
    batch.changed.connect(lambda: calls.append(1))
    batch.add_item(kind, "x", {}, input_movie=movie[0])
    assert len(calls) == 1
    assert batch.refresh() is False
    other = Batch.open(batch.path)
    time.sleep(0.01)
    other.add_item(kind, "y", {}, input_movie=movie[0])
    assert batch.refresh() is True
    assert len(calls) == 2


def test_writer_blocked_by_lock_names_the_holder(batch):
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path\n"
         "from mesmerize.core.batch.table import ItemsTable\n"
         "with ItemsTable(Path(sys.argv[1])).locked():\n"
         "    print('locked', flush=True); time.sleep(30)\n", str(batch.path)],
        stdout=subprocess.PIPE, text=True, cwd=str(helpers.REPO_ROOT))
    try:
        assert holder.stdout.readline().strip() == "locked"
        table = ItemsTable(batch.path, lock_timeout_s=0.3)
        t0 = time.monotonic()
        with pytest.raises(ProjectLockedError) as info:
            with table.modify():
                pass
        assert time.monotonic() - t0 < 5
        assert f"process {holder.pid}" in str(info.value)
        assert socket.gethostname() in str(info.value)
    finally:
        holder.kill()
        holder.wait()
    with ItemsTable(batch.path, lock_timeout_s=2).modify() as state:
        assert state.items == []


def test_table_writes_leave_no_temporary_files(batch, kind, movie):
    for i in range(3):
        batch.add_item(kind, f"x{i}", {}, input_movie=movie[0])
    assert sorted(p.name for p in batch.path.iterdir() if p.is_file()) == [".batch.lock",
                                                                         "batch.json"]
