"""CNMFData: the CNMF(E) outputs a sample keeps (spatial/temporal components and background).

Shapes follow CaImAn (docs/conventions.md): ``A`` ``(n_pixels, K)`` scipy.sparse with the pixel
index in Fortran order over ``dims = (H, W)`` of the ``[t, y, x]`` movie; ``C``, ``YrA``, ``S``
``(K, T)``; ``b`` ``(n_pixels, nb)``; ``f`` ``(nb, T)``; ``sn`` ``(n_pixels,)`` noise per pixel;
``g`` ``(K, p)`` AR coefficients; ``idx_components`` the accepted component indices.
Saved as ``.npz`` (no pickle) with a ``format_version``.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Sequence

import numpy as np
import scipy.sparse as sp

from mesmerize.core.atomic import atomic_path
from mesmerize.core.errors import FormatVersionError, ROIError
from mesmerize.core.safe_files import load_npz, scalar_int

FORMAT_VERSION = 1
_OPTIONAL = ("S", "sn", "g", "idx_components")


def _dense(name: str, value: object, ndim: int | tuple[int, ...]) -> np.ndarray:
    if sp.issparse(value):
        value = value.toarray()  # type: ignore[union-attr]
    try:
        arr = np.asarray(value)
    except (TypeError, ValueError):
        raise ROIError(f"CNMFData: {name} must be a numeric array") from None
    if not np.issubdtype(arr.dtype, np.number) or np.issubdtype(arr.dtype, np.complexfloating):
        raise ROIError(f"CNMFData: {name} must be a real numeric array, got dtype {arr.dtype}")
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if arr.ndim not in allowed:
        dims = " or ".join(map(str, allowed))
        raise ROIError(f"CNMFData: {name} must be {dims}-D, got shape {arr.shape}")
    return arr


class CNMFData:
    """Validated CNMF(E) outputs; see the module docstring for shapes."""

    def __init__(
        self,
        A: object,
        b: object,
        C: object,
        f: object,
        YrA: object,
        dims: Sequence[int],
        S: object | None = None,
        sn: object | None = None,
        g: object | None = None,
        idx_components: object | None = None,
    ) -> None:
        try:
            height, width = (int(d) for d in dims)
        except (TypeError, ValueError):
            raise ROIError(
                f"CNMFData: dims must be (H, W) of the [t, y, x] movie, got {dims!r}"
            ) from None
        if height <= 0 or width <= 0:
            raise ROIError(f"CNMFData: dims must be positive (H, W), got {dims!r}")
        self.dims = (height, width)
        n_pixels = height * width

        if sp.issparse(A):
            self.A = sp.csc_matrix(A)
        else:
            self.A = sp.csc_matrix(_dense("A", A, 2))
        if self.A.shape[0] != n_pixels:
            raise ROIError(
                f"CNMFData: A has {self.A.shape[0]} rows but dims {self.dims} have {n_pixels} "
                "pixels; A must be (H * W, K) in Fortran pixel order"
            )
        n_comp = self.A.shape[1]

        self.C = _dense("C", C, 2)
        if self.C.shape[0] != n_comp:
            raise ROIError(
                f"CNMFData: C has shape {self.C.shape}, expected (K, T) with K = {n_comp}"
            )
        n_t = self.C.shape[1]
        self.YrA = self._match("YrA", YrA, (n_comp, n_t))
        self.b = np.zeros((n_pixels, 0)) if b is None else _dense("b", b, 2)
        if self.b.shape[0] != n_pixels:
            raise ROIError(
                f"CNMFData: b has shape {self.b.shape}, expected (n_pixels, nb) with n_pixels = "
                f"{n_pixels}"
            )
        n_b = self.b.shape[1]
        self.f = np.zeros((0, n_t)) if f is None else self._match("f", f, (n_b, n_t))
        self.S = None if S is None else self._match("S", S, (n_comp, n_t))
        self.sn = None if sn is None else self._match("sn", sn, (n_pixels,))
        self.g = None
        if g is not None:
            g_arr = _dense("g", g, (1, 2))
            if g_arr.shape[0] != n_comp:
                raise ROIError(
                    f"CNMFData: g has shape {g_arr.shape}, expected (K, p) with K = {n_comp}"
                )
            self.g = g_arr
        self.idx_components = None
        if idx_components is not None:
            self.idx_components = self._indices(idx_components, n_comp)

    @staticmethod
    def _match(name: str, value: object, shape: tuple[int, ...]) -> np.ndarray:
        arr = _dense(name, value, len(shape))
        if arr.shape != shape:
            raise ROIError(f"CNMFData: {name} has shape {arr.shape}, expected {shape}")
        return arr

    @staticmethod
    def _indices(value: object, n_comp: int) -> np.ndarray:
        arr = np.asarray(value)
        if arr.dtype == bool:
            if arr.shape != (n_comp,):
                raise ROIError(
                    f"CNMFData: a boolean idx_components must have K = {n_comp} entries, got "
                    f"{arr.shape}"
                )
            return np.flatnonzero(arr)
        if arr.ndim != 1 or (arr.size and not np.issubdtype(arr.dtype, np.integer)):
            raise ROIError("CNMFData: idx_components must be a 1-D array of component indices")
        arr = arr.astype(np.int64)
        if arr.size and (arr.min() < 0 or arr.max() >= n_comp):
            raise ROIError(
                f"CNMFData: idx_components must be within [0, {n_comp}), got "
                f"[{arr.min()}, {arr.max()}]"
            )
        if np.unique(arr).size != arr.size:
            raise ROIError("CNMFData: idx_components contains repeated indices")
        return arr

    @property
    def n_components(self) -> int:
        """K, the number of components (accepted or not)."""
        return int(self.A.shape[1])

    @property
    def n_frames(self) -> int:
        """T, the number of frames of the temporal components."""
        return int(self.C.shape[1])

    def component_indices(self) -> np.ndarray:
        """The accepted components (``idx_components``), or all ``0..K-1`` when not given."""
        if self.idx_components is None:
            return np.arange(self.n_components)
        return self.idx_components.copy()

    def footprint(self, k: int) -> np.ndarray:
        """Spatial footprint of component ``k`` as an ``(x, y)`` float32 image."""
        k = int(k)
        if not 0 <= k < self.n_components:
            raise ROIError(f"CNMFData: component {k} does not exist (K = {self.n_components})")
        column = self.A[:, k].toarray().ravel()
        return column.reshape(self.dims, order="F").T.astype(np.float32)

    def to_npz(self, path: str | os.PathLike) -> None:
        """Write all arrays to ``path`` (.npz, uncompressed, atomic; A as CSC parts)."""
        arrays: dict[str, np.ndarray] = {
            "format_version": np.array(FORMAT_VERSION),
            "A_data": self.A.data,
            "A_indices": self.A.indices,
            "A_indptr": self.A.indptr,
            "A_shape": np.array(self.A.shape, dtype=np.int64),
            "b": self.b,
            "C": self.C,
            "f": self.f,
            "YrA": self.YrA,
            "dims": np.array(self.dims, dtype=np.int64),
        }
        for name in _OPTIONAL:
            value = getattr(self, name)
            if value is not None:
                arrays[name] = value
        # np.savez appends ".npz" to a file name without it; an open handle keeps the temp name.
        with atomic_path(path) as tmp, open(tmp, "wb") as fh:
            np.savez(fh, **arrays)

    @classmethod
    def from_npz(cls, path: str | os.PathLike) -> CNMFData:
        """Read a file written by :meth:`to_npz` (no pickle)."""
        path = Path(path)
        arrays = load_npz(path, "CNMF data file", error=ROIError)
        if "format_version" not in arrays:
            raise FormatVersionError(f"{path} is not a Mesmerize CNMF data file (no format_version)")
        version = scalar_int(arrays["format_version"], path, "format_version")
        if version > FORMAT_VERSION:
            raise FormatVersionError(
                f"{path} has CNMF data format_version {version}, newer than this Mesmerize "
                f"reads ({FORMAT_VERSION}); upgrade Mesmerize to open it"
            )
        required = ("A_data", "A_indices", "A_indptr", "A_shape", "b", "C", "f", "YrA", "dims")
        missing = [key for key in required if key not in arrays]
        if missing:
            raise ROIError(f"CNMF data file {path} is incomplete: missing {missing}")
        try:
            shape = tuple(int(s) for s in arrays["A_shape"])
            A = sp.csc_matrix(
                (arrays["A_data"], arrays["A_indices"], arrays["A_indptr"]), shape=shape
            )
        except (TypeError, ValueError, OverflowError) as exc:
            raise ROIError(f"CNMF data file {path}: the sparse matrix A is corrupt: {exc}") from exc
        try:
            dims = tuple(int(d) for d in arrays["dims"])
        except (TypeError, ValueError, OverflowError) as exc:
            raise ROIError(f"CNMF data file {path}: dims must be (height, width) integers, got "
                           f"{arrays['dims']!r}") from exc
        optional = {name: arrays[name] for name in _OPTIONAL if name in arrays}
        return cls(
            A=A,
            b=arrays["b"],
            C=arrays["C"],
            f=arrays["f"],
            YrA=arrays["YrA"],
            dims=dims,
            **optional,
        )
