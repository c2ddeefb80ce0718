"""The CNMF-E fit (Zhou et al. 2018).

1. Initialisation: greedy seeding on the correlation and PNR images (``greedy_corr_pnr``) of the
   whole field of view (``rf`` None), or of each patch (``rf``, ``stride``; see
   ``cnmf.patches``; ``k`` is per patch), where each patch is also fitted on its own (step 2,
   with its own ring model) in parallel on the given ``concurrent.futures.Executor``; the
   patches' components are gathered in the field of view and duplicates in the overlaps
   merged. With seed footprints ``Ain``: traces by least-squares regression of the data on them
   (first on the data minus each pixel's median, then again on the data minus a ring background
   fitted to that first residual).
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
with :func:`load_ring_model` (``model.background(Y, A, C)`` rebuilds it). ``gnb = -1`` (full
rank) is the ring model itself and is stored like ``gnb = 0``. With ``gnb > 0``, ``b`` (n_pixels,
gnb) and ``f`` (gnb, T) are a rank-``gnb`` non-negative factorisation of the background; the ring
model file is written either way:

- without patches, of the fitted ring background ``B`` of the field of view (streamed:
  ``cnmf.initialization.background_of_source``);
- with patches (CaImAn's ``low_rank_background``), of the patches' own backgrounds: each patch
  approximates its ring background by ``nb_patch`` non-negative components (``gnb`` when
  ``nb_patch <= 0``), these are placed in the field of view (averaged where patches overlap)
  and factorised to rank ``gnb`` without ever forming the pixels x frames background
  (:func:`low_rank_of_product`). So ``nb_patch`` sets how much detail of each patch's
  background reaches the stored ``b``, ``f``; as in CaImAn it has no effect unless
  ``gnb > 0`` and ``rf`` is set. The components themselves are always fitted against the
  full ring model.

Memory: the full field of view is never held as pixels x frames (except by the greedy
initialisation without patches, ``rf`` None, which holds the movie as float32 about three
times). The movie is read with ``cnmf.movie.MovieReader`` (plain reads, nothing stays mapped);
the ring model is fitted in bands of rows and the data minus background, ``Y - B``, is served
to the spatial and temporal updates and the evaluation in bands of rows computed on the fly
(``residual.RingResidual``), so the peak is set by the band size (``STREAM_BAND_BYTES`` of
float32, rows x width x frames, plus the ring's halo rows), by the patches (each worker holds
its patch about four times), and by the per-pixel noise pass (``cnmf.streaming.BandedMovie``).
Patches are small enough to be fitted in memory.
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
from mesmerize.engines.cnmf.initialization import background_nmf, background_of_source, hals_nmf
from mesmerize.engines.cnmf.merging import merge_components
from mesmerize.engines.cnmf.movie import MovieReader, check_movie_file, read_window
from mesmerize.engines.cnmf.patches import embed_footprints, patch_windows, run_patches
from mesmerize.engines.cnmf.pipeline import frame_rate_from_meta, seed_footprints
from mesmerize.engines.cnmf.result import CNMFResult
from mesmerize.engines.cnmf.spatial import update_spatial
from mesmerize.engines.cnmf.streaming import (BandedMovie, InMemoryPixels, PixelSource,
                                              pixel_noise_of, project)
from mesmerize.engines.cnmf.temporal import TemporalState, update_temporal

from .initialization import greedy_corr_pnr
from .params import CNMFEParams
from .residual import RingResidual
from .ring_background import BAND_BYTES, RingModel, fit_ring_model, read_rows

Progress = Callable[[float, str], None]
RING_FORMAT_VERSION = 1
RING_NPZ_NAME = "cnmfe_ring_model.npz"
N_ROUNDS = 2
#: float32 bytes of one band of rows of the field of view (ring fit, ``Y - B``, noise pass)
STREAM_BAND_BYTES = BAND_BYTES


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


def regress_traces(Yr: np.ndarray | PixelSource, A: scipy.sparse.spmatrix) -> np.ndarray:
    """Least-squares traces (K, T) of ``Yr`` (n_pixels, T, or a pixel source streamed once) on
    footprints ``A`` (n_pixels, K)."""
    source = InMemoryPixels(Yr) if isinstance(Yr, np.ndarray) else Yr
    A = scipy.sparse.csc_matrix(A, dtype=np.float64)
    AtA = np.asarray((A.T @ A).todense())
    AtA += 1e-9 * max(float(np.trace(AtA)), 1.0) * np.eye(A.shape[1])
    return np.linalg.solve(AtA, project(source, A))


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


def _ring(Y, A, C, params: CNMFEParams) -> RingModel:
    return fit_ring_model(Y, A, C, params.ring_radius, params.ssub_B,
                          band_bytes=STREAM_BAND_BYTES)


def residual_source(Y, ring: RingModel, A, C) -> PixelSource:
    """``Y - B`` as a pixel source: computed once into memory when ``Y`` (T, H, W) is an array
    (a patch), streamed in bands of rows when it is a ``MovieReader`` (the field of view)."""
    src = RingResidual(Y, ring, A, C, band_bytes=STREAM_BAND_BYTES)
    return InMemoryPixels(src.to_pixels()) if isinstance(Y, np.ndarray) else src


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


def initialise(movie_path: str | Path, reader: MovieReader, params: CNMFEParams,
               ) -> tuple[scipy.sparse.csc_matrix, np.ndarray]:
    """Initial footprints ``A`` (n_pixels, K) and traces ``C`` (K, T) on the whole field of view
    (greedy, or regression on the seeds ``Ain``; see the module docstring)."""
    T, H, W = reader.shape
    dims = (H, W)
    if params.Ain is None:
        init = greedy_corr_pnr(read_rows(reader, 0, T, 0, H), params)
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
    C0 = regress_traces(BandedMovie(movie_path, remove_median=True,
                                    band_bytes=STREAM_BAND_BYTES), A)
    ring = _ring(reader, A, C0, params)
    C = regress_traces(RingResidual(reader, ring, A, C0, band_bytes=STREAM_BAND_BYTES), A)
    return A, C


def fit_components(Y, dims: tuple[int, int], params: CNMFEParams,
                   A: scipy.sparse.csc_matrix, C: np.ndarray, report: Progress,
                   exact: bool = True, executor: Executor | None = None,
                   ) -> tuple[scipy.sparse.csc_matrix, TemporalState, RingModel, PixelSource]:
    """Alternate ring background, spatial and temporal updates and merging (``N_ROUNDS``).

    ``Y``: the movie ``(T, H, W)``, an array (a patch, fitted in memory) or a ``MovieReader``
    (streamed, see the module docstring). Returns footprints, the temporal state, the last ring
    model and the background-subtracted data ``Y - B`` (a pixel source) that the components were
    fitted on. When every component vanishes the footprints and traces are empty (K = 0).
    ``exact``: the last round's temporal updates solve AR(2) exactly (False for patches);
    ``executor`` deconvolves the traces of the temporal updates in parallel.
    """
    T = int(Y.shape[0])
    n_pixels = dims[0] * dims[1]
    no_b, no_f = np.zeros((n_pixels, 0), np.float32), np.zeros((0, T))
    radius = search_radius(params)
    state = None
    for rnd in range(N_ROUNDS):
        frac = 0.3 + 0.45 * rnd / N_ROUNDS
        report(frac, f"round {rnd + 1}/{N_ROUNDS}: fitting the ring background")
        ring = _ring(Y, A, C, params)
        Yres = residual_source(Y, ring, A, C)
        report(frac + 0.1, f"round {rnd + 1}/{N_ROUNDS}: spatial and temporal updates")
        A, _ = update_spatial(Yres, C, no_f, A, no_b, dims, radius)
        A, C = _drop(zero_border(A, dims, params.bord_px), C)
        if A.shape[1] == 0:
            return A, _empty_state(T, params.p), ring, Yres
        final = exact and rnd == N_ROUNDS - 1
        state = update_temporal(Yres, A, no_b, C, no_f, params.p, params.decay_time, params.fr,
                                exact=final, executor=executor)
        A, C_m, n_merged = merge_components(A, state.C, params.merge_thresh)
        if n_merged:
            state = update_temporal(Yres, A, no_b, C_m, no_f, params.p, params.decay_time,
                                    params.fr, exact=final, executor=executor)
        keep = state.C.max(axis=1) > 0
        A, state = scipy.sparse.csc_matrix(A[:, keep]), _select(state, keep)
        C = state.C
    report(0.8, "fitting the final ring background")
    ring = _ring(Y, A, C, params)
    return A, state, ring, residual_source(Y, ring, A, C)


def patch_background_rank(params: CNMFEParams) -> int:
    """Rank of each patch's background approximation: ``nb_patch``, or ``gnb`` when
    ``nb_patch <= 0``; 0 (none) unless ``gnb > 0``."""
    if params.gnb <= 0:
        return 0
    return params.nb_patch if params.nb_patch > 0 else params.gnb


@dataclasses.dataclass
class PatchFit:
    """One patch's result: footprints ``A`` (n_patch_pixels, K) in Fortran order over the
    patch, traces ``C`` (K, T), and its background's rank-``patch_background_rank``
    factorisation ``b`` (n_patch_pixels, nb), ``f`` (nb, T) (nb = 0 when not asked for)."""

    A: scipy.sparse.csc_matrix
    C: np.ndarray
    b: np.ndarray
    f: np.ndarray


def fit_patch(movie_path: str, window: tuple[int, int, int, int],
              params: CNMFEParams) -> PatchFit:
    """Initialise and fit one patch ``(y0, y1, x0, x1)`` of the movie (runs in an executor's
    worker). K = 0 when the patch has no seed pixel or every component vanished; the
    background factorisation is then of the patch's ring background without components."""
    y0, y1, x0, x1 = window
    dims = (y1 - y0, x1 - x0)
    Yr = read_window(MovieReader(movie_path), y0, y1, x0, x1)
    T = Yr.shape[1]
    Y = pixels_as_frames(Yr, dims)
    nb = patch_background_rank(params)
    empty_A = scipy.sparse.csc_matrix((Yr.shape[0], 0), dtype=np.float32)
    no_bg = (np.zeros((Yr.shape[0], 0), np.float32), np.zeros((0, T), np.float32))
    if not np.any(Yr.std(axis=1) > 0):
        return PatchFit(empty_A, np.zeros((0, T)), *no_bg)
    init = greedy_corr_pnr(Y, params)
    if init.A.shape[1] == 0:
        A, C = empty_A, np.zeros((0, T))
        ring = _ring(Y, None, None, params) if nb else None
        Yres = residual_source(Y, ring, None, None) if nb else None
    else:
        A, state, ring, Yres = fit_components(Y, dims, params, init.A,
                                              np.asarray(init.C, np.float64),
                                              lambda frac, msg: None, exact=False)
        C = state.C
    if not nb:
        return PatchFit(A, C, *no_bg)
    b, f = background_nmf(Yr - Yres.Yr, nb)
    return PatchFit(A, C, b, f)


