"""mesmerize.plotting.kshape: the fit matches tslearn's KShape run directly, training subsets,
cluster samples, aligned means with CI / SD bands, grid shape, drawing."""
from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from scipy import stats
from tslearn.clustering import KShape
from tslearn.preprocessing import TimeSeriesScalerMeanVariance

from mesmerize.analysis.registry import get_operation
from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import ParameterError
from mesmerize.plotting.kshape import (
    KShapeResult, align_curves, draw_cluster_means, draw_cluster_sample, fit_kshape,
    mean_band, means_grid_shape, sample_cluster_rows, with_cluster_labels, zscore_curves,
)

matplotlib.use("Agg")

N_SAMPLES = 50


def shapes_df(n_per: int = 20, seed: int = 0) -> pd.DataFrame:
    """``3 * n_per`` noisy curves of three shapes (peak, sine, ramp; k-Shape is shift
    invariant, so the shapes must differ by more than a shift), 50 samples."""
    rng = np.random.default_rng(seed)
    x = np.arange(N_SAMPLES)
    protos = [np.exp(-((x - 25) ** 2) / 10.0), np.sin(2 * np.pi * x / 25), x / N_SAMPLES]
    rows, kinds = [], []
    for k, p in enumerate(protos):
        for _ in range(n_per):
            rows.append(3.0 * p + 0.05 * rng.standard_normal(N_SAMPLES) + rng.uniform(0, 2))
            kinds.append(f"shape{k}")
    return pd.DataFrame({"_RAW_CURVE": rows, "kind": kinds})


@pytest.fixture(scope="module")
def scaled_t() -> Transmission:
    t = Transmission.from_dataframe(shapes_df(), last_unit="time")
    return get_operation("ScalerMeanVariance")(t, data_column="_RAW_CURVE")


def scaled_matrix(t: Transmission) -> np.ndarray:
    return np.stack(t.df["_SCALER_MEAN_VARIANCE"].to_numpy())


def test_fit_matches_tslearn_kshape_on_all_curves(scaled_t):
    res = fit_kshape(scaled_t, "_SCALER_MEAN_VARIANCE", n_clusters=3, max_iter=10, tol=1e-6,
                     n_init=1, random_state=1, train_subset=1.0)
    data = scaled_matrix(scaled_t)
    model = KShape(n_clusters=3, max_iter=10, tol=1e-6, n_init=1, random_state=1)
    model.fit(data[:, :, None])
    np.testing.assert_array_equal(res.labels, model.predict(data[:, :, None]))
    np.testing.assert_array_equal(res.labels, nearest_centroid_sbd(data, res.cluster_centers))
    np.testing.assert_allclose(res.cluster_centers, model.cluster_centers_[:, :, 0],
                               rtol=0, atol=1e-12)
    assert res.inertia == pytest.approx(model.inertia_, rel=1e-12)
    np.testing.assert_array_equal(res.training_rows, np.arange(60))
    assert res.cluster_centers.shape == (3, N_SAMPLES) and res.n_clusters == 3
    assert res.labels.dtype == np.int64
    # the three shapes are recovered: each kind lies in a single cluster, all distinct
    kinds = scaled_t.df["kind"].to_numpy()
    per_kind = [set(res.labels[kinds == k]) for k in ("shape0", "shape1", "shape2")]
    assert all(len(s) == 1 for s in per_kind)
    assert len(set.union(*per_kind)) == 3


def nearest_centroid_sbd(curves: np.ndarray, centers: np.ndarray) -> np.ndarray:
    """Brute-force k-Shape assignment: the centroid with the largest normalised
    cross-correlation (over all shifts) with each z-normalised curve."""
    labels = []
    for x in curves:
        z = (x - x.mean()) / x.std()
        ncc = [np.max(np.correlate(z, c, "full")) / (np.linalg.norm(z) * np.linalg.norm(c))
               for c in centers]
        labels.append(int(np.argmax(ncc)))
    return np.array(labels)


