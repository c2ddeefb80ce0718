"""The CNMF-E fit (Zhou et al. 2018).

1. Initialisation: greedy seeding on the correlation and PNR images (``greedy_corr_pnr``) of the
   whole field of view (``rf`` None), or of each patch (``rf``, ``stride``; see
   ``cnmf.patches``; ``k`` is per patch), where each patch is also fitted on its own (step 2,
   with its own ring model; ``nb_patch`` does not change that) in parallel on the given
   ``concurrent.futures.Executor``; the patches' components are gathered in the field of view
   and duplicates in the overlaps merged. With seed footprints ``Ain``: traces by least-squares
   regression of the data on them (first on the data minus each pixel's median, then again on
   the data minus a ring background fitted to that first residual).
2. Two rounds, on the whole field of view, of: the ring background model fitted on ``Y - A C``;
   the CNMF spatial update and the CNMF temporal update (OASIS, AR order ``p``) on ``Y - B``
   with no further background components; dropping vanished components and merging overlapping
   ones whose traces correlate above ``merge_thresh``.
3. Evaluation with the CNMF criteria on ``Y - B``: trace SNR (``min_SNR``) and spatial
   consistency (``r_values_min``).

``bord_px``: no seed is taken within ``bord_px`` pixels of the edges and footprints are zeroed
there after every spatial update (the motion-correction border holds no real signal).

Background in the result: ``b`` (n_pixels, 1) is the ring model's constant level ``b0`` and
``f`` (1, T) is all ones, so ``b @ f`` is the static background. The fluctuating ring
background ``B(t) = b0 + W (Y(t) - A C(t) - b0)`` depends on the movie; its model (``W``,
``b0``, radius, downsampling) is written beside the result as ``cnmfe_ring_model.npz`` and read
with :func:`load_ring_model` (``model.background(Y, A, C)`` rebuilds it). With ``gnb > 0``,
``b``, ``f`` are instead the rank-``gnb`` non-negative factorisation of the fitted background
``B`` (``b`` (n_pixels, gnb), ``f`` (gnb, T)); the ring model file is written either way.
``gnb = -1`` (full rank) is the ring model itself and is stored like ``gnb = 0``.

Memory: the refinement on the field of view holds the movie as float32 (n_pixels, T) three to
four times (data, background, data minus background); patches parallelise the initialisation
and the per-patch fits, not this refinement.
"""
from __future__ import annotations

import dataclasses
import time
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import scipy.sparse

from mesmerize.core.atomic import atomic_open
from mesmerize.core.errors import FormatVersionError, ImageLoadError, ParameterError
from mesmerize.engines.cnmf.evaluation import evaluate_components
from mesmerize.engines.cnmf.initialization import background_nmf
from mesmerize.engines.cnmf.merging import merge_components
from mesmerize.engines.cnmf.movie import check_movie_values, movie_to_pixels, open_movie
from mesmerize.engines.cnmf.noise import pixel_noise
from mesmerize.engines.cnmf.patches import embed_footprints, patch_windows
from mesmerize.engines.cnmf.pipeline import frame_rate_from_meta, seed_footprints
from mesmerize.engines.cnmf.result import CNMFResult
from mesmerize.engines.cnmf.spatial import update_spatial
from mesmerize.engines.cnmf.temporal import TemporalState, update_temporal

from .initialization import greedy_corr_pnr
from .params import CNMFEParams
from .ring_background import RingModel, fit_ring_model

Progress = Callable[[float, str], None]
RING_FORMAT_VERSION = 1
RING_NPZ_NAME = "cnmfe_ring_model.npz"
N_ROUNDS = 2


def search_radius(params: CNMFEParams) -> int:
    """Dilation (pixels) of a footprint's support in the spatial update."""
    return max(params.gSig) // 2 + 1


def pixels_as_frames(Yr: np.ndarray, dims: tuple[int, int]) -> np.ndarray:
    """View of ``Yr`` (n_pixels, T), Fortran pixel order over ``dims``, as (T, H, W) frames."""
    H, W = dims
    return Yr.reshape(W, H, -1).transpose(2, 1, 0)


def frames_as_pixels(Y: np.ndarray) -> np.ndarray:
    """(T, H, W) frames as (n_pixels, T) float32, Fortran pixel order."""
    T, H, W = Y.shape
    return np.ascontiguousarray(Y.transpose(2, 1, 0), dtype=np.float32).reshape(H * W, T)


