"""Project: layout, DataFrame store and backups, set_dataframe, apply_config, write lock."""
import json
import multiprocessing
import os
import re
import socket
import warnings

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mesmerize.core.errors import (
    ColumnTypeError, ConfigError, FormatVersionError, ProjectError, ProjectLockedError,
    SampleIDError,
)
from mesmerize.core.project import CustomColumn, Project
from mesmerize.core.project.config import save_config
from mesmerize.core.project.dataframe_store import read_dataframe_file
from mesmerize.core.project.layout import PROJECT_DIRS
from mesmerize.core.project.lock import ProjectLock
from tests.core.test_project_samples import make_work_env, project_config, tree_hashes


@pytest.fixture
def project(tmp_path):
    return Project.create(tmp_path / "proj", project_config())


@pytest.fixture
def filled(project):
    """Three samples of three ROIs; cell_name is 'atena' in rows 0, 3, 6, 'pr' in row 2."""
    for i in range(3):
        project.add_sample(make_work_env(i, tags={0: {"cell_name": "atena"},
                                                  2: {"cell_name": "pr"}}),
                           f"a{i}", "t1", {"stage": 48 + i})
    return project


def test_create_layout(project):
    names = {p.name for p in project.path.iterdir()}
    assert names >= {"config.json", *PROJECT_DIRS}
    config = json.loads((project.path / "config.json").read_text())
    assert config["format_version"] == 1 and config["roi_type_columns"] == ["cell_name", "region"]
    df = read_dataframe_file(project.path / "dataframes" / "root.dfr")
    assert list(df.columns) == project.config.all_columns and len(df) == 0
    schema = pq.read_schema(project.path / "dataframes" / "root.dfr")
    meta = json.loads(schema.metadata[b"mesmerize"])
    assert meta == {"format_version": 1}
    assert project.backups() == []
    reopened = Project.open(project.path)
    assert reopened.config == project.config
    assert reopened.dataframe.dtypes.to_dict() == project.dataframe.dtypes.to_dict()


def test_create_refuses_existing_non_empty_directory(tmp_path):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "data.txt").write_text("x")
    with pytest.raises(ProjectError, match="not empty"):
        Project.create(tmp_path / "full")
    assert sorted(p.name for p in (tmp_path / "full").iterdir()) == ["data.txt"]
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ProjectError, match="a file with that name exists"):
        Project.create(tmp_path / "afile")
    (tmp_path / "empty").mkdir()
    assert Project.create(tmp_path / "empty").dataframe.empty
    with pytest.raises(ConfigError):
        Project.create(tmp_path / "other", config={"roi_type_columns": []})


@pytest.mark.parametrize("remove, named", [
    ("config.json", "config.json"), ("images", "images/"), ("trns", "trns/"),
    ("dataframes/root.dfr", "dataframes/root.dfr"),
])
def test_open_names_missing_parts(project, remove, named):
    target = project.path / remove
    target.unlink() if target.is_file() else target.rmdir()
    with pytest.raises(ProjectError, match=re.escape(named)):
        Project.open(project.path)


def test_open_refuses_newer_and_foreign_files(project):
    config_path = project.path / "config.json"
    data = json.loads(config_path.read_text())
    data["format_version"] = 99
    config_path.write_text(json.dumps(data))
    with pytest.raises(FormatVersionError, match="Upgrade Mesmerize"):
        Project.open(project.path)
    data["format_version"] = 1
    config_path.write_text(json.dumps(data))
    root = project.path / "dataframes" / "root.dfr"
    table = pa.Table.from_pandas(project.dataframe, preserve_index=False)
    pq.write_table(table.replace_schema_metadata(
        {**table.schema.metadata, b"mesmerize": b'{"format_version": 2}'}), root)
    with pytest.raises(FormatVersionError, match="format_version 2.*Upgrade"):
        Project.open(project.path)
    pq.write_table(pa.table({"x": [1]}), root)
    with pytest.raises(FormatVersionError, match="not a Mesmerize project DataFrame"):
        Project.open(project.path)
    root.write_bytes(b"garbage")
    with pytest.raises(ProjectError, match="Restore a backup"):
        Project.open(project.path)


def test_backups_are_parquet_copies_and_restore_by_renaming(filled):
    backups = filled.backups()
    assert len(backups) == 3
    assert read_dataframe_file(backups[0]).empty
    assert all(re.fullmatch(r"root_\d{8}_\d{6}_\d{6}\.dfr", b.name) for b in backups)
    state_after_two = read_dataframe_file(backups[-1])
    assert state_after_two.SampleID.unique().tolist() == ["a0-_-t1", "a1-_-t1"]
    current = filled.dataframe
    filled.delete_sample("a2-_-t1")
    newest = filled.backups()[-1]
    root = filled.path / "dataframes" / "root.dfr"
    pd.testing.assert_frame_equal(read_dataframe_file(newest), current)
    os.replace(newest, root)
    pd.testing.assert_frame_equal(Project.open(filled.path).dataframe, current)


