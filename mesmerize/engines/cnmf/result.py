"""The result of a CNMF fit and its files (``cnmf_result.npz`` + ``cnmf_result.json``).

Shapes (docs/conventions.md): ``A`` (n_pixels, K) scipy.sparse CSC, pixel index in Fortran
order over ``dims = (H, W)`` of the [t, y, x] movie, so ``A[:, k].toarray().reshape(dims,
order="F")`` is the (y, x) image of component k; ``b`` (n_pixels, nb); ``C``, ``YrA``, ``S``
(K, T); ``f`` (nb, T); ``sn`` (n_pixels,) per-pixel noise std; ``g`` (K, p) AR coefficients;
``idx_components`` / ``idx_components_bad`` indices into K; ``SNR_comp``, ``r_values`` (K,).
``YrA`` is the residual trace ``y_k - C_k`` (it includes the trace's baseline). All arrays are
in movie units. No pickle: the npz holds plain arrays, the JSON the format version, dims and
parameters.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse

from mesmerize.core.atomic import atomic_open, write_json_atomic
from mesmerize.core.errors import FormatVersionError, ImageLoadError
from mesmerize.core.safe_files import load_npz, read_json_object

FORMAT_VERSION = 1
NPZ_NAME = "cnmf_result.npz"
JSON_NAME = "cnmf_result.json"
_ARRAYS = ("b", "C", "f", "YrA", "S", "sn", "g", "idx_components", "idx_components_bad",
           "SNR_comp", "r_values")


@dataclass
class CNMFResult:
    """Output of :func:`mesmerize.engines.cnmf.fit` (see the module docstring for shapes)."""

    A: scipy.sparse.csc_matrix
    b: np.ndarray
    C: np.ndarray
    f: np.ndarray
    YrA: np.ndarray
    S: np.ndarray
    sn: np.ndarray
    g: np.ndarray
    dims: tuple[int, int]
    idx_components: np.ndarray
    idx_components_bad: np.ndarray
    SNR_comp: np.ndarray
    r_values: np.ndarray
    params: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)

    @property
    def n_components(self) -> int:
        return int(self.A.shape[1])

    def footprint_images(self) -> np.ndarray:
        """(K, H, W) float32 footprints as images."""
        dense = self.A.toarray().astype(np.float32)
        return dense.T.reshape(-1, self.dims[1], self.dims[0]).transpose(0, 2, 1)

    def save(self, output_dir: str | Path) -> Path:
        """Write the npz then the JSON (each atomically) into ``output_dir``; returns the JSON path."""
        out = Path(output_dir)
        out.mkdir(parents=True, exist_ok=True)
        A = scipy.sparse.csc_matrix(self.A)
        arrays = {name: np.asarray(getattr(self, name)) for name in _ARRAYS}
        with atomic_open(out / NPZ_NAME, "wb") as fh:
            np.savez(fh, A_data=A.data, A_indices=A.indices, A_indptr=A.indptr,
                     A_shape=np.array(A.shape), **arrays)
        write_json_atomic(out / JSON_NAME, {
            "format_version": FORMAT_VERSION, "dims": list(self.dims),
            "n_components": self.n_components, "pixel_order": "F",
            "params": self.params, "timings": self.timings})
        return out / JSON_NAME

    @classmethod
    def load(cls, output_dir: str | Path) -> "CNMFResult":
        """Read a result written by :meth:`save`."""
        out = Path(output_dir)
        jpath, npath = out / JSON_NAME, out / NPZ_NAME
        if not jpath.exists() or not npath.exists():
            raise ImageLoadError(f"no CNMF result in {out}: expected {JSON_NAME} and {NPZ_NAME}")
        info = read_json_object(jpath, "CNMF result description")
        version = info.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise FormatVersionError(f"{jpath} has format_version {version!r}; this Mesmerize "
                                     f"reads up to {FORMAT_VERSION}. Upgrade Mesmerize.")
        z = load_npz(npath, "CNMF result arrays",
                     required=("A_data", "A_indices", "A_indptr", "A_shape", *_ARRAYS))
        try:
            A = scipy.sparse.csc_matrix((z["A_data"], z["A_indices"], z["A_indptr"]),
                                        shape=tuple(int(n) for n in z["A_shape"]))
            A.check_format(full_check=True)
            dims = tuple(int(n) for n in info["dims"])
            if len(dims) != 2 or A.shape[0] != dims[0] * dims[1]:
                raise ValueError(f"A has shape {A.shape}, which does not match dims {dims}")
            return cls(A=A, dims=dims,
                       params=dict(info.get("params", {})), timings=dict(info.get("timings", {})),
                       **{name: z[name] for name in _ARRAYS})
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError,
                MemoryError) as exc:
            raise ImageLoadError(f"The CNMF result in {out} is damaged ({type(exc).__name__}: "
                                 f"{exc}); run CNMF again or restore the files.") from exc
