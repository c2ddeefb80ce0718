"""Transmission: creation, from_proj_df, merge, and the .trn file (round trip, refusals)."""
import json
import pickle
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pytest

from mesmerize.analysis import Transmission, get_operation
from mesmerize.analysis.errors import TransmissionError, TransmissionFileExistsError
from mesmerize.analysis.trn_file import TRN_FORMAT_VERSION
from mesmerize.core.errors import FormatVersionError, ProjectError


def curves_df(n=4, length=50, seed=0, fps=10.0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({"_RAW_CURVE": list(rng.normal(size=(n, length))),
                         "cell_name": [f"c{i % 2}" for i in range(n)],
                         "meta": [{"fps": fps}] * n})


def test_from_dataframe_makes_one_block_with_spawn_entry():
    t = Transmission.from_dataframe(curves_df(), {"sub_dataframe_name": "root"})
    blocks = t.df["_BLOCK_"].unique()
    assert len(blocks) == 1 and t.history_trace.data_blocks == [blocks[0]]
    assert t.history_trace.get_data_block_history(blocks[0]) == [
        {"spawn_transmission": {"sub_dataframe_name": "root"}}]
    assert t.last_output == "_RAW_CURVE" and t.last_unit == "time"


def test_copy_is_independent():
    t = Transmission.from_dataframe(curves_df())
    c = t.copy()
    c.df["x"] = 1
    c.history_trace.add_operation("all", "op", {})
    assert "x" not in t.df.columns
    assert t.history_trace.get_operations_list(t.df._BLOCK_[0]) == ["spawn_transmission"]


def test_merge_keeps_per_block_histories():
    norm = get_operation("Normalize")
    t1 = norm(Transmission.from_dataframe(curves_df(seed=1)), data_column="_RAW_CURVE")
    t2 = Transmission.from_dataframe(curves_df(seed=2))
    m = Transmission.merge([t1, t2])
    assert len(m.df) == 8
    b1, b2 = t1.df._BLOCK_[0], t2.df._BLOCK_[0]
    assert m.history_trace.get_operations_list(b1) == ["spawn_transmission", "normalize"]
    assert m.history_trace.get_operations_list(b2) == ["spawn_transmission"]
    assert list(m.df._BLOCK_) == [b1] * 4 + [b2] * 4
    z = get_operation("Derivative")(m, data_column="_RAW_CURVE")
    assert z.history_trace.get_operations_list(b1)[-1] == "derivative"
    assert z.history_trace.get_operations_list(b2)[-1] == "derivative"


def test_merge_of_diverging_branches_keeps_both_histories():
    t = Transmission.from_dataframe(curves_df())
    a = get_operation("Normalize")(t, data_column="_RAW_CURVE")
    b = get_operation("Derivative")(t, data_column="_RAW_CURVE")
    m = Transmission.merge([a, b])
    blocks = list(dict.fromkeys(m.df._BLOCK_))
    assert len(blocks) == 2 and blocks[0] == t.df._BLOCK_[0]
    assert m.history_trace.get_operations_list(blocks[0]) == ["spawn_transmission", "normalize"]
    assert m.history_trace.get_operations_list(blocks[1]) == ["spawn_transmission", "derivative"]
    same = Transmission.merge([t, t])
    assert same.df._BLOCK_.nunique() == 1 and len(same.df) == 8


def test_merge_refuses_different_projects(tmp_path):
    t1 = Transmission.from_dataframe(curves_df(), proj_path=tmp_path / "p1")
    t2 = Transmission.from_dataframe(curves_df(), proj_path=tmp_path / "p2")
    with pytest.raises(TransmissionError, match="different projects"):
        Transmission.merge([t1, t2])


def rich_dataframe():
    rng = np.random.default_rng(3)
    n = 5
    peaks = [pd.DataFrame({"event": [3, 9], "label": ["peak", "base"]}), None,
             pd.DataFrame({"event": [1], "label": ["peak"]}), None, None]
    return pd.DataFrame({
        "_RAW_CURVE": list(rng.normal(size=(n, 30)).astype(np.float32)),
        "_RAGGED": [np.arange(k, dtype=np.float64) for k in (3, 0, 5, 1, 2)],
        "_WITH_NONE": [np.ones(4), None, np.zeros(4), np.ones(4), np.ones(4)],
        "_INT": np.arange(n, dtype=np.int32),
        "_FLOAT": [0.5, np.nan, 1.5, 2.5, -1.0],
        "_BOOL": [True, False, True, True, False],
        "nullable": pd.array([1, None, 3, 4, 5], dtype="Int64"),
        "when": pd.to_datetime(["2024-01-31 09:45:00"] * n),
        "when_tz": pd.to_datetime(["2024-01-31 09:45:00", None, "2024-02-01 10:00:00", None,
                                   "2024-03-01 00:00:00"]).tz_localize("Europe/Oslo"),
        "SampleID": ["a-_-1", "a-_-1", "b-_-2", None, "é ünïcode"],
        "str_col": pd.array(["x", None, "y", "z", "w"], dtype="string"),
        "FCLUSTER_LABELS": pd.Categorical(["2", "1", "2", "3", "1"]),
        "meta": [{"fps": 10.0, "orig_meta": {"k": [1, 2]}}] * n,
        "mixed": [1, "two", [3], {"four": 4}, None],
        "peaks_bases": peaks,
        "_COMPLEX": list(np.exp(1j * rng.normal(size=(n, 4)))),
    })


def test_trn_round_trip_preserves_data_history_and_info(tmp_path):
    t = Transmission.from_dataframe(rich_dataframe(), {"sub_dataframe_name": "root"},
                                    proj_path=tmp_path, roi_type_columns=["cell_name"])
    t = get_operation("Normalize")(t, data_column="_RAW_CURVE")
    path = tmp_path / "data.trn"
    t.to_hdf5(path)
    r = Transmission.from_hdf5(path)
    assert list(r.df.columns) == list(t.df.columns)
    assert r.history_trace == t.history_trace
    assert (r.proj_path, r.last_output, r.last_unit) == (str(tmp_path), "_NORMALIZE", "time")
    assert r.roi_type_columns == ["cell_name"]
    for col in ("_RAW_CURVE", "_RAGGED", "_NORMALIZE", "_COMPLEX"):
        for x, y in zip(t.df[col], r.df[col]):
            assert x.dtype == y.dtype and np.array_equal(x, y)
    assert r.df["_WITH_NONE"][1] is None and np.array_equal(r.df["_WITH_NONE"][2], np.zeros(4))
    for col in ("_INT", "_FLOAT", "_BOOL", "nullable", "when", "when_tz", "SampleID", "str_col",
                "FCLUSTER_LABELS", "_BLOCK_"):
        pd.testing.assert_series_equal(r.df[col], t.df[col], check_names=True)
    assert list(r.df["mixed"]) == [1, "two", [3], {"four": 4}, None]
    assert r.df["meta"][0] == {"fps": 10.0, "orig_meta": {"k": [1, 2]}}
    pd.testing.assert_frame_equal(r.df["peaks_bases"][0], t.df["peaks_bases"][0])
    pd.testing.assert_frame_equal(r.df["peaks_bases"][2], t.df["peaks_bases"][2])
    assert r.df["peaks_bases"][1] is None


def test_trn_round_trip_of_empty_and_indexed_frames(tmp_path):
    t = Transmission.from_dataframe(curves_df().iloc[:0])
    t.to_hdf5(tmp_path / "empty.trn")
    r = Transmission.from_hdf5(tmp_path / "empty.trn")
    assert len(r.df) == 0 and list(r.df.columns) == list(t.df.columns)
    t2 = Transmission.from_dataframe(curves_df())
    t2.df.index = pd.Index(["w", "x", "y", "z"], name="roi")
    t2.to_hdf5(tmp_path / "indexed.trn")
    assert list(Transmission.from_hdf5(tmp_path / "indexed.trn").df.index) == ["w", "x", "y", "z"]


def test_trn_refuses_overwrite_unless_asked(tmp_path):
    path = tmp_path / "data.trn"
    t = Transmission.from_dataframe(curves_df())
    t.to_hdf5(path)
    before = path.read_bytes()
    with pytest.raises(TransmissionFileExistsError, match="already exists"):
        t.to_hdf5(path)
    assert path.read_bytes() == before
    get_operation("Normalize")(t, data_column="_RAW_CURVE").to_hdf5(path, overwrite=True)
    assert "_NORMALIZE" in Transmission.from_hdf5(path).df.columns


def test_unsavable_column_leaves_no_file(tmp_path):
    t = Transmission.from_dataframe(curves_df())
    t.df["obj"] = [object()] * 4
    with pytest.raises(TransmissionError, match="column 'obj' of the Transmission DataFrame"):
        t.to_hdf5(tmp_path / "bad.trn")
    t.df["obj"] = pd.period_range("2024-01", periods=4, freq="M")
    with pytest.raises(TransmissionError, match="Period cannot be stored"):
        t.to_hdf5(tmp_path / "bad.trn")
    t.df = t.df.drop(columns="obj").rename(columns={"cell_name": 5})
    with pytest.raises(TransmissionError, match="non-text column names"):
        t.to_hdf5(tmp_path / "bad.trn")
    assert list(tmp_path.iterdir()) == []


def test_newer_format_version_refused(tmp_path):
    path = tmp_path / "new.trn"
    Transmission.from_dataframe(curves_df()).to_hdf5(path)
    with h5py.File(path, "r+") as f:
        f.attrs["format_version"] = TRN_FORMAT_VERSION + 1
    with pytest.raises(FormatVersionError, match="Upgrade Mesmerize"):
        Transmission.from_hdf5(path)


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


@pytest.mark.filterwarnings("ignore::pandas.errors.PerformanceWarning")
def test_pickle_payloads_are_refused_without_running(tmp_path):
    marker = tmp_path / "executed"
    pickled = tmp_path / "pandas.trn"
    with pd.HDFStore(pickled, "w") as store:
        store.put("df", pd.DataFrame({"x": [_Payload(str(marker))]}), format="fixed")
    assert not marker.exists()
    with pytest.raises(FormatVersionError, match="could run code"):
        Transmission.from_hdf5(pickled)
    crafted = tmp_path / "crafted.trn"
    Transmission.from_dataframe(curves_df()).to_hdf5(crafted)
    with h5py.File(crafted, "r+") as f:
        del f["df/c1/values"]
        f["df/c1"].create_dataset("values", data=np.void(pickle.dumps(_Payload(str(marker)))))
        f["df/c1"].attrs["kind"] = "pickle"
    with pytest.raises(FormatVersionError, match="unknown"):
        Transmission.from_hdf5(crafted)
    with h5py.File(crafted, "r+") as f:
        del f["df/c1"]
    with pytest.raises(FormatVersionError, match="damaged"):
        Transmission.from_hdf5(crafted)
    not_hdf5 = tmp_path / "raw.trn"
    not_hdf5.write_bytes(pickle.dumps(_Payload(str(marker))))
    with pytest.raises(FormatVersionError, match="not an HDF5 file"):
        Transmission.from_hdf5(not_hdf5)
    assert not marker.exists()


def test_set_proj_path_checks_directory(tmp_path):
    t = Transmission.from_dataframe(curves_df())
    with pytest.raises(ProjectError, match="no project path"):
        t.get_proj_path()
    with pytest.raises(ProjectError, match="not a Mesmerize project"):
        t.set_proj_path(tmp_path)
    (tmp_path / "config.json").write_text(json.dumps({}))
    t.set_proj_path(tmp_path)
    assert t.get_proj_path() == str(tmp_path)


def test_from_proj_df_loads_curves_meta_and_logs_the_tab(tmp_path):
    from mesmerize.core.project import Project
    from tests.core.test_project_samples import make_work_env, project_config

    project = Project.create(tmp_path / "proj", project_config())
    for i in range(2):
        project.add_sample(make_work_env(i), f"a{i}", "t1", {"stage": 48 + i})
    df = project.dataframe
    t = Transmission.from_proj_df(df, project, "neuronal", ['df[df["stage"] > 1]'])
    assert len(t.df) == len(df) == 6
    for _, row in t.df.iterrows():
        np.testing.assert_array_equal(row["_RAW_CURVE"], project.load_curve(row))
        assert row["meta"]["fps"] == 10.0
        assert row["stim_maps"] is not None
    block = t.df._BLOCK_[0]
    assert t.history_trace.get_data_block_history(block) == [{"spawn_transmission": {
        "sub_dataframe_name": "neuronal",
        "dataframe_filter_history": {"dataframe_filter_history": ['df[df["stage"] > 1]']}}}]
    assert t.proj_path == str(project.path)
    assert t.roi_type_columns == ["cell_name", "region"]
    from mesmerize.analysis import get_sampling_rate
    assert get_sampling_rate(t) == 10.0
    t.to_hdf5(tmp_path / "proj.trn")
    r = Transmission.from_hdf5(tmp_path / "proj.trn")
    assert r.proj_path == str(project.path)
    np.testing.assert_array_equal(r.df["_RAW_CURVE"][3], t.df["_RAW_CURVE"][3])
    with pytest.raises(TransmissionError, match="CurvePath"):
        Transmission.from_proj_df(df.drop(columns="CurvePath"), project)


def test_top_level_import():
    import mesmerize.analysis as analysis
    from mesmerize.analysis import get_frequency_linspace, get_sampling_rate
    from mesmerize.analysis import sampling
    assert analysis.Transmission is Transmission
    assert get_sampling_rate is sampling.get_sampling_rate
    assert get_frequency_linspace is sampling.get_frequency_linspace
