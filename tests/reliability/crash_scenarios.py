"""The writes the kill -9 harness exercises, each as a ``crash_harness.Scenario``.

- ``add``: ``Project.add_sample`` of a new sample each time.
- ``delete_restore``: ``Project.delete_sample`` alternating with ``Project.restore_backup`` of the
  backup the delete made (brings the sample back).
- ``overwrite``: ``Project.add_sample(..., overwrite=True)`` of one sample, alternately with
  2 and 3 ROIs, keeping the old movie file every third time.
- ``config``: ``Project.apply_config`` adding then removing custom columns (one name reused
  with a new replace value each time, plus an ROI type column every other time).
- ``trn``: ``Transmission.to_hdf5(path, overwrite=True)`` of a new Transmission each time.
- ``batch``: a batch table: ``Batch.add_item``, ``update_item`` (status failed + error),
  ``reset_item`` (status pending), then ``remove_item`` or a params edit.

Each ``observe`` reopens through the public API and asserts the invariants (the project opens,
no referenced file is missing, every sample / item input loads); each state is compact.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mesmerize.analysis.transmission import Transmission
from mesmerize.core.batch import Batch, register_kind
from mesmerize.core.batch.item import FAILED, PENDING
from mesmerize.core.errors import ProjectError
from mesmerize.core.project import CustomColumn, Project, ProjectConfig
from mesmerize.core.project.config import UNTAGGED
from mesmerize.core.project.dataframe_store import read_dataframe_file
from tests.core import batch_kinds_for_tests as batch_helpers
from tests.core.test_project_samples import make_work_env, project_config

from .crash_harness import Scenario

PROJECT = "proj"


def _digest(df: pd.DataFrame) -> str:
    text = df.reset_index(drop=True).astype(str).to_csv(index=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _temporary_files(root: Path) -> int:
    return sum(1 for _ in root.rglob(".*.tmp"))


def _check_project(path: Path) -> Project:
    """Open the project; every referenced file exists and every sample loads."""
    project = Project.open(path)
    missing = project.missing_files()
    assert missing == [], f"files referenced by the project DataFrame are missing: {missing}"
    for sample_id in project.sample_ids():
        project.load_sample(sample_id)
    return project


def check_backups_restore(path: Path, limit: int | None = None) -> int:
    """Restore backups of (a copy of) the project at ``path`` one after the other: one per
    distinct content, at most ``limit`` of them spread evenly over time. Each must give a
    project that opens, whose files all exist, whose samples load and whose rows are the
    backup's. A backup refused because a column was re-added with another type since must be
    refused before any change, and restore once that column is removed from the config.
    Every backup is read. Returns the number of backups restored."""
    copy = Path(tempfile.mkdtemp(prefix="mesm_restore_")) / path.name
    shutil.copytree(path, copy)
    try:
        project = Project.open(copy)
        by_content: dict[str, Path] = {}
        for backup in project.backups():
            read_dataframe_file(backup)
            by_content[hashlib.sha256(backup.read_bytes()).hexdigest()] = backup
        chosen = sorted(by_content.values())
        if limit is not None and len(chosen) > limit:
            picks = np.unique(np.linspace(0, len(chosen) - 1, limit).round().astype(int))
            chosen = [chosen[i] for i in picks]
        for backup in chosen:
            expected = read_dataframe_file(backup)
            try:
                project.restore_backup(backup)
            except ProjectError as exc:
                assert "removed and added again with another type" in str(exc), exc
                _check_project(copy)
                project.apply_config(_without_added_columns(project.config))
                project.restore_backup(backup)
            restored = _check_project(copy)
            assert list(restored.dataframe["uuid_curve"]) == list(expected["uuid_curve"]), backup
        return len(chosen)
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)


def _without_added_columns(config: ProjectConfig) -> ProjectConfig:
    """``config`` less the user columns that ``project_config()`` does not have."""
    base = project_config()
    config.roi_type_columns = [c for c in config.roi_type_columns if c in base.roi_type_columns]
    config.custom_columns = {c: v for c, v in config.custom_columns.items()
                             if c in base.custom_columns}
    config.visible_columns = [c for c in config.visible_columns if c in base.all_columns]
    config.hidden_columns = [c for c in config.hidden_columns if c in base.all_columns]
    return config.validated()


# --- Project.delete_sample / restore_backup ----------------------------------------------------

def delete_restore_scenario(n_samples: int = 4) -> Scenario:
    shared: dict[str, Any] = {}

    def setup(root: Path) -> None:
        project = Project.create(root / PROJECT, project_config())
        for i in range(n_samples):
            project.add_sample(make_work_env(i, n_rois=2), f"a{i}", "t", {"stage": i})
        shared["full"] = project.dataframe
        shared["ids"] = project.sample_ids()

    def apply(project: Project, n: int) -> None:
        sample_id = shared["ids"][(n // 2) % n_samples]
        if n % 2 == 0:
            project.delete_sample(sample_id)
            return
        for backup in reversed(project.backups()):
            ids = read_dataframe_file(backup, columns=["SampleID"])["SampleID"]
            if (ids == sample_id).any():
                project.restore_backup(backup)
                return
        raise AssertionError(f"no backup holds the deleted sample {sample_id}")

    def expected(step: int) -> tuple:
        full = shared["full"]
        if step % 2 == 1:
            full = full[full.SampleID != shared["ids"][((step - 1) // 2) % n_samples]]
        return tuple(pd.unique(full.SampleID)), _digest(full)

    def observe(root: Path) -> tuple:
        df = _check_project(root / PROJECT).dataframe
        return tuple(pd.unique(df.SampleID)), _digest(df)

    return Scenario("delete_restore", setup, lambda root: Project.open(root / PROJECT), apply,
                    expected, observe,
                    final_check=lambda root: check_backups_restore(root / PROJECT),
                    leftovers=_temporary_files)


# --- Project.add_sample -------------------------------------------------------------------------

def add_scenario() -> Scenario:
    def setup(root: Path) -> None:
        Project.create(root / PROJECT, project_config()).add_sample(
            make_work_env(9, n_rois=2), "first", "t", {"stage": -1})

    def open_(root: Path) -> tuple:
        return Project.open(root / PROJECT), [make_work_env(i, n_rois=2 + i) for i in range(2)]

    def apply(handle: tuple, n: int) -> None:
        project, envs = handle
        project.add_sample(envs[n % 2], "added", f"t{n}", {"stage": n})

    def expected(step: int) -> tuple:
        return ("first-_-t", *(f"added-_-t{n}" for n in range(step))), 2 + sum(
            2 + n % 2 for n in range(step))

    def observe(root: Path) -> tuple:
        project = _check_project(root / PROJECT)
        df = project.dataframe
        for n, sample_id in enumerate(project.sample_ids()[1:]):
            assert (df[df.SampleID == sample_id].stage == n).all()
        return tuple(project.sample_ids()), len(df)

    return Scenario("add", setup, open_, apply, expected, observe,
                    final_check=lambda root: check_backups_restore(root / PROJECT, 12),
                    leftovers=_temporary_files)


# --- Project.add_sample(overwrite=True) --------------------------------------------------------

def overwrite_scenario(backups_checked: int = 12) -> Scenario:
    shared: dict[str, Any] = {}
    env_rois = (2, 3)
    initial_seed = 3

    def setup(root: Path) -> None:
        project = Project.create(root / PROJECT, project_config())
        project.add_sample(make_work_env(5, n_rois=2), "keep", "a", {"stage": 100})
        project.add_sample(make_work_env(initial_seed, n_rois=2), "ow", "t", {"stage": -1})
        project.add_sample(make_work_env(6, n_rois=2), "keep", "b", {"stage": 101})
        df = project.dataframe
        shared["keep"] = _digest(df[df.SampleID != "ow-_-t"])
        shared["seqs"] = {seed: make_work_env(seed).imgdata.seq for seed in (0, 1, initial_seed)}

    def open_(root: Path) -> tuple:
        envs = [make_work_env(i, n_rois=env_rois[i]) for i in range(2)]
        return Project.open(root / PROJECT), envs

    def apply(handle: tuple, n: int) -> None:
        project, envs = handle
        project.add_sample(envs[n % 2], "ow", "t", {"stage": n}, overwrite=True,
                           overwrite_image=n % 3 != 0)

    def expected(step: int) -> tuple:
        if step == 0:
            return shared["keep"], -1, 2, initial_seed
        with_image = [n for n in range(step) if n % 3 != 0]
        image_seed = with_image[-1] % 2 if with_image else initial_seed
        return shared["keep"], step - 1, env_rois[(step - 1) % 2], image_seed

    def observe(root: Path) -> tuple:
        project = _check_project(root / PROJECT)
        df = project.dataframe
        rows = df[df.SampleID == "ow-_-t"]
        assert rows.ImgUUID.nunique() == 1 and rows.stage.nunique() == 1, rows
        seq = project.load_sample("ow-_-t").imgdata.seq
        seeds = [s for s, ref in shared["seqs"].items() if np.array_equal(seq, ref)]
        return (_digest(df[df.SampleID != "ow-_-t"]), int(rows.stage.iloc[0]), len(rows),
                seeds[0] if seeds else None)

    return Scenario("overwrite", setup, open_, apply, expected, observe,
                    final_check=lambda root: check_backups_restore(root / PROJECT,
                                                                   backups_checked),
                    leftovers=_temporary_files)


# --- Project.apply_config ----------------------------------------------------------------------

_CUSTOM_TYPES = ("str", "int", "float")


def _added_columns(n: int) -> tuple[dict[str, CustomColumn], list[str]]:
    """Custom and ROI type columns that (even) operation ``n`` adds: the custom column
    ``extra`` with a type and replace value that change every time, and every other time the
    ROI type column ``region1``."""
    kind = _CUSTOM_TYPES[(n // 2) % 3]
    replace = {"str": f"v{n}", "int": n, "float": n + 0.5}[kind]
    roi = ["region1"] if (n // 2) % 2 else []
    return {"extra": CustomColumn(kind, replace)}, roi


def _config_after(config: ProjectConfig, n: int) -> ProjectConfig:
    """``config`` changed by config operation ``n``: even adds, odd removes ``n - 1``'s."""
    if n % 2 == 0:
        custom, roi = _added_columns(n)
        config.custom_columns.update(custom)
        config.roi_type_columns += roi
        return config.validated()
    custom, roi = _added_columns(n - 1)
    removed = set(custom) | set(roi)
    for name in custom:
        del config.custom_columns[name]
    config.roi_type_columns = [c for c in config.roi_type_columns if c not in removed]
    config.visible_columns = [c for c in config.visible_columns if c not in removed]
    config.hidden_columns = [c for c in config.hidden_columns if c not in removed]
    return config.validated()


