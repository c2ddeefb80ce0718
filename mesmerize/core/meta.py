"""Imaging meta data: validation and the ``<movie>.json`` file that sits beside a TIFF.

A meta data dict has ``source`` (str, name of the recording program; ``origin`` is accepted as an
alias), ``fps`` (float > 0, frames per second), ``date`` (str ``YYYYMMDD_HHMMSS``, the recording
date and time) and optionally ``orig_meta`` (dict of anything else). Other keys are kept as given.
"""
from __future__ import annotations

import json
import math
import numbers
import os
import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Union

import numpy as np

from mesmerize.core.atomic import write_json_atomic
from mesmerize.core.errors import MetaDataError

PathLike = Union[str, os.PathLike]

DATE_FORMAT = "%Y%m%d_%H%M%S"
_DATE_PATTERN = re.compile(r"^\d{8}_\d{6}$")
_MINIMAL_EXAMPLE = '{"source": "our_recording_program", "fps": 20.0, "date": "20190425_114405"}'


def _validate_source(meta: Mapping) -> str:
    key = "source" if "source" in meta else "origin" if "origin" in meta else None
    if key is None:
        raise MetaDataError(
            "meta data field 'source' is missing: add \"source\": \"<name of your recording "
            f"program>\" (a string; 'origin' is accepted too). Minimal example: {_MINIMAL_EXAMPLE}"
        )
    value = meta[key]
    if not isinstance(value, str):
        raise MetaDataError(
            f"meta data field '{key}' must be a string naming the recording program, got "
            f"{type(value).__name__} {value!r}: write it in quotes, e.g. \"{key}\": \"{value}\""
        )
    return value


def _validate_fps(meta: Mapping) -> float:
    if "fps" not in meta:
        raise MetaDataError(
            "meta data field 'fps' is missing: add \"fps\": <frames per second>, a number > 0 "
            f"such as 20.0; Mesmerize needs the frame rate for every analysis. "
            f"Minimal example: {_MINIMAL_EXAMPLE}"
        )
    value = meta["fps"]
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise MetaDataError(
            f"meta data field 'fps' must be a number (frames per second), got "
            f"{type(value).__name__} {value!r}: write it without quotes, e.g. \"fps\": 20.0"
        )
    fps = float(value)
    if not math.isfinite(fps) or fps <= 0:
        raise MetaDataError(
            f"meta data field 'fps' must be a finite number greater than 0, got {value!r}: set it "
            "to the frame rate of the movie in frames per second, e.g. \"fps\": 20.0"
        )
    return fps


def _validate_date(meta: Mapping) -> str:
    if "date" not in meta:
        raise MetaDataError(
            "meta data field 'date' is missing: add \"date\": \"YYYYMMDD_HHMMSS\", the recording "
            "date and time, e.g. \"date\": \"20190425_114405\". Minimal example: "
            f"{_MINIMAL_EXAMPLE}"
        )
    value = meta["date"]
    if not isinstance(value, str):
        raise MetaDataError(
            f"meta data field 'date' must be a string \"YYYYMMDD_HHMMSS\", got "
            f"{type(value).__name__} {value!r}: write it in quotes, e.g. "
            "\"date\": \"20190425_114405\""
        )
    if _DATE_PATTERN.match(value) is None:
        raise MetaDataError(
            f"meta data field 'date' must look like \"YYYYMMDD_HHMMSS\" (8 digits, underscore, "
            f"6 digits), got {value!r}: e.g. \"20190425_114405\" for 2019-04-25 11:44:05"
        )
    try:
        datetime.strptime(value, DATE_FORMAT)
    except ValueError as exc:
        raise MetaDataError(
            f"meta data field 'date' is not a real date and time: {value!r} ({exc}); use "
            "\"YYYYMMDD_HHMMSS\" with a valid month, day, hour, minute and second"
        ) from None
    return value


