"""Two real processes writing the same project or batch at the same time: the write lock
serialises them, so no row, item or status update is lost; a holder killed with SIGKILL
releases the lock; a writer that cannot get the lock is told which PID on which host has it.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time

import pytest

from mesmerize.core.batch import Batch, register_kind, unregister_kind
from mesmerize.core.batch.errors import BatchError
from mesmerize.core.batch.item import FAILED, FINISHED, PENDING
from mesmerize.core.batch.table import ItemsTable
from mesmerize.core.errors import ProjectError, ProjectLockedError
from mesmerize.core.project import Project
from tests.core import batch_kinds_for_tests as batch_helpers
from tests.core.test_project_samples import make_work_env, project_config

REPO_ROOT = batch_helpers.REPO_ROOT


@pytest.fixture()
def kind(monkeypatch, tmp_path):
    monkeypatch.setenv("MESMERIZE_CONFIG_DIR", str(tmp_path / "config"))
    register_kind(batch_helpers.KIND)
    yield batch_helpers.KIND.name
    unregister_kind(batch_helpers.KIND.name)


def _start(script: str, *args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), *args],
                            cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _wait_all(procs: list[subprocess.Popen], timeout_s: float = 90) -> list[str]:
    """Wait for the writers; each must succeed. Returns their standard outputs."""
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout_s)
        assert proc.returncode == 0, f"writer process failed:\n{out}\n{err}"
        outputs.append(out)
    return outputs


#: a writer of one batch: waits for the go file, then adds N items and updates / removes them
BATCH_WRITER = """
    import sys, time
    from pathlib import Path
    from mesmerize.core.batch import Batch, register_kind
    from tests.core import batch_kinds_for_tests as helpers
    register_kind(helpers.KIND)
    batch_dir, movie, tag, n, go = sys.argv[1:6]
    while not Path(go).exists():
        time.sleep(0.005)
    batch = Batch.open(batch_dir)
    for i in range(int(n)):
        uuid = batch.add_item(helpers.KIND.name, f"{tag}{i}", {"i": i}, input_movie=movie)
        batch.update_item(uuid, status="failed", error=f"{tag} error {i}")
        if i % 3 == 2:
            batch.remove_item(uuid)
"""


def test_two_processes_writing_one_batch_lose_nothing(tmp_path, kind):
    movie, _ = batch_helpers.make_movie(tmp_path)
    batch = Batch.create(tmp_path / "batch")
    go, n = tmp_path / "go", 12
    writers = [_start(BATCH_WRITER, str(batch.path), str(movie), tag, str(n), str(go))
               for tag in ("p", "q")]
    time.sleep(0.5)
    go.touch()
    _wait_all(writers)
    items = {item.name: item for item in Batch.open(batch.path).items}
    expected = {f"{tag}{i}" for tag in ("p", "q") for i in range(n) if i % 3 != 2}
    assert set(items) == expected
    for name, item in items.items():
        assert item.status == FAILED and item.error == f"{name[0]} error {name[1:]}"
        assert batch.input_movie_path(item.uuid).read_bytes() == movie.read_bytes()
    folders = {p.name for p in batch.path.iterdir() if p.is_dir()}
    assert folders == {item.uuid for item in items.values()}


PROJECT_WRITER = """
    import sys, time
    from pathlib import Path
    from mesmerize.core.errors import ProjectError
    from mesmerize.core.project import Project
    from tests.core.test_project_samples import make_work_env
    path, tag, n, go = sys.argv[1:5]
    envs = [make_work_env(i, n_rois=2) for i in range(2)]
    project = Project.open(path, lock_timeout_s=60)
    while not Path(go).exists():
        time.sleep(0.005)
    refused = 0
    for i in range(int(n)):
        project.add_sample(envs[i % 2], tag, f"t{i}", {"stage": i})
        while i % 2:
            df = project.dataframe
            df.loc[df.SampleID == f"{tag}-_-t{i}", "comments"] = f"edited by {tag}"
            time.sleep(0.05)  # the other writer may change the project meanwhile
            try:
                project.set_dataframe(df)
                break
            except ProjectError as exc:
                assert "changed" in str(exc), exc
                refused += 1
    print("refused", refused)
"""


def test_two_processes_writing_one_project_lose_nothing(tmp_path):
    project = Project.create(tmp_path / "proj", project_config())
    go, n = tmp_path / "go", 6
    writers = [_start(PROJECT_WRITER, str(project.path), tag, str(n), str(go))
               for tag in ("a", "b")]
    time.sleep(0.5)
    go.touch()
    refused = sum(int(out.split()[-1]) for out in _wait_all(writers))
    print(f"stale set_dataframe calls refused: {refused}")
    reopened = Project.open(project.path)
    assert sorted(reopened.sample_ids()) == sorted(f"{t}-_-t{i}" for t in "ab" for i in range(n))
    df = reopened.dataframe
    for tag in "ab":
        for i in range(n):
            rows = df[df.SampleID == f"{tag}-_-t{i}"]
            assert len(rows) == 2 and (rows.stage == i).all()
            edited = (rows.comments == f"edited by {tag}").all()
            assert edited == bool(i % 2), rows.comments
    assert reopened.missing_files() == []


HOLDER = """
    import sys, time
    from pathlib import Path
    from mesmerize.core.batch.table import ItemsTable
    from mesmerize.core.project.lock import ProjectLock
    with {lock}:
        print("locked", flush=True)
        time.sleep(60)
