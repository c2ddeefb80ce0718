"""The project DataFrame on disk: ``dataframes/root.dfr`` (Parquet) and its backups.

``root.dfr`` is a Parquet file written with pyarrow; its schema metadata holds
``{"format_version": N}`` under the key ``mesmerize``. Before every change the current file is
copied byte for byte to ``dataframes/root_<YYYYmmdd_HHMMSS_ffffff>.dfr`` (UTC), so restoring a
backup by hand is renaming it to ``root.dfr``. Every write is atomic.

Dtypes are fixed by the project config: custom ``int`` columns are pandas nullable ``Int64``,
``float`` columns ``float64``, every other column ``object`` holding Python ``str``.
"""
from __future__ import annotations

import json
import shutil
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from mesmerize.core.atomic import atomic_path
from mesmerize.core.errors import ColumnTypeError, FormatVersionError, ProjectError
from mesmerize.core.project.config import ProjectConfig
from mesmerize.core.project.layout import ProjectLayout, ROOT_DATAFRAME_FILE

DATAFRAME_FORMAT_VERSION = 1
_METADATA_KEY = b"mesmerize"
_BACKUP_PREFIX = "root_"
_BACKUP_TIME_FORMAT = "%Y%m%d_%H%M%S_%f"


def read_dataframe_file(path: Path, columns: Iterable[str] | None = None) -> pd.DataFrame:
    """Read a project DataFrame file, checking its ``format_version``.

    ``columns`` restricts the read to those columns (names the file lacks are skipped).
    Raises ``FormatVersionError`` for a newer or non-Mesmerize file, ``ProjectError`` when the
    file cannot be read.
    """
    path = Path(path)
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException) as exc:
        raise ProjectError(
            f"Cannot read the project DataFrame {path}: {exc}. Restore a backup from the "
            "project's dataframes directory (Project.restore_backup)."
        ) from exc
    raw = (schema.metadata or {}).get(_METADATA_KEY)
    try:
        version = json.loads(raw)["format_version"] if raw is not None else None
    except (ValueError, KeyError, TypeError):
        version = None
    if not isinstance(version, int) or isinstance(version, bool):
        raise FormatVersionError(
            f"{path} has no Mesmerize format_version; it is not a Mesmerize project DataFrame."
        )
    if version > DATAFRAME_FORMAT_VERSION:
        raise FormatVersionError(
            f"{path} has format_version {version}, newer than this Mesmerize understands "
            f"({DATAFRAME_FORMAT_VERSION}). Upgrade Mesmerize to open this project."
        )
    if columns is not None:
        columns = [c for c in columns if c in schema.names]
    try:
        return pq.read_table(path, columns=columns).to_pandas()
    except (OSError, pa.ArrowException, ValueError, KeyError, TypeError, IndexError,
            AttributeError) as exc:
        # ValueError includes the UnicodeDecodeError of damaged pandas schema metadata
        raise ProjectError(
            f"Cannot read the project DataFrame {path} ({type(exc).__name__}: {exc}); it is "
            "damaged. Restore a backup from the project's dataframes directory "
            "(Project.restore_backup)."
        ) from exc


def write_dataframe_file(path: Path, df: pd.DataFrame) -> None:
    """Atomically write ``df`` (index dropped) as a Mesmerize Parquet DataFrame file."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    metadata = dict(table.schema.metadata or {})
    metadata[_METADATA_KEY] = json.dumps({"format_version": DATAFRAME_FORMAT_VERSION}).encode()
    table = table.replace_schema_metadata(metadata)
    with atomic_path(path) as tmp:
        pq.write_table(table, tmp)


def empty_dataframe(config: ProjectConfig) -> pd.DataFrame:
    """A DataFrame with no rows and the project's columns and dtypes."""
    return pd.DataFrame(
        {c: pd.Series([], dtype=config.pandas_dtype(c)) for c in config.all_columns})


def _as_str_column(name: str, values: pd.Series) -> pd.Series:
    if len(values) == 0 or pd.api.types.infer_dtype(values, skipna=False) == "string":
        return values.astype(object)
    bad = [v for v in values if not isinstance(v, str)]
    if bad:
        raise ColumnTypeError(
            f"Column {name!r} holds text only, found {bad[0]!r} ({type(bad[0]).__name__})"
            f"{f' and {len(bad) - 1} more non-text values' if len(bad) > 1 else ''}. Use text, "
            "e.g. 'untagged' for no value."
        )
    return values.astype(object)


def _as_numeric_column(name: str, values: pd.Series, dtype: str) -> pd.Series:
    if pd.api.types.is_bool_dtype(values.dtype) or (
            values.dtype == object and any(isinstance(v, (str, bool, np.bool_)) for v in values)):
        raise ColumnTypeError(
            f"Column {name!r} holds {'whole' if dtype == 'Int64' else 'decimal'} numbers; it "
            "contains text or booleans. Data types cannot be changed; put numbers in it."
        )
    try:
        return values.astype(dtype)
    except (TypeError, ValueError) as exc:
        raise ColumnTypeError(
            f"Column {name!r} holds {'whole' if dtype == 'Int64' else 'decimal'} numbers and "
            f"cannot take these values ({exc}). Data types cannot be changed; put "
            f"{'integers' if dtype == 'Int64' else 'numbers'} in it."
        ) from exc


