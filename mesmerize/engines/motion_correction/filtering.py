"""Preparation of frames for shift estimation: high-pass filter (``gSig_filt``) and border crop.

The filter is used only to *estimate* shifts (it removes the smooth background of 1-photon
data, which otherwise dominates the cross-correlation); the shifts are applied to raw frames.
"""
from __future__ import annotations

import cv2
import numpy as np


def highpass_kernel(g_sig: tuple[int, int]) -> np.ndarray:
    """Zero-mean Gaussian kernel ``(ky, kx)`` float32 of width ``g_sig = (gy, gx)`` px.

    Support: ``2 * (3 * g // 2) + 1`` px per axis (always odd). The Gaussian is kept inside the
    ellipse it spans on that support, and its mean over the ellipse is subtracted so the kernel
    sums to zero: it keeps structures about ``g_sig`` wide and removes anything smoother.
    """
    axes = []
    for g in g_sig:
        half = (3 * g) // 2
        r = np.arange(-half, half + 1, dtype=np.float64)
        axes.append((r, np.exp(-0.5 * (r / g) ** 2)))
    (ry, gy), (rx, gx) = axes
    kernel = np.outer(gy, gx)
    inside = (ry[:, None] / max(ry[-1], 1)) ** 2 + (rx[None, :] / max(rx[-1], 1)) ** 2 <= 1.0
    kernel = np.where(inside, kernel - kernel[inside].mean(), 0.0)
    return kernel.astype(np.float32)


def prepare_frames(frames: np.ndarray, g_sig: tuple[int, int] | None, bord_px: int) -> np.ndarray:
    """Frames ``(n, H, W)`` -> float32 ``(n, H - 2 bord_px, W - 2 bord_px)`` ready to register."""
    out = np.asarray(frames, dtype=np.float32)
    if g_sig is not None:
        kernel = highpass_kernel(g_sig)
        out = np.stack([cv2.filter2D(f, -1, kernel, borderType=cv2.BORDER_REFLECT) for f in out])
    if bord_px:
        out = out[:, bord_px:-bord_px, bord_px:-bord_px]
    return np.ascontiguousarray(out)
