"""The CNMF fit: initialise, alternate spatial / temporal updates, merge, evaluate, refit.

Without patches (``rf`` None) everything runs on the whole field of view, held in memory (the
greedy initialisation needs it). With patches, each patch is initialised and fitted on its own
(in parallel through the given ``concurrent.futures.Executor``), the footprints are gathered in
the full field of view, duplicates in overlaps are merged, and the fit is refined on the whole
field of view out of core: the refinement, evaluation and refit read the movie in bands of rows
holding no more data than one patch (``streaming.BandedMovie``), so memory is bounded by the
patch size, not by FOV x T. A fit seeded with footprints (``Ain``) also runs out of core, in
bands of ``streaming.BAND_BYTES``.
"""
from __future__ import annotations

import time
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

import numpy as np
import scipy.sparse

from mesmerize.core.errors import ParameterError
from mesmerize.core.meta import find_meta_path, load_meta_json
from mesmerize.engines.cnmf.evaluation import evaluate_components
from mesmerize.engines.cnmf.initialization import background_of_source, greedy_roi
from mesmerize.engines.cnmf.merging import merge_components
from mesmerize.engines.cnmf.movie import MovieReader, check_movie_file, read_window
from mesmerize.engines.cnmf.noise import pixel_noise
from mesmerize.engines.cnmf.params import CNMFParams
from mesmerize.engines.cnmf.patches import embed_footprints, patch_windows, run_patches
from mesmerize.engines.cnmf.result import CNMFResult
from mesmerize.engines.cnmf.spatial import update_spatial
from mesmerize.engines.cnmf.streaming import (
    BAND_BYTES, BandedMovie, PixelSource, as_source, pixel_medians, pixel_noise_of, project)
from mesmerize.engines.cnmf.temporal import TemporalState, update_temporal

Progress = Callable[[float, str], None]


@dataclass
class RegionFit:
    """Fit of one region (patch or FOV): A (n_pixels, K) sparse, b (n_pixels, nb), state."""

    A: scipy.sparse.csc_matrix
    b: np.ndarray
    state: TemporalState


def search_radius(params: CNMFParams) -> int:
    """Dilation (pixels) of a footprint's support in the spatial update and r-value test."""
    return max(params.gSig) // 2 + 1


def seed_footprints(Ain: Any, dims: tuple[int, int]) -> scipy.sparse.csc_matrix:
    """``Ain`` as (n_pixels, K) sparse: accepts (n_pixels, K) Fortran-order or (K, H, W)."""
    H, W = dims
    if scipy.sparse.issparse(Ain):
        A = scipy.sparse.csc_matrix(Ain, dtype=np.float32)
    else:
        arr = np.asarray(Ain, dtype=np.float32)
        if arr.ndim == 3:
            if arr.shape[1:] != (H, W):
                raise ParameterError(f"Ain has shape {arr.shape} but the movie frames are "
                                     f"{H}x{W}; give (K, {H}, {W}) footprints or (n_pixels, K)")
            arr = arr.transpose(2, 1, 0).reshape(H * W, -1)
        elif arr.ndim != 2:
            raise ParameterError(f"Ain must be (n_pixels, K) or (K, H, W), got shape {arr.shape}")
        A = scipy.sparse.csc_matrix(arr)
    if A.shape[0] != H * W:
        raise ParameterError(f"Ain has {A.shape[0]} pixels but the movie has {H}x{W}={H * W}; "
                             "give (n_pixels, K) in Fortran order or (K, H, W)")
    if A.shape[1] == 0 or (A.data.size and (A.data.min() < 0 or not np.isfinite(A.data).all())):
        raise ParameterError("Ain must hold at least one non-negative, finite footprint")
    return A


def remove_static_background(Yr: np.ndarray, params: CNMFParams) -> np.ndarray:
    """With ``gnb = 0`` there are no background components; the per-pixel temporal median (the
    static background, including the resting fluorescence) is removed in place instead, so
    that the components do not have to explain a constant offset."""
    if params.gnb == 0:
        Yr -= np.median(Yr, axis=1, keepdims=True)
    return Yr


