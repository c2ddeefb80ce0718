"""Greedy CNMF-E initialisation from the correlation and PNR images (Zhou et al. 2018).

On a movie (or patch) ``Y`` ``(T, H, W)`` held in memory:

1. ``F``: the high-pass filtered frames minus their temporal mean; its noise, PNR and local
   correlation images as defined in ``local_stats``.
2. Seed pixels: ``corr > min_corr`` and ``pnr > min_pnr``, at least ``bord_px`` from the edges,
   taken in decreasing order of ``corr * pnr`` (the largest remaining one each time).
3. For a seed, in the box of half-width ``gSiz`` around it: the correlation of every pixel's
   filtered trace with the seed's; the connected pixels correlating above ``RHO_NEURON`` give the
   neuron's filtered trace ``ci`` (their mean), pixels below ``RHO_BACKGROUND`` give a local
   background trace (their median raw trace). The raw box is regressed on ``[ci, background,
   1]``: the non-negative ``ci`` weights connected to the seed are the footprint ``a``; the trace
   is the raw data minus each pixel's fitted background, projected on ``a``, minus its median.
4. ``a c`` is subtracted from the raw data and ``filter(a) c`` from ``F``; the PNR and
   correlation images are updated around the neuron so that its neighbours are found next.
   Pixels where ``a`` exceeds half its peak are not seeds any more.

Stops after ``k`` neurons or when no seed is left.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.ndimage as ndi
import scipy.sparse

from mesmerize.core.errors import ParameterError

from .filtering import halo_rows, highpass_filter_frames
from .local_stats import (correlation_sums, filtered_noise, local_correlation, pnr_image,
                          thresholded_z)
from .params import CNMFEParams

RHO_NEURON = 0.7
RHO_BACKGROUND = 0.3
MIN_PIXELS = 3
MIN_BACKGROUND_PIXELS = 5


@dataclass
class SeedInitResult:
    """Initial components of a ``(T, H, W)`` movie.

    ``A``: ``(H*W, K)`` float32 csc matrix, pixels in Fortran order over ``dims`` (the CNMF
    convention); ``C``: ``(K, T)`` float32 traces in the units of the movie; ``centers``:
    ``(K, 2)`` int seed pixels ``(y, x)``; ``corr`` / ``pnr``: ``(H, W)`` float32 images before
    any neuron was removed.
    """

    A: scipy.sparse.csc_matrix
    C: np.ndarray
    centers: np.ndarray
    corr: np.ndarray
    pnr: np.ndarray
    dims: tuple[int, int]


Box = tuple[slice, slice]


def _box(center: tuple[int, int], half: tuple[int, int], dims: tuple[int, int]) -> Box:
    (r, c), (hy, hx), (H, W) = center, half, dims
    return slice(max(r - hy, 0), min(r + hy + 1, H)), slice(max(c - hx, 0), min(c + hx + 1, W))


def _grow(box: Box, by: tuple[int, int], dims: tuple[int, int]) -> Box:
    ys, xs = box
    return (slice(max(ys.start - by[0], 0), min(ys.stop + by[0], dims[0])),
            slice(max(xs.start - by[1], 0), min(xs.stop + by[1], dims[1])))


def _component_with(mask: np.ndarray, seed: tuple[int, int]) -> np.ndarray:
    labels, _ = ndi.label(mask)
    lab = labels[seed]
    return labels == lab if lab > 0 else np.zeros_like(mask)


def _extract(F: np.ndarray, Y: np.ndarray, box: Box, seed: tuple[int, int],
             ) -> tuple[np.ndarray, np.ndarray] | None:
    """Footprint ``(bh, bw)`` and trace ``(T,)`` of the neuron seeded at ``seed`` (box coords)."""
    Fb, Yb = F[:, box[0], box[1]], Y[:, box[0], box[1]]
    T, bh, bw = Fb.shape
    Fb2 = Fb.reshape(T, -1).astype(np.float64)
    y0 = Fb[:, seed[0], seed[1]].astype(np.float64)
    norms = np.linalg.norm(Fb2, axis=0) * np.linalg.norm(y0)
    rho = np.divide(y0 @ Fb2, norms, out=np.zeros(bh * bw), where=norms > 0).reshape(bh, bw)
    support = _component_with(rho > RHO_NEURON, seed)
    if support.sum() < MIN_PIXELS:
        return None
    ci = Fb[:, support].mean(axis=1, dtype=np.float64)
    Yb2 = Yb.reshape(T, -1).astype(np.float64)
    regressors = [ci, np.ones(T)]
    background = (rho < RHO_BACKGROUND).ravel()
    if background.sum() >= MIN_BACKGROUND_PIXELS:
        regressors.append(np.median(Yb2[:, background], axis=1))
    X = np.stack(regressors, axis=1)
    # normal equations (3 regressors): far cheaper than an SVD per box with 1000+ right-hand sides
    coef = np.linalg.lstsq(X.T @ X, X.T @ Yb2, rcond=None)[0]
    a = np.maximum(coef[0], 0).reshape(bh, bw)
    a *= _component_with(a > 0, seed)
    if np.count_nonzero(a) < MIN_PIXELS or a.max() <= 0:
        return None
    residual = Yb2 - X[:, 1:] @ coef[1:]
    c = residual @ a.ravel() / float(a.ravel() @ a.ravel())
    c -= np.median(c)
    return a.astype(np.float32), c.astype(np.float32)


def _region_update(F: np.ndarray, sigma: np.ndarray, corr: np.ndarray, pnr: np.ndarray,
                   region: Box, dims: tuple[int, int]) -> None:
    """Recompute ``pnr`` on ``region`` and ``corr`` on ``region`` grown by 1 (whose neighbours
    all lie in ``region`` grown by 2)."""
    ys, xs = region
    pnr[ys, xs] = pnr_image(F[:, ys, xs].max(axis=0), sigma[ys, xs])
    inner = _grow(region, (1, 1), dims)
    outer = _grow(region, (2, 2), dims)
    Fo = F[:, outer[0], outer[1]]
    zo = thresholded_z(Fo, np.zeros(Fo.shape[1:]), sigma[outer[0], outer[1]])
    co = local_correlation(correlation_sums(zo))
    oy, ox = inner[0].start - outer[0].start, inner[1].start - outer[1].start
    ih, iw = inner[0].stop - inner[0].start, inner[1].stop - inner[1].start
    corr[inner[0], inner[1]] = co[oy:oy + ih, ox:ox + iw]


def greedy_corr_pnr(Y: np.ndarray, params: CNMFEParams, max_neurons: int | None = None,
                    ) -> SeedInitResult:
    """Initialise up to ``max_neurons`` (default ``params.k``) neurons of ``Y`` ``(T, H, W)``.

    ``Y`` is not modified (a float32 working copy is made). Raises ``ParameterError`` for NaN or
    infinite values, fewer than 8 frames, a constant movie, or a ``gSig`` too large for the
    field of view.
    """
    T, H, W = Y.shape
    dims = (H, W)
    params.check_fov(dims)
    if T < 8:
        raise ParameterError(f"the movie has {T} frames; CNMF-E initialisation needs at least 8")
    work = np.array(Y, dtype=np.float32)
    if not np.all(np.isfinite(work)):
        raise ParameterError("the movie contains NaN or infinite values; replace them (e.g. by "
                             "interpolation) before running CNMF-E")
    k_max = params.k if max_neurons is None else int(max_neurons)
    gSig, gSiz = params.gSig, params.gSiz
    F = highpass_filter_frames(work, gSig, gSiz)
    F -= F.mean(axis=0, dtype=np.float64).astype(np.float32)
    sigma = filtered_noise(F)
    if not np.any(sigma > 0):
        raise ParameterError("the movie has no temporal variation after spatial high-pass "
                             "filtering (a constant movie?); there is nothing to initialise")
    pnr = pnr_image(F.max(axis=0), sigma)
    corr = local_correlation(correlation_sums(thresholded_z(F, np.zeros(dims), sigma)))
    corr0, pnr0 = corr.copy(), pnr.copy()
    allowed = np.zeros(dims, dtype=bool)
    b = params.bord_px
    allowed[b:H - b, b:W - b] = True
    half = (int(gSiz[0]), int(gSiz[1]))
    halo = (halo_rows(gSiz), int(gSiz[1]) // 2)
    footprints: list[tuple[Box, np.ndarray]] = []
    traces: list[np.ndarray] = []
    centers: list[tuple[int, int]] = []
    while len(traces) < k_max:
        score = np.where(allowed & (corr > params.min_corr) & (pnr > params.min_pnr),
                         corr * pnr, -np.inf)
        seed = np.unravel_index(int(np.argmax(score)), dims)
        if not np.isfinite(score[seed]):
            break
        allowed[seed] = False
        box = _box(seed, half, dims)
        local_seed = (seed[0] - box[0].start, seed[1] - box[1].start)
        extracted = _extract(F, work, box, local_seed)
        if extracted is None:
            continue
        a, c = extracted
        work[:, box[0], box[1]] -= a[None] * c[:, None, None]
        ext = _grow(box, halo, dims)
        canvas = np.zeros((1, ext[0].stop - ext[0].start, ext[1].stop - ext[1].start), np.float32)
        oy, ox = box[0].start - ext[0].start, box[1].start - ext[1].start
        canvas[0, oy:oy + a.shape[0], ox:ox + a.shape[1]] = a
        fa = highpass_filter_frames(canvas, gSig, gSiz)[0]
        F[:, ext[0], ext[1]] -= fa[None] * (c - c.mean())[:, None, None]
        _region_update(F, sigma, corr, pnr, ext, dims)
        allowed[box[0], box[1]] &= a <= 0.5 * a.max()
        footprints.append((box, a))
        traces.append(c)
        centers.append((int(seed[0]), int(seed[1])))
    A = _to_sparse(footprints, dims)
    C = np.array(traces, dtype=np.float32).reshape(len(traces), T)
    return SeedInitResult(A=A, C=C, centers=np.array(centers, dtype=int).reshape(-1, 2),
                          corr=corr0, pnr=pnr0, dims=dims)


def _to_sparse(footprints: list[tuple[Box, np.ndarray]],
               dims: tuple[int, int]) -> scipy.sparse.csc_matrix:
    H, W = dims
    rows, cols, vals = [], [], []
    for k, ((ys, xs), a) in enumerate(footprints):
        yy, xx = np.nonzero(a)
        rows.append((yy + ys.start) + (xx + xs.start) * H)  # Fortran order over (H, W)
        cols.append(np.full(yy.size, k))
        vals.append(a[yy, xx])
    if not footprints:
        return scipy.sparse.csc_matrix((H * W, 0), dtype=np.float32)
    return scipy.sparse.csc_matrix((np.concatenate(vals), (np.concatenate(rows),
                                                            np.concatenate(cols))),
                                   shape=(H * W, len(footprints)), dtype=np.float32)