def config_scenario() -> Scenario:
    shared: dict[str, Any] = {}

    def setup(root: Path) -> None:
        project = Project.create(root / PROJECT, project_config())
        for i in range(2):
            project.add_sample(make_work_env(i, n_rois=2), f"a{i}", "t", {"stage": i})
        shared["base"] = project.config.all_columns
        shared["rows"] = _digest(project.dataframe)

    def apply(project: Project, n: int) -> None:
        project.apply_config(_config_after(project.config, n))

    def expected(step: int) -> tuple:
        if step % 2 == 0:
            return tuple(shared["base"]), shared["rows"], ()
        config = _config_after(project_config(), step - 1)
        custom, roi = _added_columns(step - 1)
        values = tuple((c, str(v.replace_value)) for c, v in custom.items()) + tuple(
            (c, UNTAGGED) for c in roi)
        return tuple(config.all_columns), shared["rows"], values

    def observe(root: Path) -> tuple:
        project = _check_project(root / PROJECT)
        config, df = project.config, project.dataframe
        assert list(df.columns) == config.all_columns, (list(df.columns), config.all_columns)
        values = []
        for column in [*config.custom_columns, *config.roi_type_columns]:
            if column not in shared["base"]:
                assert df[column].nunique() == 1, df[column]
                values.append((column, str(df[column].iloc[0])))
        return tuple(config.all_columns), _digest(df[shared["base"]]), tuple(values)

    return Scenario("config", setup, lambda root: Project.open(root / PROJECT), apply,
                    expected, observe,
                    final_check=lambda root: check_backups_restore(root / PROJECT, 10),
                    leftovers=_temporary_files)


