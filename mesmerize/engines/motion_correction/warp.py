"""Applying shifts to frames with OpenCV (bicubic interpolation, replicated borders).

A frame with shift ``d`` has ``frame(r) = clean(r - d)``, so the corrected frame samples the
raw frame at ``r + d``: ``corrected(r) = frame(r + d(r))``.
"""
from __future__ import annotations

import cv2
import numpy as np

_FLAGS = cv2.INTER_CUBIC | cv2.WARP_INVERSE_MAP


def apply_rigid(frames: np.ndarray, shifts: np.ndarray) -> np.ndarray:
    """Frames ``(n, H, W)`` and shifts ``(n, 2)`` (dy, dx) px -> corrected float32 ``(n, H, W)``."""
    frames = np.asarray(frames, dtype=np.float32)
    h, w = frames.shape[1:]
    out = np.empty(frames.shape, dtype=np.float32)
    for i, (f, (dy, dx)) in enumerate(zip(frames, shifts)):
        m = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]], dtype=np.float64)
        cv2.warpAffine(f, m, (w, h), dst=out[i], flags=_FLAGS, borderMode=cv2.BORDER_REPLICATE)
    return out


def apply_field(frames: np.ndarray, field: np.ndarray) -> np.ndarray:
    """Frames ``(n, H, W)`` and per-pixel shifts ``(n, H, W, 2)`` (dy, dx) px -> float32 frames."""
    frames = np.asarray(frames, dtype=np.float32)
    h, w = frames.shape[1:]
    gy, gx = np.mgrid[0:h, 0:w].astype(np.float32)
    out = np.empty(frames.shape, dtype=np.float32)
    for i, f in enumerate(frames):
        map_x = gx + field[i, ..., 1]
        map_y = gy + field[i, ..., 0]
        cv2.remap(f, map_x, map_y, cv2.INTER_CUBIC, dst=out[i], borderMode=cv2.BORDER_REPLICATE)
    return out
