"""Import an NWB (Neurodata Without Borders) optical-physiology file as a Mesmerize sample.

Reads files written by :mod:`nwb_export` back exactly (manual polygon/ellipse ROIs, CNMF(E)
components with their accepted set, tags, stimulus maps, meta data, custom values, history) and
any other ophys NWB file (CaImAn, suite2p, ... through NWB conversion tools): its ROIs become
CNMF-type ROIs whose footprint is the NWB image (or pixel) mask and whose curve is the NWB
fluorescence trace; text columns of the PlaneSegmentation become ROI tags; TimeIntervals tables
with a stimulus name column become stimulus maps.

The movie is needed (a project sample holds one): the acquisition series' frames
``(T, x, y)``, or its ``external_file`` (a TIFF, relative to the NWB file), or ``movie_path``.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Union

import numpy as np
import pandas as pd
import scipy.sparse as sp
from pynwb import NWBHDF5IO
from pynwb.image import ImageSeries
from pynwb.epoch import TimeIntervals
from pynwb.ophys import DfOverF, Fluorescence, ImageSegmentation

from mesmerize.core.errors import (
    ColumnTypeError, FormatVersionError, ImageLoadError, MetaDataError, ProjectError, ROIError,
    StimulusMapError,
)
from mesmerize.core.imaging.imgdata import ImgData
from mesmerize.core.imaging.tiff_io import open_movie_tyx
from mesmerize.core.interop.nwb_export import (
    ACCEPTED_COLUMN, CURVES_SERIES, DECONVOLVED_SERIES, INFO_TABLE, MESMERIZE_MODULE,
    NWB_INFO_FORMAT_VERSION, RESERVED_ROI_COLUMNS, RESIDUALS_SERIES, ROI_STATE_COLUMN,
    ROI_UUID_COLUMN, STIMULUS_COLOR_COLUMN, STIMULUS_NAME_COLUMN,
)
from mesmerize.core.meta import DATE_FORMAT, validate_meta
from mesmerize.core.project.config import CustomColumn
from mesmerize.core.project.project import Project
from mesmerize.core.roi.cnmf_data import CNMFData
from mesmerize.core.roi.manager import ROIManager
from mesmerize.core.roi.roi_types import UNTAGGED, roi_from_state
from mesmerize.core.stimulus import StimulusMaps
from mesmerize.core.work_env import ViewerWorkEnv

PathLike = Union[str, os.PathLike]

NWB_IMPORT_OPERATION = "nwb_import"
STIMULUS_NAME_COLUMNS = (STIMULUS_NAME_COLUMN, "stimulus", "stim_name", "condition")
"""Text columns, in order of preference, naming the stimulus of a foreign TimeIntervals row."""
_SNAP_FRAMES = 1e-6


@dataclass
class NWBImport:
    """What :func:`import_nwb` read.

    ``work_env``: movie, meta, ROIs (tags, curves), stimulus maps, custom values, comments,
    history; ready for ``Project.add_sample``. ``animal_id`` / ``trial_id``: suggestions (the
    Mesmerize ids, else the NWB subject id / session id / file name). ``roi_type_columns``,
    ``stimulus_types``: the tag columns and stimulus types found. ``extra_traces``: the other
    RoiResponseSeries of the plane ``{"Fluorescence/Residuals": (n_rois, T), ...}``.
    ``notes``: what was not imported, or assumed.
    """

    work_env: ViewerWorkEnv
    animal_id: str
    trial_id: str
    roi_type_columns: list[str]
    stimulus_types: list[str]
    extra_traces: dict[str, np.ndarray] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _read_info(nwbfile: Any, path: Path) -> dict[str, Any] | None:
    """The Mesmerize sample_info row as a dict (JSON columns decoded), or None."""
    module = nwbfile.processing.get(MESMERIZE_MODULE)
    if module is None or INFO_TABLE not in module.data_interfaces:
        return None
    table = module[INFO_TABLE]
    row = {name: table[name].data[0] for name in table.colnames}
    version = row.get("format_version")
    if not isinstance(version, (int, np.integer)) or isinstance(version, bool):
        raise FormatVersionError(f"{path}: the Mesmerize sample_info has no integer "
                                 "format_version; the file is damaged.")
    if version > NWB_INFO_FORMAT_VERSION:
        raise FormatVersionError(
            f"{path}: the Mesmerize sample information has format_version {version}, newer than "
            f"this Mesmerize understands ({NWB_INFO_FORMAT_VERSION}). Upgrade Mesmerize.")
    out = {}
    for key, value in row.items():
        value = value.decode() if isinstance(value, bytes) else value
        if key.endswith("_json"):
            try:
                out[key[:-5]] = json.loads(value)
            except (TypeError, ValueError) as exc:
                raise FormatVersionError(f"{path}: sample_info {key} is not JSON ({exc}).") \
                    from exc
        else:
            out[key] = value.item() if isinstance(value, np.generic) else value
    return out


def _plane_segmentations(nwbfile: Any) -> dict[str, Any]:
    """``{"module/segmentation/plane": PlaneSegmentation}`` of every ImageSegmentation."""
    found = {}
    for module_name, module in nwbfile.processing.items():
        for name, interface in module.data_interfaces.items():
            if isinstance(interface, ImageSegmentation):
                for plane_name, plane in interface.plane_segmentations.items():
                    found[f"{module_name}/{name}/{plane_name}"] = plane
    return found


def _choose_plane(nwbfile: Any, path: Path, wanted: str | None) -> tuple[str, Any]:
    planes = _plane_segmentations(nwbfile)
    if not planes:
        raise ROIError(
            f"{path} holds no optical physiology ROIs (no ImageSegmentation / PlaneSegmentation "
            "in any processing module). Mesmerize imports NWB files with ophys segmentation "
            "results; export them with ROIs (e.g. CaImAn/suite2p output converted to NWB).")
    if wanted is not None:
        matches = [k for k in planes if k == wanted or k.rsplit("/", 1)[-1] == wanted]
        if len(matches) != 1:
            raise ROIError(f"{path}: plane segmentation {wanted!r} not found; it has "
                           f"{', '.join(planes)}.")
        return matches[0], planes[matches[0]]
    if len(planes) > 1:
        raise ROIError(f"{path} has several plane segmentations ({', '.join(planes)}); choose "
                       "one with plane_segmentation=.")
    return next(iter(planes.items()))


def _masks(plane: Any, frame_shape: tuple[int, int] | None, path: Path) -> np.ndarray:
    """ROI masks ``(n_rois, x, y)`` from image_mask or pixel_mask."""
    if "image_mask" in plane.colnames:
        masks = np.asarray(plane["image_mask"].data[:])
        if masks.ndim != 3:
            raise ROIError(f"{path}: image_mask must be (n_rois, x, y), got {masks.shape}; "
                           "3-D (volumetric) masks are not supported.")
        return masks
    if "pixel_mask" in plane.colnames:
        if frame_shape is None:
            raise ROIError(f"{path}: pixel masks need the frame size, and the file has no movie "
                           "or dimension to take it from; pass movie_path=.")
        index = plane["pixel_mask"]  # a ragged column: the VectorIndex of the pixel rows
        entries = np.asarray(index.target.data[:])
        ends = np.asarray(index.data[:], dtype=np.int64)
        roi = np.repeat(np.arange(ends.size), np.diff(ends, prepend=0))
        x, y, weight = (entries[name] for name in entries.dtype.names[:3])
        outside = (x >= frame_shape[0]) | (y >= frame_shape[1])
        if outside.any():
            i = int(np.flatnonzero(outside)[0])
            raise ROIError(f"{path}: ROI {roi[i]} has pixel ({x[i]}, {y[i]}) outside the frame "
                           f"(x, y) = {frame_shape}.")
        masks = np.zeros((len(plane), *frame_shape), dtype=np.float64)
        masks[roi, x.astype(np.int64), y.astype(np.int64)] = weight
        return masks
    raise ROIError(f"{path}: the plane segmentation has neither image_mask nor pixel_mask "
                   "(voxel masks of volumetric imaging are not supported).")


def _movie_series(nwbfile: Any, plane: Any) -> Any:
    """The imaging series of the plane: its reference image series, else the acquisition
    ImageSeries on the same imaging plane, else the only ImageSeries of the acquisition."""
    for ref in plane.reference_images or ():
        series = ref if isinstance(ref, ImageSeries) else None
        if series is not None:
            return series
    candidates = [s for s in nwbfile.acquisition.values() if isinstance(s, ImageSeries)]
    same_plane = [s for s in candidates
                  if getattr(s, "imaging_plane", None) is plane.imaging_plane]
    if same_plane:
        return same_plane[0]
    return candidates[0] if len(candidates) == 1 else None


def _load_movie(series: Any, path: Path, movie_path: PathLike | None) -> np.ndarray:
    """The movie ``[x, y, t]``."""
    if movie_path is None and series is not None and series.external_file is not None:
        files = list(series.external_file[:])
        if len(files) != 1:
            raise ImageLoadError(f"{path}: the movie is split over {len(files)} external files; "
                                 "join them into one TIFF and pass movie_path=.")
        name = files[0].decode() if isinstance(files[0], bytes) else str(files[0])
        movie_path = path.parent / name if not Path(name).is_absolute() else Path(name)
        if not Path(movie_path).is_file():
            raise ImageLoadError(
                f"{path}: the movie {name} it refers to is not at {movie_path}; copy it there "
                "or pass movie_path=.")
    if movie_path is not None:
        movie_path = Path(movie_path)
        if movie_path.suffix.lower() not in (".tif", ".tiff"):
            raise ImageLoadError(f"{movie_path}: only TIFF movies can be opened; convert it to "
                                 "TIFF and pass movie_path=.")
        return np.array(open_movie_tyx(movie_path)).T
    if series is None or series.data is None or np.asarray(series.data.shape).prod() == 0:
        raise ImageLoadError(
            f"{path} has no imaging movie (no TwoPhotonSeries / OnePhotonSeries / ImageSeries "
            "with frames or an external file). A sample needs its movie: pass movie_path=.")
    frames = np.asarray(series.data[:])
    if frames.ndim != 3:
        raise ImageLoadError(f"{path}: the movie {series.name} must be (T, x, y), got "
                             f"{frames.shape}; volumetric or colour movies are not supported.")
    return np.ascontiguousarray(np.moveaxis(frames, 0, -1))


def _trace_series(nwbfile: Any, plane: Any) -> dict[str, Any]:
    """``{"Fluorescence/RoiResponseSeries": series, ...}`` of every series on ``plane``,
    Fluorescence before DfOverF."""
    found: dict[str, Any] = {}
    for kind in (Fluorescence, DfOverF):
        for module in nwbfile.processing.values():
            for name, interface in module.data_interfaces.items():
                if not isinstance(interface, kind):
                    continue
                for series_name, series in interface.roi_response_series.items():
                    if series.rois.table is plane:
                        found[f"{name}/{series_name}"] = series
    return found


def _series_rows(series: Any, n_rois: int, path: Path) -> np.ndarray:
    """Traces ``(n_rois, T)`` of a RoiResponseSeries covering every ROI of the plane."""
    data = np.asarray(series.data[:])
    data = data[:, None] if data.ndim == 1 else data
    rows = np.asarray(series.rois.data[:], dtype=np.int64)
    if data.ndim != 2 or data.shape[1] != rows.size:
        raise ROIError(f"{path}: {series.name} has shape {data.shape} for {rows.size} ROIs; "
                       "it must be (T, n_rois).")
    if np.unique(rows).size != n_rois or rows.min(initial=0) < 0 or rows.max(initial=-1) >= \
            n_rois:
        raise ROIError(f"{path}: {series.name} does not hold one trace for each of the "
                       f"{n_rois} ROIs; Mesmerize needs a trace per ROI.")
    out = np.empty((n_rois, data.shape[0]), dtype=data.dtype)
    out[rows] = data.T
    return out


def _text_column(plane: Any, name: str) -> list[str] | None:
    if name not in plane.colnames or f"{name}_index" in plane.colnames:
        return None
    values = plane[name].data[:]
    if len(values) and not all(isinstance(v, (str, bytes)) for v in values):
        return None
    return [v.decode() if isinstance(v, bytes) else str(v) for v in values]


def _fps(info: Mapping[str, Any] | None, nwbfile: Any, series: Any, traces: Any,
         path: Path) -> float:
    for candidate in (
        None if info is None else info["meta"].get("fps"),
        getattr(getattr(series, "imaging_plane", None), "imaging_rate", None),
        getattr(series, "rate", None), getattr(traces, "rate", None),
    ):
        if candidate is not None and np.isfinite(candidate) and candidate > 0:
            return float(candidate)
    for item in (series, traces):
        stamps = None if item is None or item.timestamps is None else np.asarray(
            item.timestamps[:])
        if stamps is not None and stamps.size > 1:
            step = float(np.median(np.diff(stamps)))
            if step > 0:
                return 1.0 / step
    raise MetaDataError(f"{path} gives no frame rate (imaging_rate, rate or timestamps); "
                        "Mesmerize needs fps for every analysis.")


def _name_column(table: Any) -> str | None:
    return next((c for c in STIMULUS_NAME_COLUMNS if c in table.colnames), None)


def _stimulus_maps(nwbfile: Any, info: Mapping[str, Any] | None, fps: float,
                   notes: list[str]) -> StimulusMaps:
    """One stimulus map per Mesmerize stimulus type, or per foreign TimeIntervals table that
    has a stimulus name column (periods in frames = seconds * fps)."""
    tables = dict(nwbfile.intervals.items()) if nwbfile.intervals is not None else {}
    for name in ("epochs", "trials"):
        if getattr(nwbfile, name, None) is not None:
            tables.setdefault(name, getattr(nwbfile, name))
    if info is not None:
        plan = {t: (s["table"], s["units"]) for t, s in info["stimulus"].items()}
    else:
        foreign = {name: table for name, table in tables.items()
                   if isinstance(table, TimeIntervals) and name != "invalid_times"}
        plan = {name: (name, "frames") for name, table in foreign.items() if _name_column(table)}
        notes.extend(
            f"TimeIntervals {name!r} has no stimulus name column "
            f"({', '.join(STIMULUS_NAME_COLUMNS)}); it was not imported."
            for name in foreign if name not in plan)
    maps = StimulusMaps(list(plan))
    for stim_type, (table_name, units) in plan.items():
        if table_name is None:
            continue
        table = tables.get(table_name)
        column = None if table is None else _name_column(table)
        if column is None:
            raise StimulusMapError(f"stimulus type {stim_type!r}: the TimeIntervals table "
                                   f"{table_name!r} is missing from the NWB file or has no "
                                   f"{STIMULUS_NAME_COLUMN!r} column; the file was modified.")
        start = np.asarray(table["start_time"].data[:], dtype=np.float64)
        stop = np.asarray(table["stop_time"].data[:], dtype=np.float64)
        if units == "frames":
            start, stop = _snap(start * fps), _snap(stop * fps)
        names = [v.decode() if isinstance(v, bytes) else str(v) for v in table[column].data[:]]
        df = pd.DataFrame({"name": names, "start": start, "end": stop})
        if STIMULUS_COLOR_COLUMN in table.colnames:
            df["color"] = [v.decode() if isinstance(v, bytes) else str(v)
                           for v in table[STIMULUS_COLOR_COLUMN].data[:]]
        maps.maps[stim_type].set_data(df, units=units)
    return maps


def _snap(frames: np.ndarray) -> np.ndarray:
    """Frames within 1e-6 of an integer become that integer (undoes the seconds round trip)."""
    nearest = np.round(frames)
    return np.where(np.abs(frames - nearest) < _SNAP_FRAMES, nearest, frames)


def _set_tag(roi: Any, column: str, tag: str) -> None:
    """Set a tag, leaving an "untagged" column unset (as it was before the export)."""
    if tag != UNTAGGED or roi.get_tag(column) != UNTAGGED:
        roi.set_tag(column, tag)


def _manual_manager(plane: Any, tag_columns: dict[str, str], seq: np.ndarray) -> ROIManager:
    states = _text_column(plane, ROI_STATE_COLUMN)
    if states is None or not all(states):
        raise ROIError(f"the manual ROIs of this Mesmerize file lack their {ROI_STATE_COLUMN!r} "
                       "geometry; the file was modified and cannot be imported as drawn ROIs.")
    manager = ROIManager(roi_type_columns=list(tag_columns))
    manager.roi_list.extend(roi_from_state(json.loads(state)) for state in states)
    for column, nwb_column in tag_columns.items():
        for roi, tag in zip(manager.roi_list, _text_column(plane, nwb_column)):
            _set_tag(roi, column, tag)
    manager.update_curves(seq)
    return manager


def _cnmf_manager(plane: Any, masks: np.ndarray, traces: np.ndarray, extra: Mapping[str, Any],
                  info: Mapping[str, Any] | None, tag_columns: dict[str, str],
                  mode: str) -> ROIManager:
    n_rois, n_x, n_y = masks.shape
    # (x, y) masks flattened in C order are CaImAn's Fortran-order pixels over (H, W) = (y, x).
    A = sp.csc_matrix(masks.reshape(n_rois, n_x * n_y).T)
    residuals = extra.get(f"Fluorescence/{RESIDUALS_SERIES}")
    if info is not None:
        accepted = info["idx_components"]
    elif ACCEPTED_COLUMN in plane.colnames or "Accepted" in plane.colnames:
        name = ACCEPTED_COLUMN if ACCEPTED_COLUMN in plane.colnames else "Accepted"
        accepted = np.flatnonzero(np.asarray(plane[name].data[:]).astype(bool))
    else:
        accepted = None
    data = CNMFData(
        A=A, b=None, C=traces, f=None,
        YrA=np.zeros_like(traces) if residuals is None else residuals, dims=(n_y, n_x),
        S=extra.get(f"Fluorescence/{DECONVOLVED_SERIES}"), idx_components=accepted)
    manager = ROIManager(roi_type_columns=list(tag_columns))
    manager.set_cnmf_data(data, mode=mode)
    uuids = _text_column(plane, ROI_UUID_COLUMN)
    tags = {column: _text_column(plane, nwb) for column, nwb in tag_columns.items()}
    for roi in manager.roi_list:
        if uuids is not None and uuids[roi.cnmf_idx]:
            roi.uuid = uuids[roi.cnmf_idx]
        for column, values in tags.items():
            _set_tag(roi, column, values[roi.cnmf_idx])
    return manager


def _foreign_meta(nwbfile: Any, path: Path, fps: float) -> dict[str, Any]:
    orig = {"nwb_file": path.name, "identifier": nwbfile.identifier,
            "session_description": nwbfile.session_description}
    for name in ("institution", "lab", "experiment_description"):
        value = getattr(nwbfile, name, None)
        if value:
            orig[name] = str(value)
    return {"source": "NWB", "fps": fps,
            "date": nwbfile.session_start_time.strftime(DATE_FORMAT), "orig_meta": orig}


def import_nwb(path: PathLike, *, movie_path: PathLike | None = None,
               plane_segmentation: str | None = None) -> NWBImport:
    """Read an NWB ophys file into a :class:`NWBImport` (its ``work_env`` is a sample).

    ``movie_path``: a TIFF to use as the movie instead of the file's own (needed when the NWB
    file has no frames and no reachable external file). ``plane_segmentation``: name (or
    ``module/segmentation/plane`` path) of the plane to import when the file has several.

    Mesmerize-exported files come back as they were: manual ROIs are rebuilt from their
    geometry (curves recomputed from the movie, as the project does), CNMF(E) components from
    the masks and the Fluorescence series (C, YrA, S). Other files: CNMF-type ROIs (footprint =
    mask, curve = first Fluorescence series, else DfOverF).

    Raises ``ImageLoadError`` (not an NWB file, no movie), ``ROIError`` (no segmentation, no
    traces, masks not matching the movie), ``MetaDataError``, ``StimulusMapError``,
    ``FormatVersionError`` (written by a newer Mesmerize).
    """
    path = Path(path)
    if not path.is_file():
        raise ImageLoadError(f"{path} does not exist or is not a file; choose an .nwb file.")
    try:
        io = NWBHDF5IO(str(path), mode="r")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ImageLoadError(f"{path} cannot be read as an NWB file: {exc}") from exc
    with io:
        try:
            nwbfile = io.read()
        except Exception as exc:  # pynwb/hdmf raise many types on malformed files
            raise ImageLoadError(f"{path} cannot be read as an NWB file: {exc}") from exc
        return _build_import(nwbfile, path, movie_path, plane_segmentation)


def _read_traces(nwbfile: Any, plane: Any, n_frames: int, path: Path,
                 notes: list[str]) -> tuple[dict[str, np.ndarray], str, Any]:
    """Every trace series of the plane as ``{key: (n_rois, T)}``, the key of the curves
    (``Fluorescence/RoiResponseSeries``, else the first Fluorescence series, else DfOverF) and
    that series."""
    all_series = _trace_series(nwbfile, plane)
    if not all_series:
        raise ROIError(f"{path}: no fluorescence traces (RoiResponseSeries in Fluorescence or "
                       "DfOverF) for the plane segmentation; Mesmerize needs a curve per ROI.")
    main_key = f"Fluorescence/{CURVES_SERIES}"
    main_key = main_key if main_key in all_series else next(iter(all_series))
    if main_key.startswith("DfOverF/"):
        notes.append(f"No Fluorescence series: the curves are {main_key} (dF/F).")
    traces = {k: _series_rows(s, len(plane), path) for k, s in all_series.items()}
    if traces[main_key].shape[1] != n_frames:
        raise ROIError(f"{path}: the traces have {traces[main_key].shape[1]} frames but the "
                       f"movie has {n_frames}; the movie does not belong to these ROIs.")
    return traces, main_key, all_series[main_key]


def _roi_manager(plane: Any, seq: np.ndarray, traces: dict[str, np.ndarray], main_key: str,
                 info: Mapping[str, Any] | None,
                 path: Path) -> tuple[ROIManager, dict[str, str], set[str]]:
    """The ROI manager, ``{tag column: NWB column}`` and the trace keys it used."""
    masks = _masks(plane, seq.shape[:2], path)
    if masks.shape[1:] != seq.shape[:2]:
        raise ROIError(f"{path}: the ROI masks are (x, y) = {masks.shape[1:]} but the movie's "
                       f"frames are {seq.shape[:2]}; the movie does not belong to these ROIs.")
    if info is not None:
        tag_columns, mode = dict(info["roi_type_columns"]), info["roi_manager_mode"]
    else:
        reserved = RESERVED_ROI_COLUMNS | {"Accepted", "Rejected"}
        tag_columns = {c: c for c in plane.colnames
                       if c not in reserved and _text_column(plane, c) is not None}
        mode = "cnmf"
    if mode == "manual":
        return _manual_manager(plane, tag_columns, seq), tag_columns, {main_key}
    manager = _cnmf_manager(plane, masks, traces[main_key], traces, info, tag_columns, mode)
    used = {main_key, f"Fluorescence/{RESIDUALS_SERIES}", f"Fluorescence/{DECONVOLVED_SERIES}"}
    return manager, tag_columns, used


def _sample_fields(nwbfile: Any, path: Path, info: Mapping[str, Any] | None, fps: float,
                   main_key: str) -> dict[str, Any]:
    """meta, history, custom values, comments and ids: Mesmerize's, else from NWB fields."""
    if info is not None:
        return {"meta": validate_meta(info["meta"]), "history": list(info["history_trace"]),
                "customs": dict(info["custom_columns"]), "comments": info["comments"],
                "animal_id": info["animal_id"], "trial_id": info["trial_id"]}
    subject = nwbfile.subject
    return {
        "meta": validate_meta(_foreign_meta(nwbfile, path, fps)),
        "history": [{NWB_IMPORT_OPERATION: {"file": path.name, "identifier": nwbfile.identifier,
                                            "traces": main_key}}],
        "customs": {}, "comments": nwbfile.notes or "",
        "animal_id": (subject.subject_id if subject is not None else None) or path.stem,
        "trial_id": nwbfile.session_id or nwbfile.identifier,
    }


