"""Biology nodes: ExtractStim, DetrendDFoF, StaticDFoFo.

Curves are ``(T,)`` arrays in frames. Stimulus periods come from each row's ``stim_maps`` (the
sample's StimulusMaps state, added by ``Transmission.from_proj_df``); periods given in seconds
are converted with the row's ``meta["fps"]``. A period ``[start, end)`` is in frames.
"""
from __future__ import annotations

import json
from pathlib import Path
from uuid import uuid4

import numpy as np
import pandas as pd

from mesmerize.analysis.arrays import array_cells, map_rows, require_column
from mesmerize.analysis.errors import TransmissionError
from mesmerize.analysis.ops.param_specs import DATA_COLUMN
from mesmerize.analysis.registry import OpResult, Param, operation
from mesmerize.analysis.sampling import row_sampling_rates
from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import ParameterError
from mesmerize.core.project.layout import cnmf_file_for_info
from mesmerize.core.roi.cnmf_data import CNMFData
from mesmerize.core.stimulus import StimulusMap

ZERO_POS = ("start_offset", "stim_end", "stim_center")
ST_COLUMNS = ("ST_TYPE", "ST_NAME", "_ST_CURVE", "_ST_START_IX", "_ST_END_IX", "ST_uuid")


def _periods(state: object, stim_type: str, fps: float) -> pd.DataFrame | None:
    """The ``name, start, end`` periods (frames) of ``stim_type`` in a StimulusMaps state."""
    if not isinstance(state, dict):
        return None
    map_state = state.get("maps", {}).get(stim_type)
    if map_state is None:
        return None
    return StimulusMap.from_state(stim_type, map_state).to_frames(fps)


def extraction_bounds(start: np.ndarray, end: np.ndarray, start_offset: int, end_offset: int,
                      zero_pos: str, n_frames: int) -> tuple[np.ndarray, np.ndarray]:
    """``[begin, stop)`` frames extracted for periods ``[start, end)`` (int arrays), clipped to
    ``[0, n_frames]``.

    start_offset: from start + start_offset to end + end_offset; stim_end: from end to
    end + end_offset; stim_center: from the period's midpoint + start_offset to end + end_offset.
    """
    if zero_pos == "start_offset":
        begin = start + start_offset
    elif zero_pos == "stim_end":
        begin = end.copy()
    else:
        begin = (start + end) // 2 + start_offset
    stop = end + end_offset
    return np.clip(begin, 0, n_frames), np.clip(stop, 0, n_frames)


@operation("ExtractStim", "Biology", "extract_stim", output_column="_ST_CURVE", params=(
    DATA_COLUMN,
    Param("Stim_Type", "str", "", doc="Stimulus type (a stimulus column of the project)."),
    Param("start_offset", "float", 0.0, doc="Offset of the extraction start (offset_units)."),
    Param("end_offset", "float", 0.0, doc="Offset of the extraction end (offset_units)."),
    Param("zero_pos", "choice", "start_offset", choices=ZERO_POS,
          doc="start_offset: from the stimulus start + start_offset; stim_end: from the "
              "stimulus end; stim_center: from the stimulus midpoint + start_offset. All stop at "
              "the stimulus end + end_offset."),
    Param("offset_units", "choice", "frames", choices=("frames", "seconds"),
          doc="Units of start_offset and end_offset (seconds use the row's fps)."),
))
def extract_stim(t: Transmission, p: dict) -> OpResult:
    """One row per stimulus period of Stim_Type in each row's stimulus map: the parent row's
    columns plus ST_TYPE, ST_NAME, _ST_CURVE (the extracted part of data_column),
    _ST_START_IX / _ST_END_IX (the period's start and end frame in the parent curve) and
    ST_uuid. Periods whose extraction is empty after clipping to the curve are skipped and
    counted (n_skipped)."""
    stim_type = p["Stim_Type"].strip()
    if len(t.df) == 0:
        return OpResult(_empty_stim_frame(t.df), record={**p, "n_skipped": 0})
    if not stim_type:
        raise ParameterError("ExtractStim: parameter 'Stim_Type' must name a stimulus type.")
    require_column(t.df, "stim_maps", param="ExtractStim input column stim_maps")
    cells = array_cells(t.df, p["data_column"])
    rates = row_sampling_rates(t)
    states = t.df["stim_maps"].to_numpy(dtype=object)
    cache: dict[tuple[int, float], pd.DataFrame | None] = {}
    parents, names, curves, starts, ends = [], [], [], [], []
    found_type = False
    n_skipped = 0
    for i, (curve, state, fps) in enumerate(zip(cells, states, rates)):
        key = (id(state), float(fps))
        if key not in cache:
            cache[key] = _periods(state, stim_type, fps)
        periods = cache[key]
        if periods is None:
            continue
        found_type = True
        start = np.rint(periods["start"].to_numpy()).astype(np.int64)
        end = np.rint(periods["end"].to_numpy()).astype(np.int64)
        scale = fps if p["offset_units"] == "seconds" else 1.0
        begin, stop = extraction_bounds(start, end, int(round(p["start_offset"] * scale)),
                                        int(round(p["end_offset"] * scale)), p["zero_pos"],
                                        curve.size)
        keep = stop > begin
        n_skipped += int((~keep).sum())
        for j in np.flatnonzero(keep):
            parents.append(i)
            names.append(periods["name"].iloc[j])
            curves.append(curve[begin[j]:stop[j]])
            starts.append(start[j])
            ends.append(end[j])
    if not found_type:
        raise ParameterError(
            f"ExtractStim: parameter 'Stim_Type' {stim_type!r} is not a stimulus type of any "
            "row's stimulus maps; map stimuli of that type in the Viewer first.")
    df = t.df.iloc[parents].reset_index(drop=True)
    df["ST_TYPE"] = stim_type
    df["ST_NAME"] = pd.Series(names, dtype=object)
    curve_cells = np.empty(len(curves), dtype=object)
    for k, c in enumerate(curves):
        curve_cells[k] = c
    df["_ST_CURVE"] = curve_cells
    df["_ST_START_IX"] = np.asarray(starts, dtype=np.int64)
    df["_ST_END_IX"] = np.asarray(ends, dtype=np.int64)
    df["ST_uuid"] = [str(uuid4()) for _ in range(len(df))]
    return OpResult(df, record={**p, "Stim_Type": stim_type, "n_skipped": n_skipped})


