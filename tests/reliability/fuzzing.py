"""Mutations of valid files and the check that a loader answers only with MesmerizeError."""
from __future__ import annotations

import io
import json
import shutil
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

import h5py
import numpy as np
from hypothesis import strategies as st

from mesmerize.core.errors import MesmerizeError

from .formats import Format

#: outcome counts per format: "loaded", "refused", and the names of unexpected exceptions.
OUTCOMES: dict[str, Counter] = {}

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70),
                         st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12))
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=12)

#: byte-level damage to a valid file: (kind, position fraction, payload)
byte_mutations = st.one_of(
    st.tuples(st.just("truncate"), st.floats(0, 1), st.just(b"")),
    st.tuples(st.just("flip"), st.floats(0, 1), st.binary(min_size=1, max_size=16)),
    st.tuples(st.just("insert"), st.floats(0, 1), st.binary(min_size=1, max_size=32)),
    st.tuples(st.just("huge"), st.floats(0, 1), st.sampled_from(
        [b"\xff" * 8, b"\x7f\xff\xff\xff", b"\x00\x00\x00\x80", b"99999999999999999999"])),
    st.tuples(st.just("garbage"), st.just(0.0), st.binary(max_size=256)),
)


def mutate_bytes(data: bytes, mutation: tuple) -> bytes:
    """Apply one ``byte_mutations`` draw to ``data``."""
    kind, where, payload = mutation
    pos = min(int(where * len(data)), max(len(data) - 1, 0))
    if kind == "truncate":
        return data[:pos]
    if kind == "flip":
        flipped = bytes(b ^ (p or 0xFF) for b, p in zip(data[pos:pos + len(payload)], payload))
        return data[:pos] + flipped + data[pos + len(flipped):]
    if kind == "insert":
        return data[:pos] + payload + data[pos:]
    if kind == "huge":
        return data[:pos] + payload + data[pos + len(payload):]
    return payload


def json_mutate(doc: object, path: list, action: str, value: object) -> object:
    """Replace (``set``) or delete (``del``) the node of ``doc`` reached by ``path`` indices."""
    if not path or not isinstance(doc, (dict, list)) or not doc:
        return value if action == "set" else doc
    keys = list(doc) if isinstance(doc, dict) else list(range(len(doc)))
    key = keys[path[0] % len(keys)]
    out = dict(doc) if isinstance(doc, dict) else list(doc)
    if len(path) == 1:
        if action == "del":
            del out[key]
        else:
            out[key] = value
    else:
        out[key] = json_mutate(out[key], path[1:], action, value)
    return out


def fuzz_arrays() -> st.SearchStrategy:
    """Arrays of the wrong dtype/shape, including text and 0-d, but never object (pickle)."""
    return st.one_of(
        st.sampled_from([np.array(7), np.array(-1), np.array(2**40), np.array(1.5),
                         np.array("x"), np.array([b"ab", b"c"]), np.zeros((0,)),
                         np.zeros((0, 3)), np.array([True, False]), np.array([np.nan, np.inf]),
                         np.full(3, -5, dtype=np.int64), np.full(3, 2**62, dtype=np.int64),
                         np.ones((2, 2, 2), dtype=np.float32), np.array([1 + 2j]),
                         np.zeros(4, dtype=np.uint8)]),
        st.integers(0, 30).map(lambda n: np.arange(n, dtype=np.int32)),
    )


def npz_mutate(data: bytes, drop: int | None, replace: int | None, new: np.ndarray,
               extra: np.ndarray | None) -> bytes:
    """Rebuild an npz dropping / replacing one member and optionally adding a stray one."""
    with np.load(io.BytesIO(data), allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    keys = sorted(arrays)
    if drop is not None and keys:
        arrays.pop(keys[drop % len(keys)], None)
    if replace is not None and keys:
        arrays[keys[replace % len(keys)]] = new
    if extra is not None:
        arrays["zz_extra"] = extra
    buf = io.BytesIO()
    np.savez(buf, **arrays)
    return buf.getvalue()


def huge_npy_header(name: str, template: bytes) -> bytes:
    """An npz whose member ``name`` declares an absurd shape with almost no data behind it."""
    header = ("{'descr': '<f8', 'fortran_order': False, 'shape': (4000000000, 4000000000), }"
              .ljust(117) + "\n").encode()
    npy = b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + b"\0" * 64
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(template)) as src, zipfile.ZipFile(buf, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, npy if info.filename == name + ".npy" else src.read(info))
    return buf.getvalue()


def hdf5_mutate(path: Path, target_index: int, attr_value: object, array: np.ndarray,
                action: str) -> None:
    """Damage an HDF5 file structurally: replace/delete a dataset, group or attribute."""
    with h5py.File(path, "r+") as f:
        items: list[str] = []
        f.visit(items.append)
        attrs = [("", k) for k in f.attrs] + [
            (n, k) for n in items for k in f[n].attrs]
        if action == "attr" and attrs:
            owner, key = attrs[target_index % len(attrs)]
            node = f[owner] if owner else f
            if attr_value is None:
                del node.attrs[key]
            else:
                node.attrs[key] = attr_value
        elif items:
            name = items[target_index % len(items)]
            del f[name]
            if action == "replace":  # HDF5 stores text as bytes, not numpy's UTF-32 ('U')
                f.create_dataset(name, data=array.astype("S") if array.dtype.kind == "U" else array)


class Sandbox:
    """A fresh copy of a format's valid file set, in its own temporary directory."""

    def __init__(self, fmt: Format) -> None:
        self.fmt = fmt
        self._master = Path(tempfile.mkdtemp(prefix=f"mesm_fuzz_{fmt.name}_"))
        self._target_name = fmt.make(self._master).name
        self.valid_bytes = (self._master / self._target_name).read_bytes()

    def copy(self) -> tuple[Path, Path]:
        work = Path(tempfile.mkdtemp(prefix="mesm_fuzz_case_"))
        shutil.copytree(self._master, work, dirs_exist_ok=True)
        return work, work / self._target_name

    def close(self) -> None:
        shutil.rmtree(self._master, ignore_errors=True)


def check_load(fmt: Format, work: Path, target: Path) -> None:
    """Load ``target``; only MesmerizeError (or success) is allowed. Counts the outcome."""
    counts = OUTCOMES.setdefault(fmt.name, Counter())
    try:
        fmt.load(target)
    except MesmerizeError:
        counts["refused"] += 1
    except Exception as exc:
        counts[f"BUG {type(exc).__name__}"] += 1
        raise AssertionError(
            f"{fmt.name}: loader raised {type(exc).__name__} (not a MesmerizeError): {exc!r}"
        ) from exc
    else:
        counts["loaded"] += 1
    finally:
        shutil.rmtree(work, ignore_errors=True)


#: values an HDF5 attribute can hold: numbers, text (no NUL), JSON text of random structures.
hdf5_attr_values = st.one_of(
    st.integers(-2**63, 2**63 - 1), st.floats(), st.booleans(),
    st.text(alphabet=st.characters(blacklist_characters="\x00"), max_size=16),
    json_values.map(json.dumps))