def _build_import(nwbfile: Any, path: Path, movie_path: PathLike | None,
                  plane_name: str | None) -> NWBImport:
    notes: list[str] = []
    info = _read_info(nwbfile, path)
    _, plane = _choose_plane(nwbfile, path, plane_name)
    series = _movie_series(nwbfile, plane)
    seq = _load_movie(series, path, movie_path)
    traces, main_key, main_series = _read_traces(nwbfile, plane, seq.shape[2], path, notes)
    fps = _fps(info, nwbfile, series, main_series, path)
    manager, tag_columns, used = _roi_manager(plane, seq, traces, main_key, info, path)
    stim_maps = _stimulus_maps(nwbfile, info, fps, notes)
    fields = _sample_fields(nwbfile, path, info, fps, main_key)
    work_env = ViewerWorkEnv(
        imgdata=ImgData(seq, fields["meta"]), stim_maps=stim_maps,
        history_trace=fields["history"], roi_manager=manager,
        custom_columns_dict=fields["customs"], comments=fields["comments"])
    return NWBImport(
        work_env=work_env, animal_id=str(fields["animal_id"]), trial_id=str(fields["trial_id"]),
        roi_type_columns=list(tag_columns), stimulus_types=list(stim_maps.stim_types),
        extra_traces={k: v for k, v in traces.items() if k not in used}, notes=notes)


