"""Math nodes: Derivative, TVDiff, XpowerY, AbsoluteValue, LogTransform, ArrayStats,
ArgGroupStat, ZScore, LinRegress.

Array cells are 1-D arrays ``(T,)``; rows of equal length are processed as one 2-D block.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from mesmerize.analysis.arrays import array_cells, map_rows, map_rows_scalar, rows_to_cells
from mesmerize.analysis.ops.param_specs import DATA_COLUMN
from mesmerize.analysis.registry import OpResult, Param, operation
from mesmerize.analysis.transmission import Transmission
from mesmerize.analysis.tvdiff import tv_diff
from mesmerize.core.errors import ParameterError


def _with_column(t: Transmission, name: str, cells: np.ndarray) -> pd.DataFrame:
    df = t.df.copy()
    df[name] = cells
    return df


def _elementwise(t: Transmission, p: dict, output: str, func) -> OpResult:
    out = map_rows(array_cells(t.df, p["data_column"]), func)
    return OpResult(_with_column(t, output, out))


@operation("Derivative", "Math", "derivative", output_column="_DERIVATIVE", params=(DATA_COLUMN,))
def derivative(t: Transmission, p: dict) -> OpResult:
    """First derivative per sample (numpy.gradient: central differences inside, one-sided at
    the ends)."""
    cells = array_cells(t.df, p["data_column"])
    if any(a.size < 2 for a in cells):
        raise ParameterError(
            f"Derivative: data_column {p['data_column']!r} has arrays shorter than 2 samples.")
    out = map_rows(cells, lambda b: np.gradient(b, axis=1))
    return OpResult(_with_column(t, "_DERIVATIVE", out))


@operation("TVDiff", "Math", "tvdiff", output_column="_TVDIFF", params=(
    DATA_COLUMN,
    Param("iterations", "int", 100, min=1, doc="Fixed-point iterations."),
    Param("alpha", "float", 0.1, min=0.0, min_exclusive=True, doc="Regularisation weight."),
    Param("dx", "float", 0.05, min=0.0, min_exclusive=True, doc="Sample spacing."),
    Param("ep", "float", 1e-2, min=0.0, min_exclusive=True,
          doc="Smoothing of the total-variation term."),
    Param("scale", "choice", "large", choices=("large", "small"),
          doc="large: output of T samples; small: output on the T + 1 cell edges."),
))
def tvdiff(t: Transmission, p: dict) -> OpResult:
    """Total-variation regularised derivative (Chartrand 2011) of noisy, non-smooth signals."""
    cells = array_cells(t.df, p["data_column"])
    out = map_rows(cells, lambda b: tv_diff(b, iterations=p["iterations"], alpha=p["alpha"],
                                            dx=p["dx"], ep=p["ep"], scale=p["scale"]))
    return OpResult(_with_column(t, "_TVDIFF", out))


@operation("XpowerY", "Math", "x_power_y", output_column="_X_POWER_Y", params=(
    DATA_COLUMN, Param("Y", "float", 2.0, doc="Exponent."),
))
def x_power_y(t: Transmission, p: dict) -> OpResult:
    """Each element raised to the power Y (numpy.power on float64; NaN where undefined)."""
    def apply(block: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            return np.power(block.astype(np.float64), p["Y"])

    return _elementwise(t, p, "_X_POWER_Y", apply)


@operation("AbsoluteValue", "Math", "absolute_value", output_column="_ABSOLUTE_VALUE",
           params=(DATA_COLUMN,))
def absolute_value(t: Transmission, p: dict) -> OpResult:
    """Element-wise absolute value (the modulus for complex arrays)."""
    return _elementwise(t, p, "_ABSOLUTE_VALUE", np.abs)


_LOG_TRANSFORMS = {
    "log10": np.log10,
    "ln": np.log,
    "modlog10": lambda x: np.sign(x) * np.log10(np.abs(x) + 1),
    "modln": lambda x: np.sign(x) * np.log(np.abs(x) + 1),
}


@operation("LogTransform", "Math", "log_transform", output_column="_LOG_TRANSFORM", params=(
    DATA_COLUMN,
    Param("transform", "choice", "log10", choices=tuple(_LOG_TRANSFORMS),
          doc="log10, ln, modlog10 = sign(x) log10(|x| + 1), modln = sign(x) ln(|x| + 1)."),
))
def log_transform(t: Transmission, p: dict) -> OpResult:
    """Logarithmic transform; log10/ln of values <= 0 give -inf/NaN."""
    func = _LOG_TRANSFORMS[p["transform"]]

    def apply(block: np.ndarray) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return func(block.astype(np.float64))

    return _elementwise(t, p, "_LOG_TRANSFORM", apply)


_STAT_FUNCTIONS = {
    "amin": np.min, "amax": np.max, "nanmin": np.nanmin, "nanmax": np.nanmax, "ptp": np.ptp,
    "median": np.median, "mean": np.mean, "std": np.std, "var": np.var,
    "nanmedian": np.nanmedian, "nanmean": np.nanmean, "nanstd": np.nanstd, "nanvar": np.nanvar,
}
_GROUP_BY = dict(kind="column", default=None, optional=True, column_kind="categorical")


def _output_name(text: str) -> str:
    name = text.strip().upper()
    return name if name.startswith("_") else "_" + name


@operation("ArrayStats", "Math", "array_stats", params=(
    DATA_COLUMN,
    Param("function", "choice", "mean", choices=tuple(_STAT_FUNCTIONS),
          doc="numpy function applied to each array (or across the arrays of a group)."),
    Param("group_by", **_GROUP_BY, doc="Optional categorical column: one output row per group, "
                                       "the function applied across the group's arrays."),
    Param("group_by_sec", **_GROUP_BY, doc="Optional secondary categorical column."),
    Param("output_col", "str", None, doc="Output column name (made upper case, '_' prefixed)."),
))
def array_stats(t: Transmission, p: dict) -> OpResult:
    """Statistics of arrays. Without group_by: one number per row. With group_by (and
    group_by_sec): one row per group, holding the group's first row and the function applied
    across the group's equal-length arrays (e.g. the mean array)."""
    if not p["output_col"] or not p["output_col"].strip():
        raise ParameterError("ArrayStats: parameter 'output_col' must be a non-empty name.")
    if p["group_by_sec"] is not None and p["group_by"] is None:
        raise ParameterError("ArrayStats: parameter 'group_by_sec' needs group_by to be set.")
    func = _STAT_FUNCTIONS[p["function"]]
    output = _output_name(p["output_col"])
    cells = array_cells(t.df, p["data_column"])
    record = {**p, "output_column": output}
    if p["group_by"] is None:
        with np.errstate(invalid="ignore", divide="ignore"):
            values = map_rows_scalar(cells, lambda b: func(b, axis=1))
        return OpResult(_with_column(t, output, values), record=record, output=output)
    keys = [p["group_by"]] + ([p["group_by_sec"]] if p["group_by_sec"] else [])
    positions = pd.Series(np.arange(len(t.df)), index=t.df.index)
    rows, results = [], []
    for _, pos in positions.groupby([t.df[k].to_numpy() for k in keys], sort=False,
                                     dropna=False):
        idx = pos.to_numpy()
        lengths = {cells[i].size for i in idx}
        if len(lengths) > 1:
            raise ParameterError(
                f"ArrayStats: data_column {p['data_column']!r} has arrays of different lengths "
                "within a group; cut them to one length with SpliceArrays first.")
        with np.errstate(invalid="ignore", divide="ignore"):
            results.append(func(np.stack([cells[i] for i in idx]), axis=0))
        rows.append(idx[0])
    df = t.df.iloc[rows].reset_index(drop=True)
    df[output] = rows_to_cells(np.stack(results)) if results else np.empty(0, dtype=object)
    return OpResult(df, record=record, output=output)


