"""Peak nodes (Signal category): PeakDetect and PeakFeatures.

PeakDetect writes ``peaks_bases``: per row a DataFrame with columns ``event`` (sample index in
the curve) and ``label`` (``"base"``/``"peak"``), alternating base, peak, base, ... (see
``mesmerize.analysis.peak_detection``; the frames share one read-only label array, so copy a
frame, ``pb.copy()``, before editing it in place, or use the Peak Editor). PeakFeatures turns
every peak into one row of ``_pf_*`` features measured on a curve column (amplitudes in the
curve's units, slopes per sample, areas in units x samples, durations in samples).
"""
from __future__ import annotations

import os

import numba
import numpy as np
import pandas as pd

from mesmerize.analysis.arrays import array_cells, stack_cells
from mesmerize.analysis.errors import TransmissionError
from mesmerize.analysis.ops.param_specs import DATA_COLUMN
from mesmerize.analysis.peak_detection import PB_COLUMNS, detect_block
from mesmerize.analysis.registry import OpResult, Param, operation
from mesmerize.analysis.transmission import Transmission

PEAKS_BASES = "peaks_bases"
DERIVATIVE_COLUMN = "_DERIVATIVE"
NORMALIZED_COLUMN = "_NORMALIZE"


def _terminal_cells(t: Transmission | None, column: str, terminal: str, n_rows: int,
                    lengths: list[int]) -> list[np.ndarray]:
    if t is None:
        raise TransmissionError(f"PeakDetect: connect the {terminal} terminal (or PB_Input).")
    if column not in t.df.columns:
        raise TransmissionError(
            f"PeakDetect: the {terminal} input has no {column} column; feed it from a "
            f"{column.strip('_').title()} node.")
    if len(t.df) != n_rows:
        raise TransmissionError(
            f"PeakDetect: the {terminal} input has {len(t.df)} rows but the Curve input has "
            f"{n_rows}; all three inputs must come from the same rows.")
    cells = array_cells(t.df, column)
    bad = [i for i, (a, n) in enumerate(zip(cells, lengths)) if a.size != n]
    if bad:
        raise TransmissionError(
            f"PeakDetect: row {bad[0]} of the {terminal} input has {cells[bad[0]].size} samples "
            f"but the curve has {lengths[bad[0]]}; the inputs must be the same curves.")
    return cells


def check_peaks_bases(pb: object, n_samples: int, row: int) -> pd.DataFrame:
    """Validate one peaks & bases DataFrame against a curve of ``n_samples`` samples."""
    if not isinstance(pb, pd.DataFrame) or not set(PB_COLUMNS) <= set(pb.columns):
        raise TransmissionError(
            f"Row {row}: peaks_bases must be a DataFrame with columns {list(PB_COLUMNS)}; "
            "produce it with a PeakDetect node.")
    events = pb["event"].to_numpy()
    labels = pb["label"].to_numpy()
    if len(pb) and (events.min() < 0 or events.max() >= n_samples):
        raise TransmissionError(
            f"Row {row}: peaks_bases has events outside the curve's {n_samples} samples.")
    if np.any(np.diff(events) <= 0):
        raise TransmissionError(f"Row {row}: peaks_bases events must be strictly increasing.")
    expected = np.where(np.arange(len(pb)) % 2 == 0, "base", "peak")
    if len(pb) and (len(pb) % 2 == 0 or not np.array_equal(labels.astype(str), expected)):
        raise TransmissionError(
            f"Row {row}: every peak must be flanked by bases (base, peak, base, ...); fix it in "
            "the Peak Editor.")
    return pb


@operation("PeakDetect", "Signal", "peak_detect", output_column=PEAKS_BASES,
           inputs=("Curve", "Derivative", "Normalized", "PB_Input"), params=(
               Param("data_column", "column", None, column_kind="numerical",
                     doc="Column of the Curve input the peaks & bases are placed on."),
               Param("Fictional_Bases", "bool", False,
                     doc="Add bases at the first/last sample when the first or last peak is "
                         "lonely (else such a peak is dropped)."),
               Param("SlopeThr", "float", 0.0, min=0.0,
                     doc="Minimum drop of the derivative across its zero crossing at a peak "
                         "(d[i] - d[i+1], normalized units per sample)."),
               Param("AmplThrAbs", "float", 0.0, min=0.0, max=1.0,
                     doc="Minimum value of the normalized signal at a peak."),
               Param("AmplThrRel", "float", 0.0, min=0.0, max=1.0,
                     doc="Minimum prominence of a peak in the normalized signal."),
           ))