def _custom_type(name: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ColumnTypeError(f"custom value {name!r} = {value!r} is not text or a number.")
    return {str: "str", int: "int", float: "float"}[type(value)]


def add_nwb_to_project(project: Project, path: PathLike, animal_id: str | None = None,
                       trial_id: str | None = None, *, add_missing_columns: bool = False,
                       overwrite: bool = False, movie_path: PathLike | None = None,
                       plane_segmentation: str | None = None) -> str:
    """Import an NWB file (:func:`import_nwb`) and add it to ``project`` as a sample; returns
    the SampleID. ``animal_id``/``trial_id`` default to the ids found in the file.

    ROI tag columns, stimulus types and custom columns of the file that the project lacks raise
    ``ProjectError`` (nothing is added) unless ``add_missing_columns=True``, which adds them to
    the project configuration first. Other errors as :func:`import_nwb` and
    ``Project.add_sample``.
    """
    imported = import_nwb(path, movie_path=movie_path, plane_segmentation=plane_segmentation)
    config = project.config
    customs = {k: v for k, v in imported.work_env.custom_columns_dict.items() if v is not None}
    missing_roi = [c for c in imported.roi_type_columns if c not in config.user_columns]
    missing_stim = [t for t in imported.stimulus_types if t not in config.user_columns]
    missing_custom = {k: _custom_type(k, v) for k, v in customs.items()
                      if k not in config.user_columns}
    if missing_roi or missing_stim or missing_custom:
        if not add_missing_columns:
            raise ProjectError(
                f"{Path(path).name} has columns the project lacks (ROI types: "
                f"{missing_roi or 'none'}; stimulus types: {missing_stim or 'none'}; custom: "
                f"{list(missing_custom) or 'none'}). Add them in the Project Configuration or "
                "pass add_missing_columns=True.")
        config.roi_type_columns += missing_roi
        config.stimulus_type_columns += missing_stim
        config.custom_columns.update({k: CustomColumn(t) for k, t in missing_custom.items()})
        project.apply_config(config)
    return project.add_sample(
        imported.work_env, imported.animal_id if animal_id is None else animal_id,
        imported.trial_id if trial_id is None else trial_id, overwrite=overwrite)
