"""The batch queue: heavy jobs (motion correction, CNMF, CNMF-E, corr/PNR) queued in a batch
directory and run one after another in subprocesses.

``Batch.create(path)`` / ``Batch.open(path)``; ``batch.add_item(...)``; ``batch.df``;
``batch.process_batch(start_ix)``; ``batch.load_item_output(uuid)``; ``SlurmSubmitter(batch)``
for a cluster. See batch.py, runner.py and slurm.py.
"""
from __future__ import annotations

from mesmerize.core.batch.batch import Batch
from mesmerize.core.batch.errors import (
    BatchError, BatchItemNotFoundError, BatchPathError, DependencyError, EngineUnavailableError,
)
from mesmerize.core.batch.item import BatchItem
from mesmerize.core.batch.kinds import ItemKind, register_kind, unregister_kind
from mesmerize.core.batch.launch import RunnerSettings
from mesmerize.core.batch.runner import BatchRunner
from mesmerize.core.batch.slurm import SlurmSettings, SlurmSubmitter

__all__ = [
    "Batch", "BatchItem", "BatchError", "BatchItemNotFoundError", "BatchPathError",
    "DependencyError", "EngineUnavailableError", "ItemKind", "register_kind", "unregister_kind",
    "RunnerSettings", "BatchRunner", "SlurmSettings", "SlurmSubmitter",
]
