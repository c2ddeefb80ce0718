"""A private single-node SLURM cluster for the tests (Debian's ``slurm-wlm`` and ``munge``).

``start_cluster(directory)`` writes a munge key and a ``slurm.conf`` into ``directory``, starts
``munged``, ``slurmctld`` and ``slurmd`` on free ports, waits until the node is idle and returns a
``Cluster`` whose ``env`` (``SLURM_CONF``) points the SLURM commands at it. It needs root (the
daemons run jobs as the submitting user); ``ClusterUnavailable`` says why it cannot start.
"""
from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "sinfo")


class ClusterUnavailable(RuntimeError):
    """SLURM cannot be started on this machine (the message says why)."""


@dataclass
class Cluster:
    directory: Path
    env: dict[str, str]

    def log_tail(self, lines: int = 30) -> str:
        out = []
        for name in ("slurmctld.log", "slurmd.log"):
            path = self.directory / name
            if path.is_file():
                out += [f"--- {name}", *path.read_text(errors="replace").splitlines()[-lines:]]
        return "\n".join(out)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _slurm_conf(d: Path, host: str, cpus: int) -> str:
    return "\n".join([
        "ClusterName=mesmerize_test", f"SlurmctldHost={host}", "SlurmUser=root",
        "SlurmdUser=root", f"SlurmctldPort={_free_port()}", f"SlurmdPort={_free_port()}",
        "AuthType=auth/munge", "CredType=cred/munge", f"AuthInfo=socket={d}/munge.socket",
        f"StateSaveLocation={d}/state", f"SlurmdSpoolDir={d}/spool",
        f"SlurmctldPidFile={d}/slurmctld.pid", f"SlurmdPidFile={d}/slurmd.pid",
        f"SlurmctldLogFile={d}/slurmctld.log", f"SlurmdLogFile={d}/slurmd.log",
        "ProctrackType=proctrack/linuxproc", "TaskPlugin=task/none",
        "SchedulerType=sched/builtin", "SelectType=select/cons_tres",
        "SelectTypeParameters=CR_CPU", "ReturnToService=2", "MinJobAge=600",
        "JobAcctGatherType=jobacct_gather/none", "AccountingStorageType=accounting_storage/none",
        "MpiDefault=none", f"NodeName={host} CPUs={cpus} RealMemory=1000 State=UNKNOWN",
        f"PartitionName=debug Nodes={host} Default=YES MaxTime=INFINITE State=UP", "",
    ])


def start_cluster(directory: Path, cpus: int = 2) -> Cluster:
    """Start munged, slurmctld and slurmd with their state in ``directory``."""
    missing = [d for d in DAEMONS if shutil.which(d) is None]
    if missing:
        raise ClusterUnavailable(
            f"SLURM is not installed ({', '.join(missing)} not found): "
            "apt-get install slurm-wlm munge")
    if os.geteuid() != 0:
        raise ClusterUnavailable("the test SLURM cluster runs its daemons as root; run as root")
    d = Path(directory)
    (d / "state").mkdir(parents=True)
    (d / "spool").mkdir()
    d.chmod(0o755)
    key = d / "munge.key"
    key.write_bytes(secrets.token_bytes(1024))
    key.chmod(0o600)
    host = socket.gethostname().split(".")[0]
    (d / "slurm.conf").write_text(_slurm_conf(d, host, cpus))
    env = {**os.environ, "SLURM_CONF": str(d / "slurm.conf")}
    cluster = Cluster(d, env)
    subprocess.run(["munged", "--force", f"--key-file={key}", f"--socket={d}/munge.socket",
                    f"--pid-file={d}/munged.pid", f"--log-file={d}/munged.log",
                    f"--seed-file={d}/munged.seed"], check=True, capture_output=True)
    for daemon in (["slurmctld", "-c"], ["slurmd"]):
        done = subprocess.run(daemon, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            stop_cluster(cluster)
            raise ClusterUnavailable(f"{daemon[0]} did not start: {done.stderr}\n"
                                     f"{cluster.log_tail()}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = subprocess.run(["sinfo", "-h", "-o", "%T"], env=env, capture_output=True,
                               text=True).stdout.strip()
        if state == "idle":
            return cluster
        time.sleep(0.5)
    stop_cluster(cluster)
    raise ClusterUnavailable(f"the SLURM node did not become idle:\n{cluster.log_tail()}")


def stop_cluster(cluster: Cluster) -> None:
    """Stop the daemons started by ``start_cluster`` (by their PID files)."""
    for name in ("slurmd", "slurmctld", "munged"):
        pid_file = cluster.directory / f"{name}.pid"
        try:
            pid = int(pid_file.read_text().strip())
        except (OSError, ValueError):
            continue
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
