"""Multi-session registration on synthetic sessions with known identities.

Three sessions image one synthetic tissue (mesmerize.demo.synthetic: somata at rest, neuropil,
shot noise; 2-photon and 1-photon) through a 128 x 128 px field of view that is rotated (up to
8.7 degrees between sessions) and shifted (up to 17 px); each session's mean image averages
different frames. The "detected" footprints of a session are the true footprints seen through
its field of view, with 15% of the neurons missing at random, multiplicative noise of 20% per
pixel and three false-positive blobs of no neuron. Precision and recall count cross-session
links (pairs of footprints of two sessions given one identity) against the truth.
"""
from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from mesmerize.analysis import Transmission, get_operation
from mesmerize.core.errors import ColumnTypeError, ParameterError, ProjectError
from mesmerize.core.imaging.imgdata import ImgData
from mesmerize.core.interop.multisession import (
    XSESSION_COLUMN, estimate_transform, jaccard_matrix, match_masks, pairwise_precision_recall,
    register_project_samples, register_sessions, warp_masks,
)
from mesmerize.core.project.config import CustomColumn, ProjectConfig
from mesmerize.core.project.project import Project
from mesmerize.core.roi.cnmf_data import CNMFData
from mesmerize.core.work_env import ViewerWorkEnv
from mesmerize.demo.synthetic import SyntheticParams, generate

FIELD, FOV, FRAMES_PER_SESSION = 224, 128, 30
N_NEURONS = 110
# (angle in degrees, (dx, dy) shift in px, zoom) of each session's field of view in the tissue
ROTATED = ((0.7, (0, 0), 1.0), (6.0, (12, -9), 1.0), (-8.0, (-10, 14), 1.0))
SHIFTED = ((0.0, (0, 0), 1.0), (0.0, (9, -6), 1.0), (0.0, (-7, 11), 1.0))
ZOOMED = ((0.0, (0, 0), 1.0), (3.0, (6, -4), 1.05), (-2.0, (-5, 6), 0.96))
# acceptance thresholds of the registration (measured: 0.99-1.0)
MIN_PRECISION = 0.95
MIN_RECALL = 0.95


@dataclass
class Session:
    footprints: np.ndarray  # (K, FOV, FOV) float32 (y, x) images
    mean_image: np.ndarray  # (FOV, FOV) float32
    truth: np.ndarray  # (K,) true neuron index, negative for false positives
    movie: np.ndarray  # (FRAMES_PER_SESSION, FOV, FOV) float32 [t, y, x]
    view: np.ndarray  # (2, 3) tissue -> session (x, y)


def _view(angle: float, shift: tuple[int, int], zoom: float) -> np.ndarray:
    centre = (FIELD - 1) / 2.0
    matrix = cv2.getRotationMatrix2D((centre, centre), angle, zoom)
    matrix[:, 2] += np.asarray(shift, dtype=np.float64) - (FIELD - FOV) / 2.0
    return matrix


def make_sessions(mode: str, views: tuple, seed: int = 3, drop: float = 0.15,
                  n_false: int = 3) -> list[Session]:
    """Sessions of one synthetic tissue seen through ``views`` (see the module docstring)."""
    truth = generate(SyntheticParams(
        shape=(FRAMES_PER_SESSION * len(views), FIELD, FIELD), n_neurons=N_NEURONS, neuron_radius=5.0,
        mode=mode, seed=seed, dtype="float32"))
    rng = np.random.default_rng(seed)
    n = truth.footprints.shape[0]
    yy, xx = np.mgrid[:FOV, :FOV]
    sessions = []
    for s, (angle, shift, zoom) in enumerate(views):
        view = _view(angle, shift, zoom)
        frames = truth.movie[s * FRAMES_PER_SESSION:(s + 1) * FRAMES_PER_SESSION]
        movie = np.stack([cv2.warpAffine(f, view, (FOV, FOV), flags=cv2.INTER_LINEAR)
                          for f in frames])
        seen = np.stack([cv2.warpAffine(f, view, (FOV, FOV), flags=cv2.INTER_LINEAR)
                         for f in truth.footprints])
        inside = seen.sum(axis=(1, 2)) / (zoom ** 2 * truth.footprints.sum(axis=(1, 2)))
        keep = np.flatnonzero((inside > 0.6) & (rng.random(n) > drop))
        noisy = seen[keep] * rng.uniform(0.8, 1.2, (keep.size, 1, 1)) \
            * (1.0 + 0.2 * rng.standard_normal((keep.size, FOV, FOV)))
        detected = np.where(seen[keep] > 0.05, np.clip(noisy, 0.0, None), 0.0)
        blobs = []
        for _ in range(n_false):
            cy, cx = rng.uniform(10, FOV - 10, 2)
            blobs.append(np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * 3.0 ** 2)))
        footprints = np.concatenate([detected, np.asarray(blobs)]).astype(np.float32)
        ids = np.concatenate([keep, -1 - np.arange(n_false) - 100 * s])
        order = rng.permutation(ids.size)
        sessions.append(Session(footprints[order], movie.mean(axis=0), ids[order], movie, view))
    return sessions