def _drop_empty(A, C):
    keep = (np.asarray(A.sum(axis=0)).ravel() > 0) & (C.max(axis=1) > 0)
    return A[:, keep], C[keep]


def fit_region(Yr: np.ndarray | PixelSource, dims: tuple[int, int], params: CNMFParams,
               A0: scipy.sparse.spmatrix | None = None, C0: np.ndarray | None = None,
               n_iter: int | None = None, band_bytes: int = 64 * 2**20,
               exact: bool = True, executor: Executor | None = None) -> RegionFit:
    """Initialise (greedy, or from ``A0``/``C0``) and run the alternating updates.

    Yr (n_pixels, T) float32, Fortran pixel order over ``dims``, or a pixel source read in
    bands (then ``A0`` is required: the greedy initialisation needs the data in memory);
    ``band_bytes`` bounds the coarse residual of the background initialisation; ``exact``:
    the last round's temporal updates solve AR(2) exactly (False for intermediate fits);
    ``executor`` deconvolves the traces of the temporal updates in parallel.
    """
    source = as_source(Yr)
    T = source.n_frames
    if A0 is None:
        if not isinstance(Yr, np.ndarray):
            raise ParameterError("the greedy initialisation needs the movie in memory; give "
                                 "initial footprints A0 to fit a pixel source")
        A_init, C, _ = greedy_roi(Yr, dims, params.k, params.gSig)
        A = scipy.sparse.csc_matrix(A_init)
    else:
        A = scipy.sparse.csc_matrix(A0, dtype=np.float32)
        if C0 is None:
            med = pixel_medians(source)
            AtA = np.asarray((A.T @ A).todense()) + 1e-9 * np.eye(A.shape[1])
            C = np.maximum(np.linalg.solve(AtA, project(source, A) - (A.T @ med)[:, None]), 0)
        else:
            C = np.asarray(C0)
    C = np.asarray(C, dtype=np.float64)
    b, f = background_of_source(source, dims, A, C, params.gnb, band_bytes)
    radius = search_radius(params)
    state = TemporalState(C, np.zeros_like(C), np.zeros_like(C), f.astype(np.float64),
                          np.zeros((C.shape[0], params.p)), np.zeros(C.shape[0]),
                          np.zeros(C.shape[0]))
    rounds = n_iter or params.n_iter
    for it in range(rounds):
        A, b = update_spatial(source, state.C, state.f, A, b, dims, radius)
        A, C = _drop_empty(A, state.C)
        if A.shape[1] == 0:
            break
        final = exact and it == rounds - 1
        state = update_temporal(source, A, b, C, state.f, params.p, params.decay_time, params.fr,
                                exact=final, executor=executor)
        if it == 0:
            A, C_m, n_merged = merge_components(A, state.C, params.merge_thresh)
            if n_merged:
                state = update_temporal(source, A, b, C_m, state.f, params.p, params.decay_time,
                                        params.fr, exact=final, executor=executor)
    if A.shape[1] != state.C.shape[0]:  # every footprint vanished before the temporal update
        return RegionFit(scipy.sparse.csc_matrix(A), b, TemporalState(
            *(np.zeros((0, T)),) * 3, state.f, np.zeros((0, params.p)), np.zeros(0), np.zeros(0)))
    keep = state.C.max(axis=1) > 0
    state = TemporalState(state.C[keep], state.S[keep], state.YrA[keep], state.f, state.g[keep],
                          state.sn[keep], state.bl[keep])
    return RegionFit(scipy.sparse.csc_matrix(A[:, keep]), b, state)


