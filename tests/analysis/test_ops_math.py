"""Math operations against numpy / scipy references applied curve by curve or group by group."""
import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mesmerize.analysis import Transmission, get_operation
from mesmerize.analysis.tvdiff import tv_diff
from mesmerize.core.errors import ParameterError
from tests.analysis.ops_helpers import cells, make_t

TOL = dict(rtol=1e-10, atol=1e-12)


def op(name, t, **params):
    return get_operation(name)(t, **params)


def test_derivative_matches_gradient_with_ragged_rows():
    t = make_t(lengths=[30, 30, 12, 2])
    out = op("Derivative", t, data_column="_RAW_CURVE")
    for x, y in zip(cells(t, "_RAW_CURVE"), cells(out, "_DERIVATIVE")):
        np.testing.assert_allclose(y, np.gradient(x), **TOL)
    with pytest.raises(ParameterError, match="shorter than 2"):
        op("Derivative", make_t(lengths=[5, 1]), data_column="_RAW_CURVE")


def dense_tvdiff(f, iterations, alpha, dx, ep, scale):
    """Chartrand's iteration with explicit matrices and exact linear solves (one curve)."""
    n = f.size
    if scale == "large":
        a = np.tril(np.ones((n, n)))
        d = (np.eye(n, k=1) - np.eye(n)) / dx
        d[-1, :] = 0.0
        f = f - f[0]
        u = np.concatenate([[0.0], np.diff(f)])
        for _ in range(iterations):
            lap = d.T @ np.diag(1 / np.sqrt((d @ u) ** 2 + ep)) @ d
            g = a.T @ (a @ u) - a.T @ f + alpha * lap @ u
            u = u + np.linalg.solve(alpha * lap + a.T @ a, -g)
        return u / dx
    d = (np.eye(n, n + 1, k=1) - np.eye(n, n + 1)) / dx
    a = np.zeros((n, n + 1))
    for k in range(1, n + 1):
        a[k - 1, :k + 1] = dx
        a[k - 1, 0] = a[k - 1, k] = 0.5 * dx
    u = np.concatenate([[0.0], np.diff(f), [0.0]])
    for _ in range(iterations):
        lap = dx * d.T @ np.diag(1 / np.sqrt((d @ u) ** 2 + ep)) @ d
        g = a.T @ (a @ u) + a.T @ (f[0] - f) + alpha * lap @ u
        u = u - np.linalg.solve(alpha * lap + a.T @ a, g)
    return u


@pytest.mark.parametrize("scale", ["large", "small"])
def test_tvdiff_batched_cg_matches_dense_exact_solves(scale):
    rng = np.random.default_rng(1)
    x = np.linspace(0, 1, 40)
    f = np.stack([np.abs(x - 0.5) + rng.normal(0, 0.02, 40), np.sin(6 * x), x ** 2])
    got = tv_diff(f, iterations=8, alpha=0.05, dx=0.025, ep=1e-2, scale=scale,
                  tol=1e-13, maxiter=4000)
    for row, g in zip(f, got):
        ref = dense_tvdiff(row, 8, 0.05, 0.025, 1e-2, scale)
        np.testing.assert_allclose(g, ref, rtol=1e-6, atol=1e-6 * np.abs(ref).max())
    assert got.shape == (3, 41 if scale == "small" else 40)


def test_tvdiff_recovers_the_step_in_a_kinked_signal():
    rng = np.random.default_rng(2)
    n = 200
    dx = 1.0 / n
    x = np.arange(n) * dx
    truth = np.where(x < 0.5, 1.0, -1.0)
    f = np.where(x < 0.5, x, 1 - x) + rng.normal(0, 0.01, n)
    u = tv_diff(f, iterations=30, alpha=1e-3, dx=dx, ep=1e-6, scale="large")
    inner = slice(10, n - 10)
    tv_error = np.median(np.abs(u[inner] - truth[inner]))
    fd_error = np.median(np.abs(np.gradient(f, dx)[inner] - truth[inner]))
    assert tv_error < 0.2 and tv_error < fd_error / 5


