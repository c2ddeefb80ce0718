"""Signal nodes: Butterworth, SavitzkyGolay, PowSpecDens, Resample, ScalerMeanVariance,
Normalize, RFFT, iRFFT.

Every array cell is a 1-D signal ``(T,)`` sampled at the row's sampling rate (Hz, see
``mesmerize.analysis.sampling``). Rows are processed as 2-D blocks ``(n_rows, T)``.
"""
from __future__ import annotations

import numpy as np
from scipy import fftpack, signal

from mesmerize.analysis.arrays import array_cells, map_rows, rows_to_cells, stack_column
from mesmerize.analysis.ops.param_specs import DATA_COLUMN
from mesmerize.analysis.registry import OpResult, Param, operation
from mesmerize.analysis.sampling import get_sampling_rate, row_sampling_rates, values_by_block
from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import ParameterError


def _with_column(t: Transmission, name: str, cells: np.ndarray):
    df = t.df.copy()
    df[name] = cells
    return df


def _per_block(t: Transmission, **per_row: np.ndarray) -> dict[str, dict]:
    out: dict[str, dict] = {}
    for key, values in per_row.items():
        for block, value in values_by_block(t, values).items():
            out.setdefault(block, {})[key] = value
    return out


@operation("Butterworth", "Signal", "butterworth", output_column="_BUTTERWORTH", params=(
    DATA_COLUMN,
    Param("order", "int", 2, min=1, max=100, doc="Order of the filter."),
    Param("freq_divisor", "float", 4.0, min=2.0, min_exclusive=True,
          doc="Cut-off frequency Wn = sampling rate / freq_divisor (Hz); > 2 so that Wn is "
              "below the Nyquist frequency."),
))
def butterworth(t: Transmission, p: dict) -> OpResult:
    """Low-pass Butterworth filter (scipy.signal.butter, applied forward and backward with
    scipy.signal.filtfilt). Wn = sampling rate / freq_divisor, in Hz."""
    cells = array_cells(t.df, p["data_column"])
    rates = row_sampling_rates(t)

    def apply(block: np.ndarray, fs: float) -> np.ndarray:
        b, a = signal.butter(p["order"], fs / p["freq_divisor"], fs=fs)
        padlen = 3 * max(len(a), len(b))
        if block.shape[1] <= padlen:
            raise ParameterError(
                f"Butterworth: parameter 'order' {p['order']} needs arrays longer than {padlen} "
                f"samples; the arrays have {block.shape[1]}. Lower the order.")
        return signal.filtfilt(b, a, block, axis=-1)

    out = map_rows(cells, apply, keys=rates)
    return OpResult(_with_column(t, "_BUTTERWORTH", out),
                    per_block=_per_block(t, Wn=rates / p["freq_divisor"], sampling_rate=rates))


@operation("SavitzkyGolay", "Signal", "savitzky_golay", output_column="_SAVITZKY_GOLAY", params=(
    DATA_COLUMN,
    Param("window_length", "int", 3, min=1, doc="Window size in samples; odd."),
    Param("polyorder", "int", 1, min=0, doc="Polynomial order; less than window_length."),
))
def savitzky_golay(t: Transmission, p: dict) -> OpResult:
    """Savitzky-Golay filter (scipy.signal.savgol_filter)."""
    w, order = p["window_length"], p["polyorder"]
    if w % 2 == 0:
        raise ParameterError(f"SavitzkyGolay: parameter 'window_length' must be odd, got {w}.")
    if order >= w:
        raise ParameterError(
            f"SavitzkyGolay: parameter 'polyorder' ({order}) must be less than window_length "
            f"({w}).")
    cells = array_cells(t.df, p["data_column"])
    short = min((a.size for a in cells), default=w)
    if short < w:
        raise ParameterError(
            f"SavitzkyGolay: parameter 'window_length' ({w}) is longer than the shortest array "
            f"({short} samples).")
    out = map_rows(cells, lambda block: signal.savgol_filter(block, w, order, axis=-1))
    return OpResult(_with_column(t, "_SAVITZKY_GOLAY", out))


@operation("PowSpecDens", "Signal", "power_spectral_density",
           output_column="_POWER_SPECTRAL_DENSITY", params=(
               DATA_COLUMN,
               Param("scaling", "choice", "density", choices=("density", "spectrum"),
                     doc="density: V**2/Hz; spectrum: V**2."),
           ))
def power_spectral_density(t: Transmission, p: dict) -> OpResult:
    """Power spectral density of each signal (scipy.signal.periodogram at the sampling rate);
    the output cells have ``T // 2 + 1`` values, the frequencies (Hz) are logged."""
    cells = array_cells(t.df, p["data_column"])
    rates = row_sampling_rates(t)
    out = map_rows(cells, lambda block, fs: signal.periodogram(
        block, fs=fs, scaling=p["scaling"], axis=-1)[1], keys=rates)
    per_block = _per_block(t, sampling_rate=rates)
    blocks = t.df["_BLOCK_"].astype(str).to_numpy()
    for block, entry in per_block.items():
        rows = np.flatnonzero(blocks == block)
        lengths = {cells[i].size for i in rows}
        if len(lengths) == 1 and not isinstance(entry["sampling_rate"], list):
            n = lengths.pop()
            entry["frequencies"] = np.fft.rfftfreq(n, d=1.0 / entry["sampling_rate"]).tolist()
    return OpResult(_with_column(t, "_POWER_SPECTRAL_DENSITY", out), per_block=per_block,
                    unit="frequency")


