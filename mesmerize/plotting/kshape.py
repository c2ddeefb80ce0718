"""k-Shape clustering for the KShape plot, and the data/figures it shows (no Qt).

``fit_kshape`` runs the registered KShape operation (``mesmerize.analysis.ops.clustering``:
tslearn.clustering.KShape trained on a random ``train_subset`` of the curves, then predicting
every curve) and returns its labels, centroids and training rows. The other functions prepare
what the plot draws: curves z-normalised per row (the shapes k-Shape compares), a random
sample of one cluster's curves, and per-cluster means with an error band, aligned at the
array start ("zero") or at each curve's maximum ("maxima").

Error bands: ``"ci"`` is a t-based confidence interval of the mean at each x
(mean ± t(1 - (1 - confidence)/2, n - 1) · SD / sqrt(n), SD with ddof=1); ``"sd"`` is mean ± SD
(ddof=1); ``"none"`` draws the mean only. Where fewer than two curves cover an x, the band is NaN.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from mesmerize.analysis.arrays import stack_column
from mesmerize.analysis.registry import get_operation
from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import ParameterError
from mesmerize.plotting.utils import get_colormap

LABEL_COLUMN = "KSHAPE_CLUSTER"
ALIGNMENTS = ("zero", "maxima")
ERROR_BANDS = ("ci", "sd", "none")
GRID_COLUMNS = 3
HISTORY_NAME = "kshape"


@dataclass
class KShapeResult:
    """A trained k-Shape model's output.

    ``labels``: ``(n_rows,)`` int64 cluster of every input row; ``cluster_centers``:
    ``(n_clusters, n_samples)`` float64 centroids; ``training_rows``: sorted ``(n_train,)``
    int64 row positions used for training; ``inertia``: the model's inertia; ``params``: the
    KShape parameters used (``data_column``, ``n_clusters``, ``max_iter``, ``tol``, ``n_init``,
    ``random_state``, ``train_subset``).
    """

    labels: np.ndarray
    cluster_centers: np.ndarray
    training_rows: np.ndarray
    inertia: float
    params: dict[str, Any]

    @property
    def n_clusters(self) -> int:
        return int(self.cluster_centers.shape[0])

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The numeric arrays to save in a ``.ptrn`` file (see ``from_arrays``)."""
        return {"labels": self.labels, "cluster_centers": self.cluster_centers,
                "training_rows": self.training_rows, "inertia": np.array(self.inertia)}

    @classmethod
    def from_arrays(cls, arrays: dict[str, np.ndarray], params: dict[str, Any],
                    n_rows: int) -> "KShapeResult":
        """Rebuild a result saved with ``to_arrays``; ``ParameterError`` when arrays are
        missing or do not fit ``n_rows`` input rows and ``params['n_clusters']``."""
        missing = sorted({"labels", "cluster_centers", "training_rows", "inertia"} - set(arrays))
        if missing:
            raise ParameterError(f"KShape: the saved plot lacks the arrays {missing}; save it "
                                 "again after training.")
        labels = np.asarray(arrays["labels"], dtype=np.int64)
        centers = np.asarray(arrays["cluster_centers"], dtype=np.float64)
        if labels.shape != (n_rows,) or centers.ndim != 2 \
                or centers.shape[0] != params.get("n_clusters") \
                or (labels.size and (labels.min() < 0 or labels.max() >= centers.shape[0])):
            raise ParameterError(
                f"KShape: the saved labels {labels.shape} and cluster centres {centers.shape} "
                f"do not match the {n_rows} saved input rows and n_clusters "
                f"{params.get('n_clusters')}; the file is inconsistent.")
        return cls(labels=labels, cluster_centers=centers,
                   training_rows=np.asarray(arrays["training_rows"], dtype=np.int64),
                   inertia=float(arrays["inertia"]), params=dict(params))


