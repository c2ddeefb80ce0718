"""Import area ROIs from ImageJ ``.roi`` files and ROI Manager ``.zip`` sets (via roifile).

ImageJ's pixel coordinates match ours (pixel ``(i, j)`` covers ``[i, i+1) x [j, j+1)``, x to the
right, y down), so polygon vertices are taken as they are. Polygon, freehand and traced ROIs
(including ImageJ's rotated rectangles and ellipses, which are stored as freehand polygons) and
rectangles become :class:`PolygonROI`; ovals become :class:`EllipseROI`. Any other kind (line,
polyline, point, angle, text, image, composite) refuses the whole import.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import roifile
from roifile import ROI_SUBTYPE, ROI_TYPE

from mesmerize.core.errors import ROIError
from mesmerize.core.roi.roi_types import EllipseROI, PolygonROI

SUPPORTED_TYPES = ("polygon", "freehand", "traced", "rectangle", "oval")
_POLYGON_TYPES = (ROI_TYPE.POLYGON, ROI_TYPE.FREEHAND, ROI_TYPE.TRACED)
_UNSUPPORTED_SUBTYPES = (ROI_SUBTYPE.TEXT, ROI_SUBTYPE.IMAGE, ROI_SUBTYPE.ARROW)


def _type_name(roi: roifile.ImagejRoi) -> str:
    if roi.composite:
        return "composite"
    if roi.subtype in _UNSUPPORTED_SUBTYPES:
        return ROI_SUBTYPE(roi.subtype).name.lower()
    try:
        return ROI_TYPE(roi.roitype).name.lower()
    except ValueError:
        return f"unknown type {roi.roitype}"


def _is_supported(roi: roifile.ImagejRoi) -> bool:
    if roi.composite or roi.subtype in _UNSUPPORTED_SUBTYPES:
        return False
    return roi.roitype in (*_POLYGON_TYPES, ROI_TYPE.RECT, ROI_TYPE.OVAL)


def _box(roi: roifile.ImagejRoi) -> tuple[float, float, float, float]:
    """``(left, top, width, height)`` of a rectangle or oval, sub-pixel when stored so."""
    if roi.subpixelrect:
        return float(roi.xd), float(roi.yd), float(roi.widthd), float(roi.heightd)
    return (
        float(roi.left),
        float(roi.top),
        float(roi.right - roi.left),
        float(roi.bottom - roi.top),
    )


def _convert(roi: roifile.ImagejRoi) -> PolygonROI | EllipseROI:
    if roi.roitype == ROI_TYPE.OVAL:
        left, top, width, height = _box(roi)
        return EllipseROI((left + width / 2, top + height / 2), (width / 2, height / 2), 0.0)
    if roi.roitype == ROI_TYPE.RECT:
        left, top, width, height = _box(roi)
        vertices = [
            (left, top),
            (left + width, top),
            (left + width, top + height),
            (left, top + height),
        ]
        return PolygonROI(vertices)
    vertices = np.asarray(roi.coordinates(), dtype=np.float64)
    return PolygonROI(vertices)


def _roi_names(rois: list[roifile.ImagejRoi], path: Path) -> list[str]:
    names = []
    for i, roi in enumerate(rois):
        names.append(roi.name if roi.name else f"#{i + 1} in {path.name}")
    return names


def read_imagej_rois(path: str | os.PathLike) -> list[PolygonROI | EllipseROI]:
    """Read every ROI in an ImageJ ``.roi`` file or ``.zip`` set, in file order.

    All-or-nothing: ROIError when the file cannot be read, any ROI is of an unsupported type
    (the message lists those ROIs by name with their type, and the supported types) or any ROI
    has invalid geometry (named by its ImageJ name).
    """
    path = Path(path)
    if path.suffix.lower() not in (".roi", ".zip"):
        raise ROIError(f"{path}: ImageJ ROIs are read from .roi or .zip files")
    try:
        loaded = roifile.roiread(path)
    except Exception as exc:  # roifile raises ValueError/OSError/zipfile errors/struct errors
        raise ROIError(f"cannot read ImageJ ROIs from {path}: {exc}") from exc
    rois = loaded if isinstance(loaded, list) else [loaded]
    if not rois:
        raise ROIError(f"{path} contains no ROIs")
    names = _roi_names(rois, path)
    unsupported = [
        f"{name!r} ({_type_name(roi)})"
        for name, roi in zip(names, rois)
        if not _is_supported(roi)
    ]
    if unsupported:
        raise ROIError(
            f"{path}: cannot import {len(unsupported)} ROI(s) of unsupported type: "
            f"{', '.join(unsupported)}. Supported ImageJ ROI types are area ROIs: "
            f"{', '.join(SUPPORTED_TYPES)}. Remove the others in ImageJ and export again; "
            "nothing was imported."
        )
    converted = []
    problems = []
    for name, roi in zip(names, rois):
        try:
            converted.append(_convert(roi))
        except ROIError as exc:
            problems.append(f"{name!r}: {exc}")
    if problems:
        raise ROIError(
            f"{path}: invalid ROI geometry, nothing was imported: {'; '.join(problems)}"
        )
    return converted
