"""Signal operations against scipy / tslearn references applied curve by curve."""
import numpy as np
import pytest
from scipy import fftpack, signal
from tslearn.preprocessing import TimeSeriesScalerMeanVariance

from mesmerize.analysis import (
    Transmission, get_frequency_linspace, get_operation, get_sampling_rate,
)
from mesmerize.analysis.errors import TransmissionError
from mesmerize.core.errors import ParameterError
from tests.analysis.ops_helpers import cells, make_t

TOL = dict(rtol=1e-10, atol=1e-12)


def op(name, t, **params):
    return get_operation(name)(t, **params)


def test_butterworth_matches_filtfilt_per_curve_and_rate():
    t = make_t(n=4, fps=[10.0, 10.0, 20.0, 20.0], lengths=[120, 120, 120, 90])
    out = op("Butterworth", t, data_column="_RAW_CURVE", order=3, freq_divisor=5.0)
    for x, y, fs in zip(cells(t, "_RAW_CURVE"), cells(out, "_BUTTERWORTH"), [10, 10, 20, 20]):
        b, a = signal.butter(3, fs / 5.0, fs=fs)
        np.testing.assert_allclose(y, signal.filtfilt(b, a, x), **TOL)
    params = out.history_trace.get_operation_params(t.df._BLOCK_[0], "butterworth")
    assert params == {"data_column": "_RAW_CURVE", "order": 3, "freq_divisor": 5.0,
                      "Wn": [2.0, 4.0], "sampling_rate": [10.0, 20.0], "units": "time"}


def test_butterworth_errors():
    with pytest.raises(ParameterError, match="'order' 5 needs arrays longer than 18"):
        op("Butterworth", make_t(length=18), data_column="_RAW_CURVE", order=5)
    t = make_t()
    t.df = t.df.drop(columns="meta")
    with pytest.raises(TransmissionError, match="no 'meta' column"):
        op("Butterworth", t, data_column="_RAW_CURVE")
    t = make_t(fps=0.0)
    with pytest.raises(TransmissionError, match=r"meta\['fps'\]"):
        op("Butterworth", t, data_column="_RAW_CURVE")


def test_savitzky_golay_matches_scipy_with_ragged_rows():
    t = make_t(lengths=[50, 80, 50, 31])
    out = op("SavitzkyGolay", t, data_column="_RAW_CURVE", window_length=7, polyorder=3)
    for x, y in zip(cells(t, "_RAW_CURVE"), cells(out, "_SAVITZKY_GOLAY")):
        np.testing.assert_allclose(y, signal.savgol_filter(x, 7, 3), **TOL)
    with pytest.raises(ParameterError, match="'window_length' must be odd"):
        op("SavitzkyGolay", t, data_column="_RAW_CURVE", window_length=6)
    with pytest.raises(ParameterError, match="'polyorder' \\(7\\) must be less"):
        op("SavitzkyGolay", t, data_column="_RAW_CURVE", window_length=7, polyorder=7)
    with pytest.raises(ParameterError, match="longer than the shortest array \\(31"):
        op("SavitzkyGolay", t, data_column="_RAW_CURVE", window_length=33)


def test_power_spectral_density_matches_periodogram():
    t = make_t(fps=8.0)
    out = op("PowSpecDens", t, data_column="_RAW_CURVE")
    for x, y in zip(cells(t, "_RAW_CURVE"), cells(out, "_POWER_SPECTRAL_DENSITY")):
        f, pxx = signal.periodogram(x, fs=8.0)
        np.testing.assert_allclose(y, pxx, **TOL)
    logged = out.history_trace.get_operation_params(t.df._BLOCK_[0], "power_spectral_density")
    np.testing.assert_allclose(logged["frequencies"], f)
    assert out.last_unit == "frequency"
    spec = op("PowSpecDens", t, data_column="_RAW_CURVE", scaling="spectrum")
    ref = signal.periodogram(t.df._RAW_CURVE[0], fs=8.0, scaling="spectrum")[1]
    np.testing.assert_allclose(spec.df._POWER_SPECTRAL_DENSITY[0], ref)