def fit_patch(movie_path: str, window: tuple[int, int, int, int],
              params: CNMFParams) -> tuple[scipy.sparse.csc_matrix, np.ndarray]:
    """Fit one patch ``(y0, y1, x0, x1)`` of the movie (runs in an executor's worker).

    Returns its footprints (n_patch_pixels, K) in Fortran order over the patch, and traces (K, T).
    """
    y0, y1, x0, x1 = window
    Yr = read_window(MovieReader(movie_path), y0, y1, x0, x1)
    if not np.any(Yr.std(axis=1) > 0):
        return (scipy.sparse.csc_matrix((Yr.shape[0], 0), dtype=np.float32),
                np.zeros((0, Yr.shape[1])))
    remove_static_background(Yr, params)
    fitted = fit_region(Yr, (y1 - y0, x1 - x0), params, exact=False)
    return fitted.A, fitted.state.C


def frame_rate_from_meta(movie_path: str | Path) -> float:
    """``fps`` (Hz) of the meta data JSON beside the movie (``xyz.tif`` -> ``xyz.json``)."""
    meta_path = find_meta_path(movie_path)
    if meta_path is None:
        raise ParameterError(f"the frame rate of {movie_path} is unknown: pass fr=..., put 'fr' "
                             "in the parameters, or place its meta data JSON beside it")
    return float(load_meta_json(meta_path)["fps"])


def _check_inputs(dims: tuple[int, int], params: CNMFParams) -> None:
    gy, gx = params.gSig
    H, W = dims
    if 2 * gy + 1 > H or 2 * gx + 1 > W:
        raise ParameterError(f"gSig={params.gSig} is too large for the {H}x{W} field of view "
                             "(2*gSig+1 must fit); lower gSig")
    if params.rf is not None and 2 * max(gy, gx) + 1 > 2 * params.rf + 1:
        raise ParameterError(f"gSig={params.gSig} is too large for patches of half-size "
                             f"rf={params.rf}; lower gSig or raise rf")


