"""The ``mesmerize`` command.

``mesmerize [--project DIR]`` opens the Welcome Window (the desktop application), on DIR when
given.
``mesmerize demo [--out DIR] [--seed N] [--force] [--movie PATH [--meta PATH]] [--no-gui]`` runs
the full demo pipeline (synthetic movie, motion correction and CNMF in a batch, sample,
flowchart analysis, .trn, figures, accuracy summary), lists the project first among the recent
projects and, on a desktop, opens the Welcome Window on it; ``mesmerize demo --quick`` only
builds a project with one sample whose hand-drawn ROIs outline the true neurons.
``mesmerize exec SCRIPT.py [--window KIND] ...`` runs a console script in a window (headless
without a display; see ``mesmerize.cli.exec_script``).
``mesmerize --version`` prints the version.
Exit status: 0 on success, 1 when the command failed, 2 for bad arguments.
"""
from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from mesmerize import __version__
from mesmerize.cli.exec_script import add_exec_parser
from mesmerize.core.errors import MesmerizeError

DEFAULT_DEMO_DIR = "mesmerize_demo"


def can_show_windows() -> bool:
    """True on a desktop session (a real display, not Qt's offscreen platform)."""
    if os.environ.get("QT_QPA_PLATFORM", "").lower() == "offscreen":
        return False
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
                or sys.platform in ("darwin", "win32"))


def _open_demo_project(project_path: Path, no_gui: bool) -> int:
    """List the demo project first among the recent projects; on a desktop, open the Welcome
    Window on it (the command returns when the application is closed)."""
    from mesmerize.gui.project.recent_projects import add_recent_project

    add_recent_project(project_path.resolve())
    if no_gui or not can_show_windows():
        print(f"Open it in the application with: mesmerize --project {project_path}")
        return 0
    from mesmerize.gui.app import run_gui

    print(f"Opening the Welcome Window on {project_path} ...")
    return run_gui(project=project_path)


def _run_demo(args: argparse.Namespace) -> int:
    from mesmerize.demo.demo_project import (
        DEFAULT_DEMO_PARAMS,
        build_demo_project,
    )
    from mesmerize.demo.pipeline import (
        PipelineParams,
        format_summary,
        remove_previous_pipeline_demo,
        run_demo_pipeline,
    )

    if args.meta is not None and args.movie is None:
        print("mesmerize demo: error: --meta needs --movie", file=sys.stderr)
        return 2
    if args.quick and args.movie is not None:
        print("mesmerize demo: error: --quick works on the synthetic movie only; drop --quick "
              "to run the pipeline on your movie", file=sys.stderr)
        return 2
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        print(f"mesmerize demo: error: {out} is a file; --out needs a directory", file=sys.stderr)
        return 1
    if out.is_dir() and any(out.iterdir()):
        if not args.force:
            print(
                f"mesmerize demo: error: {out} is not empty; choose an empty or new directory "
                "with --out, or pass --force to replace a previous demo there",
                file=sys.stderr,
            )
            return 1
        remove_previous_pipeline_demo(out)
    if not args.quick:
        defaults = PipelineParams()
        params = PipelineParams(movie=replace(defaults.movie, seed=args.seed),
                                movie_path=args.movie, meta_path=args.meta)
        result = run_demo_pipeline(out, params, progress=print)
        print(format_summary(result))
        return _open_demo_project(Path(result["project_path"]), args.no_gui)
    params = replace(DEFAULT_DEMO_PARAMS, seed=args.seed)
    summary = build_demo_project(out, params, progress=print)
    print(
        f"\nDemo ready: project {summary['project_path']}\n"
        f"  sample {summary['sample_id']} with {summary['n_rois']} ROIs, "
        f"{summary['n_frames']} frames\n"
        f"  movie {summary['movie_path']} (ground truth {summary['truth_path']})"
    )
    return _open_demo_project(Path(summary["project_path"]), args.no_gui)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``mesmerize`` command."""
    parser = argparse.ArgumentParser(
        prog="mesmerize",
        description="Mesmerize: calcium imaging analysis from raw movies to publication figures.",
    )
    parser.add_argument("--version", action="version", version=f"mesmerize {__version__}")
    parser.add_argument("--project", metavar="DIR",
                        help="open this project in the Welcome Window")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="run the demo pipeline on a synthetic movie with ground truth",
        description="Generate a synthetic 2-photon movie (with its ground truth), create a "
        "project, run motion correction then CNMF in a batch, add the components as a tagged "
        "sample with a stimulus map, run a peak and clustering analysis, save a .trn, render a "
        "heatmap and a beeswarm plot to DIR/figures/ and print the accuracy against the ground "
        "truth. With --quick, only build a project whose sample has hand-drawn-style ROIs "
        "around the true neurons.",
    )
    demo.add_argument("--out", default=DEFAULT_DEMO_DIR, metavar="DIR",
                      help=f"output directory (default: ./{DEFAULT_DEMO_DIR})")
    demo.add_argument("--seed", type=int, default=0, metavar="N",
                      help="random seed of the synthetic movie (default: 0)")
    demo.add_argument("--force", action="store_true",
                      help="replace a previous demo in DIR (only its raw/, project/ and "
                      "figures/)")
    demo.add_argument("--movie", metavar="PATH",
                      help="run the pipeline on this TIFF movie instead of a synthetic one (no "
                      "ground truth, so no accuracy)")
    demo.add_argument("--meta", metavar="PATH",
                      help="meta data JSON of --movie (default: the JSON beside the movie)")
    demo.add_argument("--quick", action="store_true",
                      help="only build the project with hand-drawn ROIs (no batch, analysis "
                      "or figures)")
    demo.add_argument("--no-gui", action="store_true",
                      help="do not open the application on the demo project afterwards (it "
                      "opens only on a desktop, never on a headless machine)")
    demo.set_defaults(func=_run_demo)
    add_exec_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``mesmerize`` command with ``argv`` (default ``sys.argv[1:]``); returns the exit
    status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or bad arguments (argparse already printed)
        return exc.code if isinstance(exc.code, int) else 0 if exc.code is None else 2
    if args.command is None:
        from mesmerize.gui.app import run_gui

        return run_gui(project=args.project)
    try:
        return args.func(args)
    except MesmerizeError as exc:
        print(f"mesmerize {args.command}: error: {exc}", file=sys.stderr)
        return 1
