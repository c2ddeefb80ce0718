"""The restricted .npy reader: numpy arrays, scalars, dicts and lists load; nothing else runs."""
from __future__ import annotations

import io
import os
import pickle
import subprocess

import numpy as np
import pytest
from numpy.lib import format as npy_format

from mesmerize.core.errors import ROIError
from mesmerize.core.interop.safe_pickle import UnsafePickleError, read_npy, restricted_loads

try:
    from numpy._core import multiarray
except ImportError:  # numpy < 2
    from numpy.core import multiarray


class SystemCall:
    """Unpickling this would run ``os.system(command)``."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


class Popen:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return subprocess.Popen, (["sh", "-c", self.command],)


class Reconstruct:
    """``_reconstruct`` with arguments numpy never writes."""

    def __init__(self, *args) -> None:
        self.args = args

    def __reduce__(self):
        return multiarray._reconstruct, self.args


class DtypeOf:
    def __init__(self, spec) -> None:
        self.spec = spec

    def __reduce__(self):
        return np.dtype, (self.spec,)


def _save_object_array(path, items, shape=None) -> None:
    array = np.empty(len(items), dtype=object)
    array[:] = items
    np.save(path, array if shape is None else array.reshape(shape), allow_pickle=True)


def test_suite2p_like_stat_and_ops_round_trip(tmp_path):
    cells = [
        {"ypix": np.array([1, 2, 3], dtype=np.int32), "xpix": np.array([4, 5, 6], np.int32),
         "lam": np.array([0.5, 1.0, 0.25], dtype=np.float32), "med": [2, 5], "npix": 3,
         "radius": np.float64(2.5), "overlap": np.zeros(3, dtype=bool), "skew": np.float32(1.5),
         "neuropil_mask": np.arange(10, dtype=np.int64), "inmerge": 0, "footprint": 1.0},
        {"ypix": np.array([7], np.int32), "xpix": np.array([8], np.int32),
         "lam": np.array([2.0], np.float32), "med": (7, 8), "npix": 1, "nested": {"a": [1, {}]},
         "flag": np.bool_(True), "name": "cell", "none": None, "complex_shape": np.ones((2, 3))},
    ]
    path = tmp_path / "stat.npy"
    _save_object_array(path, cells)
    loaded = read_npy(path)
    assert loaded.dtype == object and loaded.shape == (2,)
    for got, want in zip(loaded, cells):
        assert set(got) == set(want)
        for key, value in want.items():
            if isinstance(value, np.ndarray):
                np.testing.assert_array_equal(got[key], value)
                assert got[key].dtype == value.dtype
            else:
                assert got[key] == value
                assert type(got[key]) is type(value)

    ops = {"Ly": 10, "Lx": 12, "fs": 30.0, "meanImg": np.random.default_rng(0).random((10, 12)),
           "tau": np.float64(1.25), "nframes": np.int64(500), "save_path": "/data/suite2p",
           "filelist": ["a.tif", "b.tif"], "yrange": np.array([0, 10])}
    np.save(tmp_path / "ops.npy", ops, allow_pickle=True)
    loaded_ops = read_npy(tmp_path / "ops.npy")
    assert loaded_ops.shape == () and loaded_ops.dtype == object
    got = loaded_ops.item()
    np.testing.assert_array_equal(got["meanImg"], ops["meanImg"])
    assert got["tau"] == np.float64(1.25) and isinstance(got["tau"], np.float64)
    assert got["filelist"] == ["a.tif", "b.tif"] and got["save_path"] == "/data/suite2p"


def test_numeric_npy_is_read_without_pickle(tmp_path):
    array = np.arange(12, dtype=np.float32).reshape(3, 4)
    np.save(tmp_path / "F.npy", array)
    np.testing.assert_array_equal(read_npy(tmp_path / "F.npy"), array)
    np.save(tmp_path / "fortran.npy", np.asfortranarray(array))
    np.testing.assert_array_equal(read_npy(tmp_path / "fortran.npy"), array)


@pytest.mark.parametrize("payload", [SystemCall, Popen])
def test_code_execution_payload_is_refused_without_running(tmp_path, payload):
    marker = tmp_path / "pwned"
    path = tmp_path / "stat.npy"
    cells = [{"ypix": np.array([1]), "xpix": np.array([1]), "lam": np.array([1.0])},
             payload(f"touch {marker}")]
    _save_object_array(path, cells)
    name = payload.__reduce__(payload("x"))[0]
    with pytest.raises(UnsafePickleError, match="refuses to load") as info:
        read_npy(path)
    assert f"{name.__module__}.{name.__name__}" in str(info.value) or "posix.system" in str(info.value)
    assert str(path) in str(info.value)
    assert not marker.exists()


def test_payload_as_whole_ops_file_is_refused(tmp_path):
    marker = tmp_path / "pwned"
    np.save(tmp_path / "ops.npy", np.array(SystemCall(f"touch {marker}"), dtype=object),
            allow_pickle=True)
    with pytest.raises(UnsafePickleError):
        read_npy(tmp_path / "ops.npy")
    assert not marker.exists()


@pytest.mark.parametrize("spec", [
    (dict, (0,), b"b"),              # reconstructing something other than an ndarray
    (np.ndarray, (10**12,), b"b"),   # an allocation numpy never asks for
    (np.ndarray, (0,), 5),           # a bogus type code
])
def test_reconstruct_with_foreign_arguments_is_refused(spec):
    with pytest.raises(UnsafePickleError, match="refused"):
        restricted_loads(pickle.dumps(Reconstruct(*spec), protocol=4))


class CallNdarray:
    def __reduce__(self):
        return np.ndarray, ((10**6, 10**6),)


def test_ndarray_is_not_callable_from_a_stream():
    with pytest.raises(UnsafePickleError, match="damaged or malformed"):
        restricted_loads(pickle.dumps(CallNdarray(), protocol=4))


def test_dtype_from_non_text_is_refused():
    with pytest.raises(UnsafePickleError, match="dtype"):
        restricted_loads(pickle.dumps(DtypeOf(dict), protocol=4))


def test_other_builtins_and_persistent_ids_are_refused():
    with pytest.raises(UnsafePickleError, match=r"builtin__\.set"):
        restricted_loads(pickle.dumps({1, 2}, protocol=2))
    with pytest.raises(UnsafePickleError, match="builtins.eval"):
        restricted_loads(b"cbuiltins\neval\n(S'1+1'\ntR.")

    class WithPid(pickle.Pickler):
        def persistent_id(self, obj):
            return "ext" if isinstance(obj, str) else None

    buffer = io.BytesIO()
    WithPid(buffer, protocol=4).dump(["x"])
    with pytest.raises(UnsafePickleError, match="persistent"):
        restricted_loads(buffer.getvalue())


def test_old_protocol_and_numpy_1_module_names_load():
    array = np.array([{"a": np.arange(3)}], dtype=object)
    for protocol in (2, 3, 4, 5):
        data = pickle.dumps(array, protocol=protocol)
        # files written by numpy 1.x name numpy.core.multiarray (protocols 2-3 name globals in
        # plain text lines, so the stream can be edited)
        legacy = data.replace(b"cnumpy._core.multiarray\n", b"cnumpy.core.multiarray\n")
        assert (legacy != data) == (protocol < 4)
        for stream in (data, legacy):
            loaded = restricted_loads(stream)
            np.testing.assert_array_equal(loaded[0]["a"], np.arange(3))


def test_protocol_5_numeric_arrays_load():
    arrays = {"c": np.arange(12.0).reshape(3, 4), "f": np.asfortranarray(np.ones((2, 3))),
              "t": np.arange(24).reshape(2, 3, 4).transpose(2, 0, 1)}
    loaded = restricted_loads(pickle.dumps(arrays, protocol=5))
    for key, value in arrays.items():
        np.testing.assert_array_equal(loaded[key], value)


def test_damaged_files(tmp_path):
    path = tmp_path / "stat.npy"
    _save_object_array(path, [{"a": np.arange(100)}])
    raw = path.read_bytes()
    (tmp_path / "cut.npy").write_bytes(raw[:-40])
    with pytest.raises(UnsafePickleError, match="damaged"):
        read_npy(tmp_path / "cut.npy")
    (tmp_path / "text.npy").write_text("not numpy at all")
    with pytest.raises(UnsafePickleError, match="not a readable .npy"):
        read_npy(tmp_path / "text.npy")
    with pytest.raises(ROIError, match="missing"):
        read_npy(tmp_path / "absent.npy", error=ROIError)


def test_pickled_data_must_match_the_header(tmp_path):
    path = tmp_path / "stat.npy"
    with open(path, "wb") as fh:
        npy_format.write_array_header_1_0(
            fh, {"descr": "|O", "fortran_order": False, "shape": (2,)})
        pickle.dump(np.array([{"a": 1}, {"b": 2}, {"c": 3}], dtype=object), fh, protocol=4)
    with pytest.raises(UnsafePickleError, match="does not match its .npy header"):
        read_npy(path)
    with open(path, "wb") as fh:
        npy_format.write_array_header_1_0(
            fh, {"descr": "|O", "fortran_order": False, "shape": (1,)})
        pickle.dump([{"a": 1}], fh, protocol=4)
    with pytest.raises(UnsafePickleError, match="does not match"):
        read_npy(path)