def conform_dataframe(df: pd.DataFrame, config: ProjectConfig, strict: bool) -> pd.DataFrame:
    """Return ``df`` with exactly the config's columns, in order, with the config's dtypes.

    ``strict=True`` (a DataFrame from the user): every column must be present, extra columns and
    values of the wrong type raise ``ProjectError`` / ``ColumnTypeError``.
    ``strict=False`` (a file on disk, e.g. written before a config change or restored from an
    old backup): missing user columns are added with their fill value and columns the config
    no longer has are dropped, as ``Project.apply_config`` would have done.
    """
    expected = config.all_columns
    missing = [c for c in expected if c not in df.columns]
    extra = [c for c in df.columns if c not in expected]
    if strict and (missing or extra):
        problems = []
        if missing:
            problems.append(f"missing columns: {', '.join(map(str, missing))}")
        if extra:
            problems.append(f"unknown columns: {', '.join(map(str, extra))}")
        raise ProjectError(
            f"The DataFrame does not match the project configuration ({'; '.join(problems)}). "
            "Start from a copy of the project DataFrame; add new columns through the Project "
            "Configuration."
        )
    missing_base = [c for c in missing if c not in config.user_columns]
    if missing_base:
        raise ProjectError(
            f"The project DataFrame lacks the built-in columns {', '.join(missing_base)}. "
            "Restore a backup from the project's dataframes directory."
        )
    out = {}
    for column in expected:
        dtype = config.pandas_dtype(column)
        if column in df.columns:
            values = df[column]
            if dtype == "object":
                out[column] = _as_str_column(column, values) if strict else values.astype(object)
            elif values.dtype != dtype or strict:
                out[column] = _as_numeric_column(column, values, dtype)
            else:
                out[column] = values
        else:
            out[column] = pd.Series([config.fill_value(column)] * len(df), index=df.index,
                                    dtype=dtype)
    return pd.DataFrame(out, index=df.index).reset_index(drop=True)


class DataFrameStore:
    """``root.dfr`` and its timestamped backups in a project's ``dataframes`` directory."""

    def __init__(self, layout: ProjectLayout) -> None:
        self.layout = layout

    @property
    def path(self) -> Path:
        return self.layout.root_dataframe

    def signature(self) -> tuple[int, int, int]:
        """(inode, mtime_ns, size) of ``root.dfr``: changes whenever the file is replaced."""
        st = self.path.stat()
        return st.st_ino, st.st_mtime_ns, st.st_size

    def read(self) -> pd.DataFrame:
        return read_dataframe_file(self.path)

    def write(self, df: pd.DataFrame) -> Path | None:
        """Back up the current ``root.dfr`` (if any), then atomically replace it with ``df``.

        Returns the backup path (None when there was no ``root.dfr`` yet).
        """
        backup = self.backup() if self.path.exists() else None
        write_dataframe_file(self.path, df)
        return backup

    def backup(self) -> Path:
        """Copy ``root.dfr`` to a new ``root_<UTC timestamp>.dfr``; return its path."""
        stamp = datetime.now(timezone.utc).replace(tzinfo=None)
        target = self._backup_path(stamp)
        while target.exists():
            stamp += timedelta(microseconds=1)
            target = self._backup_path(stamp)
        with atomic_path(target) as tmp:
            shutil.copyfile(self.path, tmp)
        return target

    def _backup_path(self, stamp: datetime) -> Path:
        name = f"{_BACKUP_PREFIX}{stamp.strftime(_BACKUP_TIME_FORMAT)}.dfr"
        return self.layout.dataframes_dir / name

    def backups(self) -> list[Path]:
        """Backup files, oldest first."""
        found = []
        for path in self.layout.dataframes_dir.glob(f"{_BACKUP_PREFIX}*.dfr"):
            try:
                datetime.strptime(path.stem[len(_BACKUP_PREFIX):], _BACKUP_TIME_FORMAT)
            except ValueError:
                continue
            found.append(path)
        return sorted(found)

    def restore(self, backup_path: Path) -> Path:
        """Back up the current ``root.dfr``, then replace it with a copy of ``backup_path``.

        The backup file itself is kept. Returns the path of the backup of the replaced file.
        Raises ``ProjectError`` / ``FormatVersionError`` when ``backup_path`` is not a readable
        Mesmerize DataFrame (the project is then unchanged).
        """
        backup_path = Path(backup_path)
        if backup_path.resolve() == self.path.resolve():
            raise ProjectError(f"{backup_path} is the current {ROOT_DATAFRAME_FILE}, not a backup.")
        read_dataframe_file(backup_path)
        previous = self.backup()
        with atomic_path(self.path) as tmp:
            shutil.copyfile(backup_path, tmp)
        return previous
