"""The .ptrn saved-plot file: round trip, no overwrite by accident, refusal of foreign/newer files."""
import json

import h5py
import numpy as np
import pandas as pd
import pytest

from mesmerize.analysis.errors import TransmissionFileExistsError
from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import FormatVersionError, ParameterError
from mesmerize.plotting.ptrn_file import PTRN_FORMAT_VERSION, read_ptrn, read_ptrn_kind, write_ptrn


def transmission() -> Transmission:
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"_RAW_CURVE": [rng.normal(size=30) for _ in range(4)],
                       "cell_type": ["a", "b", "a", "b"], "_AREA": [1.0, 2.5, 3.0, np.nan]})
    return Transmission.from_dataframe(df, proj_path="/data/proj")


def test_round_trip_keeps_data_state_and_arrays(tmp_path):
    t = transmission()
    state = {"data_column": "_RAW_CURVE", "labels_column": "cell_type", "cmap": "jet", "n": 3}
    centres = np.arange(12.0).reshape(3, 4)
    path = write_ptrn(tmp_path / "plot.ptrn", "heatmap", state, t, arrays={"centres": centres})
    loaded = read_ptrn(path)
    assert loaded.plot_kind == "heatmap" and loaded.state == state
    assert read_ptrn_kind(path) == "heatmap"
    np.testing.assert_array_equal(loaded.arrays["centres"], centres)
    assert loaded.transmission.proj_path == "/data/proj"
    assert loaded.transmission.history_trace.to_dict() == t.history_trace.to_dict()
    for a, b in zip(loaded.transmission.df["_RAW_CURVE"], t.df["_RAW_CURVE"]):
        np.testing.assert_array_equal(a, b)
    pd.testing.assert_series_equal(loaded.transmission.df["_AREA"], t.df["_AREA"])
    assert list(loaded.transmission.df["cell_type"]) == ["a", "b", "a", "b"]


def test_plot_without_input_and_overwrite_rules(tmp_path):
    path = write_ptrn(tmp_path / "empty.ptrn", "scatter", {}, None)
    assert read_ptrn(path).transmission is None
    with pytest.raises(TransmissionFileExistsError):
        write_ptrn(path, "scatter", {"x": 1}, None)
    write_ptrn(path, "scatter", {"x": 1}, None, overwrite=True)
    assert read_ptrn(path).state == {"x": 1}


def test_bad_state_arrays_and_names_are_refused(tmp_path):
    with pytest.raises(ParameterError, match="JSON"):
        write_ptrn(tmp_path / "a.ptrn", "heatmap", {"f": object()}, None)
    with pytest.raises(ParameterError, match="numeric"):
        write_ptrn(tmp_path / "a.ptrn", "heatmap", {}, None, arrays={"s": np.array(["x"])})
    with pytest.raises(ParameterError, match=".ptrn"):
        write_ptrn(tmp_path / "a.png", "heatmap", {}, None)
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_foreign_newer_and_damaged_files_are_refused(tmp_path):
    path = write_ptrn(tmp_path / "p.ptrn", "heatmap", {}, transmission())
    with h5py.File(path, "r+") as f:
        f.attrs["format_version"] = PTRN_FORMAT_VERSION + 1
    for read in (read_ptrn, read_ptrn_kind):
        with pytest.raises(FormatVersionError, match="newer"):
            read(path)
    with h5py.File(path, "r+") as f:
        f.attrs["format_version"] = PTRN_FORMAT_VERSION
        f.attrs["state"] = json.dumps([1, 2])
    with pytest.raises(FormatVersionError, match="state"):
        read_ptrn(path)
    with h5py.File(path, "r+") as f:
        f.attrs["state"] = "{not json"
    with pytest.raises(FormatVersionError, match="damaged"):
        read_ptrn(path)
    other = tmp_path / "other.ptrn"
    with h5py.File(other, "w") as f:
        f.create_dataset("x", data=[1, 2])
    with pytest.raises(FormatVersionError, match="not a Mesmerize saved plot"):
        read_ptrn(other)
    text = tmp_path / "text.ptrn"
    text.write_bytes(b"\x80\x04pickle")
    with pytest.raises(FormatVersionError, match="not an HDF5"):
        read_ptrn(text)
    with pytest.raises(FileNotFoundError):
        read_ptrn(tmp_path / "missing.ptrn")
