"""Store a pandas DataFrame in an HDF5 group without pickle, and read it back.

Each column is a sub-group ``c<i>`` whose ``kind`` attribute says how it is stored:

- ``numeric``: numeric/bool/datetime columns as one dataset (pandas nullable dtypes with a
  ``mask`` dataset of missing cells);
- ``category``: integer ``codes`` plus the categories as JSON;
- ``string``: object/string columns of text, UTF-8 strings plus a ``mask`` of missing cells;
- ``array``: cells that are numpy arrays of one shape, stacked into one ``(n_rows, *shape)``
  dataset;
- ``ragged``: cells that are 1-D arrays of different lengths (or missing): the arrays
  concatenated into ``data`` with ``offsets`` ``(n_rows + 1,)`` and a ``mask``;
- ``frames``: cells that are DataFrames (e.g. ``peaks_bases``): the frames concatenated and
  stored recursively in ``data`` with ``offsets`` and a ``mask``;
- ``json``: anything else made of dicts/lists/numbers/strings, one JSON text per cell.

Values are never executed on reading: only datasets and JSON text are read.
"""
from __future__ import annotations

import json
from typing import Any

import h5py
import numpy as np
import pandas as pd

from mesmerize.analysis.errors import TransmissionError
from mesmerize.analysis.json_safe import is_missing, to_json_safe
from mesmerize.core.errors import FormatVersionError

_STR = h5py.string_dtype(encoding="utf-8")


def _column_kind(values: pd.Series) -> str:
    dtype = values.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if isinstance(dtype, pd.StringDtype):
        return "string"
    if isinstance(dtype, np.dtype) and dtype.kind in "biufcmM":
        return "numeric"
    if isinstance(dtype, pd.DatetimeTZDtype) or (
            hasattr(dtype, "numpy_dtype") and dtype.kind in "biuf"):
        return "numeric"
    present = [v for v in values.to_numpy(dtype=object) if not is_missing(v)]
    if present and all(isinstance(v, str) for v in present):
        return "string"
    if present and all(isinstance(v, np.ndarray) and v.dtype.kind in "biufc" for v in present):
        shapes = {v.shape for v in present}
        if len(shapes) == 1 and len(present) == len(values):
            return "array"
        if all(v.ndim == 1 for v in present):
            return "ragged"
    if present and all(isinstance(v, pd.DataFrame) for v in present):
        return "frames"
    return "json"


def _write_numeric(grp: h5py.Group, values: pd.Series) -> None:
    dtype = values.dtype
    grp.attrs["dtype"] = str(dtype)
    if isinstance(dtype, pd.DatetimeTZDtype):
        grp.attrs["tz"] = str(dtype.tz)
        utc = values.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
        grp.create_dataset("values", data=utc.view(np.int64))
        grp.attrs["dtype"] = str(utc.dtype)
    elif isinstance(dtype, pd.api.extensions.ExtensionDtype):
        mask = values.isna().to_numpy()
        numpy_dtype = np.dtype(dtype.numpy_dtype)
        filled = values.to_numpy(dtype=numpy_dtype, na_value=np.zeros((), numpy_dtype).item())
        grp.create_dataset("values", data=filled)
        grp.create_dataset("mask", data=mask)
    elif dtype.kind in "mM":
        grp.create_dataset("values", data=values.to_numpy().view(np.int64))
    else:
        grp.create_dataset("values", data=values.to_numpy())


def _read_numeric(grp: h5py.Group) -> Any:
    dtype_name = grp.attrs["dtype"]
    raw = grp["values"][()]
    if "mask" in grp:
        arr = pd.array(raw, dtype=dtype_name)
        arr[grp["mask"][()]] = pd.NA
        return arr
    dtype = np.dtype(dtype_name)
    if "tz" in grp.attrs:
        utc = pd.Series(raw.view(dtype)).dt.tz_localize("UTC")
        return utc.dt.tz_convert(grp.attrs["tz"]).array
    return raw.view(dtype) if dtype.kind in "mM" else raw.astype(dtype, copy=False)


