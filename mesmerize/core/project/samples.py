"""The files of one project sample and its rows in the project DataFrame.

A sample saved under ImgUUID ``u`` (a fresh uuid4 for every save) is
``images/<SampleID>-_-u.tiff`` (the movie, unless an overwrite keeps the previous movie file),
``images/<SampleID>-_-u.json`` (the sample info), ``images/<SampleID>-_-u_cnmf.npz`` (CNMF(E)
samples only) and ``curves/<SampleID>-_-u.npz`` (one 1-D curve per ``uuid_curve``). Because every
save uses new names, a save never overwrites a file the current DataFrame refers to.

This module prepares everything in memory first (``prepare_sample``: all validation happens
there), then writes files (``write_sample_files``); ``Project`` swaps the DataFrame afterwards.
"""
from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import numpy as np
import pandas as pd

from mesmerize.core.atomic import atomic_path, write_text_atomic
from mesmerize.core.errors import (
    ColumnTypeError, FormatVersionError, ProjectError, SampleIDError,
)
from mesmerize.core.imaging.imgdata import ImgData
from mesmerize.core.imaging.tiff_io import open_movie_tyx, save_tiff
from mesmerize.core.meta import validate_meta
from mesmerize.core.project.config import (
    UNTAGGED, ProjectConfig, coerce_custom_value,
)
from mesmerize.core.project.layout import (
    CURVES_DIR, IMAGES_DIR, SAMPLE_ID_SEPARATOR, ProjectLayout, cnmf_file_for_info,
    sample_file_stem,
)
from mesmerize.core.roi.cnmf_data import CNMFData
from mesmerize.core.roi.extraction import extract_curves
from mesmerize.core.safe_files import load_npz, scalar_int
from mesmerize.core.roi.manager import ROIManager
from mesmerize.core.stimulus import StimulusMaps
from mesmerize.core.work_env import ViewerWorkEnv

SAMPLE_INFO_FORMAT_VERSION = 1
CURVES_FORMAT_VERSION = 1
_CURVES_VERSION_KEY = "format_version"
_MAX_SAMPLE_ID_BYTES = 200


def _check_id_part(value: Any, what: str) -> str:
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        value = str(value)
    if not isinstance(value, str):
        raise SampleIDError(f"{what} must be text, got {value!r} ({type(value).__name__}).")
    if not value.strip():
        raise SampleIDError(f"{what} is empty; enter an {what}.")
    if value != value.strip():
        raise SampleIDError(f"{what} {value!r} starts or ends with white space; remove it.")
    if SAMPLE_ID_SEPARATOR in value:
        raise SampleIDError(
            f"{what} {value!r} contains {SAMPLE_ID_SEPARATOR!r}, which separates AnimalID and "
            f"TrialID in a SampleID. Do not use that character combination in an {what}."
        )
    bad = sorted({c for c in value if c in '/\\' or ord(c) < 32})
    if bad or value in (".", ".."):
        raise SampleIDError(
            f"{what} {value!r} contains characters that cannot be part of a file name "
            f"({', '.join(map(repr, bad)) or repr(value)}). Use letters, digits, '_' or '-'."
        )
    return value