# --- Transmission.to_hdf5(overwrite=True) ------------------------------------------------------

TRN_FRAMES = 200


def _trn_curves(n: int) -> list[np.ndarray]:
    return [np.arange(TRN_FRAMES, dtype=np.float64) * n + i for i in range(4)]


def trn_scenario() -> Scenario:
    def save(path: Path, n: int) -> None:
        df = pd.DataFrame({"_RAW_CURVE": _trn_curves(n), "n": [n] * 4,
                           "label": [f"row{i}" for i in range(4)]})
        Transmission.from_dataframe(df, {"n": n}).to_hdf5(path, overwrite=True)

    def observe(root: Path) -> int:
        t = Transmission.from_hdf5(root / "saved.trn")
        n = int(t.df["n"].iloc[0])
        assert (t.df["n"] == n).all() and len(t.df) == 4
        for got, want in zip(t.df["_RAW_CURVE"], _trn_curves(n)):
            np.testing.assert_array_equal(got, want)
        block = t.df["_BLOCK_"].iloc[0]
        assert t.history_trace.get_operation_params(block, "spawn_transmission") == {"n": n}
        return n

    return Scenario("trn", lambda root: save(root / "saved.trn", -1),
                    lambda root: root / "saved.trn", lambda path, n: save(path, n),
                    lambda step: step - 1, observe, final_check=lambda root: 1,
                    leftovers=_temporary_files)


