"""kill -9 at random moments: a forked child repeats a write (sample add, delete/restore, sample
overwrite, config change, .trn save, batch table writes) and is SIGKILLed after a random delay,
many times; after each kill the files are reopened and must hold exactly the operations the
child finished, plus at most the one in flight (see ``crash_harness``). At the end every
project backup must restore. ``benchmarks/crash_harness.py`` runs many more kills.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from mesmerize.core.batch import unregister_kind
from tests.core import batch_kinds_for_tests as batch_helpers

from .crash_harness import DataLossError, Scenario, run_crash_harness
from .crash_scenarios import SCENARIOS

#: kills per scenario (the whole file stays under a minute on a loaded 2-core machine)
KILLS = {"add": 10, "delete_restore": 12, "overwrite": 12, "config": 14, "trn": 16, "batch": 16}
REPORTS: list[str] = []


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    unregister_kind(batch_helpers.KIND.name)
    print("\nrandom kill -9:")
    for line in REPORTS:
        print("  " + line)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("name", sorted(KILLS))
def test_random_sigkill_loses_nothing(tmp_path, name):
    result = run_crash_harness(SCENARIOS[name](), tmp_path / name, KILLS[name], seed=12)
    REPORTS.append(result.line())
    assert result.kills == KILLS[name] and result.data_lost == 0
    # the kills must exercise the writer; how often they land mid-operation depends on the
    # machine's load (benchmarks/crash_harness.py reports the counts over many more kills)
    assert result.mid_operation >= 2, "kills never landed inside an operation"
    assert result.operations >= 2, "the writer never finished an operation"


def _torn_writer_scenario() -> Scenario:
    """A writer that rewrites its file in place (no temporary file + rename): a kill mid-write
    leaves a truncated or mixed file, which the harness must report as data loss."""
    def write(path: Path, n: int) -> None:
        with open(path, "w", encoding="utf-8") as fh:
            for _ in range(200):
                fh.write(f"{n}\n" * 50)
                fh.flush()

    def observe(root: Path) -> tuple:
        lines = (root / "state.txt").read_text(encoding="utf-8").splitlines()
        return tuple(sorted(set(lines))), len(lines)

    return Scenario("torn", lambda root: write(root / "state.txt", -1),
                    lambda root: root / "state.txt", lambda path, n: write(path, n),
                    lambda step: ((str(step - 1),), 10_000), observe)


def test_the_harness_reports_a_writer_that_is_not_atomic(tmp_path):
    with pytest.raises(DataLossError, match="torn: after a kill"):
        run_crash_harness(_torn_writer_scenario(), tmp_path / "torn", 30, seed=1)