"""


@pytest.mark.parametrize("what", ["project", "batch"])
def test_lock_holder_is_named_and_a_killed_holder_frees_the_lock(tmp_path, kind, what):
    if what == "project":
        project = Project.create(tmp_path / "proj", project_config())
        holder = _start(HOLDER.format(lock="ProjectLock(Path(sys.argv[1]))"),
                        str(project.layout.lock_file))
        waiting = Project.open(project.path, lock_timeout_s=0.3)

        def write():
            waiting.add_sample(make_work_env(0, n_rois=2), "x", "t")
    else:
        batch = Batch.create(tmp_path / "batch")
        holder = _start(HOLDER.format(lock="ItemsTable(Path(sys.argv[1])).locked()"),
                        str(batch.path))
        table = ItemsTable(batch.path, lock_timeout_s=0.3)

        def write():
            with table.modify() as state:
                state.raw_data_root = "/data"
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(ProjectLockedError) as info:
            write()
        message = str(info.value)
        assert f"process {holder.pid} on host {socket.gethostname()}" in message
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait(10)
        start = time.monotonic()
        write()
        assert time.monotonic() - start < 5
    finally:
        holder.kill()
        holder.communicate()
    if what == "project":
        assert Project.open(project.path).sample_ids() == ["x-_-t"]
    else:
        assert json.loads((batch.path / "batch.json").read_text())["raw_data_root"] == "/data"


def test_stale_dataframe_copy_is_refused_not_written(tmp_path):
    """A copy read before another process added a sample would delete that sample."""
    project = Project.create(tmp_path / "proj", project_config())
    project.add_sample(make_work_env(0, n_rois=2), "a", "t")
    stale = project.dataframe
    stale["comments"] = "edited"
    other = _start("""
        import sys
        from mesmerize.core.project import Project
        from tests.core.test_project_samples import make_work_env
        Project.open(sys.argv[1]).add_sample(make_work_env(1, n_rois=2), "b", "t")
    """, str(project.path))
    _wait_all([other])
    before = (project.path / "dataframes" / "root.dfr").read_bytes()
    with pytest.raises(ProjectError, match="changed .* after this copy of it was read"):
        project.set_dataframe(stale)
    assert (project.path / "dataframes" / "root.dfr").read_bytes() == before
    fresh = project.dataframe
    fresh["comments"] = "edited"
    project.set_dataframe(fresh)
    fresh.loc[0, "comments"] = "edited twice"
    project.set_dataframe(fresh)
    df = Project.open(project.path).dataframe
    assert project.sample_ids() == ["a-_-t", "b-_-t"]
    assert df.comments.tolist() == ["edited twice", "edited", "edited", "edited"]


def test_batch_runner_and_window_writing_one_batch_lose_nothing(tmp_path, kind):
    """The window adds, edits and removes items while a batch run records the statuses of the
    items it runs (including those added during the run)."""
    movie, _ = batch_helpers.make_movie(tmp_path)
    batch = Batch.create(tmp_path / "batch")
    first = [batch.add_item(kind, f"run{i}", {"sleep_s": 0.5, "scale": 2}, input_movie=movie)
             for i in range(2)]
    runner = batch.process_batch()
    added, removed, edited = [], [], set()
    try:
        while runner.is_running and len(added) + len(removed) < 8:
            uuid = batch.add_item(kind, f"gui{len(added)}", {"fail": True}, input_movie=movie)
            added.append(uuid)
            if batch.update_item(uuid, expected_status=[PENDING], params={"fail": True, "e": 1}):
                edited.add(uuid)
            if len(added) % 3 == 0:
                try:
                    batch.remove_item(added[0])
                    removed.append(added.pop(0))
                except BatchError as exc:  # the runner got to it first
                    assert "abort it before deleting it" in str(exc)
            time.sleep(0.1)
    finally:
        assert runner.wait(120)
    assert runner.error is None
    items = {item.uuid: item for item in Batch.open(batch.path).items}
    assert set(items) == set(first) | set(added)
    for uuid in first:
        assert items[uuid].status == FINISHED, items[uuid].error
        assert batch.load_item_output(uuid).load_movie().shape[0] == 12
    for uuid in added:
        assert items[uuid].status == FAILED and "scale must be a number" in items[uuid].error
        assert (items[uuid].params.get("e") == 1) == (uuid in edited)
    assert not any((batch.path / uuid).exists() for uuid in removed)