def test_training_subset_trains_on_a_random_fraction_and_predicts_all(scaled_t):
    res = fit_kshape(scaled_t, "_SCALER_MEAN_VARIANCE", n_clusters=3, max_iter=10,
                     random_state=7, train_subset=0.5)
    assert res.training_rows.size == 30
    assert np.all(np.diff(res.training_rows) > 0) and res.training_rows.max() < 60
    data = scaled_matrix(scaled_t)
    model = KShape(n_clusters=3, max_iter=10, tol=1e-6, n_init=1, random_state=7)
    model.fit(data[res.training_rows][:, :, None])
    np.testing.assert_allclose(res.cluster_centers, model.cluster_centers_[:, :, 0], atol=1e-12)
    # every curve, trained on or not, goes to its nearest centroid by shape-based distance
    # (tslearn 0.10's KShape.predict gets the rows beyond the training set size wrong)
    np.testing.assert_array_equal(res.labels, nearest_centroid_sbd(data, res.cluster_centers))
    assert res.labels.shape == (60,)
    again = fit_kshape(scaled_t, "_SCALER_MEAN_VARIANCE", n_clusters=3, max_iter=10,
                       random_state=7, train_subset=0.5)
    np.testing.assert_array_equal(again.training_rows, res.training_rows)
    tiny = fit_kshape(scaled_t, "_SCALER_MEAN_VARIANCE", n_clusters=3, max_iter=5,
                      random_state=7, train_subset=0.01)
    assert tiny.training_rows.size == 3  # never fewer than n_clusters


def test_fit_errors_are_parameter_errors(scaled_t):
    with pytest.raises(ParameterError, match="n_clusters"):
        fit_kshape(scaled_t, "_SCALER_MEAN_VARIANCE", n_clusters=100)
    with pytest.raises(ParameterError, match="train_subset"):
        fit_kshape(scaled_t, "_SCALER_MEAN_VARIANCE", train_subset=0.0)
    with pytest.raises(ParameterError, match="not a column"):
        fit_kshape(scaled_t, "nope")
    with pytest.raises(ParameterError, match="no rows"):
        fit_kshape(scaled_t.with_df(scaled_t.df.iloc[:0]), "_SCALER_MEAN_VARIANCE")


def test_result_arrays_round_trip_and_checks():
    res = KShapeResult(labels=np.array([0, 1, 1]), cluster_centers=np.ones((2, 4)),
                       training_rows=np.array([0, 2]), inertia=0.5,
                       params={"n_clusters": 2})
    back = KShapeResult.from_arrays(res.to_arrays(), res.params, n_rows=3)
    np.testing.assert_array_equal(back.labels, res.labels)
    np.testing.assert_array_equal(back.cluster_centers, res.cluster_centers)
    np.testing.assert_array_equal(back.training_rows, res.training_rows)
    assert back.inertia == 0.5
    with pytest.raises(ParameterError, match="do not match"):
        KShapeResult.from_arrays(res.to_arrays(), res.params, n_rows=4)
    with pytest.raises(ParameterError, match="lacks"):
        KShapeResult.from_arrays({"labels": res.labels}, res.params, n_rows=3)


def test_with_cluster_labels_adds_the_column(scaled_t):
    labels = np.arange(60) % 3
    out = with_cluster_labels(scaled_t, labels)
    np.testing.assert_array_equal(out.df["KSHAPE_CLUSTER"], labels)
    assert "KSHAPE_CLUSTER" not in scaled_t.df.columns
    with pytest.raises(ParameterError, match="labels"):
        with_cluster_labels(scaled_t, labels[:5])


def test_zscore_matches_tslearn_scaler():
    rng = np.random.default_rng(2)
    curves = rng.normal(3, 2, (6, 40))
    expected = TimeSeriesScalerMeanVariance().fit_transform(curves[:, :, None])[:, :, 0]
    np.testing.assert_allclose(zscore_curves(curves), expected, atol=1e-10)
    np.testing.assert_array_equal(zscore_curves(np.full((2, 5), 4.0)), np.zeros((2, 5)))


@pytest.mark.parametrize("n, shape", [(1, (1, 1)), (2, (1, 2)), (3, (1, 3)), (4, (2, 3)),
                                      (7, (3, 3)), (12, (4, 3))])
def test_means_grid_shape(n, shape):
    assert means_grid_shape(n) == shape


def test_sample_cluster_rows():
    labels = np.array([0, 1, 0, 0, 1, 0, 0])
    rows = sample_cluster_rows(labels, 0, 3, seed=1)
    assert rows.size == 3 and set(rows) <= {0, 2, 3, 5, 6} and np.all(np.diff(rows) > 0)
    np.testing.assert_array_equal(sample_cluster_rows(labels, 1, 10), [1, 4])
    assert sample_cluster_rows(labels, 5, 10).size == 0
    with pytest.raises(ParameterError, match="max num curves"):
        sample_cluster_rows(labels, 0, 0)


