"""KShape, KMeans, the Hierarchical nodes and LDA against tslearn / scikit-learn / scipy called
directly on the same data."""
import numpy as np
import pandas as pd
import pytest
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist
from scipy.stats import wasserstein_distance
from sklearn.cluster import KMeans
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from tslearn.clustering import KShape

from mesmerize.analysis import Transmission, get_operation
from mesmerize.analysis.errors import TransmissionError
from mesmerize.analysis.ops.node_spec import get_node_spec, list_node_specs
from mesmerize.core.errors import ParameterError

TOL = dict(rtol=1e-10, atol=1e-12)


def shapes_t(n_per=8, length=40, seed=0, lengths=None):
    """Three families of shapes (sine, ramp, bump) with noise; ``group`` labels them."""
    rng = np.random.default_rng(seed)
    x = np.linspace(0, 1, length)
    bases = [np.sin(2 * np.pi * x), x * 2 - 1, np.exp(-((x - 0.5) ** 2) / 0.01)]
    curves, groups = [], []
    for g, base in enumerate(bases):
        for _ in range(n_per):
            curves.append((base - base.mean()) / base.std() + rng.normal(0, 0.2, length))
            groups.append("abc"[g])
    df = pd.DataFrame({"_X": curves, "group": groups, "n": np.arange(len(curves), dtype=float)})
    return Transmission.from_dataframe(df)


def data_of(t, column="_X"):
    return np.stack(t.df[column].to_numpy())


def test_kshape_matches_tslearn():
    t = shapes_t()
    out = get_operation("KShape")(t, data_column="_X", n_clusters=3, random_state=4, n_init=2)
    ref = KShape(n_clusters=3, random_state=4, n_init=2).fit(data_of(t)[:, :, None])
    np.testing.assert_array_equal(out.df.KSHAPE_CLUSTER, ref.labels_)
    logged = out.history_trace.get_operation_params(t.df._BLOCK_[0], "kshape")
    np.testing.assert_allclose(logged["cluster_centers"], ref.cluster_centers_[:, :, 0], **TOL)
    assert logged["inertia"] == pytest.approx(ref.inertia_, rel=1e-12)
    assert {k: logged[k] for k in ("n_clusters", "max_iter", "tol", "n_init", "random_state",
                                   "train_subset", "data_column")} == {
        "n_clusters": 3, "max_iter": 100, "tol": 1e-6, "n_init": 2, "random_state": 4,
        "train_subset": 1.0, "data_column": "_X"}


def test_kshape_training_subset_predicts_all_rows():
    t = shapes_t()
    out = get_operation("KShape")(t, data_column="_X", n_clusters=3, random_state=1,
                                  train_subset=0.5)
    rows = out.history_trace.get_operation_params(t.df._BLOCK_[0], "kshape")["training_rows"]
    assert len(rows) == 12
    ref = KShape(n_clusters=3, random_state=1).fit(data_of(t)[rows][:, :, None])
    np.testing.assert_allclose(
        out.history_trace.get_operation_params(t.df._BLOCK_[0], "kshape")["cluster_centers"],
        ref.cluster_centers_[:, :, 0], **TOL)
    # each row goes to the centroid of largest normalised cross-correlation (brute force);
    # tslearn 0.10's ref.predict is wrong for rows beyond the training set size
    centers = ref.cluster_centers_[:, :, 0]
    expected = []
    for x in data_of(t):
        z = (x - x.mean()) / x.std()
        ncc = [np.correlate(z, c, "full").max() / (np.linalg.norm(z) * np.linalg.norm(c))
               for c in centers]
        expected.append(int(np.argmax(ncc)))
    np.testing.assert_array_equal(out.df.KSHAPE_CLUSTER, expected)


