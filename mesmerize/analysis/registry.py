"""The operation registry: flowchart operations as pure functions with metadata.

An operation is registered with ``@operation(...)`` on a function ``func(t, params) -> OpResult``
(``func(t1, t2, ..., params)`` for several input terminals, None for an unconnected optional
one). The registry validates the parameters against their spec (``ParameterError`` naming the
parameter), runs the function on the input Transmission(s), and appends ``{history_name: full
parameters}`` to the history of every data block of the input rows. With several inputs the
output continues the first connected input (its attributes and HistoryTrace); the function puts
what it needs from the others into its ``record``. The Qt flowchart nodes are generated from
this metadata.

Calling a registered operation::

    out = get_operation("Butterworth")(t, data_column="_RAW_CURVE", order=2, freq_divisor=4)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Callable, Hashable, Mapping

import numpy as np
import pandas as pd

from mesmerize.analysis.errors import TransmissionError
from mesmerize.analysis.history_trace import BLOCK_COLUMN
from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import ParameterError

CATEGORIES = ("Data", "Display", "Signal", "Math", "Biology", "Clustering", "Hierarchical",
              "Transform")
PARAM_KINDS = ("int", "float", "str", "bool", "choice", "column", "columns")
_BUILTIN_MODULES = ("mesmerize.analysis.ops.data", "mesmerize.analysis.ops.signal",
                    "mesmerize.analysis.ops.math")


@dataclass(frozen=True)
class Param:
    """Specification of one parameter.

    ``kind``: int, float, str, bool, choice (one of ``choices``), column (a column name of the
    input DataFrame; ``column_kind`` numerical/categorical/any tells the GUI which columns to
    offer), columns (a list of column names). ``optional``: None is accepted. A ``column``
    parameter named ``data_column`` left at None takes the input's ``last_output``.
    """

    name: str
    kind: str
    default: Any = None
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    choices: tuple = ()
    optional: bool = False
    column_kind: str = "any"
    doc: str = ""

    def __post_init__(self) -> None:
        if self.kind not in PARAM_KINDS:
            raise ValueError(f"Param {self.name!r}: unknown kind {self.kind!r}.")
        if self.kind == "choice" and not self.choices:
            raise ValueError(f"Param {self.name!r}: a choice parameter needs choices.")

    def _range_text(self) -> str:
        low = "" if self.min is None else f"{'>' if self.min_exclusive else '>='} {self.min}"
        high = "" if self.max is None else f"<= {self.max}"
        return " and ".join(t for t in (low, high) if t)

    def validate(self, value: Any, op_name: str) -> Any:
        """The checked (and normalised) value; ``ParameterError`` otherwise."""
        where = f"{op_name}: parameter {self.name!r}"
        if value is None:
            if self.optional or (self.kind == "column" and self.name == "data_column"):
                return None
            raise ParameterError(f"{where} is required.")
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
                raise ParameterError(f"{where} must be an integer, got {value!r}.")
            value = int(value)
        elif self.kind == "float":
            numeric = (int, float, np.integer, np.floating)
            if isinstance(value, bool) or not isinstance(value, numeric):
                raise ParameterError(f"{where} must be a number, got {value!r}.")
            value = float(value)
            if not math.isfinite(value):
                raise ParameterError(f"{where} must be finite, got {value!r}.")
        elif self.kind == "bool":
            if not isinstance(value, (bool, np.bool_)):
                raise ParameterError(f"{where} must be True or False, got {value!r}.")
            value = bool(value)
        elif self.kind in ("str", "column"):
            if not isinstance(value, str):
                raise ParameterError(f"{where} must be text, got {value!r}.")
        elif self.kind == "choice":
            if not isinstance(value, Hashable) or value not in self.choices:
                raise ParameterError(f"{where} must be one of {list(self.choices)}, got {value!r}.")
        elif self.kind == "columns":
            if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
                raise ParameterError(f"{where} must be a list of column names, got {value!r}.")
            value = list(value)
        if self.kind in ("int", "float"):
            too_low = self.min is not None and (value <= self.min if self.min_exclusive
                                                else value < self.min)
            too_high = self.max is not None and value > self.max
            if too_low or too_high:
                raise ParameterError(f"{where} must be {self._range_text()}, got {value!r}.")
        return value


@dataclass
class OpResult:
    """What an operation function returns.

    ``df``: the output DataFrame; ``record``: parameters to log instead of the validated ones;
    ``per_block``: extra logged values per block id; ``unit``: the unit of the output data
    (None keeps the input's); ``output``: the output column (None: the operation's
    ``output_column``; use ``keep_last_output=True`` to leave ``last_output`` unchanged).
    """

    df: pd.DataFrame
    record: Mapping[str, Any] | None = None
    per_block: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    unit: str | None = None
    output: str | None = None
    keep_last_output: bool = False


@dataclass(frozen=True)
class Operation:
    """A registered operation; call it like a function: ``op(t, params=None, **params)``."""

    name: str
    category: str
    history_name: str
    func: Callable[..., OpResult]
    params: tuple[Param, ...]
    inputs: tuple[str, ...] = ("In",)
    outputs: tuple[str, ...] = ("Out",)
    output_column: str | None = None
    records_units: bool = True
    doc: str = ""

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise ParameterError(f"{self.name} has no parameter {name!r}.")

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def validate(self, params: Mapping[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
        """Defaults filled in, every value checked; unknown names raise ``ParameterError``."""
        given = {**(params or {}), **kwargs}
        unknown = sorted(set(given) - {p.name for p in self.params})
        if unknown:
            raise ParameterError(
                f"{self.name} has no parameter(s) {unknown}; its parameters are "
                f"{[p.name for p in self.params]}.")
        return {p.name: p.validate(given.get(p.name, p.default), self.name) for p in self.params}

    def _check_columns(self, values: dict[str, Any], t: Transmission) -> None:
        for p in self.params:
            value = values[p.name]
            if p.kind == "column" and p.name == "data_column" and value is None:
                if t.last_output is None:
                    raise ParameterError(f"{self.name}: choose a data_column.")
                value = values[p.name] = t.last_output
            names = [value] if p.kind == "column" else (value if p.kind == "columns" else [])
            for name in names:
                if name is not None and name not in t.df.columns:
                    raise ParameterError(
                        f"{self.name}: parameter {p.name!r}: {name!r} is not a column of the "
                        f"input; choose one of {list(t.df.columns)}.")

    def __call__(self, *transmissions: Transmission | None,
                 params: Mapping[str, Any] | None = None, **kwargs: Any) -> Transmission:
        if len(transmissions) != len(self.inputs):
            raise TransmissionError(
                f"{self.name} takes {len(self.inputs)} input(s) {list(self.inputs)}, got "
                f"{len(transmissions)}.")
        present = [t for t in transmissions if t is not None]
        if not present or not all(isinstance(t, Transmission) for t in present):
            raise TransmissionError(f"{self.name} needs Transmission input(s).")
        base = present[0]
        values = self.validate(params, **kwargs)
        self._check_columns(values, base)
        result = self.func(*transmissions, values)
        unit = base.last_unit if result.unit is None else result.unit
        trace = base.history_trace.copy()
        record = dict(values if result.record is None else result.record)
        for block in _touched_blocks(base):
            entry = {**record, **result.per_block.get(block, {})}
            if self.records_units:
                entry["units"] = unit
            trace.add_operation(block, self.history_name, entry)
        changes: dict[str, Any] = {"last_unit": unit}
        if not result.keep_last_output:
            changes["last_output"] = result.output or self.output_column
        return base.with_df(result.df, trace, **changes)


def _touched_blocks(t: Transmission) -> list[str]:
    """The data blocks of ``t``'s rows, in HistoryTrace order."""
    if BLOCK_COLUMN not in t.df.columns:
        raise TransmissionError(
            f"The input has no {BLOCK_COLUMN} column; build Transmissions with "
            "Transmission.from_proj_df or Transmission.from_dataframe.")
    present = set(t.df[BLOCK_COLUMN].astype(str))
    return [b for b in t.history_trace.data_blocks if b in present]