def test_resample_matches_scipy_and_sets_the_new_rate():
    t = make_t(fps=[10.0, 10.0, 20.0], lengths=[100, 100, 100])
    out = op("Resample", t, data_column="_RAW_CURVE", Rs=15, Tu=2)
    for x, y, fs in zip(cells(t, "_RAW_CURVE"), cells(out, "_RESAMPLE"), [10, 10, 20]):
        n_out = int(100 / fs * 7.5)
        assert y.shape == (n_out,)
        np.testing.assert_allclose(y, signal.resample(x, n_out), **TOL)
    block = t.df._BLOCK_[0]
    assert out.history_trace.get_operation_params(block, "resample")["output_rate"] == 7.5
    assert get_sampling_rate(out) == 7.5
    with pytest.raises(ParameterError, match="fewer than one sample"):
        op("Resample", make_t(length=5, fps=100.0), data_column="_RAW_CURVE", Rs=1, Tu=1)


def test_scaler_mean_variance_matches_tslearn():
    t = make_t(n=4, length=60)
    t.df.at[1, "_RAW_CURVE"] = np.full(60, 3.0)
    nan_curve = t.df._RAW_CURVE[2].copy()
    nan_curve[[5, 17]] = np.nan
    t.df.at[2, "_RAW_CURVE"] = nan_curve
    out = op("ScalerMeanVariance", t, data_column="_RAW_CURVE", mu=2.0, std=0.5)
    for x, y in zip(cells(t, "_RAW_CURVE"), cells(out, "_SCALER_MEAN_VARIANCE")):
        ref = TimeSeriesScalerMeanVariance(mu=2.0, std=0.5).fit_transform(x[None, :, None])[0, :, 0]
        np.testing.assert_allclose(y, ref, rtol=1e-10, atol=1e-10, equal_nan=True)


def test_normalize_matches_min_max_and_propagates_nan():
    t = make_t(lengths=[40, 40, 25])
    t.df.at[1, "_RAW_CURVE"] = np.where(np.arange(40) == 3, np.nan, t.df._RAW_CURVE[1])
    out = op("Normalize", t, data_column="_RAW_CURVE")
    x, y = t.df._RAW_CURVE[0], out.df._NORMALIZE[0]
    np.testing.assert_allclose(y, (x - x.min()) / (x.max() - x.min()), **TOL)
    assert y.min() == 0.0 and y.max() == 1.0
    assert np.isnan(out.df._NORMALIZE[1]).all()
    assert out.df._NORMALIZE[2].shape == (25,)
    empty = op("Normalize", Transmission.from_dataframe(t.df.iloc[:0].drop(columns="_BLOCK_")),
               data_column="_RAW_CURVE")
    assert len(empty.df) == 0 and "_NORMALIZE" in empty.df.columns


def test_rfft_matches_fftpack_and_logs_frequencies():
    t = make_t(length=64, fps=16.0)
    out = op("RFFT", t, data_column="_RAW_CURVE")
    for x, y in zip(cells(t, "_RAW_CURVE"), cells(out, "_RFFT")):
        np.testing.assert_allclose(y, fftpack.rfft(x), **TOL)
    freqs, nyquist = get_frequency_linspace(out)
    np.testing.assert_allclose(freqs, fftpack.rfftfreq(64, d=1 / 16.0))
    assert nyquist == 8.0 and out.last_unit == "frequency"
    back = op("iRFFT", out)
    for x, y in zip(cells(t, "_RAW_CURVE"), cells(back, "_IRFFT")):
        np.testing.assert_allclose(y, x, rtol=1e-10, atol=1e-10)
    assert back.last_unit == "time"
    assert back.history_trace.get_operation_params(t.df._BLOCK_[0], "irfft") == {
        "data_column": "_RFFT", "units": "time"}


def test_rfft_needs_equal_lengths_and_one_rate():
    with pytest.raises(ParameterError, match="SpliceArrays"):
        op("RFFT", make_t(lengths=[30, 40]), data_column="_RAW_CURVE")
    with pytest.raises(TransmissionError, match="Resample"):
        op("RFFT", make_t(n=2, fps=[10.0, 12.0]), data_column="_RAW_CURVE")
    with pytest.raises(TransmissionError, match="no rfft"):
        get_frequency_linspace(make_t())
