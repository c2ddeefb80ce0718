"""Running batch items on a SLURM cluster: ``sbatch`` job scripts, submission, polling, cancel.

The batch directory must be on a file system the compute nodes share. Each job runs the same
batch runner as a local run (``python -m mesmerize.cli.batch_runner <batch> <uuid>``), which
writes its outputs and status into the batch directory; ``SlurmSubmitter.poll`` only has to
notice jobs that ended without the runner recording a result (cancelled, timed out, node
failure, killed for memory) and say so in the item.

Two ways to submit: one job per item (``afterok`` dependencies chain an item to the job of its
input item), or one job array for independent items.
"""
from __future__ import annotations

import shlex
import subprocess
import time
from dataclasses import dataclass, field
from typing import Iterable

from mesmerize.core.atomic import write_text_atomic
from mesmerize.core.batch.batch import Batch
from mesmerize.core.batch.errors import BatchError, DependencyError
from mesmerize.core.batch.item import (
    ABORTED, ACTIVE_STATUSES, FAILED, INTERRUPTED, PENDING, utc_now_iso,
)
from mesmerize.core.batch.launch import RunnerSettings, item_environment
from mesmerize.core.batch.runner import RUNNABLE_STATUSES
from mesmerize.core.batch.shell_scripts import item_script_lines, make_executable
from mesmerize.core.system_config import THREAD_ENV_VARS

JOB_SCRIPT = "slurm_job.sh"
ARRAY_DIR = "slurm_arrays"
LOG_TAIL_LINES = 20

_ENDED_WITHOUT_RESULT = {
    "CANCELLED": ABORTED, "TIMEOUT": INTERRUPTED, "NODE_FAIL": INTERRUPTED,
    "PREEMPTED": INTERRUPTED, "OUT_OF_MEMORY": INTERRUPTED, "BOOT_FAIL": INTERRUPTED,
    "DEADLINE": INTERRUPTED, "FAILED": FAILED, "COMPLETED": FAILED,
}
_ACTIVE_JOB_STATES = {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED",
                      "REQUEUED", "RESIZING", "SIGNALING", "STAGE_OUT"}


@dataclass
class SlurmSettings:
    """Resources and commands of the jobs.

    ``time_limit``: ``sbatch --time`` (``"HH:MM:SS"`` or ``"D-HH:MM:SS"``);
    ``cpus_per_task``: CPUs per item (also its thread limit); ``mem``: ``--mem`` (``"16G"``) or
    None for the partition default; ``partition``: None for the cluster default;
    ``extra_directives``: further ``#SBATCH`` options (``"--account=lab"``);
    ``max_parallel``: array tasks running at once (None: no limit).
    """

    time_limit: str = "24:00:00"
    cpus_per_task: int = 1
    mem: str | None = None
    partition: str | None = None
    extra_directives: list[str] = field(default_factory=list)
    max_parallel: int | None = None
    sbatch: str = "sbatch"
    squeue: str = "squeue"
    scontrol: str = "scontrol"
    scancel: str = "scancel"

    def directives(self) -> list[str]:
        """``#SBATCH`` lines for the resources."""
        options = [f"--time={self.time_limit}", f"--cpus-per-task={int(self.cpus_per_task)}"]
        if self.mem:
            options.append(f"--mem={self.mem}")
        if self.partition:
            options.append(f"--partition={self.partition}")
        options += list(self.extra_directives)
        return [f"#SBATCH {o}" for o in options]


def _job_runner_settings(runner: RunnerSettings, slurm: SlurmSettings) -> RunnerSettings:
    threads = {name: str(int(slurm.cpus_per_task)) for name in THREAD_ENV_VARS}
    return RunnerSettings(python_call=runner.python_call,
                          pre_run_commands=list(runner.pre_run_commands),
                          extra_env={**runner.extra_env, **threads}, work_dir=runner.work_dir)