def test_kmeans_matches_sklearn():
    t = shapes_t()
    out = get_operation("KMeans")(t, data_column="_X", n_clusters=3, random_state=0, n_init=4)
    ref = KMeans(n_clusters=3, random_state=0, n_init=4).fit(data_of(t))
    np.testing.assert_array_equal(out.df.KMEANS_CLUSTER, ref.labels_)
    logged = out.history_trace.get_operation_params(t.df._BLOCK_[0], "kmeans")
    np.testing.assert_allclose(logged["cluster_centers"], ref.cluster_centers_, **TOL)


@pytest.mark.parametrize("name", ["KShape", "KMeans"])
def test_clustering_errors(name):
    t = shapes_t(n_per=1)
    with pytest.raises(ParameterError, match=r"'n_clusters' \(5\) is more than the number"):
        get_operation(name)(t, data_column="_X", n_clusters=5)
    with pytest.raises(ParameterError, match="'n_clusters' must be >= 1"):
        get_operation(name)(t, data_column="_X", n_clusters=0)
    ragged = Transmission.from_dataframe(pd.DataFrame({"_X": [np.zeros(5), np.zeros(6)]}))
    with pytest.raises(ParameterError, match="SpliceArrays"):
        get_operation(name)(ragged, data_column="_X", n_clusters=1)
    nan = Transmission.from_dataframe(pd.DataFrame({"_X": [np.zeros(5), np.full(5, np.nan)]}))
    with pytest.raises(ParameterError, match="contains NaN"):
        get_operation(name)(nan, data_column="_X", n_clusters=1)


@pytest.mark.parametrize("method, metric", [
    ("complete", "euclidean"), ("average", "correlation"), ("single", "cityblock"),
    ("ward", "euclidean"), ("weighted", "cosine"),
])
def test_linkage_matches_scipy(method, metric):
    t = shapes_t(n_per=5)
    out = get_node_spec("Linkage")(t, data_column="_X", method=method, metric=metric,
                                   optimal_ordering=True)
    ref = hierarchy.linkage(data_of(t), method=method, metric=metric, optimal_ordering=True)
    np.testing.assert_allclose(out["linkage_matrix"], ref, **TOL)
    assert out["linkage_params"] == {"method": method, "metric": metric,
                                     "optimal_ordering": True}


def test_linkage_wasserstein_matches_scipy_stats():
    t = shapes_t(n_per=4)
    out = get_node_spec("Linkage")(t, data_column="_X", metric="wasserstein")
    ref_d = pdist(data_of(t), lambda u, v: wasserstein_distance(u, v))
    np.testing.assert_allclose(out["linkage_matrix"],
                               hierarchy.linkage(ref_d, method="complete"), **TOL)


def test_linkage_errors():
    t = shapes_t(n_per=2)
    spec = get_node_spec("Linkage")
    with pytest.raises(ParameterError, match="'metric' must be euclidean for the ward method"):
        spec(t, data_column="_X", method="ward", metric="cosine")
    with pytest.raises(ParameterError, match="'method' must be one of"):
        spec(t, data_column="_X", method="nope")
    one = Transmission.from_dataframe(pd.DataFrame({"_X": [np.zeros(3)]}))
    with pytest.raises(ParameterError, match="at least 2 observations"):
        spec(one, data_column="_X")


@pytest.mark.parametrize("criterion, threshold", [
    ("maxclust", 3.0), ("distance", 6.0), ("inconsistent", 0.8)])
def test_fcluster_matches_scipy_and_logs_as_the_guide(criterion, threshold):
    t = shapes_t(n_per=5)
    link = get_node_spec("Linkage")(t, data_column="_X", method="complete")
    out = get_node_spec("FCluster")(link, t, None, None, threshold=threshold,
                                    criterion=criterion, depth=1)
    ref = hierarchy.fcluster(hierarchy.linkage(data_of(t), "complete"), threshold,
                             criterion=criterion, depth=1)
    np.testing.assert_array_equal(out.df.FCLUSTER_LABELS, ref)
    assert out.last_output == "FCLUSTER_LABELS"
    block = t.df._BLOCK_[0]
    assert out.history_trace.get_operations_list(block) == ["spawn_transmission", "fcluster"]
    fp = out.history_trace.get_operation_params(block, "fcluster")
    np.testing.assert_allclose(fp.pop("linkage_matrix"), link["linkage_matrix"], **TOL)
    assert fp == {"threshold": threshold, "criterion": criterion, "depth": 1,
                  "linkage_params": {"method": "complete", "metric": "euclidean",
                                     "optimal_ordering": False}}


