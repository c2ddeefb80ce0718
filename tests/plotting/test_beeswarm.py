"""mesmerize.plotting.beeswarm: tidy data, points per group, kinds, clear errors."""
from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from mesmerize.core.errors import ParameterError
from mesmerize.plotting.beeswarm import (beeswarm_data, build_beeswarm, gaussian_kde, kde_bandwidth,
                                        swarm_layout, swarm_offsets)

matplotlib.use("Agg")


def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"amp": np.r_[rng.normal(1, 0.1, 12), rng.normal(3, 0.1, 8), np.nan],
                         "cluster": ["k2"] * 12 + ["k1"] * 8 + ["k1"],
                         "arr": [np.ones(3)] * 21})


def test_tidy_data_drops_nan_and_sorts_groups():
    tidy, order = beeswarm_data(frame(), "amp", "cluster")
    assert order == ["k1", "k2"]
    assert len(tidy) == 20 and tidy["value"].notna().all()
    assert (tidy.groupby("group")["value"].size() == pd.Series({"k1": 8, "k2": 12})).all()


@pytest.mark.parametrize("kind", ["beeswarm", "both"])
def test_swarm_points_are_the_values_of_each_group(kind, tmp_path):
    fig = build_beeswarm(frame(), "amp", "cluster", kind=kind, title="amps")
    ax = fig.axes[0]
    swarms = [c for c in ax.collections if c.get_offsets().shape[0] in (8, 12)]
    assert len(swarms) == 2
    by_size = {len(c.get_offsets()): np.asarray(c.get_offsets()) for c in swarms}
    np.testing.assert_allclose(np.sort(by_size[8][:, 1]), np.sort(frame().amp[12:20]))
    np.testing.assert_allclose(np.sort(by_size[12][:, 1]), np.sort(frame().amp[:12]))
    assert np.all(np.abs(by_size[8][:, 0] - 0) < 0.5)  # k1 is the first group
    assert np.all(np.abs(by_size[12][:, 0] - 1) < 0.5)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["k1\n(n=8)", "k2\n(n=12)"]
    fig.savefig(tmp_path / f"{kind}.png")


def test_violin_only_draws_no_swarm(tmp_path):
    fig = build_beeswarm(frame(), "amp", "cluster", kind="violin")
    ax = fig.axes[0]
    assert not any(c.get_offsets().shape[0] in (8, 12) for c in ax.collections)
    assert ax.get_ylabel() == "amp"
    fig.savefig(tmp_path / "v.png")


