"""Transmission: the DataFrame plus HistoryTrace that flowchart operations pass along.

Column conventions (user guide, "Transmission"): numerical data columns start with ``_`` and are
upper case when made by an operation (``_RAW_CURVE``, ``_BUTTERWORTH``); categorical columns
have no leading underscore (``FCLUSTER_LABELS``); ``_BLOCK_`` holds the data block UUID string of
each row; uuid columns have ``uuid``/``UUID`` in their name.

A Transmission made from a project has, besides the project DataFrame's columns, ``_RAW_CURVE``
(each cell a ``(T,)`` array), ``meta`` (the sample's meta data dict, with ``fps``) and
``stim_maps`` (the sample's stimulus maps state, or None).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence
from uuid import uuid4

import numpy as np
import pandas as pd

from mesmerize.analysis.errors import DataBlockNotFoundError, TransmissionError
from mesmerize.analysis.history_trace import BLOCK_COLUMN, HistoryTrace
from mesmerize.analysis.trn_file import read_trn, write_trn
from mesmerize.core.errors import FormatVersionError, ProjectError

RAW_CURVE_COLUMN = "_RAW_CURVE"
SPAWN_OPERATION = "spawn_transmission"


class Transmission:
    """A DataFrame (``df``) and the HistoryTrace (``history_trace``) of its data blocks.

    ``proj_path``: the project directory the data came from (plots and the Datapoint Tracer find
    raw data there); ``last_output``: the column the last operation wrote; ``last_unit``:
    ``"time"`` or ``"frequency"``, the domain of ``last_output``; ``roi_type_columns``,
    ``stim_type_columns``, ``custom_columns``: the project's column definitions.
    """

    def __init__(self, df: pd.DataFrame, history_trace: HistoryTrace | Mapping[str, Any],
                 proj_path: str | os.PathLike | None = None, last_output: str | None = None,
                 last_unit: str | None = None, roi_type_columns: Sequence[str] = (),
                 stim_type_columns: Sequence[str] = (), custom_columns: Sequence[str] = ()) -> None:
        if not isinstance(df, pd.DataFrame):
            raise TransmissionError(
                f"A Transmission needs a pandas DataFrame, got {type(df).__name__}.")
        if isinstance(history_trace, Mapping):
            history_trace = HistoryTrace.from_dict(history_trace)
        if not isinstance(history_trace, HistoryTrace):
            raise TransmissionError(
                f"history_trace must be a HistoryTrace, got {type(history_trace).__name__}.")
        self.df = df
        self.history_trace = history_trace
        self.proj_path = None if proj_path is None else str(proj_path)
        self.last_output = last_output
        self.last_unit = last_unit
        self.roi_type_columns = list(roi_type_columns)
        self.stim_type_columns = list(stim_type_columns)
        self.custom_columns = list(custom_columns)

    def __repr__(self) -> str:
        return (f"<Transmission: {len(self.df)} rows x {len(self.df.columns)} columns, "
                f"{len(self.history_trace.data_blocks)} data block(s)>")

    def _info(self) -> dict:
        return {"proj_path": self.proj_path, "last_output": self.last_output,
                "last_unit": self.last_unit, "roi_type_columns": self.roi_type_columns,
                "stim_type_columns": self.stim_type_columns,
                "custom_columns": self.custom_columns}

    def copy(self) -> "Transmission":
        """A copy with its own DataFrame and HistoryTrace (array cells are shared: operations
        never modify arrays in place)."""
        return self.with_df(self.df.copy())

    def with_df(self, df: pd.DataFrame, history_trace: HistoryTrace | None = None,
                **changes: Any) -> "Transmission":
        """A new Transmission with ``df`` and this one's attributes (``changes`` override)."""
        info = self._info()
        info.update(changes)
        trace = self.history_trace.copy() if history_trace is None else history_trace
        return Transmission(df, trace, **info)

    @classmethod
    def from_dataframe(cls, df: pd.DataFrame, parameters: Mapping[str, Any] | None = None,
                       proj_path: str | os.PathLike | None = None, last_output: str | None = None,
                       last_unit: str | None = "time", **columns: Sequence[str]) -> "Transmission":
        """A Transmission whose rows form one new data block, logged as ``spawn_transmission``."""
        trace = HistoryTrace()
        block_df, block_id = trace.create_data_block(df.reset_index(drop=True))
        trace.add_operation(block_id, SPAWN_OPERATION, dict(parameters or {}))
        if last_output is None and RAW_CURVE_COLUMN in block_df.columns:
            last_output = RAW_CURVE_COLUMN
        return cls(block_df, trace, proj_path=proj_path, last_output=last_output,
                   last_unit=last_unit, **columns)

    @classmethod
    def from_proj_df(cls, df: pd.DataFrame, project: Any, sub_dataframe_name: str = "root",
                     dataframe_filter_history: Sequence[str] | None = None) -> "Transmission":
        """A Transmission of the rows of a project DataFrame (or of a Project Browser tab).

        Adds ``_RAW_CURVE`` (each row's curve, loaded with ``project.load_curves``), ``meta``
        and ``stim_maps`` (from each sample's information file) and one ``_BLOCK_``. The spawn
        operation logs ``sub_dataframe_name`` and the tab's filter expressions.
        """
        from mesmerize.core.project.samples import read_sample_info

        missing = [c for c in ("CurvePath", "uuid_curve", "ImgInfoPath") if c not in df.columns]
        if missing:
            raise TransmissionError(
                f"The DataFrame lacks the project column(s) {missing}; pass the project "
                "DataFrame or a Project Browser tab's DataFrame.")
        out = df.reset_index(drop=True).copy()
        curves = _object_column(project.load_curves(out))
        infos = {p: read_sample_info(project.layout.absolute(p))
                 for p in out["ImgInfoPath"].astype(str).unique()}
        paths = out["ImgInfoPath"].astype(str)
        out[RAW_CURVE_COLUMN] = curves
        out["meta"] = _object_column([infos[p]["meta"] for p in paths])
        out["stim_maps"] = _object_column([infos[p].get("stim_maps") for p in paths])
        history = None if dataframe_filter_history is None else list(dataframe_filter_history)
        params = {"sub_dataframe_name": sub_dataframe_name,
                  "dataframe_filter_history": {"dataframe_filter_history": history}}
        config = project.config
        return cls.from_dataframe(out, params, proj_path=project.path,
                                  roi_type_columns=config.roi_type_columns,
                                  stim_type_columns=config.stimulus_type_columns,
                                  custom_columns=list(config.custom_columns))

    def get_data_block_dataframe(self, data_block_id: str) -> pd.DataFrame:
        """The rows of one data block."""
        self.history_trace.get_operations_list(data_block_id)
        return self.df[self.df[BLOCK_COLUMN] == str(data_block_id)]

    def get_proj_path(self) -> str:
        if self.proj_path is None:
            raise ProjectError(
                "This Transmission has no project path; set it with set_proj_path(path).")
        return self.proj_path

    def set_proj_path(self, path: str | os.PathLike) -> None:
        """Point the Transmission at the project directory its rows' files live in."""
        path = Path(path).absolute()
        if not (path / "config.json").is_file():
            raise ProjectError(f"{path} is not a Mesmerize project directory (no config.json).")
        self.proj_path = str(path)

    @classmethod
    def merge(cls, transmissions: Iterable["Transmission"]) -> "Transmission":
        """Concatenate the DataFrames; every input block keeps its own history.

        Rows of a block that reached the merge through branches with different histories get a
        new block id in all but the first branch, so each branch's log is kept. Transmissions
        of different projects are refused.
        """
        items = list(transmissions)
        if not items or not all(isinstance(t, Transmission) for t in items):
            raise TransmissionError("merge needs one or more Transmissions.")
        seen: dict[str, list] = {}
        dfs, traces = [], []
        for t in items:
            history = t.history_trace.history
            remap = {b: str(uuid4()) for b in t.history_trace.data_blocks
                     if b in seen and seen[b] != history[b]}
            df = t.df
            if remap:
                df = df.copy()
                df[BLOCK_COLUMN] = df[BLOCK_COLUMN].map(lambda b: remap.get(b, b))
                history = {remap.get(b, b): h for b, h in history.items()}
            for b, h in history.items():
                seen.setdefault(b, h)
            dfs.append(df)
            blocks = [remap.get(b, b) for b in t.history_trace.data_blocks]
            traces.append(HistoryTrace(history, blocks))
        proj_paths = {t.proj_path for t in items if t.proj_path is not None}
        if len(proj_paths) > 1:
            raise TransmissionError(
                f"Cannot merge Transmissions of different projects {sorted(proj_paths)}.")

        def common(attr: str) -> Any:
            values = {repr(getattr(t, attr)) for t in items}
            return getattr(items[0], attr) if len(values) == 1 else None

        return cls(pd.concat(dfs, ignore_index=True), HistoryTrace.merge(traces),
                   proj_path=next(iter(proj_paths), None), last_output=common("last_output"),
                   last_unit=common("last_unit"),
                   roi_type_columns=_union(t.roi_type_columns for t in items),
                   stim_type_columns=_union(t.stim_type_columns for t in items),
                   custom_columns=_union(t.custom_columns for t in items))

    def to_hdf5(self, path: str | os.PathLike, overwrite: bool = False) -> None:
        """Save as a ``.trn`` file. An existing file is refused unless ``overwrite=True``."""
        write_trn(path, self.df, self.history_trace.to_dict(), self._info(), overwrite=overwrite)

    @classmethod
    def from_hdf5(cls, path: str | os.PathLike,
                  proj_path: str | os.PathLike | None = None) -> "Transmission":
        """Load a ``.trn`` file; ``proj_path`` overrides the project path recorded in it."""
        df, history, info = read_trn(path)
        try:
            trace = HistoryTrace.from_dict(history)
        except (TransmissionError, DataBlockNotFoundError, TypeError, AttributeError, ValueError,
                KeyError) as exc:
            raise FormatVersionError(
                f"{path}: the history attribute is damaged or was not written by Mesmerize "
                f"({type(exc).__name__}: {exc}).") from None
        t = cls(df, trace, **info)
        if proj_path is not None:
            t.set_proj_path(proj_path)
        return t


def _object_column(values: Sequence[Any]) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v
    return out


def _union(lists: Iterable[Sequence[str]]) -> list[str]:
    out: list[str] = []
    for items in lists:
        out.extend(c for c in items if c not in out)
    return out
