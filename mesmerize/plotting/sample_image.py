"""A project sample's picture for plots: the Max/Std projection of its movie and the outline of
the ROI of a DataFrame row (Datapoint Tracer, SpaceMap, Cross Correlation).

Paths in rows are project-relative (``ImgPath``, ``ImgInfoPath``), resolved against the
Transmission's ``proj_path``. Projections are cached per movie file (path, size, mtime).
"""
from __future__ import annotations

import json
import math
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import numpy as np

from mesmerize.core.errors import ProjectError, ROIError
from mesmerize.core.image_utils.auto_crop import projection_image
from mesmerize.core.imaging.tiff_io import open_movie_tyx
from mesmerize.core.project.layout import ProjectLayout
from mesmerize.core.project.samples import read_sample_info
from mesmerize.core.roi.cnmf_data import CNMFData
from mesmerize.core.roi.roi_types import CNMFROI, EllipseROI, PolygonROI, roi_from_state

PROJECTIONS = ("max", "std")
ELLIPSE_OUTLINE_POINTS = 64


def _project_file(proj_path: str | os.PathLike | None, relative: Any, what: str) -> Path:
    if proj_path is None:
        raise ProjectError(f"The {what} is not available: the data have no project path. Load "
                           "them from a project (LoadProjDF) or set the Transmission's project "
                           "path with t.set_proj_path(...).")
    if not isinstance(relative, str) or not relative:
        raise ProjectError(f"The {what} is not available: the row has no file path for it.")
    path = ProjectLayout(Path(proj_path)).absolute(relative)
    if not path.is_file():
        raise ProjectError(f"The {what} {path} is missing from the project at {proj_path}.")
    return path


def sample_projection(proj_path: str | os.PathLike | None, img_path: str,
                      kind: str = "max") -> np.ndarray:
    """``(x, y)`` float64 Max (``"max"``) or Std (``"std"``) projection of the sample movie at
    project-relative ``img_path``, scaled to [0, 1]. ``ProjectError``/``ImageLoadError`` when the
    project or the movie is missing or unreadable."""
    if kind not in PROJECTIONS:
        raise ProjectError(f"Projection must be one of {PROJECTIONS}, got {kind!r}.")
    path = _project_file(proj_path, img_path, "sample movie")
    stat = path.stat()
    return _cached_projection(str(path), stat.st_size, stat.st_mtime_ns, kind)


@lru_cache(maxsize=8)
def _cached_projection(path: str, size: int, mtime_ns: int, kind: str) -> np.ndarray:
    movie_tyx = open_movie_tyx(path)
    image = projection_image(movie_tyx.T, kind)
    image.setflags(write=False)
    return image


def _ellipse_outline(roi: EllipseROI) -> np.ndarray:
    (cx, cy), (rx, ry) = roi.center, roi.radii
    theta = math.radians(roi.angle_deg)
    s = np.linspace(0.0, 2.0 * np.pi, ELLIPSE_OUTLINE_POINTS, endpoint=False)
    u, v = rx * np.cos(s), ry * np.sin(s)
    return np.column_stack([cx + u * math.cos(theta) - v * math.sin(theta),
                            cy + u * math.sin(theta) + v * math.cos(theta)])


@lru_cache(maxsize=4)
def _cached_cnmf(path: str, mtime_ns: int) -> CNMFData:
    return CNMFData.from_npz(path)


def roi_outline(proj_path: str | os.PathLike | None, row: Mapping[str, Any]) -> np.ndarray:
    """``(n, 2)`` float64 ``(x, y)`` outline of the ROI of a project DataFrame ``row`` (its
    ``ROI_State``; CNMF components need the sample's CNMF file, found through
    ``ImgInfoPath``). ``ProjectError`` when the row has no readable ROI."""
    state_text = row.get("ROI_State")
    if not isinstance(state_text, str):
        raise ProjectError("The ROI outline is not available: the row has no ROI_State column "
                           "(it did not come from a project sample).")
    try:
        state = json.loads(state_text)
    except ValueError as exc:
        raise ProjectError(f"The row's ROI_State is not valid JSON: {exc}") from None
    cnmf_data = None
    if isinstance(state, dict) and state.get("roi_type") == CNMFROI.roi_type:
        info = read_sample_info(_project_file(proj_path, row.get("ImgInfoPath"),
                                              "sample information file"))
        cnmf_path = _project_file(proj_path, info.get("cnmf_file"), "sample's CNMF file")
        cnmf_data = _cached_cnmf(str(cnmf_path), cnmf_path.stat().st_mtime_ns)
    try:
        roi = roi_from_state(state, cnmf_data=cnmf_data)
    except ROIError as exc:
        raise ProjectError(f"The row's ROI cannot be rebuilt: {exc}") from None
    if isinstance(roi, PolygonROI):
        return roi.vertices.astype(np.float64)
    if isinstance(roi, EllipseROI):
        return _ellipse_outline(roi)
    return roi.contour()
