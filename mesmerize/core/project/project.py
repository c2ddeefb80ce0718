"""A Mesmerize project: its configuration, its DataFrame (one row per ROI) and its samples.

Writers hold the project's write lock (``lock.py``) and re-read the files when another process
changed them. Every DataFrame change leaves a backup first (``dataframe_store.py``). Adding a
sample writes all its new files first, then swaps the DataFrame atomically, so a crash at any
moment leaves the previous or the new project state with every referenced file present. Files
of deleted or overwritten samples are kept so that every backup restores;
``purge_unreferenced_files`` deletes those no backup refers to any more.
"""
from __future__ import annotations

import copy
from pathlib import Path
from typing import Any, Iterable, Mapping

import numpy as np
import pandas as pd

from mesmerize.core.errors import ColumnTypeError, ConfigError, ProjectError, SampleIDError
from mesmerize.core.events import EventEmitter
from mesmerize.core.project.config import (
    PROTECTED_COLUMNS, ProjectConfig, load_config, save_config,
)
from mesmerize.core.project.dataframe_store import (
    DataFrameStore, conform_dataframe, empty_dataframe, read_dataframe_file,
    write_dataframe_file,
)
from mesmerize.core.project.layout import (
    CURVES_DIR, DATAFRAMES_DIR, IMAGES_DIR, SAMPLE_ID_SEPARATOR, ProjectLayout,
)
from mesmerize.core.project.lock import DEFAULT_LOCK_TIMEOUT_S, ProjectLock
from mesmerize.core.project.samples import (
    CurveFile, load_work_env, make_sample_id, prepare_sample, remove_files, sample_files,
    write_sample_files,
)
from mesmerize.core.work_env import ViewerWorkEnv


#: ``DataFrame.attrs`` key naming the project version a ``Project.dataframe`` copy was read at
VERSION_ATTR = "mesmerize_project_version"