def test_restore_backup_backs_up_current_first(filled):
    first = filled.backups()[1]
    current = filled.dataframe
    previous = filled.restore_backup(first)
    assert filled.sample_ids() == ["a0-_-t1"]
    pd.testing.assert_frame_equal(read_dataframe_file(previous), current)
    assert first.exists()
    bogus = filled.path / "dataframes" / "root_20200101_000000_000000.dfr"
    bogus.write_bytes(b"not parquet")
    before = tree_hashes(filled.path)
    with pytest.raises(ProjectError):
        filled.restore_backup(bogus)
    assert tree_hashes(filled.path) == before


def test_dtypes_stable(filled):
    filled.add_sample(make_work_env(9), "a9", "t1", {"dose": 1.25})
    for df in (filled.dataframe, Project.open(filled.path).dataframe):
        assert df.stage.dtype == "Int64" and df.stage.isna().sum() == 3
        assert df.dose.dtype == "float64"
        assert df.promoter.dtype == object and df.cell_name.dtype == object
        assert all(isinstance(v, str) for v in df.ROI_State)


def test_guide_console_example_rename_atena(filled):
    get_root_dataframe = lambda: filled.dataframe  # noqa: E731  (the console's callables)
    set_root_dataframe = filled.set_dataframe
    # --- the guide's example, literally ---
    df = get_root_dataframe().copy()
    df.cell_name[df.cell_name == 'atena']
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pandas 2.x warns about chained assignment
        df.cell_name[df.cell_name == 'atena'] = 'ATENA'
    assert len(df.cell_name[df.cell_name == 'atena']) == 0
    df.cell_name
    assert df.cell_name.iloc[3] == 'ATENA'
    set_root_dataframe(df)
    # ---
    result = Project.open(filled.path).dataframe
    assert result.cell_name.tolist() == ["ATENA", "untagged", "pr"] * 3
    assert len(filled.backups()) == 4


@pytest.mark.parametrize("column", ["SampleID", "ImgUUID", "ImgPath", "ImgInfoPath", "CurvePath",
                                    "ROI_State", "uuid_curve"])
def test_set_dataframe_refuses_protected_changes(filled, column):
    df = filled.dataframe
    df.loc[1, column] = df.loc[1, column] + "x"
    before = tree_hashes(filled.path)
    with pytest.raises(ProjectError, match="changed|not in the project"):
        filled.set_dataframe(df)
    assert tree_hashes(filled.path) == before


@pytest.mark.parametrize("edit, error, message", [
    (lambda df: df.drop(columns="region"), ProjectError, "missing columns: region"),
    (lambda df: df.assign(extra=1), ProjectError, "unknown columns: extra"),
    (lambda df: df.assign(stage="48"), ColumnTypeError, "stage.*whole"),
    (lambda df: df.assign(stage=2.5), ColumnTypeError, "stage.*whole"),
    (lambda df: df.assign(dose="high"), ColumnTypeError, "dose.*decimal"),
    (lambda df: df.assign(cell_name=1), ColumnTypeError, "cell_name.*text"),
    (lambda df: df.assign(promoter=None), ColumnTypeError, "promoter.*text"),
    (lambda df: pd.concat([df, df.iloc[:1]]), ProjectError, "more than once"),
    (lambda df: df.assign(AnimalID="b0"), ProjectError, "no longer form the SampleID"),
    (lambda df: "not a frame", ProjectError, "pandas DataFrame"),
])
def test_set_dataframe_validation(filled, edit, error, message):
    before = tree_hashes(filled.path)
    with pytest.raises(error, match=message):
        filled.set_dataframe(edit(filled.dataframe))
    assert tree_hashes(filled.path) == before


def test_set_dataframe_allowed_edits(filled):
    df = filled.dataframe
    df["stage"] = df["stage"].astype(float)
    df["dose"] = 3
    df = df[df.cell_name != "pr"].reset_index(drop=True)
    filled.set_dataframe(df)
    result = Project.open(filled.path).dataframe
    assert len(result) == 6 and result.stage.dtype == "Int64"
    assert result.stage.tolist() == [48, 48, 49, 49, 50, 50]
    assert result.dose.dtype == "float64" and (result.dose == 3.0).all()


def test_apply_config_adds_and_removes_columns(filled):
    events = []
    filled.changed.connect(lambda what, detail: events.append(what))
    before = filled.dataframe
    new = filled.config
    new.roi_type_columns.append("exclude")
    new.stimulus_type_columns.append("poke")
    new.custom_columns.update({"n_int": CustomColumn("int"), "n_int5": CustomColumn("int", 5),
                               "n_float": CustomColumn("float"), "label": CustomColumn("str"),
                               "label2": CustomColumn("str", "ctrl")})
    del new.custom_columns["promoter"]
    new.visible_columns.remove("promoter")
    n_backups = len(filled.backups())
    filled.apply_config(new)
    assert len(filled.backups()) == n_backups + 1
    assert "promoter" in read_dataframe_file(filled.backups()[-1]).columns
    for df in (filled.dataframe, Project.open(filled.path).dataframe):
        assert "promoter" not in df.columns
        assert (df.exclude == "untagged").all() and (df.poke == "untagged").all()
        assert df.n_int.dtype == "Int64" and df.n_int.isna().all()
        assert df.n_int5.dtype == "Int64" and (df.n_int5 == 5).all()
        assert df.n_float.dtype == "float64" and df.n_float.isna().all()
        assert (df.label == "untagged").all() and (df.label2 == "ctrl").all()
        pd.testing.assert_frame_equal(df[before.columns.drop("promoter")],
                                      before.drop(columns="promoter"))
    assert json.loads((filled.path / "config.json").read_text())["custom_columns"]["n_int5"] == \
        {"type": "int", "replace_value": 5}
    assert events == ["config"]
    filled.add_sample(make_work_env(7), "a7", "t1", {"n_int": 3, "label": "x"})
    assert filled.dataframe.n_int.tolist()[-3:] == [3, 3, 3]


