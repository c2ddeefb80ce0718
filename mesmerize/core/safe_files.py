"""Reading JSON and npz files that a user may hand over damaged, answering with Mesmerize errors.

Every reader here turns what the standard library and numpy raise for a broken file
(``JSONDecodeError``, ``UnicodeDecodeError``, ``EOFError``, ``BadZipFile``, the ``ValueError`` of a
pickled or absurdly large member, ...) into the Mesmerize error class the caller names, with a
message that names the file and what is wrong. Nothing is ever unpickled.
"""
from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path
from typing import Iterable

import numpy as np

from mesmerize.core.errors import FormatVersionError, ImageLoadError, MesmerizeError

#: what reading a damaged npz / JSON file can raise besides our own errors
#: (NotImplementedError: unsupported zip version or compression; RuntimeError: encrypted member)
READ_ERRORS = (OSError, EOFError, zipfile.BadZipFile, ValueError, KeyError, TypeError,
               AttributeError, MemoryError, zipfile.LargeZipFile, NotImplementedError,
               RuntimeError, zlib.error)


def read_json_object(path: str | Path, what: str,
                     error: type[MesmerizeError] = FormatVersionError) -> dict:
    """The JSON object (a dict) stored in ``path``; ``what`` names the file in messages.

    Raises ``error`` when the file cannot be read, is not valid UTF-8 JSON, or is not an object.
    """
    path = Path(path)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise error(f"The {what} {path} is missing.") from exc
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise error(f"The {what} {path} is not readable JSON ({exc}); it is damaged or not a "
                    "Mesmerize file. Restore it from a copy.") from exc
    if not isinstance(doc, dict):
        raise error(f"The {what} {path} holds a JSON {type(doc).__name__}, not an object; it is "
                    "damaged or not a Mesmerize file.")
    return doc


def load_npz(path: str | Path, what: str, required: Iterable[str] = (),
             error: type[MesmerizeError] = ImageLoadError) -> dict[str, np.ndarray]:
    """Every member of the npz ``path`` as ``{name: array}`` (``allow_pickle=False``).

    Raises ``error`` naming the file when it is damaged, holds an object (pickled) member or one
    that cannot be allocated, or lacks a member listed in ``required``.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            arrays = {name: z[name] for name in z.files}
    except FileNotFoundError as exc:
        raise error(f"The {what} {path} is missing.") from exc
    except READ_ERRORS as exc:
        raise error(f"Mesmerize cannot read the {what} {path} as an npz file "
                    f"({type(exc).__name__}: {exc}); it is damaged, or holds pickled objects (pickled "
                    "objects are refused). Restore it from a copy.") from exc
    missing = [name for name in required if name not in arrays]
    if missing:
        raise error(f"The {what} {path} lacks the member(s) {', '.join(missing)}; it is damaged "
                    "or was not written by Mesmerize.")
    return arrays


def scalar_int(value: object, path: str | Path, field: str,
               error: type[MesmerizeError] = FormatVersionError) -> int:
    """``value`` (a Python or 0-d numpy integer) as an int; ``error`` naming ``field`` otherwise."""
    arr = np.asarray(value)
    if arr.ndim != 0 or not np.issubdtype(arr.dtype, np.integer) or isinstance(value, bool):
        raise error(f"{path}: {field} must be an integer, got {value!r}; the file is damaged or "
                    "not a Mesmerize file.")
    return int(arr)