@operation("ArgGroupStat", "Math", "arg_group_stat", output_column="ARG_STAT",
           records_units=False, params=(
               Param("data_column", "column", None, column_kind="numerical",
                     doc="Column of single numbers."),
               Param("group_by", "column", None, column_kind="categorical",
                     doc="Categorical column to group by."),
               Param("return_col", "column", None, doc="Column whose value is returned."),
               Param("stat", "choice", "max", choices=("max", "min")),
           ))
def arg_group_stat(t: Transmission, p: dict) -> OpResult:
    """For each group, the row where data_column is largest (or smallest), with the value of
    return_col copied to ARG_STAT. NaNs are ignored; groups of only NaNs give no row."""
    values = t.df[p["data_column"]]
    if not pd.api.types.is_numeric_dtype(values):
        raise ParameterError(
            f"ArgGroupStat: data_column {p['data_column']!r} must hold single numbers.")
    valid = t.df[values.notna()]
    grouped = valid.reset_index(drop=True).groupby(p["group_by"], sort=False)[p["data_column"]]
    picks = grouped.idxmax() if p["stat"] == "max" else grouped.idxmin()
    df = valid.reset_index(drop=True).iloc[picks.to_numpy()].reset_index(drop=True)
    df["ARG_STAT"] = df[p["return_col"]].to_numpy()
    return OpResult(df, record={**p, "output_column": "ARG_STAT"})