def regress_traces(Yr: np.ndarray, A: scipy.sparse.spmatrix) -> np.ndarray:
    """Least-squares traces (K, T) of ``Yr`` (n_pixels, T) on footprints ``A`` (n_pixels, K)."""
    A = scipy.sparse.csc_matrix(A, dtype=np.float64)
    AtA = np.asarray((A.T @ A).todense())
    AtA += 1e-9 * max(float(np.trace(AtA)), 1.0) * np.eye(A.shape[1])
    return np.linalg.solve(AtA, np.asarray(A.T @ Yr, dtype=np.float64))


def zero_border(A: scipy.sparse.spmatrix, dims: tuple[int, int],
                bord_px: int) -> scipy.sparse.csc_matrix:
    """``A`` (n_pixels, K) with the rows of pixels within ``bord_px`` of an edge set to 0."""
    A = scipy.sparse.csc_matrix(A)
    if bord_px <= 0:
        return A
    H, W = dims
    inner = np.zeros(dims, bool)
    inner[bord_px:H - bord_px, bord_px:W - bord_px] = True
    keep = scipy.sparse.diags(inner.ravel(order="F").astype(A.dtype))
    out = scipy.sparse.csc_matrix(keep @ A)
    out.eliminate_zeros()
    return out


def _ring(Y: np.ndarray, A, C, params: CNMFEParams) -> RingModel:
    return fit_ring_model(Y, A, C, params.ring_radius, params.ssub_B)


def _background_pixels(ring: RingModel, Y: np.ndarray, A, C) -> np.ndarray:
    return frames_as_pixels(ring.background(Y, A, C))


def _drop(A: scipy.sparse.csc_matrix, C: np.ndarray) -> tuple[scipy.sparse.csc_matrix, np.ndarray]:
    keep = (np.asarray(A.sum(axis=0)).ravel() > 0) & (C.max(axis=1) > 0)
    return scipy.sparse.csc_matrix(A[:, keep]), C[keep]


def _empty_state(T: int, p: int) -> TemporalState:
    z = np.zeros((0, T))
    return TemporalState(z, z.copy(), z.copy(), np.zeros((0, T)), np.zeros((0, p)), np.zeros(0),
                         np.zeros(0))


def _select(state: TemporalState, keep: np.ndarray) -> TemporalState:
    return TemporalState(state.C[keep], state.S[keep], state.YrA[keep], state.f, state.g[keep],
                         state.sn[keep], state.bl[keep])


def initialise(Yr: np.ndarray, dims: tuple[int, int],
               params: CNMFEParams) -> tuple[scipy.sparse.csc_matrix, np.ndarray]:
    """Initial footprints ``A`` (n_pixels, K) and traces ``C`` (K, T) (see module docstring)."""
    Y = pixels_as_frames(Yr, dims)
    if params.Ain is None:
        init = greedy_corr_pnr(Y, params)
        if init.A.shape[1] == 0:
            raise ParameterError(
                f"CNMF-E found no seed pixel with correlation > min_corr={params.min_corr} and "
                f"PNR > min_pnr={params.min_pnr}; lower them after inspecting the correlation "
                "and PNR images (corr_pnr), or check gSig")
        return zero_border(init.A, dims, params.bord_px), np.asarray(init.C, np.float64)
    A = zero_border(seed_footprints(params.Ain, dims), dims,
                    params.bord_px)
    if A.nnz == 0:
        raise ParameterError("the seed footprints Ain are empty (or lie only in the bord_px "
                             "border); give footprints from a run on the same field of view")
    C0 = regress_traces(Yr - np.median(Yr, axis=1, keepdims=True), A)
    ring = _ring(Y, A, C0, params)
    C = regress_traces(Yr - _background_pixels(ring, Y, A, C0), A)
    return A, C


