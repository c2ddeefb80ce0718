"""The record of one batch item, as stored in the batch's items table.

Stored paths are POSIX paths relative to the batch directory. Times are ISO-8601 UTC strings.
"""
from __future__ import annotations

import copy
import uuid as uuid_module
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from typing import Any

PENDING = "pending"
RUNNING = "running"
FINISHED = "finished"
FAILED = "failed"
ABORTED = "aborted"
INTERRUPTED = "interrupted"
MOVING = "moving"

STATUSES = (PENDING, RUNNING, FINISHED, FAILED, ABORTED, INTERRUPTED, MOVING)
ACTIVE_STATUSES = (RUNNING, MOVING)
"""Statuses of an item whose process should be alive."""


def utc_now_iso() -> str:
    """The current UTC time as an ISO-8601 string with seconds."""
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


@dataclass
class BatchItem:
    """One queued job.

    ``module`` is the item kind (``"caiman_motion_correction"``, ``"cnmf"``...), ``params`` the
    guide's parameter dict, ``input_item`` the UUID of the item whose output is this item's input
    (None when the input work environment is stored in the item folder, ``input_files``).
    ``outputs`` maps output roles (``"dir"``, ``"movie"``, ``"work_env"``...) to batch-relative
    paths. ``process`` records the runner process (``pid``, ``host``, ``create_time``) while it
    is active, so a reopened batch can tell a live item from one whose process died.
    ``slurm_job`` is the SLURM job ID when the item was submitted to a cluster.
    """

    module: str
    name: str
    params: dict[str, Any]
    uuid: str = field(default_factory=lambda: str(uuid_module.uuid4()))
    input_item: str | None = None
    input_files: dict[str, str] = field(default_factory=dict)
    source: str | None = None
    status: str = PENDING
    created: str = field(default_factory=utc_now_iso)
    started: str | None = None
    finished: str | None = None
    outputs: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    log: str | None = None
    process: dict[str, Any] | None = None
    slurm_job: str | None = None

    @property
    def duration_s(self) -> float | None:
        """Seconds from start to finish (None until both are known)."""
        if self.started is None or self.finished is None:
            return None
        delta = datetime.fromisoformat(self.finished) - datetime.fromisoformat(self.started)
        return delta.total_seconds()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe deep copy of the record."""
        return copy.deepcopy(asdict(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "BatchItem":
        """Build a record from ``to_dict`` output; unknown keys (from newer minor writers) are
        ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: copy.deepcopy(v) for k, v in data.items() if k in known})