def test_inconsistent_and_monocrit_nodes_match_scipy():
    t = shapes_t(n_per=5)
    link = get_node_spec("Linkage")(t, data_column="_X", method="average")
    z = hierarchy.linkage(data_of(t), "average")
    incm = get_node_spec("Inconsistent")(link, depth=3)
    r = hierarchy.inconsistent(z, 3)
    np.testing.assert_allclose(incm["inconsistency_matrix"], r, **TOL)
    stat = get_node_spec("MaxIncStat")(link, incm, i=3)
    np.testing.assert_allclose(stat["monocrit"], hierarchy.maxRstat(z, r, 3), **TOL)
    mi = get_node_spec("MaxInconsistent")(link, incm)
    np.testing.assert_allclose(mi["monocrit"], hierarchy.maxinconsts(z, r), **TOL)
    out = get_node_spec("FCluster")(link, t, None, mi, threshold=0.8, criterion="monocrit")
    ref = hierarchy.fcluster(z, 0.8, criterion="monocrit", monocrit=hierarchy.maxinconsts(z, r))
    np.testing.assert_array_equal(out.df.FCLUSTER_LABELS, ref)
    with_r = get_node_spec("FCluster")(link, t, incm, None, threshold=1.0,
                                       criterion="inconsistent")
    np.testing.assert_array_equal(with_r.df.FCLUSTER_LABELS,
                                  hierarchy.fcluster(z, 1.0, criterion="inconsistent", R=r))


def test_fcluster_errors():
    t = shapes_t(n_per=3)
    link = get_node_spec("Linkage")(t, data_column="_X")
    fc = get_node_spec("FCluster")
    with pytest.raises(ParameterError, match="'criterion' monocrit needs the Monocrit input"):
        fc(link, t, None, None, criterion="monocrit")
    with pytest.raises(ParameterError, match="'threshold' must be a whole number"):
        fc(link, t, None, None, criterion="maxclust", threshold=2.5)
    with pytest.raises(TransmissionError, match="has 4 rows but the linkage matrix"):
        fc(link, t.with_df(t.df.iloc[:4].reset_index(drop=True)), None, None)
    with pytest.raises(ParameterError, match="connect the Data input"):
        fc(link, None, None, None)
    assert [s.name for s in list_node_specs("Hierarchical")] == [
        "FCluster", "Inconsistent", "Linkage", "MaxIncStat", "MaxInconsistent"]


def lda_t():
    t = shapes_t(n_per=10, length=12, seed=2)
    return t


@pytest.mark.parametrize("solver", ["svd", "eigen"])
def test_lda_matches_sklearn(solver):
    t = lda_t()
    x = np.hstack([data_of(t), t.df[["n"]].to_numpy()])
    y = t.df.group.to_numpy()
    out = get_node_spec("LDA")(t, t, train_data=["_X", "n"], labels="group", solver=solver,
                               n_components=2)
    ref = LinearDiscriminantAnalysis(solver=solver, n_components=2, tol=1e-4).fit(x, y)
    np.testing.assert_allclose(np.stack(out["T"].df._LDA_TRANSFORM), ref.transform(x), **TOL)
    np.testing.assert_allclose(np.stack(out["T"].df._LDA_DFUNC), ref.decision_function(x),
                               **TOL)
    assert list(out["coef"].df.classes) == ["a", "b", "c"]
    np.testing.assert_allclose(np.stack(out["coef"].df._COEF), ref.coef_, **TOL)
    np.testing.assert_allclose(np.stack(out["means"].df._MEANS), ref.means_, **TOL)
    np.testing.assert_array_equal(out["predicted"].df.LDA_PREDICTED_LABELS, ref.predict(x))
    assert out["score"] == pytest.approx(ref.score(x, y), rel=1e-12)
    logged = out["T"].history_trace.get_operation_params(t.df._BLOCK_[0], "lda")
    assert logged == {"train_data": ["_X", "n"], "labels": "group", "solver": solver,
                      "shrinkage": "none", "shrinkage_val": 0.5, "n_components": 2, "tol": -4,
                      "predict_on": [], "classes": ["a", "b", "c"], "score": out["score"]}