def peak_detect(curve: Transmission | None, derivative: Transmission | None,
                normalized: Transmission | None, pb_input: Transmission | None,
                p: dict) -> OpResult:
    """Derivative-based peak & base detection (zero crossings of the Derivative input's
    _DERIVATIVE, thresholds on the Normalized input's _NORMALIZE, events placed on the Curve
    input's data_column). PB_Input passes saved peaks_bases through instead (connect it alone)."""
    if pb_input is not None:
        if any(t is not None for t in (curve, derivative, normalized)):
            raise TransmissionError(
                "PeakDetect: PB_Input overrides the other terminals; disconnect Curve, "
                "Derivative and Normalized, or PB_Input.")
        if PEAKS_BASES not in pb_input.df.columns:
            raise TransmissionError("PeakDetect: the PB_Input input has no peaks_bases column.")
        cells = array_cells(pb_input.df, p["data_column"])
        for i, (pb, a) in enumerate(zip(pb_input.df[PEAKS_BASES], cells)):
            check_peaks_bases(pb, a.size, i)
        return OpResult(pb_input.df.copy(), record={**p, "source": "PB_Input"})
    if curve is None:
        raise TransmissionError("PeakDetect: connect the Curve terminal (or PB_Input).")
    cells = array_cells(curve.df, p["data_column"])
    lengths = [a.size for a in cells]
    d_cells = _terminal_cells(derivative, DERIVATIVE_COLUMN, "Derivative", len(cells), lengths)
    n_cells = _terminal_cells(normalized, NORMALIZED_COLUMN, "Normalized", len(cells), lengths)
    out = np.empty(len(cells), dtype=object)
    sizes = np.array(lengths, dtype=np.int64)
    for size in np.unique(sizes):
        idx = np.flatnonzero(sizes == size)
        frames = detect_block(stack_cells([d_cells[i] for i in idx]),
                              stack_cells([n_cells[i] for i in idx]), p["SlopeThr"],
                              p["AmplThrAbs"], p["AmplThrRel"], p["Fictional_Bases"])
        for i, frame in zip(idx, frames):
            out[i] = frame
    df = curve.df.copy()
    df[PEAKS_BASES] = out
    record = {**p, "derivative_column": DERIVATIVE_COLUMN,
              "normalized_column": NORMALIZED_COLUMN}
    return OpResult(df, record=record)


PF_COLUMNS = ("_pf_peak_curve", "_pf_ampl_rel_b_ix_l", "_pf_ampl_rel_b_ix_r",
              "_pf_ampl_rel_b_mean", "_pf_ampl_rel_zero", "_pf_area_rel_zero",
              "_pf_area_rel_min", "_pf_rising_slope_avg", "_pf_falling_slope_avg",
              "_pf_duration_base", "_pf_p_ix", "_pf_uuid", "_pf_b_ix_l", "_pf_b_ix_r")


def _peak_table(df: pd.DataFrame, cells: list[np.ndarray]) -> tuple[np.ndarray, ...]:
    """``(row, left base, peak, right base)`` index arrays of every peak of every row."""
    rows, left, peak, right = [], [], [], []
    for i, (pb, a) in enumerate(zip(df[PEAKS_BASES].to_numpy(dtype=object), cells)):
        events = check_peaks_bases(pb, a.size, i)["event"].to_numpy(dtype=np.int64)
        n_peaks = events.size // 2
        rows.append(np.full(n_peaks, i, dtype=np.int64))
        left.append(events[0:-1:2])
        peak.append(events[1::2])
        right.append(events[2::2])
    if not rows:
        return tuple(np.empty(0, dtype=np.int64) for _ in range(4))
    return tuple(np.concatenate(x).astype(np.int64) for x in (rows, left, peak, right))


_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)
_UUID_DIGITS = np.array([i for i in range(36) if i not in (8, 13, 18, 23)])


