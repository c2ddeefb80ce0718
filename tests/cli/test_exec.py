"""``mesmerize exec``: console scripts run from the shell in real windows, headless.

Every run is a ``python -m mesmerize exec ...`` subprocess with ``DISPLAY``, ``WAYLAND_DISPLAY``
and ``QT_QPA_PLATFORM`` removed from its environment, so the command itself must choose Qt's
offscreen platform.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile

from mesmerize.cli.main import main
from mesmerize.core.batch import Batch
from mesmerize.core.project import Project, ProjectConfig
from tests.core.test_project_samples import make_work_env

REPO_ROOT = Path(__file__).resolve().parents[2]
N_T, N_Y, N_X = 12, 20, 28
"""Shape of the test movie as written to TIFF (frames, rows, columns); seq is [x, y, t]."""


def run_exec(args: list[str], tmp_path: Path, timeout_s: float = 90.0
             ) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["MESMERIZE_CONFIG_DIR"] = str(tmp_path / "config")
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")])
    env["OMP_NUM_THREADS"] = "1"
    return subprocess.run([sys.executable, "-m", "mesmerize", "exec", *args], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=timeout_s)


@pytest.fixture
def movie(tmp_path) -> Path:
    """A small uint16 TIFF with its meta data JSON beside it."""
    rng = np.random.default_rng(3)
    frames = (200 + 50 * rng.random((N_T, N_Y, N_X))).astype(np.uint16)
    path = tmp_path / "raw" / "rec_01.tiff"
    path.parent.mkdir()
    tifffile.imwrite(path, frames)
    path.with_suffix(".json").write_text(json.dumps(
        {"source": "test", "fps": 10.0, "date": "20190425_114405"}))
    return path


def test_viewer_script_opens_tiff_offscreen_with_set_values(tmp_path, movie):
    script = tmp_path / "shape.py"
    script.write_text(
        "from qtpy import QtWidgets\n"
        "print('platform', QtWidgets.QApplication.platformName())\n"
        "print('shape', get_image().shape, 'fps', get_meta()['fps'])\n"
        "print('label', label, type(label).__name__, 'other', other)\n"
        "print('this', type(this).__name__, this.vi is vi, 'ImgData' in dir())\n"
        "try:\n"
        "    get_batch_manager()\n"
        "except Exception as exc:\n"
        "    print('no batch manager', type(exc).__name__)\n")
    result = run_exec([str(script), "--open", str(movie), "--set", "label=trial 7",
                       "--set", "other=a=b"], tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "platform offscreen" in lines
    assert f"shape ({N_X}, {N_Y}, {N_T}) fps 10.0" in lines
    assert "label trial 7 str other a=b" in lines
    assert "this ViewerWindow True True" in lines
    assert "no batch manager BatchError" in lines  # without --batch, as in a new Viewer


def test_raising_script_exits_1_with_its_traceback(tmp_path):
    script = tmp_path / "fails.py"
    script.write_text("def inner():\n    raise ValueError('no such tag: atena')\n\ninner()\n")
    result = run_exec([str(script)], tmp_path)
    assert result.returncode == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert f'File "{script}", line 2, in inner' in result.stderr
    assert "raise ValueError('no such tag: atena')" in result.stderr
    assert "ValueError: no such tag: atena" in result.stderr
    assert "exec_script.py" not in result.stderr  # only the script's own frames


def test_browser_renames_atena_as_in_the_guide(tmp_path):
    config = ProjectConfig(roi_type_columns=["cell_name", "region"],
                           stimulus_type_columns=["odor"])
    project = Project.create(tmp_path / "proj", config)
    project.add_sample(make_work_env(seed=0, tags={0: {"cell_name": "atena"},
                                                   1: {"cell_name": "atenp"}}), "a1", "t1")
    project.add_sample(make_work_env(seed=1, tags={2: {"cell_name": "atena"}}), "a2", "t1")
    backups_before = len(project.backups())
    script = tmp_path / "rename.py"
    script.write_text(  # the user guide's Project Browser console example
        "df = get_root_dataframe().copy()\n"
        "df.cell_name[df.cell_name == old] = 'ATENA'\n"
        "set_root_dataframe(df)\n"
        "print('renamed', (get_root_dataframe().cell_name == 'ATENA').sum())\n")
    result = run_exec([str(script), "--window", "browser", "--project", str(project.path),
                       "--set", "old=atena"], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "renamed 2" in result.stdout.splitlines()
    names = Project.open(project.path).dataframe["cell_name"].tolist()
    assert names.count("ATENA") == 2 and "atena" not in names and "atenp" in names
    assert len(Project.open(project.path).backups()) == backups_before + 1


def test_viewer_script_adds_motion_correction_item_to_new_batch(tmp_path, movie):
    batch_dir = tmp_path / "batch"
    script = tmp_path / "add_mc.py"
    script.write_text(  # the guide's motion-correction parameters, one variant
        "mc_params = {'max_shifts_x': 6, 'max_shifts_y': 6, 'iters_rigid': 2,\n"
        "             'name_rigid': 'Does not matter', 'max_dev': 3, 'strides': 196,\n"
        "             'overlaps': 98, 'upsample': 4, 'name_elas': name,\n"
        "             'output_bit_depth': 'Do not convert'}\n"
        "mc_module = get_module('caiman_motion_correction', hide=True)\n"
        "mc_module.set_params(mc_params)\n"
        "uuid = mc_module.add_to_batch()\n"
        "bm = get_batch_manager()\n"
        "print('items', len(bm.df), 'uuid', uuid)\n")
    result = run_exec([str(script), "--open", str(movie), "--batch", str(batch_dir),
                       "--set", "name=rec_01_variant_a"], tmp_path)
    assert result.returncode == 0, result.stderr
    uuid = result.stdout.split("uuid ")[-1].strip()
    assert "items 1" in result.stdout
    items = Batch.open(batch_dir).items
    assert [(item.uuid, item.module, item.name, item.status) for item in items] == [
        (uuid, "caiman_motion_correction", "rec_01_variant_a", "pending")]
    # the existing batch is opened, not replaced
    again = run_exec(["-c", "print('items', len(get_batch_manager().df))",
                      "--batch", str(batch_dir)], tmp_path)
    assert again.returncode == 0, again.stderr
    assert "items 1" in again.stdout.splitlines()


def test_exec_waits_for_a_started_batch_run_and_exits_1_when_an_item_failed(tmp_path, movie):
    batch_dir = tmp_path / "batch"
    script = tmp_path / "process.py"
    script.write_text(
        "mc = get_module('caiman_motion_correction', hide=True)\n"
        "params = {'max_shifts_x': 2, 'max_shifts_y': 2, 'iters_rigid': 1, 'max_dev': 3,\n"
        "          'name_rigid': 'r', 'strides': 196, 'overlaps': 98, 'upsample': 4,\n"
        "          'output_bit_depth': 'Do not convert'}\n"
        "for name in ('good', 'bad'):\n"
        "    mc.set_params({**params, 'name_elas': name})\n"
        "    uuid = mc.add_to_batch()\n"
        "bm = get_batch_manager()\n"
        "# spoil the second item's input movie so that its processing fails\n"
        "(bm.get_batch().path / uuid / 'input' / 'movie.tiff').write_bytes(b'not a tiff')\n"
        "runner = bm.process_batch()\n"
        "print('started', type(runner).__name__)\n")
    result = run_exec([str(script), "--open", str(movie), "--batch", str(batch_dir)], tmp_path)
    assert result.returncode == 1, result.stderr
    assert "started BatchRunner" in result.stdout.splitlines()
    assert "[batch] good: finished" in result.stderr
    assert "batch items failed: bad" in result.stderr
    statuses = {item.name: item.status for item in Batch.open(batch_dir).items}
    assert statuses == {"good": "finished", "bad": "failed"}


def test_welcome_and_batch_windows(tmp_path):
    project = Project.create(tmp_path / "proj", ProjectConfig())
    welcome = run_exec(["-c", "print(type(this).__name__, get_project().path.name, "
                        "project is get_project())", "--window", "welcome",
                        "--project", str(project.path)], tmp_path)
    assert welcome.returncode == 0, welcome.stderr
    assert "WelcomeWindow proj True" in welcome.stdout.splitlines()
    batch = run_exec(["-c", "print(type(this).__name__, len(bm.df), "
                      "get_batch_manager() is this.api)", "--window", "batch",
                      "--batch", str(tmp_path / "b2")], tmp_path)
    assert batch.returncode == 0, batch.stderr
    assert "BatchManagerWindow 0 True" in batch.stdout.splitlines()
    assert Batch.open(tmp_path / "b2").items == []


def test_flowchart_open_loads_a_saved_fc_file(tmp_path):
    saved = run_exec(["-c", "a = this.add_node('Normalize'); b = this.add_node('ZScore')\n"
                      "this.connect_nodes(a, b)\nthis.save_fc(out)",
                      "--window", "flowchart", "--set", "out=graph.fc"], tmp_path)
    assert saved.returncode == 0, saved.stderr
    assert (tmp_path / "graph.fc").is_file()
    loaded = run_exec(["-c", "print(type(this).__name__, Transmission.__name__)\n"
                       "print(sorted(n.__class__.__name__ for n in get_nodes().values()),"
                       " len(this.connections()))", "--window", "flowchart",
                       "--open", "graph.fc"], tmp_path)
    assert loaded.returncode == 0, loaded.stderr
    assert loaded.stdout.splitlines()[-2:] == ["FlowchartWindow Transmission",
                                               "['NormalizeNode', 'ZScoreNode'] 1"]


def test_unknown_window_and_missing_script_exit_2_from_the_shell(tmp_path):
    unknown = run_exec(["-c", "pass", "--window", "spreadsheet"], tmp_path)
    assert unknown.returncode == 2
    assert "invalid choice: 'spreadsheet'" in unknown.stderr
    missing = run_exec(["missing_script.py"], tmp_path)
    assert missing.returncode == 2
    assert "mesmerize exec: error: no script file at missing_script.py" in missing.stderr


@pytest.mark.parametrize("args, reason", [
    (["-c", "pass", "--project", "no_such_project"], "no project directory at no_such_project"),
    (["-c", "pass", "--open", "no_such.tiff"], "--open no_such.tiff: no such file"),
    (["-c", "pass", "--open", "graph.fc"], "the viewer window opens .tif / .tiff files"),
    (["-c", "pass", "--window", "welcome", "--open", "m.tiff"], "--open is not available"),
    (["-c", "pass", "--window", "browser"], "--window browser needs --project DIR"),
    (["-c", "pass", "--set", "1x=3"], "is not NAME=VALUE"),
    ([], "one of the arguments SCRIPT.py -c is required"),
])
def test_bad_arguments_exit_2_with_a_reason(tmp_path, monkeypatch, capsys, args, reason):
    """Refused before Qt is imported, so checked in-process (``main`` is the command)."""
    monkeypatch.chdir(tmp_path)
    assert main(["exec", *args]) == 2
    captured = capsys.readouterr()
    assert reason in captured.err
    assert captured.out == ""


def test_project_that_cannot_be_opened_exits_2(tmp_path):
    (tmp_path / "not_a_project").mkdir()
    result = run_exec(["-c", "print('ran')", "--project", "not_a_project"], tmp_path)
    assert result.returncode == 2, result.stderr
    assert "cannot be opened" in result.stderr
    assert "ran" not in result.stdout