def test_tvdiff_operation_uses_its_parameters():
    t = make_t(n=3, length=30)
    out = op("TVDiff", t, data_column="_RAW_CURVE", iterations=3, alpha=0.2, dx=0.1, ep=0.05)
    ref = tv_diff(np.stack(cells(t, "_RAW_CURVE")), iterations=3, alpha=0.2, dx=0.1, ep=0.05)
    np.testing.assert_allclose(np.stack(cells(out, "_TVDIFF")), ref, **TOL)
    small = op("TVDiff", t, data_column="_RAW_CURVE", iterations=2, scale="small")
    assert small.df._TVDIFF[0].shape == (31,)


@pytest.mark.filterwarnings("ignore:invalid value encountered in power")
def test_power_abs_and_log_transforms():
    t = make_t(lengths=[20, 20, 9])
    t.df.at[0, "_RAW_CURVE"] = t.df._RAW_CURVE[0] - 2.0
    xs = cells(t, "_RAW_CURVE")
    for x, y in zip(xs, cells(op("XpowerY", t, data_column="_RAW_CURVE", Y=1.5), "_X_POWER_Y")):
        np.testing.assert_allclose(y, np.power(x, 1.5), equal_nan=True, **TOL)
    for x, y in zip(xs, cells(op("AbsoluteValue", t, data_column="_RAW_CURVE"), "_ABSOLUTE_VALUE")):
        np.testing.assert_array_equal(y, np.abs(x))
    refs = {"log10": np.log10, "ln": np.log,
            "modlog10": lambda v: np.sign(v) * np.log10(np.abs(v) + 1),
            "modln": lambda v: np.sign(v) * np.log(np.abs(v) + 1)}
    with np.errstate(invalid="ignore"):
        for name, ref in refs.items():
            out = op("LogTransform", t, data_column="_RAW_CURVE", transform=name)
            for x, y in zip(xs, cells(out, "_LOG_TRANSFORM")):
                np.testing.assert_allclose(y, ref(x), equal_nan=True, **TOL)
    complex_t = make_t(n=2, length=8)
    complex_t.df["_C"] = [np.exp(1j * np.arange(8.0)) * 3, np.arange(8) + 4j]
    out = op("AbsoluteValue", complex_t, data_column="_C")
    np.testing.assert_allclose(out.df._ABSOLUTE_VALUE[0], np.full(8, 3.0), **TOL)
    np.testing.assert_allclose(out.df._ABSOLUTE_VALUE[1], np.hypot(np.arange(8), 4), **TOL)


FUNCTIONS = ["amin", "amax", "nanmin", "nanmax", "ptp", "median", "mean", "std", "var",
             "nanmedian", "nanmean", "nanstd", "nanvar"]


@pytest.mark.parametrize("function", FUNCTIONS)
def test_array_stats_per_row(function):
    t = make_t(lengths=[25, 25, 10, 25])
    t.df.at[3, "_RAW_CURVE"] = np.where(np.arange(25) == 4, np.nan, t.df._RAW_CURVE[3])
    out = op("ArrayStats", t, data_column="_RAW_CURVE", function=function, output_col="stat")
    ref_func = {"amin": np.min, "amax": np.max}.get(function) or getattr(np, function)
    with np.errstate(invalid="ignore"):
        ref = [ref_func(x) for x in cells(t, "_RAW_CURVE")]
    np.testing.assert_allclose(out.df._STAT.to_numpy(), ref, equal_nan=True, **TOL)
    assert out.last_output == "_STAT"


def test_array_stats_group_by_and_secondary():
    animals = ["a1", "a1", "a2", "a2", "a1", "a2"]
    cell = ["x", "y", "x", "x", "x", "y"]
    t = make_t(n=6, length=15, animal=animals, cell=cell)
    out = op("ArrayStats", t, data_column="_RAW_CURVE", function="mean", group_by="animal",
             group_by_sec="cell", output_col="_mean_curve")
    expected = t.df.groupby(["animal", "cell"], sort=False)
    assert len(out.df) == expected.ngroups == 4
    for _, row in out.df.iterrows():
        members = t.df[(t.df.animal == row.animal) & (t.df.cell == row.cell)]
        np.testing.assert_allclose(row._MEAN_CURVE, np.mean(np.stack(members._RAW_CURVE), axis=0),
                                   **TOL)
        assert row.SampleID if "SampleID" in row else True
    one = op("ArrayStats", t, data_column="_RAW_CURVE", function="nanmax", group_by="animal",
             output_col="m")
    assert list(one.df.animal) == ["a1", "a2"]
    params = one.history_trace.get_operation_params(t.df._BLOCK_[0], "array_stats")
    assert params["output_column"] == "_M" and params["group_by"] == "animal"
    with pytest.raises(ParameterError, match="'group_by_sec' needs group_by"):
        op("ArrayStats", t, data_column="_RAW_CURVE", group_by_sec="cell", output_col="m")
    with pytest.raises(ParameterError, match="'output_col' must be a non-empty"):
        op("ArrayStats", t, data_column="_RAW_CURVE", output_col=" ")
    ragged = make_t(lengths=[10, 12], animal=["a", "a"])
    with pytest.raises(ParameterError, match="SpliceArrays"):
        op("ArrayStats", ragged, data_column="_RAW_CURVE", group_by="animal", output_col="m")


