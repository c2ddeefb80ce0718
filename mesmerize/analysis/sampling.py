"""Sampling rates of the data in a Transmission, and the frequency axis after an RFFT.

A row's sampling rate (Hz) is the ``output_rate`` of the last ``resample`` operation of its data
block, or else ``meta["fps"]`` of its sample.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from mesmerize.analysis.errors import TransmissionError
from mesmerize.analysis.history_trace import BLOCK_COLUMN

if TYPE_CHECKING:
    from mesmerize.analysis.transmission import Transmission


def _fps(meta: object, row: int) -> float:
    fps = meta.get("fps") if isinstance(meta, dict) else None
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not fps > 0:
        raise TransmissionError(
            f"Row {row} has no valid sampling rate (meta['fps'] = {fps!r}); set the sample's "
            "fps in its meta data.")
    return float(fps)


def row_sampling_rates(t: "Transmission") -> np.ndarray:
    """``(n_rows,)`` sampling rate of each row of ``t.df`` in Hz."""
    df = t.df
    n = len(df)
    rates = np.full(n, np.nan)
    if n == 0:
        return rates
    blocks = df[BLOCK_COLUMN].astype(str).to_numpy() if BLOCK_COLUMN in df.columns else None
    resampled = {}
    if blocks is not None:
        trace = t.history_trace
        for b in set(blocks):
            if b in trace.data_blocks and trace.check_operation_exists(b, "resample"):
                resampled[b] = float(trace.get_operation_params(b, "resample")["output_rate"])
        for b, rate in resampled.items():
            rates[blocks == b] = rate
    todo = np.flatnonzero(np.isnan(rates))
    if todo.size:
        if "meta" not in df.columns:
            raise TransmissionError(
                "The sampling rate is unknown: the Transmission has no 'meta' column with fps. "
                "Create it from the project (LoadProjDF) or add a 'meta' column of dicts.")
        metas = df["meta"].to_numpy(dtype=object)
        rates[todo] = [_fps(metas[i], int(i)) for i in todo]
    return rates


def get_sampling_rate(transmission: "Transmission", tolerance: float = 0.1) -> float:
    """Mean sampling rate (Hz) of all data; ``TransmissionError`` if rates differ by more than
    ``tolerance`` Hz."""
    rates = row_sampling_rates(transmission)
    if rates.size == 0:
        raise TransmissionError("The Transmission has no rows, so no sampling rate.")
    if np.ptp(rates) > tolerance:
        raise TransmissionError(
            f"Sampling rates of the data differ ({rates.min():g} to {rates.max():g} Hz) by more "
            f"than the tolerance of {tolerance} Hz; resample them to one rate (Resample node).")
    return float(np.mean(rates))


def get_frequency_linspace(transmission: "Transmission") -> tuple[np.ndarray, float]:
    """``(frequencies, nyquist_frequency)`` of the RFFT applied to the data (Hz).

    Raises ``TransmissionError`` if no RFFT was applied, or if data blocks differ.
    """
    get_sampling_rate(transmission)
    trace = transmission.history_trace
    blocks = transmission.df[BLOCK_COLUMN].astype(str).unique()
    freqs, nyquists = [], []
    for b in blocks:
        if not trace.check_operation_exists(b, "rfft"):
            raise TransmissionError(f"Data block {b} has no rfft operation; apply RFFT first.")
        params = trace.get_operation_params(b, "rfft")
        freqs.append(np.asarray(params["frequencies"], dtype=float))
        nyquists.append(float(params["nyquist_frequency"]))
    if not freqs:
        raise TransmissionError("The Transmission has no rows, so no frequencies.")
    if len(set(nyquists)) > 1 or any(not np.array_equal(f, freqs[0]) for f in freqs):
        raise TransmissionError(
            "Data blocks have different frequency axes (different lengths or sampling rates).")
    return freqs[0], nyquists[0]


def values_by_block(t: "Transmission", values: np.ndarray) -> dict[str, float | list[float]]:
    """``{block_id: value}`` of a per-row quantity (e.g. the sampling rate) for logging: the
    value when it is the same for all rows of the block, else the sorted distinct values."""
    if len(t.df) == 0:
        return {}
    blocks = t.df[BLOCK_COLUMN].astype(str).to_numpy()
    out: dict[str, float | list[float]] = {}
    for b in dict.fromkeys(blocks):
        distinct = np.unique(values[blocks == b])
        out[b] = float(distinct[0]) if distinct.size == 1 else [float(v) for v in distinct]
    return out