@pytest.fixture(scope="module")
def sessions_2p() -> list[Session]:
    return make_sessions("2p", ROTATED)


@pytest.fixture(scope="module")
def sessions_1p() -> list[Session]:
    return make_sessions("1p", ROTATED, seed=2)


def _register(sessions: list[Session], **kwargs):
    return register_sessions([s.footprints for s in sessions], [s.mean_image for s in sessions],
                             **kwargs)


def _scores(sessions: list[Session], result) -> tuple[float, float]:
    return pairwise_precision_recall(result.identities, [s.truth for s in sessions])


def _expected_to_reference(sessions: list[Session], s: int) -> np.ndarray:
    """The true (2, 3) map from session s's (x, y) to the reference session's."""
    def full(m: np.ndarray) -> np.ndarray:
        return np.vstack([m, [0.0, 0.0, 1.0]])
    return (full(sessions[0].view) @ np.linalg.inv(full(sessions[s].view)))[:2]


def _corner_error(found: np.ndarray, expected: np.ndarray) -> float:
    corners = np.array([[0, 0], [FOV, 0], [0, FOV], [FOV, FOV]], dtype=np.float64)
    return float(np.abs(corners @ found[:, :2].T + found[:, 2]
                        - corners @ expected[:, :2].T - expected[:, 2]).max())


@pytest.mark.parametrize("mode", ["2p", "1p"])
def test_three_rotated_sessions_precision_recall(mode, sessions_2p, sessions_1p):
    sessions = sessions_2p if mode == "2p" else sessions_1p
    result = _register(sessions, model="euclidean")
    precision, recall = _scores(sessions, result)
    print(f"{mode} euclidean: precision {precision:.3f} recall {recall:.3f}")
    assert precision >= MIN_PRECISION and recall >= MIN_RECALL
    # every transform is within half a pixel of the truth over the whole field of view
    for s in (1, 2):
        assert _corner_error(result.transforms[s], _expected_to_reference(sessions, s)) < 0.5
        assert result.image_correlation[s] > 0.8
    assert result.models == ["reference", "euclidean", "euclidean"]


def test_identities_are_unique_within_each_session(sessions_2p):
    result = _register(sessions_2p)
    for ids, session in zip(result.identities, sessions_2p):
        assert ids.shape == (session.footprints.shape[0],)
        assert np.unique(ids).size == ids.size
    matrix = result.assignment_matrix()
    assert matrix.shape == (result.n_identities, 3)
    for s, ids in enumerate(result.identities):
        np.testing.assert_array_equal(matrix[ids, s], np.arange(ids.size))
        assert (matrix[:, s] >= 0).sum() == ids.size
    # the reference session's footprints are identities 0..K0-1 in order
    np.testing.assert_array_equal(result.identities[0], np.arange(result.identities[0].size))


def test_neuron_missing_in_middle_session_is_still_linked(sessions_2p):
    result = _register(sessions_2p)
    t0, t1, t2 = (s.truth for s in sessions_2p)
    absent_in_1 = [n for n in np.intersect1d(t0[t0 >= 0], t2) if n not in t1]
    assert absent_in_1, "the synthetic sessions should drop some neurons in session 1"
    linked = sum(result.identities[0][t0 == n][0] == result.identities[2][t2 == n][0]
                 for n in absent_in_1)
    assert linked == len(absent_in_1)


def test_translation_model_on_shifted_sessions():
    sessions = make_sessions("2p", SHIFTED, seed=5)
    result = _register(sessions, model="translation")
    precision, recall = _scores(sessions, result)
    print(f"2p translation: precision {precision:.3f} recall {recall:.3f}")
    assert precision >= MIN_PRECISION and recall >= MIN_RECALL
    for s in (1, 2):
        assert _corner_error(result.transforms[s], _expected_to_reference(sessions, s)) < 0.5
        np.testing.assert_allclose(result.transforms[s][:, :2], np.eye(2))


