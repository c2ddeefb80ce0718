"""ExtractStim, StaticDFoFo and DetrendDFoF against direct slicing / formulas / the engine."""
import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from mesmerize.analysis import Transmission, get_operation
from mesmerize.analysis.errors import TransmissionError
from mesmerize.core.errors import ParameterError
from mesmerize.core.roi.cnmf_data import CNMFData
from mesmerize.core.stimulus import StimulusMaps
from mesmerize.engines.cnmf.dff import detrend_df_f


def stim_state(units="frames", **periods):
    maps = StimulusMaps(["ori", "light"])
    rows = [(name, start, end) for name, (start, end) in periods.items()]
    maps.maps["ori"].set_data(pd.DataFrame(rows, columns=["name", "start", "end"]), units=units)
    return maps.to_state()


def stim_t():
    frames = stim_state(up=(10, 20), down=(50, 60), edge=(90, 100))
    seconds = stim_state(units="seconds", up=(1.0, 2.0))
    df = pd.DataFrame({
        "_RAW_CURVE": [np.arange(100.0), np.arange(100.0) * 2, np.arange(80.0) * 3],
        "meta": [{"fps": 10.0}, {"fps": 10.0}, {"fps": 20.0}],
        "stim_maps": [frames, frames, seconds], "cell": ["a", "b", "c"]})
    return Transmission.from_dataframe(df)


def extract(t, **params):
    return get_operation("ExtractStim")(t, data_column="_RAW_CURVE", Stim_Type="ori", **params)


@pytest.mark.parametrize("zero_pos, start_offset, end_offset, bounds", [
    ("start_offset", 0, 0, [(10, 20), (50, 60), (90, 100)]),
    ("start_offset", -5, 3, [(5, 23), (45, 63), (85, 100)]),
    ("stim_end", 0, 4, [(20, 24), (60, 64), None]),
    ("stim_center", -2, 5, [(13, 25), (53, 65), (93, 100)]),
])
def test_extract_stim_modes_match_slicing(zero_pos, start_offset, end_offset, bounds):
    t = stim_t()
    out = extract(t, zero_pos=zero_pos, start_offset=float(start_offset),
                  end_offset=float(end_offset))
    rows = out.df[out.df.cell == "a"].reset_index(drop=True)
    expected = [(b, n, p) for b, n, p in zip(bounds, ["up", "down", "edge"],
                                               [(10, 20), (50, 60), (90, 100)]) if b]
    assert list(rows.ST_NAME) == [n for _, n, _ in expected]
    assert set(rows.ST_TYPE) == {"ori"}
    for i, ((begin, stop), _, _) in enumerate(expected):
        np.testing.assert_array_equal(rows._ST_CURVE[i], np.arange(100.0)[begin:stop])
    np.testing.assert_array_equal(rows._ST_START_IX, [p[0] for _, _, p in expected])
    np.testing.assert_array_equal(rows._ST_END_IX, [p[1] for _, _, p in expected])
    assert out.df.ST_uuid.nunique() == len(out.df)
    block = t.df._BLOCK_[0]
    assert out.history_trace.get_operation_params(block, "extract_stim") == {
        "data_column": "_RAW_CURVE", "Stim_Type": "ori", "start_offset": float(start_offset),
        "end_offset": float(end_offset), "zero_pos": zero_pos, "offset_units": "frames",
        "n_skipped": 0 if all(bounds) else 2, "units": "time"}


def test_extract_stim_seconds_periods_and_offsets():
    t = stim_t()
    out = extract(t, start_offset=-0.5, end_offset=0.5, offset_units="seconds")
    c = out.df[out.df.cell == "c"].reset_index(drop=True)
    # the period 1-2 s at 20 fps is frames 20-40; offsets -0.5 s / +0.5 s are -10 / +10 frames
    assert (c._ST_START_IX[0], c._ST_END_IX[0]) == (20, 40)
    np.testing.assert_array_equal(c._ST_CURVE[0], (np.arange(80.0) * 3)[10:50])
    a = out.df[out.df.cell == "a"].reset_index(drop=True)
    np.testing.assert_array_equal(a._ST_CURVE[0], np.arange(100.0)[5:25])


