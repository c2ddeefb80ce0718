"""Text shown for a batch item in the Batch Manager: list label, parameters, output info (no Qt).
"""
from __future__ import annotations

import json
from typing import Any

from mesmerize.core.batch import Batch, BatchItem


def item_label(item: BatchItem) -> str:
    """The list entry of an item: ``name  [module]``."""
    return f"{item.name}  [{item.module}]"


def _value_text(value: Any) -> str:
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def params_text(batch: Batch, item: BatchItem) -> str:
    """The bottom-left panel: the item's UUID on the first line, then one ``key: value`` line
    per parameter, the input, and the parameters that differ from its variants (items sharing
    its name)."""
    lines = [item.uuid, "", f"module: {item.module}", f"name: {item.name}"]
    if item.input_item is not None:
        lines.append(f"input: output of item {item.input_item}")
    elif item.source is not None:
        lines.append(f"input: {item.source}")
    lines += ["", "Parameters:"]
    lines += [f"  {key}: {_value_text(value)}" for key, value in item.params.items()]
    variants = batch.variants(item.name)
    if len(variants) > 1:
        diff = batch.diff_params(variants)
        lines += ["", f"Differs from the other {len(variants) - 1} item(s) named {item.name!r}:"]
        if diff.columns.empty:
            lines.append("  nothing (identical parameters)")
        for column in diff.columns:
            lines.append(f"  {column}: {_value_text(diff.loc[item.uuid, column])}")
    return "\n".join(lines)


def output_text(batch: Batch, item: BatchItem) -> str:
    """The bottom-right panel: status, times, output files, and the error (traceback) of a
    failed, aborted or interrupted item."""
    lines = [f"status: {item.status}", f"created: {item.created}"]
    if item.started:
        lines.append(f"started: {item.started}")
    if item.finished:
        lines.append(f"finished: {item.finished}")
    if item.duration_s is not None:
        lines.append(f"duration: {item.duration_s:.1f} s")
    if item.slurm_job:
        lines.append(f"SLURM job: {item.slurm_job}")
    if item.outputs:
        lines += ["", "Outputs:"]
        lines += [f"  {role}: {_value_text(path)}" for role, path in item.outputs.items()]
    log = batch.log_path(item.uuid)
    if log.is_file():
        lines.append(f"log: {log}")
    if item.error:
        lines += ["", "Error:", item.error]
    return "\n".join(lines)
