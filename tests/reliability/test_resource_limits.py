"""Batch items that pass the configured time or memory limit are stopped (their whole process
tree) and marked failed with the reason; items within the limits, and the items after a
stopped one, run normally. Limits come from the system configuration (default: none)."""
from __future__ import annotations

import json
import time

import psutil
import pytest

from mesmerize.core.batch import Batch, register_kind, unregister_kind
from mesmerize.core.batch.item import FAILED, FINISHED
from mesmerize.core.batch.launch import RunnerSettings
from mesmerize.core.errors import ConfigError
from mesmerize.core.system_config import SystemConfig, load_system_config, save_system_config
from tests.core import batch_kinds_for_tests as batch_helpers

from . import limit_kinds


@pytest.fixture()
def batch(monkeypatch, tmp_path):
    monkeypatch.setenv("MESMERIZE_CONFIG_DIR", str(tmp_path / "config"))
    register_kind(limit_kinds.KIND)
    yield Batch.create(tmp_path / "batch")
    unregister_kind(limit_kinds.KIND.name)


@pytest.fixture()
def movie(tmp_path):
    return batch_helpers.make_movie(tmp_path)[0]


def _run(batch: Batch, settings: RunnerSettings) -> dict:
    runner = batch.process_batch(settings=settings)
    assert runner.wait(120) and runner.error is None
    return {item.name: item for item in batch.items}


def test_defaults_are_no_limits_and_limits_come_from_the_system_config(tmp_path, monkeypatch):
    monkeypatch.setenv("MESMERIZE_CONFIG_DIR", str(tmp_path / "config"))
    assert SystemConfig().item_time_limit_s is None
    assert SystemConfig().item_memory_limit_mib is None
    settings = RunnerSettings.from_system_config()
    assert settings.time_limit_s is None and settings.memory_limit_mib is None
    save_system_config(SystemConfig(item_time_limit_s=90.5, item_memory_limit_mib=2048))
    assert json.loads((tmp_path / "config" / "system_config.json").read_text())[
        "item_memory_limit_mib"] == 2048
    settings = RunnerSettings.from_system_config()
    assert settings.time_limit_s == 90.5 and settings.memory_limit_mib == 2048
    assert load_system_config().item_time_limit_s == 90.5


@pytest.mark.parametrize("field, value", [
    ("item_time_limit_s", 0), ("item_time_limit_s", -1.0), ("item_time_limit_s", float("nan")),
    ("item_time_limit_s", float("inf")), ("item_time_limit_s", True),
    ("item_time_limit_s", "60"), ("item_memory_limit_mib", 0), ("item_memory_limit_mib", 1.5),
    ("item_memory_limit_mib", "1G"), ("item_memory_limit_mib", False),
])
def test_invalid_limits_are_refused_naming_the_field(field, value):
    with pytest.raises(ConfigError, match=field):
        SystemConfig(**{field: value})


@pytest.mark.timeout(120)
def test_item_over_the_time_limit_is_stopped_and_marked_failed(batch, movie):
    batch.add_item(limit_kinds.KIND.name, "slow", {"sleep_s": 60}, input_movie=movie)
    batch.add_item(limit_kinds.KIND.name, "quick", {}, input_movie=movie)
    start = time.monotonic()
    items = _run(batch, RunnerSettings(time_limit_s=2.0))
    assert 2.0 <= time.monotonic() - start < 30  # the limit counts from the process start
    slow = items["slow"]
    assert slow.status == FAILED and slow.process is None
    assert "time limit of 2 s" in slow.error and "item_time_limit_s" in slow.error
    assert slow.duration_s < 2.0 + 10
    assert items["quick"].status == FINISHED


@pytest.mark.timeout(120)
@pytest.mark.parametrize("in_child", [False, True], ids=["runner", "grandchild"])
def test_item_over_the_memory_limit_is_stopped_and_marked_failed(batch, movie, in_child):
    batch.add_item(limit_kinds.KIND.name, "hog", {"mib": 1200, "sleep_s": 30,
                                                  "in_child": in_child}, input_movie=movie)
    batch.add_item(limit_kinds.KIND.name, "small", {"mib": 32}, input_movie=movie)
    items = _run(batch, RunnerSettings(memory_limit_mib=400))
    hog = items["hog"]
    assert hog.status == FAILED, hog.error
    assert "more than its limit of 400 MiB" in hog.error
    assert "item_memory_limit_mib" in hog.error
    used = int(hog.error.split("used ")[1].split(" MiB")[0])
    assert 400 < used < 1600  # a loaded machine may poll after the whole 1200 MiB is taken
    assert hog.duration_s < 25, "stopped long before the allocation finished sleeping"
    assert items["small"].status == FINISHED
    assert _eventually(lambda: not [
        p for p in psutil.process_iter(["cmdline"])
        if "import sys, time" in " ".join(p.info["cmdline"] or [])]), "grandchild left"


def _eventually(condition, timeout_s: float = 10.0) -> bool:
    """True once ``condition()`` holds (a killed process can take a moment to be reaped on a
    loaded machine)."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


@pytest.mark.timeout(120)
def test_items_within_the_limits_finish(batch, movie):
    batch.add_item(limit_kinds.KIND.name, "fits", {"mib": 64, "sleep_s": 0.3},
                   input_movie=movie)
    items = _run(batch, RunnerSettings(time_limit_s=60, memory_limit_mib=1024))
    assert items["fits"].status == FINISHED, items["fits"].error
    assert json.loads(batch.load_item_output(items["fits"].uuid).path.read_text()) == {"mib": 64}