def test_align_at_maxima_puts_every_peak_at_x0():
    curves = np.array([[0, 5, 1, 0], [0, 0, 1, 7], [9, 1, 0, 0]], dtype=float)
    x, aligned = align_curves(curves, "maxima")
    np.testing.assert_array_equal(x, np.arange(-3, 4))
    zero = np.flatnonzero(x == 0)[0]
    np.testing.assert_array_equal(aligned[:, zero], [5, 7, 9])
    for row, curve in zip(aligned, curves):  # each curve intact, NaN elsewhere
        np.testing.assert_array_equal(row[~np.isnan(row)], curve)
    x0, same = align_curves(curves, "zero")
    np.testing.assert_array_equal(x0, np.arange(4))
    np.testing.assert_array_equal(same, curves)
    with pytest.raises(ParameterError, match="set x = 0"):
        align_curves(curves, "middle")


def test_mean_band_ci_and_sd_match_scipy():
    rng = np.random.default_rng(4)
    curves = rng.normal(0, 1, (12, 30))
    ci = mean_band(curves, "zero", "ci", confidence=0.95)
    mean = curves.mean(axis=0)
    sem = stats.sem(curves, axis=0)
    low, high = stats.t.interval(0.95, 11, loc=mean, scale=sem)
    np.testing.assert_allclose(ci.mean, mean, atol=1e-12)
    np.testing.assert_allclose(ci.low, low, atol=1e-12)
    np.testing.assert_allclose(ci.high, high, atol=1e-12)
    sd = mean_band(curves, "zero", "sd")
    np.testing.assert_allclose(sd.high - sd.mean, curves.std(axis=0, ddof=1), atol=1e-12)
    none = mean_band(curves, "zero", "none")
    assert np.isnan(none.low).all() and np.isnan(none.high).all()
    np.testing.assert_array_equal(none.count, np.full(30, 12))
    with pytest.raises(ParameterError, match="error band"):
        mean_band(curves, "zero", "sem")


def test_mean_band_after_maxima_alignment_counts_covering_curves():
    curves = np.array([[0, 5, 1, 0], [0, 0, 1, 7], [9, 1, 0, 0]], dtype=float)
    band = mean_band(curves, "maxima", "sd")
    _, aligned = align_curves(curves, "maxima")
    np.testing.assert_array_equal(band.count, (~np.isnan(aligned)).sum(axis=0))
    np.testing.assert_allclose(band.mean, np.nanmean(aligned, axis=0), atol=1e-12)
    one = band.count == 1
    assert np.isnan(band.low[one]).all()  # no spread from a single curve
    many = band.count > 1
    np.testing.assert_allclose(band.high[many] - band.mean[many],
                               np.nanstd(aligned[:, many], axis=0, ddof=1), atol=1e-12)


def test_draw_means_grid_and_raw_sample(tmp_path, scaled_t):
    res = fit_kshape(scaled_t, "_SCALER_MEAN_VARIANCE", n_clusters=3, max_iter=10,
                     random_state=0)
    curves = zscore_curves(scaled_matrix(scaled_t))
    fig = Figure(figsize=(8, 6))
    axs = fig.subplots(2, 3, squeeze=False)
    draw_cluster_means(axs, curves, res.labels, 4, align="zero", error_band="ci")
    for i in range(3):
        line = axs.ravel()[i].lines[0]
        np.testing.assert_allclose(line.get_ydata(), curves[res.labels == i].mean(axis=0),
                                   atol=1e-12)
        assert len(axs.ravel()[i].collections) == 1  # the band
    assert axs[1, 0].get_title() == "cluster 3, EMPTY"
    assert not axs[1, 1].get_visible() and not axs[1, 2].get_visible()
    raw = Figure()
    ax = raw.add_subplot()
    rows = draw_cluster_sample(ax, curves, res.labels, 1, 5, res.cluster_centers, seed=0)
    assert rows.size == 5 and np.all(res.labels[rows] == 1)
    assert len(ax.lines) == 6
    np.testing.assert_array_equal(ax.lines[-1].get_ydata(), res.cluster_centers[1])
    fig.savefig(tmp_path / "means.png")
    raw.savefig(tmp_path / "raw.png")
