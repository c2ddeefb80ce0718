"""Data nodes that transform a Transmission: TextFilter, SpliceArrays, DropNa, NormRaw.

(LoadFile, LoadProjDF, Save and Merge are ``Transmission.from_hdf5``, ``from_proj_df``,
``to_hdf5`` and ``Transmission.merge``.)
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from mesmerize.analysis.arrays import array_cells, map_rows, require_column
from mesmerize.analysis.errors import TransmissionError
from mesmerize.analysis.ops.param_specs import DATA_COLUMN
from mesmerize.analysis.raw_range import RAW_RANGE_OPTIONS, raw_ranges
from mesmerize.analysis.registry import OpResult, Param, operation
from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import ParameterError
from mesmerize.core.imaging.tiff_io import open_movie_tyx
from mesmerize.core.project.layout import cnmf_file_for_info
from mesmerize.core.roi.cnmf_data import CNMFData


@operation("TextFilter", "Data", "text_filter", records_units=False, params=(
    Param("Column", "column", None, column_kind="categorical",
          doc="Categorical column the filter is applied to."),
    Param("filter", "str", "", doc="Text a cell must equal (compared as text)."),
    Param("Include", "bool", True, doc="Keep the rows matching the filter."),
    Param("Exclude", "bool", False, doc="Drop the rows matching the filter."),
))
def text_filter(t: Transmission, p: dict) -> OpResult:
    """Keep (Include) or drop (Exclude) the rows whose Column, as text, equals filter."""
    if p["Include"] == p["Exclude"]:
        raise ParameterError(
            "TextFilter: set exactly one of the parameters 'Include' and 'Exclude'.")
    match = t.df[p["Column"]].astype(str).to_numpy() == p["filter"]
    keep = match if p["Include"] else ~match
    return OpResult(t.df[keep].reset_index(drop=True), keep_last_output=True)


_INDICES = re.compile(r"^\s*(-?\d*)\s*:\s*(-?\d*)\s*$")


def parse_indices(text: str) -> tuple[int | None, int | None]:
    """``"start:end"`` -> ``(start, end)``; either may be empty (None) or negative."""
    m = _INDICES.match(text)
    if m is None:
        raise ParameterError(
            f"SpliceArrays: parameter 'indices' must look like 'start_index:end_index' "
            f"(e.g. '0:2990'), got {text!r}.")
    start, end = (int(v) if v not in ("", "-") else None for v in m.groups())
    return start, end


@operation("SpliceArrays", "Data", "splice_arrays", output_column="_SPLICE_ARRAYS", params=(
    DATA_COLUMN,
    Param("indices", "str", None, doc="'start_index:end_index' (Python slice, end excluded)."),
))
def splice_arrays(t: Transmission, p: dict) -> OpResult:
    """Cut every array of data_column to ``array[start_index:end_index]``."""
    start, end = parse_indices(p["indices"])
    out = map_rows(array_cells(t.df, p["data_column"]),
                   lambda b: np.ascontiguousarray(b[:, start:end]))
    df = t.df.copy()
    df["_SPLICE_ARRAYS"] = out
    record = {"data_column": p["data_column"], "start_ix": start, "end_ix": end}
    return OpResult(df, record=record)


@operation("DropNa", "Data", "dropna", records_units=False, params=(
    Param("axis", "str", "row",
          doc="'row' or 'columns' (drop rows/columns holding NaN/None), or the name of a "
              "column (drop rows where that column is NaN/None)."),
    Param("how", "choice", "any", choices=("any", "all"),
          doc="any: drop if any value is NaN/None; all: only if all are (ignored for a column)."),
))
def drop_na(t: Transmission, p: dict) -> OpResult:
    """Drop NaNs and Nones (DataFrame.dropna / isna). Array cells count as present."""
    axis = p["axis"]
    if axis in ("row", "columns"):
        df = t.df.dropna(axis=0 if axis == "row" else 1, how=p["how"])
        record = {"axis": 0 if axis == "row" else 1, "how": p["how"]}
    elif axis in t.df.columns:
        df = t.df[~t.df[axis].isna().to_numpy()]
        record = {"axis": axis, "how": None}
    else:
        raise ParameterError(
            f"DropNa: parameter 'axis' must be 'row', 'columns' or a column name, got {axis!r}.")
    return OpResult(df.reset_index(drop=True), record=record, keep_last_output=True)


def _cnmf_regions(project_dir: Path, info_path: str, states: list[str]) -> np.ndarray:
    """Boolean ``(n, H, W)`` regions (footprint > 0) of the CNMF ROIs with these ROI_States."""
    indices = []
    for state in states:
        parsed = json.loads(state) if isinstance(state, str) else state
        if not isinstance(parsed, dict) or "cnmf_idx" not in parsed:
            raise TransmissionError(
                f"NormRaw works on CNMF/CNMF-E ROIs only; a row of {info_path} is a manual ROI. "
                "Filter those rows out first (TextFilter or the Project Browser).")
        indices.append(int(parsed["cnmf_idx"]))
    cnmf_path = project_dir / cnmf_file_for_info(info_path)
    if not cnmf_path.is_file():
        raise TransmissionError(f"NormRaw: the CNMF data file {cnmf_path} is missing.")
    cnmf = CNMFData.from_npz(cnmf_path)
    return np.stack([cnmf.footprint(k).T > 0 for k in indices])


@operation("NormRaw", "Data", "norm_raw", output_column="_NORMRAW", params=(
    Param("option", "choice", "top_5", choices=RAW_RANGE_OPTIONS,
          doc="Pixels giving the raw range: top_5/top_10 brightest, top_5p/top_10p/top_25p "
              "brightest percent, full_mean all pixels of the ROI's region."),
))
def norm_raw(t: Transmission, p: dict) -> OpResult:
    """Scale each _RAW_CURVE of a CNMF(E) ROI linearly so that its min and max become the raw
    min and max of the ROI's region in its movie (see ``raw_range``). Curves whose raw min is
    not below the raw max are excluded; the number excluded per data block is logged."""
    project_dir = Path(t.get_proj_path())
    for column in ("ImgPath", "ImgInfoPath", "ROI_State", "_RAW_CURVE"):
        require_column(t.df, column, param=f"NormRaw input column {column}")
    cells = array_cells(t.df, "_RAW_CURVE")
    ranges = np.empty((len(cells), 2))
    groups = t.df.groupby(["ImgPath", "ImgInfoPath"], sort=False).indices
    for (img_path, info_path), rows in groups.items():
        regions = _cnmf_regions(project_dir, info_path, list(t.df["ROI_State"].iloc[rows]))
        ranges[rows] = raw_ranges(open_movie_tyx(project_dir / img_path), regions, p["option"])
    keep = ranges[:, 0] < ranges[:, 1]

    def unit_range(block: np.ndarray) -> np.ndarray:
        low = block.min(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (block - low) / (block.max(axis=1, keepdims=True) - low)

    unit = map_rows([c for c, k in zip(cells, keep) if k], unit_range)
    lo, hi = ranges[keep, 0], ranges[keep, 1]
    scaled = np.empty(len(unit), dtype=object)
    for i, u in enumerate(unit):
        scaled[i] = u * (hi[i] - lo[i]) + lo[i]
    df = t.df[keep].reset_index(drop=True)
    df["_NORMRAW"] = scaled
    blocks = t.df["_BLOCK_"].astype(str).to_numpy()
    per_block = {b: {"excluded": int((~keep[blocks == b]).sum())} for b in dict.fromkeys(blocks)}
    record = {"data_column": "_RAW_CURVE", "option": p["option"], "output_column": "_NORMRAW"}
    return OpResult(df, record=record, per_block=per_block)
