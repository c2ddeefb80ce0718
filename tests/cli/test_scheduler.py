"""mesmerize-scheduler: argument parsing, start-time parsing and a real scheduled run."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest

from mesmerize.cli.scheduler import main, parse_start_time
from mesmerize.core.batch import Batch, register_kind, unregister_kind
from tests.core import batch_kinds_for_tests as helpers

NOW = datetime(2026, 3, 14, 12, 0, 30)


@pytest.mark.parametrize("text, expected", [
    ("23:00", datetime(2026, 3, 14, 23, 0)),
    ("7:30", datetime(2026, 3, 15, 7, 30)),
    ("12:00", datetime(2026, 3, 15, 12, 0)),
    ("12:00:45", datetime(2026, 3, 14, 12, 0, 45)),
    ("2026-03-20 02:00", datetime(2026, 3, 20, 2, 0)),
    ("2026-03-14T12:01", datetime(2026, 3, 14, 12, 1)),
])
def test_parse_start_time(text, expected):
    assert parse_start_time(text, NOW) == expected


@pytest.mark.parametrize("text, message", [
    ("25:00", "not a valid time"),
    ("7:3", "24 h time"),
    ("7:30pm", "24 h time"),
    ("tomorrow", "24 h time"),
    ("2026-02-30 10:00", "not a valid time"),
    ("2025-01-01 10:00", "in the past"),
])
def test_parse_start_time_refuses(text, message):
    with pytest.raises(ValueError, match=message):
        parse_start_time(text, NOW)


@pytest.fixture()
def batch_with_items(tmp_path, monkeypatch):
    monkeypatch.setenv("MESMERIZE_CONFIG_DIR", str(tmp_path / "config"))
    register_kind(helpers.KIND)
    batch = Batch.create(tmp_path / "sched_batch")
    movie, _ = helpers.make_movie(tmp_path)
    uuids = [batch.add_item(helpers.KIND.name, f"item_{i}", {"scale": 1.0}, input_movie=movie)
             for i in range(2)]
    yield batch, uuids
    unregister_kind(helpers.KIND.name)


@pytest.mark.parametrize("argv", [
    [],
    ["-b", "/tmp/x", "-i", "abc"],
    ["-b", "/tmp/x", "-i", "abc", "-t", "2:00", "--bogus"],
])
def test_bad_arguments_print_usage_and_fail(argv, capsys):
    assert main(argv) == 2
    assert "usage: mesmerize-scheduler -b <batch> -i <start item> -t <start time>" in \
        capsys.readouterr().err


def test_bad_time_prints_usage_and_fails(batch_with_items, capsys):
    batch, uuids = batch_with_items
    assert main(["-b", str(batch.path), "-i", uuids[0], "-t", "7h30"]) == 2
    err = capsys.readouterr().err
    assert "usage: mesmerize-scheduler" in err and "7h30" in err


def test_unknown_item_or_batch_fails_before_waiting(batch_with_items, tmp_path, capsys):
    batch, _ = batch_with_items
    slept = []
    assert main(["-b", str(batch.path), "-i", "no-such-item", "-t", "23:59"],
                sleep=slept.append) == 1
    assert "no-such-item" in capsys.readouterr().err
    assert main(["-b", str(tmp_path / "missing_batch"), "-i", "x", "-t", "23:59"],
                sleep=slept.append) == 1
    assert slept == []


def test_waits_until_the_time_with_a_fake_clock(batch_with_items, capsys):
    batch, uuids = batch_with_items
    clock = [datetime(2026, 3, 14, 22, 58, 0)]

    def fake_sleep(seconds):
        clock[0] += timedelta(seconds=seconds)

    assert main(["-b", str(batch.path), "-i", uuids[1], "-t", "23:00"],
                now=lambda: clock[0], sleep=fake_sleep) == 0
    assert clock[0] == datetime(2026, 3, 14, 23, 0)
    assert [batch.get_item(u).status for u in uuids] == ["pending", "finished"]
    assert f"item {uuids[1]}: finished" in capsys.readouterr().out


def test_scheduled_run_a_few_seconds_ahead(batch_with_items):
    batch, uuids = batch_with_items
    start = datetime.now().replace(microsecond=0) + timedelta(seconds=3)
    env = {**os.environ, "PYTHONPATH": str(helpers.REPO_ROOT)}
    t0 = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c",
         "import sys\n"
         "from mesmerize.core.batch import register_kind\n"
         "from tests.core.batch_kinds_for_tests import KIND\n"
         "from mesmerize.cli.scheduler import main\n"
         "register_kind(KIND)\n"
         "sys.exit(main(sys.argv[1:]))\n",
         "-b", str(batch.path), "-i", uuids[0], "-t", f"{start:%Y-%m-%d %H:%M:%S}"],
        env=env, capture_output=True, text=True, timeout=120, cwd=str(helpers.REPO_ROOT))
    assert done.returncode == 0, done.stderr
    assert time.monotonic() - t0 >= 2.0
    for uuid in uuids:
        item = batch.get_item(uuid)
        assert item.status == "finished"
        assert datetime.fromisoformat(item.started).astimezone().replace(tzinfo=None) >= start
    assert "will be processed" in done.stdout
