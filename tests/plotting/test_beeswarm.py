"""mesmerize.plotting.beeswarm: tidy data, points per group, kinds, clear errors."""
from __future__ import annotations

import matplotlib
import numpy as np
import pandas as pd
import pytest

from mesmerize.core.errors import ParameterError
from mesmerize.plotting.beeswarm import beeswarm_data, build_beeswarm

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
