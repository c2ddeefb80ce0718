"""Hierarchical nodes (scipy.cluster.hierarchy): Linkage, Inconsistent, MaxIncStat,
MaxInconsistent, FCluster.

As in the user guide, Linkage outputs a dict (not a Transmission): ``linkage_matrix``
``(n - 1, 4)``, ``linkage_params`` (method, metric, optimal_ordering), ``data_column``,
``n_observations`` and ``data_blocks`` (the ``_BLOCK_`` of each row it was computed from).
Inconsistent outputs ``{"inconsistency_matrix": (n - 1, 4), "depth": d}``, MaxIncStat and
MaxInconsistent ``{"monocrit": (n - 1,)}``. Only FCluster logs history: ``fcluster`` with its
parameters, the linkage parameters and the linkage matrix, as the guide shows.
"""
from __future__ import annotations

from typing import Any

import numpy as np
from scipy.cluster import hierarchy
from scipy.spatial.distance import pdist

from mesmerize.analysis.arrays import stack_column
from mesmerize.analysis.errors import TransmissionError
from mesmerize.analysis.history_trace import BLOCK_COLUMN
from mesmerize.analysis.ops.node_spec import node_spec
from mesmerize.analysis.registry import Param
from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import ParameterError

METHODS = ("single", "complete", "average", "weighted", "centroid", "median", "ward")
METRICS = ("euclidean", "wasserstein", "braycurtis", "canberra", "chebyshev", "cityblock",
           "correlation", "cosine", "jensenshannon", "minkowski", "seuclidean", "sqeuclidean")
CRITERIA = ("inconsistent", "distance", "maxclust", "monocrit", "maxclust_monocrit")
FCLUSTER_COLUMN = "FCLUSTER_LABELS"


def distances(data: np.ndarray, metric: str) -> np.ndarray:
    """Condensed pairwise distances of the rows of ``data`` ``(n, T)``.

    ``wasserstein``: the 1-D earth mover's distance between the rows' value distributions
    (scipy.stats.wasserstein_distance); for equal-size samples it is the mean absolute
    difference of the sorted values, so it is the cityblock distance of sorted rows / T.
    """
    if metric == "wasserstein":
        return pdist(np.sort(data, axis=1), "cityblock") / data.shape[1]
    return pdist(data, metric)


@node_spec("Linkage", "Hierarchical", params=(
    Param("data_column", "column", None, column_kind="numerical",
          doc="Column of equal-length arrays, one observation per row."),
    Param("method", "choice", "complete", choices=METHODS, doc="Linkage method."),
    Param("metric", "choice", "euclidean", choices=METRICS,
          doc="Distance metric (centroid, median and ward need euclidean)."),
    Param("optimal_ordering", "bool", False,
          doc="Reorder so that the distance between successive leaves is minimal."),
), inputs=("In",), outputs=("Out",), input_kinds=("transmission",), output_kinds=("dict",))
def linkage(t: Transmission, p: dict) -> dict[str, Any]:
    """Linkage matrix of the rows (scipy.cluster.hierarchy.linkage on the pairwise distances of
    the data_column arrays)."""
    column = p["data_column"] or t.last_output
    if column is None:
        raise ParameterError("Linkage: choose a data_column.")
    if p["method"] in ("centroid", "median", "ward") and p["metric"] != "euclidean":
        raise ParameterError(
            f"Linkage: parameter 'metric' must be euclidean for the {p['method']} method, got "
            f"{p['metric']!r}.")
    data = stack_column(t.df, column, dtype=np.float64)
    if data.shape[0] < 2:
        raise ParameterError(
            f"Linkage: data_column {column!r} has {data.shape[0]} row(s); linkage needs at "
            "least 2 observations.")
    if not np.isfinite(data).all():
        raise ParameterError(
            f"Linkage: data_column {column!r} contains NaN or inf; remove them first.")
    z = hierarchy.linkage(distances(data, p["metric"]), method=p["method"],
                          optimal_ordering=p["optimal_ordering"])
    blocks = t.df[BLOCK_COLUMN].astype(str).tolist() if BLOCK_COLUMN in t.df.columns else None
    return {"linkage_matrix": z,
            "linkage_params": {"method": p["method"], "metric": p["metric"],
                               "optimal_ordering": p["optimal_ordering"]},
            "data_column": column, "n_observations": int(data.shape[0]), "data_blocks": blocks}


def _matrix(linkage_out: Any) -> np.ndarray:
    if not isinstance(linkage_out, dict) or "linkage_matrix" not in linkage_out:
        raise TransmissionError(
            "The Linkage input must be the output of a Linkage node (a dict with "
            "'linkage_matrix').")
    return np.asarray(linkage_out["linkage_matrix"], dtype=np.float64)


def _inconsistency(incm: Any, z: np.ndarray) -> np.ndarray:
    if not isinstance(incm, dict) or "inconsistency_matrix" not in incm:
        raise TransmissionError("The IncM input must be the output of an Inconsistent node.")
    r = np.asarray(incm["inconsistency_matrix"], dtype=np.float64)
    if r.shape != (z.shape[0], 4):
        raise TransmissionError(
            f"The IncM input has shape {r.shape}; it was computed from another linkage matrix "
            f"(expected {(z.shape[0], 4)}).")
    return r


@node_spec("Inconsistent", "Hierarchical", params=(
    Param("depth", "int", 2, min=1, doc="Number of links below each link that are compared."),
), inputs=("Linkage",), outputs=("Out",), input_kinds=("dict",), output_kinds=("dict",))
def inconsistent(linkage_out: dict, p: dict) -> dict[str, Any]:
    """Inconsistency statistics of each link (scipy.cluster.hierarchy.inconsistent): mean and
    standard deviation of the link heights within depth, number of links, coefficient."""
    z = _matrix(linkage_out)
    return {"inconsistency_matrix": hierarchy.inconsistent(z, p["depth"]), "depth": p["depth"]}


