"""Optional torch kernels for shift estimation (GPU when ``use_cuda`` is on).

Same mathematics as :func:`.registration.estimate_shifts` (whose helpers build the index sets
and DFT kernels): the forward/inverse FFTs, the integer-peak search and the matrix DFT run on
the torch device; only the small upsampled correlations come back to the CPU for the final
parabolic refinement. Warping stays on OpenCV. torch is not a Mesmerize dependency: it is
imported only when these functions run.
"""
from __future__ import annotations

import numpy as np

from .registration import (band_limited_axes, integer_peak, peak_from_upsampled,
                           upsampled_dft_kernels, window_lags)


def cuda_available() -> bool:
    """True when torch is importable and sees a CUDA device."""
    try:
        import torch
    except ImportError:
        return False
    return bool(torch.cuda.is_available())


def estimate_shifts_torch(frames: np.ndarray, template_conj: np.ndarray, max_shift: tuple[int, int],
                          upsample_factor: int, device: str = "cuda") -> np.ndarray:
    """Shifts ``(..., 2)`` (dy, dx) px of ``frames (..., h, w)``; see ``estimate_shifts``."""
    import torch

    frames = np.asarray(frames, dtype=np.float32)
    h, w = frames.shape[-2:]
    batch = frames.shape[:-2]
    dev = torch.device(device)
    cross = torch.fft.rfft2(torch.from_numpy(np.ascontiguousarray(frames)).to(dev))
    cross = cross * torch.from_numpy(np.ascontiguousarray(template_conj)).to(dev)
    cross[..., 0, 0] = 0
    cc = torch.fft.irfft2(cross, s=(h, w))
    ly, lx = window_lags(h, max_shift[0]), window_lags(w, max_shift[1])
    window = cc.index_select(-2, torch.from_numpy(ly % h).to(dev))
    window = window.index_select(-1, torch.from_numpy(lx % w).to(dev))
    peak = integer_peak(window.reshape(batch + (-1,)).cpu().numpy(), ly, lx)
    rows, cols = band_limited_axes(h, w)
    band = cross.index_select(-2, torch.from_numpy(rows).to(dev))
    band = band.index_select(-1, torch.from_numpy(cols).to(dev))
    ey, ex = upsampled_dft_kernels((h, w), peak, upsample_factor)
    up = torch.from_numpy(ey).to(dev) @ band @ torch.from_numpy(ex).to(dev)
    return peak_from_upsampled(up.real.cpu().numpy(), peak, upsample_factor)
