"""How a batch item's subprocess is started: interpreter, pre-run commands, environment.

By default an item runs with the interpreter and environment of the running Mesmerize
(``sys.executable``, ``os.environ``, this checkout on ``PYTHONPATH``), so no activation commands
are needed; the system configuration's python call, pre-run commands and thread limit are
applied on top.
"""
from __future__ import annotations

import os
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path

from mesmerize.core.batch.kinds import custom_kinds_env
from mesmerize.core.system_config import load_system_config, thread_env

RUNNER_MODULE = "mesmerize.cli.batch_runner"
PROGRESS_PREFIX = "@mesmerize-progress "
"""Prefix of the JSON progress lines an item runner prints on stdout."""

_PACKAGE_PARENT = Path(__file__).resolve().parents[3]
# A checkout is put on the subprocess's PYTHONPATH; an installed package is found anyway.
_CHECKOUT = None if _PACKAGE_PARENT.name in ("site-packages", "dist-packages") \
    else str(_PACKAGE_PARENT)


@dataclass
class RunnerSettings:
    """Settings of batch item subprocesses.

    ``python_call``: interpreter command (``sys.executable`` by default); ``pre_run_commands``:
    shell lines run before it (module loads, ``conda activate``...); ``extra_env``: variables set
    on top of this process's environment (thread limits such as ``OMP_NUM_THREADS``);
    ``work_dir``: fast scratch directory for the "use work dir" option, or None.
    ``time_limit_s`` / ``memory_limit_mib``: an item running longer than this many seconds, or
    whose process tree holds more than this many MiB of resident memory, is stopped and marked
    failed (None: no limit).
    """

    python_call: str = sys.executable
    pre_run_commands: list[str] = field(default_factory=list)
    extra_env: dict[str, str] = field(default_factory=dict)
    work_dir: str | None = None
    time_limit_s: float | None = None
    memory_limit_mib: int | None = None

    @classmethod
    def from_system_config(cls) -> "RunnerSettings":
        """Settings from the user's system configuration (``mesmerize.core.system_config``)."""
        cfg = load_system_config()
        return cls(
            python_call=cfg.python_call,
            pre_run_commands=[c for c in cfg.pre_run_commands.splitlines() if c.strip()],
            extra_env=thread_env(cfg),
            work_dir=cfg.work_dir,
            time_limit_s=cfg.item_time_limit_s,
            memory_limit_mib=cfg.item_memory_limit_mib,
        )


def runner_args(python_call: str, batch_dir: Path, uuid: str, work_dir: str | None) -> list[str]:
    """The command line of the item runner (``python_call`` may hold several words)."""
    args = [*shlex.split(python_call), "-m", RUNNER_MODULE, str(batch_dir), uuid]
    if work_dir:
        args += ["--work-dir", str(work_dir)]
    return args


def item_command(settings: RunnerSettings, batch_dir: Path, uuid: str,
                 use_work_dir: bool = False) -> list[str]:
    """The argv that runs item ``uuid``: the runner directly, or through bash when pre-run
    commands are configured (``exec`` keeps the runner's PID that of the started process)."""
    work_dir = settings.work_dir if use_work_dir else None
    args = runner_args(settings.python_call, batch_dir, uuid, work_dir)
    if not settings.pre_run_commands:
        return args
    script = "\n".join([*settings.pre_run_commands, "exec " + shlex.join(args)])
    return ["bash", "-c", script]


def item_environment(settings: RunnerSettings) -> dict[str, str]:
    """This process's environment plus the settings' variables, custom item kinds, unbuffered
    output, and (when Mesmerize runs from a checkout) the checkout on ``PYTHONPATH``."""
    env = dict(os.environ)
    env.update(settings.extra_env)
    env.update(custom_kinds_env())
    env["PYTHONUNBUFFERED"] = "1"
    paths = [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p]
    if _CHECKOUT is not None and _CHECKOUT not in paths:
        env["PYTHONPATH"] = os.pathsep.join([_CHECKOUT, *paths])
    return env