def validate_meta(meta: Mapping) -> dict:
    """Return a validated, normalised copy of ``meta``.

    ``source`` is filled from ``origin`` when only the latter is given; ``fps`` becomes a Python
    float. Raises ``MetaDataError`` naming the offending field and how to fix it.
    """
    if not isinstance(meta, Mapping):
        raise MetaDataError(
            f"meta data must be a dict, got {type(meta).__name__}: pass a dict such as "
            f"{_MINIMAL_EXAMPLE}"
        )
    for key in meta:
        if not isinstance(key, str):
            raise MetaDataError(
                f"meta data keys must be strings, got key {key!r} ({type(key).__name__}): "
                "rename it to a string"
            )
    source = _validate_source(meta)
    fps = _validate_fps(meta)
    date = _validate_date(meta)
    if "orig_meta" in meta and not isinstance(meta["orig_meta"], Mapping):
        value = meta["orig_meta"]
        raise MetaDataError(
            f"meta data field 'orig_meta' must be a dict (JSON object) of extra fields, got "
            f"{type(value).__name__} {value!r}: wrap the values in {{...}} or remove the field"
        )
    out = dict(meta)
    out["source"] = source
    out["fps"] = fps
    out["date"] = date
    if "orig_meta" in out:
        out["orig_meta"] = dict(out["orig_meta"])
    return out


def load_meta_json(path: PathLike) -> dict:
    """Read and validate a meta data JSON file; errors name the file, the problem and the fix."""
    p = Path(path)
    if not p.is_file():
        reason = "is a directory" if p.is_dir() else "does not exist"
        raise MetaDataError(
            f"meta data file {p} {reason}: give the path of the movie's .json meta data file "
            "(for xyz.tiff it is normally xyz.json)"
        )
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise MetaDataError(
            f"meta data file {p} is not UTF-8 text ({exc}): save it as a UTF-8 JSON file"
        ) from None
    except OSError as exc:
        raise MetaDataError(f"meta data file {p} cannot be read: {exc}") from None
    try:
        meta = json.loads(text)
    except json.JSONDecodeError as exc:
        raise MetaDataError(
            f"meta data file {p} is not valid JSON: {exc.msg} at line {exc.lineno}, column "
            f"{exc.colno}. Strings (source, date) need double quotes, numbers (fps) none, and "
            f"there is no trailing comma; minimal example: {_MINIMAL_EXAMPLE}"
        ) from None
    if not isinstance(meta, dict):
        raise MetaDataError(
            f"meta data file {p} must contain a JSON object {{...}}, found a "
            f"{type(meta).__name__}; minimal example: {_MINIMAL_EXAMPLE}"
        )
    try:
        return validate_meta(meta)
    except MetaDataError as exc:
        raise MetaDataError(f"{p}: {exc}") from None


def find_meta_path(tiff_path: PathLike) -> Path | None:
    """The meta data file beside a movie (``xyz.tif[f]`` -> ``xyz.json``), or None if absent.

    For ``xyz.ome.tif`` both ``xyz.ome.json`` and ``xyz.json`` are tried, in that order.
    """
    p = Path(tiff_path)
    candidates = [p.with_suffix(".json")]
    stem = Path(p.stem)
    if stem.suffix.lower() == ".ome":
        candidates.append(p.with_name(stem.stem + ".json"))
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    return None


def _json_safe(value: Any, where: str) -> Any:
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise MetaDataError(
                    f"meta data key {k!r} in {where} is not a string: JSON keys must be strings"
                )
            out[k] = _json_safe(v, f"{where}.{k}")
        return out
    if isinstance(value, (list, tuple)):
        return [_json_safe(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist(), where)
    if isinstance(value, np.generic):
        return _json_safe(value.item(), where)
    if isinstance(value, float) and not math.isfinite(value):
        raise MetaDataError(
            f"meta data value {where} = {value!r} cannot be stored in JSON: replace it with a "
            "finite number or null"
        )
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise MetaDataError(
        f"meta data value {where} of type {type(value).__name__} cannot be stored in JSON: "
        "convert it to a string, number, list or dict"
    )


def write_meta_json(path: PathLike, meta: Mapping) -> None:
    """Validate ``meta`` and write it atomically as a JSON object (numpy values become plain)."""
    validated = validate_meta(meta)
    write_json_atomic(path, _json_safe(validated, "meta"))
