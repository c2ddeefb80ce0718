"""A batch: a directory holding an items table and one folder per item.

Layout::

    <batch>/batch.json                  the items table (see table.py)
    <batch>/.batch.lock                 the write lock
    <batch>/<uuid>/input/movie.tiff     the item's input movie ([t, y, x] on disk), unless its
                                        input is another item's output
    <batch>/<uuid>/input/work_env.json  meta, history trace, sample id of the input
    <batch>/<uuid>/output/              the engine's outputs (+ work_env.json with the history)
    <batch>/<uuid>/output.log           stdout/stderr of the item's runner

The ``Batch`` object holds no item state of its own: every read goes to the table on disk, so
the window, scripts and the runner subprocesses always see the same truth.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Mapping

from mesmerize.core.atomic import atomic_path
from mesmerize.core.batch import kinds
from mesmerize.core.batch.errors import (
    BatchError, BatchItemNotFoundError, BatchPathError, DependencyError,
)
from mesmerize.core.batch.item import (
    ACTIVE_STATUSES, FINISHED, INTERRUPTED, PENDING, BatchItem, utc_now_iso,
)
from mesmerize.core.batch.paths import (
    from_batch_relative, from_source_reference, to_batch_relative, to_source_reference,
    validate_batch_dir,
)
from mesmerize.core.batch.processes import process_alive
from mesmerize.core.batch.table import ItemsTable, TableState
from mesmerize.core.batch.work_env_store import json_safe, read_work_env_info, write_work_env_info
from mesmerize.core.errors import ParameterError
from mesmerize.core.events import EventEmitter

if TYPE_CHECKING:
    import pandas as pd

    from mesmerize.core.batch.runner import BatchRunner

INPUT_MOVIE = "input/movie.tiff"
INPUT_WORK_ENV = "input/work_env.json"
OUTPUT_DIR = "output"
OUTPUT_WORK_ENV = "output/work_env.json"
LOG_FILE = "output.log"

DF_COLUMNS = ["uuid", "module", "name", "status", "input_item", "params", "created", "started",
              "finished", "duration_s", "error", "slurm_job"]


class Batch:
    """A batch directory. Use ``Batch.create(path)`` or ``Batch.open(path)``.

    ``changed`` is emitted (no arguments) after this object or ``refresh()`` sees the table
    change.
    """

    def __init__(self, path: Path, raw_data_root: str | os.PathLike | None = None) -> None:
        self.path = validate_batch_dir(path)
        self.table = ItemsTable(self.path)
        self._raw_data_root_override = (
            Path(os.path.abspath(raw_data_root)) if raw_data_root is not None else None)
        self.changed = EventEmitter()
        self._seen_mtime_ns: int | None = None

    # ---- creation -------------------------------------------------------------------------

    @classmethod
    def create(cls, path: str | os.PathLike,
               raw_data_root: str | os.PathLike | None = None) -> "Batch":
        """Create an empty batch in ``path`` (created if needed, must not hold a batch)."""
        batch = cls(Path(path), raw_data_root)
        if batch.table.exists():
            raise BatchError(
                f"{batch.path} already holds a batch; open it with Batch.open() instead."
            )
        batch.path.mkdir(parents=True, exist_ok=True)
        root = None if raw_data_root is None else Path(os.path.abspath(raw_data_root)).as_posix()
        with batch.table.locked():
            batch.table.write(TableState([], root))
        batch._seen_mtime_ns = batch.table.mtime_ns()
        return batch

    @classmethod
    def open(cls, path: str | os.PathLike,
             raw_data_root: str | os.PathLike | None = None) -> "Batch":
        """Open an existing batch and mark items whose runner process died as interrupted.

        ``raw_data_root`` overrides the stored raw-data root (a batch moved to another machine).
        """
        batch = cls(Path(path), raw_data_root)
        batch.table.read()
        batch.mark_dead_items_interrupted()
        batch._seen_mtime_ns = batch.table.mtime_ns()
        return batch

    # ---- reading --------------------------------------------------------------------------

    @property
    def name(self) -> str:
        """Name of the batch directory (the window title)."""
        return self.path.name

    @property
    def raw_data_root(self) -> Path | None:
        """Directory that raw-data references (``"$RAW/..."``) are relative to, or None."""
        if self._raw_data_root_override is not None:
            return self._raw_data_root_override
        stored = self.table.read().raw_data_root
        return None if stored is None else Path(stored)

    @property
    def items(self) -> list[BatchItem]:
        """All items in queue order (read from disk)."""
        return self.table.read().items

    @property
    def df(self) -> pd.DataFrame:
        """The items as a DataFrame, one row per item in queue order (index 0, 1, ...), columns
        ``DF_COLUMNS`` (``params`` holds dicts)."""
        # pandas is imported here, not at module level: item runner subprocesses never need it
        # and it is most of their start-up time.
        import pandas as pd

        rows = []
        for item in self.items:
            row = {c: getattr(item, c) for c in DF_COLUMNS if c != "duration_s"}
            row["duration_s"] = item.duration_s
            rows.append(row)
        return pd.DataFrame(rows, columns=DF_COLUMNS)

    def get_item(self, uuid: str) -> BatchItem:
        """The item ``uuid``; ``BatchItemNotFoundError`` when absent."""
        for item in self.items:
            if item.uuid == uuid:
                return item
        raise BatchItemNotFoundError(f"No item with UUID {uuid!r} in the batch {self.path}.")

    def index_of(self, uuid: str) -> int:
        """Queue position of item ``uuid``."""
        try:
            return self.table.read().index_of(uuid)
        except KeyError:
            raise BatchItemNotFoundError(
                f"No item with UUID {uuid!r} in the batch {self.path}.") from None

    def item_dir(self, uuid: str) -> Path:
        """The folder of item ``uuid``."""
        return self.path / uuid

    def output_dir(self, uuid: str) -> Path:
        """The output folder of item ``uuid``."""
        return self.item_dir(uuid) / OUTPUT_DIR

    def log_path(self, uuid: str) -> Path:
        """The log file (runner stdout/stderr) of item ``uuid``."""
        return self.item_dir(uuid) / LOG_FILE

    def resolve(self, stored: str) -> Path:
        """Absolute path of a batch-relative path stored in the table."""
        return from_batch_relative(stored, self.path)

    def source_path(self, uuid: str) -> Path | None:
        """Original location of the item's raw movie, when it was added from a file."""
        item = self.get_item(uuid)
        return None if item.source is None else from_source_reference(item.source,
                                                                      self.raw_data_root)

    def refresh(self) -> bool:
        """Emit ``changed`` if the table was written (by anyone) since last seen; return it."""
        mtime = self.table.mtime_ns()
        if mtime == self._seen_mtime_ns:
            return False
        self._seen_mtime_ns = mtime
        self.changed.emit()
        return True

    # ---- inputs ---------------------------------------------------------------------------

    def dependents(self, uuid: str) -> list[str]:
        """UUIDs of items that take item ``uuid``'s output as input."""
        return [item.uuid for item in self.items if item.input_item == uuid]

    def input_movie_path(self, uuid: str) -> Path:
        """The input movie of item ``uuid``: its stored movie, or its input item's output movie
        (``DependencyError`` when that item has not produced one)."""
        item = self.get_item(uuid)
        if item.input_item is None:
            return self.resolve(item.input_files["movie"])
        source = self.get_item(item.input_item)
        if source.status != FINISHED or "movie" not in source.outputs:
            raise DependencyError(
                f"Item {uuid} takes the output of item {source.uuid} ({source.name!r}) as input, "
                f"but that item is {source.status} and has no output movie yet: process it first."
            )
        return self.resolve(source.outputs["movie"])

    def input_work_env_info(self, uuid: str) -> dict[str, Any]:
        """``{"meta", "history_trace", "sample_id", ...}`` of item ``uuid``'s input."""
        item = self.get_item(uuid)
        if item.input_item is None:
            stored = self.resolve(item.input_files["work_env"])
        else:
            source = self.get_item(item.input_item)
            if "work_env" not in source.outputs:
                raise DependencyError(
                    f"Item {uuid}'s input item {source.uuid} has no output yet: process it first."
                )
            stored = self.resolve(source.outputs["work_env"])
        return read_work_env_info(stored)

    def output_work_env_info(self, uuid: str) -> dict[str, Any]:
        """``{"meta", "history_trace", ...}`` of finished item ``uuid``'s output: its input's,
        with the item's ``{module: params}`` appended to the history trace."""
        item = self.get_item(uuid)
        if "work_env" not in item.outputs:
            raise BatchError(f"Item {uuid} ({item.name!r}) is {item.status} and has no output.")
        return read_work_env_info(self.resolve(item.outputs["work_env"]))

    # ---- writing --------------------------------------------------------------------------

    def _written(self) -> None:
        self._seen_mtime_ns = self.table.mtime_ns()
        self.changed.emit()

    def add_item(self, module: str, name: str, params: Mapping[str, Any],
                 input_work_env: Any = None, input_item: str | None = None,
                 input_movie: str | os.PathLike | None = None) -> str:
        """Queue an item of kind ``module`` and return its UUID.

        Exactly one input: ``input_work_env`` (a ``ViewerWorkEnv``: its movie, meta and history
        are stored in the item folder), ``input_item`` (UUID of an item whose output movie is the
        input) or ``input_movie`` (a TIFF path, copied with the meta JSON beside it). Items may be
        added while the batch runs; items may share a name (parameter variants). Raises
        ``EngineUnavailableError`` when the kind's engine is not importable.
        """
        kind = kinds.get_kind(module)
        kinds.resolve_engine(module)
        given = [x is not None for x in (input_work_env, input_item, input_movie)]
        if sum(given) != 1:
            raise ParameterError(
                "add_item needs exactly one input: input_work_env (a ViewerWorkEnv), input_item "
                "(the UUID of another item) or input_movie (a TIFF file path)."
            )
        if not isinstance(name, str) or not name.strip():
            raise ParameterError("A batch item needs a non-empty name.")
        item = BatchItem(module=kind.name, name=name, params=json_safe(params))
        if input_item is not None:
            source = self.get_item(input_item)
            if kinds.get_kind(source.module).output_movie_attr is None:
                raise DependencyError(
                    f"Item {input_item} ({source.module}) produces no movie, so it cannot be the "
                    f"input of a {module!r} item; use a motion correction item or a movie."
                )
            item.input_item = input_item
        folder = self.item_dir(item.uuid)
        try:
            if input_work_env is not None:
                self._store_work_env(folder, input_work_env)
            elif input_movie is not None:
                item.source = to_source_reference(input_movie, self.raw_data_root)
                self._store_movie_file(folder, Path(input_movie))
            if input_item is None:
                item.input_files = {"movie": f"{item.uuid}/{INPUT_MOVIE}",
                                    "work_env": f"{item.uuid}/{INPUT_WORK_ENV}"}
            folder.mkdir(parents=True, exist_ok=True)
            with self.table.modify() as state:
                state.items.append(item)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        self._written()
        return item.uuid

    def _store_work_env(self, folder: Path, work_env: Any) -> None:
        from mesmerize.core.imaging.tiff_io import save_tiff

        imgdata = getattr(work_env, "imgdata", None)
        if imgdata is None:
            raise ParameterError(
                "The input work environment has no image sequence; load a movie first."
            )
        save_tiff(folder / INPUT_MOVIE, imgdata.seq)
        write_work_env_info(folder / INPUT_WORK_ENV, {
            "meta": dict(getattr(work_env, "meta", None) or imgdata.meta or {}),
            "history_trace": list(getattr(work_env, "history_trace", None) or []),
            "sample_id": getattr(work_env, "sample_id", None),
        })

    def _store_movie_file(self, folder: Path, movie: Path) -> None:
        from mesmerize.core.meta import find_meta_path, load_meta_json

        if not movie.is_file():
            raise BatchPathError(f"The input movie {movie} does not exist; check the path.")
        meta_path = find_meta_path(movie)
        meta = load_meta_json(meta_path) if meta_path is not None else {}
        target = folder / INPUT_MOVIE
        with atomic_path(target) as tmp:
            shutil.copyfile(movie, tmp)
        write_work_env_info(folder / INPUT_WORK_ENV,
                            {"meta": meta, "history_trace": [], "sample_id": None})

    def update_item(self, uuid: str, expected_status: Iterable[str] | None = None,
                    **changes: Any) -> bool:
        """Set fields of item ``uuid`` under the lock. With ``expected_status``, only when the
        item's current status is one of them; returns whether the item was changed."""
        with self.table.modify() as state:
            try:
                item = state.items[state.index_of(uuid)]
            except KeyError:
                raise BatchItemNotFoundError(
                    f"No item with UUID {uuid!r} in the batch {self.path}.") from None
            allowed = None if expected_status is None else set(expected_status)
            applied = allowed is None or item.status in allowed
            if applied:
                for key, value in changes.items():
                    if not hasattr(item, key):
                        raise AttributeError(f"BatchItem has no field {key!r}")
                    setattr(item, key, value)
        self._written()
        return applied

    def reset_item(self, uuid: str) -> None:
        """Put a failed, aborted or interrupted item back to pending (its outputs are removed)."""
        item = self.get_item(uuid)
        if item.status in ACTIVE_STATUSES:
            raise BatchError(f"Item {uuid} is {item.status}; abort it before resetting it.")
        shutil.rmtree(self.output_dir(uuid), ignore_errors=True)
        self.update_item(uuid, status=PENDING, started=None, finished=None, outputs={},
                         error=None, process=None, slurm_job=None)

    def remove_item(self, uuid: str, force: bool = False) -> None:
        """Delete item ``uuid`` and its folder. Refused (``DependencyError``) when other items
        take its output as input, unless ``force``; refused while it runs."""
        with self.table.modify() as state:
            try:
                index = state.index_of(uuid)
            except KeyError:
                raise BatchItemNotFoundError(
                    f"No item with UUID {uuid!r} in the batch {self.path}.") from None
            item = state.items[index]
            if item.status in ACTIVE_STATUSES:
                raise BatchError(
                    f"Item {uuid} ({item.name!r}) is {item.status}; abort it before deleting it."
                )
            users = [i.uuid for i in state.items if i.input_item == uuid]
            if users and not force:
                raise DependencyError(
                    f"Item {uuid} ({item.name!r}) is the input of item(s) {', '.join(users)}; "
                    "delete those first, or pass force=True to delete it anyway."
                )
            del state.items[index]
        shutil.rmtree(self.item_dir(uuid), ignore_errors=True)
        self._written()

    def mark_dead_items_interrupted(self) -> list[str]:
        """Mark running/moving items whose runner process is gone as interrupted; return them."""
        state = self.table.read()
        dead = [i.uuid for i in state.items
                if i.status in ACTIVE_STATUSES and process_alive(i.process) is False]
        if not dead:
            return []
        changed = []
        with self.table.modify() as state:
            for item in state.items:
                if item.uuid in dead and item.status in ACTIVE_STATUSES \
                        and process_alive(item.process) is False:
                    pid = (item.process or {}).get("pid", "?")
                    item.error = (
                        f"The process running this item (PID {pid}) ended while the item was "
                        f"{item.status} (killed, or the machine stopped). Run it again."
                    )
                    item.status = INTERRUPTED
                    item.finished = utc_now_iso()
                    item.process = None
                    changed.append(item.uuid)
        self._written()
        return changed

    # ---- comparing and loading ------------------------------------------------------------

    def diff_params(self, uuids: Iterable[str]) -> pd.DataFrame:
        """The parameters that differ between the given items: one row per item (index: UUID),
        one column per differing parameter (missing parameters are None)."""
        items = [self.get_item(u) for u in uuids]
        keys: list[str] = []
        for item in items:
            keys += [k for k in item.params if k not in keys]
        differing = [k for k in keys
                     if len({repr(item.params.get(k)) for item in items}) > 1]
        import pandas as pd

        rows = [[item.params.get(k) for k in differing] for item in items]
        return pd.DataFrame(rows, index=[item.uuid for item in items], columns=differing,
                            dtype=object)

    def variants(self, name: str) -> list[str]:
        """UUIDs of the items called ``name`` (parameter variants), in queue order."""
        return [item.uuid for item in self.items if item.name == name]

    def load_item_output(self, uuid: str) -> Any:
        """The engine result of finished item ``uuid`` (e.g. ``MotionCorrectionResult``)."""
        item = self.get_item(uuid)
        if item.status != FINISHED:
            raise BatchError(
                f"Item {uuid} ({item.name!r}) is {item.status}, not finished; it has no output "
                "to load. Process the batch first."
            )
        loader = kinds.resolve_result_loader(item.module)
        return loader(self.output_dir(uuid))

    # ---- running --------------------------------------------------------------------------

    def process_batch(self, start_ix: int = 0, wait: bool = False,
                      **runner_options: Any) -> "BatchRunner":
        """Process the items from queue position ``start_ix`` in subprocesses; return the
        ``BatchRunner`` (see runner.py for ``runner_options``). Blocks until done if ``wait``."""
        from mesmerize.core.batch.runner import BatchRunner

        runner = BatchRunner(self, start_ix=start_ix, **runner_options)
        runner.start()
        if wait:
            runner.wait()
        return runner

    def export_shell_scripts(self, out_dir: str | os.PathLike, **options: Any) -> list[Path]:
        """Write one bash script per item into ``out_dir``; see shell_scripts.py."""
        from mesmerize.core.batch.shell_scripts import export_shell_scripts

        return export_shell_scripts(self, Path(out_dir), **options)

    def relative(self, path: str | os.PathLike) -> str:
        """A path inside the batch as stored in the table (POSIX, batch-relative)."""
        return to_batch_relative(path, self.path)