def patch_components(movie_path: str, dims: tuple[int, int], params: CNMFEParams,
                     executor: Executor | None, report: Progress,
                     ) -> tuple[scipy.sparse.csc_matrix, np.ndarray,
                                tuple[scipy.sparse.csc_matrix, np.ndarray] | None]:
    """Footprints (n_pixels, K) and traces (K, T) of all patches (``rf``, ``stride``), gathered
    in the field of view, with duplicates in the overlaps merged, and, when
    ``patch_background_rank(params) > 0``, the patches' background components placed in the
    field of view: ``Bm`` (n_pixels, n_patches * nb) sparse, divided by the number of patches
    covering each pixel, and ``F`` (n_patches * nb, T), so ``Bm F`` is their average. Patches
    are fitted without ``bord_px`` (it applies to the edges of the field of view, in the
    refinement)."""
    if 2 * params.rf + 1 < max(params.gSiz):
        raise ParameterError(f"patches of 2*rf+1 = {2 * params.rf + 1} px are smaller than the "
                             f"filter kernel gSiz={params.gSiz}; raise rf or lower gSig")
    windows = patch_windows(dims, params.rf, params.stride)
    patch_params = dataclasses.replace(params, bord_px=0)
    report(0.1, f"fitting {len(windows)} patches")
    outs = run_patches(fit_patch, movie_path, windows, patch_params, executor, report, 0.1, 0.25)
    A_all = scipy.sparse.hstack([embed_footprints(o.A, w, dims)
                                 for o, w in zip(outs, windows)]).tocsc()
    C_all = np.vstack([o.C for o in outs])
    if A_all.shape[1] == 0:
        raise ParameterError(
            f"CNMF-E found no component in any patch (no seed pixel with correlation > "
            f"min_corr={params.min_corr} and PNR > min_pnr={params.min_pnr}, or none survived);"
            " lower them after inspecting the correlation and PNR images, or check gSig")
    background = None
    if patch_background_rank(params) > 0:
        Bm = scipy.sparse.hstack([embed_footprints(scipy.sparse.csc_matrix(o.b), w, dims)
                                  for o, w in zip(outs, windows)]).tocsr()
        cover = np.zeros(dims[0] * dims[1])
        for w in windows:
            cover += np.asarray(embed_footprints(
                scipy.sparse.csc_matrix(np.ones(((w[1] - w[0]) * (w[3] - w[2]), 1))), w,
                dims).todense()).ravel()
        Bm = scipy.sparse.csr_matrix(scipy.sparse.diags(1.0 / np.maximum(cover, 1)) @ Bm)
        background = (Bm, np.vstack([o.f for o in outs]).astype(np.float64))
    report(0.25, "merging the components of overlapping patches")
    A_m, C_m, _ = merge_components(A_all, C_all, params.merge_thresh)
    return zero_border(A_m, dims, params.bord_px), np.asarray(C_m, np.float64), background


