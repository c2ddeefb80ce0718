"""Processing a batch in real subprocesses (with the small test engine of batch_kinds_for_tests)."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import psutil
import pytest

from mesmerize.core.batch import Batch, RunnerSettings, register_kind, unregister_kind
from mesmerize.core.batch.runner import BatchRunner
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


def wait_for(condition, timeout_s=30.0, what="condition"):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def status(batch, uuid):
    return batch.get_item(uuid).status


def gone(pid: int) -> bool:
    """True when ``pid`` no longer runs (absent, or a zombie that is not our child)."""
    try:
        proc = psutil.Process(pid)
        return proc.status() == psutil.STATUS_ZOMBIE and proc.ppid() != os.getpid()
    except psutil.NoSuchProcess:
        return True


def test_items_run_to_completion_with_progress_output_and_log(batch, kind, movie):
    u1 = batch.add_item(kind, "mc", {"scale": 2.0, "sleep_s": 0.2}, input_movie=movie[0])
    u2 = batch.add_item(kind, "chained", {"scale": 0.5}, input_item=u1)
    progress, output, done = [], [], []
    runner = BatchRunner(batch)
    runner.progress.connect(lambda u, f, m: progress.append((u, f, m)))
    runner.output.connect(lambda u, line: output.append((u, line)))
    runner.item_finished.connect(lambda u, s: done.append((u, s)))
    runner.start()
    assert runner.wait(60)
    assert done == [(u1, "finished"), (u2, "finished")]
    assert runner.results == {u1: "finished", u2: "finished"}
    fractions = [f for u, f, _ in progress if u == u1]
    assert fractions == [0.2, 0.4, 0.6, 0.8, 1.0]
    assert (u1, "copy engine started") in output
    assert "copy engine started" in batch.log_path(u1).read_text()
    assert "@mesmerize-progress" not in batch.log_path(u1).read_text()
    reopened = Batch.open(batch.path)
    item = reopened.get_item(u2)
    assert item.process is None and item.error is None and item.duration_s >= 0
    expected = movie[1].T.astype(np.float32) * 2.0 * 0.5
    np.testing.assert_allclose(reopened.load_item_output(u2).load_movie(), expected)
    assert reopened.get_item(u1).outputs["movie"] == f"{u1}/output/scaled.npy"
    history = reopened.input_work_env_info(u2)["history_trace"]
    assert history == [{kind: {"scale": 2.0, "sleep_s": 0.2}}]


def test_failing_item_is_marked_failed_and_next_item_runs(batch, kind, movie):
    bad = batch.add_item(kind, "bad", {"scale": "x", "fail": True}, input_movie=movie[0])
    needs_bad = batch.add_item(kind, "needs_bad", {}, input_item=bad)
    good = batch.add_item(kind, "good", {"scale": 1.0}, input_movie=movie[0])
    batch.process_batch(wait=True)
    failed = batch.get_item(bad)
    assert failed.status == "failed"
    assert "Traceback (most recent call last)" in failed.error
    assert "ParameterError: scale must be a number" in failed.error
    assert status(batch, needs_bad) == "failed"
    assert "process it first" in batch.get_item(needs_bad).error
    assert status(batch, good) == "finished"
    batch.process_batch(wait=True)
    assert status(batch, bad) == "failed", "failed items are not re-run without a reset"
    batch.reset_item(bad)
    batch.update_item(bad, params={"scale": 3.0})
    batch.process_batch(wait=True)
    assert status(batch, bad) == "finished"


def test_start_index_skips_earlier_items(batch, kind, movie):
    u1 = batch.add_item(kind, "first", {}, input_movie=movie[0])
    u2 = batch.add_item(kind, "second", {}, input_movie=movie[0])
    runner = batch.process_batch(1, wait=True)
    assert runner.results == {u2: "finished"}
    assert status(batch, u1) == "pending"


def test_abort_kills_the_process_tree_and_marks_aborted(batch, kind, movie):
    slow = batch.add_item(kind, "slow", {"sleep_s": 60, "spawn_child": True},
                          input_movie=movie[0])
    after = batch.add_item(kind, "after", {}, input_movie=movie[0])
    runner = batch.process_batch()
    child_pid_file = batch.output_dir(slow) / "child.pid"
    wait_for(child_pid_file.exists, what="the engine's grandchild process")
    grandchild = int(child_pid_file.read_text())
    runner_pid = wait_for(
        lambda: (batch.get_item(slow).process or {}).get("pid") not in (None, os.getpid())
        and batch.get_item(slow).process["pid"], what="the runner to record its PID")
    assert psutil.pid_exists(grandchild)
    t0 = time.monotonic()
    runner.abort()
    assert runner.wait(30)
    assert time.monotonic() - t0 < 15
    assert gone(runner_pid)
    wait_for(lambda: gone(grandchild), 10, "the grandchild to end")
    assert not [p for p in psutil.Process().children(recursive=True)
                if p.status() == psutil.STATUS_ZOMBIE]
    reopened = Batch.open(batch.path)
    assert status(reopened, slow) == "aborted"
    assert status(reopened, after) == "pending"
    assert runner.results == {slow: "aborted"}


def test_abort_can_continue_with_the_next_item(batch, kind, movie):
    slow = batch.add_item(kind, "slow", {"sleep_s": 60}, input_movie=movie[0])
    after = batch.add_item(kind, "after", {}, input_movie=movie[0])
    runner = batch.process_batch(continue_after_abort=True)
    wait_for(lambda: (batch.get_item(slow).process or {}).get("pid") not in (None, os.getpid()),
             what="the runner to start")
    runner.abort()
    assert runner.wait(30)
    assert runner.results == {slow: "aborted", after: "finished"}


def test_kill_9_of_the_item_runner_marks_it_interrupted(batch, kind, movie):
    slow = batch.add_item(kind, "slow", {"sleep_s": 60}, input_movie=movie[0])
    runner = batch.process_batch()
    pid = wait_for(lambda: (batch.get_item(slow).process or {}).get("pid")
                   not in (None, os.getpid()) and batch.get_item(slow).process["pid"],
                   what="the runner to start")
    os.kill(pid, signal.SIGKILL)
    assert runner.wait(30)
    item = Batch.open(batch.path).get_item(slow)
    assert item.status == "interrupted"
    assert "SIGKILL" in item.error


def test_kill_9_of_the_whole_run_leaves_a_batch_that_reopens_interrupted(batch, kind, movie):
    slow = batch.add_item(kind, "slow", {"sleep_s": 60}, input_movie=movie[0])
    driver = subprocess.Popen(
        [sys.executable, "-c",
         "import sys\n"
         "from mesmerize.core.batch import Batch, register_kind\n"
         "from tests.core.batch_kinds_for_tests import KIND\n"
         "register_kind(KIND)\n"
         "Batch.open(sys.argv[1]).process_batch(wait=True)\n", str(batch.path)],
        cwd=str(helpers.REPO_ROOT))
    try:
        pid = wait_for(lambda: (batch.get_item(slow).process or {}).get("pid") not in
                       (None, driver.pid) and batch.get_item(slow).process["pid"],
                       what="the item runner to start")
        assert status(batch, slow) == "running"
        driver.kill()
        driver.wait()
        os.killpg(pid, signal.SIGKILL)
        wait_for(lambda: gone(pid), 10, "the item runner to die")
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait()
    assert status(batch, slow) == "running", "nobody was left to record the end"
    reopened = Batch.open(batch.path)
    assert status(reopened, slow) == "interrupted"
    assert f"PID {pid}" in reopened.get_item(slow).error


def test_items_added_during_a_run_are_processed(batch, kind, movie):
    first = batch.add_item(kind, "first", {"sleep_s": 1.5}, input_movie=movie[0])
    runner = batch.process_batch()
    wait_for(lambda: status(batch, first) == "running", what="the first item to start")
    late = batch.add_item(kind, "late", {}, input_movie=movie[0])
    assert runner.wait(60)
    assert runner.results == {first: "finished", late: "finished"}


def test_work_dir_processing_moves_output_into_the_batch(batch, kind, movie, tmp_path):
    work = tmp_path / "fast_scratch"
    settings = RunnerSettings(work_dir=str(work))
    uuid = batch.add_item(kind, "x", {"scale": 4.0}, input_movie=movie[0])
    runner = batch.process_batch(settings=settings, use_work_dir=True, wait=True)
    assert runner.results == {uuid: "finished"}
    result = batch.load_item_output(uuid)
    assert Path(result.output_path).parent == batch.output_dir(uuid)
    np.testing.assert_allclose(result.load_movie(), movie[1].T * 4.0)
    assert list(work.iterdir()) == []


def test_pre_run_commands_python_call_and_thread_limits(batch, kind, movie):
    settings = RunnerSettings(python_call=sys.executable,
                              pre_run_commands=["export MESMERIZE_TEST_MARK=from_pre_run"],
                              extra_env={"OMP_NUM_THREADS": "1"})
    uuid = batch.add_item(kind, "x", {"print_env": ["MESMERIZE_TEST_MARK", "OMP_NUM_THREADS"]},
                          input_movie=movie[0])
    batch.process_batch(settings=settings, wait=True)
    log = batch.log_path(uuid).read_text()
    assert "env MESMERIZE_TEST_MARK=from_pre_run" in log
    assert "env OMP_NUM_THREADS=1" in log
    assert status(batch, uuid) == "finished"


def test_runner_that_exits_without_a_result_is_marked_failed(batch, kind, movie):
    settings = RunnerSettings(python_call=f"{sys.executable} -c 'import sys; sys.exit(3)'")
    uuid = batch.add_item(kind, "x", {}, input_movie=movie[0])
    batch.process_batch(settings=settings, wait=True)
    item = batch.get_item(uuid)
    assert item.status == "failed"
    assert "exited with code 3" in item.error


def test_exported_shell_script_runs_the_item(batch, kind, movie, tmp_path):
    u1 = batch.add_item(kind, "a", {"scale": 2.0}, input_movie=movie[0])
    u2 = batch.add_item(kind, "b", {}, input_item=u1)
    scripts = batch.export_shell_scripts(tmp_path / "scripts",
                                         settings=RunnerSettings(python_call=sys.executable))
    assert [p.name for p in scripts] == [f"0000_{u1}.sh", f"0001_{u2}.sh"]
    assert os.access(scripts[0], os.X_OK)
    env = {**os.environ, "PYTHONPATH": str(helpers.REPO_ROOT)}
    done = subprocess.run(["bash", str(tmp_path / "scripts" / "run_all.sh")], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert [status(batch, u) for u in (u1, u2)] == ["finished", "finished"]


def test_item_runner_cli_refuses_unknown_batch_or_item(batch):
    env = {**os.environ, "PYTHONPATH": str(helpers.REPO_ROOT)}
    for args in ([str(batch.path), "no-such-uuid"], [str(batch.path.parent / "nope"), "x"], []):
        done = subprocess.run([sys.executable, "-m", "mesmerize.cli.batch_runner", *args],
                              env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 2
        assert "error" in done.stderr
    assert "no-such-uuid" in subprocess.run(
        [sys.executable, "-m", "mesmerize.cli.batch_runner", str(batch.path), "no-such-uuid"],
        env=env, capture_output=True, text=True, timeout=60).stderr


def test_a_failing_listener_does_not_stall_the_item(batch, kind, movie):
    uuid = batch.add_item(kind, "x", {"sleep_s": 0.2}, input_movie=movie[0])
    runner = BatchRunner(batch)

    def broken(*args):
        raise RuntimeError("listener bug")

    runner.output.connect(broken)
    runner.progress.connect(broken)
    runner.start()
    assert runner.wait(60)
    assert runner.results == {uuid: "finished"} and runner.error is None
    assert "output listener failed: RuntimeError('listener bug')" in \
        batch.log_path(uuid).read_text()
