"""Cross-correlation (mesmerize.plotting.cross_correlation): the FFT all-pairs computation
against tslearn's normalized_cc and brute-force np.correlate, lags of known delays in a real
project, pre-normalizations against the Normalize/ZScore references, thresholds, bad input.

``lagged_project`` (a project with two samples whose cells fire the same train delayed by
known lags) is reused by the SpaceMap and widget tests.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from tslearn.metrics.cycc import normalized_cc

from mesmerize.analysis.registry import get_operation
from mesmerize.analysis.transmission import Transmission
from mesmerize.core import ImgData, ViewerWorkEnv
from mesmerize.core.errors import ParameterError
from mesmerize.core.project import Project, ProjectConfig
from mesmerize.core.roi.manager import ROIManager
from mesmerize.plotting.cross_correlation import (
    ccf_maxima, compute_cross_correlation, lag_axis, normalized_ccf, pre_normalize,
    sample_cross_correlation, sample_ids,
)

FPS = 10.0
SHAPE_XYT = (48, 40, 240)
#: Cell centres (x, y), their delays (frames) and cell types in sample 1; sample 2 uses the
#: first four cells with other delays.
CENTRES = [(8, 8), (24, 8), (40, 8), (8, 28), (24, 28), (40, 28)]
DELAYS_1 = [0, 4, 9, 2, 15, 7]
DELAYS_2 = [3, 0, 11, 6]
TYPES = ["pyramidal", "interneuron", "pyramidal", "glia", "interneuron", "pyramidal"]


@dataclass
class LaggedProject:
    project: Project
    transmission: Transmission
    sample_ids: list[str]
    delays: dict[str, list[int]]


def spike_train(n_frames: int, rng: np.random.Generator) -> np.ndarray:
    """Calcium-like activity: sparse spikes convolved with a 1 s exponential decay."""
    spikes = (rng.random(n_frames) < 0.04) * rng.uniform(0.5, 1.5, n_frames)
    kernel = np.exp(-np.arange(30) / FPS)
    return np.convolve(spikes, kernel)[:n_frames]


def lagged_movie(delays: list[int], seed: int) -> np.ndarray:
    """``[x, y, t]`` uint16 movie: a textured background, cells at ``CENTRES`` visible at rest
    (baseline), each firing one shared spike train delayed by its delay, shot noise."""
    rng = np.random.default_rng(seed)
    nx, ny, nt = SHAPE_XYT
    x, y = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    background = 100 + 25 * np.sin(x / 5.0) * np.cos(y / 4.0) + 10 * rng.random((nx, ny))
    movie = np.repeat(background[:, :, None], nt, axis=2)
    train = spike_train(nt + 40, rng)
    for (cx, cy), delay in zip(CENTRES, delays):
        footprint = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * 2.5 ** 2))
        activity = 150 + 900 * train[40 - delay: 40 - delay + nt]
        movie += footprint[:, :, None] * activity[None, None, :]
    return rng.poisson(movie).astype(np.uint16)


def square(cx: float, cy: float, half: float = 3.0) -> np.ndarray:
    return np.array([[cx - half, cy - half], [cx + half, cy - half], [cx + half, cy + half],
                     [cx - half, cy + half]])


def lagged_project(directory: Path) -> LaggedProject:
    """A project with two samples of ``lagged_movie`` and square ROIs on the cells (tagged in
    ``cell_type``), and the Transmission the LoadProjDF node makes from its DataFrame."""
    config = ProjectConfig(roi_type_columns=["cell_type"], stimulus_type_columns=[],
                           custom_columns={})
    project = Project.create(Path(directory) / "proj", config)
    ids, delays = [], {}
    for animal, sample_delays, seed in (("a1", DELAYS_1, 1), ("a2", DELAYS_2, 2)):
        seq = lagged_movie(sample_delays, seed)
        manager = ROIManager(roi_type_columns=["cell_type"])
        for (cx, cy), cell_type in zip(CENTRES[:len(sample_delays)], TYPES):
            manager.add_polygon_roi(square(cx, cy)).set_tag("cell_type", cell_type)
        manager.update_curves(seq)
        meta = {"source": "test_rig", "fps": FPS, "date": "20240131_094500"}
        work_env = ViewerWorkEnv(imgdata=ImgData(seq, meta), roi_manager=manager)
        sample_id = project.add_sample(work_env, animal, "t1")
        ids.append(sample_id)
        delays[sample_id] = sample_delays
    df = project.dataframe
    t = Transmission.from_proj_df(df, project, sub_dataframe_name="root")
    return LaggedProject(project, t, ids, delays)


@pytest.fixture(scope="module")
def lagged(tmp_path_factory):
    return lagged_project(tmp_path_factory.mktemp("xcorr"))


def brute_force(curves: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All CCFs with np.correlate, and the lag (first maximum) and value of their maxima."""
    n, t = curves.shape
    norms = np.linalg.norm(curves, axis=1)
    ccfs = np.array([[np.correlate(curves[i], curves[j], "full") / (norms[i] * norms[j])
                      for j in range(n)] for i in range(n)])
    k = ccfs.argmax(axis=2)
    return ccfs, (k - (t - 1)).astype(float), ccfs.max(axis=2)