def fit_components(Yr: np.ndarray, dims: tuple[int, int], params: CNMFEParams,
                   A: scipy.sparse.csc_matrix, C: np.ndarray, report: Progress,
                   ) -> tuple[scipy.sparse.csc_matrix, TemporalState, RingModel, np.ndarray]:
    """Alternate ring background, spatial and temporal updates and merging (``N_ROUNDS``).

    Returns footprints, the temporal state, the last ring model and the background-subtracted
    data ``Yr - B`` (n_pixels, T) that the components were fitted on. When every component
    vanishes the footprints and traces are empty (K = 0).
    """
    Y = pixels_as_frames(Yr, dims)
    T = Yr.shape[1]
    no_b, no_f = np.zeros((Yr.shape[0], 0), np.float32), np.zeros((0, T))
    radius = search_radius(params)
    state = None
    for rnd in range(N_ROUNDS):
        frac = 0.3 + 0.45 * rnd / N_ROUNDS
        report(frac, f"round {rnd + 1}/{N_ROUNDS}: fitting the ring background")
        ring = _ring(Y, A, C, params)
        Yres = Yr - _background_pixels(ring, Y, A, C)
        report(frac + 0.1, f"round {rnd + 1}/{N_ROUNDS}: spatial and temporal updates")
        A, _ = update_spatial(Yres, C, no_f, A, no_b, dims, radius)
        A, C = _drop(zero_border(A, dims, params.bord_px), C)
        if A.shape[1] == 0:
            return A, _empty_state(T, params.p), ring, Yres
        state = update_temporal(Yres, A, no_b, C, no_f, params.p, params.decay_time, params.fr)
        A, C_m, n_merged = merge_components(A, state.C, params.merge_thresh)
        if n_merged:
            state = update_temporal(Yres, A, no_b, C_m, no_f, params.p, params.decay_time,
                                    params.fr)
        keep = state.C.max(axis=1) > 0
        A, state = scipy.sparse.csc_matrix(A[:, keep]), _select(state, keep)
        C = state.C
    ring = _ring(Y, A, C, params)
    Yres = Yr - _background_pixels(ring, Y, A, C)
    return A, state, ring, Yres


def fit_patch(movie_path: str, window: tuple[int, int, int, int],
              params: CNMFEParams) -> tuple[scipy.sparse.csc_matrix, np.ndarray]:
    """Initialise and fit one patch ``(y0, y1, x0, x1)`` of the movie (runs in an executor's
    worker). Returns footprints (n_patch_pixels, K) in Fortran order over the patch and traces
    (K, T); K = 0 when the patch has no seed pixel or every component vanished."""
    y0, y1, x0, x1 = window
    dims = (y1 - y0, x1 - x0)
    Yr = movie_to_pixels(open_movie(movie_path), y0, y1, x0, x1)
    T = Yr.shape[1]
    if not np.any(Yr.std(axis=1) > 0):
        return scipy.sparse.csc_matrix((Yr.shape[0], 0), dtype=np.float32), np.zeros((0, T))
    init = greedy_corr_pnr(pixels_as_frames(Yr, dims), params)
    if init.A.shape[1] == 0:
        return init.A, np.zeros((0, T))
    A, state, _, _ = fit_components(Yr, dims, params, init.A,
                                    np.asarray(init.C, np.float64), lambda frac, msg: None)
    return A, state.C


def patch_components(movie_path: str, dims: tuple[int, int], params: CNMFEParams,
                     executor: Executor | None, report: Progress,
                     ) -> tuple[scipy.sparse.csc_matrix, np.ndarray]:
    """Footprints (n_pixels, K) and traces (K, T) of all patches (``rf``, ``stride``), gathered
    in the field of view, with duplicates in the overlaps merged. Patches are fitted without
    ``bord_px`` (it applies to the edges of the field of view, in the refinement)."""
    if 2 * params.rf + 1 < max(params.gSiz):
        raise ParameterError(f"patches of 2*rf+1 = {2 * params.rf + 1} px are smaller than the "
                             f"filter kernel gSiz={params.gSiz}; raise rf or lower gSig")
    windows = patch_windows(dims, params.rf, params.stride)
    patch_params = dataclasses.replace(params, bord_px=0)
    report(0.1, f"fitting {len(windows)} patches")
    if executor is None:
        outs = [fit_patch(movie_path, w, patch_params) for w in windows]
    else:
        futures = [executor.submit(fit_patch, movie_path, w, patch_params) for w in windows]
        outs = [fut.result() for fut in futures]
    A_all = scipy.sparse.hstack([embed_footprints(A_p, w, dims)
                                 for (A_p, _), w in zip(outs, windows)]).tocsc()
    C_all = np.vstack([C_p for _, C_p in outs])
    if A_all.shape[1] == 0:
        raise ParameterError(
            f"CNMF-E found no component in any patch (no seed pixel with correlation > "
            f"min_corr={params.min_corr} and PNR > min_pnr={params.min_pnr}, or none survived);"
            " lower them after inspecting the correlation and PNR images, or check gSig")
    report(0.25, "merging the components of overlapping patches")
    A_m, C_m, _ = merge_components(A_all, C_all, params.merge_thresh)
    return zero_border(A_m, dims, params.bord_px), np.asarray(C_m, np.float64)


def save_ring_model(ring: RingModel, output_dir: str | Path) -> Path:
    """Write the ring model to ``output_dir/cnmfe_ring_model.npz`` (atomically)."""
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    with atomic_open(out / RING_NPZ_NAME, "wb") as fh:
        np.savez(fh, format_version=np.array(RING_FORMAT_VERSION), **ring.to_arrays())
    return out / RING_NPZ_NAME


