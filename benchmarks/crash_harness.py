"""Benchmark: kill -9 many more times than the tests do, and count what was tried and lost.

For every write the reliability tests cover (``tests/reliability/crash_scenarios.py``: sample add,
delete/restore, sample overwrite, config change, .trn save, batch table writes) it runs

1. every crash point of the first ``--steps`` operations (a child dies before each
   file-system mutation in turn, ``enumerate_crash_points``), and
2. ``--kills`` random SIGKILLs of a child repeating the write (``run_crash_harness``),

then prints one line per run and the totals: crash points tried, kills mid-operation,
operations completed, backups restored at the end, leftover temporary files (garbage, not
data) and data lost (must be 0; a loss stops the run with the details).

    PYTHONPATH=. python benchmarks/crash_harness.py [--kills 150] [--steps 12] [--seed 0]
        [--only overwrite,config]
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

from mesmerize.core.batch import unregister_kind  # noqa: E402
from tests.core import batch_kinds_for_tests as batch_helpers  # noqa: E402
from tests.reliability.crash_harness import (  # noqa: E402
    CrashReport, enumerate_crash_points, run_crash_harness,
)
from tests.reliability.crash_scenarios import SCENARIOS  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=150, help="random kills per write kind")
    parser.add_argument("--steps", type=int, default=12,
                        help="operations whose every crash point is tried, per write kind")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--only", default="", help="comma-separated scenario names")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n] or list(SCENARIOS)
    work = Path(tempfile.mkdtemp(prefix="mesm_crash_bench_"))
    reports: list[CrashReport] = []
    try:
        for name in names:
            for mode in ("points", "random"):
                root = work / f"{name}_{mode}"
                start = time.perf_counter()
                if mode == "points":
                    report = enumerate_crash_points(SCENARIOS[name](), root, args.steps)
                else:
                    report = run_crash_harness(SCENARIOS[name](), root, args.kills, args.seed)
                reports.append(report)
                print(f"{report.line()} [{time.perf_counter() - start:.1f} s]", flush=True)
                shutil.rmtree(root, ignore_errors=True)
    finally:
        unregister_kind(batch_helpers.KIND.name)
        shutil.rmtree(work, ignore_errors=True)
    total = {field: sum(getattr(r, field) for r in reports)
             for field in ("kills", "mid_operation", "committed_in_flight", "operations",
                           "final_files_checked", "leftovers", "data_lost")}
    print(f"TOTAL: crash points tried {total['kills']} (kills mid-operation "
          f"{total['mid_operation']}, in-flight write found committed "
          f"{total['committed_in_flight']}), operations completed {total['operations']}, "
          f"backups/files verified at the end {total['final_files_checked']}, leftover "
          f"temporary files/folders {total['leftovers']}, data lost {total['data_lost']}")


if __name__ == "__main__":
    main()