def make_sample_id(animal_id: Any, trial_id: Any) -> tuple[str, str, str]:
    """Validate the two ids and return ``(SampleID, AnimalID, TrialID)`` as text.

    ``SampleID = AnimalID + "-_-" + TrialID``. Integer ids are accepted and turned into text.
    Raises ``SampleIDError``.
    """
    animal = _check_id_part(animal_id, "AnimalID")
    trial = _check_id_part(trial_id, "TrialID")
    sample_id = f"{animal}{SAMPLE_ID_SEPARATOR}{trial}"
    if len(sample_id.encode("utf-8")) > _MAX_SAMPLE_ID_BYTES:
        raise SampleIDError(
            f"SampleID {sample_id[:40]!r}... is longer than {_MAX_SAMPLE_ID_BYTES} bytes, too long "
            "for file names. Use shorter ids."
        )
    return sample_id, animal, trial


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (set, frozenset)):
        return sorted(obj)
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def to_json_text(obj: Any, what: str) -> str:
    """JSON text of ``obj`` (numpy scalars/arrays become numbers/lists); ``ProjectError`` if
    something in it cannot be stored as JSON."""
    try:
        return json.dumps(obj, default=_json_default, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise ProjectError(
            f"The {what} cannot be saved as JSON ({exc}). Keep only text, numbers, lists and "
            "dicts in it."
        ) from exc


def collect_custom_values(config: ProjectConfig, given: Mapping[str, Any] | None,
                          from_work_env: Mapping[str, Any] | None) -> dict[str, Any]:
    """The sample's value for every custom column, checked against the column types.

    ``given`` (the caller's values) must only name configured custom columns; when it is None
    the work environment's ``custom_columns_dict`` is used instead (values of columns the
    project no longer has are ignored). Unset columns get the column's fill value. Returns
    ``{column: python value}`` where missing numbers are None.
    """
    if given is None:
        values = {k: v for k, v in (from_work_env or {}).items() if k in config.custom_columns}
    else:
        if not isinstance(given, Mapping):
            raise ProjectError(f"custom_values must be a dict {{column: value}}, got {given!r}.")
        unknown = [k for k in given if k not in config.custom_columns]
        if unknown:
            raise ProjectError(
                f"Unknown custom columns: {', '.join(map(repr, unknown))}. The project's custom "
                f"columns are: {', '.join(config.custom_columns) or 'none'}. Add new columns in "
                "the Project Configuration first."
            )
        values = dict(given)
    out = {}
    for name, column in config.custom_columns.items():
        value = coerce_custom_value(name, column.type, values.get(name))
        if value is None:
            value = column.replace_value
        if value is None and column.type == "str":
            value = UNTAGGED
        out[name] = value
    return out


@dataclass
class PreparedSample:
    """Everything ``write_sample_files`` writes and the DataFrame rows that refer to it."""

    sample_id: str
    img_uuid: str
    image_path: str
    info_path: str
    curves_path: str
    cnmf_path: str | None
    write_image: bool
    seq: np.ndarray
    cnmf_data: Any
    info_text: str
    curves: dict[str, np.ndarray]
    rows: pd.DataFrame
    new_files: list[str] = field(default_factory=list)


def _check_work_env(work_env: Any) -> dict:
    if not isinstance(work_env, ViewerWorkEnv):
        raise ProjectError(f"add_sample needs a ViewerWorkEnv, got {type(work_env).__name__}.")
    if work_env.imgdata is None or work_env.imgdata.seq is None:
        raise ProjectError(
            "The work environment has no image sequence. Load an image (and create ROIs) "
            "before adding it to the project."
        )
    meta = validate_meta(work_env.imgdata.meta)
    manager = work_env.roi_manager
    if manager is None or len(manager.roi_list) == 0:
        raise ProjectError(
            "The work environment has no ROIs. Draw ROIs or import CNMF(E) output before "
            "adding it to the project."
        )
    if manager.mode in ("cnmf", "cnmfe") and manager.cnmf_data is None:
        raise ProjectError(
            f"The ROI manager is in {manager.mode} mode but holds no CNMF data. Import the "
            "CNMF(E) output again."
        )
    return meta


def _stimulus_columns(config: ProjectConfig, stim_maps: Any, n_frames: int, fps: float) -> dict:
    values = {name: UNTAGGED for name in config.stimulus_type_columns}
    if stim_maps is None:
        return values
    for stim_type in stim_maps.stim_types:
        stim_maps.maps[stim_type].validate(n_frames, fps)
    for name in config.stimulus_type_columns:
        if name in stim_maps.stim_types:
            names = list(dict.fromkeys(str(n) for n in stim_maps.names(name)))
            values[name] = ", ".join(names) if names else UNTAGGED
    return values


def _roi_curves(manager: Any, seq: np.ndarray) -> list[np.ndarray]:
    """Each ROI's curve ``(T,)``, ``T`` = frames of ``seq``.

    Manual ROIs: the mean of their pixels, always recomputed from ``seq`` so the stored curves
    match the stored movie. CNMF(E) ROIs: their temporal component, which must span ``T``.
    """
    rois = list(manager.roi_list)
    n_frames = seq.shape[2]
    if manager.mode == "manual":
        masks = (roi.mask(seq.shape[:2]) for roi in rois)
        return list(extract_curves(seq, masks))
    curves = []
    for i, roi in enumerate(rois):
        data = roi.curve_data
        curve = None if data is None else np.asarray(data[1])
        if curve is None or curve.ndim != 1 or curve.shape[0] != n_frames:
            raise ProjectError(
                f"CNMF ROI {i} has no curve spanning the movie's {n_frames} frames (got "
                f"{None if curve is None else curve.shape}). Import the CNMF(E) output that "
                "belongs to this movie again."
            )
        curves.append(curve)
    return curves


def prepare_sample(layout: ProjectLayout, config: ProjectConfig, work_env: ViewerWorkEnv,
                   animal_id: str, trial_id: str, custom_values: Mapping[str, Any] | None,
                   keep_image_path: str | None) -> PreparedSample:
    """Validate a work environment and build the sample's files (in memory) and rows.

    ``keep_image_path`` (project-relative) reuses an existing movie file instead of writing the
    work environment's movie. Raises ``SampleIDError``, ``ProjectError``, ``ColumnTypeError``,
    ``MetaDataError`` or ``StimulusMapError``; nothing is written.
    """
    sample_id, animal_id, trial_id = make_sample_id(animal_id, trial_id)
    meta = _check_work_env(work_env)
    customs = collect_custom_values(config, custom_values, work_env.custom_columns_dict)
    seq = work_env.imgdata.seq
    n_frames = seq.shape[2]
    stim_values = _stimulus_columns(config, work_env.stim_maps, n_frames, meta["fps"])
    comments = work_env.comments if work_env.comments is not None else ""
    if not isinstance(comments, str):
        raise ColumnTypeError(f"comments must be text, got {type(comments).__name__}.")

    manager = work_env.roi_manager
    rois = list(manager.roi_list)
    curves = _roi_curves(manager, seq)
    uuid_curves = [str(uuid.uuid4()) for _ in rois]
    img_uuid = str(uuid.uuid4())
    stem = sample_file_stem(sample_id, img_uuid)
    image_path = keep_image_path or f"{IMAGES_DIR}/{stem}.tiff"
    info_path = f"{IMAGES_DIR}/{stem}.json"
    curves_path = f"{CURVES_DIR}/{stem}.npz"
    cnmf_path = cnmf_file_for_info(info_path) if manager.mode in ("cnmf", "cnmfe") else None

    info = {
        "format_version": SAMPLE_INFO_FORMAT_VERSION,
        "sample_id": sample_id, "animal_id": animal_id, "trial_id": trial_id,
        "img_uuid": img_uuid, "image_file": image_path, "curves_file": curves_path,
        "cnmf_file": cnmf_path, "meta": meta,
        "stim_maps": None if work_env.stim_maps is None else work_env.stim_maps.to_state(),
        "history_trace": list(work_env.history_trace or []),
        "roi_manager": manager.to_state(),
        "uuid_curves": uuid_curves,
        "custom_columns": customs,
        "comments": comments,
    }
    info_text = to_json_text(info, "sample information (meta data, ROIs, stimulus maps, history)")
    roi_states = [to_json_text(roi.to_state(), "ROI state") for roi in rois]

    n = len(rois)
    columns: dict[str, Any] = {
        "SampleID": [sample_id] * n, "AnimalID": [animal_id] * n, "TrialID": [trial_id] * n,
        "ImgUUID": [img_uuid] * n, "ImgPath": [image_path] * n, "ImgInfoPath": [info_path] * n,
        "CurvePath": [curves_path] * n, "ROI_State": roi_states, "uuid_curve": uuid_curves,
        "date": [str(meta["date"])] * n, "comments": [comments] * n,
    }
    for name in config.roi_type_columns:
        columns[name] = [_tag_text(roi.get_tag(name), name) for roi in rois]
    for name, value in stim_values.items():
        columns[name] = [value] * n
    for name, value in customs.items():
        columns[name] = [config.fill_value(name) if value is None else value] * n
    rows = pd.DataFrame({c: pd.Series(columns[c], dtype=config.pandas_dtype(c))
                         for c in config.all_columns})

    return PreparedSample(
        sample_id=sample_id, img_uuid=img_uuid, image_path=image_path, info_path=info_path,
        curves_path=curves_path, cnmf_path=cnmf_path, write_image=keep_image_path is None,
        seq=seq, cnmf_data=manager.cnmf_data if cnmf_path else None, info_text=info_text,
        curves=dict(zip(uuid_curves, curves)), rows=rows,
    )


def _tag_text(tag: Any, column: str) -> str:
    if not isinstance(tag, str):
        raise ColumnTypeError(f"ROI tag of column {column!r} must be text, got {tag!r}.")
    return tag


def write_curves_npz(path: Path, curves: Mapping[str, np.ndarray]) -> None:
    """Atomically write ``{uuid_curve: (T,) array}`` plus ``format_version`` to an npz."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as fh:
            np.savez(fh, **{_CURVES_VERSION_KEY: np.array(CURVES_FORMAT_VERSION)}, **curves)


def write_sample_files(layout: ProjectLayout, sample: PreparedSample) -> None:
    """Write the sample's new files; on failure remove those already written and re-raise.

    ``sample.new_files`` lists (project-relative) the files written.
    """
    try:
        if sample.write_image:
            save_tiff(layout.absolute(sample.image_path), sample.seq)
            sample.new_files.append(sample.image_path)
        if sample.cnmf_path is not None:
            sample.cnmf_data.to_npz(layout.absolute(sample.cnmf_path))
            sample.new_files.append(sample.cnmf_path)
        write_curves_npz(layout.absolute(sample.curves_path), sample.curves)
        sample.new_files.append(sample.curves_path)
        write_text_atomic(layout.absolute(sample.info_path), sample.info_text)
        sample.new_files.append(sample.info_path)
    except BaseException:
        remove_files(layout, sample.new_files)
        raise


def remove_files(layout: ProjectLayout, relative_paths: list[str]) -> None:
    """Delete project files (missing ones are ignored)."""
    for rel in relative_paths:
        layout.absolute(rel).unlink(missing_ok=True)


def sample_files(rows: pd.DataFrame) -> set[str]:
    """Project-relative paths of every file the given DataFrame rows refer to (incl. the CNMF
    npz that may sit beside each sample info JSON)."""
    files: set[str] = set()
    for column in ("ImgPath", "ImgInfoPath", "CurvePath"):
        if column in rows.columns:
            files.update(rows[column].dropna().astype(str).unique())
    if "ImgInfoPath" in rows.columns:
        infos = rows["ImgInfoPath"].dropna().astype(str).unique()
        files.update(cnmf_file_for_info(p) for p in infos)
    return files


def read_sample_info(path: Path) -> dict:
    """Read a sample info JSON, checking its ``format_version``."""
    try:
        info = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ProjectError(f"Cannot read the sample information file {path}: {exc}") from exc
    version = info.get("format_version") if isinstance(info, dict) else None
    if not isinstance(version, int) or isinstance(version, bool):
        raise FormatVersionError(
            f"{path} has no format_version; it is not a Mesmerize sample file.")
    if version > SAMPLE_INFO_FORMAT_VERSION:
        raise FormatVersionError(
            f"{path} has format_version {version}, newer than this Mesmerize understands "
            f"({SAMPLE_INFO_FORMAT_VERSION}). Upgrade Mesmerize to open this sample."
        )
    return info


class CurveFile:
    """A sample's curves npz, read whole at opening (``allow_pickle=False``)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ProjectError(
                f"The curve file {self.path} is missing. Restore it, or remove the sample's rows "
                "from the project."
            )
        self._arrays = load_npz(self.path, "curve file", error=ProjectError)
        if _CURVES_VERSION_KEY not in self._arrays:
            raise FormatVersionError(
                f"{self.path} has no format_version; not a Mesmerize curve file.")
        version = scalar_int(self._arrays[_CURVES_VERSION_KEY], self.path, "format_version")
        if version > CURVES_FORMAT_VERSION:
            raise FormatVersionError(
                f"{self.path} has format_version {version}, newer than this Mesmerize understands "
                f"({CURVES_FORMAT_VERSION}). Upgrade Mesmerize."
            )

    def curve(self, uuid_curve: str) -> np.ndarray:
        """The ``(T,)`` curve stored under ``uuid_curve``."""
        if uuid_curve == _CURVES_VERSION_KEY or uuid_curve not in self._arrays:
            raise ProjectError(f"{self.path} has no curve with uuid_curve {uuid_curve!r}.")
        return self._arrays[uuid_curve]

    def close(self) -> None:
        """Release the curves read from the file."""
        self._arrays = {}