def _empty_stim_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.iloc[0:0].copy()
    for name in ST_COLUMNS:
        out[name] = pd.Series([], dtype=np.int64 if name.endswith("_IX") else object)
    return out


@operation("StaticDFoFo", "Biology", "static_df_o_f", output_column="_STATIC_DF_O_F",
           params=(DATA_COLUMN,))
def static_df_o_f(t: Transmission, p: dict) -> OpResult:
    """(F - F0) / F0 with F0 the minimum of each array (no rolling window); F0 = 0 gives
    inf/NaN."""
    def apply(block: np.ndarray) -> np.ndarray:
        block = block.astype(np.float64)
        f0 = block.min(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (block - f0) / f0

    out = map_rows(array_cells(t.df, p["data_column"]), apply)
    df = t.df.copy()
    df["_STATIC_DF_O_F"] = out
    return OpResult(df)


def _cnmf_index(state: object, row: int) -> int:
    parsed = json.loads(state) if isinstance(state, str) else state
    if not isinstance(parsed, dict) or "cnmf_idx" not in parsed:
        raise TransmissionError(
            f"DetrendDFoF works on CNMF/CNMF-E ROIs only; row {row} is a manual ROI. Filter "
            "those rows out first (TextFilter or the Project Browser).")
    return int(parsed["cnmf_idx"])


@operation("DetrendDFoF", "Biology", "detrend_df_o_f", output_column="_DETREND_DF_O_F", params=(
    Param("quantile_min", "float", 8.0, min=0.0, max=100.0,
          doc="Percentile of the traces used as the baseline F0."),
    Param("frames_window", "int", 500, min=1,
          doc="Window (frames) of the running percentile baseline."),
))
def detrend_df_o_f(t: Transmission, p: dict) -> OpResult:
    """Detrended ΔF/F of each CNMF(E) ROI computed from its sample's CNMF outputs (A, b, C, f,
    YrA), not from the DataFrame's arrays (``mesmerize.engines.cnmf.dff.detrend_df_f``: running
    quantile_min percentile baselines over frames_window frames)."""
    # imported on use: the engine package loads the whole CNMF pipeline
    from mesmerize.engines.cnmf.dff import detrend_df_f

    out = np.empty(len(t.df), dtype=object)
    if len(t.df):
        project_dir = Path(t.get_proj_path())
        for column in ("ImgInfoPath", "ROI_State"):
            require_column(t.df, column, param=f"DetrendDFoF input column {column}")
        states = t.df["ROI_State"].to_numpy(dtype=object)
        indices = np.array([_cnmf_index(s, i) for i, s in enumerate(states)], dtype=np.int64)
        for info_path, rows in t.df.groupby("ImgInfoPath", sort=False).indices.items():
            cnmf_path = project_dir / cnmf_file_for_info(str(info_path))
            if not cnmf_path.is_file():
                raise TransmissionError(f"DetrendDFoF: the CNMF data file {cnmf_path} is missing.")
            cnmf = CNMFData.from_npz(cnmf_path)
            k = indices[rows]
            if k.max() >= cnmf.n_components:
                raise TransmissionError(
                    f"DetrendDFoF: {cnmf_path} has {cnmf.n_components} components, but a row "
                    f"refers to component {int(k.max())}.")
            dff = detrend_df_f(cnmf.A[:, k], cnmf.b, cnmf.C[k], cnmf.f, cnmf.YrA[k],
                               quantile_min=p["quantile_min"], frames_window=p["frames_window"])
            for j, row in enumerate(rows):
                out[row] = dff[j]
    df = t.df.copy()
    df["_DETREND_DF_O_F"] = out
    return OpResult(df)
