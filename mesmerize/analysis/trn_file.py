"""The ``.trn`` file: a Transmission in HDF5 (h5py), with no pickle anywhere.

Layout: root attributes ``kind = "mesmerize-transmission"``, ``format_version`` (int),
``history`` (the HistoryTrace as JSON), ``info`` (JSON: project path, last output column, last
unit, project column definitions); group ``df`` holds the DataFrame (see ``frame_hdf5``).
"""
from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Callable, TypeVar

import h5py
import pandas as pd

from mesmerize.analysis.errors import TransmissionFileExistsError
from mesmerize.analysis.frame_hdf5 import read_frame, write_frame
from mesmerize.core.atomic import atomic_path
from mesmerize.core.errors import FormatVersionError

TRN_FORMAT_VERSION = 1
TRN_KIND = "mesmerize-transmission"
T = TypeVar("T")
#: keys of the ``info`` attribute: text (or null) values, and lists of column names
INFO_TEXT_KEYS = ("proj_path", "last_output", "last_unit")
INFO_LIST_KEYS = ("roi_type_columns", "stim_type_columns", "custom_columns")


def write_trn(path: str | os.PathLike, df: pd.DataFrame, history: dict, info: dict,
              overwrite: bool = False) -> Path:
    """Atomically write a ``.trn`` file; refuses an existing ``path`` unless ``overwrite``."""
    path = Path(path)
    if path.exists() and not overwrite:
        raise TransmissionFileExistsError(
            f"{path} already exists. Save the Transmission to a new file, or pass "
            "overwrite=True to replace it.")
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["kind"] = TRN_KIND
            f.attrs["format_version"] = TRN_FORMAT_VERSION
            f.attrs["history"] = json.dumps(history)
            f.attrs["info"] = json.dumps(info)
            write_frame(f.create_group("df"), df, "Transmission DataFrame")
    return path


def read_trn(path: str | os.PathLike) -> tuple[pd.DataFrame, dict, dict]:
    """Read ``(df, history_dict, info_dict)`` from a ``.trn`` file.

    Raises ``FileNotFoundError``, or ``FormatVersionError`` for a file that is not a Mesmerize
    Transmission (e.g. a pandas/pickle HDF5 file) or was written by a newer Mesmerize.
    """
    return read_hdf5_file(path, ".trn", "Transmission file", _read_open_trn)


def read_hdf5_file(path: str | os.PathLike, suffix: str, what: str,
                   read: Callable[[h5py.File, Path], T]) -> T:
    """``read(open file, path)`` on the HDF5 file at ``path`` (a Mesmerize ``suffix`` file).

    ``FileNotFoundError`` when it is missing; ``FormatVersionError`` when it is not HDF5 or
    ``read`` meets damaged content (a plain exception from h5py/json/numpy).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"No {what} at {path}.")
    try:
        f = h5py.File(path, "r")
    except OSError as exc:
        raise FormatVersionError(f"{path} is not an HDF5 file, so not a {suffix} file: "
                                 f"{exc}") from None
    try:
        with f:
            return read(f, path)
    except FormatVersionError:
        raise
    except (KeyError, ValueError, TypeError, OSError, IndexError, AttributeError) as exc:
        raise FormatVersionError(
            f"{path} is damaged or was not written by Mesmerize: {exc!r}") from None


def _read_open_trn(f: h5py.File, path: Path) -> tuple[pd.DataFrame, dict, dict]:
    """The content of the open .trn file ``f``; plain exceptions for damaged data."""
    kind = f.attrs.get("kind")
    version = f.attrs.get("format_version")
    if kind != TRN_KIND or version is None:
        raise FormatVersionError(
            f"{path} is not a Mesmerize Transmission (.trn) file of this Mesmerize: it has "
            "no kind/format_version. Files from the original Mesmerize (pickled pandas HDF5) "
            "are refused because opening them could run code.")
    version = _as_int(version, path)
    if version > TRN_FORMAT_VERSION:
        raise FormatVersionError(
            f"{path} has format_version {version}, newer than this Mesmerize understands "
            f"({TRN_FORMAT_VERSION}). Upgrade Mesmerize to open it.")
    history = json.loads(f.attrs["history"])
    info = json.loads(f.attrs["info"])
    if not isinstance(history, dict) or not isinstance(info, dict):
        raise FormatVersionError(f"{path}: the history and info attributes must be JSON objects; "
                                 "the file is damaged or was not written by Mesmerize.")
    check_info(info, path)
    df = read_frame(f["df"])
    return df, history, info


def check_info(info: dict, path: Path) -> None:
    """Refuse an ``info`` attribute with unknown keys or values of the wrong type."""
    unknown = sorted(set(info) - set(INFO_TEXT_KEYS) - set(INFO_LIST_KEYS))
    bad = [k for k in INFO_TEXT_KEYS if not isinstance(info.get(k), (str, type(None)))]
    bad += [k for k in INFO_LIST_KEYS if not isinstance(info.get(k, []), list)
            or not all(isinstance(c, str) for c in info.get(k, []))]
    problems = ([f"unknown keys {unknown}"] if unknown else []) + (
        [f"wrong types in {bad}"] if bad else [])
    if problems:
        raise FormatVersionError(
            f"{path}: the info attribute is damaged or was not written by Mesmerize "
            f"({'; '.join(problems)}; {', '.join(INFO_TEXT_KEYS)} must be text or null, "
            f"{', '.join(INFO_LIST_KEYS)} lists of text).")


def _as_int(value: Any, path: Path) -> int:
    try:
        as_int = int(value)
    except (TypeError, ValueError):
        raise FormatVersionError(f"{path} has an invalid format_version {value!r}.") from None
    if as_int != value:
        raise FormatVersionError(f"{path} has an invalid format_version {value!r}.")
    return as_int
