"""Multi-session registration: which CNMF components of several sessions are the same neuron.

1. Every session's mean image is registered rigidly to the reference session's: both are
   high-pass filtered (cells stand out, the smooth background does not), a normalised
   cross-correlation search over rotations and shifts gives starting points (phase correlation
   proved unreliable on one-photon mean images), OpenCV's ECC maximisation refines them
   (``model="translation"``: shifts only; ``"euclidean"``: rotation + shift). Rotations of up to
   12 degrees and shifts of up to a quarter of the frame are recovered to ~0.5 px.
   ``model="affine"`` then fits a full affine transform (scale, shear) to the centroids of the
   footprints matched after the rigid step (RANSAC): an intensity-based affine fit is biased by
   sharpness differences between sessions (it shrinks blurrier images), footprint positions are
   not.
2. Each footprint is warped into the reference frame and binarised at ``mask_threshold`` times its
   peak.
3. Sessions are matched in turn against the running union of all footprints seen so far (a
   neuron missing in one session is still found in a later one): the Jaccard index (intersection
   over union of the binary masks) of every pair, then the one-to-one assignment maximising the
   total Jaccard index (Hungarian algorithm, ``scipy.optimize.linear_sum_assignment``) among
   pairs with a Jaccard index of at least ``min_jaccard``. Matched components take the union
   entry's identity (and update its mask); the others start new identities.

:func:`register_project_samples` runs this on project samples and stores each ROI's identity in
the ROI Type column ``ROI_ID_XSESSION`` (one value per ROI, kept when a sample is re-saved; the
flowchart can group by it like any categorical column).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

import cv2
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.optimize import linear_sum_assignment

from mesmerize.core.errors import ColumnTypeError, ParameterError, ProjectError
from mesmerize.core.imaging.tiff_io import open_movie_tyx
from mesmerize.core.project.project import Project
from mesmerize.core.project.samples import read_sample_info
from mesmerize.core.roi.cnmf_data import CNMFData

XSESSION_COLUMN = "ROI_ID_XSESSION"
MODELS = ("translation", "euclidean", "affine")
MIN_AFFINE_PAIRS = 8
"""Matched footprint pairs needed to fit the affine model (else the rigid fit is kept)."""
AFFINE_RANSAC_PX = 2.0
"""Largest centroid error (px) of a pair counted as an inlier of the affine fit."""
_ECC_CRITERIA = (cv2.TERM_CRITERIA_COUNT | cv2.TERM_CRITERIA_EPS, 300, 1e-7)
_MEAN_CHUNK_FRAMES = 256
SEARCH_ANGLES = tuple(float(a) for a in np.arange(-12, 12.1, 1.5))
"""Rotations (degrees) tried by the search that starts rigid/affine registration."""
N_STARTS = 3
"""Starting points of the rotation/shift search refined by ECC."""
SEARCH_MARGIN = 0.25
"""Fraction of the frame cut on each side of the moving image in the shift search: the largest
shift found is this fraction of the frame size."""


@dataclass
class SessionRegistration:
    """Result of :func:`register_sessions`.

    ``identities[s]``: ``(K_s,)`` int64, the cross-session identity (``0 .. n_identities - 1``)
    of footprint ``i`` of session ``s``; no two footprints of one session share an identity.
    ``transforms[s]``: ``(2, 3)`` float64 affine matrix mapping ``(x, y)`` pixel coordinates of
    session ``s`` to the reference session's (identity for the reference). ``models[s]``: the
    model of ``transforms[s]`` (``"reference"``, ``"translation"``, ``"euclidean"``, or
    ``"affine"``; ``"euclidean"`` when an affine fit found too few matches). ``image_correlation[s]``:
    Pearson correlation of the high-passed reference and registered mean images over their
    overlap (near 1: good registration). ``jaccard[s]``: ``(K_s,)`` Jaccard index of each
    footprint with the footprint it was matched to, 0 for new identities.
    """

    identities: list[np.ndarray]
    transforms: list[np.ndarray]
    models: list[str]
    image_correlation: list[float]
    jaccard: list[np.ndarray]
    n_identities: int

    def assignment_matrix(self) -> np.ndarray:
        """``(n_identities, n_sessions)`` int64: footprint index of each identity in each session,
        -1 where the identity is absent."""
        out = np.full((self.n_identities, len(self.identities)), -1, dtype=np.int64)
        for s, ids in enumerate(self.identities):
            out[ids, s] = np.arange(ids.size)
        return out


def highpass(image: np.ndarray, sigma: float) -> np.ndarray:
    """``image`` minus its Gaussian blur (``sigma`` px), lightly smoothed and scaled to unit
    variance: float32 ``(H, W)``. Removes the slowly varying background so registration follows
    the cells."""
    img = np.asarray(image, dtype=np.float32)
    smooth = cv2.GaussianBlur(img, (0, 0), 1.0) - cv2.GaussianBlur(img, (0, 0), float(sigma))
    smooth -= smooth.mean()
    std = float(smooth.std())
    return smooth / std if std > 0 else smooth


def estimate_transform(reference: np.ndarray, moving: np.ndarray, model: str = "euclidean",
                       highpass_sigma: float = 10.0) -> tuple[np.ndarray, float]:
    """Rigid ``(2, 3)`` matrix mapping ``(x, y)`` of ``moving`` to ``reference``, and the
    correlation of the two high-passed images after registration.

    ``reference``, ``moving``: ``(H, W)`` mean images of equal shape. ``model``: ``"translation"``
    or ``"euclidean"``. A normalised cross-correlation search (over ``SEARCH_ANGLES`` for
    ``"euclidean"``) gives the ``N_STARTS`` best starting points, ECC refines each and the fit
    with the highest correlation wins. When ECC never converges the best search estimate is kept;
    the returned correlation tells how good it is.
    """
    if model not in ("translation", "euclidean"):
        raise ParameterError(f"estimate_transform's model must be 'translation' or 'euclidean', "
                             f"got {model!r} (the affine model is fitted to footprints by "
                             "register_sessions)")
    ref, mov = np.asarray(reference), np.asarray(moving)
    if ref.ndim != 2 or ref.shape != mov.shape:
        raise ParameterError(f"mean images must be 2-D (H, W) of one shape, got {ref.shape} and "
                             f"{mov.shape}")
    if not (np.isfinite(ref).all() and np.isfinite(mov).all()):
        raise ParameterError("mean images must be finite; replace NaN/inf pixels (e.g. with "
                             "np.nan_to_num) before registering")
    ref_hp, mov_hp = highpass(ref, highpass_sigma), highpass(mov, highpass_sigma)
    # warps map reference (x, y) -> moving (x, y), ECC's convention (template(x) ~ input(warp x))
    rotate = model == "euclidean"
    starts = _search_starts(ref_hp, mov_hp, rotate)
    motion = cv2.MOTION_EUCLIDEAN if rotate else cv2.MOTION_TRANSLATION
    fits = [fit for fit in (_ecc(ref_hp, mov_hp, start, motion) for start in starts) if fit]
    warp = max(fits, key=lambda fit: fit[0])[1] if fits else starts[0]
    return cv2.invertAffineTransform(warp), _registered_correlation(ref_hp, mov_hp, warp)


def _ecc(ref_hp: np.ndarray, mov_hp: np.ndarray, start: np.ndarray,
         motion: int) -> tuple[float, np.ndarray] | None:
    try:
        cc, warp = cv2.findTransformECC(ref_hp, mov_hp, start.astype(np.float32), motion,
                                        _ECC_CRITERIA, None, 5)
    except cv2.error:
        return None
    return float(cc), warp.astype(np.float64)


def _as3x3(matrix: np.ndarray) -> np.ndarray:
    return np.vstack([matrix, [0.0, 0.0, 1.0]])


def _search_starts(ref_hp: np.ndarray, mov_hp: np.ndarray, rotate: bool) -> list[np.ndarray]:
    """Reference -> moving warps ``(2, 3)``, best first: for each angle of ``SEARCH_ANGLES`` (only
    0 when not ``rotate``) the moving image is rotated about its centre and the central part of it
    (``SEARCH_MARGIN`` of the frame cut on each side) is located in the reference by normalised
    cross-correlation; the ``N_STARTS`` angles with the highest peaks are returned. ECC alone
    only converges near the answer, and (unlike phase correlation) the normalised correlation of
    the overlap stays comparable between angles and large shifts."""
    h, w = ref_hp.shape
    my, mx = int(SEARCH_MARGIN * h), int(SEARCH_MARGIN * w)
    centre = ((w - 1) / 2.0, (h - 1) / 2.0)
    scored = []
    for angle in (SEARCH_ANGLES if rotate else (0.0,)):
        rot = cv2.getRotationMatrix2D(centre, float(angle), 1.0)
        rotated = cv2.warpAffine(mov_hp, rot, (w, h), flags=cv2.INTER_LINEAR) if angle else mov_hp
        scores = cv2.matchTemplate(ref_hp, rotated[my:h - my, mx:w - mx], cv2.TM_CCOEFF_NORMED)
        _, peak, _, (px, py) = cv2.minMaxLoc(scores)
        # rotated pixel (mx, my) sits at reference (px, py): reference x -> rotated x + d
        shift = np.array([[1.0, 0.0, mx - px], [0.0, 1.0, my - py], [0.0, 0.0, 1.0]])
        scored.append((peak, (np.linalg.inv(_as3x3(rot)) @ shift)[:2]))
    scored.sort(key=lambda item: -item[0])
    return [warp for _, warp in scored[:N_STARTS]]


def _registered_correlation(ref_hp: np.ndarray, mov_hp: np.ndarray, warp: np.ndarray) -> float:
    h, w = ref_hp.shape
    flags = cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP
    aligned = cv2.warpAffine(mov_hp, warp, (w, h), flags=flags)
    valid = cv2.warpAffine(np.ones_like(mov_hp), warp, (w, h), flags=flags) > 0.999
    if valid.sum() < 16:
        return 0.0
    a, b = ref_hp[valid], aligned[valid]
    a, b = a - a.mean(), b - b.mean()
    denom = float(np.sqrt((a * a).sum() * (b * b).sum()))
    return float((a * b).sum() / denom) if denom > 0 else 0.0


def _footprint_columns(footprints: Any, dims: tuple[int, int], session: int) -> sp.csc_matrix:
    """Footprints as ``(H * W, K)`` csc with Fortran pixel order (CNMF's ``A`` layout)."""
    if isinstance(footprints, CNMFData):
        if footprints.dims != dims:
            raise ParameterError(f"session {session}: CNMF dims {footprints.dims} differ from its "
                                 f"mean image {dims}")
        return footprints.A[:, footprints.component_indices()].tocsc()
    if sp.issparse(footprints):
        matrix = sp.csc_matrix(footprints)
        if matrix.shape[0] != dims[0] * dims[1]:
            raise ParameterError(f"session {session}: A has {matrix.shape[0]} rows, its mean image "
                                 f"{dims} has {dims[0] * dims[1]} pixels")
        return matrix
    stack = np.asarray(footprints, dtype=np.float32)
    if stack.ndim != 3 or stack.shape[1:] != dims:
        raise ParameterError(f"session {session}: footprints must be (K, H, W) with (H, W) = "
                             f"{dims} like its mean image, got {stack.shape}")
    k, y, x = np.nonzero(stack)
    return sp.csc_matrix((stack[k, y, x], (y + x * dims[0], k)),
                         shape=(dims[0] * dims[1], stack.shape[0]))


def warp_masks(columns: sp.csc_matrix, dims: tuple[int, int], to_reference: np.ndarray,
               reference_dims: tuple[int, int], mask_threshold: float) -> sp.csc_matrix:
    """Binary masks ``(H_ref * W_ref, K)`` bool (C pixel order) of footprints moved into the
    reference frame: each footprint (a column of ``columns``, Fortran order over ``dims``) is
    warped with ``to_reference`` (bilinear, on its bounding box only) and thresholded at
    ``mask_threshold`` times its warped peak."""
    height, width = dims
    ref_h, ref_w = reference_dims
    columns = sp.csc_matrix(columns, copy=True)
    columns.sum_duplicates()
    warp = cv2.invertAffineTransform(np.asarray(to_reference, dtype=np.float64))
    lin, offset = warp[:, :2], warp[:, 2]
    rows, cols = [], []
    for k in range(columns.shape[1]):
        start, stop = columns.indptr[k], columns.indptr[k + 1]
        pix, values = columns.indices[start:stop], columns.data[start:stop]
        keep = values > 0
        if not keep.any():
            continue
        ys, xs = pix[keep] % height, pix[keep] // height
        y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        patch = np.zeros((y1 - y0, x1 - x0), dtype=np.float32)
        patch[ys - y0, xs - x0] = values[keep]
        corners = np.array([[x0, y0], [x1, y0], [x0, y1], [x1, y1]], dtype=np.float64) - 0.5
        mapped = corners @ to_reference[:, :2].T + to_reference[:, 2]
        ox, oy = (max(0, int(np.floor(mapped[:, i].min())) - 1) for i in range(2))
        ex = min(ref_w, int(np.ceil(mapped[:, 0].max())) + 2)
        ey = min(ref_h, int(np.ceil(mapped[:, 1].max())) + 2)
        if ex <= ox or ey <= oy:
            continue
        # output patch pixel q (reference pixel q + o_ref) samples moving patch pixel
        # warp(q + o_ref) - o_mov
        patch_warp = np.hstack([lin, (lin @ [ox, oy] + offset - [x0, y0])[:, None]])
        out = cv2.warpAffine(patch, patch_warp, (ex - ox, ey - oy),
                             flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderValue=0.0)
        peak = float(out.max())
        if peak <= 0:
            continue
        qy, qx = np.nonzero(out >= mask_threshold * peak)
        rows.append((qy + oy) * ref_w + (qx + ox))
        cols.append(np.full(qy.size, k, dtype=np.int64))
    n = columns.shape[1]
    if not rows:
        return sp.csc_matrix((ref_h * ref_w, n), dtype=bool)
    r, c = np.concatenate(rows), np.concatenate(cols)
    return sp.csc_matrix((np.ones(r.size, dtype=bool), (r, c)), shape=(ref_h * ref_w, n))


def jaccard_matrix(masks_a: sp.csc_matrix, masks_b: sp.csc_matrix) -> np.ndarray:
    """``(K_a, K_b)`` Jaccard index (intersection / union of pixels) of every pair of masks."""
    a, b = masks_a.astype(np.float64), masks_b.astype(np.float64)
    inter = np.asarray((a.T @ b).todense())
    size_a = np.asarray(a.sum(axis=0)).ravel()
    size_b = np.asarray(b.sum(axis=0)).ravel()
    union = size_a[:, None] + size_b[None, :] - inter
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / union, 0.0)


