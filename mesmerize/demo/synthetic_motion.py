"""Brain motion for synthetic movies: rigid shifts, smooth non-rigid deformation, frame warping.

Convention (docs/conventions.md): a frame is the motionless image displaced by ``d``:
``frame(r) = image(r - d(r))``, so content at ``r0`` in the image appears at ``r0 + d`` in the
frame. Displacements are ``(dy, dx)`` in pixels.
"""
from __future__ import annotations

import functools

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter1d
from scipy.special import expit

from mesmerize.core.errors import ParameterError

#: Spacing in pixels between the control points of the non-rigid displacement grid.
NONRIGID_GRID_SPACING = 32.0


def smooth_unit_noise(rng: np.random.Generator, shape: tuple[int, ...], sigma: float) -> np.ndarray:
    """Gaussian noise low-passed along axis 0 (``sigma`` in samples), rescaled to unit std."""
    z = rng.standard_normal(shape)
    if sigma > 0:
        z = gaussian_filter1d(z, sigma, axis=0, mode="reflect")
    std = z.std()
    return z / std if std > 0 else z


def rigid_shifts(
    rng: np.random.Generator, n_frames: int, fps: float, max_shift: float
) -> np.ndarray:
    """Rigid motion ``(T, 2)`` float32 ``(dy, dx)`` px with ``|shift| < max_shift`` per axis.

    A slow drift (time scale ~2 s), frame-to-frame jitter, and occasional jumps (about one per
    20 s; a fast rise, then half of them return after 0.5-4 s and the others persist), squashed
    smoothly into ``(-max_shift, max_shift)`` with tanh.
    """
    if max_shift <= 0:
        return np.zeros((n_frames, 2), np.float32)
    raw = 0.4 * max_shift * smooth_unit_noise(rng, (n_frames, 2), 2.0 * fps)
    raw += 0.08 * max_shift * smooth_unit_noise(rng, (n_frames, 2), 1.0)
    t = np.arange(n_frames, dtype=np.float64)
    n_jumps = rng.poisson(n_frames / fps / 20.0)
    rise = max(1.0, 0.1 * fps)
    for _ in range(n_jumps):
        t0 = rng.uniform(0, n_frames)
        amp = rng.uniform(-0.9, 0.9, size=2) * max_shift
        profile = expit((t - t0) / (rise / 4.0))
        if rng.random() < 0.5:
            t1 = t0 + rng.uniform(0.5, 4.0) * fps
            profile = profile * expit(-(t - t1) / (0.5 * fps))
        raw += profile[:, None] * amp[None, :]
    return (max_shift * np.tanh(raw / max_shift)).astype(np.float32)


def nonrigid_grid(
    rng: np.random.Generator, n_frames: int, fps: float, shape_hw: tuple[int, int], amplitude: float
) -> np.ndarray | None:
    """Control-point displacements ``(T, gy, gx, 2)`` float32 px, or None when ``amplitude <= 0``.

    Independent smooth (time scale ~1 s) random values at control points spaced about
    ``NONRIGID_GRID_SPACING`` px apart, bounded by ``amplitude`` through tanh (and so is the
    upsampled field, a convex combination of them).
    """
    if amplitude <= 0:
        return None
    h, w = shape_hw
    gy = max(3, int(round(h / NONRIGID_GRID_SPACING)) + 1)
    gx = max(3, int(round(w / NONRIGID_GRID_SPACING)) + 1)
    z = smooth_unit_noise(rng, (n_frames, gy, gx, 2), 1.0 * fps)
    return (amplitude * np.tanh(0.8 * z)).astype(np.float32)


def _bspline_weights(n_out: int, n_ctrl: int) -> np.ndarray:
    """``(n_out, n_ctrl)`` cubic B-spline weights placing ``n_ctrl`` control points evenly from
    the first to the last pixel. Rows are convex combinations (edge points repeated), so the
    upsampled field never exceeds the control values and is twice continuously differentiable."""
    u = np.arange(n_out) * (n_ctrl - 1) / max(n_out - 1, 1)
    i = np.floor(u).astype(np.int64)
    f = u - i
    basis = np.stack([
        (1 - f) ** 3, 3 * f**3 - 6 * f**2 + 4, -3 * f**3 + 3 * f**2 + 3 * f + 1, f**3
    ]) / 6
    weights = np.zeros((n_out, n_ctrl))
    rows = np.arange(n_out)
    for j in range(4):
        np.add.at(weights, (rows, np.clip(i - 1 + j, 0, n_ctrl - 1)), basis[j])
    return weights


def upsample_grid(grid: np.ndarray, shape_hw: tuple[int, int]) -> np.ndarray:
    """Cubic B-spline upsampling of grids ``(..., gy, gx, 2)`` to ``(..., H, W, 2)`` float32."""
    h, w = shape_hw
    wy = _bspline_weights(h, grid.shape[-3]).astype(np.float32)
    wx = _bspline_weights(w, grid.shape[-2]).astype(np.float32)
    out = np.empty(grid.shape[:-3] + (h, w, 2), np.float32)
    for c in range(2):
        out[..., c] = wy @ grid[..., c].astype(np.float32) @ wx.T
    return out


def flow_frames(
    shifts: np.ndarray, grid: np.ndarray | None, shape_hw: tuple[int, int], t0: int, t1: int
) -> np.ndarray:
    """Total displacement ``(t1 - t0, H, W, 2)`` float32 ``(dy, dx)`` of frames ``t0:t1``.

    The rigid shift of each frame plus its upsampled non-rigid grid (when ``grid`` is not None).
    """
    h, w = shape_hw
    out = np.empty((t1 - t0, h, w, 2), np.float32)
    out[:] = shifts[t0:t1, None, None, :]
    if grid is not None:
        out += upsample_grid(grid[t0:t1], shape_hw)
    return out


@functools.lru_cache(maxsize=8)
def _pixel_grid(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    yy.flags.writeable = False
    xx.flags.writeable = False
    return yy, xx


def displace(image: np.ndarray, displacement: np.ndarray) -> np.ndarray:
    """Warp ``image`` ``(H, W)`` so that ``out(r) = image(r - d(r))`` (content moves by ``+d``).

    ``displacement`` is ``(2,)`` (rigid ``(dy, dx)``) or ``(H, W, 2)`` per pixel. Bicubic
    interpolation (OpenCV, sub-pixel resolution 1/32 px), borders reflected. Returns float32.
    """
    img = np.ascontiguousarray(image, np.float32)
    h, w = img.shape
    d = np.asarray(displacement, np.float32)
    yy, xx = _pixel_grid(h, w)
    if d.shape == (2,):
        map_y, map_x = yy - d[0], xx - d[1]
    elif d.shape == (h, w, 2):
        map_y, map_x = yy - d[..., 0], xx - d[..., 1]
    else:
        raise ParameterError(
            f"displacement must be shaped (2,) or ({h}, {w}, 2) to match the image, got {d.shape}"
        )
    return cv2.remap(img, map_x, map_y, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT)
