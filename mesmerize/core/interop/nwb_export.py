"""Export project samples to NWB (Neurodata Without Borders) files with pynwb.

One NWB file per sample: an NWB file is one recording session (one ``session_start_time``, one
subject, one acquisition), and a Mesmerize sample is exactly that (one movie with its meta
data). One file per sample is also what the DANDI archive and other NWB readers expect.

Layout of a file (NWB axis order is ``(frame, x, y)``, the same x-before-y as our ``[x, y, t]``
sequences, so footprints ``(x, y)`` are stored as they are):

- ``acquisition/TwoPhotonSeries`` (``OnePhotonSeries`` for CNMF-E samples): the movie, as a
  reference to the project's TIFF (``external_file``, path relative to the NWB file; the TIFF
  holds ``[t, y, x]``) or, with ``include_movie=True``, its frames ``(T, x, y)``.
  ``rate`` = ``meta["fps"]``; ``session_start_time`` = ``meta["date"]``.
- ``processing/ophys/ImageSegmentation/PlaneSegmentation``: one row per ROI with
  ``image_mask`` ``(n_rois, x, y)`` (or ``pixel_mask`` rows ``(x, y, weight)``, float32
  weights), text columns ``roi_uuid``, ``uuid_curve`` (the project's), ``roi_state`` (the ROI's
  JSON state: polygon vertices, ellipse geometry, CNMF index) and one column per ROI Type (the
  tags). CNMF(E) samples list every component, rejected ones too, with a boolean ``accepted``
  column.
- ``processing/ophys/Fluorescence/RoiResponseSeries``: the curves ``(T, n_rois)`` (manual ROIs:
  mean of their pixels; CNMF: the temporal components ``C``), plus ``Residuals`` (``YrA``) and
  ``Deconvolved`` (``S``) for CNMF samples, and ``DfOverF/RoiResponseSeries`` when given.
- ``intervals/<stimulus type>``: one TimeIntervals table per stimulus type with periods, columns
  ``start_time``, ``stop_time`` (seconds from the first frame), ``stimulus_name``, ``color``.
- ``processing/mesmerize/sample_info``: one-row table with ``format_version`` and what NWB has
  no field for (meta data, custom column values, history trace, stimulus units, ROI manager mode,
  column name mapping), as JSON text.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence, Union

import h5py
import numpy as np
import pandas as pd
from hdmf.backends.hdf5 import H5DataIO
from hdmf.common import DynamicTable, VectorData
from hdmf.data_utils import DataChunkIterator
from pynwb import NWBHDF5IO, NWBFile, validate
from pynwb.epoch import TimeIntervals
from pynwb.file import Subject
from pynwb.ophys import (
    DfOverF, Fluorescence, ImageSegmentation, OnePhotonSeries, OpticalChannel, TwoPhotonSeries,
)

import mesmerize
from mesmerize.core.atomic import atomic_path
from mesmerize.core.errors import ParameterError, ProjectError, ROIError, SampleIDError
from mesmerize.core.meta import DATE_FORMAT, validate_meta
from mesmerize.core.project.project import Project
from mesmerize.core.project.samples import make_sample_id, read_sample_info, to_json_text
from mesmerize.core.roi.extraction import extract_curves
from mesmerize.core.work_env import ViewerWorkEnv

PathLike = Union[str, os.PathLike]

NWB_INFO_FORMAT_VERSION = 1
"""Version of the ``processing/mesmerize/sample_info`` table; readers refuse newer ones."""

OPHYS_MODULE = "ophys"
MESMERIZE_MODULE = "mesmerize"
INFO_TABLE = "sample_info"
SEGMENTATION = "ImageSegmentation"
PLANE_SEGMENTATION = "PlaneSegmentation"
IMAGING_PLANE = "ImagingPlane"
CURVES_SERIES = "RoiResponseSeries"
RESIDUALS_SERIES = "Residuals"
DECONVOLVED_SERIES = "Deconvolved"
STIMULUS_NAME_COLUMN = "stimulus_name"
STIMULUS_COLOR_COLUMN = "color"
ROI_UUID_COLUMN = "roi_uuid"
UUID_CURVE_COLUMN = "uuid_curve"
ROI_STATE_COLUMN = "roi_state"
ACCEPTED_COLUMN = "accepted"
RESERVED_ROI_COLUMNS = frozenset({
    "id", "image_mask", "pixel_mask", "pixel_mask_index", "voxel_mask", "voxel_mask_index",
    "reference_images", "imaging_plane", "description", "name", ROI_UUID_COLUMN,
    UUID_CURVE_COLUMN, ROI_STATE_COLUMN, ACCEPTED_COLUMN,
})
RESERVED_INTERVAL_NAMES = frozenset({"epochs", "trials", "invalid_times"})
MASK_TYPES = ("image", "pixel")
MICROSCOPY = ("auto", "two_photon", "one_photon")
TRACE_UNIT = "n.a."


@dataclass(frozen=True)
class NWBImagingInfo:
    """What NWB asks about the imaging set-up that Mesmerize meta data does not hold.

    ``indicator`` (e.g. "GCaMP6f"), ``location`` (brain region), wavelengths in nm (NaN:
    unknown), ``microscopy``: ``"two_photon"``, ``"one_photon"`` or ``"auto"`` (one-photon for
    CNMF-E samples, two-photon otherwise), ``device_description`` (default: the meta ``source``).
    """

    indicator: str = "unknown"
    location: str = "unknown"
    excitation_lambda: float = math.nan
    emission_lambda: float = math.nan
    microscopy: str = "auto"
    device_description: str | None = None

    def __post_init__(self) -> None:
        if self.microscopy not in MICROSCOPY:
            raise ParameterError(
                f"microscopy must be one of {', '.join(MICROSCOPY)}, got {self.microscopy!r}")
        for name in ("indicator", "location"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ParameterError(f"NWBImagingInfo.{name} must be non-empty text.")
        for name in ("excitation_lambda", "emission_lambda"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ParameterError(f"NWBImagingInfo.{name} must be a number in nm (NaN: "
                                     f"unknown), got {value!r}.")


def nwb_names(names: Sequence[str], reserved: Iterable[str] = ()) -> dict[str, str]:
    """``{name: NWB object name}``: '/' and ':' (not allowed in NWB names) become '_', and a
    name that is reserved or already used gets a numeric suffix."""
    taken = set(reserved)
    out = {}
    for name in names:
        base = name.replace("/", "_").replace(":", "_")
        candidate, i = base, 2
        while candidate in taken:
            candidate, i = f"{base}_{i}", i + 1
        taken.add(candidate)
        out[name] = candidate
    return out


def session_start(date: str, timezone: tzinfo | None) -> datetime:
    """The meta ``date`` (``YYYYMMDD_HHMMSS``) as an aware datetime (local time zone when
    ``timezone`` is None, as NWB requires a time zone)."""
    naive = datetime.strptime(date, DATE_FORMAT)
    return naive.astimezone() if timezone is None else naive.replace(tzinfo=timezone)


def _is_missing(value: Any) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _manager_rows(work_env: ViewerWorkEnv, uuid_curves: Sequence[str] | None,
                  curves: np.ndarray | None) -> dict[str, Any]:
    """Per-row content of the PlaneSegmentation: masks ``(n, x, y)``, ROI states, uuids, tags,
    accepted flags, and the traces ``{series name: (n, T)}``."""
    manager = work_env.roi_manager
    seq = work_env.imgdata.seq
    frame_shape = seq.shape[:2]
    rois = list(manager.roi_list)
    if not rois:
        raise ProjectError("The work environment has no ROIs; there is nothing to export to NWB.")
    if uuid_curves is None:
        uuid_curves = [""] * len(rois)
    if len(uuid_curves) != len(rois):
        raise ParameterError(
            f"uuid_curves has {len(uuid_curves)} entries for {len(rois)} ROIs; give one per ROI "
            "in ROI list order (or None).")
    tag_columns = list(dict.fromkeys(c for roi in rois for c in roi.get_all_tags()))
    if manager.mode == "manual":
        masks = np.stack([roi.mask(frame_shape) for roi in rois]).astype(np.float32)
        if curves is None:
            curves = extract_curves(seq, masks > 0)
        curves = np.asarray(curves)
        if curves.shape != (len(rois), seq.shape[2]):
            raise ParameterError(
                f"curves must be (n_rois, T) = {(len(rois), seq.shape[2])}, got {curves.shape}.")
        traces = {CURVES_SERIES: curves}
        return {
            "masks": masks, "rois": rois, "uuid_curves": list(uuid_curves),
            "tag_columns": tag_columns, "accepted": None, "traces": traces,
        }
    if curves is not None:
        raise ParameterError("curves= is for manual ROIs; the curves of CNMF(E) ROIs are their "
                             "temporal components C.")
    data = manager.cnmf_data
    n_x, n_y = frame_shape
    if data.dims != (n_y, n_x) or data.n_frames != seq.shape[2]:
        raise ROIError(
            f"The CNMF data (dims (H, W) = {data.dims}, {data.n_frames} frames) does not belong "
            f"to the movie ([x, y, t] = {seq.shape}); import the matching CNMF output again.")
    # A's pixel index is Fortran order over (H, W): a C-order reshape to (W, H) gives (x, y).
    masks = data.A.T.toarray().reshape(data.n_components, n_x, n_y)
    by_idx = {roi.cnmf_idx: (roi, uc) for roi, uc in zip(rois, uuid_curves)}
    row_rois = [by_idx.get(k, (None, ""))[0] for k in range(data.n_components)]
    traces = {CURVES_SERIES: data.C, RESIDUALS_SERIES: data.YrA}
    if data.S is not None:
        traces[DECONVOLVED_SERIES] = data.S
    accepted = np.zeros(data.n_components, dtype=bool)
    accepted[[roi.cnmf_idx for roi in rois]] = True
    return {
        "masks": masks, "rois": row_rois,
        "uuid_curves": [by_idx.get(k, (None, ""))[1] for k in range(data.n_components)],
        "tag_columns": tag_columns, "accepted": accepted, "traces": traces,
        "idx_components": None if data.idx_components is None
        else [int(k) for k in data.idx_components],
    }


def _movie_series(nwbfile: NWBFile, work_env: ViewerWorkEnv, imaging_plane: Any, path: Path,
                  movie_file: PathLike | None, include_movie: bool, one_photon: bool) -> Any:
    seq = work_env.imgdata.seq
    n_x, n_y, n_t = seq.shape
    fps = work_env.imgdata.meta["fps"]
    series_class, name = (OnePhotonSeries, "OnePhotonSeries") if one_photon \
        else (TwoPhotonSeries, "TwoPhotonSeries")
    common = dict(name=name, imaging_plane=imaging_plane, unit=TRACE_UNIT, rate=fps,
                  starting_time=0.0, dimension=[n_x, n_y])
    if include_movie:
        frames = DataChunkIterator(data=(np.asarray(seq[:, :, t]) for t in range(n_t)),
                                   maxshape=(n_t, n_x, n_y), dtype=seq.dtype, buffer_size=16)
        series = series_class(
            data=H5DataIO(frames, compression="gzip", chunks=(1, n_x, n_y)),
            description="Movie frames (frame, x, y).", **common)
    else:
        if movie_file is None:
            raise ParameterError(
                "The movie has no file to refer to: pass movie_file= (the TIFF it was loaded "
                "from) or include_movie=True to store the frames in the NWB file.")
        movie = Path(movie_file).absolute()
        try:
            reference = os.path.relpath(movie, path.absolute().parent)
        except ValueError:
            reference = str(movie)
        series = series_class(
            external_file=[Path(reference).as_posix()], format="external", starting_frame=[0],
            num_samples=n_t,
            description="Movie stored outside this file as a TIFF [t, y, x] (tifffile order); "
                        "external_file is relative to this NWB file.", **common)
    nwbfile.add_acquisition(series)
    return series


def _add_stimuli(nwbfile: NWBFile, work_env: ViewerWorkEnv, fps: float,
                 n_frames: int) -> dict[str, Any]:
    """One TimeIntervals per non-empty stimulus map (validated against the movie, as
    ``add_sample`` does); returns ``{stim type: {table, units}}``."""
    stim_maps = work_env.stim_maps
    types = list(stim_maps.stim_types)
    names = nwb_names(types, RESERVED_INTERVAL_NAMES)
    out: dict[str, Any] = {}
    for stim_type in types:
        smap = stim_maps.maps[stim_type]
        smap.validate(n_frames, fps)
        df = smap.dataframe
        if df.empty:
            out[stim_type] = {"table": None, "units": smap.units}
            continue
        per_second = fps if smap.units == "frames" else 1.0
        table = TimeIntervals(name=names[stim_type],
                              description=f"Mesmerize stimulus type {stim_type!r}.")
        table.add_column(name=STIMULUS_NAME_COLUMN, description="Stimulus name.")
        table.add_column(name=STIMULUS_COLOR_COLUMN, description="Display colour #rrggbbaa.")
        for name, start, end, color in df[["name", "start", "end", "color"]].itertuples(
                index=False):
            table.add_row(start_time=float(start) / per_second, stop_time=float(end) / per_second,
                          **{STIMULUS_NAME_COLUMN: str(name), STIMULUS_COLOR_COLUMN: str(color)})
        nwbfile.add_time_intervals(table)
        out[stim_type] = {"table": names[stim_type], "units": smap.units}
    return out


def _add_segmentation(nwbfile: NWBFile, rows: dict[str, Any], imaging_plane: Any,
                      movie: Any, fps: float, mask_type: str,
                      dff: np.ndarray | None) -> dict[str, str]:
    """PlaneSegmentation, Fluorescence (and DfOverF); returns ``{tag column: NWB column}``."""
    ophys = nwbfile.create_processing_module(name=OPHYS_MODULE,
                                             description="Optical physiology from Mesmerize.")
    segmentation = ImageSegmentation(name=SEGMENTATION)
    ophys.add(segmentation)
    masks = rows["masks"]
    n_rows, n_x, n_y = masks.shape
    image_columns = {}
    if mask_type == "image":
        # dense masks are mostly zeros: gzip, one chunk per ROI
        image_columns = {"id": list(range(n_rows)), "columns": [VectorData(
            name="image_mask", description="ROI weights (x, y); non-zero pixels belong to it.",
            data=H5DataIO(masks, compression="gzip", chunks=(1, n_x, n_y)))]}
    plane = segmentation.create_plane_segmentation(
        name=PLANE_SEGMENTATION, description="ROIs of the Mesmerize sample.",
        imaging_plane=imaging_plane, reference_images=movie, **image_columns)
    if mask_type == "pixel":
        for mask in masks:
            xs, ys = np.nonzero(mask)
            plane.add_roi(pixel_mask=list(zip(xs.tolist(), ys.tolist(),
                                              mask[xs, ys].astype(float).tolist())))
    rois = rows["rois"]
    states = ["" if roi is None else to_json_text(roi.to_state(), "ROI state") for roi in rois]
    plane.add_column(name=ROI_UUID_COLUMN, description="Mesmerize ROI uuid ('' for a rejected "
                     "CNMF component).", data=["" if roi is None else roi.uuid for roi in rois])
    plane.add_column(name=UUID_CURVE_COLUMN, description="uuid_curve of the ROI's row in the "
                     "Mesmerize project DataFrame ('' when not from a project).",
                     data=list(rows["uuid_curves"]))
    plane.add_column(name=ROI_STATE_COLUMN, description="Mesmerize ROI state (JSON): type, "
                     "polygon vertices / ellipse geometry (x, y pixels) or CNMF index.",
                     data=states)
    if rows["accepted"] is not None:
        plane.add_column(name=ACCEPTED_COLUMN, description="CNMF(E) component accepted.",
                         data=rows["accepted"].tolist())
    columns = nwb_names(rows["tag_columns"], RESERVED_ROI_COLUMNS)
    for tag_column, nwb_column in columns.items():
        plane.add_column(name=nwb_column, description=f"Mesmerize ROI Type {tag_column!r}.",
                         data=["untagged" if roi is None else roi.get_tag(tag_column)
                               for roi in rois])
    region = plane.create_roi_table_region(region=list(range(n_rows)),
                                           description="All ROIs.")
    fluorescence = Fluorescence(name="Fluorescence")
    ophys.add(fluorescence)
    descriptions = {
        CURVES_SERIES: "Mesmerize curves (manual ROIs: mean of the ROI's pixels; CNMF(E): "
                       "temporal components C).",
        RESIDUALS_SERIES: "CNMF(E) residuals YrA.",
        DECONVOLVED_SERIES: "CNMF(E) deconvolved activity S.",
    }
    for name, traces in rows["traces"].items():
        fluorescence.create_roi_response_series(
            name=name, data=np.ascontiguousarray(np.asarray(traces).T), rois=region,
            unit=TRACE_UNIT, rate=fps, starting_time=0.0, description=descriptions[name])
    if dff is not None:
        dff = np.asarray(dff)
        expected = (n_rows, np.asarray(rows["traces"][CURVES_SERIES]).shape[1])
        if dff.shape != expected:
            raise ParameterError(
                f"dff must be (n_rows, T) = {expected} (one row per exported ROI, CNMF: per "
                f"component), got {dff.shape}.")
        dfof = DfOverF(name="DfOverF")
        ophys.add(dfof)
        dfof.create_roi_response_series(
            name=CURVES_SERIES, data=np.ascontiguousarray(dff.T), rois=region, unit=TRACE_UNIT,
            rate=fps, starting_time=0.0, description="dF/F of the ROIs.")
    return columns


def _add_info_table(nwbfile: NWBFile, info: Mapping[str, Any]) -> None:
    module = nwbfile.create_processing_module(
        name=MESMERIZE_MODULE, description="Mesmerize sample information NWB has no field for.")
    table = DynamicTable(name=INFO_TABLE, description="Mesmerize sample information; *_json "
                         "columns are JSON text.")
    for key in info:
        table.add_column(name=key, description=f"Mesmerize {key}.")
    table.add_row(**info)
    module.add(table)


def _build_nwbfile(work_env: ViewerWorkEnv, path: Path, animal_id: str, trial_id: str,
                   movie_file: PathLike | None, include_movie: bool, uuid_curves: Any,
                   curves: np.ndarray | None, imaging: NWBImagingInfo, mask_type: str,
                   timezone: tzinfo | None, dff: np.ndarray | None,
                   identifier: str | None) -> NWBFile:
    meta = validate_meta(work_env.imgdata.meta)
    sample_id, animal_id, trial_id = make_sample_id(animal_id, trial_id)
    rows = _manager_rows(work_env, uuid_curves, curves)
    mode = work_env.roi_manager.mode
    one_photon = imaging.microscopy == "one_photon" or (
        imaging.microscopy == "auto" and mode == "cnmfe")
    comments = work_env.comments or ""
    nwbfile = NWBFile(
        session_description=f"Mesmerize sample {sample_id}",
        identifier=identifier or str(work_env.UUID or sample_id),
        session_start_time=session_start(meta["date"], timezone),
        session_id=sample_id, notes=comments or None,
        subject=Subject(subject_id=animal_id),
        source_script=f"Mesmerize {mesmerize.__version__}", source_script_file_name="mesmerize",
    )
    device = nwbfile.create_device(
        name="Microscope", description=imaging.device_description or meta["source"])
    channel = OpticalChannel(name="OpticalChannel", description="Imaging channel.",
                             emission_lambda=float(imaging.emission_lambda))
    plane = nwbfile.create_imaging_plane(
        name=IMAGING_PLANE, optical_channel=channel, description=f"Recorded with "
        f"{meta['source']}.", device=device, excitation_lambda=float(imaging.excitation_lambda),
        indicator=imaging.indicator, location=imaging.location, imaging_rate=meta["fps"])
    movie = _movie_series(nwbfile, work_env, plane, path, movie_file, include_movie, one_photon)
    tag_columns = _add_segmentation(nwbfile, rows, plane, movie, meta["fps"], mask_type, dff)
    stimuli = _add_stimuli(nwbfile, work_env, meta["fps"], work_env.imgdata.seq.shape[2])
    custom = {k: None if _is_missing(v) else v
              for k, v in (work_env.custom_columns_dict or {}).items()}
    _add_info_table(nwbfile, {
        "format_version": NWB_INFO_FORMAT_VERSION,
        "sample_id": sample_id, "animal_id": animal_id, "trial_id": trial_id,
        "roi_manager_mode": mode,
        "meta_json": to_json_text(meta, "meta data"),
        "custom_columns_json": to_json_text(custom, "custom column values"),
        "history_trace_json": to_json_text(list(work_env.history_trace), "history trace"),
        "stimulus_json": json.dumps(stimuli),
        "roi_type_columns_json": json.dumps(tag_columns),
        "idx_components_json": json.dumps(rows.get("idx_components")),
        "comments": comments,
    })
    return nwbfile


def export_work_env_to_nwb(
    work_env: ViewerWorkEnv, path: PathLike, animal_id: str, trial_id: str, *,
    movie_file: PathLike | None = None, include_movie: bool = False,
    uuid_curves: Sequence[str] | None = None, curves: np.ndarray | None = None,
    imaging: NWBImagingInfo | None = None, mask_type: str = "image",
    timezone: tzinfo | None = None, dff: np.ndarray | None = None,
    identifier: str | None = None, overwrite: bool = False, check: bool = True,
) -> Path:
    """Write one work environment (movie, ROIs, curves, tags, stimuli, meta) as an NWB file.

    ``movie_file``: the TIFF the movie is stored in, referenced from the NWB file; or
    ``include_movie=True`` to store the frames. ``uuid_curves``: the project's uuid_curve of
    each ROI (ROI list order). ``curves``: ``(n_rois, T)`` curves of manual ROIs to write (a
    project's stored curves) instead of recomputing them from the movie. ``mask_type``:
    ``"image"`` (dense ``(n_rois, x, y)``) or ``"pixel"`` (``(x, y, weight)`` lists, compact
    for large frames). ``timezone`` of ``meta["date"]`` (None: local). ``dff``: optional
    ``(n_rows, T)`` dF/F written to DfOverF (rows: the ROIs, or every component of a CNMF(E)
    sample). ``identifier``: NWB identifier (default the work environment's UUID or the
    SampleID). ``check``: validate the written file with pynwb before it replaces ``path``.

    The write is atomic. Raises ``ProjectError`` (``path`` exists and not ``overwrite``, no
    ROIs, validation failed), ``ParameterError``, ``MetaDataError``, ``SampleIDError``,
    ``ROIError``. Returns ``path``.
    """
    path = Path(path)
    if not isinstance(work_env, ViewerWorkEnv) or work_env.imgdata is None:
        raise ProjectError("NWB export needs a work environment holding a movie and ROIs.")
    if mask_type not in MASK_TYPES:
        raise ParameterError(f"mask_type must be one of {MASK_TYPES}, got {mask_type!r}")
    if path.exists() and not overwrite:
        raise ProjectError(f"{path} exists; choose another file name or pass overwrite=True.")
    imaging = NWBImagingInfo() if imaging is None else imaging
    nwbfile = _build_nwbfile(work_env, path, animal_id, trial_id, movie_file, include_movie,
                             uuid_curves, curves, imaging, mask_type, timezone, dff, identifier)
    with atomic_path(path) as tmp:
        # pynwb warns about a path without the .nwb suffix; the open handle keeps the temp name.
        with h5py.File(tmp, "w") as h5, NWBHDF5IO(file=h5, mode="w") as io:
            io.write(nwbfile)
        if check:
            errors = validate(path=str(tmp))
            if errors:
                raise ProjectError(
                    f"The NWB file for {path.name} does not pass pynwb's validator, so it was not "
                    f"written: {'; '.join(map(str, errors[:5]))}")
    return path


def export_sample_to_nwb(project: Project, sample_id: str, path: PathLike, *,
                         include_movie: bool = False, **options: Any) -> Path:
    """Export one project sample to ``path`` (see :func:`export_work_env_to_nwb` for
    ``options``); the movie is referenced in the project's ``images/`` unless
    ``include_movie``; the curves are the project's stored curves."""
    rows = project.dataframe
    rows = rows[rows["SampleID"] == sample_id]
    if rows.empty:
        raise SampleIDError(f"SampleID {sample_id!r} is not in the project.")
    first = rows.iloc[0]
    work_env = project.load_sample(sample_id)
    info = read_sample_info(project.layout.absolute(first["ImgInfoPath"]))
    uuid_curves = info["uuid_curves"]
    curves = None
    if work_env.roi_manager.mode == "manual":
        # the stored curves, which analyses use, rather than a recomputation from the movie
        curves = np.stack(project.load_curves(pd.DataFrame(
            {"CurvePath": [first["CurvePath"]] * len(uuid_curves), "uuid_curve": uuid_curves})))
    return export_work_env_to_nwb(
        work_env, path, first["AnimalID"], first["TrialID"],
        movie_file=None if include_movie else project.layout.absolute(first["ImgPath"]),
        include_movie=include_movie, uuid_curves=uuid_curves, curves=curves,
        identifier=str(first["ImgUUID"]), **options)


def export_samples_to_nwb(project: Project, sample_ids: Iterable[str], out_dir: PathLike, *,
                          include_movie: bool = False, overwrite: bool = False,
                          **options: Any) -> list[Path]:
    """Export samples to ``out_dir/<SampleID>.nwb``, one file per sample; returns the paths.

    Every SampleID and target is checked before anything is written (unknown SampleID:
    ``SampleIDError``; existing file without ``overwrite``: ``ProjectError``). Each file is
    written atomically; ``options`` as :func:`export_work_env_to_nwb` (``imaging``,
    ``mask_type``, ``timezone``, ``check``).
    """
    ids = list(dict.fromkeys(sample_ids))
    if not ids:
        raise ParameterError("No samples to export: give at least one SampleID.")
    known = set(project.sample_ids())
    unknown = [s for s in ids if s not in known]
    if unknown:
        raise SampleIDError(f"Not in the project: {', '.join(map(repr, unknown))}.")
    out = Path(out_dir)
    if out.exists() and not out.is_dir():
        raise ProjectError(f"{out} is a file; choose a directory for the NWB files.")
    targets = [out / f"{sample_id}.nwb" for sample_id in ids]
    existing = [p.name for p in targets if p.exists()]
    if existing and not overwrite:
        raise ProjectError(f"{out} already holds {', '.join(existing)}; choose another directory "
                           "or pass overwrite=True.")
    out.mkdir(parents=True, exist_ok=True)
    for sample_id, target in zip(ids, targets):
        export_sample_to_nwb(project, sample_id, target, include_movie=include_movie,
                             overwrite=True, **options)
    return targets
