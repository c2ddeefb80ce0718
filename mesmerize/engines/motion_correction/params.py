"""Validated motion-correction parameters built from the guide's parameter dict.

The keys are those of the Viewer's "Caiman Motion Correction" module (user guide, chapter 14),
with NoRMCorre's meaning:

- ``max_shifts_x``, ``max_shifts_y``: largest rigid shift searched, in pixels (>= 0).
- ``iters_rigid``: rigid passes over the movie; the template is re-estimated between passes.
- ``max_dev``: largest deviation of a patch's shift from the frame's rigid shift, in pixels.
- ``strides``, ``overlaps``: patch grid of the piecewise-rigid step. Patches are
  ``strides + overlaps`` pixels wide and start every ``strides`` pixels (int or ``(y, x)``).
- ``upsample``: upsampling factor of the patch-shift grid (CaImAn's ``upsample_factor_grid``):
  patch shifts are interpolated with a cubic spline onto a grid ``upsample`` times finer before
  being interpolated linearly to every pixel; 1 gives a piecewise-linear field.
- ``upsample_factor_fft``: subpixel precision of every shift estimate is ``1 / upsample_factor_fft``
  pixels (upsampled DFT of the cross-correlation peak).
- ``gSig_filt``: half-size in pixels of the high-pass filter applied to frames *only* to
  estimate shifts (1-photon data); None disables it. The filter is a zero-mean Gaussian kernel of
  width ``gSig_filt`` on an odd support of ``2 * (3 * gSig_filt // 2) + 1`` pixels.
- ``bord_px``: pixels at each edge ignored when estimating shifts.
- ``output_bit_depth``: ``"Do not convert"`` (float32), ``"8"`` / ``8`` or ``"16"`` / ``16``.
- ``pw_rigid``: run the piecewise-rigid step after the rigid one; ``iters``: its passes.
- ``name_rigid``, ``name_elas``: batch item names, kept for the history trace.
- ``n_template_frames``: frames sampled evenly across the movie for the first template.
- ``chunk_frames``: frames per work unit (0 picks a chunk of about 16 MiB of float32 pixels).
- ``use_cuda``: run the FFT kernels on the GPU when torch with CUDA is importable.
"""
from __future__ import annotations

import dataclasses
import numbers
from collections.abc import Mapping
from typing import Any

from mesmerize.core.errors import ParameterError

BIT_DEPTHS = {"Do not convert": None, "8": 8, "16": 16}


def _int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, numbers.Real) and float(value).is_integer():
            value = int(value)
        else:
            raise ParameterError(f"{name} must be an integer >= {minimum}, got {value!r}")
    value = int(value)
    if value < minimum:
        raise ParameterError(f"{name} must be >= {minimum}, got {value}")
    return value


def _pair(name: str, value: Any, minimum: int) -> tuple[int, int]:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise ParameterError(f"{name} must be an integer or a (y, x) pair, got {value!r}")
        return _int(name, value[0], minimum), _int(name, value[1], minimum)
    v = _int(name, value, minimum)
    return v, v


@dataclasses.dataclass(frozen=True)
class MotionCorrectionParams:
    """NoRMCorre parameters (see the module docstring for units and meaning)."""

    max_shifts_x: int = 6
    max_shifts_y: int = 6
    iters_rigid: int = 1
    name_rigid: str = ""
    max_dev: int = 3
    strides: tuple[int, int] = (96, 96)
    overlaps: tuple[int, int] = (32, 32)
    upsample: int = 4
    name_elas: str = ""
    output_bit_depth: int | None = None
    gSig_filt: tuple[int, int] | None = None
    bord_px: int = 0
    pw_rigid: bool = True
    iters: int = 1
    upsample_factor_fft: int = 10
    n_template_frames: int = 200
    chunk_frames: int = 0
    use_cuda: bool = False

    def _normalise(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)  # the dataclass is frozen once validated

    def __post_init__(self) -> None:
        set_ = self._normalise
        set_("max_shifts_x", _int("max_shifts_x", self.max_shifts_x, 0))
        set_("max_shifts_y", _int("max_shifts_y", self.max_shifts_y, 0))
        set_("iters_rigid", _int("iters_rigid", self.iters_rigid, 1))
        set_("max_dev", _int("max_dev", self.max_dev, 0))
        set_("strides", _pair("strides", self.strides, 1))
        set_("overlaps", _pair("overlaps", self.overlaps, 0))
        for axis in (0, 1):
            if self.overlaps[axis] >= self.strides[axis]:
                raise ParameterError(
                    f"overlaps ({self.overlaps}) must be smaller than strides ({self.strides}); "
                    "lower overlaps or raise strides"
                )
        set_("upsample", _int("upsample", self.upsample, 1))
        set_("upsample_factor_fft", _int("upsample_factor_fft", self.upsample_factor_fft, 1))
        set_("iters", _int("iters", self.iters, 1))
        set_("bord_px", _int("bord_px", self.bord_px, 0))
        set_("n_template_frames", _int("n_template_frames", self.n_template_frames, 1))
        set_("chunk_frames", _int("chunk_frames", self.chunk_frames, 0))
        if self.gSig_filt is not None:
            set_("gSig_filt", _pair("gSig_filt", self.gSig_filt, 1))
        depth = self.output_bit_depth
        if isinstance(depth, str):
            if depth not in BIT_DEPTHS:
                raise ParameterError(
                    f"output_bit_depth must be one of {list(BIT_DEPTHS)}, got {depth!r}"
                )
            depth = BIT_DEPTHS[depth]
        elif depth is not None:
            # numbers only: ``in`` on an array would ask for its (ambiguous) truth value
            if isinstance(depth, bool) or not isinstance(depth, numbers.Real) \
                    or depth not in (8, 16):
                raise ParameterError(
                    f"output_bit_depth must be 8, 16 or 'Do not convert', got {depth!r}")
            depth = int(depth)
        set_("output_bit_depth", depth)
        for name in ("pw_rigid", "use_cuda"):
            if not isinstance(getattr(self, name), bool):
                raise ParameterError(f"{name} must be True or False, got {getattr(self, name)!r}")
        for name in ("name_rigid", "name_elas"):
            if not isinstance(getattr(self, name), str):
                raise ParameterError(f"{name} must be a string, got {getattr(self, name)!r}")

    @property
    def max_shifts(self) -> tuple[int, int]:
        """``(max_shifts_y, max_shifts_x)`` in pixels."""
        return self.max_shifts_y, self.max_shifts_x

    @property
    def patch_size(self) -> tuple[int, int]:
        """``strides + overlaps`` per axis ``(y, x)``, in pixels."""
        return self.strides[0] + self.overlaps[0], self.strides[1] + self.overlaps[1]

    @classmethod
    def from_dict(cls, params: Mapping[str, Any] | MotionCorrectionParams) -> MotionCorrectionParams:
        """Build from the guide's dict; unknown keys raise ``ParameterError`` naming them."""
        if isinstance(params, cls):
            return params
        if not isinstance(params, Mapping):
            raise ParameterError(f"motion correction params must be a dict, got {type(params).__name__}")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ParameterError(
                f"unknown motion correction parameter(s) {unknown}; valid keys are {sorted(known)}"
            )
        return cls(**dict(params))

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (tuples as lists, bit depth as the guide's value)."""
        out = dataclasses.asdict(self)
        out["strides"] = list(self.strides)
        out["overlaps"] = list(self.overlaps)
        out["gSig_filt"] = None if self.gSig_filt is None else list(self.gSig_filt)
        out["output_bit_depth"] = (
            "Do not convert" if self.output_bit_depth is None else str(self.output_bit_depth)
        )
        return out
