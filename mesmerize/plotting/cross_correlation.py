"""Normalized cross-correlation of all pairs of curves of a sample (guide: "Cross Correlation").

The normalized cross-correlation function (CCF) of two curves ``x`` and ``y`` of ``T`` samples is
the one of ``tslearn.metrics.cycc.normalized_cc``::

    ccf[k] = sum_t x[t + tau] * y[t] / (|x| * |y|),   tau = k - (T - 1),  k = 0 .. 2T - 2

(no mean subtraction; choose a pre-normalization for that). Its global maximum gives the
*maxima matrix* entry and the lag ``tau`` (in seconds) of that maximum the *lag matrix* entry.
A positive lag means curve ``x`` follows ``y``: ``x(t) ~ y(t - lag)``.

``draw_matrix`` draws the thresholded lag or maxima matrix as a heatmap and ``draw_pair`` the
two curves of a cell, their CCF and their ROIs (used by the Cross Correlation window).

All ``n (n + 1) / 2`` pairs are computed at once with real FFTs of the whole ``(n, T)`` stack,
in chunks of pairs so that memory stays bounded; the full ``(n, n, 2T - 1)`` array of CCFs is
never held (a single pair's CCF is recomputed with ``normalized_ccf`` when needed).
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Hashable, Mapping, Sequence

import matplotlib
import numpy as np
import pandas as pd
import scipy.fft
from matplotlib.axes import Axes
from matplotlib.image import AxesImage
from matplotlib.patches import Polygon

from mesmerize.analysis.arrays import require_column, stack_column
from mesmerize.analysis.sampling import row_sampling_rates
from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import ParameterError

#: Pre-normalizations of the curves: none, 0 - 1 (as the Normalize node), z-score.
PRE_NORMALIZATIONS = ("none", "0-1", "zscore")
MATRIX_KINDS = ("lag", "maxima")
#: Heatmap colormaps (no white in them: white marks pairs under a threshold).
MATRIX_CMAPS = {"lag": "turbo", "maxima": "viridis"}
#: Colours of Curve 1 and Curve 2 in the pair plots.
PAIR_COLOURS = ("tab:red", "tab:cyan")
MAX_TICKS = 20
SAMPLE_COLUMN = "SampleID"
#: A curve whose norm is below this is a zero curve: its CCFs are undefined.
_MIN_NORM = 1e-9
#: Pairs per FFT chunk: small enough for the work arrays to stay in the CPU cache.
_PAIRS_PER_CHUNK = 32
_FFT_DTYPES = {"single": np.float32, "double": np.float64}


def pre_normalize(curves: np.ndarray, method: str) -> np.ndarray:
    """``(n, T)`` float64 copy of ``curves`` normalized per curve.

    ``"none"``: unchanged; ``"0-1"``: ``(x - min) / (max - min)`` (constant curves become 0);
    ``"zscore"``: ``(x - mean) / std`` with ``ddof=0`` (constant curves become 0).
    """
    if method not in PRE_NORMALIZATIONS:
        raise ParameterError(f"pre_normalization must be one of {PRE_NORMALIZATIONS}, got "
                             f"{method!r}.")
    out = np.array(curves, dtype=np.float64)
    if method == "0-1":
        low = out.min(axis=1, keepdims=True)
        span = out.max(axis=1, keepdims=True) - low
        out -= low
        np.divide(out, span, out=out, where=span > 0)
    elif method == "zscore":
        out -= out.mean(axis=1, keepdims=True)
        sd = out.std(axis=1, keepdims=True)
        np.divide(out, sd, out=out, where=sd > 0)
    return out


def normalized_ccf(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """``(2T - 1,)`` normalized CCF of the ``(T,)`` curves ``x`` and ``y`` (module docstring);
    all zeros when either curve is zero."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape or x.size == 0:
        raise ParameterError(f"normalized_ccf needs two 1-D curves of one length, got shapes "
                             f"{x.shape} and {y.shape}.")
    n = x.size
    nfft = scipy.fft.next_fast_len(2 * n - 1, real=True)
    norm_x, norm_y = np.linalg.norm(x), np.linalg.norm(y)
    if min(norm_x, norm_y) < _MIN_NORM:
        return np.zeros(2 * n - 1)
    cc = np.fft.irfft(np.fft.rfft(x, nfft) * np.conj(np.fft.rfft(y, nfft)), nfft)
    return np.concatenate((cc[nfft - n + 1:], cc[:n])) / (norm_x * norm_y)