def test_arg_group_stat():
    df = pd.DataFrame({"_PEAK": [1.0, 5.0, np.nan, 2.0, 7.0, np.nan],
                       "cell": ["a", "a", "b", "b", "a", "c"],
                       "name": ["r0", "r1", "r2", "r3", "r4", "r5"]})
    t = Transmission.from_dataframe(df)
    hi = op("ArgGroupStat", t, data_column="_PEAK", group_by="cell", return_col="name", stat="max")
    assert dict(zip(hi.df.cell, hi.df.ARG_STAT)) == {"a": "r4", "b": "r3"}
    lo = op("ArgGroupStat", t, data_column="_PEAK", group_by="cell", return_col="name", stat="min")
    assert dict(zip(lo.df.cell, lo.df.ARG_STAT)) == {"a": "r0", "b": "r3"}
    with pytest.raises(ParameterError, match="single numbers"):
        op("ArgGroupStat", t, data_column="name", group_by="cell", return_col="name")


def test_zscore_per_group_matches_scipy_and_keeps_row_order():
    groups = ["g1", "g2", "g1", "g2", "g2", "g1"]
    t = make_t(n=6, length=30, group=groups)
    out = op("ZScore", t, data_column="_RAW_CURVE", group_by="group")
    assert list(out.df.group) == groups
    for g in ("g1", "g2"):
        rows = [i for i, v in enumerate(groups) if v == g]
        ref = stats.zscore(np.stack([t.df._RAW_CURVE[i] for i in rows]), axis=None)
        np.testing.assert_allclose(np.stack([out.df._ZSCORE[i] for i in rows]), ref, **TOL)
    whole = op("ZScore", t, data_column="_RAW_CURVE")
    np.testing.assert_allclose(np.stack(cells(whole, "_ZSCORE")),
                               stats.zscore(np.stack(cells(t, "_RAW_CURVE")), axis=None), **TOL)


def test_zscore_ragged_and_nan():
    t = make_t(lengths=[10, 14, 10], group=["a", "a", "b"])
    t.df.at[2, "_RAW_CURVE"] = np.where(np.arange(10) == 0, np.nan, t.df._RAW_CURVE[2])
    out = op("ZScore", t, data_column="_RAW_CURVE", group_by="group")
    joined = np.concatenate([t.df._RAW_CURVE[0], t.df._RAW_CURVE[1]])
    z = stats.zscore(joined)
    np.testing.assert_allclose(out.df._ZSCORE[0], z[:10], **TOL)
    np.testing.assert_allclose(out.df._ZSCORE[1], z[10:], **TOL)
    assert np.isnan(out.df._ZSCORE[2]).all()


def test_lin_regress_matches_scipy():
    t = make_t(lengths=[30, 30, 7, 2, 3])
    t.df.at[2, "_RAW_CURVE"] = np.full(7, 1.5)
    out = op("LinRegress", t, data_column="_RAW_CURVE")
    for i, y in enumerate(cells(t, "_RAW_CURVE")):
        ref = stats.linregress(np.arange(y.size), y)
        got = out.df.loc[i, ["_SLOPE", "_INTERCEPT", "_R-VALUE", "_P-VALUE", "_STDERR"]]
        np.testing.assert_allclose(got.to_numpy(dtype=float),
                                   [ref.slope, ref.intercept, ref.rvalue, ref.pvalue, ref.stderr],
                                   rtol=1e-9, atol=1e-12)
    assert out.last_output == t.last_output
