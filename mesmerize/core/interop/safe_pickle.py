"""Reading ``.npy`` files of other tools without running their code.

suite2p stores ``stat.npy`` (an object array of dicts) and ``ops.npy`` (a dict in a 0-d object
array) with ``np.save``, i.e. as a pickle stream after the ``.npy`` header. ``np.load(...,
allow_pickle=True)`` would run whatever a crafted file asks for. :func:`read_npy` parses the
header itself and unpickles with :class:`RestrictedUnpickler`, which resolves only the names
numpy needs to rebuild arrays (``_reconstruct``, ``scalar``, ``_frombuffer``, ``ndarray``,
``dtype``), ``dict`` / ``list`` and the latin1 ``_codecs.encode`` of old pickle protocols; each
of those is wrapped so its arguments are checked before the real function runs. Anything else
raises :class:`UnsafePickleError` before it is imported or called. Plain numeric ``.npy``
files go through ``np.load(..., allow_pickle=False)``.
"""
from __future__ import annotations

import io
import os
import pickle
from pathlib import Path
from typing import Any, Callable, Union

import numpy as np
from numpy.lib import format as npy_format

from mesmerize.core.errors import MesmerizeError

PathLike = Union[str, os.PathLike]

_NUMPY_MULTIARRAY = ("numpy.core.multiarray", "numpy._core.multiarray")


class UnsafePickleError(MesmerizeError, ValueError):
    """A pickle stream asks for something other than numpy arrays, dicts and lists."""


def _check_dtype(value: object, what: str) -> np.dtype:
    if not isinstance(value, np.dtype):
        raise UnsafePickleError(f"{what} needs a numpy dtype, got {type(value).__name__}")
    return value


class _NdarrayName:
    """What ``numpy.ndarray`` resolves to: a name only ``_reconstruct`` accepts, not a class a
    crafted stream could call."""


_NDARRAY = _NdarrayName()


def _reconstruct(subtype: object, shape: object, typecode: object) -> np.ndarray:
    # numpy pickles every array as _reconstruct(ndarray, (0,), b"b") followed by __setstate__
    # with the real shape and data; anything else is not an array numpy wrote.
    if subtype is not _NDARRAY:
        raise UnsafePickleError(f"array reconstruction of {subtype!r} refused; only numpy.ndarray")
    if not isinstance(shape, tuple) or any(not isinstance(s, int) or not 0 <= s <= 1 for s in shape):
        raise UnsafePickleError(f"array reconstruction with the shape {shape!r} refused")
    if not isinstance(typecode, (bytes, str)):
        raise UnsafePickleError(f"array reconstruction with the type code {typecode!r} refused")
    return np.ndarray.__new__(np.ndarray, shape, typecode)


def _scalar(dtype: object, data: object = None) -> Any:
    dtype = _check_dtype(dtype, "numpy scalar reconstruction")
    if dtype.hasobject:
        # the object was already built (and vetted) by this unpickler
        return data
    if not isinstance(data, bytes) or len(data) != dtype.itemsize:
        raise UnsafePickleError(f"numpy scalar of {dtype} with {type(data).__name__} data refused")
    return np.frombuffer(data, dtype=dtype)[0]


def _dtype(spec: object, align: object = False, copy: object = False) -> np.dtype:
    if not isinstance(spec, str):
        raise UnsafePickleError(f"numpy dtype from {type(spec).__name__} {spec!r} refused")
    try:
        return np.dtype(spec, align=bool(align), copy=bool(copy))
    except (TypeError, ValueError) as exc:
        raise UnsafePickleError(f"invalid numpy dtype {spec!r} in the pickle stream: {exc}") from exc


def _frombuffer(buffer: object, dtype: object, shape: object, order: object,
                axis_order: object = None) -> np.ndarray:
    # pickle protocol 5 stores numeric arrays as _frombuffer(bytes, dtype, shape, order[, axes])
    dtype = _check_dtype(dtype, "array from buffer")
    if dtype.hasobject or not isinstance(buffer, (bytes, bytearray, pickle.PickleBuffer)):
        raise UnsafePickleError(f"array from a {type(buffer).__name__} buffer of {dtype} refused")
    if not isinstance(shape, tuple) or any(not isinstance(s, int) or s < 0 for s in shape) \
            or order not in ("C", "F", "K"):
        raise UnsafePickleError(f"array from buffer with shape {shape!r}, order {order!r} refused")
    data = np.frombuffer(buffer, dtype=dtype)
    if data.size != int(np.prod(shape)):
        raise UnsafePickleError(f"array from buffer: {data.size} values do not fill shape {shape}")
    if order != "K":
        return data.reshape(shape, order=order).copy(order=order)
    if not isinstance(axis_order, tuple) or sorted(axis_order) != list(range(len(shape))):
        raise UnsafePickleError(f"array from buffer with axis order {axis_order!r} refused")
    return data.reshape(shape).transpose(axis_order).copy(order="K")