def fit_kshape(t: Transmission, data_column: str, n_clusters: int = 3, max_iter: int = 100,
               tol: float = 1e-6, n_init: int = 1, random_state: int | None = None,
               train_subset: float = 1.0) -> KShapeResult:
    """Train k-Shape on a random ``train_subset`` fraction of the ``data_column`` curves (at
    least ``n_clusters`` of them, drawn with ``random_state``) and predict every curve's cluster.

    Runs the flowchart's KShape operation, so the result is the one the KShape node gives for
    the same parameters. ``ParameterError`` for bad parameters, an empty input, unequal array
    lengths or NaN in the data.
    """
    if len(t.df) == 0:
        raise ParameterError("KShape: the input has no rows; nothing to cluster.")
    params = {"data_column": data_column, "n_clusters": n_clusters, "max_iter": max_iter,
              "tol": tol, "n_init": n_init, "random_state": random_state,
              "train_subset": train_subset}
    out = get_operation("KShape")(t, params=params)
    block = out.df["_BLOCK_"].astype(str).iloc[0]
    record = out.history_trace.get_data_block_history(block)[-1][HISTORY_NAME]
    return KShapeResult(labels=out.df[LABEL_COLUMN].to_numpy(dtype=np.int64),
                        cluster_centers=np.asarray(record["cluster_centers"], dtype=np.float64),
                        training_rows=np.asarray(record["training_rows"], dtype=np.int64),
                        inertia=float(record["inertia"]), params=params)


def with_cluster_labels(t: Transmission, labels: np.ndarray) -> Transmission:
    """A copy of ``t`` with the ``(n_rows,)`` cluster labels in the ``KSHAPE_CLUSTER`` column."""
    labels = np.asarray(labels, dtype=np.int64)
    if labels.shape != (len(t.df),):
        raise ParameterError(f"KShape: {labels.size} labels for {len(t.df)} input rows; train "
                             "again on the current input.")
    return t.with_df(t.df.assign(**{LABEL_COLUMN: labels}))


def curves_matrix(df: pd.DataFrame, data_column: str) -> np.ndarray:
    """``(n_rows, n_samples)`` float64 stack of ``data_column`` (equal-length arrays)."""
    return stack_column(df, data_column, "data_column", dtype=np.float64)


def zscore_curves(curves: np.ndarray) -> np.ndarray:
    """Each row of ``(n, T)`` ``curves`` minus its mean, divided by its SD (ddof=0); constant
    rows become zeros. This is the normalisation k-Shape compares shapes under."""
    curves = np.asarray(curves, dtype=np.float64)
    centred = curves - curves.mean(axis=1, keepdims=True)
    sd = curves.std(axis=1, keepdims=True)
    return np.divide(centred, sd, out=np.zeros_like(centred), where=sd > 0)


def means_grid_shape(n_clusters: int) -> tuple[int, int]:
    """``(nrows, ncols)`` of the means plot grid: up to 3 columns, as many rows as needed
    (12 clusters -> 4 x 3)."""
    if n_clusters < 1:
        raise ParameterError(f"KShape: n_clusters must be >= 1, got {n_clusters}.")
    ncols = min(GRID_COLUMNS, n_clusters)
    return math.ceil(n_clusters / ncols), ncols


def cluster_colors(n_clusters: int) -> list[tuple[float, float, float, float]]:
    """One matplotlib RGBA colour per cluster (tab10, tab20 or a continuous map beyond 20)."""
    cmap = "tab10" if n_clusters <= 10 else "tab20" if n_clusters <= 20 else "nipy_spectral"
    colours = get_colormap(range(n_clusters), cmap, "mpl")
    return [colours[i] for i in range(n_clusters)]


def sample_cluster_rows(labels: np.ndarray, cluster: int, max_curves: int,
                        seed: int | None = None) -> np.ndarray:
    """Sorted row positions of at most ``max_curves`` members of ``cluster``, drawn at random
    without replacement (all members when there are fewer)."""
    if max_curves < 1:
        raise ParameterError(f"KShape: max num curves must be >= 1, got {max_curves}.")
    members = np.flatnonzero(np.asarray(labels) == cluster)
    if members.size <= max_curves:
        return members
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(members, size=max_curves, replace=False))


def align_curves(curves: np.ndarray, align: str = "zero") -> tuple[np.ndarray, np.ndarray]:
    """``(x, aligned)``: ``aligned`` ``(n, L)`` float64 holds each curve of ``(n, T)``
    ``curves`` placed so that x = 0 is its first sample (``"zero"``, L = T) or its maximum
    (``"maxima"``); NaN where a curve does not reach. ``x``: ``(L,)`` int64 positions in
    samples."""
    if align not in ALIGNMENTS:
        raise ParameterError(f"KShape: 'set x = 0 at' must be one of {ALIGNMENTS}, got "
                             f"{align!r}.")
    curves = np.asarray(curves, dtype=np.float64)
    n, length = curves.shape
    if align == "zero" or n == 0:
        return np.arange(length, dtype=np.int64), curves.copy()
    peaks = np.argmax(curves, axis=1)
    lead = int(peaks.max())
    width = lead + length - int(peaks.min())
    aligned = np.full((n, width), np.nan)
    cols = np.arange(length)[None, :] + (lead - peaks)[:, None]
    aligned[np.arange(n)[:, None], cols] = curves
    return np.arange(-lead, width - lead, dtype=np.int64), aligned


