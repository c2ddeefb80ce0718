"""Synthetic neuropil and background: low-rank ``sum_j maps[j] * traces[j, t]``, all non-negative.

Neuropil is a spatially correlated texture (log-normal low-passed noise) split into three
independently fluctuating parts plus faint dendrite-like processes, partly following the
population activity. The 2-photon background is a nearly uniform, slightly vignetted offset; the
1-photon background is strong, smooth and broad (large Gaussian blobs under vignetting), several
times brighter than the neurons and drifting slowly.
"""
from __future__ import annotations

import cv2
import numpy as np
from scipy.ndimage import gaussian_filter

from mesmerize.demo.synthetic_motion import smooth_unit_noise


def _texture(rng: np.random.Generator, shape_hw: tuple[int, int], sigma: float) -> np.ndarray:
    """Log-normal low-passed noise ``(H, W)`` with mean 1."""
    z = gaussian_filter(rng.standard_normal(shape_hw), sigma, mode="wrap")
    z /= z.std()
    tex = np.exp(0.45 * z)
    return tex / tex.mean()


def _vignette(shape_hw: tuple[int, int], strength: float) -> np.ndarray:
    """Radial fall-off ``(H, W)``: 1 at the centre, ``1 - strength`` at the corners."""
    h, w = shape_hw
    yy, xx = np.mgrid[0:h, 0:w]
    r2 = ((yy - (h - 1) / 2) / (h / 2)) ** 2 + ((xx - (w - 1) / 2) / (w / 2)) ** 2
    return 1.0 - strength * r2 / 2.0


def _dendrites(rng: np.random.Generator, shape_hw: tuple[int, int]) -> np.ndarray:
    """Thin curvy processes ``(H, W)`` in [0, 1]: random walks with momentum, anti-aliased."""
    h, w = shape_hw
    canvas = np.zeros((h, w), np.uint8)
    for _ in range(max(2, h * w // 900)):
        n_steps = int(rng.uniform(20, 90))
        heading = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0, 0.12, n_steps))
        start = rng.uniform([0, 0], [w, h])
        pts = start + np.cumsum(np.stack([np.cos(heading), np.sin(heading)], axis=1), axis=0)
        brightness = int(rng.uniform(90, 255))
        cv2.polylines(canvas, [np.round(pts * 4).astype(np.int32)], False, brightness, 1,
                      cv2.LINE_AA, shift=2)
    return gaussian_filter(canvas.astype(np.float64) / 255.0, 0.6)


def _blobs(rng: np.random.Generator, shape_hw: tuple[int, int], n: int) -> np.ndarray:
    """Sum of ``n`` broad Gaussians (sigma 1/3 to 2/3 of the frame) ``(H, W)``, mean 1."""
    h, w = shape_hw
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    out = np.zeros((h, w))
    for _ in range(n):
        cy, cx = rng.uniform(-0.2 * h, 1.2 * h), rng.uniform(-0.2 * w, 1.2 * w)
        sigma = rng.uniform(0.33, 0.66) * max(h, w)
        out += rng.uniform(0.5, 1.0) * np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * sigma**2))
    return out / out.mean()


def make_background(
    rng: np.random.Generator,
    shape_hw: tuple[int, int],
    n_frames: int,
    fps: float,
    neuron_radius: float,
    one_photon: bool,
    population: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Neuropil + background as ``(maps, traces)``.

    ``maps``: ``(J, H, W)`` float32 expected photons per pixel per frame at trace value 1;
    ``traces``: ``(J, T)`` float32 positive, around 1. ``population`` ``(T,)`` is the mean dF/F of
    all neurons; neuropil follows it at half to full strength, as it is made of their neighbours'
    processes. Levels (photons/px/frame): 2p background ~3, neuropil ~6, dendrites up to ~3;
    1p background ~260, neuropil ~15 (blurrier, no resolved dendrites).
    """
    maps: list[np.ndarray] = []
    traces: list[np.ndarray] = []
    def add(map_: np.ndarray, level: float, wobble: float, time_scale_s: float, coupling: float):
        maps.append(level * map_)
        slow = smooth_unit_noise(rng, (n_frames,), time_scale_s * fps)
        traces.append(1.0 + wobble * np.tanh(slow) + coupling * population)

    np_sigma = (3.0 if one_photon else 1.5) * neuron_radius
    np_level = 15.0 if one_photon else 6.0
    for _ in range(3):
        add(_texture(rng, shape_hw, np_sigma), np_level / 3, 0.12, rng.uniform(1.0, 4.0),
            rng.uniform(0.5, 1.0))
    if one_photon:
        vig = _vignette(shape_hw, 0.5)
        add(_blobs(rng, shape_hw, 4) * vig, 180.0, 0.03, 20.0, 0.0)
        add(_blobs(rng, shape_hw, 3) * vig, 50.0, 0.08, 8.0, 0.0)
        add(_blobs(rng, shape_hw, 3) * vig, 30.0, 0.10, 4.0, 0.2)
    else:
        add(_dendrites(rng, shape_hw), 3.0, 0.15, 1.0, rng.uniform(0.5, 1.0))
        add(_vignette(shape_hw, 0.15), 3.0, 0.02, 10.0, 0.0)
    return np.stack(maps).astype(np.float32), np.stack(traces).astype(np.float32)