def match_masks(jaccard: np.ndarray, min_jaccard: float) -> tuple[np.ndarray, np.ndarray]:
    """One-to-one matching maximising the summed Jaccard index over pairs ``>= min_jaccard``.

    Returns ``(rows, cols)`` index arrays of the matched pairs."""
    if jaccard.size == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    # pairs below the threshold must not compete with valid ones in the assignment
    weights = np.where(jaccard >= min_jaccard, jaccard, 0.0)
    rows, cols = linear_sum_assignment(weights, maximize=True)
    good = weights[rows, cols] > 0
    return rows[good].astype(np.int64), cols[good].astype(np.int64)


def footprint_centroids(columns: sp.csc_matrix, dims: tuple[int, int]) -> np.ndarray:
    """``(K, 2)`` float64 weighted ``(x, y)`` centroids of footprint columns (Fortran order over
    ``dims``); NaN for an empty footprint."""
    height = dims[0]
    weights = columns.astype(np.float64)
    pixel = np.arange(columns.shape[0], dtype=np.float64)
    ys = sp.diags_array(pixel % height) @ weights
    xs = sp.diags_array(pixel // height) @ weights
    total = np.asarray(weights.sum(axis=0)).ravel()
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.column_stack([np.asarray(xs.sum(axis=0)).ravel() / total,
                                np.asarray(ys.sum(axis=0)).ravel() / total])


def _affine_from_matches(columns: sp.csc_matrix, rigid: np.ndarray, ref_masks: sp.csc_matrix,
                         ref_centroids: np.ndarray, dims: tuple[int, int], min_jaccard: float,
                         mask_threshold: float) -> np.ndarray | None:
    """Affine ``(2, 3)`` moving -> reference fitted (RANSAC) to the centroids of the footprints
    that ``rigid`` matches; None with fewer than ``MIN_AFFINE_PAIRS`` inliers."""
    masks = warp_masks(columns, dims, rigid, dims, mask_threshold)
    rows, cols = match_masks(jaccard_matrix(masks, ref_masks), min_jaccard)
    if rows.size < MIN_AFFINE_PAIRS:
        return None
    src = footprint_centroids(columns, dims)[rows]
    dst = ref_centroids[cols]
    matrix, inliers = cv2.estimateAffine2D(src, dst, method=cv2.RANSAC,
                                           ransacReprojThreshold=AFFINE_RANSAC_PX)
    if matrix is None or int(np.count_nonzero(inliers)) < MIN_AFFINE_PAIRS:
        return None
    return matrix.astype(np.float64)


def register_sessions(footprints_per_session: Sequence[Any], mean_images: Sequence[np.ndarray],
                      model: str = "euclidean", min_jaccard: float = 0.3,
                      mask_threshold: float = 0.2, reference: int = 0,
                      highpass_sigma: float = 10.0) -> SessionRegistration:
    """Give the footprints of several sessions of one animal a shared identity (module docstring).

    ``footprints_per_session[s]``: a ``CNMFData`` (its accepted components, in
    ``component_indices()`` order, which is the ROI list's order), an ``(H*W, K)`` sparse ``A``
    (Fortran pixel order), or a ``(K, H, W)`` array of ``(y, x)`` images. ``mean_images[s]``:
    ``(H, W)`` mean image of session ``s``'s ``[t, y, x]`` movie; all of one shape.
    ``model``: ``"translation"``, ``"euclidean"`` or ``"affine"``. ``min_jaccard``: smallest
    Jaccard index of a match (0-1). ``mask_threshold``: fraction of a footprint's peak that
    binarises it. ``reference``: the session whose frame the others are registered to; sessions
    are matched in the order reference, then the others in order. ``highpass_sigma``: px, about
    twice a soma's diameter.
    """
    n = len(footprints_per_session)
    if n < 2 or len(mean_images) != n:
        raise ParameterError(f"register_sessions needs >= 2 sessions with one mean image each, "
                             f"got {n} footprint sets and {len(mean_images)} mean images")
    if model not in MODELS:
        raise ParameterError(f"model must be one of {', '.join(MODELS)}, got {model!r}")
    if not 0.0 < min_jaccard <= 1.0:
        raise ParameterError(f"min_jaccard must be in (0, 1], got {min_jaccard!r}")
    if not 0.0 < mask_threshold < 1.0:
        raise ParameterError(f"mask_threshold must be in (0, 1), got {mask_threshold!r}")
    if not 0 <= reference < n:
        raise ParameterError(f"reference must be a session index in [0, {n}), got {reference!r}")
    ref_image = np.asarray(mean_images[reference])
    dims = tuple(ref_image.shape)
    if len(dims) != 2:
        raise ParameterError(f"mean images must be 2-D (H, W), got {ref_image.shape}")
    columns = [_footprint_columns(footprints_per_session[s], dims, s) for s in range(n)]
    identity = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    ref_masks = warp_masks(columns[reference], dims, identity, dims, mask_threshold)
    ref_centroids = footprint_centroids(columns[reference], dims)
    transforms, correlations, models, masks = [], [], [], []
    for s in range(n):
        if s == reference:
            transforms.append(identity)
            correlations.append(1.0)
            models.append("reference")
            masks.append(ref_masks)
            continue
        rigid_model = "translation" if model == "translation" else "euclidean"
        matrix, correlation = estimate_transform(ref_image, mean_images[s], rigid_model,
                                                 highpass_sigma)
        used = rigid_model
        if model == "affine":
            affine = _affine_from_matches(columns[s], matrix, ref_masks, ref_centroids, dims,
                                          min_jaccard, mask_threshold)
            if affine is not None:
                matrix, used = affine, "affine"
        transforms.append(matrix)
        correlations.append(correlation)
        models.append(used)
        masks.append(warp_masks(columns[s], dims, matrix, dims, mask_threshold))
    identities, jaccards, n_ids = _match_in_turn(masks, reference, min_jaccard)
    return SessionRegistration(identities=identities, transforms=transforms, models=models,
                               image_correlation=correlations, jaccard=jaccards, n_identities=n_ids)


def _match_in_turn(masks: list[sp.csc_matrix], reference: int,
                   min_jaccard: float) -> tuple[list[np.ndarray], list[np.ndarray], int]:
    """Identities and matched Jaccard indices of every session's masks (reference first, then the
    others in order, each matched against the union of the masks seen before)."""
    n = len(masks)
    identities: list[np.ndarray] = [np.empty(0, dtype=np.int64)] * n
    jaccards: list[np.ndarray] = [np.empty(0)] * n
    union = masks[reference]
    identities[reference] = np.arange(union.shape[1], dtype=np.int64)
    jaccards[reference] = np.zeros(union.shape[1])
    union_ids = identities[reference].copy()
    n_ids = union.shape[1]
    for s in [s for s in range(n) if s != reference]:
        score = jaccard_matrix(masks[s], union)
        rows, cols = match_masks(score, min_jaccard)
        k = masks[s].shape[1]
        ids = np.full(k, -1, dtype=np.int64)
        ids[rows] = union_ids[cols]
        fresh = np.flatnonzero(ids < 0)
        ids[fresh] = np.arange(n_ids, n_ids + fresh.size)
        n_ids += fresh.size
        matched = np.zeros(k)
        matched[rows] = score[rows, cols]
        identities[s], jaccards[s] = ids, matched
        # the newest footprint of a neuron represents it from now on (slow drift of the FOV)
        n_union = union.shape[1]
        pick = np.arange(n_union + fresh.size)
        pick[cols] = n_union + np.arange(rows.size)
        pick[n_union:] = n_union + rows.size + np.arange(fresh.size)
        union = sp.hstack([union, masks[s][:, rows], masks[s][:, fresh]], format="csc")[:, pick]
        union_ids = np.concatenate([union_ids, ids[fresh]])
    return identities, jaccards, n_ids


def pairwise_precision_recall(predicted: Sequence[np.ndarray],
                              truth: Sequence[np.ndarray]) -> tuple[float, float]:
    """Precision and recall of cross-session links.

    A link is a pair of footprints of two different sessions with the same identity.
    ``predicted[s]``, ``truth[s]``: ``(K_s,)`` identities of session ``s``'s footprints; in
    ``truth`` a negative value marks a footprint of no real neuron (it has no true link).
    Precision = correct links / predicted links, recall = correct links / true links (1.0 when
    there are none).
    """
    if len(predicted) != len(truth):
        raise ParameterError("predicted and truth must list the same sessions")
    pred_links, true_links = set(), set()
    for s in range(len(predicted)):
        for t in range(s + 1, len(predicted)):
            for links, ids in ((pred_links, predicted), (true_links, truth)):
                a, b = np.asarray(ids[s]), np.asarray(ids[t])
                i, j = np.nonzero((a[:, None] == b[None, :]) & (a[:, None] >= 0))
                links.update((s, int(p), t, int(q)) for p, q in zip(i, j))
    correct = len(pred_links & true_links)
    precision = correct / len(pred_links) if pred_links else 1.0
    recall = correct / len(true_links) if true_links else 1.0
    return precision, recall


# ---- project samples --------------------------------------------------------------------------

def _movie_mean_image(path: Any) -> np.ndarray:
    """``(H, W)`` float64 mean over time of a ``[t, y, x]`` movie file, read in chunks."""
    movie = open_movie_tyx(path)
    total = np.zeros(movie.shape[1:], dtype=np.float64)
    for t0 in range(0, movie.shape[0], _MEAN_CHUNK_FRAMES):
        total += np.asarray(movie[t0:t0 + _MEAN_CHUNK_FRAMES], dtype=np.float64).sum(axis=0)
    return total / max(movie.shape[0], 1)


def _sample_components(project: Project, rows: pd.DataFrame,
                       sample_id: str) -> tuple[sp.csc_matrix, np.ndarray]:
    """The sample's footprints (one column per DataFrame row, in row order) and mean image."""
    info = read_sample_info(project.layout.absolute(rows["ImgInfoPath"].iloc[0]))
    if not info.get("cnmf_file"):
        raise ProjectError(f"Sample {sample_id!r} has manual ROIs; multi-session registration "
                           "matches CNMF(E) components only.")
    cnmf_data = CNMFData.from_npz(project.layout.absolute(info["cnmf_file"]))
    try:
        indices = [int(json.loads(state)["cnmf_idx"]) for state in rows["ROI_State"]]
    except (ValueError, KeyError, TypeError) as exc:
        raise ProjectError(f"Sample {sample_id!r}: an ROI_State is not a CNMF ROI state "
                           f"({exc}); the DataFrame is damaged.") from exc
    if indices and max(indices) >= cnmf_data.n_components:
        raise ProjectError(f"Sample {sample_id!r}: an ROI refers to component {max(indices)} but "
                           f"the CNMF file has {cnmf_data.n_components}; the sample is damaged.")
    mean_image = _movie_mean_image(project.layout.absolute(rows["ImgPath"].iloc[0]))
    if mean_image.shape != cnmf_data.dims:
        raise ProjectError(f"Sample {sample_id!r}: the movie is {mean_image.shape} (H, W) but its "
                           f"CNMF components are {cnmf_data.dims}; the sample is damaged.")
    return cnmf_data.A[:, indices].tocsc(), mean_image


def ensure_identity_column(project: Project, column: str = XSESSION_COLUMN) -> None:
    """Add ``column`` to the project's ROI Type columns unless it is one already (filled with
    "untagged"; the project makes a DataFrame backup first). ``ColumnTypeError`` when a stimulus
    or custom column has that name."""
    config = project.config
    if column in config.roi_type_columns:
        return
    if column in config.user_columns:
        raise ColumnTypeError(
            f"The project already has a {config.column_kind(column)} column {column!r}; the "
            "cross-session identity is an ROI Type column (one value per ROI). Pass another "
            "column name."
        )
    config.roi_type_columns.append(column)
    project.apply_config(config.validated())


def register_project_samples(project: Project, sample_ids: Sequence[str],
                             column: str = XSESSION_COLUMN, label_prefix: str | None = None,
                             **options: Any) -> SessionRegistration:
    """Register CNMF(E) samples of one animal and write each ROI's identity into ``column``.

    ``sample_ids``: >= 2 SampleIDs, in the order they are matched; the first is the reference
    (unless ``options`` name another ``reference`` index). Each sample's footprints are its
    ROIs' components; its mean image is its movie's mean over time. ``options`` go to
    :func:`register_sessions` (``model``, ``min_jaccard``, ``mask_threshold``,
    ``highpass_sigma``). ``column`` (default ``ROI_ID_XSESSION``) is an ROI Type column, added to
    the project config when missing; each ROI of these samples gets the text
    ``f"{label_prefix}{identity:04d}"``, ``label_prefix`` defaulting to ``"<AnimalID>-xs"`` (the
    samples must then share one AnimalID). The DataFrame is written with
    ``Project.set_dataframe`` (a backup is made first); other samples' values are kept.
    """
    sample_ids = list(sample_ids)
    if len(sample_ids) < 2 or len(set(sample_ids)) != len(sample_ids):
        raise ParameterError(f"register_project_samples needs >= 2 distinct SampleIDs, got "
                             f"{sample_ids!r}")
    df = project.dataframe
    per_sample = []
    for sample_id in sample_ids:
        rows = df[df["SampleID"] == sample_id]
        if rows.empty:
            raise ProjectError(f"SampleID {sample_id!r} is not in the project.")
        per_sample.append(rows)
    if label_prefix is None:
        animals = sorted({str(a) for rows in per_sample for a in rows["AnimalID"]})
        if len(animals) != 1:
            raise ParameterError(
                f"The samples belong to several AnimalIDs ({', '.join(animals)}); pass "
                "label_prefix to name their shared identities."
            )
        label_prefix = f"{animals[0]}-xs"
    loaded = [_sample_components(project, rows, sid) for rows, sid in zip(per_sample, sample_ids)]
    result = register_sessions([a for a, _ in loaded], [m for _, m in loaded], **options)
    labels = {
        uuid: f"{label_prefix}{identity:04d}"
        for rows, ids in zip(per_sample, result.identities)
        for uuid, identity in zip(rows["uuid_curve"], ids)
    }
    ensure_identity_column(project, column)
    df = project.dataframe
    new_values = df["uuid_curve"].map(labels)
    df[column] = new_values.where(new_values.notna(), df[column]).astype(object)
    project.set_dataframe(df)
    return result