@dataclass
class MeanBand:
    """A cluster's mean curve: ``x`` ``(L,)`` positions (samples), ``mean``, ``low``,
    ``high`` (band limits, NaN without a band) and ``count`` (curves covering each x), all
    ``(L,)``."""

    x: np.ndarray
    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    count: np.ndarray


def mean_band(curves: np.ndarray, align: str = "zero", error_band: str = "ci",
              confidence: float = 0.95) -> MeanBand:
    """Mean of ``(n, T)`` ``curves`` at each x after ``align_curves``, with a t-based CI
    (``"ci"``), ± SD (``"sd"``, ddof=1) or no band (``"none"``)."""
    if error_band not in ERROR_BANDS:
        raise ParameterError(f"KShape: error band must be one of {ERROR_BANDS}, got "
                             f"{error_band!r}.")
    if not 0.0 < confidence < 1.0:
        raise ParameterError(f"KShape: confidence must be within 0 and 1, got {confidence}.")
    x, aligned = align_curves(curves, align)
    count = np.sum(~np.isnan(aligned), axis=0)
    if aligned.shape[0] == 0:
        empty = np.full(x.shape, np.nan)
        return MeanBand(x, empty, empty.copy(), empty.copy(), count)
    total = np.nansum(aligned, axis=0)
    mean = np.divide(total, count, out=np.full(x.shape, np.nan), where=count > 0)
    half = np.full(x.shape, np.nan)
    if error_band != "none":
        many = count > 1
        sq = np.nansum((aligned - mean) ** 2, axis=0)
        sd = np.sqrt(np.divide(sq, count - 1, out=np.full(x.shape, np.nan), where=many))
        if error_band == "sd":
            half = sd
        else:
            t_crit = stats.t.ppf(0.5 + confidence / 2.0, np.maximum(count - 1, 1))
            half = np.where(many, t_crit * sd / np.sqrt(np.maximum(count, 1)), np.nan)
    return MeanBand(x, mean, mean - half, mean + half, count)


def draw_cluster_means(axs: np.ndarray, curves: np.ndarray, labels: np.ndarray,
                       n_clusters: int, align: str = "zero", error_band: str = "ci") -> None:
    """Draw each cluster's mean (and band) of the ``(n, T)`` ``curves`` into the 2-D ``axs``
    grid, cluster ``i`` at row-major position ``i``; axes beyond ``n_clusters`` are hidden."""
    colours = cluster_colors(n_clusters)
    labels = np.asarray(labels)
    for i, ax in enumerate(np.asarray(axs).ravel()):
        if i >= n_clusters:
            ax.set_visible(False)
            continue
        members = curves[labels == i]
        ax.set_title(f"cluster {i} (n={members.shape[0]})" if members.shape[0]
                     else f"cluster {i}, EMPTY", fontsize=9)
        ax.tick_params(labelsize=7)
        if members.shape[0] == 0:
            continue
        band = mean_band(members, align, error_band)
        ax.plot(band.x, band.mean, color=colours[i], linewidth=1.2)
        if error_band != "none":
            ax.fill_between(band.x, band.low, band.high, color=colours[i], alpha=0.3,
                            linewidth=0)


def draw_cluster_sample(ax: Any, curves: np.ndarray, labels: np.ndarray, cluster: int,
                        max_curves: int, centers: np.ndarray | None = None,
                        seed: int | None = None) -> np.ndarray:
    """Draw a random sample (at most ``max_curves``) of ``cluster``'s rows of ``curves`` in
    thin grey lines, and its centroid from ``centers`` ``(n_clusters, T)`` in red when given.
    Returns the sampled row positions."""
    rows = sample_cluster_rows(labels, cluster, max_curves, seed)
    x = np.arange(curves.shape[1])
    if rows.size:
        ax.plot(x, curves[rows].T, color="k", alpha=0.25, linewidth=0.7)
    if centers is not None:
        ax.plot(np.arange(centers.shape[1]), centers[cluster], color="r", linewidth=1.5,
                label="centroid")
    ax.set_title(f"cluster {cluster}: {rows.size} of {int(np.sum(labels == cluster))} curves",
                 fontsize=9)
    ax.set_xlabel("sample", fontsize=8)
    ax.set_ylabel("z-score", fontsize=8)
    ax.tick_params(labelsize=7)
    return rows