@pytest.mark.parametrize("n_frames", [1, 2, 7, 50, 101])
def test_normalized_ccf_matches_tslearn_and_np_correlate(n_frames):
    rng = np.random.default_rng(n_frames)
    for _ in range(5):
        x, y = rng.normal(size=n_frames) + 0.3, rng.normal(size=n_frames)
        ours = normalized_ccf(x, y)
        ref = normalized_cc(x.reshape(-1, 1), y.reshape(-1, 1))
        brute = np.correlate(x, y, "full") / (np.linalg.norm(x) * np.linalg.norm(y))
        assert ours.shape == (2 * n_frames - 1,)
        np.testing.assert_allclose(ours, brute, rtol=0, atol=1e-12)
        if n_frames > 1:  # tslearn returns 3 values for 1-sample curves (cc[-0:] is all of cc)
            np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)
    assert np.array_equal(normalized_ccf(np.zeros(5), np.ones(5)), np.zeros(9))


def test_lag_sign_positive_when_first_curve_follows():
    rng = np.random.default_rng(3)
    base = spike_train(300, rng)
    follower = np.roll(base, 12)  # follower(t) = base(t - 12)
    lags, maxima = ccf_maxima(np.stack([follower, base]), precision="double")
    assert lags[0, 1] == 12 and lags[1, 0] == -12
    lag_s = lag_axis(300, FPS)[np.argmax(normalized_ccf(follower, base))]
    assert lag_s == pytest.approx(1.2)


def test_all_pairs_double_precision_equal_brute_force_and_tslearn():
    rng = np.random.default_rng(0)
    curves = rng.normal(size=(30, 64)) + np.linspace(0, 1, 64)
    ccfs, lag_ref, max_ref = brute_force(curves)
    lags, maxima = ccf_maxima(curves, precision="double")
    np.testing.assert_array_equal(lags, lag_ref)
    np.testing.assert_allclose(maxima, max_ref, rtol=0, atol=1e-12)
    for i, j in [(0, 1), (5, 17), (29, 3)]:
        cc = normalized_cc(curves[i].reshape(-1, 1), curves[j].reshape(-1, 1))
        assert lags[i, j] == np.argmax(cc) - 63 and maxima[i, j] == pytest.approx(cc.max(),
                                                                                    abs=1e-12)


@pytest.mark.parametrize("workers", [1, 3])
def test_single_precision_maxima_within_1e5_of_brute_force(workers):
    """float32 FFTs: every maximum within 1e-5 and every lag a maximum of the exact CCF
    within 1e-5 (near-ties may pick the other peak)."""
    rng = np.random.default_rng(1)
    curves = rng.normal(size=(25, 151))
    ccfs, _, max_ref = brute_force(curves)
    lags, maxima = ccf_maxima(curves, precision="single", workers=workers)
    np.testing.assert_allclose(maxima, max_ref, rtol=0, atol=1e-5)
    k = (lags + 150).astype(int)
    at_lag = np.take_along_axis(ccfs, k[:, :, None], axis=2)[:, :, 0]
    assert np.all(at_lag >= max_ref - 1e-5)
    assert np.array_equal(lags, -lags.T) and np.all(np.diag(lags) == 0)
    np.testing.assert_allclose(np.diag(maxima), 1.0, atol=1e-6)


def test_workers_give_the_same_result():
    rng = np.random.default_rng(2)
    curves = rng.normal(size=(40, 90))
    one = ccf_maxima(curves, "double", workers=1)
    three = ccf_maxima(curves, "double", workers=3)
    np.testing.assert_array_equal(one[0], three[0])
    np.testing.assert_array_equal(one[1], three[1])


def test_zero_curves_are_undefined_and_bad_input_refused():
    rng = np.random.default_rng(4)
    curves = rng.normal(size=(4, 20))
    curves[2] = 0.0
    lags, maxima = ccf_maxima(curves)
    assert np.isnan(lags[2]).all() and np.isnan(maxima[:, 2]).all()
    assert np.isfinite(np.delete(np.delete(lags, 2, 0), 2, 1)).all()
    curves[1, 3] = np.nan
    with pytest.raises(ParameterError, match=r"Curve\(s\) \[1\]"):
        ccf_maxima(curves)
    with pytest.raises(ParameterError, match="precision"):
        ccf_maxima(curves[[0, 3]], precision="half")
    with pytest.raises(ParameterError, match="2-D"):
        ccf_maxima(np.ones(5))
    with pytest.raises(ParameterError, match="pre_normalization"):
        pre_normalize(curves, "minmax")
    with pytest.raises(ParameterError, match="sampling_rate"):
        compute_cross_correlation(curves[[0, 3]], 0.0)


