"""Piecewise-rigid registration: overlapping patch grid, per-patch shifts, smooth shift fields.

Patches are ``strides + overlaps`` px wide and start every ``strides`` px; a last patch is
aligned to the far edge so the whole frame is covered. Each patch is registered against the
same patch of the template, its integer peak searched within ``max_dev`` px of the frame's
rigid shift. Patch shifts ``(n, n_patches_y, n_patches_x, 2)`` are turned into a per-pixel field
by a separable interpolation: cubic spline through the patch centres onto a grid ``upsample``
times finer, then linear to every pixel (constant beyond the outer centres).
"""
from __future__ import annotations

import dataclasses

import numpy as np
from scipy.interpolate import CubicSpline

from .registration import estimate_shifts, template_spectrum


def _starts(size: int, patch: int, stride: int) -> np.ndarray:
    starts = list(range(0, size - patch + 1, stride))
    if starts[-1] + patch < size:
        starts.append(size - patch)
    return np.asarray(starts, dtype=np.int64)


def axis_interpolation_matrix(centres: np.ndarray, size: int, upsample: int) -> np.ndarray:
    """``(size, n_centres)`` float32 matrix mapping patch values to every pixel of one axis."""
    n = len(centres)
    if n == 1:
        return np.ones((size, 1), dtype=np.float32)
    steps = np.arange(upsample) / upsample
    fine = np.append((centres[:-1, None] + np.diff(centres)[:, None] * steps).ravel(), centres[-1])
    spline = CubicSpline(centres, np.eye(n))(fine) if upsample > 1 else np.eye(n)
    pixels = np.arange(size, dtype=np.float64)
    linear = np.stack([np.interp(pixels, fine, e) for e in np.eye(len(fine))], axis=1)
    return (linear @ spline).astype(np.float32)


@dataclasses.dataclass(frozen=True)
class PatchGrid:
    """Patch layout over a frame. ``offset``: position of the registered region in the frame
    (``bord_px``); ``starts_*`` are relative to that region; centres are in frame pixels."""

    frame_shape: tuple[int, int]
    region_shape: tuple[int, int]
    offset: int
    patch_size: tuple[int, int]
    starts_y: np.ndarray
    starts_x: np.ndarray
    upsample: int

    @classmethod
    def build(cls, frame_shape: tuple[int, int], strides: tuple[int, int],
              overlaps: tuple[int, int], upsample: int, bord_px: int = 0) -> PatchGrid | None:
        """The grid, or None when the (border-cropped) frame is smaller than one patch."""
        region = (frame_shape[0] - 2 * bord_px, frame_shape[1] - 2 * bord_px)
        patch = (strides[0] + overlaps[0], strides[1] + overlaps[1])
        if region[0] < patch[0] or region[1] < patch[1]:
            return None
        return cls(tuple(frame_shape), region, bord_px, patch,
                   _starts(region[0], patch[0], strides[0]),
                   _starts(region[1], patch[1], strides[1]), upsample)

    @property
    def n_patches(self) -> tuple[int, int]:
        return len(self.starts_y), len(self.starts_x)

    @property
    def centres_y(self) -> np.ndarray:
        """Patch centres along y in frame pixels ``(n_patches_y,)``."""
        return self.starts_y + self.offset + (self.patch_size[0] - 1) / 2.0

    @property
    def centres_x(self) -> np.ndarray:
        """Patch centres along x in frame pixels ``(n_patches_x,)``."""
        return self.starts_x + self.offset + (self.patch_size[1] - 1) / 2.0

    def windows(self, region_frames: np.ndarray, offsets: np.ndarray, margin: int) -> np.ndarray:
        """Patch windows ``(n, ny, nx, ph + 2 margin, pw + 2 margin)`` float32.

        Window ``(i, j)`` of frame ``k`` is patch ``(i, j)`` grown by ``margin`` px on each side
        and moved by the integer ``offsets[k] = (oy, ox)`` px; regions beyond the frame edge are
        mirrored.
        """
        offsets = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
        pad = margin + int(np.abs(offsets).max(initial=0))
        padded = np.pad(region_frames, ((0, 0), (pad, pad), (pad, pad)), mode="reflect")
        size = (self.patch_size[0] + 2 * margin, self.patch_size[1] + 2 * margin)
        view = np.lib.stride_tricks.sliding_window_view(padded, size, axis=(1, 2))
        k = np.arange(len(padded))[:, None, None]
        ys = (self.starts_y[None, :, None] + offsets[:, 0, None, None]) + (pad - margin)
        xs = (self.starts_x[None, None, :] + offsets[:, 1, None, None]) + (pad - margin)
        return view[k, ys, xs]

    def interpolation_matrices(self) -> tuple[np.ndarray, np.ndarray]:
        """``(H, n_patches_y)`` and ``(W, n_patches_x)`` float32 interpolation matrices."""
        return (axis_interpolation_matrix(self.centres_y, self.frame_shape[0], self.upsample),
                axis_interpolation_matrix(self.centres_x, self.frame_shape[1], self.upsample))

    def field(self, patch_shifts: np.ndarray) -> np.ndarray:
        """Patch shifts ``(n, ny, nx, 2)`` -> per-pixel shifts ``(n, H, W, 2)`` float32 (dy, dx)."""
        my, mx = self.interpolation_matrices()
        g = np.asarray(patch_shifts, dtype=np.float32)
        return np.stack([my @ g[..., c] @ mx.T for c in (0, 1)], axis=-1)


def template_patch_spectra(grid: PatchGrid, region_template: np.ndarray, margin: int) -> np.ndarray:
    """Conjugate spectra ``(ny, nx, ph + 2 margin, (pw + 2 margin) // 2 + 1)`` of the
    template's patch windows, each keeping only its patch (see ``template_spectrum``)."""
    windows = grid.windows(region_template[None], np.zeros((1, 2)), margin)[0]
    return template_spectrum(windows, (margin, margin))


def estimate_patch_shifts(region_frames: np.ndarray, grid: PatchGrid, patch_spectra: np.ndarray,
                          rigid_shifts: np.ndarray, max_dev: int, upsample_factor: int,
                          workers: int = 1, device: str | None = None) -> np.ndarray:
    """Per-patch shifts ``(n, ny, nx, 2)`` (dy, dx) px, each within ``max_dev`` (+ subpixel) of
    the rounded rigid shift ``(n, 2)`` of its frame.

    ``patch_spectra``: from :func:`template_patch_spectra` with ``margin = max_dev + 1``.
    """
    offsets = np.rint(rigid_shifts).astype(np.int64)
    windows = grid.windows(region_frames, offsets, max_dev + 1)
    local = estimate_shifts(windows, patch_spectra, (max_dev, max_dev), upsample_factor,
                            workers=workers, device=device)
    return local + offsets[:, None, None, :]