def _latin1_bytes(text: object, encoding: object = "utf-8") -> bytes:
    # protocol 0-2 streams store bytes (array data, type codes) as _codecs.encode(text, "latin1")
    if not isinstance(text, str) or encoding not in ("latin1", "latin-1"):
        raise UnsafePickleError(f"_codecs.encode of {type(text).__name__} with encoding "
                                f"{encoding!r} refused; only latin1 text is decoded")
    return text.encode("latin1")


# find_class sees the names as written: protocol 0-2 streams name Python 2's __builtin__
_ALLOWED: dict[tuple[str, str], Callable[..., Any] | type] = {
    **{(module, "_reconstruct"): _reconstruct for module in _NUMPY_MULTIARRAY},
    **{(module, "scalar"): _scalar for module in _NUMPY_MULTIARRAY},
    **{(module, "_frombuffer"): _frombuffer for module in ("numpy.core.numeric", "numpy._core.numeric")},
    ("numpy", "ndarray"): _NDARRAY,
    ("numpy", "dtype"): _dtype,
    **{(module, "dict"): dict for module in ("builtins", "__builtin__")},
    **{(module, "list"): list for module in ("builtins", "__builtin__")},
    ("_codecs", "encode"): _latin1_bytes,
}


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that only rebuilds numpy arrays, numpy scalars, dicts and lists."""

    def find_class(self, module: str, name: str) -> Any:
        try:
            return _ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"the pickle stream asks for {module}.{name}, which Mesmerize refuses to load: "
                "only numpy arrays, numpy scalars, dicts and lists are read from pickled files, "
                "because a pickle can run any code. If this file comes from a tool you trust, "
                "convert it to a plain format (npz/HDF5) with that tool."
            ) from None

    def persistent_load(self, pid: Any) -> Any:
        raise UnsafePickleError("the pickle stream uses persistent ids, which are refused")


def restricted_loads(data: bytes) -> Any:
    """Unpickle ``data`` with :class:`RestrictedUnpickler` (``UnsafePickleError`` if refused)."""
    try:
        return RestrictedUnpickler(io.BytesIO(data), fix_imports=True, encoding="latin1").load()
    except UnsafePickleError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError, IndexError,
            KeyError, MemoryError, OverflowError, RecursionError) as exc:
        raise UnsafePickleError(f"the pickle stream is damaged or malformed ({type(exc).__name__}: "
                                f"{exc})") from exc


def _read_header(fh: io.BufferedReader, path: Path) -> tuple[tuple[int, ...], bool, np.dtype]:
    try:
        version = npy_format.read_magic(fh)
        if version == (1, 0):
            return npy_format.read_array_header_1_0(fh)
        if version == (2, 0):
            return npy_format.read_array_header_2_0(fh)
    except (ValueError, OSError, EOFError, SyntaxError) as exc:
        raise UnsafePickleError(f"{path} is not a readable .npy file ({exc})") from exc
    raise UnsafePickleError(f"{path} is a .npy file of format version {version}, which Mesmerize "
                            "does not read; save it again with numpy's np.save")


def read_npy(path: PathLike, error: type[MesmerizeError] = UnsafePickleError) -> np.ndarray:
    """The array in the ``.npy`` file ``path``, never running code from it.

    Numeric arrays are read with ``allow_pickle=False``; object arrays (``stat.npy``, ``ops.npy``)
    with :class:`RestrictedUnpickler`. Raises :class:`UnsafePickleError` for a refused or damaged
    pickle, ``error`` (naming the file) when the file is missing or unreadable.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            shape, _fortran, dtype = _read_header(fh, path)
            if not dtype.hasobject:
                fh.seek(0)
                return np.load(fh, allow_pickle=False)
            payload = fh.read()
    except FileNotFoundError as exc:
        raise error(f"{path} is missing") from exc
    except (OSError, ValueError, EOFError) as exc:
        if isinstance(exc, UnsafePickleError):
            raise
        raise error(f"cannot read {path} as a .npy file ({type(exc).__name__}: {exc})") from exc
    try:
        array = restricted_loads(payload)
    except UnsafePickleError as exc:
        raise UnsafePickleError(f"{path}: {exc}") from None
    if not isinstance(array, np.ndarray) or array.shape != tuple(shape) or array.dtype != dtype:
        raise UnsafePickleError(
            f"{path}: the pickled data does not match its .npy header (expected {dtype} {shape}, "
            f"got {type(array).__name__} {getattr(array, 'dtype', '')} {getattr(array, 'shape', '')})"
        )
    return array
