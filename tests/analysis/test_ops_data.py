"""Data operations (TextFilter, SpliceArrays, DropNa, NormRaw); the guide's history example."""
import json

import numpy as np
import pandas as pd
import pytest
import tifffile

from mesmerize.analysis import Transmission, get_operation
from mesmerize.analysis.errors import TransmissionError
from mesmerize.analysis.ops.data import parse_indices
from mesmerize.core.errors import ParameterError, ProjectError
from mesmerize.core.imaging.tiff_io import open_movie_tyx
from mesmerize.core.project import Project
from mesmerize.core.project.layout import cnmf_file_for_info
from mesmerize.core.roi.cnmf_data import CNMFData
from tests.analysis.ops_helpers import cells, make_t
from tests.core.test_project_samples import make_cnmf_work_env, make_work_env, project_config


def op(name, t, **params):
    return get_operation(name)(t, **params)


def test_text_filter_include_and_exclude():
    t = make_t(n=5, length=10, cell_name=["pr", "atena", "pr", "3", None])
    inc = op("TextFilter", t, Column="cell_name", filter="pr")
    assert list(inc.df.cell_name) == ["pr", "pr"] and list(inc.df.index) == [0, 1]
    np.testing.assert_array_equal(inc.df._RAW_CURVE[1], t.df._RAW_CURVE[2])
    exc = op("TextFilter", t, Column="cell_name", filter="pr", Include=False, Exclude=True)
    assert list(exc.df.cell_name) == ["atena", "3", None]
    assert len(op("TextFilter", t, Column="cell_name", filter="None").df) == 1
    params = exc.history_trace.get_operation_params(t.df._BLOCK_[0], "text_filter")
    assert params == {"Column": "cell_name", "filter": "pr", "Include": False, "Exclude": True}
    with pytest.raises(ParameterError, match="exactly one of the parameters 'Include'"):
        op("TextFilter", t, Column="cell_name", filter="pr", Exclude=True)


@pytest.mark.parametrize("text, expected", [
    ("0:2990", (0, 2990)), (" 5 : -3 ", (5, -3)), (":10", (None, 10)), ("4:", (4, None)),
])
def test_parse_indices(text, expected):
    assert parse_indices(text) == expected


@pytest.mark.parametrize("text", ["", "5", "a:b", "1:2:3", "1.5:3"])
def test_parse_indices_rejects(text):
    with pytest.raises(ParameterError, match="'indices' must look like 'start_index:end_index'"):
        parse_indices(text)


def test_splice_arrays_matches_slicing():
    t = make_t(lengths=[40, 40, 25, 8])
    out = op("SpliceArrays", t, data_column="_RAW_CURVE", indices="5:30")
    for x, y in zip(cells(t, "_RAW_CURVE"), cells(out, "_SPLICE_ARRAYS")):
        np.testing.assert_array_equal(y, x[5:30])
    neg = op("SpliceArrays", t, data_column="_RAW_CURVE", indices="-6:")
    assert all(np.array_equal(y, x[-6:]) for x, y in
               zip(cells(t, "_RAW_CURVE"), cells(neg, "_SPLICE_ARRAYS")))
    assert out.history_trace.get_operation_params(t.df._BLOCK_[0], "splice_arrays") == {
        "data_column": "_RAW_CURVE", "start_ix": 5, "end_ix": 30, "units": "time"}


def test_drop_na_rows_columns_and_one_column():
    t = make_t(n=4, length=5, a=[1.0, np.nan, 3.0, 4.0], b=[None, "x", "y", "z"])
    t.df["allnan"] = np.nan
    rows_any = op("DropNa", t.with_df(t.df.drop(columns="allnan")), axis="row")
    assert list(rows_any.df.a) == [3.0, 4.0]
    cols = op("DropNa", t, axis="columns", how="all")
    assert "allnan" not in cols.df.columns and "a" in cols.df.columns
    by_col = op("DropNa", t, axis="a")
    assert list(by_col.df.b) == [None, "y", "z"]
    assert by_col.history_trace.get_operation_params(t.df._BLOCK_[0], "dropna") == {
        "axis": "a", "how": None}
    with pytest.raises(ParameterError, match="'axis' must be 'row', 'columns' or a column"):
        op("DropNa", t, axis="nope")


