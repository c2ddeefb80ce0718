"""Identifying, checking and ending the processes that run batch items."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
from typing import Any, Mapping

import psutil


def process_info(pid: int) -> dict[str, Any]:
    """``{"pid", "host", "create_time"}`` identifying a live process (PID reuse safe)."""
    return {"pid": pid, "host": socket.gethostname(),
            "create_time": psutil.Process(pid).create_time()}


def process_alive(info: Mapping[str, Any] | None) -> bool | None:
    """Whether the process recorded in ``info`` still runs: None when it ran on another host."""
    if not info:
        return False
    if info.get("host") != socket.gethostname():
        return None
    try:
        proc = psutil.Process(int(info["pid"]))
        alive = proc.status() != psutil.STATUS_ZOMBIE
        return alive and abs(proc.create_time() - float(info.get("create_time", 0.0))) < 1.0
    except (psutil.NoSuchProcess, psutil.AccessDenied, KeyError, ValueError):
        return False


def tree_rss_bytes(pid: int) -> int:
    """Resident memory (bytes) of process ``pid`` and all its descendants; 0 once it is gone."""
    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for proc in procs:
        try:
            total += proc.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            pass
    return total


def kill_process_group(pgid: int, sig: int) -> None:
    """Send ``sig`` to process group ``pgid``; a group that no longer exists is ignored."""
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def kill_process_tree(proc: subprocess.Popen, grace_s: float) -> None:
    """End ``proc`` (a session leader), its process group and all its descendants: SIGTERM,
    then SIGKILL for whatever is left after ``grace_s`` seconds. ``proc`` is reaped by its
    ``wait()`` caller."""
    try:
        descendants = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        descendants = []
    kill_process_group(proc.pid, signal.SIGTERM)
    for child in descendants:
        try:
            child.terminate()
        except psutil.NoSuchProcess:
            pass
    _, alive = psutil.wait_procs(descendants, timeout=grace_s)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        pass
    kill_process_group(proc.pid, signal.SIGKILL)
    for child in alive:
        try:
            child.kill()
        except psutil.NoSuchProcess:
            pass
    psutil.wait_procs(alive, timeout=grace_s)