def _write_strings(grp: h5py.Group, values: pd.Series) -> None:
    grp.attrs["dtype"] = str(values.dtype)
    cells = values.to_numpy(dtype=object)
    mask = np.array([is_missing(v) for v in cells], dtype=bool)
    grp.create_dataset("values", data=np.array(["" if m else v for v, m in zip(cells, mask)],
                                               dtype=object), dtype=_STR)
    grp.create_dataset("mask", data=mask)


def _read_strings(grp: h5py.Group) -> Any:
    cells = grp["values"].asstr()[()].astype(object)
    mask = grp["mask"][()]
    dtype_name = grp.attrs["dtype"]
    if dtype_name != "object":
        arr = pd.array(cells, dtype=dtype_name)
        arr[mask] = pd.NA
        return arr
    cells[mask] = None
    return cells


def _object_cells(n: int) -> np.ndarray:
    return np.empty(n, dtype=object)


def _write_ragged(grp: h5py.Group, cells: np.ndarray) -> None:
    mask = np.array([is_missing(v) for v in cells], dtype=bool)
    arrays = [v for v, m in zip(cells, mask) if not m]
    lengths = np.zeros(len(cells), dtype=np.int64)
    lengths[~mask] = [a.size for a in arrays]
    dtype = np.result_type(*[a.dtype for a in arrays])
    grp.create_dataset("data", data=np.concatenate(arrays).astype(dtype, copy=False))
    grp.create_dataset("offsets", data=np.concatenate([[0], np.cumsum(lengths)]))
    grp.create_dataset("mask", data=mask)


def _read_ragged(grp: h5py.Group) -> np.ndarray:
    data = grp["data"][()]
    offsets = grp["offsets"][()]
    mask = grp["mask"][()]
    cells = _object_cells(mask.size)
    for i in range(mask.size):
        cells[i] = None if mask[i] else data[offsets[i]:offsets[i + 1]]
    return cells


def _write_frames(grp: h5py.Group, cells: np.ndarray, name: str) -> None:
    mask = np.array([is_missing(v) for v in cells], dtype=bool)
    frames = [v for v, m in zip(cells, mask) if not m]
    lengths = np.zeros(len(cells), dtype=np.int64)
    lengths[~mask] = [len(f) for f in frames]
    write_frame(grp.create_group("data"), pd.concat(frames, ignore_index=True),
                f"DataFrames in the {name}")
    grp.create_dataset("offsets", data=np.concatenate([[0], np.cumsum(lengths)]))
    grp.create_dataset("mask", data=mask)


def _read_frames(grp: h5py.Group) -> np.ndarray:
    data = read_frame(grp["data"])
    offsets = grp["offsets"][()]
    mask = grp["mask"][()]
    cells = _object_cells(mask.size)
    for i in range(mask.size):
        cells[i] = None if mask[i] else data.iloc[offsets[i]:offsets[i + 1]].reset_index(drop=True)
    return cells


def _write_json(grp: h5py.Group, cells: np.ndarray, name: str) -> None:
    texts = []
    for v in cells:
        try:
            texts.append(json.dumps(None if is_missing(v) else to_json_safe(v)))
        except TypeError as exc:
            raise TransmissionError(
                f"The {name} cannot be saved: {exc}. Store numbers, text, numpy arrays, "
                "DataFrames or dicts/lists of those in Transmission columns.") from None
    grp.create_dataset("values", data=np.array(texts, dtype=object), dtype=_STR)


def _read_json(grp: h5py.Group) -> np.ndarray:
    texts = grp["values"].asstr()[()]
    cells = _object_cells(texts.size)
    for i, text in enumerate(texts):
        cells[i] = json.loads(text)
    return cells


