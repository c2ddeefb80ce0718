"""The ``mesmerize`` command.

``mesmerize`` alone opens the Welcome Window (the desktop application).
``mesmerize demo [--out DIR] [--seed N] [--force]`` builds the demo project (a synthetic movie
and a project holding it as a sample). ``mesmerize --version`` prints the version.
Exit status: 0 on success, 1 when the command failed, 2 for bad arguments.
"""
from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path
from typing import Sequence

from mesmerize import __version__
from mesmerize.core.errors import MesmerizeError

DEFAULT_DEMO_DIR = "mesmerize_demo"


def _run_demo(args: argparse.Namespace) -> int:
    from mesmerize.demo.demo_project import (
        DEFAULT_DEMO_PARAMS,
        build_demo_project,
        remove_previous_demo,
    )

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
        remove_previous_demo(out)
    params = replace(DEFAULT_DEMO_PARAMS, seed=args.seed)
    summary = build_demo_project(out, params, progress=print)
    print(
        f"\nDemo ready: project {summary['project_path']}\n"
        f"  sample {summary['sample_id']} with {summary['n_rois']} ROIs, "
        f"{summary['n_frames']} frames\n"
        f"  movie {summary['movie_path']} (ground truth {summary['truth_path']})"
    )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``mesmerize`` command."""
    parser = argparse.ArgumentParser(
        prog="mesmerize",
        description="Mesmerize: calcium imaging analysis from raw movies to publication figures.",
    )
    parser.add_argument("--version", action="version", version=f"mesmerize {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="build a demo project from a synthetic movie with ground truth",
        description="Generate a synthetic 2-photon movie (with its ground truth) and a project "
        "holding it as one sample, with tagged ROIs around the neurons and a stimulus map.",
    )
    demo.add_argument("--out", default=DEFAULT_DEMO_DIR, metavar="DIR",
                      help=f"output directory (default: ./{DEFAULT_DEMO_DIR})")
    demo.add_argument("--seed", type=int, default=0, metavar="N",
                      help="random seed of the synthetic movie (default: 0)")
    demo.add_argument("--force", action="store_true",
                      help="replace a previous demo in DIR (only its raw/ and project/)")
    demo.set_defaults(func=_run_demo)
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

        return run_gui()
    try:
        return args.func(args)
    except MesmerizeError as exc:
        print(f"mesmerize {args.command}: error: {exc}", file=sys.stderr)
        return 1