# --- batch table -------------------------------------------------------------------------------

def _batch_model(step: int) -> tuple:
    """Items ``(name, status, error, params)`` after ``step`` batch operations."""
    items: dict[str, list] = {}
    for n in range(step):
        k, phase = divmod(n, 4)
        name = f"i{k}"
        if phase == 0:
            items[name] = [name, PENDING, None, json.dumps({"k": k})]
        elif phase == 1:
            items[name][1:3] = [FAILED, f"error {k}"]
        elif phase == 2:
            items[name][1:3] = [PENDING, None]
        elif k % 2 == 0:
            del items[name]
        else:
            items[name][3] = json.dumps({"edited": True, "k": k})
    return tuple(tuple(v) for v in items.values())


def batch_scenario() -> Scenario:
    shared: dict[str, Any] = {}

    def setup(root: Path) -> None:
        register_kind(batch_helpers.KIND)
        movie, _ = batch_helpers.make_movie(root)
        shared["movie"] = movie
        shared["movie_bytes"] = movie.read_bytes()
        Batch.create(root / "batch")

    def apply(batch: Batch, n: int) -> None:
        k, phase = divmod(n, 4)
        name = f"i{k}"
        if phase == 0:
            batch.add_item(batch_helpers.KIND.name, name, {"k": k}, input_movie=shared["movie"])
            return
        uuid, = batch.variants(name)
        if phase == 1:
            batch.update_item(uuid, status=FAILED, error=f"error {k}")
        elif phase == 2:
            batch.reset_item(uuid)
        elif k % 2 == 0:
            batch.remove_item(uuid)
        else:
            batch.update_item(uuid, params={"edited": True, "k": k})

    def observe(root: Path) -> tuple:
        batch = Batch.open(root / "batch")
        state = []
        for item in batch.items:
            movie = batch.input_movie_path(item.uuid)
            assert movie.read_bytes() == shared["movie_bytes"], f"{item.name}: input movie"
            batch.input_work_env_info(item.uuid)
            state.append((item.name, item.status, item.error,
                          json.dumps(item.params, sort_keys=True)))
        return tuple(state)

    def leftovers(root: Path) -> int:
        batch = Batch.open(root / "batch")
        known = {item.uuid for item in batch.items}
        orphans = [p for p in batch.path.iterdir() if p.is_dir() and p.name not in known]
        return len(orphans) + _temporary_files(root)

    return Scenario("batch", setup, lambda root: Batch.open(root / "batch"), apply,
                    _batch_model, observe, final_check=lambda root: len(Batch.open(
                        root / "batch").items), leftovers=leftovers)


SCENARIOS = {"add": add_scenario, "delete_restore": delete_restore_scenario, "overwrite": overwrite_scenario,
             "config": config_scenario, "trn": trn_scenario, "batch": batch_scenario}