@operation("Resample", "Signal", "resample", output_column="_RESAMPLE", params=(
    DATA_COLUMN,
    Param("Rs", "int", 10, min=1, doc="New sampling rate in Tu units of time."),
    Param("Tu", "int", 1, min=1, doc="Time unit in seconds; Tu = 1 makes Rs a rate in Hz."),
))
def resample(t: Transmission, p: dict) -> OpResult:
    """Fourier resampling (scipy.signal.resample) to Rs / Tu Hz; a ``(T,)`` array sampled at
    fs becomes ``int(T / fs * Rs / Tu)`` samples."""
    new_rate = p["Rs"] / p["Tu"]
    cells = array_cells(t.df, p["data_column"])
    rates = row_sampling_rates(t)

    def apply(block: np.ndarray, fs: float) -> np.ndarray:
        n_out = int(block.shape[1] / fs * new_rate)
        if n_out < 1:
            raise ParameterError(
                f"Resample: parameters 'Rs'/'Tu' give {new_rate:g} Hz, fewer than one sample "
                f"for arrays of {block.shape[1]} samples at {fs:g} Hz.")
        return signal.resample(block, n_out, axis=-1)

    out = map_rows(cells, apply, keys=rates)
    record = {**p, "output_rate": new_rate}
    return OpResult(_with_column(t, "_RESAMPLE", out), record=record,
                    per_block=_per_block(t, input_rate=rates))


@operation("ScalerMeanVariance", "Signal", "scaler_mean_variance",
           output_column="_SCALER_MEAN_VARIANCE", params=(
               DATA_COLUMN,
               Param("mu", "float", 0.0, doc="Mean of the output time series."),
               Param("std", "float", 1.0, min=0.0, doc="Standard deviation of the output."),
           ))
def scaler_mean_variance(t: Transmission, p: dict) -> OpResult:
    """Scale each signal to mean mu and standard deviation std (as
    tslearn.preprocessing.TimeSeriesScalerMeanVariance: NaNs ignored, constant signals only
    shifted); mu = 0, std = 1 gives the z-score."""
    def apply(block: np.ndarray) -> np.ndarray:
        block = block.astype(np.float64)
        with np.errstate(invalid="ignore"):
            mean = np.nanmean(block, axis=1, keepdims=True)
            sd = np.nanstd(block, axis=1, keepdims=True)
        sd[sd == 0] = 1.0
        return (block - mean) / sd * p["std"] + p["mu"]

    out = map_rows(array_cells(t.df, p["data_column"]), apply)
    return OpResult(_with_column(t, "_SCALER_MEAN_VARIANCE", out))


@operation("Normalize", "Signal", "normalize", output_column="_NORMALIZE", params=(DATA_COLUMN,))
def normalize(t: Transmission, p: dict) -> OpResult:
    """Scale each signal to [0, 1]: (x - min) / (max - min). A constant signal gives NaNs."""
    def apply(block: np.ndarray) -> np.ndarray:
        low = block.min(axis=1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (block - low) / (block.max(axis=1, keepdims=True) - low)

    out = map_rows(array_cells(t.df, p["data_column"]), apply)
    return OpResult(_with_column(t, "_NORMALIZE", out))


@operation("RFFT", "Signal", "rfft", output_column="_RFFT", params=(DATA_COLUMN,))
def rfft(t: Transmission, p: dict) -> OpResult:
    """Discrete Fourier transform of real signals (scipy.fftpack.rfft, the packed real format
    ``[y0, Re y1, Im y1, ...]``). Needs equal lengths and one sampling rate; logs the
    frequencies (Hz) of the output samples and the Nyquist frequency."""
    data = stack_column(t.df, p["data_column"])
    fs = get_sampling_rate(t) if len(t.df) else 0.0
    freqs = fftpack.rfftfreq(data.shape[1], d=1.0 / fs) if len(t.df) else np.empty(0)
    out = fftpack.rfft(data, axis=-1) if data.size else data
    record = {"data_column": p["data_column"], "frequencies": freqs.tolist(),
              "sampling_rate": fs, "nyquist_frequency": float(freqs.max()) if freqs.size else 0.0}
    return OpResult(_with_column(t, "_RFFT", rows_to_cells(out)), record=record,
                    unit="frequency")


@operation("iRFFT", "Signal", "irfft", output_column="_IRFFT", params=(
    Param("data_column", "column", "_RFFT", column_kind="numerical",
          doc="Column of RFFT outputs (scipy.fftpack packed format)."),
))
def irfft(t: Transmission, p: dict) -> OpResult:
    """Inverse of RFFT (scipy.fftpack.irfft); back to the time domain."""
    out = map_rows(array_cells(t.df, p["data_column"]), lambda b: fftpack.irfft(b, axis=-1))
    return OpResult(_with_column(t, "_IRFFT", out), unit="time")