def lag_axis(n_frames: int, sampling_rate: float) -> np.ndarray:
    """``(2 * n_frames - 1,)`` lags in seconds of the samples of a CCF."""
    return np.arange(-(n_frames - 1), n_frames) / float(sampling_rate)


def _check_curves(curves: np.ndarray) -> np.ndarray:
    curves = np.asarray(curves)
    if curves.ndim != 2 or curves.shape[1] < 1 or curves.dtype.kind not in "biuf":
        raise ParameterError(f"Cross-correlation needs a 2-D (n_curves, n_frames) numeric "
                             f"array, got shape {curves.shape} of {curves.dtype}.")
    bad = np.flatnonzero(~np.isfinite(curves).all(axis=1))
    if bad.size:
        raise ParameterError(f"Curve(s) {bad[:10].tolist()} contain NaN or infinite values; "
                             "cross-correlation needs finite curves (check the data column, "
                             "e.g. a 0-1 Normalize of a constant curve gives NaNs).")
    return curves


def ccf_maxima(curves: np.ndarray, precision: str = "single",
               workers: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Lag (frames) and value of the global maximum of the CCF of every pair of curves.

    ``curves``: ``(n, T)``. Returns ``(lags, maxima)``, both ``(n, n)`` float64, entry
    ``[i, j]`` for ``normalized_ccf(curves[i], curves[j])``; ``lags[j, i] = -lags[i, j]``. Of
    equal maxima the first (most negative lag) is taken for ``i >= j``. Pairs with a zero curve
    are NaN.
    ``precision``: ``"single"`` (float32 FFTs, about twice as fast, maxima within ~1e-6) or
    ``"double"`` (float64, agrees with tslearn to ~1e-12). ``workers``: threads sharing the
    rows (numpy's FFTs release the GIL).
    """
    if precision not in _FFT_DTYPES:
        raise ParameterError(f"precision must be one of {tuple(_FFT_DTYPES)}, got "
                             f"{precision!r}.")
    if not isinstance(workers, int) or workers < 1:
        raise ParameterError(f"workers must be an int >= 1, got {workers!r}.")
    curves = _check_curves(curves)
    n, t = curves.shape
    lags = np.full((n, n), np.nan)
    maxima = np.full((n, n), np.nan)
    norms = np.linalg.norm(curves.astype(np.float64), axis=1)
    defined = norms >= _MIN_NORM
    rows = np.flatnonzero(defined)
    if rows.size == 0:
        return lags, maxima
    nfft = scipy.fft.next_fast_len(2 * t - 1, real=True)
    unit = curves / np.where(defined, norms, 1.0)[:, None]
    spectra = np.fft.rfft(unit.astype(_FFT_DTYPES[precision], copy=False), nfft, axis=1)

    def run(part: np.ndarray) -> None:
        _pairs_of_rows(spectra, part, rows, t, nfft, lags, maxima)

    # Row i pairs with the n - i rows j >= i: dealing rows out in turn balances the threads.
    parts = [rows[k::workers] for k in range(min(workers, rows.size))]
    if len(parts) == 1:
        run(parts[0])
    else:
        with ThreadPoolExecutor(len(parts)) as pool:
            list(pool.map(run, parts))
    return lags, maxima


def _pairs_of_rows(spectra: np.ndarray, part: np.ndarray, rows: np.ndarray, t: int, nfft: int,
                   lags: np.ndarray, maxima: np.ndarray) -> None:
    """Fill ``lags``/``maxima`` for the pairs ``(i, j)``, ``i`` in ``part``, ``j`` in ``rows``
    with ``j >= i``, from the ``(n, nfft // 2 + 1)`` spectra of the unit-norm curves.

    The chunk's product ``S_j * conj(S_i)`` gives the CCFs of the pairs ``(j, i)``."""
    product = np.empty((_PAIRS_PER_CHUNK, spectra.shape[1]), spectra.dtype)
    cc = np.empty((_PAIRS_PER_CHUNK, nfft), spectra.real.dtype)
    for i in part:
        conj_i = spectra[i].conj()
        partners = rows[rows >= i]
        for start in range(0, partners.size, _PAIRS_PER_CHUNK):
            j = partners[start:start + _PAIRS_PER_CHUNK]
            m = j.size
            np.multiply(spectra[j], conj_i, out=product[:m])
            np.fft.irfft(product[:m], nfft, axis=1, out=cc[:m])
            lag, best = _first_maximum(cc[:m], t, nfft)
            lags[i, j] = 0.0 - lag  # 0.0 - 0.0 is +0.0, not -0.0
            lags[j, i] = lag
            maxima[i, j] = maxima[j, i] = best


def _first_maximum(cc: np.ndarray, t: int, nfft: int) -> tuple[np.ndarray, np.ndarray]:
    """Lag (frames) and value of the first maximum (in order of increasing lag) of each row of
    the circular correlations ``cc`` ``(m, nfft)`` of curves of ``t`` samples."""
    rows = np.arange(cc.shape[0])
    positive = cc[:, :t]  # lags 0 .. T-1
    k_pos = positive.argmax(axis=1)
    m_pos = positive[rows, k_pos].astype(np.float64)
    if t == 1:
        return k_pos.astype(np.float64), m_pos
    negative = cc[:, nfft - t + 1:]  # lags -(T-1) .. -1
    k_neg = negative.argmax(axis=1)
    m_neg = negative[rows, k_neg].astype(np.float64)
    use_neg = m_neg >= m_pos
    lag = np.where(use_neg, k_neg - (t - 1), k_pos).astype(np.float64)
    return lag, np.where(use_neg, m_neg, m_pos)


@dataclass
class CrossCorrelationData:
    """Lag and maxima matrices of the curves of one sample.

    ``lag_matrix``: ``(n, n)`` seconds; ``maxima_matrix``: ``(n, n)`` CCF maxima (-1 .. 1);
    entry ``[i, j]`` is of ``normalized_ccf(curves[i], curves[j])``. ``curves``: ``(n, T)`` the
    pre-normalized curves; ``index``: ``(n,)`` DataFrame index labels of their rows;
    ``labels``: ``(n,)`` str labels of the rows; ``sampling_rate``: Hz.
    """

    lag_matrix: np.ndarray
    maxima_matrix: np.ndarray
    curves: np.ndarray
    index: np.ndarray
    labels: np.ndarray
    sampling_rate: float

    @property
    def n_frames(self) -> int:
        return int(self.curves.shape[1])

    @property
    def max_lag(self) -> float:
        """Largest possible |lag| in seconds."""
        return (self.n_frames - 1) / self.sampling_rate

    def ccf(self, i: int, j: int) -> tuple[np.ndarray, np.ndarray]:
        """``(lags_seconds, ccf)`` of curves ``i`` and ``j``, both ``(2T - 1,)``."""
        return lag_axis(self.n_frames, self.sampling_rate), normalized_ccf(self.curves[i],
                                                                           self.curves[j])

    def time_axis(self) -> np.ndarray:
        """``(T,)`` seconds of the curve samples."""
        return np.arange(self.n_frames) / self.sampling_rate

    def threshold_matrix(self, kind: str, lag_threshold: float | None = None,
                         maxima_threshold: float | None = None,
                         absolute_lag: bool = True) -> np.ndarray:
        """The ``kind`` ("lag" or "maxima") matrix with NaN where a threshold is not met.

        A pair is kept when ``|lag| <= lag_threshold`` (``lag <= lag_threshold`` when
        ``absolute_lag`` is False) and ``maxima >= maxima_threshold``; None means no threshold.
        """
        if kind not in MATRIX_KINDS:
            raise ParameterError(f"matrix kind must be one of {MATRIX_KINDS}, got {kind!r}.")
        out = (self.lag_matrix if kind == "lag" else self.maxima_matrix).copy()
        with np.errstate(invalid="ignore"):
            if lag_threshold is not None:
                lag = np.abs(self.lag_matrix) if absolute_lag else self.lag_matrix
                out[lag > lag_threshold] = np.nan
            if maxima_threshold is not None:
                out[self.maxima_matrix < maxima_threshold] = np.nan
        return out

    def color_limits(self, kind: str, lag_threshold: float | None = None,
                     maxima_threshold: float | None = None,
                     absolute_lag: bool = True) -> tuple[float, float]:
        """``(vmin, vmax)`` of the heatmap colour scale set by the thresholds: lags within
        ``+-lag_threshold`` (from the most negative lag up to it when not ``absolute_lag``; the
        largest possible lag without threshold), maxima from ``maxima_threshold`` (or the
        smallest maximum) to 1."""
        if kind == "lag":
            step = 1.0 / self.sampling_rate
            if lag_threshold is None:
                return -self.max_lag, self.max_lag
            if absolute_lag:
                limit = max(abs(float(lag_threshold)), step)
                return -limit, limit
            top = max(float(lag_threshold), -self.max_lag + step)
            return -self.max_lag, top
        if kind != "maxima":
            raise ParameterError(f"matrix kind must be one of {MATRIX_KINDS}, got {kind!r}.")
        if maxima_threshold is None:
            finite = self.maxima_matrix[np.isfinite(self.maxima_matrix)]
            low = float(finite.min()) if finite.size else 0.0
        else:
            low = float(maxima_threshold)
        return (low, 1.0) if low < 1.0 else (low - 1e-3, low)


def compute_cross_correlation(curves: np.ndarray, sampling_rate: float,
                              pre_normalization: str = "none", index: np.ndarray | None = None,
                              labels: np.ndarray | None = None,
                              precision: str = "single", workers: int = 1) -> CrossCorrelationData:
    """Lag and maxima matrices of the ``(n, T)`` ``curves`` sampled at ``sampling_rate`` Hz."""
    if not (np.isfinite(sampling_rate) and sampling_rate > 0):
        raise ParameterError(f"sampling_rate must be > 0 Hz, got {sampling_rate!r}.")
    curves = pre_normalize(_check_curves(curves), pre_normalization)
    n = curves.shape[0]
    lags, maxima = ccf_maxima(curves, precision, workers)
    index = np.arange(n) if index is None else np.asarray(index)
    labels = np.full(n, "", dtype=str) if labels is None else np.asarray(labels).astype(str)
    if index.shape != (n,) or labels.shape != (n,):
        raise ParameterError(f"index and labels must have one entry per curve ({n}), got "
                             f"{index.shape} and {labels.shape}.")
    return CrossCorrelationData(lags / float(sampling_rate), maxima, curves, index, labels,
                                float(sampling_rate))


def sample_ids(t: Transmission) -> list[str]:
    """The SampleIDs of the Transmission in order of first appearance."""
    require_column(t.df, SAMPLE_COLUMN, "SampleID")
    return [str(s) for s in pd.unique(t.df[SAMPLE_COLUMN].astype(str))]


def sample_cross_correlation(t: Transmission, sample_id: str, data_column: str,
                             labels_column: str | None = None, pre_normalization: str = "none",
                             precision: str = "single", workers: int = 1) -> CrossCorrelationData:
    """Cross-correlation data of the rows of ``sample_id`` in ``t``: curves from
    ``data_column`` (equal lengths), labels from ``labels_column`` (None: row index), sampling
    rate from the rows' meta data or last Resample."""
    df = t.df
    require_column(df, SAMPLE_COLUMN, "SampleID")
    rows = df[SAMPLE_COLUMN].astype(str).to_numpy() == str(sample_id)
    if not rows.any():
        raise ParameterError(f"Sample {sample_id!r} is not in the input; choose one of "
                             f"{sample_ids(t)}.")
    sub = df[rows]
    curves = stack_column(sub, data_column)
    rates = row_sampling_rates(t)[rows]
    if np.ptp(rates) > 1e-6:
        raise ParameterError(f"The curves of sample {sample_id!r} have different sampling rates "
                             f"({rates.min():g} to {rates.max():g} Hz); resample them first.")
    labels = row_labels(df, sub.index, labels_column)
    return compute_cross_correlation(curves, float(rates[0]), pre_normalization,
                                     index=sub.index.to_numpy(), labels=labels,
                                     precision=precision, workers=workers)


def row_labels(df: pd.DataFrame, index: Sequence[Hashable],
               labels_column: str | None) -> np.ndarray:
    """``(n,)`` str labels of the rows ``index`` of ``df``: their ``labels_column`` values, or
    the index labels themselves when ``labels_column`` is None."""
    if labels_column is None:
        return np.asarray([str(i) for i in index])
    require_column(df, labels_column, "labels_column")
    return df.loc[list(index), labels_column].astype(str).to_numpy()


def draw_matrix(ax: Axes, data: CrossCorrelationData, kind: str,
                lag_threshold: float | None = None, maxima_threshold: float | None = None,
                absolute_lag: bool = True, labels: Sequence[str] | None = None) -> AxesImage:
    """Draw the thresholded ``kind`` matrix as a heatmap: curve 1 (``i``) along x, curve 2
    (``j``) along y, so the cell at ``(x=i, y=j)`` is entry ``[i, j]``; pairs that fail a
    threshold are white. Ticks show ``labels`` (default ``data.labels``), thinned to ~20."""
    cmap = matplotlib.colormaps[MATRIX_CMAPS[kind]].with_extremes(bad="white")
    image = ax.imshow(np.zeros(data.lag_matrix.shape), cmap=cmap, interpolation="nearest",
                      origin="upper")
    apply_thresholds(image, data, kind, lag_threshold, maxima_threshold, absolute_lag)
    labels = np.asarray(data.labels if labels is None else labels, dtype=str)
    n = labels.size
    ticks = np.arange(0, n, max(1, int(np.ceil(n / MAX_TICKS))))
    ax.set_xticks(ticks, labels[ticks], rotation=90, fontsize="small")
    ax.set_yticks(ticks, labels[ticks], fontsize="small")
    ax.set_xlabel("Curve 1")
    ax.set_ylabel("Curve 2")
    return image


def apply_thresholds(image: AxesImage, data: CrossCorrelationData, kind: str,
                     lag_threshold: float | None = None, maxima_threshold: float | None = None,
                     absolute_lag: bool = True) -> None:
    """Show the ``kind`` matrix with these thresholds in the heatmap ``image`` of
    ``draw_matrix`` (values and colour limits; call the canvas' draw afterwards)."""
    shown = data.threshold_matrix(kind, lag_threshold, maxima_threshold, absolute_lag)
    image.set_data(np.ma.masked_invalid(shown.T))
    image.set_clim(*data.color_limits(kind, lag_threshold, maxima_threshold, absolute_lag))


def draw_pair(axes: Mapping[str, Axes], data: CrossCorrelationData, i: int, j: int,
              labels: Sequence[str] | None = None, image: np.ndarray | None = None,
              outlines: tuple[np.ndarray, np.ndarray] | None = None,
              roi_problem: str = "") -> None:
    """Draw curve ``i`` (Curve 1) and curve ``j`` (Curve 2) against time, their CCF against lag
    (seconds) with its maximum marked, and their ROIs (Curve 1 red, Curve 2 cyan) on the
    sample's ``(x, y)`` projection ``image`` into ``axes["curve1"]``, ``["curve2"]``,
    ``["ccf"]`` and ``["rois"]``; ``roi_problem`` is written there when the ROIs are unknown."""
    labels = np.asarray(data.labels if labels is None else labels, dtype=str)
    time = data.time_axis()
    for number, k, colour in ((1, i, PAIR_COLOURS[0]), (2, j, PAIR_COLOURS[1])):
        ax = axes[f"curve{number}"]
        ax.plot(time, data.curves[k], color=colour, linewidth=0.8)
        row = f"row {data.index[k]}"
        name = row if labels[k] == str(data.index[k]) else f"{labels[k]} ({row})"
        ax.set_title(f"Curve {number}: {name}", fontsize="small")
        ax.set_xlim(time[0], time[-1] if time.size > 1 else time[0] + 1)
    axes["curve2"].set_xlabel("time (s)", fontsize="small")
    lags, ccf = data.ccf(i, j)
    ax = axes["ccf"]
    ax.plot(lags, ccf, color="black", linewidth=0.8)
    lag, peak = data.lag_matrix[i, j], data.maxima_matrix[i, j]
    if np.isfinite(lag):
        ax.axvline(lag, color="tab:orange", linewidth=1.0)
        ax.plot([lag], [peak], "o", color="tab:orange")
    ax.axvline(0.0, color="gray", linewidth=0.5, linestyle=":")
    ax.set_title(f"CCF: lag = {lag + 0.0:.3g} s, maximum = {peak:.3g}", fontsize="small")
    ax.set_xlabel("lag (s)", fontsize="small")
    ax = axes["rois"]
    if image is None or outlines is None:
        ax.text(0.5, 0.5, roi_problem or "ROI locations unavailable", ha="center", va="center",
                wrap=True, fontsize="small", transform=ax.transAxes)
        ax.set_axis_off()
        return
    nx, ny = image.shape
    ax.imshow(image.T, cmap="gray", origin="upper", extent=(0, nx, ny, 0),
              interpolation="nearest")
    for outline, colour, name in zip(outlines, PAIR_COLOURS, ("Curve 1", "Curve 2")):
        ax.add_patch(Polygon(outline, closed=True, fill=False, edgecolor=colour, linewidth=1.5,
                             label=name))
    ax.set_xlim(0, nx)
    ax.set_ylim(ny, 0)
    ax.set_title("ROI locations", fontsize="small")
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0,
              fontsize="x-small")