def test_pre_normalizations_match_normalize_node_and_scipy_zscore():
    rng = np.random.default_rng(5)
    curves = rng.normal(size=(6, 40)) * 7 + 3
    t = Transmission.from_dataframe(pd.DataFrame({"_RAW_CURVE": list(curves)}))
    normalized = get_operation("Normalize")(t, data_column="_RAW_CURVE")
    np.testing.assert_allclose(pre_normalize(curves, "0-1"),
                               np.stack(normalized.df["_NORMALIZE"]), atol=1e-12)
    np.testing.assert_allclose(pre_normalize(curves, "zscore"),
                               scipy.stats.zscore(curves, axis=1), atol=1e-12)
    np.testing.assert_array_equal(pre_normalize(curves, "none"), curves)
    constant = pre_normalize(np.full((1, 5), 3.0), "zscore")
    assert np.array_equal(constant, np.zeros((1, 5)))


def test_known_delays_of_project_samples(lagged):
    t = lagged.transmission
    assert sample_ids(t) == lagged.sample_ids
    for sample_id in lagged.sample_ids:
        data = sample_cross_correlation(t, sample_id, "_RAW_CURVE", "cell_type",
                                        pre_normalization="zscore")
        d = np.asarray(lagged.delays[sample_id], dtype=float)
        np.testing.assert_array_equal(data.lag_matrix, (d[:, None] - d[None, :]) / FPS)
        assert data.maxima_matrix.min() > 0.8
        assert data.sampling_rate == FPS and data.n_frames == SHAPE_XYT[2]
        assert list(data.labels) == TYPES[:len(d)]
        rows = t.df.index[t.df.SampleID == sample_id]
        assert list(data.index) == list(rows)
        lags_s, ccf = data.ccf(1, 0)
        assert lags_s[np.argmax(ccf)] == pytest.approx(data.lag_matrix[1, 0])
        assert ccf.max() == pytest.approx(data.maxima_matrix[1, 0], abs=1e-5)
        assert data.time_axis()[-1] == pytest.approx((SHAPE_XYT[2] - 1) / FPS)


@pytest.mark.parametrize("method", ["none", "0-1"])
def test_sample_pre_normalization_is_applied_before_correlating(lagged, method):
    t = lagged.transmission
    data = sample_cross_correlation(t, lagged.sample_ids[0], "_RAW_CURVE",
                                    pre_normalization=method)
    raw = np.stack(t.df["_RAW_CURVE"][t.df.SampleID == lagged.sample_ids[0]])
    curves = pre_normalize(raw, method)
    np.testing.assert_allclose(data.curves, curves)
    cc = normalized_cc(curves[0].reshape(-1, 1), curves[4].reshape(-1, 1))
    assert data.maxima_matrix[0, 4] == pytest.approx(cc.max(), abs=1e-5)
    assert data.lag_matrix[0, 4] == (np.argmax(cc) - (raw.shape[1] - 1)) / FPS
    assert list(data.labels) == [str(i) for i in data.index]


def test_thresholds_and_colour_limits():
    rng = np.random.default_rng(6)
    data = compute_cross_correlation(rng.normal(size=(12, 80)), sampling_rate=20.0,
                                     pre_normalization="zscore", precision="double")
    lag, maxima = data.lag_matrix, data.maxima_matrix
    shown = data.threshold_matrix("lag", lag_threshold=1.0, maxima_threshold=0.3)
    keep = (np.abs(lag) <= 1.0) & (maxima >= 0.3)
    np.testing.assert_array_equal(np.isnan(shown), ~keep)
    np.testing.assert_array_equal(shown[keep], lag[keep])
    signed = data.threshold_matrix("maxima", lag_threshold=-0.5, absolute_lag=False)
    np.testing.assert_array_equal(np.isnan(signed), lag > -0.5)
    np.testing.assert_array_equal(data.threshold_matrix("maxima"), maxima)
    assert data.color_limits("lag", 1.0, 0.3) == (-1.0, 1.0)
    assert data.color_limits("lag") == (-79 / 20.0, 79 / 20.0)
    assert data.color_limits("maxima", 1.0, 0.3) == (0.3, 1.0)
    assert data.color_limits("maxima")[0] == pytest.approx(np.nanmin(maxima))
    with pytest.raises(ParameterError, match="matrix kind"):
        data.threshold_matrix("epsilon")


def test_bad_columns_samples_and_lengths(lagged):
    t = lagged.transmission
    with pytest.raises(ParameterError, match="not in the input"):
        sample_cross_correlation(t, "nobody-_-t9", "_RAW_CURVE")
    with pytest.raises(ParameterError, match="_MISSING"):
        sample_cross_correlation(t, lagged.sample_ids[0], "_MISSING")
    with pytest.raises(ParameterError, match="labels_column"):
        sample_cross_correlation(t, lagged.sample_ids[0], "_RAW_CURVE", "no_such_labels")
    df = t.df.copy()
    df.at[0, "_RAW_CURVE"] = df.at[0, "_RAW_CURVE"][:-5]
    with pytest.raises(ParameterError, match="SpliceArrays"):
        sample_cross_correlation(t.with_df(df), lagged.sample_ids[0], "_RAW_CURVE")