def _write_column(grp: h5py.Group, values: pd.Series, name: str) -> None:
    kind = _column_kind(values)
    grp.attrs["kind"] = kind
    if kind == "numeric":
        _write_numeric(grp, values)
    elif kind == "category":
        cat = values.cat
        grp.attrs["categories"] = json.dumps(to_json_safe(cat.categories.tolist()))
        grp.attrs["ordered"] = bool(cat.ordered)
        grp.create_dataset("codes", data=cat.codes.to_numpy())
    elif kind == "string":
        _write_strings(grp, values)
    elif kind == "array":
        cells = values.to_numpy(dtype=object)
        stacked = np.stack(cells) if len(cells) else np.empty((0,))
        grp.create_dataset("values", data=stacked)
    elif kind == "ragged":
        _write_ragged(grp, values.to_numpy(dtype=object))
    elif kind == "frames":
        _write_frames(grp, values.to_numpy(dtype=object), name)
    else:
        _write_json(grp, values.to_numpy(dtype=object), name)


def _read_column(grp: h5py.Group) -> Any:
    kind = grp.attrs.get("kind")
    if kind == "numeric":
        return _read_numeric(grp)
    if kind == "category":
        categories = json.loads(grp.attrs["categories"])
        return pd.Categorical.from_codes(grp["codes"][()], categories=categories,
                                         ordered=bool(grp.attrs["ordered"]))
    if kind == "string":
        return _read_strings(grp)
    if kind == "array":
        stacked = grp["values"][()]
        found = getattr(stacked, "dtype", type(stacked))
        if getattr(stacked, "ndim", 0) == 0 or found.kind not in "biufc":
            raise FormatVersionError(
                f"The array column {grp.name} in {grp.file.filename} does not hold numbers "
                f"(found {found}); the file is damaged or was not written by Mesmerize.")
        cells = _object_cells(stacked.shape[0])
        for i in range(stacked.shape[0]):
            cells[i] = stacked[i]
        return cells
    if kind == "ragged":
        return _read_ragged(grp)
    if kind == "frames":
        return _read_frames(grp)
    if kind == "json":
        return _read_json(grp)
    raise FormatVersionError(
        f"Column storage kind {kind!r} in {grp.file.filename} is unknown; the file was written "
        "by a newer Mesmerize. Upgrade Mesmerize to open it.")


def write_frame(grp: h5py.Group, df: pd.DataFrame, what: str = "DataFrame") -> None:
    """Store ``df`` (its columns, their order and its index) in the empty group ``grp``."""
    names = list(df.columns)
    bad = [c for c in names if not isinstance(c, str)]
    if bad:
        raise TransmissionError(
            f"{what} has non-text column names {bad!r}; rename them to strings before saving.")
    if len(set(names)) != len(names):
        raise TransmissionError(f"{what} has duplicate column names; make them unique.")
    grp.attrs["columns"] = json.dumps(names)
    grp.attrs["n_rows"] = len(df)
    for i, name in enumerate(names):
        _write_column(grp.create_group(f"c{i}"), df[name], f"column {name!r} of the {what}")
    index = df.index
    if isinstance(index, pd.RangeIndex) and index.start == 0 and index.step == 1:
        grp.attrs["index"] = "range"
    else:
        grp.attrs["index"] = "stored"
        grp.attrs["index_name"] = json.dumps(index.name if isinstance(index.name, str) else None)
        _write_column(grp.create_group("index"), pd.Series(index.to_numpy(), dtype=index.dtype),
                      f"index of the {what}")


def read_frame(grp: h5py.Group) -> pd.DataFrame:
    """Read a DataFrame written by ``write_frame``."""
    names = json.loads(grp.attrs["columns"])
    n_rows = int(grp.attrs["n_rows"])
    if grp.attrs["index"] == "range":
        index = pd.RangeIndex(n_rows)
    else:
        index = pd.Index(_read_column(grp["index"]), name=json.loads(grp.attrs["index_name"]))
    data = {name: pd.Series(_read_column(grp[f"c{i}"]), index=index)
            for i, name in enumerate(names)}
    return pd.DataFrame(data, index=index, columns=names)
