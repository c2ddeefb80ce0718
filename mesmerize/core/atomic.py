"""Atomic file writes: write to a temporary file in the target's directory, fsync, rename.

A reader (or a process killed mid-write) therefore only ever sees the old file or the complete
new one, never a truncated mix.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
from pathlib import Path
from typing import IO, Any, Iterator, Union

PathLike = Union[str, os.PathLike]

_UMASK = os.umask(0)
os.umask(_UMASK)
"""The process's umask, read once (reading it means setting it)."""


def _new_file_mode(target: Path) -> int:
    """The permission bits a plain ``open(target, "w")`` would give: the existing file's, or
    0o666 less the umask (``mkstemp`` makes 0o600 files, which other users could not read)."""
    try:
        return target.stat().st_mode & 0o7777
    except FileNotFoundError:
        return 0o666 & ~_UMASK


def fsync_directory(directory: PathLike) -> None:
    """Flush a directory entry (a rename) to disk; a no-op where the OS does not support it."""
    try:
        fd = os.open(os.fspath(directory), os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path: PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success it is fsynced and renamed onto ``path``.

    For writers that want a file name (``DataFrame.to_parquet``, ``tifffile.imwrite``,
    ``np.savez``). On an exception the temporary file is removed and ``path`` is untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        os.chmod(tmp, _new_file_mode(target))
        yield tmp
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
        fsync_directory(target.parent)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise


@contextlib.contextmanager
def atomic_open(path: PathLike, mode: str = "w", encoding: str | None = None) -> Iterator[IO[Any]]:
    """Open a temporary file for writing that atomically replaces ``path`` when closed cleanly."""
    if "r" in mode or "a" in mode:
        raise ValueError(f"atomic_open only supports write modes, got {mode!r}")
    if "b" not in mode and encoding is None:
        encoding = "utf-8"
    with atomic_path(path) as tmp:
        with open(tmp, mode, encoding=encoding) as fh:
            yield fh
            fh.flush()


def write_bytes_atomic(path: PathLike, data: bytes) -> None:
    """Atomically replace ``path`` with ``data``."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def write_text_atomic(path: PathLike, text: str) -> None:
    """Atomically replace ``path`` with ``text`` (UTF-8)."""
    with atomic_open(path, "w") as fh:
        fh.write(text)


def write_json_atomic(path: PathLike, obj: Any, indent: int | None = 2) -> None:
    """Atomically write ``obj`` as JSON. Non-finite floats are refused (JSON has none)."""
    write_text_atomic(path, json.dumps(obj, indent=indent, allow_nan=False, sort_keys=False))
