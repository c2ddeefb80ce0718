"""The output of a motion-correction run and its on-disk format.

``<output_dir>/motion_correction.json`` (format_version, parameters, file names, output scaling)
``<output_dir>/motion_correction.npz`` (shifts, patch shifts, template, summary images)
``<output_dir>/corrected.npy`` (the corrected movie ``[t, y, x]``, memory-mappable)

Sign convention: ``shifts[t] = (dy, dx)`` is the displacement in pixels of frame t's content
relative to the template (``frame_t(r) = template(r - shifts[t])``); correction moved frame t by
``-shifts[t]``. Patch shifts follow the same convention per patch.
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import numpy as np

from mesmerize.core.atomic import atomic_path, write_json_atomic
from mesmerize.core.errors import FormatVersionError, ImageLoadError
from mesmerize.core.safe_files import load_npz, read_json_object

from .piecewise import axis_interpolation_matrix

FORMAT_VERSION = 1
JSON_NAME = "motion_correction.json"
_REQUIRED_ARRAYS = ("shifts", "template", "mean_image", "correlation_image")
_OPTIONAL_ARRAYS = ("shifts_els", "patch_centres_y", "patch_centres_x")
ARRAYS_NAME = "motion_correction.npz"
MOVIE_NAME = "corrected.npy"


@dataclasses.dataclass
class MotionCorrectionResult:
    """Shifts, template and summary images of a corrected movie.

    - ``shifts``: ``(T, 2)`` float32 rigid shifts (dy, dx) px.
    - ``shifts_els``: ``(T, n_patches_y, n_patches_x, 2)`` float32 piecewise shifts, or None.
    - ``patch_centres_y`` / ``patch_centres_x``: patch centres in px (None when rigid).
    - ``template``, ``mean_image``, ``correlation_image``: ``(H, W)`` float32.
    - ``output_path``: the corrected movie ``(T, H, W)``; stored values relate to corrected
      float intensities as ``value = stored / output_scale + output_offset``.
    """

    shifts: np.ndarray
    shifts_els: np.ndarray | None
    patch_centres_y: np.ndarray | None
    patch_centres_x: np.ndarray | None
    template: np.ndarray
    mean_image: np.ndarray
    correlation_image: np.ndarray
    output_path: Path
    params: dict[str, Any]
    movie_path: str
    output_scale: float = 1.0
    output_offset: float = 0.0
    grid_upsample: int = 1

    @property
    def frame_shape(self) -> tuple[int, int]:
        return tuple(self.template.shape)

    def load_movie(self) -> np.ndarray:
        """The corrected movie ``(T, H, W)`` as a read-only memory map."""
        return np.load(self.output_path, mmap_mode="r", allow_pickle=False)

    def displacement_field(self, start: int = 0, stop: int | None = None) -> np.ndarray:
        """Per-pixel shifts ``(n, H, W, 2)`` float32 (dy, dx) px of frames ``start:stop``."""
        if self.shifts_els is None:
            shifts = self.shifts[start:stop].astype(np.float32)
            return np.broadcast_to(shifts[:, None, None, :], (len(shifts),) + self.frame_shape + (2,))
        h, w = self.frame_shape
        my = axis_interpolation_matrix(self.patch_centres_y, h, self.grid_upsample)
        mx = axis_interpolation_matrix(self.patch_centres_x, w, self.grid_upsample)
        g = self.shifts_els[start:stop]
        return np.stack([my @ g[..., c] @ mx.T for c in (0, 1)], axis=-1)

    def save(self, output_dir: os.PathLike | str) -> None:
        """Write the JSON and npz files (atomically) beside the corrected movie."""
        output_dir = Path(output_dir)
        arrays = {"shifts": self.shifts, "template": self.template, "mean_image": self.mean_image,
                  "correlation_image": self.correlation_image}
        if self.shifts_els is not None:
            arrays.update(shifts_els=self.shifts_els, patch_centres_y=self.patch_centres_y,
                          patch_centres_x=self.patch_centres_x)
        with atomic_path(output_dir / ARRAYS_NAME) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, **arrays)
        write_json_atomic(output_dir / JSON_NAME, {
            "format_version": FORMAT_VERSION,
            "kind": "motion_correction",
            "movie_file": os.path.relpath(self.output_path, output_dir),
            "arrays_file": ARRAYS_NAME,
            "movie_path": self.movie_path,
            "params": self.params,
            "output_scale": self.output_scale,
            "output_offset": self.output_offset,
            "grid_upsample": self.grid_upsample,
        })

    @classmethod
    def load(cls, output_dir: os.PathLike | str) -> MotionCorrectionResult:
        """Read a result written by :meth:`save` (refuses newer format versions)."""
        output_dir = Path(output_dir)
        json_path = output_dir / JSON_NAME
        if not json_path.is_file():
            raise ImageLoadError(f"{json_path}: no motion correction result in {output_dir}")
        info = read_json_object(json_path, "motion correction result description")
        version = info.get("format_version")
        if not isinstance(version, int) or info.get("kind") != "motion_correction":
            raise FormatVersionError(f"{json_path} is not a Mesmerize motion correction result")
        if version > FORMAT_VERSION:
            raise FormatVersionError(
                f"{json_path} has format_version {version}, newer than this Mesmerize supports "
                f"({FORMAT_VERSION}); upgrade Mesmerize to read it"
            )
        arrays_file = info.get("arrays_file")
        if not isinstance(arrays_file, str):
            raise ImageLoadError(f"{json_path}: arrays_file must be a file name, got {arrays_file!r}")
        arrays = load_npz(output_dir / arrays_file, "motion correction arrays",
                          required=_REQUIRED_ARRAYS)
        not_numeric = [name for name in (*_REQUIRED_ARRAYS, *_OPTIONAL_ARRAYS)
                       if name in arrays and arrays[name].dtype.kind not in "biuf"]
        if not_numeric:
            raise ImageLoadError(f"{output_dir / arrays_file}: the arrays {not_numeric} do not "
                                 "hold numbers; the motion correction result is damaged.")
        try:
            return cls(
                shifts=arrays["shifts"], shifts_els=arrays.get("shifts_els"),
                patch_centres_y=arrays.get("patch_centres_y"),
                patch_centres_x=arrays.get("patch_centres_x"),
                template=arrays["template"], mean_image=arrays["mean_image"],
                correlation_image=arrays["correlation_image"],
                output_path=output_dir / info["movie_file"], params=dict(info["params"]),
                movie_path=info["movie_path"], output_scale=float(info["output_scale"]),
                output_offset=float(info["output_offset"]),
                grid_upsample=int(info["grid_upsample"]),
            )
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise ImageLoadError(f"The motion correction result in {output_dir} is damaged "
                                 f"({type(exc).__name__}: {exc}); run motion correction again "
                                 "or restore the files.") from exc
