"""Project configuration: the user's ROI type, stimulus type and custom columns.

``config.json`` holds ``format_version``, the three kinds of columns and the Project Browser's
visible / hidden column lists. Column names are validated here once, so every other module can
trust them.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from mesmerize.core.atomic import write_json_atomic
from mesmerize.core.errors import ColumnTypeError, ConfigError, FormatVersionError
from mesmerize.core.project.layout import SAMPLE_ID_SEPARATOR

CONFIG_FORMAT_VERSION = 1

BASE_COLUMNS: tuple[str, ...] = (
    "SampleID", "AnimalID", "TrialID", "ImgUUID", "ImgPath", "ImgInfoPath", "CurvePath",
    "ROI_State", "uuid_curve", "date", "comments",
)
"""Columns every project DataFrame has, in this order, before the user's columns."""

PROTECTED_COLUMNS: tuple[str, ...] = (
    "SampleID", "ImgUUID", "ImgPath", "ImgInfoPath", "CurvePath", "ROI_State", "uuid_curve",
)
"""Columns that identify a row or point at its files; never edited by hand."""

DEFAULT_HIDDEN_COLUMNS: tuple[str, ...] = (
    "ImgUUID", "ImgPath", "ImgInfoPath", "CurvePath", "ROI_State", "uuid_curve",
)

UNTAGGED = "untagged"
"""The value of a text column that was never set (ROI tag, stimulus names, custom text)."""

CUSTOM_COLUMN_TYPES: tuple[str, ...] = ("str", "int", "float")
_PANDAS_DTYPES = {"str": "object", "int": "Int64", "float": "float64"}
_TYPE_WORDS = {
    "str": "text (str)", "int": "whole numbers (int)", "float": "decimal numbers (float)",
}


def _python_scalar(value: Any) -> Any:
    """numpy scalars -> the equivalent Python scalar; anything else unchanged."""
    return value.item() if isinstance(value, np.generic) else value


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def coerce_custom_value(column: str, column_type: str, value: Any) -> Any:
    """Check ``value`` against a custom column's type; return it as a Python scalar.

    ``None`` (or ``pd.NA`` / NaN) means "not set" and is returned as ``None``. ``int`` columns
    take integers only (no bools, no floats); ``float`` columns take ints and floats (returned as
    float, finite only); ``str`` columns take text only. Raises ``ColumnTypeError``.
    """
    value = _python_scalar(value)
    if _is_missing(value):
        return None
    if column_type == "str" and isinstance(value, str):
        return value
    if column_type == "int" and isinstance(value, int) and not isinstance(value, bool):
        return value
    if column_type == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
        if math.isfinite(value):
            return float(value)
    raise ColumnTypeError(
        f"Custom column {column!r} holds {_TYPE_WORDS[column_type]}, got {value!r} "
        f"({type(value).__name__}). Enter a value of that type."
    )


@dataclass(frozen=True)
class CustomColumn:
    """A typed per-sample column. ``type`` is ``"str"``, ``"int"`` or ``"float"``.

    ``replace_value`` fills the column for samples already in the project when the column is
    added later (the guide's "Dataframe replace value"), and for new samples added without a
    value. When it is ``None`` the fill is ``"untagged"`` for text, ``<NA>`` (pandas nullable
    ``Int64``) for whole numbers and ``NaN`` for decimal numbers: a number column cannot hold the
    text "untagged" without losing its numeric type.
    """

    type: str
    replace_value: Any = None

    def __post_init__(self) -> None:
        if self.type not in CUSTOM_COLUMN_TYPES:
            raise ConfigError(
                f"Custom column type must be one of {', '.join(CUSTOM_COLUMN_TYPES)}, got "
                f"{self.type!r}."
            )
        try:
            value = coerce_custom_value("replace value", self.type, self.replace_value)
        except ColumnTypeError as exc:
            raise ConfigError(f"Invalid Dataframe replace value: {exc}") from None
        object.__setattr__(self, "replace_value", value)

    @property
    def pandas_dtype(self) -> str:
        """``object`` for text, ``Int64`` (nullable) for int, ``float64`` for float."""
        return _PANDAS_DTYPES[self.type]

    @property
    def fill_value(self) -> Any:
        """The value used where a sample has none (see the class docstring)."""
        if self.replace_value is not None:
            return self.replace_value
        return {"str": UNTAGGED, "int": pd.NA, "float": float("nan")}[self.type]

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "replace_value": self.replace_value}


