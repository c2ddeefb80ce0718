"""Validation of one numeric engine parameter, shared by the engines' params classes."""
from __future__ import annotations

import math
import numbers
from typing import Any

from mesmerize.core.errors import ParameterError


def check_number(engine: str, name: str, value: Any, *, integer: bool = False,
                 low: float | None = None, high: float | None = None,
                 low_open: bool = False) -> Any:
    """``value`` as an int (``integer``) or float within ``[low, high]`` (``(low, high]`` with
    ``low_open``); otherwise ``ParameterError`` naming ``engine``'s parameter ``name``."""
    label = f"{engine} parameter {name!r}"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ParameterError(f"{label} must be a number, got {value!r}")
    if not isinstance(value, numbers.Integral) and not math.isfinite(value):
        raise ParameterError(f"{label} must be finite, got {value!r}")
    if integer and int(value) != value:
        raise ParameterError(f"{label} must be an integer, got {value!r}")
    if low is not None and (value <= low if low_open else value < low):
        raise ParameterError(f"{label} must be {'>' if low_open else '>='} {low}, got {value!r}")
    if high is not None and value > high:
        raise ParameterError(f"{label} must be <= {high}, got {value!r}")
    return int(value) if integer else float(value)