def fit(movie_path: str | Path, params: CNMFParams | Mapping[str, Any], output_dir: str | Path,
        progress: Progress | None = None, executor: Executor | None = None,
        fr: float | None = None) -> CNMFResult:
    """Run CNMF on a movie file (TIFF [t, y, x] or .npy) and save the result in ``output_dir``.

    params : a :class:`CNMFParams` or the guide's dict. The frame rate is ``fr`` (Hz) when
    given, else ``params["fr"]``, else ``fps`` of the meta data JSON beside the movie.
    progress : ``progress(fraction, message)`` callback. executor : runs the patches and the
    deconvolutions of the whole-FOV temporal updates (serial in this process when None).
    Returns the :class:`CNMFResult` (also written to output_dir).
    """
    report = progress or (lambda frac, msg: None)
    if not isinstance(params, CNMFParams):
        if fr is None and "fr" not in params:
            fr = frame_rate_from_meta(movie_path)
        params = CNMFParams.from_dict(params, fr=fr)
    movie_path = str(movie_path)
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    reader = MovieReader(movie_path)
    dims = (int(reader.shape[1]), int(reader.shape[2]))
    _check_inputs(dims, params)
    report(0.0, "checking the movie")
    check_movie_file(reader)
    t1 = time.perf_counter()
    data = None
    try:
        if params.Ain is not None:
            report(0.1, "fitting seeded components")
            A0 = seed_footprints(params.Ain, dims)
            data = _banded(movie_path, params, output_dir, BAND_BYTES, report)
            t_n = time.perf_counter()
            sn = pixel_noise_of(data, params.noise_method)
            timings["noise"] = time.perf_counter() - t_n
            fitted = fit_region(data, dims, params, A0=A0, executor=executor)
        elif params.rf is None:
            report(0.1, "initialising and fitting the field of view")
            data, sn = _load_pixels(reader, params, timings)
            fitted = fit_region(data, dims, params, executor=executor)
        else:
            windows = patch_windows(dims, params.rf, params.stride_cnmf)
            report(0.1, f"fitting {len(windows)} patches")
            outs = run_patches(fit_patch, movie_path, windows, params, executor, report,
                               0.1, 0.6)
            timings["patches"] = time.perf_counter() - t1
            A_all = scipy.sparse.hstack([embed_footprints(A_p, w, dims)
                                         for (A_p, _), w in zip(outs, windows)]).tocsc()
            C_all = np.vstack([C_p for _, C_p in outs])
            if A_all.shape[1] == 0:
                raise ParameterError("no components were found in any patch; check gSig and k")
            report(0.6, "merging patches and refining on the field of view")
            t_m = time.perf_counter()
            A_m, C_m, _ = merge_components(A_all, C_all, params.merge_thresh)
            timings["merge"] = time.perf_counter() - t_m
            y0, y1, x0, x1 = windows[0]
            band_bytes = 4 * (y1 - y0) * (x1 - x0) * reader.shape[0]  # one patch's data
            data = _banded(movie_path, params, output_dir, band_bytes, report)
            t_n = time.perf_counter()
            sn = pixel_noise_of(data, params.noise_method)
            timings["noise"] = time.perf_counter() - t_n
            t_r = time.perf_counter()
            fitted = fit_region(data, dims, params, A0=A_m, C0=C_m, band_bytes=band_bytes,
                                executor=executor)
            timings["refine"] = time.perf_counter() - t_r
        timings["fit"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        report(0.8, "evaluating components")
        result = _evaluate(data, fitted, dims, params, sn, timings)
        timings["evaluation"] = time.perf_counter() - t2
        if params.refit and result.idx_components.size:
            t3 = time.perf_counter()
            report(0.85, "refitting the accepted components")
            idx = result.idx_components
            fitted = fit_region(data, dims, params, A0=result.A[:, idx], C0=result.C[idx],
                                executor=executor)
            result = _evaluate(data, fitted, dims, params, sn, timings)
            timings["refit"] = time.perf_counter() - t3
    finally:
        if isinstance(data, BandedMovie):
            data.close()
    timings["total"] = time.perf_counter() - t0
    result.timings = timings
    result.save(output_dir)
    report(1.0, "done")
    return result


def _banded(movie_path: str, params: CNMFParams, output_dir: str | Path, band_bytes: int,
            report: Progress) -> BandedMovie:
    """The movie in bands for the whole-FOV steps, with its pixel-major copy in ``output_dir``
    (deleted when the fit ends) when the disk has room for it."""
    Path(output_dir).mkdir(parents=True, exist_ok=True)
    data = BandedMovie(movie_path, remove_median=params.gnb == 0, band_bytes=band_bytes,
                       cache_dir=output_dir)
    if data.cache_path is None:
        report(0.6, "too little free disk for a pixel-major copy of the movie "
                    f"({data.n_pixels * data.n_frames * data.reader.dtype.itemsize / 2**30:.1f} "
                    "GiB): reading it from the movie file on every pass (slower)")
    return data


def _load_pixels(reader: MovieReader, params: CNMFParams,
                 timings: dict) -> tuple[np.ndarray, np.ndarray]:
    t0 = time.perf_counter()
    Yr = read_window(reader)
    sn = pixel_noise(Yr, params.noise_method)
    remove_static_background(Yr, params)
    timings["load_and_noise"] = time.perf_counter() - t0
    return Yr, sn


def _evaluate(data, fitted: RegionFit, dims, params: CNMFParams, sn, timings) -> CNMFResult:
    st = fitted.state
    if fitted.A.shape[1] == 0:
        raise ParameterError("CNMF found no components: the movie shows no activity above "
                             "noise for these parameters (check gSig, k and min_SNR)")
    good, bad, snr, rval = evaluate_components(
        data, fitted.A, st.C, st.YrA, fitted.b, st.f, params.fr, params.decay_time,
        params.min_SNR, params.rval_thr, params.gSig)
    return CNMFResult(A=fitted.A, b=fitted.b, C=st.C.astype(np.float32),
                      f=st.f.astype(np.float32), YrA=st.YrA.astype(np.float32),
                      S=st.S.astype(np.float32), sn=sn.astype(np.float32), g=st.g,
                      dims=dims, idx_components=good, idx_components_bad=bad,
                      SNR_comp=snr, r_values=rval, params=params.to_dict(), timings=timings)
