"""Automatic cropping of an image sequence to the region that contains the sample.

Used by the guide's "Crop and add items" script::

    cropped = image_utils.auto_crop.crop(raw_seq, {"projection": "max+std",
                                                   "method": "threshold",
                                                   "denoise_params": (32, 32)})

``seq`` is ``[x, y, t]`` (``ImgData.seq``). A projection over time (``"max"``, ``"std"`` or
``"max+std"``, each scaled to [0, 1] first) is turned into a foreground mask, by Otsu's
threshold (``"threshold"``) or by the spectral-residual saliency map of Hou & Zhang (2007)
thresholded the same way (``"spectral_saliency"``). Foreground specks smaller than
``denoise_params = (x, y)`` px (rounded up to odd sizes) are removed by a morphological
opening, and the bounding box of what remains, grown by ``padding`` px (default 30) on each
side, is the crop. ``crop`` returns the cropped sequence (the guide assigns it to
``imgdata.seq``); ``crop_with_bbox`` also returns the box.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import cv2
import numpy as np

from mesmerize.core.errors import ParameterError

PROJECTIONS = ("max", "std", "max+std")
METHODS = ("threshold", "spectral_saliency")
DEFAULT_PADDING = 30
_FRAMES_PER_BLOCK = 256
_SALIENCY_SIZE = 64  # px: spectral residual works on a small image (Hou & Zhang use 64)


@dataclasses.dataclass(frozen=True)
class BoundingBox:
    """Crop box in pixels of the ``[x, y]`` frame: ``seq[x0:x1, y0:y1, :]``."""

    x0: int
    x1: int
    y0: int
    y1: int


def _validate(params: Mapping[str, Any]) -> tuple[str, str, tuple[int, int], int]:
    if not isinstance(params, Mapping):
        raise ParameterError(f"crop params must be a dict, got {type(params).__name__}")
    unknown = sorted(set(params) - {"projection", "method", "denoise_params", "padding"})
    if unknown:
        raise ParameterError(f"unknown auto_crop parameter(s) {unknown}; valid keys are "
                             "projection, method, denoise_params, padding")
    projection = params.get("projection", "max+std")
    if projection not in PROJECTIONS:
        raise ParameterError(f"projection must be one of {PROJECTIONS}, got {projection!r}")
    method = params.get("method", "threshold")
    if method not in METHODS:
        raise ParameterError(f"method must be one of {METHODS}, got {method!r}")
    denoise = params.get("denoise_params", (0, 0))
    if isinstance(denoise, (int, np.integer)) and not isinstance(denoise, bool):
        denoise = (denoise, denoise)
    if (not isinstance(denoise, (tuple, list)) or len(denoise) != 2
            or any(isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0
                   for v in denoise)):
        raise ParameterError(f"denoise_params must be a pair of whole numbers >= 0 (x, y) px, "
                             f"got {denoise!r}")
    padding = params.get("padding", DEFAULT_PADDING)
    if isinstance(padding, bool) or not isinstance(padding, (int, np.integer)) or padding < 0:
        raise ParameterError(f"padding must be a whole number of pixels >= 0, got {padding!r}")
    return projection, method, (int(denoise[0]), int(denoise[1])), int(padding)


def _unit(image: np.ndarray) -> np.ndarray:
    lo, hi = float(image.min()), float(image.max())
    return np.zeros_like(image) if hi <= lo else (image - lo) / (hi - lo)


def projection_image(seq: np.ndarray, kind: str) -> np.ndarray:
    """``(x, y)`` float64 projection of ``seq [x, y, t]`` over time, read in blocks of frames."""
    n = seq.shape[2]
    vmax = np.full(seq.shape[:2], -np.inf)
    s1 = np.zeros(seq.shape[:2])
    s2 = np.zeros(seq.shape[:2])
    for a in range(0, n, _FRAMES_PER_BLOCK):
        block = np.asarray(seq[:, :, a:a + _FRAMES_PER_BLOCK], dtype=np.float64)
        np.maximum(vmax, block.max(axis=2), out=vmax)
        s1 += block.sum(axis=2)
        s2 += np.einsum("xyt,xyt->xy", block, block)
    mean = s1 / n
    std = np.sqrt(np.maximum(s2 / n - mean ** 2, 0.0))
    if kind == "max":
        return _unit(vmax)
    if kind == "std":
        return _unit(std)
    return _unit(_unit(vmax) + _unit(std))


def spectral_residual_saliency(image: np.ndarray) -> np.ndarray:
    """Spectral-residual saliency map (Hou & Zhang 2007) of a 2-D image, same shape, in [0, 1].

    The image is shrunk to about 64 px, its log-amplitude spectrum minus its 3x3 local mean
    (the "spectral residual") is recombined with the original phase and transformed back; the
    squared magnitude, smoothed and resized, is the saliency.
    """
    h, w = image.shape
    scale = _SALIENCY_SIZE / max(h, w)
    small = cv2.resize(image.astype(np.float32), (max(1, round(w * scale)), max(1, round(h * scale))),
                       interpolation=cv2.INTER_AREA).astype(np.float64)
    spectrum = np.fft.fft2(small)
    log_amp = np.log(np.abs(spectrum) + 1e-12)
    residual = log_amp - cv2.blur(log_amp, (3, 3), borderType=cv2.BORDER_REPLICATE)
    saliency = np.abs(np.fft.ifft2(np.exp(residual + 1j * np.angle(spectrum)))) ** 2
    saliency = cv2.GaussianBlur(saliency, (0, 0), 2.5)
    return _unit(cv2.resize(saliency, (w, h), interpolation=cv2.INTER_LINEAR))


def _otsu_mask(image: np.ndarray) -> np.ndarray:
    img8 = np.round(_unit(image) * 255).astype(np.uint8)
    _, mask = cv2.threshold(img8, 0, 1, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return mask.astype(bool)


def find_bounding_box(seq: np.ndarray, params: Mapping[str, Any]) -> BoundingBox:
    """The crop box of ``seq [x, y, t]`` for the guide's crop ``params`` (module docstring).

    When nothing is found in the foreground, the box is the whole frame.
    """
    projection, method, denoise, padding = _validate(params)
    if getattr(seq, "ndim", None) != 3:
        raise ParameterError(f"seq must be an [x, y, t] image sequence, got shape "
                             f"{getattr(seq, 'shape', None)}")
    proj = projection_image(seq, projection)
    mask = _otsu_mask(spectral_residual_saliency(proj) if method == "spectral_saliency" else proj)
    if denoise[0] > 1 or denoise[1] > 1:
        # the mask is indexed (x, y), so the kernel's rows span x and its columns y; odd sizes
        # keep the opening centred
        kernel = np.ones((max(denoise[0], 1) | 1, max(denoise[1], 1) | 1), dtype=np.uint8)
        mask = cv2.morphologyEx(mask.astype(np.uint8), cv2.MORPH_OPEN, kernel).astype(bool)
    nx, ny = mask.shape
    xs, ys = np.nonzero(mask.any(axis=1))[0], np.nonzero(mask.any(axis=0))[0]
    if len(xs) == 0:
        return BoundingBox(0, nx, 0, ny)
    return BoundingBox(max(0, int(xs[0]) - padding), min(nx, int(xs[-1]) + 1 + padding),
                       max(0, int(ys[0]) - padding), min(ny, int(ys[-1]) + 1 + padding))


def crop_with_bbox(seq: np.ndarray, params: Mapping[str, Any]) -> tuple[np.ndarray, BoundingBox]:
    """``(cropped seq [x, y, t], bounding box)``."""
    box = find_bounding_box(seq, params)
    return np.array(seq[box.x0:box.x1, box.y0:box.y1, :], order="K"), box


def crop(seq: np.ndarray, params: Mapping[str, Any]) -> np.ndarray:
    """The guide's ``auto_crop.crop(raw_seq, crop_params)``: the cropped ``[x, y, t]`` sequence.

    Use :func:`crop_with_bbox` or :func:`find_bounding_box` to also get the box.
    """
    return crop_with_bbox(seq, params)[0]
