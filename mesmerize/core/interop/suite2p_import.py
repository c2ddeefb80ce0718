"""Import suite2p results (one plane folder, e.g. ``suite2p/plane0``) as CNMF-type components.

suite2p writes ``stat.npy`` (object array of per-cell dicts with ``ypix``, ``xpix``, ``lam``),
``ops.npy`` (the run's settings and images, a dict), ``F.npy`` / ``Fneu.npy`` / ``spks.npy``
(``(N, T)`` float32 traces) and ``iscell.npy`` (``(N, 2)``: classified as a cell (1/0), and the
classifier's probability). The two pickled files are read with the restricted unpickler of
:mod:`mesmerize.core.interop.safe_pickle`; nothing in them is executed.

Mapping to :class:`CNMFData` (``dims = (Ly, Lx)``): ``A[:, k]`` holds cell k's ``lam`` weights
at its pixels (Fortran pixel order, scaled so each footprint peaks at 1); ``C = F - c * Fneu``
(neuropil-corrected fluorescence, ``c`` = ``ops["neucoeff"]``, suite2p's default 0.7, unless
given); ``YrA`` zeros (suite2p keeps no residual); ``S = spks``; accepted components
(``idx_components``) are those with ``iscell[:, 0] == 1``. No background (``b``, ``f``).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Mapping, Union

import numpy as np
import scipy.sparse as sp

from mesmerize.core.errors import ParameterError, ROIError
from mesmerize.core.interop.caiman_import import ImportedComponents, install_components
from mesmerize.core.interop.safe_pickle import read_npy
from mesmerize.core.roi.cnmf_data import CNMFData
from mesmerize.core.work_env import ViewerWorkEnv

PathLike = Union[str, os.PathLike]

SUITE2P_OPERATION = "suite2p_import"
DEFAULT_NEUROPIL_COEFFICIENT = 0.7
"""suite2p's default ``neucoeff``, used when ``ops.npy`` does not store one."""


def _traces(folder: Path, name: str, n_cells: int, required: bool) -> np.ndarray | None:
    path = folder / f"{name}.npy"
    if not path.is_file():
        if required:
            raise ROIError(f"{folder} has no {name}.npy; pass a suite2p plane folder "
                           "(suite2p/plane0) that holds stat.npy, F.npy and ops.npy")
        return None
    traces = read_npy(path, error=ROIError)
    if traces.ndim != 2 or traces.shape[0] != n_cells or not np.issubdtype(traces.dtype, np.number):
        raise ROIError(f"{path} must be a numeric (N, T) array with N = {n_cells} cells as in "
                       f"stat.npy, got {traces.dtype} {traces.shape}")
    return traces


def _ops(folder: Path) -> dict[str, Any]:
    path = folder / "ops.npy"
    if not path.is_file():
        raise ROIError(f"{folder} has no ops.npy (suite2p's settings: frame size and rate); pass "
                       "a complete suite2p plane folder")
    ops = read_npy(path, error=ROIError)
    if ops.shape == () and ops.dtype.hasobject:
        ops = ops.item()
    if not isinstance(ops, dict):
        raise ROIError(f"{path} must hold a dict (suite2p's ops), got {type(ops).__name__}")
    return ops


def _positive(ops: Mapping[str, Any], key: str, kind: type, folder: Path) -> Any:
    value = ops.get(key)
    try:
        number = kind(value)
    except (TypeError, ValueError):
        number = None
    if number is None or not np.isfinite(number) or number <= 0 or number != value:
        raise ROIError(f"{folder}/ops.npy: {key} must be a positive {kind.__name__}, got {value!r}")
    return number