@operation("ZScore", "Math", "zscore", output_column="_ZSCORE", params=(
    DATA_COLUMN,
    Param("group_by", **_GROUP_BY, doc="Categorical column; each group is z-scored with the mean "
                                       "and standard deviation of all its values (none: all rows "
                                       "form one group)."),
))
def zscore(t: Transmission, p: dict) -> OpResult:
    """Z-score (scipy.stats.zscore with axis=None, ddof=0) of all values of each group; a
    NaN makes its whole group NaN."""
    cells = array_cells(t.df, p["data_column"])
    n = len(cells)
    if p["group_by"] is None:
        codes = np.zeros(n, dtype=np.int64)
    else:
        codes = _group_codes(t, p["group_by"], "ZScore")
    n_groups = int(codes.max()) + 1 if n else 0
    counts = np.bincount(codes, weights=[a.size for a in cells], minlength=n_groups)
    sums = np.bincount(codes, weights=map_rows_scalar(cells, lambda b: b.sum(axis=1)),
                       minlength=n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = sums / counts
    ss = map_rows_scalar(cells, lambda b, c: ((b - means[c]) ** 2).sum(axis=1), keys=codes)
    with np.errstate(invalid="ignore", divide="ignore"):
        sds = np.sqrt(np.bincount(codes, weights=ss, minlength=n_groups) / counts)
    out = map_rows(cells, lambda b, c: _standardise(b, means[c], sds[c]), keys=codes)
    return OpResult(_with_column(t, "_ZSCORE", out), record={**p, "output_column": "_ZSCORE"})


def _group_codes(t: Transmission, column: str, op: str) -> np.ndarray:
    """``(n_rows,)`` int group index of each row by the values of ``column``."""
    try:
        return pd.factorize(t.df[column], use_na_sentinel=False)[0]
    except TypeError as exc:
        message = (f"{op}: cannot group by column {column!r}: its values are not categories "
                   f"(text or numbers) ({exc}). Choose a categorical column.")
        raise ParameterError(message) from None


def _standardise(block: np.ndarray, mean: float, sd: float) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return (block - mean) / sd


_LINREGRESS_COLUMNS = ("_SLOPE", "_INTERCEPT", "_R-VALUE", "_P-VALUE", "_STDERR")


def _linregress_block(y: np.ndarray) -> np.ndarray:
    """scipy.stats.linregress(x=arange(n), y=row) for every row of ``y`` ``(m, n)``:
    ``(m, 5)`` slope, intercept, r, p, stderr."""
    n = y.shape[1]
    x = np.arange(n, dtype=np.float64)
    xm = x - x.mean()
    ym = y - y.mean(axis=1, keepdims=True)
    ssxm = (xm ** 2).sum()
    ssym = (ym ** 2).sum(axis=1)
    ssxym = ym @ xm
    slope = ssxym / ssxm
    intercept = y.mean(axis=1) - slope * x.mean()
    with np.errstate(invalid="ignore", divide="ignore"):
        r = np.clip(ssxym / np.sqrt(ssxm * ssym), -1.0, 1.0)
    r[ssym == 0] = np.nan
    if n == 2:
        p_value = np.where(y[:, 0] == y[:, 1], 1.0, 0.0)
        stderr = np.zeros(y.shape[0])
    else:
        df = n - 2
        tiny = 1e-20
        t_stat = r * np.sqrt(df / ((1.0 - r + tiny) * (1.0 + r + tiny)))
        p_value = 2 * stats.t.sf(np.abs(t_stat), df)
        with np.errstate(invalid="ignore"):
            stderr = np.sqrt((1 - r ** 2) * ssym / ssxm / df)
    return np.column_stack([slope, intercept, r, p_value, stderr])


@operation("LinRegress", "Math", "linregress", records_units=False, params=(
    Param("data_column", "column", None, column_kind="numerical",
          doc="1-D arrays: values are y, indices are x."),
))
def lin_regress(t: Transmission, p: dict) -> OpResult:
    """Linear regression of each array against its indices (as scipy.stats.linregress);
    outputs _SLOPE, _INTERCEPT, _R-VALUE, _P-VALUE, _STDERR (single numbers)."""
    cells = array_cells(t.df, p["data_column"])
    if any(a.size < 2 for a in cells):
        raise ParameterError(
            f"LinRegress: data_column {p['data_column']!r} has arrays shorter than 2 samples.")
    results = map_rows(cells, lambda b: _linregress_block(b.astype(np.float64)))
    table = np.stack(list(results)) if len(results) else np.empty((0, 5))
    df = t.df.copy()
    for j, name in enumerate(_LINREGRESS_COLUMNS):
        df[name] = table[:, j]
    return OpResult(df, keep_last_output=True)
