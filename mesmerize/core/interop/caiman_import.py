"""Import CaImAn CNMF / CNMF-E results saved with ``cnm.save("results.hdf5")``.

CaImAn writes the ``CNMF`` object's ``__dict__`` with h5py: a group ``estimates`` holding ``A``
(scipy.sparse saved as the CSC parts ``data``, ``indices``, ``indptr``, ``shape``), ``C``, ``YrA``,
``S``, ``b``, ``f``, ``sn``, ``g``, ``dims``, ``idx_components``, ``idx_components_bad``, ``Cn``...,
a group ``params`` (``params/data/fr``, ``params/data/dims``...) and top-level ``dims``. ``None``
values are stored as the text ``"NoneType"``. Only h5py datasets are read here: nothing in the
file is unpickled or evaluated.

:func:`install_components` puts a :class:`CNMFData` into a Viewer work environment's ROI manager
the way the Viewer opens a CNMF batch item's output; the suite2p import uses it too.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Union

import h5py
import numpy as np
import scipy.sparse as sp

from mesmerize.core.errors import ParameterError, ROIError
from mesmerize.core.roi.cnmf_data import CNMFData
from mesmerize.core.work_env import ViewerWorkEnv

PathLike = Union[str, os.PathLike]

CAIMAN_OPERATION = "caiman_hdf5_import"
_NONE_TEXT = b"NoneType"
_SPARSE_PARTS = ("data", "indices", "indptr", "shape")


@dataclass
class ImportedComponents:
    """Components imported from another tool.

    ``cnmf_data``: the components as :class:`CNMFData` (accepted ones in ``idx_components``).
    ``fps``: the frame rate stored with them (Hz), or None. ``mean_image``: ``(H, W)`` float32
    summary image in the ``(y, x)`` frame of the ``[t, y, x]`` movie (suite2p ``meanImg``, CaImAn
    ``Cn``), or None. ``source``: the file or folder read. ``extra``: ``{name: (K, T) array}``
    traces the tool keeps besides the CNMFData ones (suite2p ``F``, ``Fneu``). ``settings``: how
    the import converted the data (recorded in the work environment's history).
    """

    cnmf_data: CNMFData
    fps: float | None
    mean_image: np.ndarray | None
    source: str
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    settings: dict[str, Any] = field(default_factory=dict)


def _entry(group: h5py.Group, name: str, path: Path) -> Any:
    """The value of dataset ``name`` (a sparse group as csc_matrix); None when absent/"NoneType"."""
    if name not in group:
        return None
    item = group[name]
    if isinstance(item, h5py.Group):
        return _sparse(item, f"{group.name}/{name}", path)
    if not isinstance(item, h5py.Dataset):
        return None
    if item.dtype.kind in "SOU" and item.shape == ():
        value = item[()]
        text = value if isinstance(value, bytes) else str(value).encode()
        if text == _NONE_TEXT:
            return None
        raise ROIError(f"{path}: {item.name} holds the text {text[:40]!r} where CaImAn stores numbers")
    try:
        return item[()]
    except (OSError, ValueError, TypeError) as exc:
        raise ROIError(f"{path}: cannot read {item.name} ({exc}); the file is damaged") from exc


def _sparse(group: h5py.Group, name: str, path: Path) -> sp.csc_matrix:
    missing = [part for part in _SPARSE_PARTS if part not in group]
    if missing:
        raise ROIError(f"{path}: {name} is a group without the sparse matrix parts {missing}; it "
                       "is not a matrix CaImAn saved")
    try:
        parts = [np.asarray(group[part][()]) for part in _SPARSE_PARTS]
        shape = tuple(int(s) for s in parts[3])
        matrix = sp.csc_matrix((parts[0], parts[1], parts[2]), shape=shape)
        matrix.check_format(full_check=True)
    except (OSError, ValueError, TypeError, OverflowError) as exc:
        raise ROIError(f"{path}: the sparse matrix {name} is corrupt ({exc})") from exc
    return matrix


def _dims(h5: h5py.File, estimates: h5py.Group, path: Path) -> tuple[int, int]:
    params_data = h5["params/data"] if "params/data" in h5 else None
    for group in (estimates, h5, params_data):
        value = None if group is None else _entry(group, "dims", path)
        if value is None:
            continue
        dims = np.asarray(value).ravel()
        if dims.size == 3:
            raise ROIError(f"{path}: these are 3-D (volumetric) CNMF results with dims "
                           f"{tuple(dims)}; Mesmerize imports 2-D results only")
        if dims.size != 2 or not np.issubdtype(dims.dtype, np.number):
            raise ROIError(f"{path}: dims must be (height, width), got {value!r}")
        return int(dims[0]), int(dims[1])
    raise ROIError(f"{path}: no dims (height, width) in estimates/, at the top level or in "
                   "params/data/; it is not a complete CaImAn results file")


def _fps(h5: h5py.File, path: Path) -> float | None:
    if "params/data" not in h5:
        return None
    value = _entry(h5["params/data"], "fr", path)
    if value is None:
        return None
    fps = float(np.asarray(value).ravel()[0]) if np.size(value) == 1 else float("nan")
    if not np.isfinite(fps) or fps <= 0:
        raise ROIError(f"{path}: params/data/fr must be a positive frame rate, got {value!r}")
    return fps


def _ar_coefficients(value: Any, n_comp: int) -> np.ndarray | None:
    """CaImAn's ``g`` as ``(K, p)``, or None: it stores 0 when there was none, and ``g`` (AR
    coefficients, informative only) in any other shape is left out rather than failing the
    import."""
    if value is None:
        return None
    g = np.asarray(value)
    if g.ndim == 1 and g.shape[0] == n_comp:
        g = g[:, None]
    numeric = np.issubdtype(g.dtype, np.number) and not np.issubdtype(g.dtype, np.complexfloating)
    if not numeric or g.ndim != 2 or g.shape[0] != n_comp or g.shape[1] == 0:
        return None
    return g


def _background(b: Any, f: Any) -> tuple[np.ndarray | None, np.ndarray | None]:
    """CaImAn's ``b`` ``(n_pixels, nb)`` and ``f`` ``(nb, T)`` (a single component may be stored
    1-D); ``(None, None)`` when either is missing: CNMF-E's ring model keeps no global background,
    and one without the other is unusable."""
    if b is None or f is None:
        return None, None
    b = b.toarray() if sp.issparse(b) else np.asarray(b)
    f = np.asarray(f)
    return (b[:, None] if b.ndim == 1 else b), (f[None, :] if f.ndim == 1 else f)


def _accepted(estimates: h5py.Group, n_comp: int, path: Path) -> np.ndarray | None:
    good = _entry(estimates, "idx_components", path)
    if good is not None:
        return np.asarray(good).ravel()
    bad = _entry(estimates, "idx_components_bad", path)
    if bad is None:
        return None
    bad = np.asarray(bad).ravel().astype(np.int64)
    if bad.size and (bad.min() < 0 or bad.max() >= n_comp):
        raise ROIError(f"{path}: idx_components_bad lists components outside [0, {n_comp})")
    return np.setdiff1d(np.arange(n_comp), bad)


def read_caiman_hdf5(path: PathLike) -> ImportedComponents:
    """Read the CNMF(E) results of a CaImAn ``.hdf5`` file (``cnm.save(...)``).

    ``cnmf_data.idx_components`` comes from ``estimates/idx_components`` (or the complement of
    ``idx_components_bad``; all components when neither is stored). ``YrA`` missing -> zeros
    (no residual). ``fps`` from ``params/data/fr``; ``mean_image`` is ``estimates/Cn`` (the
    correlation image) when saved. Raises ``ROIError`` naming the problem for files that are not
    CaImAn results, 3-D results and damaged files.
    """
    path = Path(path)
    if not path.is_file():
        raise ROIError(f"{path} does not exist; pass the .hdf5 file written by CaImAn's cnm.save()")
    try:
        h5 = h5py.File(path, "r")
    except OSError as exc:
        raise ROIError(f"{path} is not an HDF5 file ({exc}); pass the .hdf5 file written by "
                       "CaImAn's cnm.save()") from exc
    with h5:
        estimates = h5.get("estimates")
        if not isinstance(estimates, h5py.Group) or "A" not in estimates or "C" not in estimates:
            raise ROIError(
                f"{path} is not a CaImAn CNMF results file: it has no estimates/A and estimates/C. "
                "Save the CNMF object with cnm.save('results.hdf5') in CaImAn and import that file."
            )
        dims = _dims(h5, estimates, path)
        A = _entry(estimates, "A", path)
        C = _entry(estimates, "C", path)
        if A is None or C is None:
            raise ROIError(f"{path}: estimates/A or estimates/C is empty (None); run CNMF to the "
                           "end in CaImAn before saving")
        n_comp = A.shape[1] if A.ndim == 2 else 0
        YrA = _entry(estimates, "YrA", path)
        values = {name: _entry(estimates, name, path) for name in ("b", "f", "S", "sn", "Cn")}
        g = _ar_coefficients(_entry(estimates, "g", path), n_comp)
        accepted = _accepted(estimates, n_comp, path)
        fps = _fps(h5, path)
    C = np.asarray(C)
    b, f = _background(values["b"], values["f"])
    try:
        cnmf_data = CNMFData(
            A=A, b=b, C=C, f=f, YrA=np.zeros_like(C) if YrA is None else YrA, dims=dims,
            S=values["S"], sn=values["sn"], g=g, idx_components=accepted,
        )
    except ROIError as exc:
        raise ROIError(f"{path}: the CaImAn results are inconsistent: {exc}") from exc
    mean_image = _summary_image(values["Cn"], dims)
    return ImportedComponents(cnmf_data=cnmf_data, fps=fps, mean_image=mean_image,
                              source=str(path))


def _summary_image(value: Any, dims: tuple[int, int]) -> np.ndarray | None:
    if value is None:
        return None
    image = np.asarray(value, dtype=np.float32)
    return image if image.shape == dims else None


def install_components(work_env: ViewerWorkEnv, imported: ImportedComponents, operation: str,
                       params: Mapping[str, Any], mode: str = "cnmf") -> None:
    """Put ``imported.cnmf_data`` into ``work_env``'s ROI manager (CNMF(E) mode, one CNMFROI per
    accepted component, replacing all ROIs) and append ``{operation: params}`` to its history.

    The work environment must hold the movie the components belong to: its ``[x, y, t]``
    sequence must be ``(W, H, T)`` for components of ``dims = (H, W)`` and ``T`` frames.
    Raises ``ParameterError`` (no work environment / no movie) or ``ROIError`` (size mismatch);
    the work environment is then unchanged.
    """
    if not isinstance(work_env, ViewerWorkEnv):
        raise ParameterError(f"work_env must be a ViewerWorkEnv, got {type(work_env).__name__}")
    if work_env.imgdata is None:
        raise ParameterError(
            "The work environment is empty: open the movie these components were extracted "
            "from first, then import them onto it."
        )
    data = imported.cnmf_data
    height, width = data.dims
    x, y = work_env.imgdata.frame_shape
    n_frames = work_env.imgdata.n_frames
    if (x, y) != (width, height):
        raise ROIError(
            f"{imported.source}: the components are {width} x {height} px (width x height) but "
            f"the open movie is {x} x {y}; open the movie they were extracted from"
        )
    if n_frames != data.n_frames:
        raise ROIError(
            f"{imported.source}: the traces have {data.n_frames} frames but the open movie has "
            f"{n_frames}; open the movie they were extracted from"
        )
    work_env.roi_manager.set_cnmf_data(data, mode=mode)
    work_env.add_history(operation, params)


def import_caiman_hdf5(work_env: ViewerWorkEnv, path: PathLike, mode: str = "cnmf") -> ImportedComponents:
    """Read ``path`` (:func:`read_caiman_hdf5`) and install its components in ``work_env``
    (:func:`install_components`; history ``{"caiman_hdf5_import": {"file": ..., "mode": ...}}``).
    ``mode``: ``"cnmf"`` or ``"cnmfe"``."""
    if mode not in ("cnmf", "cnmfe"):
        raise ParameterError(f"mode must be 'cnmf' or 'cnmfe', got {mode!r}")
    imported = read_caiman_hdf5(path)
    params = {"file": str(Path(path)), "mode": mode,
              "n_components": imported.cnmf_data.n_components,
              "n_accepted": int(imported.cnmf_data.component_indices().size)}
    install_components(work_env, imported, CAIMAN_OPERATION, params, mode=mode)
    return imported