class Project:
    """An open project directory. Build with ``Project.create`` or ``Project.open``.

    ``changed`` emits ``(what: str, detail)`` after every change, ``what`` in ``"dataframe"``,
    ``"add_sample"``, ``"delete_sample"``, ``"config"``, ``"restore_backup"``.
    """

    def __init__(self, path: Path, lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> None:
        self.layout = ProjectLayout(Path(path).absolute())
        self.layout.validate()
        self._store = DataFrameStore(self.layout)
        self._lock = ProjectLock(self.layout.lock_file, timeout_s=lock_timeout_s)
        self.changed = EventEmitter()
        self._config: ProjectConfig
        self._df: pd.DataFrame
        self._signature: tuple | None = None
        self._load()

    @classmethod
    def create(cls, path: str | Path, config: ProjectConfig | None = None,
               lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> "Project":
        """Create a new project directory at ``path`` (which must not exist or be empty)."""
        config = ProjectConfig() if config is None else config
        if not isinstance(config, ProjectConfig):
            raise ConfigError(f"config must be a ProjectConfig, got {type(config).__name__}.")
        config = config.validated()
        layout = ProjectLayout(Path(path).absolute())
        layout.create_directories()
        layout.lock_file.touch()
        save_config(layout.config_file, config)
        write_dataframe_file(layout.root_dataframe, empty_dataframe(config))
        return cls(layout.root, lock_timeout_s=lock_timeout_s)

    @classmethod
    def open(cls, path: str | Path, lock_timeout_s: float = DEFAULT_LOCK_TIMEOUT_S) -> "Project":
        """Open an existing project, validating its layout and file versions."""
        return cls(Path(path), lock_timeout_s=lock_timeout_s)

    def _file_signature(self) -> tuple:
        config = self.layout.config_file.stat()
        return (config.st_ino, config.st_mtime_ns, config.st_size), self._store.signature()

    def _load(self) -> None:
        signature = self._file_signature()
        config = load_config(self.layout.config_file)
        df = conform_dataframe(self._store.read(), config, strict=False)
        self._config, self._df, self._signature = config, df, signature

    def _refresh(self) -> None:
        """Re-read config and DataFrame when another process replaced them."""
        if self._file_signature() != self._signature:
            self._load()

    @property
    def path(self) -> Path:
        """The project directory."""
        return self.layout.root

    @property
    def config(self) -> ProjectConfig:
        """A copy of the project configuration (change it with ``apply_config``)."""
        self._refresh()
        return copy.deepcopy(self._config)

    @property
    def dataframe(self) -> pd.DataFrame:
        """A copy of the project DataFrame (change it with ``set_dataframe``).

        Its ``attrs[VERSION_ATTR]`` records the version of the project it was read from.
        """
        self._refresh()
        df = self._df.copy()
        df.attrs[VERSION_ATTR] = self._version()
        return df

    def _version(self) -> str:
        return repr(self._signature)

    def sample_ids(self) -> list[str]:
        """SampleIDs in DataFrame order."""
        self._refresh()
        return list(pd.unique(self._df["SampleID"]))

    def backups(self) -> list[Path]:
        """DataFrame backups, oldest first."""
        return self._store.backups()

    def _write(self, df: pd.DataFrame) -> None:
        self._store.write(df)
        self._df = df
        self._signature = self._file_signature()

    def set_dataframe(self, df: pd.DataFrame) -> None:
        """Replace the project DataFrame (what the console's ``set_root_dataframe`` calls).

        ``df`` must have exactly the project's columns with values of the columns' types. Rows
        may be removed, not added, and for every kept row (matched on ``uuid_curve``) the
        protected columns (SampleID, ImgUUID, ImgPath, ImgInfoPath, CurvePath, ROI_State,
        uuid_curve) must be unchanged, and AnimalID/TrialID must still form the SampleID.
        A copy from ``Project.dataframe`` taken before the project last changed (another
        process, window or script added, deleted or edited samples since) is refused: writing
        it would silently undo that change. After a successful call ``df`` counts as read from
        the new version, so it can be edited and set again.
        Raises ``ProjectError`` / ``ColumnTypeError``; the project is then unchanged.
        """
        if not isinstance(df, pd.DataFrame):
            raise ProjectError(f"set_dataframe needs a pandas DataFrame, got {type(df).__name__}.")
        read_at = df.attrs.get(VERSION_ATTR)
        with self._lock:
            self._refresh()
            if read_at is not None and read_at != self._version():
                raise ProjectError(
                    "The project DataFrame was changed (by another window, script or process) "
                    "after this copy of it was read; setting it would undo that change, e.g. "
                    "remove samples added since. Nothing was written: get the DataFrame again "
                    "(get_root_dataframe()), redo your changes on it and set it."
                )
            new = conform_dataframe(df, self._config, strict=True)
            self._check_protected(new)
            self._write(new)
            df.attrs[VERSION_ATTR] = self._version()
        self.changed.emit("dataframe", None)

    def _check_protected(self, new: pd.DataFrame) -> None:
        uuids = new["uuid_curve"]
        if uuids.duplicated().any():
            raise ProjectError(
                f"uuid_curve {uuids[uuids.duplicated()].iloc[0]!r} appears more than once; each "
                "row of the project DataFrame is one ROI and must appear once."
            )
        current = self._df.set_index("uuid_curve")
        unknown = ~uuids.isin(current.index)
        if unknown.any():
            raise ProjectError(
                f"{int(unknown.sum())} rows have a uuid_curve that is not in the project (first: "
                f"{uuids[unknown].iloc[0]!r}). Rows cannot be added by hand; add samples from the "
                "Viewer (Add to Project)."
            )
        old = current.loc[uuids.to_numpy()]
        for column in PROTECTED_COLUMNS:
            if column == "uuid_curve":
                continue
            differs = old[column].to_numpy() != new[column].to_numpy()
            if differs.any():
                row = int(np.flatnonzero(differs)[0])
                raise ProjectError(
                    f"Column {column!r} was changed (row {row}: {old[column].iloc[row]!r} -> "
                    f"{new[column].iloc[row]!r}). Do not modify CurvePath, ImgInfoPath, ImgPath, "
                    "ROI_State, SampleID or any uuid column; start again from a copy of "
                    "get_root_dataframe()."
                )
        joined = new["AnimalID"] + SAMPLE_ID_SEPARATOR + new["TrialID"]
        mismatch = (joined != new["SampleID"]).to_numpy()
        if mismatch.any():
            row = int(np.flatnonzero(mismatch)[0])
            raise ProjectError(
                f"Row {row}: AnimalID and TrialID no longer form the SampleID "
                f"{new['SampleID'].iloc[row]!r}. AnimalID and TrialID can never be changed; see "
                "the FAQ (Project Organization) for the work-around."
            )

    def add_sample(self, work_env: ViewerWorkEnv, animal_id: str, trial_id: str,
                   custom_values: Mapping[str, Any] | None = None, overwrite: bool = False,
                   overwrite_image: bool = True) -> str:
        """Add a work environment as a sample; returns its SampleID (AnimalID-_-TrialID).

        ``custom_values`` ``{custom column: value}`` (None: the work environment's
        ``custom_columns_dict``). ``overwrite=True`` replaces an existing sample with that
        SampleID; with ``overwrite_image=False`` the existing movie file is kept instead of
        writing the work environment's movie again. The replaced version's files are kept, so
        the backup made before the overwrite restores it (see ``purge_unreferenced_files``).
        Raises ``SampleIDError`` (bad or duplicate id), ``ColumnTypeError`` (value of the wrong
        type), ``ProjectError`` (unknown custom column, no image, no ROIs), ``MetaDataError``,
        ``StimulusMapError``; the project is then unchanged.
        """
        with self._lock:
            self._refresh()
            df = self._df
            sample_id = make_sample_id(animal_id, trial_id)[0]
            is_old = (df["SampleID"] == sample_id).to_numpy()
            if is_old.any() and not overwrite:
                raise SampleIDError(
                    f"SampleID {sample_id!r} already exists in the project. Choose another "
                    "AnimalID/TrialID, or overwrite the sample (overwrite=True, 'Save changes')."
                )
            old_rows = df[is_old]
            keep_image = old_rows["ImgPath"].iloc[0] if (is_old.any() and not overwrite_image) \
                else None
            if keep_image is not None and not self.layout.absolute(keep_image).is_file():
                raise ProjectError(
                    f"The sample's existing image file {keep_image} is missing; overwrite the "
                    "image data too (overwrite_image=True)."
                )
            sample = prepare_sample(self.layout, self._config, work_env, animal_id, trial_id,
                                    custom_values, keep_image)
            write_sample_files(self.layout, sample)
            try:
                self._write(self._splice_rows(df, is_old, sample.rows))
            except BaseException:
                remove_files(self.layout, sample.new_files)
                raise
        self.changed.emit("add_sample", sample.sample_id)
        return sample.sample_id

    @staticmethod
    def _splice_rows(df: pd.DataFrame, is_old: np.ndarray, rows: pd.DataFrame) -> pd.DataFrame:
        """``df`` with the rows ``is_old`` replaced by ``rows`` (at the old position, or at the
        end for a new sample)."""
        if len(df) == 0:
            return rows.reset_index(drop=True)
        at = int(np.argmax(is_old)) if is_old.any() else len(df)
        keep = ~is_old
        head, tail = df.iloc[:at][keep[:at]], df.iloc[at:][keep[at:]]
        out = pd.concat([head, rows, tail], ignore_index=True)
        return out.astype({c: rows[c].dtype for c in rows.columns if out[c].dtype != rows[c].dtype})

    def delete_sample(self, sample_id: str) -> None:
        """Remove a sample's rows from the DataFrame (after a backup).

        Its files are kept so restoring the backup brings the sample back; see
        ``purge_unreferenced_files``.
        """
        with self._lock:
            self._refresh()
            is_sample = self._df["SampleID"] == sample_id
            if not is_sample.any():
                raise SampleIDError(f"SampleID {sample_id!r} is not in the project.")
            self._write(self._df[~is_sample].reset_index(drop=True))
        self.changed.emit("delete_sample", sample_id)

    def _sample_rows(self, sample_id: str) -> pd.DataFrame:
        self._refresh()
        rows = self._df[self._df["SampleID"] == sample_id]
        if rows.empty:
            raise SampleIDError(f"SampleID {sample_id!r} is not in the project.")
        return rows

    def load_sample(self, sample_id: str) -> ViewerWorkEnv:
        """The sample's work environment (movie, meta, ROIs with tags and curves, stimulus maps,
        history, custom values, comments), with ``sample_id`` and ``UUID`` = ImgUUID set."""
        return load_work_env(self.layout, self._config, self._sample_rows(sample_id))

    def load_curve(self, row: Mapping[str, Any] | pd.Series) -> np.ndarray:
        """The ``(T,)`` curve of one DataFrame row (needs its CurvePath and uuid_curve)."""
        curves = CurveFile(self.layout.absolute(row["CurvePath"]))
        try:
            return curves.curve(row["uuid_curve"])
        finally:
            curves.close()

    def load_curves(self, df: pd.DataFrame) -> list[np.ndarray]:
        """The curves of all rows of ``df`` (each curve file opened once), in row order."""
        out: list[np.ndarray | None] = [None] * len(df)
        positions = pd.Series(np.arange(len(df)), index=pd.Index(df["CurvePath"].to_numpy()))
        uuids = df["uuid_curve"].to_numpy()
        for curve_path, pos in positions.groupby(level=0):
            curves = CurveFile(self.layout.absolute(curve_path))
            try:
                for i in pos.to_numpy():
                    out[i] = curves.curve(uuids[i])
            finally:
                curves.close()
        return out

    def apply_config(self, config: ProjectConfig) -> None:
        """Change the project configuration and update the DataFrame to match.

        Added ROI/stimulus columns are filled with "untagged", added custom columns with their
        replace value (or "untagged" / <NA> / NaN, see ``CustomColumn``); removed columns are
        dropped. Changing a column's type raises ``ColumnTypeError``. A DataFrame backup is made
        before the change.
        """
        if not isinstance(config, ProjectConfig):
            raise ConfigError(f"apply_config needs a ProjectConfig, got {type(config).__name__}.")
        with self._lock:
            self._refresh()
            new_config = config.validated()
            self._config.check_changes_to(new_config)
            columns_change = new_config.all_columns != self._config.all_columns
            new_df = conform_dataframe(self._df, new_config, strict=False)
            added = [c for c in new_df.columns if c not in self._df.columns]
            if columns_change:
                self._store.backup()
            if added:
                # Old and new columns together, the new ones freshly filled: whichever config is
                # on disk when a crash strikes, opening reconciles this file to it, and no stale
                # column of an earlier interrupted change can come back under the new config.
                interim = pd.concat([self._df, new_df[added]], axis=1)
                write_dataframe_file(self._store.path, interim)
            save_config(self.layout.config_file, new_config)
            if columns_change:
                write_dataframe_file(self._store.path, new_df)
            self._config, self._df = new_config, new_df
            self._signature = self._file_signature()
        self.changed.emit("config", None)

    def restore_backup(self, path: str | Path) -> Path:
        """Back up the current DataFrame, then restore ``path`` (a ``root_<timestamp>.dfr``).

        Returns the backup made of the replaced DataFrame. Columns are reconciled with the
        current config as in ``Project.open``. A backup whose columns cannot take the current
        config's types raises ``ProjectError``; the project is then unchanged.
        """
        with self._lock:
            self._refresh()
            self._check_restorable(Path(path))
            previous = self._store.restore(Path(path))
            self._load()
        self.changed.emit("restore_backup", Path(path))
        return previous

    def _check_restorable(self, path: Path) -> None:
        """Refuse (``ProjectError``) a backup the current config cannot open, before any change."""
        try:
            conform_dataframe(read_dataframe_file(path), self._config, strict=False)
        except ColumnTypeError as exc:
            raise ProjectError(
                f"The backup {path} cannot be restored under the current project configuration: "
                f"{exc} (the column was removed and added again with another type after this "
                "backup was made). Remove or rename that column in the Project Configuration, "
                "then restore the backup. The project is unchanged."
            ) from exc

    def missing_files(self) -> list[str]:
        """Project-relative paths the DataFrame refers to that do not exist (CNMF npz files are
        only checked through the samples that have one)."""
        self._refresh()
        referenced = set(self._df["ImgPath"]).union(self._df["ImgInfoPath"], self._df["CurvePath"])
        return sorted(p for p in referenced if not self.layout.absolute(p).is_file())

    def purge_unreferenced_files(self) -> list[Path]:
        """Delete sample files that neither ``root.dfr`` nor any backup refers to, and temporary
        files left by interrupted writes. Returns the deleted paths.

        Raises ``ProjectError`` / ``FormatVersionError`` if a backup cannot be read (nothing is
        deleted then: the files it refers to are unknown).
        """
        with self._lock:
            self._refresh()
            referenced = sample_files(self._df)
            for backup in self._store.backups():
                referenced |= sample_files(read_dataframe_file(
                    backup, columns=("ImgPath", "ImgInfoPath", "CurvePath")))
            removed = []
            for directory in (IMAGES_DIR, CURVES_DIR):
                for path in sorted((self.layout.root / directory).iterdir()):
                    if path.is_file() and self.layout.relative(path) not in referenced:
                        path.unlink()
                        removed.append(path)
            for directory in (self.layout.root, self.layout.root / DATAFRAMES_DIR):
                removed += _remove_temporary_files(directory.glob(".*.tmp"))
        return removed


def _remove_temporary_files(paths: Iterable[Path]) -> list[Path]:
    removed = []
    for path in sorted(paths):
        if path.is_file():
            path.unlink()
            removed.append(path)
    return removed