def _as_custom_column(name: str, spec: Any) -> CustomColumn:
    if isinstance(spec, CustomColumn):
        return spec
    if isinstance(spec, str):
        return CustomColumn(spec)
    if isinstance(spec, Mapping) and set(spec) <= {"type", "replace_value"} and "type" in spec:
        return CustomColumn(spec["type"], spec.get("replace_value"))
    raise ConfigError(
        f"Custom column {name!r}: expected CustomColumn(type, replace_value), a type name or "
        f"{{'type': ..., 'replace_value': ...}}, got {spec!r}."
    )


def _validate_name(name: Any) -> None:
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"Column names must be non-empty text, got {name!r}.")
    if name != name.strip():
        raise ConfigError(f"Column name {name!r} starts or ends with white space; remove it.")
    if name.startswith("_"):
        raise ConfigError(
            f"Column name {name!r} starts with '_', which is reserved for the numerical columns "
            "that flowchart nodes create. Choose a name without the leading underscore."
        )
    if SAMPLE_ID_SEPARATOR in name:
        raise ConfigError(
            f"Column name {name!r} contains {SAMPLE_ID_SEPARATOR!r}, which Mesmerize uses as a "
            "separator. Choose another name."
        )
    if name in BASE_COLUMNS:
        raise ConfigError(
            f"Column name {name!r} is a built-in project column ({', '.join(BASE_COLUMNS)}). "
            "Choose another name."
        )