def _footprints(stat: np.ndarray, dims: tuple[int, int], folder: Path) -> sp.csc_matrix:
    """``A`` ``(Ly * Lx, N)`` from the cells' ``ypix``/``xpix``/``lam``, each column peaking at 1."""
    height, width = dims
    rows, cols, vals = [], [], []
    for k, cell in enumerate(stat):
        if not isinstance(cell, dict) or not {"ypix", "xpix", "lam"} <= set(cell):
            raise ROIError(f"{folder}/stat.npy: cell {k} is not a dict with ypix, xpix and lam")
        y, x, lam = (np.asarray(cell[key]).ravel() for key in ("ypix", "xpix", "lam"))
        if not (y.size == x.size == lam.size) or y.size == 0:
            raise ROIError(f"{folder}/stat.npy: cell {k} has ypix, xpix, lam of lengths "
                           f"{y.size}, {x.size}, {lam.size}; they must be equal and non-zero")
        if not (np.issubdtype(y.dtype, np.integer) and np.issubdtype(x.dtype, np.integer)):
            raise ROIError(f"{folder}/stat.npy: cell {k} has non-integer pixel coordinates")
        if y.min() < 0 or y.max() >= height or x.min() < 0 or x.max() >= width:
            raise ROIError(f"{folder}/stat.npy: cell {k} has pixels outside the {height} x {width} "
                           "(Ly x Lx) frame of ops.npy")
        lam = lam.astype(np.float64)
        if not np.isfinite(lam).all() or lam.max() <= 0:
            raise ROIError(f"{folder}/stat.npy: cell {k} has no positive finite lam weights")
        rows.append(y.astype(np.int64) + x.astype(np.int64) * height)
        cols.append(np.full(y.size, k, dtype=np.int64))
        vals.append(np.clip(lam, 0.0, None) / lam.max())
    n_cells = len(stat)
    if n_cells == 0:
        return sp.csc_matrix((height * width, 0), dtype=np.float32)
    A = sp.coo_matrix(
        (np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
        shape=(height * width, n_cells),
    )
    return A.tocsc().astype(np.float32)


def _accepted(folder: Path, n_cells: int) -> np.ndarray | None:
    path = folder / "iscell.npy"
    if not path.is_file():
        return None
    iscell = read_npy(path, error=ROIError)
    if iscell.ndim == 1:
        iscell = iscell[:, None]
    if iscell.ndim != 2 or iscell.shape[0] != n_cells or not np.issubdtype(iscell.dtype, np.number):
        raise ROIError(f"{path} must be (N, 2) with N = {n_cells} cells as in stat.npy, got "
                       f"{iscell.shape}")
    return np.flatnonzero(iscell[:, 0] > 0.5)


def read_suite2p(folder: PathLike, neuropil_coefficient: float | None = None) -> ImportedComponents:
    """Read a suite2p plane folder (``stat.npy``, ``F.npy``, ``ops.npy``; ``Fneu.npy``,
    ``spks.npy``, ``iscell.npy`` when present) as CNMF-type components (module docstring).

    ``neuropil_coefficient``: ``c`` of ``C = F - c * Fneu``; None uses ``ops["neucoeff"]`` (0.7
    when absent), 0 keeps the raw ``F``. ``fps`` is ``ops["fs"]``; ``mean_image`` is
    ``ops["meanImg"]`` ``(Ly, Lx)``; ``extra`` holds ``F`` and ``Fneu``. Raises ``ROIError``
    naming the file and problem, ``UnsafePickleError`` when a pickled file asks for anything but
    arrays, dicts and lists.
    """
    folder = Path(folder)
    if not (folder / "stat.npy").is_file():
        hint = " (it holds plane folders: pass one of them, e.g. plane0)" \
            if (folder / "plane0").is_dir() else ""
        raise ROIError(f"{folder} has no stat.npy{hint}; pass a suite2p plane folder such as "
                       "suite2p/plane0")
    stat = read_npy(folder / "stat.npy", error=ROIError)
    if stat.ndim != 1 or not stat.dtype.hasobject:
        raise ROIError(f"{folder}/stat.npy must be a 1-D array of per-cell dicts, got "
                       f"{stat.dtype} {stat.shape}")
    ops = _ops(folder)
    dims = (_positive(ops, "Ly", int, folder), _positive(ops, "Lx", int, folder))
    fps = _positive(ops, "fs", float, folder)
    n_cells = stat.shape[0]
    F = _traces(folder, "F", n_cells, required=True)
    Fneu = _traces(folder, "Fneu", n_cells, required=False)
    spks = _traces(folder, "spks", n_cells, required=False)
    for name, traces in (("Fneu", Fneu), ("spks", spks)):
        if traces is not None and traces.shape != F.shape:
            raise ROIError(f"{folder}/{name}.npy has shape {traces.shape}, F.npy {F.shape}; they "
                           "must come from the same suite2p run")
    if neuropil_coefficient is None:
        neuropil_coefficient = float(ops.get("neucoeff", DEFAULT_NEUROPIL_COEFFICIENT))
    if not np.isfinite(neuropil_coefficient) or neuropil_coefficient < 0:
        raise ParameterError(f"neuropil_coefficient must be >= 0, got {neuropil_coefficient!r}")
    C = F.astype(np.float32)
    if Fneu is not None and neuropil_coefficient > 0:
        C = C - np.float32(neuropil_coefficient) * Fneu.astype(np.float32)
    cnmf_data = CNMFData(
        A=_footprints(stat, dims, folder), b=None, C=C, f=None, YrA=np.zeros_like(C), dims=dims,
        S=None if spks is None else spks.astype(np.float32),
        idx_components=_accepted(folder, n_cells),
    )
    mean = ops.get("meanImg")
    mean_image = np.asarray(mean, dtype=np.float32) \
        if isinstance(mean, np.ndarray) and mean.shape == dims else None
    extra = {"F": F} if Fneu is None else {"F": F, "Fneu": Fneu}
    applied = neuropil_coefficient if Fneu is not None else 0.0
    return ImportedComponents(cnmf_data=cnmf_data, fps=fps, mean_image=mean_image,
                              source=str(folder), extra=extra,
                              settings={"neuropil_coefficient": applied})


def import_suite2p(work_env: ViewerWorkEnv, folder: PathLike,
                   neuropil_coefficient: float | None = None) -> ImportedComponents:
    """Read a suite2p plane folder (:func:`read_suite2p`) and install its cells in ``work_env``'s
    ROI manager in CNMF mode (history ``{"suite2p_import": {"folder": ..., "neuropil_coefficient":
    ..., ...}}``). The work environment must hold the movie suite2p analysed."""
    imported = read_suite2p(folder, neuropil_coefficient)
    params = {"folder": str(Path(folder)), **imported.settings, "fs": imported.fps,
              "n_components": imported.cnmf_data.n_components,
              "n_accepted": int(imported.cnmf_data.component_indices().size)}
    install_components(work_env, imported, SUITE2P_OPERATION, params, mode="cnmf")
    return imported