def test_affine_model_recovers_zoom():
    sessions = make_sessions("2p", ZOOMED, seed=7)
    result = _register(sessions, model="affine")
    precision, recall = _scores(sessions, result)
    print(f"2p affine (zoom 1.05 / 0.96): precision {precision:.3f} recall {recall:.3f}")
    assert result.models == ["reference", "affine", "affine"]
    assert precision >= MIN_PRECISION and recall >= MIN_RECALL
    for s in (1, 2):
        expected = _expected_to_reference(sessions, s)
        assert _corner_error(result.transforms[s], expected) < 1.0
        scale = np.sqrt(abs(np.linalg.det(result.transforms[s][:, :2])))
        assert scale == pytest.approx(np.sqrt(abs(np.linalg.det(expected[:, :2]))), abs=0.01)


def test_footprint_formats_give_the_same_identities(sessions_2p):
    dense = _register(sessions_2p)

    def columns(stack: np.ndarray) -> sp.csc_matrix:
        return sp.csc_matrix(stack.transpose(0, 2, 1).reshape(stack.shape[0], -1).T)

    A = [columns(s.footprints) for s in sessions_2p]
    sparse = register_sessions(A, [s.mean_image for s in sessions_2p])
    # CNMFData: accepted components only, in component_indices order
    cnmf = []
    for a in A:
        k = a.shape[1]
        accepted = np.arange(0, k, 2)
        cnmf.append(CNMFData(A=a, b=None, C=np.zeros((k, 5)), f=None, YrA=np.zeros((k, 5)),
                             dims=(FOV, FOV), idx_components=accepted))
    subset = register_sessions(cnmf, [s.mean_image for s in sessions_2p])
    for s in range(3):
        np.testing.assert_array_equal(sparse.identities[s], dense.identities[s])
        assert subset.identities[s].size == cnmf[s].component_indices().size
    precision, recall = pairwise_precision_recall(
        subset.identities, [s.truth[np.arange(0, s.truth.size, 2)] for s in sessions_2p])
    assert precision >= MIN_PRECISION and recall >= MIN_RECALL


def test_jaccard_matrix_matches_brute_force():
    rng = np.random.default_rng(0)
    a = rng.random((60, 4)) > 0.6
    b = rng.random((60, 5)) > 0.6
    found = jaccard_matrix(sp.csc_matrix(a), sp.csc_matrix(b))
    for i in range(4):
        for j in range(5):
            inter = np.logical_and(a[:, i], b[:, j]).sum()
            union = np.logical_or(a[:, i], b[:, j]).sum()
            assert found[i, j] == pytest.approx(inter / union)


def test_match_masks_is_optimal_and_respects_threshold():
    jaccard = np.array([[0.9, 0.8, 0.0],
                        [0.85, 0.1, 0.0],
                        [0.0, 0.0, 0.25]])
    rows, cols = match_masks(jaccard, min_jaccard=0.3)
    # greedy would pair (0, 0) and leave row 1 alone; the optimum pairs (0, 1) and (1, 0);
    # (2, 2) is below the threshold
    assert sorted(zip(rows.tolist(), cols.tolist())) == [(0, 1), (1, 0)]
    rows, cols = match_masks(np.zeros((0, 3)), 0.3)
    assert rows.size == cols.size == 0


def test_warp_masks_identity_and_shift():
    dims = (20, 30)
    image = np.zeros(dims, dtype=np.float32)
    image[5:9, 10:15] = 1.0
    image[7, 12] = 3.0
    column = sp.csc_matrix(image.ravel(order="F")[:, None])
    identity = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    mask = warp_masks(column, dims, identity, dims, 0.2).toarray().reshape(dims)
    np.testing.assert_array_equal(mask, image >= 0.6)
    shift = np.array([[1.0, 0.0, 4.0], [0.0, 1.0, -2.0]])  # x + 4, y - 2
    moved = warp_masks(column, dims, shift, dims, 0.2).toarray().reshape(dims)
    np.testing.assert_array_equal(moved, np.roll(np.roll(image >= 0.6, 4, axis=1), -2, axis=0))
    gone = np.array([[1.0, 0.0, 100.0], [0.0, 1.0, 0.0]])
    assert warp_masks(column, dims, gone, dims, 0.2).nnz == 0


def test_estimate_transform_of_a_known_rotation(sessions_2p):
    found, correlation = estimate_transform(sessions_2p[0].mean_image, sessions_2p[2].mean_image)
    assert _corner_error(found, _expected_to_reference(sessions_2p, 2)) < 0.5
    assert correlation > 0.8