def load_ring_model(output_dir: str | Path) -> RingModel:
    """Read the ring background model a CNMF-E fit wrote into ``output_dir``."""
    path = Path(output_dir) / RING_NPZ_NAME
    if not path.exists():
        raise ImageLoadError(f"no CNMF-E ring background model in {output_dir}: expected "
                             f"{RING_NPZ_NAME} (written by mesmerize.engines.cnmfe.fit)")
    with np.load(path, allow_pickle=False) as z:
        version = int(z["format_version"])
        if version > RING_FORMAT_VERSION:
            raise FormatVersionError(f"{path} has format_version {version}; this Mesmerize "
                                     f"reads up to {RING_FORMAT_VERSION}. Upgrade Mesmerize.")
        return RingModel.from_arrays(z)


def _stored_background(ring: RingModel, Yr: np.ndarray, Yres: np.ndarray,
                       params: CNMFEParams) -> tuple[np.ndarray, np.ndarray]:
    T = Yr.shape[1]
    if params.gnb > 0:
        return background_nmf(Yr - Yres, params.gnb)
    return ring.b0.reshape(-1, 1).astype(np.float32), np.ones((1, T), np.float32)


def fit(movie_path: str | Path, params: CNMFEParams | Mapping[str, Any], output_dir: str | Path,
        progress: Progress | None = None, executor: Executor | None = None,
        fr: float | None = None) -> CNMFResult:
    """Run CNMF-E on a movie file (TIFF [t, y, x] or .npy); save and return a :class:`CNMFResult`.

    params : a :class:`CNMFEParams` or the guide's CNMFE dict. The frame rate is ``fr`` (Hz) when
    given, else ``params["fr"]`` / ``params["frate"]``, else ``fps`` of the meta data JSON beside
    the movie. progress : ``progress(fraction, message)`` callback. executor : runs the patches
    (serially in this process when None; unused without ``rf``). The result (and
    the ring background model, see :func:`load_ring_model`) is written to ``output_dir``.
    """
    report = progress or (lambda frac, msg: None)
    if not isinstance(params, CNMFEParams):
        if fr is None and "fr" not in params and "frate" not in params:
            fr = frame_rate_from_meta(movie_path)
        params = CNMFEParams.from_dict(params, fr=fr)
    elif fr is not None and fr != params.fr:
        raise ParameterError(f"fr={fr} disagrees with the parameters' fr={params.fr}; give the "
                             "frame rate once")
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    mov = open_movie(movie_path)
    dims = (int(mov.shape[1]), int(mov.shape[2]))
    params.check_fov(dims)
    report(0.0, "checking the movie")
    check_movie_values(mov)
    Yr = movie_to_pixels(mov)
    sn = pixel_noise(Yr)
    timings["load_and_noise"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    if params.rf is None or params.Ain is not None:
        report(0.1, "initialising components" if params.Ain is None
               else "fitting traces of the seed footprints")
        A, C = initialise(Yr, dims, params)
    else:
        A, C = patch_components(str(movie_path), dims, params, executor, report)
    timings["initialisation"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    A, state, ring, Yres = fit_components(Yr, dims, params, A, C, report)
    timings["fit"] = time.perf_counter() - t2
    if A.shape[1] == 0:
        raise ParameterError("every CNMF-E component vanished during the fit: the seeds were not "
                             "neurons; raise min_corr / min_pnr, or check gSig")
    t3 = time.perf_counter()
    report(0.85, "evaluating components")
    T = Yr.shape[1]
    good, bad, snr, rval = evaluate_components(
        Yres, A, state.C, state.YrA, np.zeros((Yr.shape[0], 0), np.float32), np.zeros((0, T)),
        params.fr, params.decay_time, params.min_SNR, params.r_values_min, params.gSig)
    b, f = _stored_background(ring, Yr, Yres, params)
    timings["evaluation"] = time.perf_counter() - t3
    timings["total"] = time.perf_counter() - t0
    out_params = params.to_dict()
    out_params["method"] = "cnmfe"
    out_params["background"] = "ring model in " + RING_NPZ_NAME
    result = CNMFResult(A=scipy.sparse.csc_matrix(A, dtype=np.float32), b=b, C=state.C.astype(
        np.float32), f=f.astype(np.float32), YrA=state.YrA.astype(np.float32),
        S=state.S.astype(np.float32), sn=sn.astype(np.float32), g=state.g, dims=dims,
        idx_components=good, idx_components_bad=bad, SNR_comp=snr, r_values=rval,
        params=out_params, timings=timings)
    save_ring_model(ring, output_dir)
    result.save(output_dir)
    report(1.0, "done")
    return result
