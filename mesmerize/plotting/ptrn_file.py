"""The ``.ptrn`` file: a saved interactive plot (plot state + its input data), no pickle.

HDF5 layout (h5py): root attributes ``kind = "mesmerize-plot"``, ``format_version`` (int),
``plot_kind`` (e.g. ``"heatmap"``) and ``state`` (the plot's control values as JSON); group
``transmission`` (absent when the plot had no input) with attributes ``history`` and ``info``
(JSON, as in ``.trn`` files) and the DataFrame in its ``df`` group; group ``arrays`` with one
numeric dataset per extra array the plot computed (e.g. KShape cluster centres).
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from mesmerize.analysis.errors import TransmissionFileExistsError
from mesmerize.analysis.frame_hdf5 import read_frame, write_frame
from mesmerize.analysis.history_trace import HistoryTrace
from mesmerize.analysis.trn_file import check_info, read_hdf5_file
from mesmerize.analysis.transmission import Transmission
from mesmerize.core.atomic import atomic_path
from mesmerize.core.errors import FormatVersionError, ParameterError

PTRN_FORMAT_VERSION = 1
PTRN_KIND = "mesmerize-plot"
PTRN_SUFFIX = ".ptrn"


@dataclass
class PlotFile:
    """What a ``.ptrn`` file holds: ``plot_kind``, ``state`` (JSON-safe control values), the
    input ``transmission`` (None when the plot had none) and the extra ``arrays``."""

    plot_kind: str
    state: dict
    transmission: Transmission | None
    arrays: dict[str, np.ndarray] = field(default_factory=dict)


def write_ptrn(path: str | os.PathLike, plot_kind: str, state: dict,
               transmission: Transmission | None, arrays: dict[str, np.ndarray] | None = None,
               overwrite: bool = False) -> Path:
    """Atomically write a ``.ptrn`` file; refuses an existing ``path`` unless ``overwrite``.

    ``state`` must be JSON-serialisable; ``arrays`` maps names to numeric numpy arrays.
    """
    path = Path(path)
    if path.suffix != PTRN_SUFFIX:
        raise ParameterError(f"{path}: saved plots use the {PTRN_SUFFIX} suffix; "
                             f"choose a name ending in {PTRN_SUFFIX}.")
    if path.exists() and not overwrite:
        raise TransmissionFileExistsError(
            f"{path} already exists. Save the plot to a new file, or pass overwrite=True.")
    try:
        state_text = json.dumps(state, allow_nan=True)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"The {plot_kind} plot state cannot be saved as JSON: {exc}") from None
    checked = {name: _numeric_array(name, value) for name, value in (arrays or {}).items()}
    with atomic_path(path) as tmp:
        with h5py.File(tmp, "w") as f:
            f.attrs["kind"] = PTRN_KIND
            f.attrs["format_version"] = PTRN_FORMAT_VERSION
            f.attrs["plot_kind"] = plot_kind
            f.attrs["state"] = state_text
            if transmission is not None:
                grp = f.create_group("transmission")
                grp.attrs["history"] = json.dumps(transmission.history_trace.to_dict())
                grp.attrs["info"] = json.dumps(transmission._info())
                write_frame(grp.create_group("df"), transmission.df, "plot Transmission")
            arrays_grp = f.create_group("arrays")
            for name, value in checked.items():
                arrays_grp.create_dataset(name, data=value)
    return path


def _numeric_array(name: str, value: Any) -> np.ndarray:
    array = np.asarray(value)
    if array.dtype.kind not in "biuf":
        raise ParameterError(f"Plot array {name!r} must be numeric to be saved, "
                             f"got dtype {array.dtype}.")
    return array


def read_ptrn(path: str | os.PathLike) -> PlotFile:
    """Read a ``.ptrn`` file. ``FileNotFoundError``, or ``FormatVersionError`` for a file that is
    not a Mesmerize plot, is damaged, or was written by a newer Mesmerize."""
    return read_hdf5_file(path, PTRN_SUFFIX, "saved plot", _read_open)


def read_ptrn_kind(path: str | os.PathLike) -> str:
    """The ``plot_kind`` of a ``.ptrn`` file, without reading its data (errors as ``read_ptrn``)."""
    return read_hdf5_file(path, PTRN_SUFFIX, "saved plot", _read_header)


def _read_header(f: h5py.File, path: Path) -> str:
    if f.attrs.get("kind") != PTRN_KIND or "format_version" not in f.attrs:
        raise FormatVersionError(
            f"{path} is not a Mesmerize saved plot (.ptrn) of this Mesmerize. Plots saved by the "
            "original Mesmerize (pickle) are refused because opening them could run code.")
    version = f.attrs["format_version"]
    if not isinstance(version, (int, np.integer)) or isinstance(version, bool):
        raise FormatVersionError(f"{path} has an invalid format_version {version!r}.")
    if int(version) > PTRN_FORMAT_VERSION:
        raise FormatVersionError(
            f"{path} has format_version {int(version)}, newer than this Mesmerize understands "
            f"({PTRN_FORMAT_VERSION}). Upgrade Mesmerize to open it.")
    plot_kind = f.attrs["plot_kind"]
    if not isinstance(plot_kind, str):
        raise FormatVersionError(f"{path}: plot_kind must be text.")
    return plot_kind


def _read_open(f: h5py.File, path: Path) -> PlotFile:
    plot_kind = _read_header(f, path)
    state = json.loads(f.attrs["state"])
    if not isinstance(state, dict):
        raise FormatVersionError(f"{path}: the plot state must be a JSON object.")
    transmission = None
    if "transmission" in f:
        grp = f["transmission"]
        history = json.loads(grp.attrs["history"])
        info = json.loads(grp.attrs["info"])
        if not isinstance(history, dict) or not isinstance(info, dict):
            raise FormatVersionError(f"{path}: the plot's history and info must be JSON objects.")
        check_info(info, path)
        transmission = Transmission(read_frame(grp["df"]), HistoryTrace.from_dict(history), **info)
    arrays = {}
    for name, dataset in f["arrays"].items():
        if not isinstance(dataset, h5py.Dataset) or dataset.dtype.kind not in "biuf":
            raise FormatVersionError(f"{path}: plot array {name!r} is not a numeric dataset.")
        arrays[name] = dataset[()]
    return PlotFile(plot_kind=plot_kind, state=state, transmission=transmission, arrays=arrays)
