"""Every crash point of every write: a child dies (os._exit, no cleanup) before each
file-system mutation of an operation in turn; the reopened files must hold the state before or
after the operation, every referenced file must exist, and every backup must restore.

Also the regressions the harness found: an interrupted config change could leave a stale column
in ``root.dfr`` that came back (or stopped the project from opening) after a second
interrupted change, and restoring a backup whose column types conflict with the config broke
the project; overwriting a sample deleted the files the backups refer to.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from mesmerize.core.atomic import write_text_atomic
from mesmerize.core.batch import unregister_kind
from mesmerize.core.errors import ProjectError
from mesmerize.core.project import CustomColumn, Project
from tests.core import batch_kinds_for_tests as batch_helpers
from tests.core.test_project_samples import make_work_env, project_config

from .crash_harness import DataLossError, Scenario, crash_during, enumerate_crash_points
from .crash_scenarios import SCENARIOS

#: operations enumerated per scenario: enough to meet every kind of operation once
STEPS = {"add": 1, "delete_restore": 2, "overwrite": 2, "config": 4, "trn": 1, "batch": 4}
REPORTS: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    unregister_kind(batch_helpers.KIND.name)
    print("\ncrash points:")
    for line in REPORTS:
        print("  " + line)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", sorted(STEPS))
def test_every_crash_point(tmp_path, name):
    result = enumerate_crash_points(SCENARIOS[name](), tmp_path / name, STEPS[name])
    REPORTS.append(result.line())
    assert result.data_lost == 0
    assert result.operations == STEPS[name]
    assert result.kills >= STEPS[name], "each operation has at least one commit point"


def _crash_after_config_write():
    """Crash before the first write of ``root.dfr`` that follows the write of config.json."""
    seen_config = [False]

    def crash_now(name, args):
        target = str(args[1]) if name == "replace" and len(args) > 1 else ""
        seen_config[0] |= target.endswith("config.json")
        return seen_config[0] and target.endswith("root.dfr")
    return crash_now


def _with_extra(config, column):
    config.custom_columns["extra"] = column
    return config.validated()


def _without_extra(config):
    del config.custom_columns["extra"]
    config.visible_columns = [c for c in config.visible_columns if c != "extra"]
    return config.validated()


def test_two_interrupted_config_changes_never_bring_back_a_stale_column(tmp_path):
    path = tmp_path / "proj"
    project = Project.create(path, project_config())
    project.add_sample(make_work_env(0, n_rois=2), "a", "t")
    project.apply_config(_with_extra(project.config, CustomColumn("str", "old text")))

    assert crash_during(lambda: Project.open(path), lambda p: p.apply_config(
        _without_extra(p.config)), _crash_after_config_write())
    assert "extra" not in Project.open(path).dataframe.columns

    assert crash_during(lambda: Project.open(path), lambda p: p.apply_config(
        _with_extra(p.config, CustomColumn("float", 2.5))), _crash_after_config_write())
    df = Project.open(path).dataframe
    assert df["extra"].dtype == "float64" and (df["extra"] == 2.5).all()


def test_backup_with_conflicting_column_type_is_refused_before_any_change(tmp_path):
    path = tmp_path / "proj"
    project = Project.create(path, project_config())
    project.add_sample(make_work_env(0, n_rois=2), "a", "t")
    project.apply_config(_with_extra(project.config, CustomColumn("str", "text")))
    project.add_sample(make_work_env(1, n_rois=2), "b", "t", {"extra": "b's text"})
    text_backup = project.backups()[-1]
    project.apply_config(_without_extra(project.config))
    project.apply_config(_with_extra(project.config, CustomColumn("int", 3)))
    before = (path / "dataframes" / "root.dfr").read_bytes()
    n_backups = len(project.backups())
    with pytest.raises(ProjectError, match="'extra'.*Remove or rename that column"):
        project.restore_backup(text_backup)
    assert (path / "dataframes" / "root.dfr").read_bytes() == before
    assert len(project.backups()) == n_backups
    assert Project.open(path).dataframe["extra"].tolist() == [3] * 4
    project.apply_config(_without_extra(project.config))
    project.restore_backup(text_backup)
    assert Project.open(path).sample_ids() == ["a-_-t"]


def test_backup_made_before_an_overwrite_restores_the_old_version(tmp_path):
    path = tmp_path / "proj"
    project = Project.create(path, project_config())
    old_env = make_work_env(0, n_rois=2)
    project.add_sample(old_env, "a", "t", {"stage": 1})
    project.add_sample(make_work_env(1, n_rois=3), "a", "t", {"stage": 2}, overwrite=True)
    before_overwrite = project.backups()[-1]
    project.restore_backup(before_overwrite)
    restored = Project.open(path)
    assert restored.missing_files() == []
    work_env = restored.load_sample("a-_-t")
    assert len(work_env.roi_manager.roi_list) == 2
    assert (work_env.imgdata.seq == old_env.imgdata.seq).all()


def _two_file_scenario() -> Scenario:
    """A change committed as two separate atomic writes: a crash between them leaves a mix,
    which ``enumerate_crash_points`` must report."""
    def apply(root: Path, n: int) -> None:
        write_text_atomic(root / "a.txt", str(n))
        write_text_atomic(root / "b.txt", str(n))

    return Scenario("two_files", lambda root: apply(root, -1), lambda root: root, apply,
                    lambda step: (str(step - 1), str(step - 1)),
                    lambda root: ((root / "a.txt").read_text(), (root / "b.txt").read_text()))


def test_every_crash_point_finds_a_change_split_over_two_commits(tmp_path):
    with pytest.raises(DataLossError, match=r"operation 0: the files hold \('0', '-1'\)"):
        enumerate_crash_points(_two_file_scenario(), tmp_path / "two", 1)