def test_apply_config_refuses_type_change(filled):
    before = tree_hashes(filled.path)
    new = filled.config
    new.custom_columns["stage"] = CustomColumn("float")
    with pytest.raises(ColumnTypeError, match="data types cannot be changed later"):
        filled.apply_config(new)
    bad = filled.config
    bad.roi_type_columns.append("_private")
    with pytest.raises(ConfigError, match="reserved"):
        filled.apply_config(bad)
    assert tree_hashes(filled.path) == before


def test_apply_config_visibility_only_keeps_dataframe(filled):
    root = filled.path / "dataframes" / "root.dfr"
    root_bytes, n_backups = root.read_bytes(), len(filled.backups())
    new = filled.config
    new.visible_columns.remove("date")
    new.hidden_columns.append("date")
    filled.apply_config(new)
    assert root.read_bytes() == root_bytes and len(filled.backups()) == n_backups
    assert "date" in Project.open(filled.path).config.hidden_columns


def test_config_written_but_dataframe_not_yet_is_reconciled_on_open(filled):
    """A crash between the config write and the DataFrame write of apply_config."""
    new = filled.config
    new.roi_type_columns.append("exclude")
    new.custom_columns["n"] = CustomColumn("int", 2)
    del new.custom_columns["promoter"]
    new.visible_columns.remove("promoter")
    save_config(filled.path / "config.json", new.validated())
    df = Project.open(filled.path).dataframe
    assert (df.exclude == "untagged").all() and (df.n == 2).all() and "promoter" not in df


def test_other_process_changes_are_seen(filled):
    other = Project.open(filled.path)
    other.delete_sample("a1-_-t1")
    assert filled.sample_ids() == ["a0-_-t1", "a2-_-t1"]
    filled.delete_sample("a0-_-t1")
    assert other.sample_ids() == ["a2-_-t1"]


def _hold_lock(path, ready, release):
    lock = ProjectLock(path)
    lock.acquire()
    ready.set()
    release.wait(30)


def test_second_writer_gets_project_locked_error(filled):
    ctx = multiprocessing.get_context("fork")
    ready, release = ctx.Event(), ctx.Event()
    child = ctx.Process(target=_hold_lock, args=(filled.layout.lock_file, ready, release))
    child.start()
    try:
        assert ready.wait(10)
        waiting = Project.open(filled.path, lock_timeout_s=0.3)
        before = tree_hashes(filled.path)
        with pytest.raises(ProjectLockedError) as info:
            waiting.delete_sample("a0-_-t1")
        message = str(info.value)
        assert f"process {child.pid} on host {socket.gethostname()}" in message
        assert tree_hashes(filled.path) == before
    finally:
        child.kill()
        child.join(10)
    waiting.delete_sample("a0-_-t1")
    assert filled.sample_ids() == ["a1-_-t1", "a2-_-t1"]
    assert (filled.path / ".mesmerize.lock").read_bytes() == b""


def test_lock_is_reentrant_and_exclusive_between_handles(tmp_path):
    path = tmp_path / "x.lock"
    first, second = ProjectLock(path), ProjectLock(path, timeout_s=0.1)
    with first:
        with first:
            assert first.held
            assert json.loads(path.read_text())["pid"] == os.getpid()
        assert first.held
        with pytest.raises(ProjectLockedError, match=f"process {os.getpid()}"):
            second.acquire()
    assert not first.held and path.read_text() == ""
    with second:
        assert second.held


def test_sample_ids_and_load_errors(filled):
    assert filled.sample_ids() == ["a0-_-t1", "a1-_-t1", "a2-_-t1"]
    with pytest.raises(SampleIDError, match="not in the project"):
        filled.load_sample("zz-_-t1")
    row = filled.dataframe.iloc[0]
    (filled.path / row.CurvePath).unlink()
    with pytest.raises(ProjectError, match="curve file .* is missing"):
        filled.load_curve(row)
    assert filled.missing_files() == [row.CurvePath]
    (filled.path / row.ImgPath).unlink()
    with pytest.raises(ProjectError, match="image file of this sample"):
        filled.load_sample(row.SampleID)
    np.testing.assert_equal(filled.load_curve(filled.dataframe.iloc[3]).ndim, 1)