_REGISTRY: dict[str, Operation] = {}


def operation(name: str, category: str, history_name: str, params: tuple[Param, ...] = (),
              inputs: tuple[str, ...] = ("In",), outputs: tuple[str, ...] = ("Out",),
              output_column: str | None = None,
              records_units: bool = True) -> Callable[[Callable[..., OpResult]], Operation]:
    """Decorator registering ``func`` under the node name ``name``; returns the Operation."""
    if category not in CATEGORIES:
        raise ValueError(f"Unknown category {category!r}; use one of {CATEGORIES}.")

    def register(func: Callable[..., OpResult]) -> Operation:
        if name in _REGISTRY:
            raise ValueError(f"An operation named {name!r} is registered already.")
        op = Operation(name=name, category=category, history_name=history_name, func=func,
                       params=tuple(params), inputs=tuple(inputs), outputs=tuple(outputs),
                       output_column=output_column, records_units=records_units,
                       doc=(func.__doc__ or "").strip())
        _REGISTRY[name] = op
        return op

    return register


def _load_builtin() -> None:
    for module in _BUILTIN_MODULES:
        import_module(module)


def get_operation(name: str) -> Operation:
    """The operation registered under the node name ``name`` (e.g. "Butterworth")."""
    _load_builtin()
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ParameterError(
            f"No operation named {name!r}; available: {sorted(_REGISTRY)}.") from None


def list_operations(category: str | None = None) -> list[Operation]:
    """Registered operations (of one category), sorted by category then name."""
    _load_builtin()
    ops = [op for op in _REGISTRY.values() if category is None or op.category == category]
    return sorted(ops, key=lambda op: (CATEGORIES.index(op.category), op.name))