def low_rank_of_product(Bm: scipy.sparse.spmatrix, F: np.ndarray, nb: int,
                        n_iter: int = 50, tol: float = 1e-5) -> tuple[np.ndarray, np.ndarray]:
    """Rank-``nb`` non-negative factorisation ``b f`` of ``R = Bm F`` (``Bm`` (n_pixels, m)
    sparse >= 0, ``F`` (m, T) >= 0) by HALS, from the products ``Bm (F f^T)`` and ``(b^T Bm) F``
    only, never forming ``R`` (n_pixels, T). Starts from a constant and slow cosine traces like
    ``cnmf.initialization.hals_nmf``; stops when a round lowers ``||R - b f||^2`` by less
    than ``tol`` of it. Returns ``b`` (n_pixels, nb), ``f`` (nb, T) float32."""
    Bm = scipy.sparse.csr_matrix(Bm, dtype=np.float64)
    F = np.asarray(F, dtype=np.float64)
    rr = float(np.sum(np.asarray((Bm.T @ Bm).todense()) * (F @ F.T)))
    b, f = hals_nmf(lambda fT: Bm @ (F @ fT), lambda b: np.asarray(Bm.T @ b).T @ F, rr,
                    Bm.shape[0], F.shape[1], nb, n_iter, tol, np.float64)
    return b.astype(np.float32), f.astype(np.float32)


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


