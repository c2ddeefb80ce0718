"""Boolean pixel masks of polygon and ellipse ROIs.

Coordinates are ``(x, y)`` in the ``[x, y]`` frame (docs/conventions.md): pixel ``(i, j)`` covers
``x in [i, i+1)``, ``y in [j, j+1)`` and belongs to an ROI when its centre ``(i + 0.5, j + 0.5)``
is inside. Masks are boolean ``(x, y)`` arrays, like one frame ``seq[:, :, t]``. The part of an
ROI outside the frame is clipped; an ROI that covers no pixel centre of the frame is an error.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
from matplotlib.path import Path as MplPath

from mesmerize.core.errors import ROIError


def check_frame_shape(frame_shape: Sequence[int]) -> tuple[int, int]:
    """Return ``frame_shape`` as ``(n_x, n_y)`` ints; ROIError unless two positive sizes."""
    try:
        n_x, n_y = (int(s) for s in frame_shape)
    except (TypeError, ValueError):
        raise ROIError(
            f"frame shape must be two pixel counts (n_x, n_y), got {frame_shape!r}"
        ) from None
    if n_x <= 0 or n_y <= 0:
        raise ROIError(f"frame shape must be positive pixel counts (n_x, n_y), got {frame_shape!r}")
    return n_x, n_y


def validate_vertices(vertices: object, name: str = "polygon ROI") -> np.ndarray:
    """Return polygon ``vertices`` as a float64 ``(n, 2)`` array of ``(x, y)``.

    ROIError when the shape is wrong, there are fewer than 3 vertices, a vertex is NaN/inf, or
    the enclosed area is zero.
    """
    try:
        v = np.asarray(vertices, dtype=np.float64)
    except (TypeError, ValueError):
        raise ROIError(f"{name}: vertices must be numbers shaped (n, 2) as (x, y)") from None
    if v.ndim != 2 or v.shape[1] != 2:
        raise ROIError(f"{name}: vertices must be shaped (n, 2) as (x, y), got shape {v.shape}")
    if v.shape[0] < 3:
        raise ROIError(f"{name}: a polygon needs at least 3 vertices, got {v.shape[0]}")
    if not np.isfinite(v).all():
        raise ROIError(f"{name}: vertices contain NaN or infinite values; give finite (x, y)")
    spread = np.linalg.svd(v - v.mean(axis=0), compute_uv=False)
    if spread[1] <= 1e-12 * max(spread[0], 1.0):
        raise ROIError(f"{name}: the polygon has zero area (its vertices are collinear)")
    return v


def _centre_index_range(lo: float, hi: float, n: int) -> tuple[int, int]:
    """Pixel indices ``[start, stop)`` of the frame whose centres ``i + 0.5`` lie in [lo, hi]."""
    start = max(math.ceil(lo - 0.5), 0)
    stop = min(math.floor(hi - 0.5) + 1, n)
    return start, stop


def _outside_error(name: str, kind: str, extent: str, frame_shape: tuple[int, int]) -> ROIError:
    n_x, n_y = frame_shape
    return ROIError(
        f"{name}: the {kind} ({extent}) lies entirely outside the frame of shape (x, y) = "
        f"{frame_shape} (x in [0, {n_x}), y in [0, {n_y})); move it onto the image"
    )


def _empty_error(name: str, kind: str, frame_shape: tuple[int, int]) -> ROIError:
    return ROIError(
        f"{name}: the {kind} contains no pixel centre of the frame of shape (x, y) = "
        f"{frame_shape}; make it larger or move it onto the image"
    )


def polygon_mask(
    vertices: object, frame_shape: Sequence[int], name: str = "polygon ROI"
) -> np.ndarray:
    """Boolean ``(x, y)`` mask of the pixels whose centres lie inside the polygon.

    ``vertices``: ``(n, 2)`` ``(x, y)`` in pixels, n >= 3, open or closed. The even-odd rule
    decides self-intersecting polygons. ROIError (naming ``name`` and the frame shape) for invalid
    vertices or a polygon covering no pixel centre of the frame.
    """
    shape = check_frame_shape(frame_shape)
    v = validate_vertices(vertices, name)
    (x_lo, y_lo), (x_hi, y_hi) = v.min(axis=0), v.max(axis=0)
    extent = f"x in [{x_lo:g}, {x_hi:g}], y in [{y_lo:g}, {y_hi:g}]"
    i0, i1 = _centre_index_range(x_lo, x_hi, shape[0])
    j0, j1 = _centre_index_range(y_lo, y_hi, shape[1])
    if x_hi <= 0 or y_hi <= 0 or x_lo >= shape[0] or y_lo >= shape[1]:
        raise _outside_error(name, "polygon", extent, shape)
    mask = np.zeros(shape, dtype=bool)
    if i1 > i0 and j1 > j0:
        ii, jj = np.meshgrid(np.arange(i0, i1), np.arange(j0, j1), indexing="ij")
        centres = np.column_stack([ii.ravel() + 0.5, jj.ravel() + 0.5])
        inside = MplPath(v, closed=False).contains_points(centres)
        mask[i0:i1, j0:j1] = inside.reshape(ii.shape)
    if not mask.any():
        raise _empty_error(name, "polygon", shape)
    return mask


def validate_ellipse(
    center: object, radii: object, angle_deg: object, name: str = "ellipse ROI"
) -> tuple[tuple[float, float], tuple[float, float], float]:
    """Return ``((cx, cy), (rx, ry), angle_deg)`` as floats; ROIError for bad or zero radii."""
    try:
        c = np.asarray(center, dtype=np.float64).reshape(-1)
        r = np.asarray(radii, dtype=np.float64).reshape(-1)
        angle = float(angle_deg)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ROIError(
            f"{name}: center and radii must be (x, y) number pairs and angle_deg a number"
        ) from None
    if c.size != 2 or r.size != 2:
        raise ROIError(f"{name}: center and radii must be (x, y) pairs, got {center!r}, {radii!r}")
    if not (np.isfinite(c).all() and np.isfinite(r).all() and math.isfinite(angle)):
        raise ROIError(f"{name}: center, radii and angle must be finite numbers (no NaN/inf)")
    if (r <= 0).any():
        raise ROIError(f"{name}: radii must be > 0 (zero area otherwise), got {tuple(r)}")
    return (float(c[0]), float(c[1])), (float(r[0]), float(r[1])), angle


def ellipse_mask(
    center: object,
    radii: object,
    angle_deg: float,
    frame_shape: Sequence[int],
    name: str = "ellipse ROI",
) -> np.ndarray:
    """Boolean ``(x, y)`` mask of the pixels whose centres lie inside a rotated ellipse.

    ``center`` ``(cx, cy)`` and ``radii`` ``(rx, ry)`` in pixels; ``angle_deg`` rotates the
    ``rx`` axis from +x towards +y (clockwise on screen, where y points down). A pixel centre
    ``p`` is inside when ``(u / rx)^2 + (v / ry)^2 <= 1`` with ``(u, v)`` = ``p - center`` in the
    ellipse's axes.
    """
    shape = check_frame_shape(frame_shape)
    (cx, cy), (rx, ry), angle = validate_ellipse(center, radii, angle_deg, name)
    theta = math.radians(angle)
    cos_t, sin_t = math.cos(theta), math.sin(theta)
    half_x = math.hypot(rx * cos_t, ry * sin_t)
    half_y = math.hypot(rx * sin_t, ry * cos_t)
    extent = f"x in [{cx - half_x:g}, {cx + half_x:g}], y in [{cy - half_y:g}, {cy + half_y:g}]"
    if cx + half_x <= 0 or cy + half_y <= 0 or cx - half_x >= shape[0] or cy - half_y >= shape[1]:
        raise _outside_error(name, "ellipse", extent, shape)
    i0, i1 = _centre_index_range(cx - half_x, cx + half_x, shape[0])
    j0, j1 = _centre_index_range(cy - half_y, cy + half_y, shape[1])
    mask = np.zeros(shape, dtype=bool)
    if i1 > i0 and j1 > j0:
        dx = (np.arange(i0, i1) + 0.5 - cx)[:, None]
        dy = (np.arange(j0, j1) + 0.5 - cy)[None, :]
        u = dx * cos_t + dy * sin_t
        v = -dx * sin_t + dy * cos_t
        mask[i0:i1, j0:j1] = (u / rx) ** 2 + (v / ry) ** 2 <= 1.0
    if not mask.any():
        raise _empty_error(name, "ellipse", shape)
    return mask
