"""Hypothesis fuzzing of parameter validation: engine params dicts and analysis operations.

Allowed outcomes: the parameters are accepted (and, for operations, the operation runs), or a
ParameterError (operations may also answer TransmissionError for data they cannot process,
and ProjectError when they need the project of a Transmission that has none).
Any other exception fails the test.
"""
from __future__ import annotations

import dataclasses
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from mesmerize.analysis import Transmission
from mesmerize.analysis.errors import TransmissionError
from mesmerize.analysis.registry import get_operation, list_operations
from mesmerize.core.errors import ParameterError, ProjectError
from mesmerize.engines.cnmf.params import CNMFParams
from mesmerize.engines.cnmfe.params import CNMFEParams
from mesmerize.engines.motion_correction.params import MotionCorrectionParams

from .fuzzing import json_values

FUZZ = settings(max_examples=60, deadline=None, derandomize=True, database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=[HealthCheck.too_slow,
                                       HealthCheck.function_scoped_fixture])

OUTCOMES: dict[str, Counter] = {}

wild_values = st.one_of(
    json_values,
    st.sampled_from([0, -1, 1, 2, 3, 2**31, -2**63, 1e300, -0.0, float("nan"), float("inf"),
                     True, False, None, "", "abc", (1, 2), (0, 0), (-3, 5), (1.5, 2.5),
                     (1, 2, 3), [4, 4], [[1]], {"a": 1}, b"\x00", np.int64(5),
                     np.float32(0.5), np.bool_(True), np.array([3, 3]), np.zeros((2, 2)),
                     np.array(np.nan), complex(1, 2), np.uint8(255), object()]),
    st.integers(-10, 300), st.floats(-1e3, 1e3),
    st.tuples(st.integers(-5, 100), st.integers(-5, 100)),
)


def _record(name: str, outcome: str) -> None:
    OUTCOMES.setdefault(name, Counter())[outcome] += 1


def _field_names(cls) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    print("\nparameter fuzz outcomes:")
    for name in sorted(OUTCOMES):
        print(f"  {name}: {dict(OUTCOMES[name])}")


ENGINES = {"motion_correction": MotionCorrectionParams, "cnmf": CNMFParams, "cnmfe": CNMFEParams}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("engine", sorted(ENGINES))
@FUZZ
@given(data=st.data())
def test_engine_params_from_dict(engine, data):
    cls = ENGINES[engine]
    names = _field_names(cls)
    keys = data.draw(st.lists(st.sampled_from(names + ["not_a_param", "Input"]),
                              max_size=5, unique=True))
    params = {k: data.draw(wild_values, label=k) for k in keys}
    args = ()
    if engine != "motion_correction" and data.draw(st.booleans(), label="pass fr"):
        args = (data.draw(wild_values, label="fr"),)
    try:
        built = cls.from_dict(params, *args)
    except ParameterError:
        _record(engine, "refused")
        return
    _record(engine, "accepted")
    built.to_dict()


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("bad", [[1, 2], "max_shifts", 3])
def test_engine_params_reject_a_non_mapping(engine, bad):
    with pytest.raises(ParameterError):
        ENGINES[engine].from_dict(bad)


def _transmission() -> Transmission:
    rng = np.random.default_rng(3)
    n, length = 12, 64
    curves = [np.sin(np.arange(length) / (2 + i)) * (i + 1) + 5 + rng.normal(0, 0.2, length)
              for i in range(n)]
    df = pd.DataFrame({"_RAW_CURVE": curves, "meta": [{"fps": 10.0}] * n,
                       "cell_type": ["a", "b", "c"] * (n // 3),
                       "area": np.linspace(1.0, 6.0, n)})
    return Transmission.from_dataframe(df)


T = _transmission()
COLUMNS = list(T.df.columns) + ["missing_column"]
#: single-input operations. KShape is left out: tslearn's first call compiles for ~20 s, too slow
#: for this file (its parameter checks are in tests/analysis/test_ops_clustering.py).
OPS = sorted(op.name for op in list_operations() if op.inputs == ("In",) and op.name != "KShape")


def _value_for(param) -> st.SearchStrategy:
    """Mostly plausible values for the parameter's kind, with wrong types mixed in."""
    by_kind = {
        "int": st.integers(-3, 12),
        "float": st.one_of(st.floats(-50, 50), st.sampled_from([0.0, 1e-12, float("nan")])),
        "bool": st.booleans(),
        "str": st.one_of(st.text(max_size=6), st.sampled_from(["0:10", "5:2", "a", "", "1,2"])),
        "choice": st.sampled_from(list(param.choices) + ["not_a_choice"]),
        "column": st.sampled_from(COLUMNS[:-1]) if param.name != "data_column"
        else st.sampled_from(["_RAW_CURVE", "_RAW_CURVE", "area", "missing_column"]),
        "columns": st.lists(st.sampled_from(COLUMNS), max_size=3),
    }
    plausible = by_kind[param.kind]
    return st.one_of(plausible, plausible, plausible, plausible, plausible, plausible,
                     st.just(param.default), wild_values)


@pytest.mark.timeout(120)
@pytest.mark.parametrize("op_name", OPS)
@settings(FUZZ, max_examples=30)
@given(data=st.data())
def test_operation_params(op_name, data):
    op = get_operation(op_name)
    params = {}
    if data.draw(st.booleans(), label="defaults plus one change"):
        params = {p.name: "_RAW_CURVE" for p in op.params if p.name == "data_column"}
        if op.params:
            p = data.draw(st.sampled_from(op.params), label="changed")
            params[p.name] = data.draw(_value_for(p), label=p.name)
    else:
        for p in op.params:
            if p.name == "data_column" or data.draw(st.integers(0, 2), label=f"set {p.name}"):
                params[p.name] = data.draw(_value_for(p), label=p.name)
    if data.draw(st.integers(0, 19), label="unknown") == 7:
        params["no_such_param"] = 1
    try:
        op(T, **params)
    except ParameterError:
        _record(f"op {op_name}", "refused")
        return
    except TransmissionError:
        _record(f"op {op_name}", "refused (TransmissionError)")
        return
    except ProjectError:  # NormRaw / DetrendDFoF read the project's raw curves
        _record(f"op {op_name}", "refused (ProjectError: no project)")
        return
    _record(f"op {op_name}", "ran")


@pytest.mark.parametrize("op_name, param", [("NormRaw", "option"), ("DropNa", "how")])
def test_choice_param_with_an_array_value(op_name, param):
    with pytest.raises(ParameterError):
        get_operation(op_name).validate(**{param: np.array([3, 3])})


def test_zscore_group_by_an_unhashable_column():
    with pytest.raises((ParameterError, TransmissionError)):
        get_operation("ZScore")(T, data_column="_RAW_CURVE", group_by="meta")