@node_spec("MaxIncStat", "Hierarchical", params=(
    Param("i", "int", 3, min=0, max=3, doc="Column of the inconsistency matrix (0-3)."),
), inputs=("Linkage", "IncM"), outputs=("Out",), input_kinds=("dict", "dict"),
    output_kinds=("dict",))
def max_inc_stat(linkage_out: dict, incm: dict, p: dict) -> dict[str, Any]:
    """Maximum of column i of the inconsistency matrix over each non-singleton cluster and its
    children (scipy.cluster.hierarchy.maxRstat), a monocrit for FCluster."""
    z = _matrix(linkage_out)
    r = _inconsistency(incm, z)
    return {"monocrit": hierarchy.maxRstat(z, r, p["i"]), "source": "MaxIncStat", "i": p["i"]}


@node_spec("MaxInconsistent", "Hierarchical", params=(), inputs=("Linkage", "IncM"),
           outputs=("Out",), input_kinds=("dict", "dict"), output_kinds=("dict",))
def max_inconsistent(linkage_out: dict, incm: dict, p: dict) -> dict[str, Any]:
    """Maximum inconsistency coefficient of each non-singleton cluster and its children
    (scipy.cluster.hierarchy.maxinconsts), a monocrit for FCluster."""
    z = _matrix(linkage_out)
    return {"monocrit": hierarchy.maxinconsts(z, _inconsistency(incm, z)),
            "source": "MaxInconsistent"}


@node_spec("FCluster", "Hierarchical", params=(
    Param("threshold", "float", 1.0, min=0.0,
          doc="t of scipy.cluster.hierarchy.fcluster (a distance, inconsistency or number of "
              "clusters depending on the criterion)."),
    Param("criterion", "choice", "inconsistent", choices=CRITERIA,
          doc="How clusters are formed (see scipy.cluster.hierarchy.fcluster)."),
    Param("depth", "int", 2, min=1,
          doc="Depth of the inconsistency calculation (criterion inconsistent without IncM)."),
), inputs=("Linkage", "Data", "IncM", "Monocrit"), outputs=("Out",),
    input_kinds=("dict", "transmission", "dict", "dict"), output_kinds=("transmission",),
    optional_inputs=("IncM", "Monocrit"))
def fcluster(linkage_out: dict, t: Transmission, incm: dict | None, monocrit: dict | None,
             p: dict) -> Transmission:
    """Flat clusters from the linkage matrix (scipy.cluster.hierarchy.fcluster): the Data
    input's rows (the rows the linkage was computed from) with labels 1..k in FCLUSTER_LABELS.
    Logs ``fcluster``: threshold, criterion, depth, linkage_params, linkage_matrix (and the
    inconsistency matrix / monocrit when connected)."""
    z = _matrix(linkage_out)
    if not isinstance(t, Transmission):
        raise TransmissionError("FCluster: the Data input must be a Transmission.")
    n = z.shape[0] + 1
    if len(t.df) != n:
        raise TransmissionError(
            f"FCluster: the Data input has {len(t.df)} rows but the linkage matrix was computed "
            f"from {n}; connect the Transmission given to the Linkage node.")
    blocks = linkage_out.get("data_blocks")
    if blocks is not None and BLOCK_COLUMN in t.df.columns and \
            t.df[BLOCK_COLUMN].astype(str).tolist() != list(blocks):
        raise TransmissionError(
            "FCluster: the Data input's rows are not the rows the linkage was computed from; "
            "connect the Transmission given to the Linkage node.")
    criterion = p["criterion"]
    kwargs: dict[str, Any] = {}
    record: dict[str, Any] = {"threshold": p["threshold"], "criterion": criterion,
                              "depth": p["depth"]}
    if criterion in ("monocrit", "maxclust_monocrit"):
        if monocrit is None:
            raise ParameterError(
                f"FCluster: parameter 'criterion' {criterion} needs the Monocrit input "
                "(MaxIncStat or MaxInconsistent).")
        if not isinstance(monocrit, dict) or "monocrit" not in monocrit:
            raise TransmissionError(
                "The Monocrit input must be the output of MaxIncStat or MaxInconsistent.")
        kwargs["monocrit"] = np.asarray(monocrit["monocrit"], dtype=np.float64)
        record["monocrit"] = kwargs["monocrit"]
    if criterion == "maxclust" or criterion == "maxclust_monocrit":
        if p["threshold"] < 1 or p["threshold"] != int(p["threshold"]):
            raise ParameterError(
                f"FCluster: parameter 'threshold' must be a whole number of clusters >= 1 for "
                f"criterion {criterion}, got {p['threshold']}.")
    if criterion == "inconsistent" and incm is not None:
        kwargs["R"] = _inconsistency(incm, z)
        record["inconsistency_matrix"] = kwargs["R"]
    labels = hierarchy.fcluster(z, p["threshold"], criterion=criterion, depth=p["depth"],
                                **kwargs)
    record["linkage_params"] = dict(linkage_out.get("linkage_params", {}))
    record["linkage_matrix"] = z
    df = t.df.copy()
    df[FCLUSTER_COLUMN] = labels.astype(np.int64)
    trace = t.history_trace.copy()
    present = set(df[BLOCK_COLUMN].astype(str)) if BLOCK_COLUMN in df.columns else set()
    for block in trace.data_blocks:
        if block in present:
            trace.add_operation(block, "fcluster", record)
    return t.with_df(df, trace, last_output=FCLUSTER_COLUMN)
