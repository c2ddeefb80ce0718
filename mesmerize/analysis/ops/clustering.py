"""Clustering nodes: KShape (tslearn.clustering.KShape) and KMeans (sklearn.cluster.KMeans).

The input arrays (one per row, all of one length ``T``) are stacked into ``(n_rows, T)``; the
cluster label of each row goes into a categorical column; the model's cluster centres and
inertia are logged in the history.
"""
from __future__ import annotations

import numpy as np

from mesmerize.analysis.arrays import stack_column
from mesmerize.analysis.ops.param_specs import DATA_COLUMN
from mesmerize.analysis.registry import OpResult, Param, operation
from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import ParameterError

RANDOM_STATE = Param("random_state", "int", None, min=0, optional=True,
                     doc="Seed of the centroid initialisation; None uses numpy's global "
                         "random generator.")


def _data(t: Transmission, column: str, n_clusters: int, op_name: str) -> np.ndarray:
    data = stack_column(t.df, column, dtype=np.float64)
    if data.shape[0] and data.shape[0] < n_clusters:
        raise ParameterError(
            f"{op_name}: parameter 'n_clusters' ({n_clusters}) is more than the number of "
            f"curves ({data.shape[0]}).")
    if data.size and not np.isfinite(data).all():
        raise ParameterError(
            f"{op_name}: data_column {column!r} contains NaN or inf; remove them first "
            "(DropNa, SpliceArrays).")
    return data


def _training_rows(n: int, fraction: float, random_state: int | None,
                   n_clusters: int) -> np.ndarray:
    """Sorted indices of a random ``fraction`` of ``n`` rows (at least n_clusters)."""
    if fraction >= 1.0:
        return np.arange(n)
    size = max(int(round(fraction * n)), n_clusters)
    return np.sort(np.random.default_rng(random_state).choice(n, size=size, replace=False))


def _nearest_centroid(model, data: np.ndarray) -> np.ndarray:
    """``(n_rows,)`` cluster of each row of ``data`` ``(n_rows, T)``: the centroid of the
    largest normalised cross-correlation (smallest shape-based distance), rows z-normalised.

    Used instead of ``KShape.predict``: tslearn 0.10 divides by the norms of the *training*
    rows there, read out of bounds when more rows are predicted than were trained on.
    """
    from tslearn.metrics import cdist_normalized_cc
    from tslearn.preprocessing import TimeSeriesScalerMeanVariance

    xz = TimeSeriesScalerMeanVariance(mu=0.0, std=1.0).fit_transform(data[:, :, None])
    centers = model.cluster_centers_
    ncc = cdist_normalized_cc(xz, centers, np.linalg.norm(xz, axis=(1, 2)),
                              np.linalg.norm(centers, axis=(1, 2)), False)
    return np.argmax(ncc, axis=1).astype(np.int64)


@operation("KShape", "Clustering", "kshape", output_column="KSHAPE_CLUSTER", params=(
    DATA_COLUMN,
    Param("n_clusters", "int", 3, min=1, doc="Number of clusters to form."),
    Param("max_iter", "int", 100, min=1, doc="Maximum iterations of the k-Shape algorithm."),
    Param("tol", "float", 1e-6, min=0.0, doc="Inertia variation threshold of convergence."),
    Param("n_init", "int", 1, min=1, doc="Runs with different seeds; the best is kept."),
    RANDOM_STATE,
    Param("train_subset", "float", 1.0, min=0.0, max=1.0, min_exclusive=True,
          doc="Fraction of the curves (drawn with random_state) used for training; the "
              "labels are then predicted for all curves."),
))
def kshape(t: Transmission, p: dict) -> OpResult:
    """k-Shape clustering (Paparrizos & Gravano 2015; tslearn.clustering.KShape) of equal-length
    curves; labels in KSHAPE_CLUSTER, the centroids ``(n_clusters, T)`` and inertia logged.
    Scale the curves first (ScalerMeanVariance): k-Shape compares z-normalised shapes."""
    data = _data(t, p["data_column"], p["n_clusters"], "KShape")
    df = t.df.copy()
    if data.shape[0] == 0:
        df["KSHAPE_CLUSTER"] = np.empty(0, dtype=np.int64)
        return OpResult(df, record={**p, "cluster_centers": [], "inertia": None})
    from tslearn.clustering import KShape  # imported on use: tslearn takes seconds to load

    rows = _training_rows(data.shape[0], p["train_subset"], p["random_state"], p["n_clusters"])
    model = KShape(n_clusters=p["n_clusters"], max_iter=p["max_iter"], tol=p["tol"],
                   n_init=p["n_init"], random_state=p["random_state"])
    model.fit(data[rows, :, None])
    df["KSHAPE_CLUSTER"] = _nearest_centroid(model, data)
    record = {**p, "training_rows": rows.tolist(),
              "cluster_centers": model.cluster_centers_[:, :, 0].tolist(),
              "inertia": float(model.inertia_)}
    return OpResult(df, record=record)


@operation("KMeans", "Clustering", "kmeans", output_column="KMEANS_CLUSTER", params=(
    DATA_COLUMN,
    Param("n_clusters", "int", 8, min=1, doc="Number of clusters to form."),
    Param("init", "choice", "k-means++", choices=("k-means++", "random"),
          doc="Centroid initialisation method."),
    Param("n_init", "int", 10, min=1, doc="Runs with different seeds; the best is kept."),
    Param("max_iter", "int", 300, min=1, doc="Maximum iterations of one run."),
    Param("tol", "float", 1e-4, min=0.0, doc="Relative tolerance of convergence."),
    Param("algorithm", "choice", "lloyd", choices=("lloyd", "elkan"),
          doc="K-means algorithm variant."),
    RANDOM_STATE,
))
def kmeans(t: Transmission, p: dict) -> OpResult:
    """k-means clustering (sklearn.cluster.KMeans) of equal-length arrays, each array one
    sample's features; labels in KMEANS_CLUSTER, centres ``(n_clusters, T)`` and inertia
    logged."""
    data = _data(t, p["data_column"], p["n_clusters"], "KMeans")
    df = t.df.copy()
    if data.shape[0] == 0:
        df["KMEANS_CLUSTER"] = np.empty(0, dtype=np.int64)
        return OpResult(df, record={**p, "cluster_centers": [], "inertia": None})
    from sklearn.cluster import KMeans  # imported on use, like tslearn

    model = KMeans(n_clusters=p["n_clusters"], init=p["init"], n_init=p["n_init"],
                   max_iter=p["max_iter"], tol=p["tol"], algorithm=p["algorithm"],
                   random_state=p["random_state"])
    df["KMEANS_CLUSTER"] = model.fit_predict(data).astype(np.int64)
    record = {**p, "cluster_centers": model.cluster_centers_.tolist(),
              "inertia": float(model.inertia_)}
    return OpResult(df, record=record)
