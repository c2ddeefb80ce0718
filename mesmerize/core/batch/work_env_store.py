"""The stored description of an item's input or output work environment, and JSON-safe params.

``<item>/input/work_env.json`` and ``<item>/output/work_env.json``:
``{"format_version": 1, "meta": {...}, "history_trace": [{operation: params}, ...],
"sample_id": str | null}``.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from mesmerize.core.atomic import write_json_atomic
from mesmerize.core.errors import FormatVersionError, ParameterError

WORK_ENV_FORMAT_VERSION = 1


def json_safe(params: Mapping[str, Any], where: str = "params") -> dict[str, Any]:
    """A JSON-safe copy of a parameter (or meta) dict: tuples and arrays become lists, numpy
    scalars plain numbers; ``ParameterError`` for values JSON cannot hold."""
    def convert(value: Any, at: str) -> Any:
        if isinstance(value, Mapping):
            out = {}
            for k, v in value.items():
                if not isinstance(k, str):
                    raise ParameterError(f"{at}: key {k!r} is not a string; use string keys.")
                out[k] = convert(v, f"{at}[{k!r}]")
            return out
        if isinstance(value, (list, tuple, np.ndarray)):
            return [convert(v, f"{at}[{i}]") for i, v in enumerate(list(value))]
        if isinstance(value, np.generic):
            return convert(value.item(), at)
        if isinstance(value, float) and not math.isfinite(value):
            raise ParameterError(f"{at} = {value!r} cannot be stored; use a finite number.")
        if value is None or isinstance(value, (str, bool, int, float)):
            return value
        raise ParameterError(
            f"{at} of type {type(value).__name__} cannot be stored in a batch item; use "
            "numbers, strings, lists or dicts."
        )
    return convert(params, where)


def write_work_env_info(path: Path, info: Mapping[str, Any]) -> None:
    """Write a work environment description (meta, history trace, sample id) as JSON."""
    write_json_atomic(path, {"format_version": WORK_ENV_FORMAT_VERSION,
                             **json_safe(info, "work_env")})


def read_work_env_info(path: Path) -> dict[str, Any]:
    """Read a file written by ``write_work_env_info`` (``format_version`` removed)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    version = data.pop("format_version", None)
    if not isinstance(version, int) or version > WORK_ENV_FORMAT_VERSION:
        raise FormatVersionError(
            f"{path} has work-environment format {version!r}; this Mesmerize reads up to "
            f"{WORK_ENV_FORMAT_VERSION}. Upgrade Mesmerize to use this batch."
        )
    return data