def test_parameter_errors(sessions_2p):
    fps = [s.footprints for s in sessions_2p]
    means = [s.mean_image for s in sessions_2p]
    with pytest.raises(ParameterError, match=">= 2 sessions"):
        register_sessions(fps[:1], means[:1])
    with pytest.raises(ParameterError, match="model"):
        register_sessions(fps, means, model="homography")
    with pytest.raises(ParameterError, match="min_jaccard"):
        register_sessions(fps, means, min_jaccard=0.0)
    with pytest.raises(ParameterError, match="reference"):
        register_sessions(fps, means, reference=3)
    with pytest.raises(ParameterError, match=r"\(K, H, W\)"):
        register_sessions([fps[0], fps[1][:, :64]], means[:2])
    with pytest.raises(ParameterError, match="one shape"):
        estimate_transform(means[0], means[1][:64])
    with pytest.raises(ParameterError, match="finite"):
        estimate_transform(means[0], np.where(means[1] > means[1].max() / 2, np.nan, means[1]))
    with pytest.raises(ParameterError, match="affine model is fitted"):
        estimate_transform(means[0], means[1], model="affine")


# ---- project samples ---------------------------------------------------------------------------

def _work_env(session: Session) -> ViewerWorkEnv:
    k = session.footprints.shape[0]
    A = sp.csc_matrix(session.footprints.transpose(0, 2, 1).reshape(k, -1).T)
    rng = np.random.default_rng(k)
    C = rng.random((k, FRAMES_PER_SESSION)).astype(np.float32)
    data = CNMFData(A=A, b=None, C=C, f=None, YrA=np.zeros_like(C), dims=(FOV, FOV))
    meta = {"source": "test", "fps": 10.0, "date": "20240101_120000"}
    work_env = ViewerWorkEnv(ImgData(np.ascontiguousarray(session.movie.transpose(2, 1, 0)), meta))
    work_env.roi_manager.set_cnmf_data(data)
    return work_env


@pytest.fixture(scope="module")
def project_sessions(tmp_path_factory, sessions_2p):
    path = tmp_path_factory.mktemp("xsession") / "proj"
    config = ProjectConfig(roi_type_columns=["cell_type"],
                           custom_columns={"genotype": CustomColumn("str")})
    project = Project.create(path, config)
    for s, session in enumerate(sessions_2p):
        project.add_sample(_work_env(session), "mouse1", f"day{s}")
    return project


def test_register_project_samples_writes_identity_column(project_sessions, sessions_2p):
    project = project_sessions
    ids = ["mouse1-_-day0", "mouse1-_-day1", "mouse1-_-day2"]
    n_backups = len(project.backups())
    result = register_project_samples(project, ids)
    assert XSESSION_COLUMN in project.config.roi_type_columns
    assert len(project.backups()) >= n_backups + 2  # config change, then the values
    df = project.dataframe
    labels = []
    for sample_id, identities in zip(ids, result.identities):
        rows = df[df["SampleID"] == sample_id]
        assert rows[XSESSION_COLUMN].tolist() == [f"mouse1-xs{i:04d}" for i in identities]
        labels.append(np.array([int(v.rsplit("xs", 1)[1]) for v in rows[XSESSION_COLUMN]]))
    precision, recall = pairwise_precision_recall(labels, [s.truth for s in sessions_2p])
    assert precision >= MIN_PRECISION and recall >= MIN_RECALL

    # the flowchart groups by the identity like any categorical column: one row per neuron
    t = Transmission.from_proj_df(df, project)
    grouped = get_operation("ArrayStats")(t, data_column="_RAW_CURVE", function="mean",
                                          group_by=XSESSION_COLUMN, output_col="xs_mean")
    assert len(grouped.df) == result.n_identities
    one = grouped.df[XSESSION_COLUMN].iloc[0]
    members = df[df[XSESSION_COLUMN] == one]
    expected = np.mean(project.load_curves(members), axis=0)
    np.testing.assert_allclose(grouped.df["_XS_MEAN"].iloc[0], expected, rtol=1e-6)

    # an ROI Type column is per ROI: re-saving a sample from the Viewer keeps every identity
    work_env = project.load_sample(ids[1])
    before = df[df["SampleID"] == ids[1]][XSESSION_COLUMN].tolist()
    project.add_sample(work_env, "mouse1", "day1", overwrite=True)
    after = project.dataframe
    assert after[after["SampleID"] == ids[1]][XSESSION_COLUMN].tolist() == before


def test_register_project_samples_errors(project_sessions):
    project = project_sessions
    before = project.dataframe
    with pytest.raises(ParameterError, match="distinct"):
        register_project_samples(project, ["mouse1-_-day0"])
    with pytest.raises(ProjectError, match="not in the project"):
        register_project_samples(project, ["mouse1-_-day0", "nope-_-x"])
    with pytest.raises(ColumnTypeError, match="ROI Type column"):
        register_project_samples(project, ["mouse1-_-day0", "mouse1-_-day1"], column="genotype")
    pd.testing.assert_frame_equal(project.dataframe, before)
