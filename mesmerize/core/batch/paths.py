"""Batch directory validation and the relative, POSIX-style paths stored in a batch's table.

Paths inside a batch are stored relative to the batch directory (``"<uuid>/input/movie.tiff"``),
and paths of raw data relative to a configurable raw-data root (``"$RAW/animal_1/trial_2.tiff"``),
always with ``/`` separators, so a batch copied to a cluster or another OS still resolves.
"""
from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

from mesmerize.core.batch.errors import BatchPathError

RAW_PREFIX = "$RAW/"

# Letters, digits and underscores as the guide asks, plus "-" and "." which are safe in shell
# scripts and common in real paths (dates, temporary directories).
_SAFE_COMPONENT = re.compile(r"^[A-Za-z0-9_.\-]+$")


def validate_batch_dir(path: str | os.PathLike) -> Path:
    """Return the absolute batch directory path, or raise ``BatchPathError``.

    Every component of the full path may only hold a-z, A-Z, 0-9, ``_``, ``-`` and ``.``: the
    batch's exported shell scripts and external runners must be able to use it unquoted.
    """
    absolute = Path(os.path.abspath(os.fspath(path)))
    for part in absolute.parts[1:]:
        if not _SAFE_COMPONENT.match(part):
            bad = sorted({c for c in part if not re.match(r"[A-Za-z0-9_.\-]", c)})
            shown = ", ".join(repr(c) for c in bad)
            raise BatchPathError(
                f"The batch directory {str(absolute)!r} contains {shown} in {part!r}. The full "
                "path of a batch may only contain a-z, A-Z, 0-9, underscores, '-' and '.': "
                "choose or rename a directory without spaces or special characters."
            )
    return absolute


def to_batch_relative(path: str | os.PathLike, batch_dir: Path) -> str:
    """``path`` (inside ``batch_dir``) as a POSIX path relative to the batch directory."""
    absolute = Path(os.path.abspath(os.fspath(path)))
    try:
        relative = absolute.relative_to(batch_dir)
    except ValueError:
        raise BatchPathError(
            f"{str(absolute)!r} is not inside the batch directory {str(batch_dir)!r}."
        ) from None
    return relative.as_posix()


def from_batch_relative(stored: str, batch_dir: Path) -> Path:
    """Resolve a stored batch-relative POSIX path against ``batch_dir``."""
    return batch_dir.joinpath(*PurePosixPath(stored).parts)


def to_source_reference(path: str | os.PathLike, raw_data_root: Path | None) -> str:
    """A raw-data path as stored in the table: ``"$RAW/<rel>"`` below the raw-data root, else the
    absolute POSIX path."""
    absolute = Path(os.path.abspath(os.fspath(path)))
    if raw_data_root is not None:
        try:
            return RAW_PREFIX + absolute.relative_to(raw_data_root).as_posix()
        except ValueError:
            pass
    return absolute.as_posix()


def from_source_reference(stored: str, raw_data_root: Path | None) -> Path:
    """Resolve a stored raw-data reference; ``"$RAW/..."`` needs a raw-data root."""
    if stored.startswith(RAW_PREFIX):
        if raw_data_root is None:
            raise BatchPathError(
                f"The path {stored!r} is relative to the raw-data root, but no raw-data root is "
                "set: open the batch with raw_data_root=<directory holding the raw data>."
            )
        return raw_data_root.joinpath(*PurePosixPath(stored[len(RAW_PREFIX):]).parts)
    return Path(stored)
