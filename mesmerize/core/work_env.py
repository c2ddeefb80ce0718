"""ViewerWorkEnv: everything the Viewer shows (movie, meta data, ROIs, stimulus maps, history).

A plain data holder with change notification: the Viewer window, its console and scripts all act
on the same instance. ``changed`` is emitted (no arguments) when the image data is replaced or
modified and on ``clear()``; ``modified`` records unsaved changes made through the work
environment, its ImgData, its ROI manager or its stimulus maps.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Union

from mesmerize.core.errors import ParameterError
from mesmerize.core.events import EventEmitter
from mesmerize.core.imaging.imgdata import ImgData
from mesmerize.core.imaging.tiff_io import load_tiff
from mesmerize.core.roi.manager import ROIManager
from mesmerize.core.stimulus import StimulusMaps

PathLike = Union[str, os.PathLike]


def _checked_history(history_trace: object) -> list[dict[str, dict]]:
    if history_trace is None:
        return []
    if not isinstance(history_trace, (list, tuple)):
        raise ParameterError(
            f"history_trace must be a list of {{operation_name: params_dict}}, got "
            f"{type(history_trace).__name__}"
        )
    out = []
    for i, entry in enumerate(history_trace):
        if (not isinstance(entry, Mapping) or len(entry) != 1
                or not isinstance(next(iter(entry)), str)
                or not isinstance(next(iter(entry.values())), Mapping)):
            raise ParameterError(
                f"history_trace entry {i} must be a dict with one key, the operation name, whose "
                f"value is the params dict (e.g. {{'cnmfe': {{'gSig': 10}}}}); got {entry!r}"
            )
        name, params = next(iter(entry.items()))
        out.append({name: dict(params)})
    return out


class ViewerWorkEnv:
    """The Viewer's work environment.

    ``imgdata``: ImgData or None (empty work environment). ``roi_manager``: ROIManager.
    ``sample_id`` / ``UUID``: SampleID and ImgUUID when opened from a project Sample.
    ``stim_maps``: StimulusMaps. ``history_trace``: list of ``{operation_name: params_dict}``.
    ``custom_columns_dict``: values of the project's custom columns. ``comments``: str.
    """

    def __init__(
        self,
        imgdata: ImgData | None = None,
        sample_id: str | None = None,
        UUID: Any = None,
        stim_maps: StimulusMaps | None = None,
        history_trace: list[dict[str, dict]] | None = None,
        roi_manager: ROIManager | None = None,
        custom_columns_dict: Mapping[str, Any] | None = None,
        comments: str = "",
    ) -> None:
        self.changed = EventEmitter()
        self._imgdata: ImgData | None = None
        self._roi_manager: ROIManager | None = None
        self._stim_maps: StimulusMaps | None = None
        self.imgdata = imgdata
        self.roi_manager = ROIManager() if roi_manager is None else roi_manager
        self.stim_maps = StimulusMaps() if stim_maps is None else stim_maps
        self.history_trace = _checked_history(history_trace)
        self.sample_id = sample_id
        self.UUID = UUID
        self.custom_columns_dict = dict(custom_columns_dict or {})
        self.comments = comments
        self._modified = False

    @classmethod
    def from_tiff(
        cls, path: PathLike, method: str = "asarray", meta_path: PathLike | None = None
    ) -> ViewerWorkEnv:
        """A work environment holding the TIFF movie at ``path`` (see ``tiff_io.load_tiff``)."""
        return cls(imgdata=load_tiff(path, method=method, meta_path=meta_path))

    @property
    def imgdata(self) -> ImgData | None:
        """The movie and its meta data; None when the work environment is empty."""
        return self._imgdata

    @imgdata.setter
    def imgdata(self, imgdata: ImgData | None) -> None:
        self.set_imgdata(imgdata)

    def set_imgdata(self, imgdata: ImgData | None) -> None:
        """Replace the image data (None empties it); marks the work env modified, emits changed."""
        if imgdata is not None and not isinstance(imgdata, ImgData):
            raise ParameterError(
                f"imgdata must be an ImgData, got {type(imgdata).__name__}: wrap the movie as "
                "ImgData(seq, meta) with seq shaped [x, y, t]"
            )
        if self._imgdata is not None:
            self._imgdata.changed.disconnect(self._on_imgdata_changed)
        self._imgdata = imgdata
        if imgdata is not None:
            imgdata.changed.connect(self._on_imgdata_changed)
        self._modified = True
        self.changed.emit()

    def _on_imgdata_changed(self) -> None:
        self._modified = True
        self.changed.emit()

    def _on_part_changed(self, *args: Any) -> None:
        self._modified = True

    @property
    def roi_manager(self) -> ROIManager:
        """The back-end ROI manager in use."""
        return self._roi_manager

    @roi_manager.setter
    def roi_manager(self, manager: ROIManager) -> None:
        if not isinstance(manager, ROIManager):
            raise ParameterError(f"roi_manager must be an ROIManager, got {type(manager).__name__}")
        if self._roi_manager is not None:
            self._roi_manager.changed.disconnect(self._on_part_changed)
        self._roi_manager = manager
        manager.changed.connect(self._on_part_changed)
        self._modified = True

    @property
    def stim_maps(self) -> StimulusMaps:
        """The stimulus maps, one per stimulus type of the project."""
        return self._stim_maps

    @stim_maps.setter
    def stim_maps(self, stim_maps: StimulusMaps) -> None:
        if not isinstance(stim_maps, StimulusMaps):
            raise ParameterError(
                f"stim_maps must be a StimulusMaps, got {type(stim_maps).__name__}"
            )
        if self._stim_maps is not None:
            self._stim_maps.changed.disconnect(self._on_part_changed)
        self._stim_maps = stim_maps
        stim_maps.changed.connect(self._on_part_changed)
        self._modified = True

    @property
    def meta(self) -> dict:
        """Meta data of the movie (``{}`` when empty or without meta data)."""
        return {} if self._imgdata is None else self._imgdata.meta

    @property
    def is_empty(self) -> bool:
        """True when there is no image data."""
        return self._imgdata is None

    @property
    def modified(self) -> bool:
        """True when something changed since construction, ``mark_saved()`` or ``clear()``."""
        return self._modified

    def mark_saved(self) -> None:
        """Record that the current state is saved (e.g. added to the project)."""
        self._modified = False

    def add_history(self, operation_name: str, params: Mapping[str, Any]) -> None:
        """Append ``{operation_name: params}`` to ``history_trace``."""
        if not isinstance(operation_name, str) or not operation_name:
            raise ParameterError(f"operation_name must be a non-empty str, got {operation_name!r}")
        if not isinstance(params, Mapping):
            raise ParameterError(
                f"params of {operation_name!r} must be a dict, got {type(params).__name__}"
            )
        self.history_trace.append({operation_name: dict(params)})
        self._modified = True

    def clear(self) -> None:
        """Free the image data and empty ROIs, stimulus maps, history and sample info.

        The ROI Type columns and stimulus types (project configuration) are kept.
        """
        if self._imgdata is not None:
            self._imgdata.changed.disconnect(self._on_imgdata_changed)
        self._imgdata = None
        self._roi_manager.clear()
        for stim_map in self._stim_maps.maps.values():
            stim_map.clear()
        self.history_trace.clear()
        self.sample_id = None
        self.UUID = None
        self.custom_columns_dict = {}
        self.comments = ""
        self._modified = False
        self.changed.emit()

    def __repr__(self) -> str:
        movie = "empty" if self._imgdata is None else repr(self._imgdata)
        return (
            f"ViewerWorkEnv({movie}, sample_id={self.sample_id!r}, "
            f"{len(self._roi_manager.roi_list)} ROIs, {len(self.history_trace)} history entries)"
        )
