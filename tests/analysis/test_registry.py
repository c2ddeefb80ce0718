"""Operation registry: parameter validation, history logging, metadata, calling conventions."""
import numpy as np
import pandas as pd
import pytest

from mesmerize.analysis import Transmission, get_operation, list_operations
from mesmerize.analysis.errors import TransmissionError
from mesmerize.analysis.registry import CATEGORIES, OpResult, Param, _REGISTRY, operation
from mesmerize.core.errors import ParameterError

GUIDE_NODES = {
    "Data": ["DropNa", "NormRaw", "SpliceArrays", "TextFilter"],
    "Signal": ["Butterworth", "Normalize", "PeakDetect", "PeakFeatures", "PowSpecDens", "RFFT",
               "Resample", "SavitzkyGolay", "ScalerMeanVariance", "iRFFT"],
    "Math": ["AbsoluteValue", "ArgGroupStat", "ArrayStats", "Derivative", "LinRegress",
             "LogTransform", "TVDiff", "XpowerY", "ZScore"],
}


def make_t(n=3, length=20):
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"_RAW_CURVE": list(rng.normal(size=(n, length))),
                       "cell": ["a", "b", "a"][:n], "meta": [{"fps": 5.0}] * n})
    return Transmission.from_dataframe(df)


@pytest.fixture
def temp_op():
    names = []

    def register(name, **kwargs):
        names.append(name)
        return operation(name, "Math", name.lower(), **kwargs)

    yield register
    for name in names:
        _REGISTRY.pop(name, None)


def test_guide_nodes_registered_with_metadata():
    for category, names in GUIDE_NODES.items():
        assert sorted(op.name for op in list_operations(category)) == sorted(names)
    butter = get_operation("Butterworth")
    assert (butter.category, butter.history_name, butter.output_column) == (
        "Signal", "butterworth", "_BUTTERWORTH")
    assert butter.inputs == ("In",) and butter.outputs == ("Out",)
    assert [p.name for p in butter.params] == ["data_column", "order", "freq_divisor"]
    assert butter.defaults() == {"data_column": None, "order": 2, "freq_divisor": 4.0}
    assert get_operation("LogTransform").param("transform").choices == (
        "log10", "ln", "modlog10", "modln")
    assert all(op.category in CATEGORIES and op.doc for op in list_operations())
    with pytest.raises(ParameterError, match="No operation named 'Nope'"):
        get_operation("Nope")


@pytest.mark.parametrize("kwargs, message", [
    ({"order": 0}, "'order' must be >= 1"),
    ({"order": 2.5}, "'order' must be an integer"),
    ({"order": True}, "'order' must be an integer"),
    ({"freq_divisor": 2.0}, "'freq_divisor' must be > 2.0"),
    ({"freq_divisor": "3"}, "'freq_divisor' must be a number"),
    ({"freq_divisor": float("nan")}, "'freq_divisor' must be finite"),
    ({"data_column": "_MISSING"}, "'data_column': '_MISSING' is not a column"),
    ({"data_column": 3}, "'data_column' must be text"),
    ({"cutoff": 1}, r"no parameter\(s\) \['cutoff'\]"),
])
def test_parameter_errors_name_the_parameter(kwargs, message):
    with pytest.raises(ParameterError, match=message):
        get_operation("Butterworth")(make_t(), **{"data_column": "_RAW_CURVE", **kwargs})


def test_choice_bool_and_required_validation():
    t = make_t()
    with pytest.raises(ParameterError, match=r"'transform' must be one of \['log10'"):
        get_operation("LogTransform")(t, transform="log2")
    with pytest.raises(ParameterError, match="'Include' must be True or False"):
        get_operation("TextFilter")(t, Column="cell", filter="a", Include="yes")
    with pytest.raises(ParameterError, match="'indices' is required"):
        get_operation("SpliceArrays")(t)
    with pytest.raises(ParameterError, match="'Column' is required"):
        get_operation("TextFilter")(t, filter="a")


def test_params_dict_and_keywords_and_default_data_column():
    t = make_t()
    op = get_operation("XpowerY")
    a = op(t, params={"data_column": "_RAW_CURVE", "Y": 3})
    b = op(t, Y=3)
    assert b.history_trace.get_operation_params(t.df._BLOCK_[0], "x_power_y") == {
        "data_column": "_RAW_CURVE", "Y": 3.0, "units": "time"}
    np.testing.assert_array_equal(a.df._X_POWER_Y[1], b.df._X_POWER_Y[1])
    t.last_output = None
    with pytest.raises(ParameterError, match="choose a data_column"):
        op(t)


