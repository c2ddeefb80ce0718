"""Export bash scripts that run batch items elsewhere (a cluster node, another machine).

One script per item, ``<NNNN>_<uuid>.sh`` in queue order, plus ``run_all.sh`` running them in
order. Each runs the item with the batch runner; the batch directory defaults to where it is now
and can be overridden with the environment variable ``MESMERIZE_BATCH_DIR`` (the batch's paths
are relative, so a copied batch works).
"""
from __future__ import annotations

import os
import shlex
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from mesmerize.core.atomic import write_text_atomic
from mesmerize.core.batch.kinds import custom_kinds_env
from mesmerize.core.batch.launch import RUNNER_MODULE, RunnerSettings

if TYPE_CHECKING:
    from mesmerize.core.batch.batch import Batch


def item_script_lines(settings: RunnerSettings, batch_dir: Path, uuid: str,
                      use_work_dir: bool) -> list[str]:
    """The bash lines (after the header) that run item ``uuid`` with the batch runner: the
    pre-run commands, the environment (thread limits, custom item kinds), then the runner."""
    env = {**settings.extra_env, **custom_kinds_env()}
    args = [*shlex.split(settings.python_call), "-m", RUNNER_MODULE]
    work = f" --work-dir {shlex.quote(settings.work_dir)}" if use_work_dir and settings.work_dir \
        else ""
    return [
        "set -euo pipefail",
        *settings.pre_run_commands,
        *(f"export {k}={shlex.quote(v)}" for k, v in sorted(env.items())),
        f'BATCH_DIR="${{MESMERIZE_BATCH_DIR:-{batch_dir.as_posix()}}}"',
        f'exec {shlex.join(args)} "$BATCH_DIR" "{uuid}"{work}',
    ]


def make_executable(path: Path) -> None:
    """Add execute permission for everyone who may read ``path``."""
    mode = path.stat().st_mode
    path.chmod(mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


def export_shell_scripts(batch: "Batch", out_dir: Path, settings: RunnerSettings | None = None,
                         use_work_dir: bool = False) -> list[Path]:
    """Write the scripts of every item of ``batch`` into ``out_dir``; return the item scripts in
    queue order (``run_all.sh`` is written beside them)."""
    settings = settings if settings is not None else RunnerSettings.from_system_config()
    out_dir = Path(os.path.abspath(out_dir))
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, item in enumerate(batch.items):
        path = out_dir / f"{index:04d}_{item.uuid}.sh"
        lines = ["#!/usr/bin/env bash", f"# Mesmerize batch item {item.uuid} ({item.name})",
                 *item_script_lines(settings, batch.path, item.uuid, use_work_dir)]
        write_text_atomic(path, "\n".join(lines) + "\n")
        make_executable(path)
        paths.append(path)
    run_all = ["#!/usr/bin/env bash", "# Run every item of the batch in order.",
               'cd "$(dirname "$0")"',
               *(f"./{p.name} || echo \"item script {p.name} failed\" >&2" for p in paths)]
    write_text_atomic(out_dir / "run_all.sh", "\n".join(run_all) + "\n")
    make_executable(out_dir / "run_all.sh")
    return paths
