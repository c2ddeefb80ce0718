"""The ``mesmerize`` command: the demo pipeline and the quick demo project, help, version,
refusing non-empty directories."""
import subprocess
import sys
from pathlib import Path

import numpy as np

from mesmerize import __version__
from mesmerize.cli.main import main
from mesmerize.core.project import Project
from mesmerize.demo.demo_project import build_demo_project
from mesmerize.demo.synthetic import SyntheticParams, load_ground_truth

REPO = Path(__file__).resolve().parents[2]


def test_quick_demo_builds_a_project_with_the_sample_and_rois(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--quick", "--out", str(out), "--seed", "3"]) == 0
    printed = capsys.readouterr().out
    assert "Demo ready" in printed and "demo_mouse-_-session_1" in printed
    project = Project.open(out / "project")
    assert project.sample_ids() == ["demo_mouse-_-session_1"]
    df = project.dataframe
    truth = load_ground_truth(out / "raw" / "demo_movie_truth.npz")
    assert truth.params.seed == 3
    assert len(df) == len(truth.footprints) == 20
    assert set(df["cell_type"]) == {"high_rate", "low_rate"}
    assert set(df["stimulus"]) == {"light, sound"}
    assert set(df["genotype"]) == {"wild_type"}
    work_env = project.load_sample("demo_mouse-_-session_1")
    assert work_env.meta["source"] == "mesmerize-synthetic"
    curves = project.load_curves(df)
    assert all(c.shape == (600,) and np.isfinite(c).all() for c in curves)


def test_demo_refuses_a_non_empty_directory_unless_forced(tmp_path, capsys):
    out = tmp_path / "demo"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["demo", "--out", str(out)]) == 1
    assert "not empty" in capsys.readouterr().err
    assert main(["demo", "--out", str(out), "--force"]) == 1  # --force never deletes notes.txt
    assert "more than a previous demo" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "mine"
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


def test_demo_force_replaces_a_previous_demo(tmp_path):
    out = tmp_path / "demo"
    small = SyntheticParams(shape=(50, 48, 48), n_neurons=3, seed=1)
    build_demo_project(out, small, progress=lambda message: None)
    assert main(["demo", "--out", str(out), "--seed", "2"]) == 1  # not empty, no --force
    assert load_ground_truth(out / "raw" / "demo_movie_truth.npz").params.seed == 1
    assert main(["demo", "--quick", "--out", str(out), "--seed", "2", "--force"]) == 0
    assert load_ground_truth(out / "raw" / "demo_movie_truth.npz").params.seed == 2
    assert Project.open(out / "project").sample_ids() == ["demo_mouse-_-session_1"]


def test_demo_runs_the_full_pipeline_and_force_replaces_it(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--seed", "4"]) == 0
    printed = capsys.readouterr().out
    for step in ("[1/6]", "[3/6]", "[cnmf 'demo_cnmf'] finished", "[6/6]", "Demo ready",
                 "detected neurons F1", "shift RMSE"):
        assert step in printed, step
    assert sorted(p.name for p in out.iterdir()) == ["figures", "project", "raw"]
    assert sorted(p.name for p in (out / "figures").iterdir()) == ["beeswarm.png", "heatmap.png"]
    assert (out / "project" / "trns" / "demo_clusters.trn").is_file()
    project = Project.open(out / "project")
    assert project.load_sample("demo_mouse-_-session_1").roi_manager.mode == "cnmf"
    assert load_ground_truth(out / "raw" / "demo_movie_truth.npz").params.seed == 4
    # --force replaces the whole previous pipeline demo, figures included
    assert main(["demo", "--quick", "--out", str(out), "--force"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["project", "raw"]
    assert Project.open(out / "project").load_sample(
        "demo_mouse-_-session_1").roi_manager.mode == "manual"


def test_help_and_version(capsys):
    assert main(["--help"]) == 0
    assert "demo" in capsys.readouterr().out
    assert main(["--version"]) == 0
    assert __version__ in capsys.readouterr().out
    assert main(["demo", "--seed", "x"]) == 2


def test_python_m_mesmerize_help():
    result = subprocess.run([sys.executable, "-m", "mesmerize", "--help"], cwd=REPO,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "usage: mesmerize" in result.stdout and "demo" in result.stdout


def test_demo_movie_and_meta_arguments_are_checked(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "a"), "--meta", "m.json"]) == 2
    assert "--meta needs --movie" in capsys.readouterr().err
    assert main(["demo", "--quick", "--out", str(tmp_path / "b"), "--movie", "x.tiff"]) == 2
    assert "synthetic movie only" in capsys.readouterr().err
    assert main(["demo", "--out", str(tmp_path / "c"), "--movie",
                 str(tmp_path / "missing.tiff")]) == 1
    assert "missing.tiff" in capsys.readouterr().err
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_demo_lists_its_project_and_opens_the_application_on_a_desktop(tmp_path, monkeypatch,
                                                                        capsys):
    from mesmerize.cli import main as cli_main
    from mesmerize.gui import app
    from mesmerize.gui.project.recent_projects import load_recent_projects

    monkeypatch.setenv("MESMERIZE_CONFIG_DIR", str(tmp_path / "config"))
    opened = []
    monkeypatch.setattr(app, "run_gui", lambda argv=(), project=None: opened.append(project) or 0)
    # headless (CI): no window, the command says how to open it
    monkeypatch.delenv("DISPLAY", raising=False)
    assert main(["demo", "--quick", "--out", str(tmp_path / "a")]) == 0
    assert opened == [] and "mesmerize --project" in capsys.readouterr().out
    assert load_recent_projects()[0] == str((tmp_path / "a" / "project").resolve())
    # a desktop session: the Welcome Window opens on the demo project
    monkeypatch.setattr(cli_main, "can_show_windows", lambda: True)
    assert main(["demo", "--quick", "--out", str(tmp_path / "b")]) == 0
    assert opened == [tmp_path / "b" / "project"]
    assert main(["demo", "--quick", "--no-gui", "--out", str(tmp_path / "c")]) == 0
    assert len(opened) == 1


def test_can_show_windows_needs_a_real_display(monkeypatch):
    from mesmerize.cli.main import can_show_windows

    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("DISPLAY", ":0")
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    assert not can_show_windows()
    monkeypatch.delenv("QT_QPA_PLATFORM")
    assert can_show_windows()
    monkeypatch.delenv("DISPLAY")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    assert not can_show_windows()


def test_mesmerize_project_option_opens_the_welcome_window_on_it(monkeypatch, tmp_path):
    from mesmerize.gui import app

    opened = []
    monkeypatch.setattr(app, "run_gui", lambda argv=(), project=None: opened.append(project) or 0)
    assert main(["--project", str(tmp_path)]) == 0
    assert opened == [str(tmp_path)]
