"""Array column helpers: stacking without copies when cells are rows of one array."""
import numpy as np
import pandas as pd
import pytest

from mesmerize.analysis import Transmission, get_operation
from mesmerize.analysis.arrays import map_rows, rows_to_cells, stack_cells, stack_column
from mesmerize.core.errors import ParameterError


def test_rows_of_one_array_are_stacked_without_copy():
    base = np.arange(20.0).reshape(4, 5)
    cells = list(rows_to_cells(base))
    view = stack_cells(cells)
    assert np.shares_memory(view, base) and not view.flags.writeable
    np.testing.assert_array_equal(view, base)
    strided = list(rows_to_cells(base[:, 1:4]))
    np.testing.assert_array_equal(stack_cells(strided), base[:, 1:4])
    assert np.shares_memory(stack_cells(strided), base)


@pytest.mark.parametrize("cells", [
    [np.arange(5.0), np.arange(5.0) + 1],
    list(rows_to_cells(np.arange(20.0).reshape(4, 5)))[::-1],
    [r for i, r in enumerate(rows_to_cells(np.arange(30.0).reshape(6, 5))) if i != 2],
    list(rows_to_cells(np.arange(20.0).reshape(4, 5)[:, ::-1])),
    list(rows_to_cells(np.arange(20.0).reshape(4, 5).T.copy().T)),
])
def test_other_cells_are_copied_correctly(cells):
    out = stack_cells(cells)
    np.testing.assert_array_equal(out, np.array([np.array(c) for c in cells]))


def test_operation_chain_gives_the_same_values_as_fresh_arrays():
    rng = np.random.default_rng(0)
    data = rng.normal(size=(6, 40))
    df = pd.DataFrame({"_RAW_CURVE": list(data), "g": list("aabbab"),
                       "meta": [{"fps": 5.0}] * 6})
    t = Transmission.from_dataframe(df)
    t = get_operation("Normalize")(t, data_column="_RAW_CURVE")
    t = get_operation("TextFilter")(t, Column="g", filter="a")
    t = get_operation("SpliceArrays")(t, data_column="_NORMALIZE", indices="3:30")
    t = get_operation("Derivative")(t, data_column="_SPLICE_ARRAYS")
    kept = data[[0, 1, 4]]
    norm = (kept - kept.min(1, keepdims=True)) / np.ptp(kept, axis=1, keepdims=True)
    np.testing.assert_allclose(stack_column(t.df, "_DERIVATIVE"),
                               np.gradient(norm[:, 3:30], axis=1), rtol=1e-12)
    assert t.df._SPLICE_ARRAYS[0].flags.writeable


def test_map_rows_groups_by_length_and_key():
    cells = [np.ones(3), np.ones(4), np.ones(3) * 2, np.ones(4)]
    calls = []

    def func(block, key):
        calls.append((block.shape, key))
        return block * key

    out = map_rows(cells, func, keys=[1.0, 1.0, 1.0, 3.0])
    assert sorted(calls) == [((1, 4), 1.0), ((1, 4), 3.0), ((2, 3), 1.0)]
    np.testing.assert_array_equal(out[2], [2, 2, 2])
    np.testing.assert_array_equal(out[3], [3, 3, 3, 3])


def test_stack_column_errors_name_the_parameter():
    df = pd.DataFrame({"_A": [np.ones(3), np.ones(4)], "_B": ["x", "y"]})
    with pytest.raises(ParameterError, match="different lengths .*SpliceArrays"):
        stack_column(df, "_A")
    with pytest.raises(ParameterError, match="data_column: column '_B' must hold 1-D"):
        stack_column(df, "_B")
    with pytest.raises(ParameterError, match="data_column: '_C' is not a column"):
        stack_column(df, "_C")
