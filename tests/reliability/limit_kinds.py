"""A batch item kind for the resource-limit tests: it sleeps and/or allocates memory.

``hog_engine`` params: ``mib`` MiB to allocate (and touch, so it is resident) in steps of
``step_mib``, ``in_child`` to allocate in a grandchild process instead (the limit counts the
whole process tree), ``sleep_s`` seconds to sleep afterwards. It writes ``done.json``.
"""
from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mesmerize.core.batch.kinds import ItemKind

KIND = ItemKind(name="test_hog", engine="tests.reliability.limit_kinds:hog_engine",
                result_loader="tests.reliability.limit_kinds:HogResult.load")
RESULT_NAME = "done.json"

_ALLOCATE = """
import sys, time
import numpy as np
blocks = []
for _ in range(int(sys.argv[1]) // int(sys.argv[2])):
    blocks.append(np.ones(int(sys.argv[2]) * 2**20, dtype=np.uint8))
    time.sleep(0.05)
time.sleep(float(sys.argv[3]))
"""


@dataclass
class HogResult:
    path: Path

    @classmethod
    def load(cls, output_dir) -> "HogResult":
        return cls(Path(output_dir) / RESULT_NAME)


def hog_engine(movie_path, params, output_dir, progress=None) -> HogResult:
    mib, step = int(params.get("mib", 0)), int(params.get("step_mib", 32))
    sleep_s = float(params.get("sleep_s", 0.0))
    if params.get("in_child"):
        subprocess.run([sys.executable, "-c", _ALLOCATE, str(mib), str(step), str(sleep_s)],
                       check=True)
    else:
        blocks = []
        for _ in range(mib // step):
            blocks.append(np.ones(step * 2**20, dtype=np.uint8))
            time.sleep(0.05)
        time.sleep(sleep_s)
    out = Path(output_dir) / RESULT_NAME
    out.write_text(json.dumps({"mib": mib}))
    return HogResult(out)