@pytest.mark.parametrize("kwargs, match", [
    ({"data_column": "nope", "group_column": "cluster"}, "'nope' is not a column"),
    ({"data_column": "amp", "group_column": "nope"}, "group_column"),
    ({"data_column": "arr", "group_column": "cluster"}, "one number per row"),
    ({"data_column": "amp", "group_column": "cluster", "kind": "box"}, "kind must be"),
])
def test_bad_arguments_raise_parameter_error(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        build_beeswarm(frame(), **kwargs)


def test_all_nan_is_refused():
    df = pd.DataFrame({"amp": [np.nan, np.nan], "cluster": ["a", "b"]})
    with pytest.raises(ParameterError, match="no finite value"):
        build_beeswarm(df, "amp", "cluster")


# --- the interactive layout: pseudo-scatter offsets, KDE violins, real PeakFeatures input ---

def peak_features_t(n_curves: int = 6, seed: int = 0):
    """A Transmission of PeakDetect -> PeakFeatures on calcium-like curves: one row per peak
    with single-number ``_pf_*`` columns, ``_pf_uuid``, ``_pf_peak_curve`` arrays, and a
    categorical ``genotype`` (curves alternate ``wt`` / ``mut``; ``mut`` peaks are twice as
    large)."""
    from mesmerize.analysis import Transmission, get_operation
    from tests.analysis.test_ops_peaks import transients

    rng = np.random.default_rng(seed)
    curves, genotypes = [], []
    for i in range(n_curves):
        scale = 1.0 if i % 2 == 0 else 2.0
        times = [(int(p), scale * float(a)) for p, a in
                 zip(np.sort(rng.choice(np.arange(30, 370, 40), 5, replace=False)),
                     rng.uniform(0.5, 1.0, 5))]
        curves.append(transients(times, noise=0.01, seed=seed + i))
        genotypes.append("wt" if i % 2 == 0 else "mut")
    df = pd.DataFrame({"_RAW_CURVE": curves, "meta": [{"fps": 10.0}] * n_curves,
                       "genotype": genotypes, "uuid_curve": [f"c{i}" for i in range(n_curves)]})
    t = Transmission.from_dataframe(df)
    norm = get_operation("Normalize")(t, data_column="_RAW_CURVE")
    deriv = get_operation("Derivative")(norm, data_column="_NORMALIZE")
    peaks = get_operation("PeakDetect")(t, deriv, norm, None, data_column="_RAW_CURVE",
                                        AmplThrRel=0.1, Fictional_Bases=True)
    return get_operation("PeakFeatures")(peaks, data_column="_RAW_CURVE")


def test_swarm_offsets_slots_and_width_bound():
    values = np.array([0.0, 0.01, 0.02, 0.03, 5.0])  # four in one bin, one alone
    off = swarm_offsets(values, bin_height=1.0, step=0.1, max_offset=1.0)
    np.testing.assert_allclose(off, [0.0, 0.1, -0.1, 0.2, 0.0])
    crowded = swarm_offsets(np.zeros(101), bin_height=1.0, step=0.1, max_offset=0.4)
    assert np.abs(crowded).max() == pytest.approx(0.4, abs=1e-12)  # 50 slots squeezed
    assert len(np.unique(np.round(crowded, 12))) == 101  # still no two points coincide
    with pytest.raises(ParameterError, match="bin_height"):
        swarm_offsets(values, 0.0, 0.1, 1.0)


@pytest.mark.parametrize("bw", ["scott", "silverman", 0.25])
def test_kde_matches_scipy(bw):
    from scipy.stats import gaussian_kde as scipy_kde

    rng = np.random.default_rng(3)
    values = np.r_[rng.normal(0, 1, 300), rng.normal(4, 0.5, 100)]
    grid = np.linspace(-4, 7, 211)
    np.testing.assert_allclose(gaussian_kde(values, grid, bw),
                               scipy_kde(values, bw_method=bw)(grid), rtol=1e-10, atol=1e-14)
    assert kde_bandwidth(values, bw) == pytest.approx(
        np.sqrt(scipy_kde(values, bw_method=bw).covariance[0, 0]), rel=1e-12)


def test_kde_refuses_degenerate_input():
    with pytest.raises(ParameterError, match="at least 2 values"):
        gaussian_kde(np.array([1.0]), np.zeros(3))
    with pytest.raises(ParameterError, match="no density"):
        gaussian_kde(np.full(4, 2.0), np.zeros(3))
    with pytest.raises(ParameterError, match="bw_method"):
        kde_bandwidth(np.arange(4.0), "wide")


def test_swarm_layout_of_peak_features():
    t = peak_features_t()
    df = t.df
    layout = swarm_layout(df, "_pf_ampl_rel_b_mean", "genotype", max_half_width=0.4)
    assert layout.order == ["mut", "wt"]
    assert layout.counts == df.genotype.value_counts().to_dict()
    assert len(layout.y) == len(df)
    # each point keeps its row: the value at its index label is its y, in its group's lane
    np.testing.assert_array_equal(df.loc[list(layout.index), "_pf_ampl_rel_b_mean"], layout.y)
    lanes = np.array([layout.order.index(g) for g in df.loc[list(layout.index), "genotype"]])
    assert np.all(np.abs(layout.x - lanes) <= 0.4 + 1e-12)
    assert [v.group for v in layout.violins] == ["mut", "wt"]
    for v in layout.violins:
        vals = df.loc[df.genotype == v.group, "_pf_ampl_rel_b_mean"].to_numpy()
        assert v.y[0] == vals.min() and v.y[-1] == vals.max()
        assert v.half_width.max() == pytest.approx(0.4)
        expected = gaussian_kde(vals, v.y)
        np.testing.assert_allclose(v.half_width, expected * 0.4 / expected.max(), rtol=1e-12)
    # mutants have twice the amplitude: their median is clearly higher
    assert np.median(layout.y[layout.group == "mut"]) > 1.5 * np.median(
        layout.y[layout.group == "wt"])


def test_swarm_layout_without_group_and_with_one_value_groups():
    df = pd.DataFrame({"v": [1.0, 2.0, 3.0, 7.0], "g": ["a", "a", "a", "b"]},
                      index=[10, 11, 12, 13])
    whole = swarm_layout(df, "v", None)
    assert whole.order == ["all"] and whole.counts == {"all": 4}
    split = swarm_layout(df, "v", "g")
    assert [v.group for v in split.violins] == ["a"]  # one value: no violin, still a point
    assert list(split.index[split.group == "b"]) == [13]
    with pytest.raises(ParameterError, match="max_half_width"):
        swarm_layout(df, "v", "g", max_half_width=0.8)
    with pytest.raises(ParameterError, match="one number per row"):
        swarm_layout(peak_features_t(2).df, "_pf_peak_curve", "genotype")
