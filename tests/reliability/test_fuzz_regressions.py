"""Regression and targeted fuzz tests for the loader/parameter bugs the reliability fuzzing found.

1. ``read_dataframe_file`` raised ``UnicodeDecodeError`` / ``KeyError`` when the pandas schema
   metadata of ``root.dfr`` was damaged; it must answer ``ProjectError`` (or
   ``FormatVersionError`` for a damaged Mesmerize version field).
2. ``Transmission.from_hdf5`` raised ``TypeError`` when the ``info`` attribute of a ``.trn`` held
   unknown keys or values of the wrong type (and ``AttributeError``/``TypeError`` for a damaged
   ``history``); it must answer ``FormatVersionError``.
3. ``MotionCorrectionParams(output_bit_depth=<array>)`` raised numpy's "truth value of an array
   is ambiguous" ``ValueError``; it must answer ``ParameterError`` and otherwise normalise the
   depth to ``None``, ``8`` or ``16`` (int).
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import FormatVersionError, ParameterError, ProjectError
from mesmerize.core.project.dataframe_store import read_dataframe_file, write_dataframe_file
from mesmerize.engines.motion_correction.params import MotionCorrectionParams

from .fuzzing import fuzz_arrays, json_mutate, json_values

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture])

OUTCOMES: dict[str, Counter] = {}


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    print("\nregression fuzz outcomes:")
    for name in sorted(OUTCOMES):
        print(f"  {name}: {dict(OUTCOMES[name])}")


def _expect(name: str, call, allowed: tuple[type[Exception], ...]) -> object:
    """Run ``call``; success or an ``allowed`` error pass (and are counted), anything else fails."""
    counts = OUTCOMES.setdefault(name, Counter())
    try:
        out = call()
    except allowed as exc:
        counts["refused"] += 1
        assert str(exc), f"{name}: {type(exc).__name__} without a message"
        return exc
    except Exception as exc:
        counts[f"BUG {type(exc).__name__}"] += 1
        raise AssertionError(f"{name}: raised {type(exc).__name__}: {exc!r}") from exc
    counts["loaded"] += 1
    return out


# --- 1. root.dfr with damaged Parquet schema metadata -------------------------------------------

def _valid_dfr(path: Path) -> pa.Table:
    write_dataframe_file(path, pd.DataFrame({"SampleID": ["a-_-1", "b-_-2"],
                                             "n": [1.5, 2.5], "k": [1, 2]}))
    return pq.read_table(path)


def _with_metadata(table: pa.Table, path: Path, updates: dict[bytes, bytes | None]) -> None:
    meta = dict(table.schema.metadata)
    for key, value in updates.items():
        if value is None:
            meta.pop(key, None)
        else:
            meta[key] = value
    pq.write_table(table.replace_schema_metadata(meta), path)


@pytest.mark.parametrize("pandas_meta", [b"\xff\xfe", b"{", b"[]", b'{"index_columns": 5}',
                                         b'{"columns": 7}', b'{"columns": [{"x": 1}]}'])
def test_damaged_pandas_metadata_is_a_project_error(tmp_path, pandas_meta):
    path = tmp_path / "root.dfr"
    _with_metadata(_valid_dfr(path), path, {b"pandas": pandas_meta})
    result = _expect("root.dfr pandas metadata (regression)", lambda: read_dataframe_file(path),
                     (ProjectError, FormatVersionError))
    if isinstance(result, ProjectError):
        assert str(path) in str(result) and "backup" in str(result)


def test_undecodable_mesmerize_metadata_is_a_format_version_error(tmp_path):
    path = tmp_path / "root.dfr"
    _with_metadata(_valid_dfr(path), path, {b"mesmerize": b"\xff\x00\xfe"})
    with pytest.raises(FormatVersionError, match="no Mesmerize format_version"):
        read_dataframe_file(path)


@pytest.mark.timeout(60)
@FUZZ
@given(key=st.sampled_from([b"pandas", b"mesmerize", b"ARROW:schema"]),
       how=st.sampled_from(["bytes", "json", "mutate", "drop"]),
       raw=st.binary(max_size=64), value=json_values,
       where=st.lists(st.integers(0, 40), max_size=4), action=st.sampled_from(["set", "del"]))
def test_fuzz_dataframe_schema_metadata(tmp_path_factory, key, how, raw, value, where, action):
    path = tmp_path_factory.mktemp("dfr") / "root.dfr"
    table = _valid_dfr(path)
    original = (table.schema.metadata or {}).get(key)
    if how == "bytes":
        new = raw
    elif how == "json":
        new = json.dumps(value).encode()
    elif how == "mutate" and original is not None:
        new = json.dumps(json_mutate(json.loads(original), where, action, value)).encode()
    else:
        new = None
    _with_metadata(table, path, {key: new})
    _expect("root.dfr schema metadata (fuzz)", lambda: read_dataframe_file(path),
            (ProjectError, FormatVersionError))


# --- 2. .trn with damaged info / history attributes ---------------------------------------------

@pytest.fixture(scope="module")
def trn_master(tmp_path_factory) -> bytes:
    path = tmp_path_factory.mktemp("trn") / "t.trn"
    df = pd.DataFrame({"_RAW_CURVE": [np.arange(5.0), np.ones(5)], "label": ["a", "b"]})
    Transmission.from_dataframe(df, roi_type_columns=["cell"]).to_hdf5(path)
    return path.read_bytes()


def _trn_with(tmp_path: Path, master: bytes, attr: str, text: str) -> Path:
    path = tmp_path / "t.trn"
    path.write_bytes(master)
    with h5py.File(path, "r+") as f:
        f.attrs[attr] = text
    return path


@pytest.mark.parametrize("info", [{"bogus": 1}, {"roi_type_columns": 5},
                                  {"custom_columns": [1, 2]}, {"proj_path": 5},
                                  {"last_output": ["x"]}, {"last_unit": {"a": 1}}])
def test_damaged_trn_info_is_a_format_version_error(tmp_path, trn_master, info):
    path = _trn_with(tmp_path, trn_master, "info", json.dumps(info))
    with pytest.raises(FormatVersionError, match="info attribute is damaged") as err:
        Transmission.from_hdf5(path)
    assert str(path) in str(err.value)


@pytest.mark.parametrize("history", [{"history": 5, "data_blocks": []},
                                     {"history": {}, "data_blocks": 5},
                                     {"history": {}, "data_blocks": ["not-a-uuid"]},
                                     {"history": {}, "data_blocks": [3]},
                                     {"data_blocks": []}])
def test_damaged_trn_history_is_a_format_version_error(tmp_path, trn_master, history):
    path = _trn_with(tmp_path, trn_master, "history", json.dumps(history))
    with pytest.raises(FormatVersionError, match="history attribute is damaged"):
        Transmission.from_hdf5(path)


def test_valid_trn_info_still_loads(tmp_path, trn_master):
    path = tmp_path / "t.trn"
    path.write_bytes(trn_master)
    t = Transmission.from_hdf5(path)
    assert t.roi_type_columns == ["cell"] and t.last_output == "_RAW_CURVE"


@pytest.mark.timeout(60)
@pytest.mark.parametrize("attr", ["info", "history"])
@FUZZ
@given(value=json_values, where=st.lists(st.integers(0, 40), max_size=4),
       action=st.sampled_from(["set", "del"]), whole=st.booleans())
def test_fuzz_trn_info_and_history(tmp_path_factory, trn_master, attr, value, where, action,
                                   whole):
    work = tmp_path_factory.mktemp("trn_case")
    with h5py.File(_trn_with(work, trn_master, "kind", "mesmerize-transmission"), "r") as f:
        original = json.loads(f.attrs[attr])
    doc = value if whole else json_mutate(original, where, action, value)
    path = _trn_with(work, trn_master, attr, json.dumps(doc))
    _expect(f".trn {attr} attribute (fuzz)", lambda: Transmission.from_hdf5(path),
            (FormatVersionError,))


# --- 3. output_bit_depth given arrays and other non-scalars -------------------------------------

@pytest.mark.parametrize("depth", [np.array([8, 16]), np.zeros((2, 2)), np.array(8),
                                   np.array([8]), [8], (16,), {"a": 1}, 8.5, True, "32",
                                   complex(8, 0)])
def test_output_bit_depth_refuses_non_scalars(depth):
    with pytest.raises(ParameterError, match="output_bit_depth"):
        MotionCorrectionParams(output_bit_depth=depth)


@pytest.mark.parametrize("depth, expected", [(None, None), ("Do not convert", None), ("8", 8),
                                             (16, 16), (np.int64(8), 8), (16.0, 16),
                                             (np.float32(8.0), 8)])
def test_output_bit_depth_accepts_and_normalises(depth, expected):
    params = MotionCorrectionParams(output_bit_depth=depth)
    assert params.output_bit_depth == expected
    assert params.output_bit_depth is None or type(params.output_bit_depth) is int
    assert MotionCorrectionParams.from_dict(params.to_dict()) == params


@pytest.mark.timeout(60)
@FUZZ
@given(depth=st.one_of(fuzz_arrays(), json_values, st.integers(-2**70, 2**70),
                       st.floats(), st.just(object()),
                       st.sampled_from([8, 16, "8", "16", "Do not convert", None, 16.0,
                                        np.uint8(8), np.float64(16.0)])))
def test_fuzz_output_bit_depth(depth):
    out = _expect("output_bit_depth (fuzz)",
                  lambda: MotionCorrectionParams(output_bit_depth=depth), (ParameterError,))
    if isinstance(out, MotionCorrectionParams):
        assert out.output_bit_depth in (None, 8, 16)
        assert MotionCorrectionParams.from_dict(out.to_dict()) == out