def _stored_background(ring: RingModel, reader: MovieReader, A, C, params: CNMFEParams,
                       patch_background) -> tuple[np.ndarray, np.ndarray]:
    T = reader.shape[0]
    if params.gnb > 0:
        if patch_background is not None:
            return low_rank_of_product(*patch_background, params.gnb)
        bg = RingResidual(reader, ring, A, C, background_only=True,
                          band_bytes=STREAM_BAND_BYTES)
        return background_of_source(bg, ring.dims, scipy.sparse.csc_matrix((bg.n_pixels, 0)),
                                    np.zeros((0, T)), params.gnb)
    return ring.b0.reshape(-1, 1).astype(np.float32), np.ones((1, T), np.float32)


def fit(movie_path: str | Path, params: CNMFEParams | Mapping[str, Any], output_dir: str | Path,
        progress: Progress | None = None, executor: Executor | None = None,
        fr: float | None = None) -> CNMFResult:
    """Run CNMF-E on a movie file (TIFF [t, y, x] or .npy); save and return a :class:`CNMFResult`.

    params : a :class:`CNMFEParams` or the guide's CNMFE dict. The frame rate is ``fr`` (Hz) when
    given, else ``params["fr"]`` / ``params["frate"]``, else ``fps`` of the meta data JSON beside
    the movie. progress : ``progress(fraction, message)`` callback. executor : runs the patches
    and the deconvolutions of the final fit's temporal updates (serially in this process when
    None). The result (and
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
    reader = MovieReader(movie_path)
    T, H, W = reader.shape
    dims = (H, W)
    params.check_fov(dims)
    report(0.0, "checking the movie")
    check_movie_file(reader)
    report(0.02, "estimating the noise of every pixel")
    sn = pixel_noise_of(BandedMovie(movie_path, band_bytes=STREAM_BAND_BYTES))
    timings["load_and_noise"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    patch_background = None
    if params.rf is None or params.Ain is not None:
        report(0.1, "initialising components" if params.Ain is None
               else "fitting traces of the seed footprints")
        A, C = initialise(movie_path, reader, params)
    else:
        A, C, patch_background = patch_components(str(movie_path), dims, params, executor,
                                                  report)
    timings["initialisation"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    A, state, ring, Yres = fit_components(reader, dims, params, A, C, report,
                                          executor=executor)
    timings["fit"] = time.perf_counter() - t2
    if A.shape[1] == 0:
        raise ParameterError("every CNMF-E component vanished during the fit: the seeds were not "
                             "neurons; raise min_corr / min_pnr, or check gSig")
    t3 = time.perf_counter()
    report(0.85, "evaluating components")
    good, bad, snr, rval = evaluate_components(
        Yres, A, state.C, state.YrA, np.zeros((H * W, 0), np.float32), np.zeros((0, T)),
        params.fr, params.decay_time, params.min_SNR, params.r_values_min, params.gSig)
    timings["evaluation"] = time.perf_counter() - t3
    t4 = time.perf_counter()
    report(0.92, "storing the background")
    b, f = _stored_background(ring, reader, A, state.C, params, patch_background)
    timings["background"] = time.perf_counter() - t4
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