def test_guide_history_example_operations_and_params():
    """LoadProjDF -> SpliceArrays -> Normalize -> RFFT -> AbsoluteValue -> LogTransform ->
    SpliceArrays logs exactly the guide's operations list (the guide's example then clusters)."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"_RAW_CURVE": list(rng.normal(size=(4, 3000))),
                       "meta": [{"fps": 10.0}] * 4})
    filters = ['df[~df["promoter"].isin([\'cesa\', \'hnk1\'])]']
    t = Transmission.from_dataframe(df, {
        "sub_dataframe_name": "neuronal",
        "dataframe_filter_history": {"dataframe_filter_history": filters}})
    t = op("SpliceArrays", t, data_column="_RAW_CURVE", indices="0:2990")
    t = op("Normalize", t, data_column="_SPLICE_ARRAYS")
    t = op("RFFT", t, data_column="_NORMALIZE")
    t = op("AbsoluteValue", t, data_column="_RFFT")
    t = op("LogTransform", t, data_column="_ABSOLUTE_VALUE", transform="log10")
    t = op("SpliceArrays", t, data_column="_LOG_TRANSFORM", indices="0:1495")
    bid = t.df.iloc[2]._BLOCK_
    h = t.history_trace
    assert h.get_operations_list(bid) == ["spawn_transmission", "splice_arrays", "normalize",
                                          "rfft", "absolute_value", "log_transform",
                                          "splice_arrays"]
    history = h.get_data_block_history(bid)
    assert history[0] == {"spawn_transmission": {
        "sub_dataframe_name": "neuronal",
        "dataframe_filter_history": {"dataframe_filter_history": filters}}}
    assert history[1] == {"splice_arrays": {"data_column": "_RAW_CURVE", "start_ix": 0,
                                            "end_ix": 2990, "units": "time"}}
    assert history[2] == {"normalize": {"data_column": "_SPLICE_ARRAYS", "units": "time"}}
    rfft = history[3]["rfft"]
    assert rfft["data_column"] == "_NORMALIZE" and rfft["units"] == "frequency"
    assert rfft["frequencies"][:4] == pytest.approx([0.0, 10 / 2990, 10 / 2990, 20 / 2990])
    assert history[5] == {"log_transform": {"data_column": "_ABSOLUTE_VALUE",
                                            "transform": "log10", "units": "frequency"}}
    assert h.get_operation_params(bid, "splice_arrays")["end_ix"] == 1495
    assert t.df._SPLICE_ARRAYS[0].shape == (1495,)


def cnmf_project(tmp_path, n_samples=2):
    project = Project.create(tmp_path / "proj", project_config())
    for i in range(n_samples):
        project.add_sample(make_cnmf_work_env(i), f"a{i}", "t1")
    return project


def brute_force_raw_range(movie_tyx, region, option):
    mean_image = movie_tyx.astype(np.float64).mean(axis=0)
    pixels = sorted(zip(*np.nonzero(region)), key=lambda yx: -mean_image[yx])
    n = {"top_5": 5, "top_10": 10, "full_mean": len(pixels)}.get(option)
    if n is None:
        n = max(1, int(np.ceil(len(pixels) * int(option[4:-1]) / 100)))
    picked = pixels[:n]
    trace = np.mean([movie_tyx[:, y, x].astype(np.float64) for y, x in picked], axis=0)
    return trace.min(), trace.max()


@pytest.mark.parametrize("option", ["top_5", "top_10p", "full_mean"])
def test_norm_raw_matches_brute_force(tmp_path, option):
    project = cnmf_project(tmp_path)
    t = Transmission.from_proj_df(project.dataframe, project)
    out = op("NormRaw", t, option=option)
    assert len(out.df) == len(t.df) == 6
    for i, row in t.df.iterrows():
        movie = open_movie_tyx(project.path / row.ImgPath)
        cnmf = CNMFData.from_npz(project.path / cnmf_file_for_info(row.ImgInfoPath))
        region = cnmf.footprint(json.loads(row.ROI_State)["cnmf_idx"]).T > 0
        lo, hi = brute_force_raw_range(np.asarray(movie), region, option)
        c = row._RAW_CURVE
        expected = (c - c.min()) / (c.max() - c.min()) * (hi - lo) + lo
        np.testing.assert_allclose(out.df._NORMRAW[i], expected, rtol=1e-10)
    params = out.history_trace.get_operation_params(t.df._BLOCK_[0], "norm_raw")
    assert params == {"data_column": "_RAW_CURVE", "option": option,
                      "output_column": "_NORMRAW", "excluded": 0, "units": "time"}


def test_norm_raw_excludes_flat_regions_and_refuses_manual_rois(tmp_path):
    project = cnmf_project(tmp_path, n_samples=1)
    row = project.dataframe.iloc[1]
    movie_path = project.path / row.ImgPath
    movie = tifffile.imread(movie_path)
    cnmf = CNMFData.from_npz(project.path / cnmf_file_for_info(row.ImgInfoPath))
    movie[:, cnmf.footprint(1).T > 0] = 7
    tifffile.imwrite(movie_path, movie)
    t = Transmission.from_proj_df(project.dataframe, project)
    out = op("NormRaw", t, option="top_5")
    assert list(out.df.uuid_curve) == [t.df.uuid_curve[0], t.df.uuid_curve[2]]
    assert out.history_trace.get_operation_params(t.df._BLOCK_[0], "norm_raw")["excluded"] == 1

    manual = Project.create(tmp_path / "manual", project_config())
    manual.add_sample(make_work_env(0), "m0", "t1")
    with pytest.raises(TransmissionError, match="CNMF/CNMF-E ROIs only"):
        op("NormRaw", Transmission.from_proj_df(manual.dataframe, manual))
    no_project = Transmission.from_dataframe(t.df.drop(columns="_BLOCK_"))
    with pytest.raises(ProjectError, match="no project path"):
        op("NormRaw", no_project)
