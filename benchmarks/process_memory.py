"""Memory and CPU figures of a benchmark process and its worker processes (Linux)."""
from __future__ import annotations

import resource
import threading
import time

import psutil


def anon_bytes(pid: int) -> int:
    """RssAnon of process ``pid`` in bytes (its own allocations, not mapped files); 0 when
    unreadable."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("RssAnon:"):
                    return 1024 * int(line.split()[1])
    except OSError:
        pass
    return 0


class MemorySampler(threading.Thread):
    """Peak summed RSS and RssAnon (bytes) of this process and its children, every 0.1 s:
    ``start()`` before the work, ``stop()`` after, then read ``peak_rss`` / ``peak_anon``."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak_rss = 0
        self.peak_anon = 0
        self._halt = threading.Event()

    def run(self) -> None:
        me = psutil.Process()
        while not self._halt.is_set():
            rss = anon = 0
            for p in [me] + me.children(recursive=True):
                try:
                    rss += p.memory_info().rss
                except psutil.Error:
                    continue
                anon += anon_bytes(p.pid)
            self.peak_rss = max(self.peak_rss, rss)
            self.peak_anon = max(self.peak_anon, anon)
            time.sleep(0.1)

    def stop(self) -> None:
        self._halt.set()
        self.join()


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its terminated children."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        r = resource.getrusage(who)
        total += r.ru_utime + r.ru_stime
    return total
