"""The items table of a batch: ``<batch>/batch.json``, written atomically under a lock file.

Layout: ``{"format_version": 1, "raw_data_root": str | null, "items": [item, ...]}`` with items
in queue order. Readers never lock (the file is replaced atomically); every read-modify-write
holds ``<batch>/.batch.lock`` (an ``fcntl.flock``; the kernel drops it when the holder dies).
"""
from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any, Iterator

from mesmerize.core.atomic import write_json_atomic
from mesmerize.core.batch.errors import BatchError
from mesmerize.core.batch.item import BatchItem
from mesmerize.core.errors import FormatVersionError, ProjectLockedError
from mesmerize.core.project.lock import ProjectLock

_TEXT, _TEXT_OR_NONE = (str,), (str, type(None))
#: stored field -> (allowed JSON types, required)
_ITEM_FIELD_TYPES: dict[str, tuple[tuple[type, ...], bool]] = {
    "module": (_TEXT, True), "name": (_TEXT, True), "params": ((dict,), True),
    "uuid": (_TEXT, False), "input_item": (_TEXT_OR_NONE, False),
    "input_files": ((dict,), False), "source": (_TEXT_OR_NONE, False),
    "status": (_TEXT, False), "created": (_TEXT, False), "started": (_TEXT_OR_NONE, False),
    "finished": (_TEXT_OR_NONE, False), "outputs": ((dict,), False),
    "error": (_TEXT_OR_NONE, False), "log": (_TEXT_OR_NONE, False),
    "process": ((dict, type(None)), False), "slurm_job": (_TEXT_OR_NONE, False),
}

FORMAT_VERSION = 1
TABLE_NAME = "batch.json"
LOCK_NAME = ".batch.lock"
DEFAULT_LOCK_TIMEOUT_S = 5.0


class TableState:
    """The decoded content of the table: ``items`` in queue order and the raw-data root."""

    def __init__(self, items: list[BatchItem], raw_data_root: str | None) -> None:
        self.items = items
        self.raw_data_root = raw_data_root

    def index_of(self, uuid: str) -> int:
        """Queue position of the item ``uuid``; ``KeyError`` when absent."""
        for i, item in enumerate(self.items):
            if item.uuid == uuid:
                return i
        raise KeyError(uuid)


class ItemsTable:
    """Reads and writes ``batch.json`` of the batch directory ``batch_dir``."""

    def __init__(self, batch_dir: Path, lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> None:
        self.batch_dir = batch_dir
        self.path = batch_dir / TABLE_NAME
        self._lock = ProjectLock(batch_dir / LOCK_NAME, timeout_s=lock_timeout_s)

    def exists(self) -> bool:
        """True when the table file exists."""
        return self.path.is_file()

    def mtime_ns(self) -> int:
        """Modification time of the table file (ns), to notice writes by other processes."""
        return self.path.stat().st_mtime_ns

    def read(self) -> TableState:
        """Decode the table; ``FormatVersionError`` for newer or foreign files."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BatchError(
                f"{self.batch_dir} is not a batch directory (no {TABLE_NAME}); create a batch "
                "there with Batch.create()."
            ) from None
        except ValueError as exc:
            raise FormatVersionError(f"{self.path} is not a Mesmerize batch table: {exc}") from exc
        version = data.get("format_version") if isinstance(data, dict) else None
        if not isinstance(version, int):
            raise FormatVersionError(
                f"{self.path} has no integer format_version; it is not a Mesmerize batch table."
            )
        if version > FORMAT_VERSION:
            raise FormatVersionError(
                f"{self.path} was written by a newer Mesmerize (batch format {version}, this "
                f"version reads up to {FORMAT_VERSION}); upgrade Mesmerize to open it."
            )
        items = data.get("items", [])
        if not isinstance(items, list):
            raise BatchError(f"{self.path}: 'items' must be a list, got {type(items).__name__}; "
                             "the batch table is damaged.")
        raw_data_root = data.get("raw_data_root")
        if raw_data_root is not None and not isinstance(raw_data_root, str):
            raise BatchError(f"{self.path}: raw_data_root must be a path or null, got "
                             f"{raw_data_root!r}; the batch table is damaged.")
        return TableState([self._item(d) for d in items], raw_data_root)

    def _item(self, data: Any) -> BatchItem:
        """A ``BatchItem`` from one stored entry, checking each field's JSON type."""
        if not isinstance(data, dict):
            raise BatchError(f"{self.path}: a batch item entry is {data!r}, not an object; the "
                             "batch table is damaged.")
        for key, (types, required) in _ITEM_FIELD_TYPES.items():
            if key not in data:
                if required:
                    raise BatchError(f"{self.path}: a batch item has no {key!r}; the batch "
                                     "table is damaged.")
            elif not isinstance(data[key], types):
                raise BatchError(f"{self.path}: the batch item field {key!r} has the wrong type "
                                 f"({data[key]!r}); the batch table is damaged.")
        return BatchItem.from_dict(data)

    def write(self, state: TableState) -> None:
        """Atomically replace the table with ``state`` (call inside ``locked()``)."""
        payload: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "raw_data_root": state.raw_data_root,
            "items": [item.to_dict() for item in state.items],
        }
        write_json_atomic(self.path, payload)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the batch's write lock; ``ProjectLockedError`` naming the holder on timeout."""
        try:
            self._lock.acquire()
        except ProjectLockedError:
            holder = self._lock.holder()
            raise ProjectLockedError(
                f"The batch {self.batch_dir} is being written by process "
                f"{holder.get('pid', '?')} on host {holder.get('host', '?')} (lock file "
                f"{self._lock.path}). Wait for it to finish writing and try again; if that "
                "process is hung, end it."
            ) from None
        try:
            yield
        finally:
            self._lock.release()

    @contextlib.contextmanager
    def modify(self) -> Iterator[TableState]:
        """Read-modify-write under the lock; the state yielded is written back on success."""
        with self.locked():
            state = self.read()
            yield state
            self.write(state)
