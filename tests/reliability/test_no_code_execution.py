"""No Mesmerize loader ever unpickles: files carrying pickle payloads are refused, never run.

The payload is a pickle whose ``__reduce__`` creates a marker file. It is planted wherever a
naive loader might unpickle: the whole file, npz object arrays, HDF5 opaque/bytes datasets and
attributes, a pandas HDFStore (the original Mesmerize format), and JSON strings. Every case
asserts that the marker was never created; cases where the payload replaces content the loader
must read also assert the documented MesmerizeError. A newer ``format_version`` in each of our
formats must raise FormatVersionError.
"""
from __future__ import annotations

import base64
import io
import json
import pickle
import warnings
from pathlib import Path

import h5py
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from mesmerize.core.errors import FormatVersionError, MesmerizeError

from .formats import FORMATS


class Payload:
    """Unpickling this creates ``marker`` (a stand-in for arbitrary code execution)."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def payload_bytes(marker: Path) -> bytes:
    return pickle.dumps(Payload(marker), protocol=pickle.HIGHEST_PROTOCOL)


def object_array(marker: Path) -> np.ndarray:
    arr = np.empty(2, dtype=object)
    arr[0], arr[1] = Payload(marker), Payload(marker)
    return arr


@pytest.fixture
def case(tmp_path):
    """``(make(name) -> (target, work_dir), marker)``: a fresh valid file set per format."""
    marker = tmp_path / "PWNED"

    def make(name: str) -> Path:
        work = tmp_path / name
        work.mkdir()
        return FORMATS[name].make(work)

    yield make, marker
    assert not marker.exists(), "a pickle payload was executed while loading"


def load(name: str, target: Path) -> object:
    return FORMATS[name].load(target)


def refused(name: str, target: Path, error: type = MesmerizeError) -> MesmerizeError:
    with pytest.raises(MesmerizeError) as info:
        load(name, target)
    assert isinstance(info.value, error), f"{name}: expected {error.__name__}, got {info.value!r}"
    return info.value


ALL = sorted(FORMATS)
OURS = sorted(n for n in FORMATS if n not in ("tiff", "imagej_zip", "meta_json"))
JSON = sorted(n for n, f in FORMATS.items() if f.kind == "json")
NPZ = sorted(n for n, f in FORMATS.items() if f.kind == "npz")

#: loaders that do not yet refuse every pickle-carrying file with a MesmerizeError (they still
#: never unpickle: the marker check runs for these too). See the helper report / issue 12.
KNOWN_BUGS = {
}


def _cases(test: str, names: list[str]) -> list:
    return [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[(test, n)]))
            if (test, n) in KNOWN_BUGS else n for n in names]


@pytest.mark.parametrize("name", _cases("whole_file", ALL))
def test_whole_file_is_a_pickle(case, name):
    make, marker = case
    target = make(name)
    target.write_bytes(payload_bytes(marker))
    refused(name, target)


@pytest.mark.parametrize("name", _cases("npz_member", NPZ))
def test_pickled_object_array_in_every_npz_member(case, name):
    make, marker = case
    target = make(name)
    with np.load(target, allow_pickle=False) as z:
        valid = {k: z[k] for k in z.files}
    for key in valid:
        arrays = dict(valid, **{key: object_array(marker)})
        buf = io.BytesIO()
        np.savez(buf, **arrays)
        target.write_bytes(buf.getvalue())
        refused(name, target)


@pytest.mark.parametrize("name", _cases("npz_extra", NPZ))
def test_pickled_extra_npz_member_is_never_loaded(case, name):
    make, marker = case
    target = make(name)
    with np.load(target, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    buf = io.BytesIO()
    np.savez(buf, **arrays, zz_payload=object_array(marker))
    target.write_bytes(buf.getvalue())
    try:
        load(name, target)
    except MesmerizeError:
        pass


def _pickle_strings(marker: Path) -> list[str]:
    raw = payload_bytes(marker)
    return [raw.decode("latin-1"), base64.b64encode(raw).decode(), raw.hex()]


def _replace_strings(doc: object, text: str) -> object:
    if isinstance(doc, dict):
        return {k: _replace_strings(v, text) for k, v in doc.items()}
    if isinstance(doc, list):
        return [_replace_strings(v, text) for v in doc]
    return text if isinstance(doc, str) else doc


@pytest.mark.parametrize("name", JSON)
def test_pickle_text_in_json_strings(case, name):
    make, marker = case
    target = make(name)
    doc = json.loads(target.read_text(encoding="utf-8"))
    for text in _pickle_strings(marker):
        target.write_text(json.dumps(_replace_strings(doc, text)), encoding="utf-8")
        try:
            load(name, target)
        except MesmerizeError:
            pass
        extra = dict(doc, payload=text, pickle=text) if isinstance(doc, dict) else doc
        target.write_text(json.dumps(extra), encoding="utf-8")
        try:
            load(name, target)
        except MesmerizeError:
            pass


def test_trn_opaque_and_bytes_payloads(case):
    make, marker = case
    target = make("trn")
    valid = target.read_bytes()
    raw = payload_bytes(marker)
    plantings = [
        lambda f: f.create_dataset("pickle", data=np.void(raw)),
        lambda f: f.attrs.__setitem__("history", np.void(raw)),
        lambda f: f.attrs.__setitem__("info", np.frombuffer(raw, dtype=np.uint8)),
        lambda f: f.attrs.__setitem__("history", base64.b64encode(raw).decode()),
    ]
    for i, plant in enumerate(plantings):
        target.write_bytes(valid)
        with h5py.File(target, "r+") as f:
            plant(f)
        if i == 0:
            load("trn", target)  # an unknown dataset at the root is ignored, never unpickled
        else:
            refused("trn", target, FormatVersionError)
    for column_dataset in ("df/c1/values", "df/c2/values"):  # json and string columns
        _plant_opaque_column(target, valid, column_dataset, raw)
        refused("trn", target)


def _plant_opaque_column(target: Path, valid: bytes, column_dataset: str, raw: bytes) -> None:
    target.write_bytes(valid)
    with h5py.File(target, "r+") as f:
        n = f[column_dataset].shape[0]
        del f[column_dataset]
        f.create_dataset(column_dataset, data=np.array([np.void(raw)] * n))


def test_trn_opaque_array_column_is_refused(case):
    make, marker = case
    target = make("trn")
    _plant_opaque_column(target, target.read_bytes(), "df/c0/values", payload_bytes(marker))
    refused("trn", target)


def test_pandas_hdfstore_with_pickled_objects(case):
    """The original Mesmerize wrote .trn / root.dfr as pandas HDFStores (pickled objects)."""
    make, marker = case
    df = pd.DataFrame({"curve": [Payload(marker), Payload(marker)], "n": [1, 2]})
    for name in ("trn", "root_dfr"):
        target = make(name)
        target.unlink()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            df.to_hdf(target, key="trans" if name == "trn" else "df", format="fixed")
        refused(name, target)


def test_root_dfr_parquet_with_pickled_bytes_column(case):
    make, marker = case
    target = make("root_dfr")
    table = pq.read_table(target)
    raw = payload_bytes(marker)
    column = pa.array([raw] * table.num_rows, type=pa.binary())
    table = table.append_column("ROI_State_pickle", column)
    pq.write_table(table, target)
    df = load("root_dfr", target)
    assert all(isinstance(v, bytes) for v in df["ROI_State_pickle"])


def _bump_version_json(target: Path) -> None:
    doc = json.loads(target.read_text(encoding="utf-8"))
    doc["format_version"] = doc["format_version"] + 1
    target.write_text(json.dumps(doc), encoding="utf-8")


def _bump_version_npz(target: Path) -> None:
    with np.load(target, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["format_version"] = np.array(int(arrays["format_version"]) + 1)
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    target.write_bytes(buf.getvalue())


def _bump_version_trn(target: Path) -> None:
    with h5py.File(target, "r+") as f:
        f.attrs["format_version"] = int(f.attrs["format_version"]) + 1


def _bump_version_parquet(target: Path) -> None:
    table = pq.read_table(target)
    meta = dict(table.schema.metadata)
    version = json.loads(meta[b"mesmerize"])["format_version"]
    meta[b"mesmerize"] = json.dumps({"format_version": version + 1}).encode()
    pq.write_table(table.replace_schema_metadata(meta), target)


BUMPS = {
    "project_config": _bump_version_json, "sample_info": _bump_version_json,
    "fc": _bump_version_json, "batch_table": _bump_version_json,
    "system_config": _bump_version_json, "mc_result_json": _bump_version_json,
    "cnmf_result_json": _bump_version_json, "curves_npz": _bump_version_npz,
    "cnmf_data_npz": _bump_version_npz, "trn": _bump_version_trn,
    "root_dfr": _bump_version_parquet,
}


def test_every_own_format_has_a_version_bump():
    assert set(BUMPS) == set(OURS) - {"mc_result_npz", "cnmf_result_npz"}


@pytest.mark.parametrize("name", sorted(BUMPS))
def test_newer_format_version_is_refused(case, name):
    make, _ = case
    target = make(name)
    load(name, target)
    BUMPS[name](target)
    refused(name, target, FormatVersionError)