def uuid4_strings(n: int) -> np.ndarray:
    """``n`` random (version 4, RFC 4122) UUIDs as ``str`` in an object array, made in bulk
    (``str(uuid.uuid4())`` one by one costs ~5 us each)."""
    raw = np.frombuffer(os.urandom(16 * n), dtype=np.uint8).reshape(n, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80
    digits = np.empty((n, 32), dtype=np.uint8)
    digits[:, 0::2] = _HEX[raw >> 4]
    digits[:, 1::2] = _HEX[raw & 0x0F]
    text = np.full((n, 36), ord("-"), dtype=np.uint8)
    text[:, _UUID_DIGITS] = digits
    return text.view("S36").ravel().astype("U36").astype(object)


@numba.njit(cache=True, nogil=True)
def _simpson(y: np.ndarray, start: int, n: int, offset: float) -> float:
    """``scipy.integrate.simpson(y[start:start + n] - offset)`` (unit spacing; an even count
    gets scipy's Cartwright correction of the last interval); 0 for fewer than 2 samples."""
    if n < 2:
        return 0.0
    if n == 2:
        return 0.5 * ((y[start] - offset) + (y[start + 1] - offset))
    odd = n if n % 2 else n - 1
    total = 0.0
    for k in range(start, start + odd - 2, 2):
        total += (y[k] - offset) + 4.0 * (y[k + 1] - offset) + (y[k + 2] - offset)
    total *= 1.0 / 3.0
    if n % 2 == 0:
        e = start + n - 1
        total += (5.0 / 12.0) * (y[e] - offset) + (2.0 / 3.0) * (y[e - 1] - offset) \
            - (1.0 / 12.0) * (y[e - 2] - offset)
    return total


@numba.njit(cache=True, nogil=True)
def _segment_areas(flat: np.ndarray, start: np.ndarray,
                   stop: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Simpson areas of every ``flat[start[j]:stop[j]]``: as is, and minus its minimum."""
    zero = np.empty(start.size)
    above_min = np.empty(start.size)
    for j in range(start.size):
        size = stop[j] - start[j]
        low = np.min(flat[start[j]:stop[j]]) if size else 0.0
        zero[j] = _simpson(flat, start[j], size, 0.0)
        above_min[j] = _simpson(flat, start[j], size, low)
    return zero, above_min


@operation("PeakFeatures", "Signal", "peak_features", params=(DATA_COLUMN,))
def peak_features(t: Transmission, p: dict) -> OpResult:
    """One row per peak (the parent row's columns plus the _pf_* features) computed on
    data_column between the peak's bases: amplitudes relative to the left/right base, their
    mean and zero; Simpson's-rule areas (scipy.integrate.simpson, unit sample spacing) of the
    peak curve and of the peak curve minus its minimum; mean rising/falling slopes (absolute
    amplitude change per sample from each base to the peak); base-to-base duration (samples);
    peak and base indices; a UUID per peak. The peak curve runs from the left to the right base
    inclusive."""
    if PEAKS_BASES not in t.df.columns and len(t.df):
        raise TransmissionError(
            "PeakFeatures: the input has no peaks_bases column; connect a PeakDetect node.")
    cells = array_cells(t.df, p["data_column"])
    rows, b_l, pk, b_r = _peak_table(t.df, cells) if len(t.df) else (
        np.empty(0, dtype=np.int64),) * 4
    lengths = np.array([a.size for a in cells], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    flat = np.concatenate([a.astype(np.float64) for a in cells]) if cells else np.empty(0)
    start, stop = offsets[rows] + b_l, offsets[rows] + b_r + 1
    y_p, y_l, y_r = flat[offsets[rows] + pk], flat[start], flat[stop - 1]
    curves = np.empty(rows.size, dtype=object)
    curves[:] = [flat[s:e] for s, e in zip(start.tolist(), stop.tolist())]
    area_zero, area_min = _segment_areas(flat, start, stop)
    features = {
        "_pf_peak_curve": curves,
        "_pf_ampl_rel_b_ix_l": y_p - y_l,
        "_pf_ampl_rel_b_ix_r": y_p - y_r,
        "_pf_ampl_rel_b_mean": y_p - (y_l + y_r) / 2,
        "_pf_ampl_rel_zero": y_p,
        "_pf_area_rel_zero": area_zero,
        "_pf_area_rel_min": area_min,
        "_pf_rising_slope_avg": np.abs(y_p - y_l) / (pk - b_l),
        "_pf_falling_slope_avg": np.abs(y_p - y_r) / (b_r - pk),
        "_pf_duration_base": b_r - b_l,
        "_pf_p_ix": pk,
        "_pf_uuid": uuid4_strings(rows.size),
        "_pf_b_ix_l": b_l,
        "_pf_b_ix_r": b_r,
    }
    df = t.df.iloc[rows].reset_index(drop=True)
    for name in PF_COLUMNS:
        df[name] = features[name]
    return OpResult(df, output="_pf_peak_curve")