def test_extract_stim_errors_and_rows_without_maps():
    t = stim_t()
    with pytest.raises(ParameterError, match="'Stim_Type' 'nope' is not a stimulus type"):
        get_operation("ExtractStim")(t, data_column="_RAW_CURVE", Stim_Type="nope")
    with pytest.raises(ParameterError, match="'Stim_Type' must name"):
        get_operation("ExtractStim")(t, data_column="_RAW_CURVE", Stim_Type=" ")
    with pytest.raises(ParameterError, match="'zero_pos' must be one of"):
        extract(t, zero_pos="middle")
    df = t.df.copy()
    df["stim_maps"] = [None, df.stim_maps[1], None]
    out = extract(t.with_df(df))
    assert list(out.df.cell) == ["b", "b", "b"]


def test_static_df_o_f():
    rng = np.random.default_rng(0)
    curves = [rng.uniform(1, 5, 30), rng.uniform(2, 3, 30), rng.uniform(1, 2, 12)]
    t = Transmission.from_dataframe(pd.DataFrame({"_RAW_CURVE": curves}))
    out = get_operation("StaticDFoFo")(t, data_column="_RAW_CURVE")
    for x, y in zip(curves, out.df._STATIC_DF_O_F):
        np.testing.assert_allclose(y, (x - x.min()) / x.min(), rtol=1e-12)
    assert out.last_output == "_STATIC_DF_O_F"
    assert out.history_trace.get_operation_params(t.df._BLOCK_[0], "static_df_o_f") == {
        "data_column": "_RAW_CURVE", "units": "time"}


def cnmf_project(tmp_path):
    rng = np.random.default_rng(1)
    h, w, k, n_t = 8, 8, 3, 700
    a = sp.csc_matrix(rng.uniform(0, 1, (h * w, k)) * (rng.uniform(size=(h * w, k)) > 0.6))
    c = rng.uniform(0, 5, (k, n_t))
    data = CNMFData(A=a, b=rng.uniform(0, 1, (h * w, 1)), C=c, f=rng.uniform(1, 2, (1, n_t)),
                    YrA=rng.normal(0, 0.1, (k, n_t)), dims=(h, w))
    (tmp_path / "images").mkdir()
    data.to_npz(tmp_path / "images" / "s1-_-u1_cnmf.npz")
    df = pd.DataFrame({"ImgInfoPath": ["images/s1-_-u1.json"] * 2,
                       "ROI_State": [json.dumps({"cnmf_idx": 2}), json.dumps({"cnmf_idx": 0})],
                       "_RAW_CURVE": [c[2], c[0]]})
    return Transmission.from_dataframe(df, proj_path=tmp_path), data


def test_detrend_df_o_f_uses_the_cnmf_outputs(tmp_path):
    t, data = cnmf_project(tmp_path)
    out = get_operation("DetrendDFoF")(t, quantile_min=10.0, frames_window=200)
    full = detrend_df_f(data.A, data.b, data.C, data.f, data.YrA, quantile_min=10.0,
                        frames_window=200)
    np.testing.assert_allclose(out.df._DETREND_DF_O_F[0], full[2], rtol=1e-10)
    np.testing.assert_allclose(out.df._DETREND_DF_O_F[1], full[0], rtol=1e-10)
    assert out.history_trace.get_operation_params(t.df._BLOCK_[0], "detrend_df_o_f") == {
        "quantile_min": 10.0, "frames_window": 200, "units": "time"}


def test_detrend_df_o_f_errors(tmp_path):
    t, _ = cnmf_project(tmp_path)
    df = t.df.copy()
    df.at[0, "ROI_State"] = json.dumps({"roi_type": "manual"})
    with pytest.raises(TransmissionError, match="CNMF/CNMF-E ROIs only; row 0"):
        get_operation("DetrendDFoF")(t.with_df(df))
    df = t.df.copy()
    df.at[0, "ROI_State"] = json.dumps({"cnmf_idx": 7})
    with pytest.raises(TransmissionError, match="refers to component 7"):
        get_operation("DetrendDFoF")(t.with_df(df))
    with pytest.raises(ParameterError, match="'quantile_min' must be >= 0.0 and <= 100.0"):
        get_operation("DetrendDFoF")(t, quantile_min=101.0)
    (tmp_path / "images" / "s1-_-u1_cnmf.npz").unlink()
    with pytest.raises(TransmissionError, match="CNMF data file .* is missing"):
        get_operation("DetrendDFoF")(t)
