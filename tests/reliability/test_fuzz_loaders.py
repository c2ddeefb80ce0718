"""Hypothesis fuzzing of every Mesmerize file loader with damaged and wrongly-structured files.

Each case starts from a valid file made here, damages it (bytes: truncation, flips, inserted
garbage, huge size fields, pure garbage; structure: JSON nodes replaced or deleted, npz members
dropped/replaced/given absurd declared shapes, HDF5 datasets/attributes replaced or deleted) and
loads it through Mesmerize. Allowed outcomes: the file loads, or a MesmerizeError subclass.
Anything else (another exception, a crash, a hang past the timeout) fails.
"""
from __future__ import annotations

import io
import json
import zipfile

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from .formats import FORMATS
from .fuzzing import (
    OUTCOMES,
    Sandbox,
    byte_mutations,
    check_load,
    fuzz_arrays,
    hdf5_attr_values,
    hdf5_mutate,
    huge_npy_header,
    json_mutate,
    json_values,
    mutate_bytes,
    npz_mutate,
)

FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])

#: (test, format) -> the loader bug hypothesis finds there (see the helper report / issue 12).
#: strict xfail: when the loader is fixed the case XPASSes and fails, so the entry gets removed.
KNOWN_BUGS = {
}


def _cases(test: str, names: list[str]) -> list:
    return [pytest.param(n, marks=pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[(test, n)],
                                                    raises=AssertionError))
            if (test, n) in KNOWN_BUGS else n for n in names]


ALL = sorted(FORMATS)
JSON = sorted(n for n, f in FORMATS.items() if f.kind == "json")
NPZ = sorted(n for n, f in FORMATS.items() if f.kind == "npz")
HDF5 = sorted(n for n, f in FORMATS.items() if f.kind == "hdf5")


@pytest.fixture(scope="module")
def sandboxes():
    boxes = {name: Sandbox(fmt) for name, fmt in FORMATS.items()}
    yield boxes
    for box in boxes.values():
        box.close()
    print("\nfuzz outcomes per format:")
    for name in sorted(OUTCOMES):
        print(f"  {name}: {dict(OUTCOMES[name])}")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", _cases("damaged_bytes", ALL))
@FUZZ
@given(mutation=byte_mutations)
def test_damaged_bytes(sandboxes, name, mutation):
    box = sandboxes[name]
    work, target = box.copy()
    target.write_bytes(mutate_bytes(box.valid_bytes, mutation))
    check_load(box.fmt, work, target)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", _cases("wrong_json_structure", JSON))
@FUZZ
@given(path=st.lists(st.integers(0, 50), min_size=0, max_size=4),
       action=st.sampled_from(["set", "del"]), value=json_values)
def test_wrong_json_structure(sandboxes, name, path, action, value):
    box = sandboxes[name]
    work, target = box.copy()
    doc = json.loads(box.valid_bytes)
    target.write_text(json.dumps(json_mutate(doc, path, action, value)), encoding="utf-8")
    check_load(box.fmt, work, target)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", _cases("wrong_npz_members", NPZ))
@FUZZ
@given(drop=st.none() | st.integers(0, 30), replace=st.none() | st.integers(0, 30),
       new=fuzz_arrays(), extra=st.none() | fuzz_arrays())
def test_wrong_npz_members(sandboxes, name, drop, replace, new, extra):
    box = sandboxes[name]
    work, target = box.copy()
    target.write_bytes(npz_mutate(box.valid_bytes, drop, replace, new, extra))
    check_load(box.fmt, work, target)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", _cases("huge_declared_npz_shape", NPZ))
@FUZZ
@given(member=st.integers(0, 30))
def test_huge_declared_npz_shape(sandboxes, name, member):
    box = sandboxes[name]
    with zipfile.ZipFile(io.BytesIO(box.valid_bytes)) as z:
        names = sorted(n[:-4] for n in z.namelist())
    work, target = box.copy()
    target.write_bytes(huge_npy_header(names[member % len(names)], box.valid_bytes))
    check_load(box.fmt, work, target)


@pytest.mark.timeout(60)
@pytest.mark.parametrize("name", _cases("wrong_hdf5_structure", HDF5))
@FUZZ
@given(index=st.integers(0, 60), attr_value=st.none() | hdf5_attr_values,
       array=fuzz_arrays(), action=st.sampled_from(["attr", "replace", "delete"]))
def test_wrong_hdf5_structure(sandboxes, name, index, attr_value, array, action):
    box = sandboxes[name]
    work, target = box.copy()
    hdf5_mutate(target, index, attr_value, array, action)
    check_load(box.fmt, work, target)