def _run(args: list[str], env: dict[str, str] | None = None) -> str:
    try:
        done = subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)
    except FileNotFoundError:
        raise BatchError(
            f"{args[0]!r} was not found: SLURM commands are needed to run items on a cluster; "
            "run this on a cluster login node (or set the SLURM command paths)."
        ) from None
    if done.returncode != 0:
        raise BatchError(f"{shlex.join(args)} failed (exit {done.returncode}): "
                         f"{done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


class SlurmSubmitter:
    """Submits the items of ``batch`` to SLURM and keeps their status truthful."""

    def __init__(self, batch: Batch, slurm: SlurmSettings | None = None,
                 runner: RunnerSettings | None = None, use_work_dir: bool = False) -> None:
        self.batch = batch
        self.slurm = slurm if slurm is not None else SlurmSettings()
        self.runner = _job_runner_settings(
            runner if runner is not None else RunnerSettings.from_system_config(), self.slurm)
        self.use_work_dir = use_work_dir

    # ---- scripts --------------------------------------------------------------------------

    def job_script(self, uuid: str) -> str:
        """The ``sbatch`` script running item ``uuid`` (log: ``<item>/slurm-<jobid>.log``)."""
        item = self.batch.get_item(uuid)
        header = ["#!/usr/bin/env bash", f"#SBATCH --job-name=mesmerize-{uuid[:8]}",
                  f"#SBATCH --output={(self.batch.item_dir(uuid) / 'slurm-%j.log').as_posix()}",
                  *self.slurm.directives(), f"# Mesmerize batch item {uuid} ({item.name})"]
        body = item_script_lines(self.runner, self.batch.path, uuid, self.use_work_dir)
        return "\n".join(header + body) + "\n"

    def array_script(self, uuids: list[str]) -> str:
        """The ``sbatch`` job-array script running ``uuids`` (task i runs ``uuids[i]``)."""
        limit = f"%{int(self.slurm.max_parallel)}" if self.slurm.max_parallel else ""
        logs = (self.batch.path / ARRAY_DIR / "slurm-%A_%a.log").as_posix()
        header = ["#!/usr/bin/env bash", "#SBATCH --job-name=mesmerize-array",
                  f"#SBATCH --array=0-{len(uuids) - 1}{limit}", f"#SBATCH --output={logs}",
                  *self.slurm.directives(),
                  "ITEMS=(" + " ".join(uuids) + ")", 'UUID="${ITEMS[$SLURM_ARRAY_TASK_ID]}"']
        body = item_script_lines(self.runner, self.batch.path, "$UUID", self.use_work_dir)
        return "\n".join(header + body) + "\n"

    # ---- submission -----------------------------------------------------------------------

    def _runnable(self, uuids: Iterable[str] | None) -> list[str]:
        items = self.batch.items
        wanted = None if uuids is None else set(uuids)
        return [i.uuid for i in items if (wanted is None or i.uuid in wanted)
                and i.status in RUNNABLE_STATUSES and not self._queued(i.slurm_job)]

    def _queued(self, job: str | None) -> bool:
        return job is not None and self._job_states([job]).get(job) in _ACTIVE_JOB_STATES

    def submit(self, uuids: Iterable[str] | None = None, array: bool = False) -> dict[str, str]:
        """Submit the runnable items (default: all) not already queued; return their job IDs.

        One job per item, each depending (``afterok``) on the job of its input item when that
        is submitted too; or, with ``array``, one job array (the items must not depend on one
        another). Job scripts are kept in the batch (``<item>/slurm_job.sh``,
        ``slurm_arrays/``).
        """
        todo = self._runnable(uuids)
        if not todo:
            return {}
        env = item_environment(self.runner)
        if array:
            return self._submit_array(todo, env)
        jobs: dict[str, str] = {}
        for uuid in todo:
            script = self.batch.item_dir(uuid) / JOB_SCRIPT
            write_text_atomic(script, self.job_script(uuid))
            make_executable(script)
            args = [*shlex.split(self.slurm.sbatch), "--parsable"]
            input_item = self.batch.get_item(uuid).input_item
            if input_item in jobs:
                args += [f"--dependency=afterok:{jobs[input_item]}", "--kill-on-invalid-dep=yes"]
            jobs[uuid] = _run([*args, str(script)], env).strip().split(";")[0]
            self._mark_submitted(uuid, jobs[uuid])
        return jobs

    def _submit_array(self, todo: list[str], env: dict[str, str]) -> dict[str, str]:
        inside = set(todo)
        for uuid in todo:
            if self.batch.get_item(uuid).input_item in inside:
                raise DependencyError(
                    f"Item {uuid} takes the output of another item of the same submission; a "
                    "job array runs its items in any order. Submit one job per item instead."
                )
        script = self.batch.path / ARRAY_DIR / f"array_{int(time.time() * 1000)}.sh"
        script.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(script, self.array_script(todo))
        make_executable(script)
        array_id = _run([*shlex.split(self.slurm.sbatch), "--parsable", str(script)],
                        env).strip().split(";")[0]
        jobs = {uuid: f"{array_id}_{i}" for i, uuid in enumerate(todo)}
        for uuid, job in jobs.items():
            self._mark_submitted(uuid, job)
        return jobs

    def _mark_submitted(self, uuid: str, job: str) -> None:
        self.batch.update_item(uuid, status=PENDING, slurm_job=job, started=None, finished=None,
                               error=None, outputs={}, process=None)

    # ---- monitoring -----------------------------------------------------------------------

    def _job_states(self, jobs: list[str]) -> dict[str, str]:
        """SLURM state of each job (``squeue``, then ``scontrol`` for ended jobs); jobs SLURM
        has forgotten are left out."""
        states: dict[str, str] = {}
        out = _run([*shlex.split(self.slurm.squeue), "-h", "-r", "-t", "all",
                    "-j", ",".join(jobs), "-o", "%i %T"]) if jobs else ""
        for line in out.splitlines():
            job, _, state = line.strip().partition(" ")
            if job in jobs:
                states[job] = state.strip()
        for job in (j for j in jobs if j not in states):
            try:
                text = _run([*shlex.split(self.slurm.scontrol), "show", "job", "-o", job])
            except BatchError:
                continue
            fields = dict(f.split("=", 1) for f in text.split() if "=" in f)
            if "JobState" in fields:
                states[job] = fields["JobState"]
        return states

    def poll(self) -> dict[str, str]:
        """Update items whose job ended without the runner recording a result; return the SLURM
        state of every submitted, unfinished item's job by item UUID."""
        watched = [i for i in self.batch.items
                   if i.slurm_job and (i.status == PENDING or i.status in ACTIVE_STATUSES)]
        states = self._job_states([i.slurm_job for i in watched])
        report = {}
        for item in watched:
            state = states.get(item.slurm_job, "UNKNOWN")
            report[item.uuid] = state
            if state in _ACTIVE_JOB_STATES:
                continue
            status = _ENDED_WITHOUT_RESULT.get(state, INTERRUPTED)
            reason = f"The SLURM job {item.slurm_job} ended ({state}) without a result."
            if item.input_item is not None and \
                    self.batch.get_item(item.input_item).status != "finished":
                status, reason = FAILED, (f"The SLURM job {item.slurm_job} did not run: its "
                                          f"input item {item.input_item} did not finish.")
            self.batch.update_item(
                item.uuid, expected_status=(PENDING, *ACTIVE_STATUSES), status=status,
                finished=utc_now_iso(), process=None,
                error=f"{reason}\n{self._log_tail(item.uuid, item.slurm_job)}")
        return report

    def _log_tail(self, uuid: str, job: str) -> str:
        if "_" in job:
            array_id, task = job.split("_", 1)
            log = self.batch.path / ARRAY_DIR / f"slurm-{array_id}_{task}.log"
        else:
            log = self.batch.item_dir(uuid) / f"slurm-{job}.log"
        if not log.is_file():
            return f"(no SLURM log {log})"
        lines = log.read_text(encoding="utf-8", errors="replace").splitlines()
        return "\n".join(lines[-LOG_TAIL_LINES:])

    def wait(self, timeout_s: float | None = None, interval_s: float = 2.0) -> bool:
        """Poll until no submitted item is queued or running; True when that happened."""
        deadline = None if timeout_s is None else time.monotonic() + timeout_s
        while True:
            if all(state not in _ACTIVE_JOB_STATES for state in self.poll().values()):
                return True
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(interval_s)

    def cancel(self, uuid: str) -> None:
        """Cancel the job of item ``uuid`` (its runner records "aborted" on SIGTERM)."""
        job = self.batch.get_item(uuid).slurm_job
        if job is None:
            raise BatchError(f"Item {uuid} was not submitted to SLURM.")
        _run([*shlex.split(self.slurm.scancel), job])