def test_lda_shrinkage_two_classes_and_errors():
    t = lda_t()
    two = t.with_df(t.df[t.df.group != "c"].reset_index(drop=True))
    x = data_of(two)
    y = two.df.group.to_numpy()
    out = get_node_spec("LDA")(two, None, train_data=["_X"], labels="group", solver="lsqr",
                               shrinkage="value", shrinkage_val=0.3)
    ref = LinearDiscriminantAnalysis(solver="lsqr", shrinkage=0.3).fit(x, y)
    np.testing.assert_allclose(np.stack(out["T"].df._LDA_DFUNC)[:, 0],
                               ref.decision_function(x), **TOL)
    assert list(out["coef"].df.classes) == ["b"] and out["predicted"] is None
    spec = get_node_spec("LDA")
    with pytest.raises(ParameterError, match="'shrinkage' needs the lsqr or eigen solver"):
        spec(t, None, train_data=["_X"], labels="group", shrinkage="auto")
    with pytest.raises(ParameterError, match="'n_components' must be <= 2"):
        spec(t, None, train_data=["_X"], labels="group", n_components=3)
    with pytest.raises(ParameterError, match="'labels' must be a column"):
        spec(t, None, train_data=["_X"], labels="nope")
    with pytest.raises(ParameterError, match="'train_data': 'nope' is not a column"):
        spec(t, None, train_data=["nope"], labels="group")
    with pytest.raises(TransmissionError, match="gives 1 features per row"):
        spec(t, t, train_data=["_X"], labels="group", predict_on=["n"])


def test_guide_hierarchical_graph_history():
    """SpliceArrays -> Normalize -> RFFT -> AbsoluteValue -> LogTransform -> SpliceArrays ->
    Linkage -> FCluster gives the guide's operations list and fcluster parameters."""
    t = shapes_t(n_per=4, length=60)
    df = t.df.copy()
    df["_RAW_CURVE"] = [x + 5 for x in df._X]
    df["meta"] = [{"fps": 10.0}] * len(df)
    t = t.with_df(df, last_output="_RAW_CURVE")
    op = get_operation
    s = op("SpliceArrays")(t, data_column="_RAW_CURVE", indices="0:50")
    s = op("Normalize")(s, data_column="_SPLICE_ARRAYS")
    s = op("RFFT")(s, data_column="_NORMALIZE")
    s = op("AbsoluteValue")(s, data_column="_RFFT")
    s = op("LogTransform")(s, data_column="_ABSOLUTE_VALUE", transform="log10")
    s = op("SpliceArrays")(s, data_column="_LOG_TRANSFORM", indices="1:25")
    link = get_node_spec("Linkage")(s, data_column="_SPLICE_ARRAYS", method="complete",
                                    metric="wasserstein", optimal_ordering=True)
    out = get_node_spec("FCluster")(link, s, None, None, threshold=3.0, criterion="maxclust",
                                    depth=1)
    bid = out.df.iloc[2]._BLOCK_
    assert out.history_trace.get_operations_list(bid) == [
        "spawn_transmission", "splice_arrays", "normalize", "rfft", "absolute_value",
        "log_transform", "splice_arrays", "fcluster"]
    fp = out.history_trace.get_operation_params(bid, "fcluster")
    fp.pop("linkage_matrix")
    assert fp == {"threshold": 3.0, "criterion": "maxclust", "depth": 1,
                  "linkage_params": {"method": "complete", "metric": "wasserstein",
                                     "optimal_ordering": True}}
    assert out.df.FCLUSTER_LABELS.max() <= 3