def test_history_appended_to_touched_blocks_only():
    t1, t2 = make_t(), make_t()
    merged = Transmission.merge([t1, t2])
    b1, b2 = t1.df._BLOCK_[0], t2.df._BLOCK_[0]
    only_b1 = get_operation("TextFilter")(
        merged.with_df(merged.df[merged.df._BLOCK_ == b1].reset_index(drop=True)),
        Column="cell", filter="a")
    assert only_b1.history_trace.get_operations_list(b1)[-1] == "text_filter"
    assert only_b1.history_trace.get_operations_list(b2) == ["spawn_transmission"]
    assert merged.history_trace.get_operations_list(b1) == ["spawn_transmission"]


def test_input_is_not_modified():
    t = make_t()
    before = [a.copy() for a in t.df._RAW_CURVE]
    out = get_operation("Normalize")(t, data_column="_RAW_CURVE")
    assert "_NORMALIZE" not in t.df.columns and "_NORMALIZE" in out.df.columns
    assert all(np.array_equal(a, b) for a, b in zip(before, t.df._RAW_CURVE))
    assert t.history_trace.get_operations_list(t.df._BLOCK_[0]) == ["spawn_transmission"]


def test_registration_rules_and_multi_input_calls(temp_op):
    @temp_op("Combine", inputs=("A", "B"), output_column="_SUM", params=(
        Param("scale", "float", 1.0, min=0.0),))
    def combine(a, b, p):
        df = a.df.copy()
        df["_SUM"] = [x + y * p["scale"] for x, y in zip(a.df._RAW_CURVE, b.df._RAW_CURVE)]
        return OpResult(df, record={"scale": p["scale"], "inputs": 2})

    t = make_t()
    out = combine(t, t, scale=2.0)
    np.testing.assert_allclose(out.df._SUM[0], 3 * t.df._RAW_CURVE[0])
    assert out.history_trace.get_operation_params(t.df._BLOCK_[0], "combine") == {
        "scale": 2.0, "inputs": 2, "units": "time"}
    assert out.last_output == "_SUM"
    branch = get_operation("Derivative")(t, data_column="_RAW_CURVE")
    mixed = combine(t, branch, scale=1.0)
    assert mixed.history_trace.get_operations_list(t.df._BLOCK_[0]) == [
        "spawn_transmission", "combine"]
    with pytest.raises(TransmissionError, match="takes 2 input"):
        combine(t, scale=1.0)
    with pytest.raises(TransmissionError, match="needs Transmission"):
        combine(None, None)
    with pytest.raises(ValueError, match="registered already"):
        operation("Combine", "Math", "x")(combine.func)
    with pytest.raises(ValueError, match="Unknown category"):
        operation("X", "Nonsense", "x")
    with pytest.raises(ValueError, match="unknown kind"):
        Param("p", "complex")
    with pytest.raises(ValueError, match="needs choices"):
        Param("p", "choice")


def test_input_without_block_column_is_refused():
    t = make_t()
    bare = Transmission(t.df.drop(columns="_BLOCK_"), t.history_trace)
    with pytest.raises(TransmissionError, match="no _BLOCK_ column"):
        get_operation("Normalize")(bare, data_column="_RAW_CURVE")


EMPTY_EXTRA = {"SpliceArrays": {"indices": "0:5"}, "TextFilter": {"Column": "g", "filter": "a"},
               "ArrayStats": {"output_col": "m", "group_by": "g"},
               "ArgGroupStat": {"data_column": "_X", "group_by": "g", "return_col": "g"},
               "iRFFT": {"data_column": "_RAW_CURVE"}}


@pytest.mark.parametrize("name", [op.name for op in list_operations()])
def test_every_operation_accepts_empty_input(name, tmp_path):
    columns = ["_RAW_CURVE", "meta", "g", "ImgPath", "ImgInfoPath", "ROI_State"]
    df = pd.DataFrame({**{c: pd.Series([], dtype=object) for c in columns},
                       "_X": pd.Series([], dtype=float),
                       "_DERIVATIVE": pd.Series([], dtype=object),
                       "_NORMALIZE": pd.Series([], dtype=object)})
    t = Transmission.from_dataframe(df, proj_path=tmp_path)
    op = get_operation(name)
    kwargs = dict(EMPTY_EXTRA.get(name, {}))
    if "data_column" in op.defaults():
        kwargs.setdefault("data_column", "_RAW_CURVE")
    # PeakDetect needs its Derivative and Normalized terminals; other extra terminals are optional
    extra_inputs = [t if name in ("Derivative", "Normalized") else None for name in op.inputs[1:]]
    out = op(t, *extra_inputs, **kwargs)
    assert len(out.df) == 0
    assert out.last_output is None or out.last_output in out.df.columns
    block = t.history_trace.data_blocks[0]
    assert out.history_trace.get_operations_list(block) == ["spawn_transmission"]
