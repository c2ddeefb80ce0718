"""Conversion of parameter values and cell values to plain JSON-compatible Python objects."""
from __future__ import annotations

import math
from typing import Any
from uuid import UUID

import numpy as np
import pandas as pd


def to_json_safe(obj: Any) -> Any:
    """A copy of ``obj`` made of dict/list/str/int/float/bool/None only.

    numpy arrays become (nested) lists, numpy scalars Python scalars, tuples and sets lists,
    UUIDs strings, dict keys strings. Raises ``TypeError`` naming the type of anything else.
    """
    if obj is None or isinstance(obj, (bool, str)):
        return obj
    if isinstance(obj, (int, float)):
        return obj
    if isinstance(obj, np.generic):
        return to_json_safe(obj.item())
    if isinstance(obj, np.ndarray):
        return to_json_safe(obj.tolist())
    if isinstance(obj, dict):
        return {str(k): to_json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_json_safe(v) for v in obj]
    if isinstance(obj, (set, frozenset)):
        return [to_json_safe(v) for v in sorted(obj, key=repr)]
    if isinstance(obj, UUID):
        return str(obj)
    if obj is pd.NA or obj is pd.NaT:
        return None
    if isinstance(obj, pd.Timestamp):
        return obj.isoformat()
    raise TypeError(f"a value of type {type(obj).__name__} cannot be stored as JSON")


def is_missing(value: Any) -> bool:
    """True for None, NaN, pd.NA and pd.NaT (never for arrays or containers)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and math.isnan(value)