def _require_file(layout: ProjectLayout, rel: str, what: str) -> Path:
    path = layout.absolute(rel)
    if not path.is_file():
        raise ProjectError(
            f"The {what} of this sample, {path}, is missing. Restore it from a copy of the "
            "project, or delete the sample."
        )
    return path


def _value_or_none(value: Any) -> Any:
    return None if pd.isna(value) else (value.item() if isinstance(value, np.generic) else value)


def load_work_env(layout: ProjectLayout, config: ProjectConfig,
                  rows: pd.DataFrame) -> ViewerWorkEnv:
    """Rebuild the work environment of the sample whose DataFrame rows are ``rows``.

    Tags, comments and custom values come from the DataFrame rows (they may have been edited
    there since the sample was saved); everything else from the sample's files.
    """
    first = rows.iloc[0]
    info = read_sample_info(_require_file(layout, first["ImgInfoPath"], "information file"))
    movie = open_movie_tyx(_require_file(layout, first["ImgPath"], "image file"))
    seq = np.array(movie).T
    imgdata = ImgData(seq, info["meta"])
    cnmf_data = None
    if info.get("cnmf_file"):
        cnmf_data = CNMFData.from_npz(_require_file(layout, info["cnmf_file"], "CNMF file"))
    manager = ROIManager.from_state(info["roi_manager"], cnmf_data=cnmf_data, seq=seq)
    manager.set_roi_type_columns(config.roi_type_columns)
    by_uuid = rows.set_index("uuid_curve")
    for roi, uuid_curve in zip(manager.roi_list, info["uuid_curves"]):
        if uuid_curve in by_uuid.index:
            for column in config.roi_type_columns:
                roi.set_tag(column, by_uuid.at[uuid_curve, column])
    stim_state = info.get("stim_maps")
    stim_maps = None if stim_state is None else StimulusMaps.from_state(stim_state)
    customs = {name: _value_or_none(first[name]) for name in config.custom_columns}
    work_env = ViewerWorkEnv(
        imgdata=imgdata, sample_id=first["SampleID"], UUID=first["ImgUUID"], stim_maps=stim_maps,
        history_trace=info.get("history_trace") or [], roi_manager=manager,
        custom_columns_dict=customs, comments=first["comments"],
    )
    work_env.mark_saved()
    return work_env