def _str_list(value: Any, what: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ConfigError(f"{what} must be a list of column names, got {value!r}.")
    items = list(value)
    bad = [item for item in items if not isinstance(item, str)]
    if bad:
        raise ConfigError(f"{what} must list column names as non-empty text, got {bad[0]!r}.")
    return items


@dataclass
class ProjectConfig:
    """The columns of a project and which of them the Project Browser shows.

    After construction ``visible_columns`` and ``hidden_columns`` together list every column of
    the project exactly once: names in neither list are appended to ``visible_columns``, except
    the file/identifier columns of ``DEFAULT_HIDDEN_COLUMNS``, which go to ``hidden_columns``.
    """

    roi_type_columns: list[str] = field(default_factory=list)
    stimulus_type_columns: list[str] = field(default_factory=list)
    custom_columns: dict[str, CustomColumn] = field(default_factory=dict)
    visible_columns: list[str] = field(default_factory=list)
    hidden_columns: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.roi_type_columns = _str_list(self.roi_type_columns, "roi_type_columns")
        self.stimulus_type_columns = _str_list(self.stimulus_type_columns, "stimulus_type_columns")
        if self.custom_columns is None:
            self.custom_columns = {}
        if not isinstance(self.custom_columns, Mapping):
            raise ConfigError(
                "custom_columns must be a dict {name: CustomColumn}, got "
                f"{self.custom_columns!r}."
            )
        self.custom_columns = {
            name: _as_custom_column(name, spec) for name, spec in self.custom_columns.items()
        }
        names = self.user_columns
        for name in names:
            _validate_name(name)
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ConfigError(
                f"Column names must be unique across ROI type, stimulus type and custom columns; "
                f"repeated: {', '.join(duplicates)}."
            )
        self._normalise_visibility()

    def _normalise_visibility(self) -> None:
        visible = _str_list(self.visible_columns, "visible_columns")
        hidden = _str_list(self.hidden_columns, "hidden_columns")
        known = set(self.all_columns)
        unknown = [c for c in visible + hidden if c not in known]
        if unknown:
            raise ConfigError(
                f"visible/hidden columns name columns the project does not have: "
                f"{', '.join(map(str, unknown))}. Remove them or add those columns first."
            )
        both = sorted(set(visible) & set(hidden))
        repeated = sorted({c for c in visible + hidden if (visible + hidden).count(c) > 1})
        if both or repeated:
            raise ConfigError(
                f"Each column must be listed once, either visible or hidden; listed more than "
                f"once: {', '.join(sorted(set(both) | set(repeated)))}."
            )
        listed = set(visible) | set(hidden)
        for column in self.all_columns:
            if column not in listed:
                (hidden if column in DEFAULT_HIDDEN_COLUMNS else visible).append(column)
        self.visible_columns = visible
        self.hidden_columns = hidden

    def validated(self) -> "ProjectConfig":
        """A validated deep copy; use it on a config whose lists were edited in place."""
        return ProjectConfig(
            roi_type_columns=list(self.roi_type_columns),
            stimulus_type_columns=list(self.stimulus_type_columns),
            custom_columns=dict(self.custom_columns),
            visible_columns=list(self.visible_columns),
            hidden_columns=list(self.hidden_columns),
        )

    @property
    def user_columns(self) -> list[str]:
        """ROI type, stimulus type and custom column names, in that order."""
        return [*self.roi_type_columns, *self.stimulus_type_columns, *self.custom_columns]

    @property
    def all_columns(self) -> list[str]:
        """Every column of the project DataFrame, in DataFrame order."""
        return [*BASE_COLUMNS, *self.user_columns]

    def column_kind(self, name: str) -> str | None:
        """``"roi"``, ``"stimulus"``, ``"custom:<type>"`` or None for a non-user column."""
        if name in self.roi_type_columns:
            return "roi"
        if name in self.stimulus_type_columns:
            return "stimulus"
        if name in self.custom_columns:
            return f"custom:{self.custom_columns[name].type}"
        return None

    def pandas_dtype(self, name: str) -> str:
        """The DataFrame dtype of a column: ``Int64``/``float64`` for numeric custom columns,
        ``object`` (Python str) for everything else."""
        if name in self.custom_columns:
            return self.custom_columns[name].pandas_dtype
        return "object"

    def fill_value(self, name: str) -> Any:
        """The value of ``name`` for rows that never had one (see ``CustomColumn``)."""
        if name in self.custom_columns:
            return self.custom_columns[name].fill_value
        return UNTAGGED

    def check_changes_to(self, new: "ProjectConfig") -> None:
        """Raise ``ColumnTypeError`` when ``new`` changes the kind or data type of a column."""
        for name in set(self.user_columns) & set(new.user_columns):
            old_kind, new_kind = self.column_kind(name), new.column_kind(name)
            if old_kind != new_kind:
                raise ColumnTypeError(
                    f"Column {name!r} is a {_describe_kind(old_kind)} column and cannot become a "
                    f"{_describe_kind(new_kind)} column: data types cannot be changed later. Add "
                    "a new column with the type you want and copy the values across in the "
                    "Project Browser console (get_root_dataframe / set_root_dataframe)."
                )

    def to_dict(self) -> dict[str, Any]:
        return {
            "format_version": CONFIG_FORMAT_VERSION,
            "roi_type_columns": list(self.roi_type_columns),
            "stimulus_type_columns": list(self.stimulus_type_columns),
            "custom_columns": {n: c.to_dict() for n, c in self.custom_columns.items()},
            "visible_columns": list(self.visible_columns),
            "hidden_columns": list(self.hidden_columns),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "project config") -> "ProjectConfig":
        """Build from ``to_dict()`` output; refuses newer ``format_version`` values."""
        version = data.get("format_version") if isinstance(data, Mapping) else None
        if not isinstance(version, int) or isinstance(version, bool):
            raise FormatVersionError(
                f"{source} has no integer format_version; it is not a Mesmerize project config."
            )
        if version > CONFIG_FORMAT_VERSION:
            raise FormatVersionError(
                f"{source} has format_version {version}, newer than this Mesmerize understands "
                f"({CONFIG_FORMAT_VERSION}). Upgrade Mesmerize to open this project."
            )
        known = {"format_version", "roi_type_columns", "stimulus_type_columns", "custom_columns",
                 "visible_columns", "hidden_columns"}
        extra = sorted(set(data) - known)
        if extra:
            raise ConfigError(f"{source} has unknown keys: {', '.join(extra)}.")
        return cls(
            roi_type_columns=data.get("roi_type_columns", []),
            stimulus_type_columns=data.get("stimulus_type_columns", []),
            custom_columns=data.get("custom_columns", {}),
            visible_columns=data.get("visible_columns", []),
            hidden_columns=data.get("hidden_columns", []),
        )


def _describe_kind(kind: str | None) -> str:
    if kind is None:
        return "built-in"
    if kind.startswith("custom:"):
        return f"custom {_TYPE_WORDS[kind.split(':', 1)[1]]}"
    return {"roi": "ROI type", "stimulus": "stimulus type"}[kind]


def load_config(path: Path) -> ProjectConfig:
    """Read and validate a ``config.json``."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(f"Cannot read the project config {path}: {exc}") from exc
    return ProjectConfig.from_dict(data, source=str(path))


def save_config(path: Path, config: ProjectConfig) -> None:
    """Atomically write ``config`` as JSON."""
    write_json_atomic(path, config.to_dict())
