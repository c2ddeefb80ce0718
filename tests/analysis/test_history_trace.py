"""HistoryTrace: per-block logs, lookups, JSON-safe parameters, dict round trip, merge."""
from uuid import UUID, uuid4

import numpy as np
import pandas as pd
import pytest

from mesmerize.analysis.errors import (
    DataBlockNotFoundError, OperationNotFoundError, TransmissionError,
)
from mesmerize.analysis.history_trace import HistoryTrace


def two_blocks():
    h = HistoryTrace()
    a, b = str(uuid4()), str(uuid4())
    h.add_data_block(a)
    h.add_data_block(b)
    return h, a, b


def test_add_operation_to_one_block_and_all():
    h, a, b = two_blocks()
    h.add_operation(a, "spawn_transmission", {"sub_dataframe_name": "root"})
    h.add_operation("all", "normalize", {"data_column": "_RAW_CURVE", "units": "time"})
    h.add_operation(b, "rfft", {"data_column": "_NORMALIZE"})
    assert h.get_operations_list(a) == ["spawn_transmission", "normalize"]
    assert h.get_operations_list(b) == ["normalize", "rfft"]
    assert h.get_data_block_history(a) == [
        {"spawn_transmission": {"sub_dataframe_name": "root"}},
        {"normalize": {"data_column": "_RAW_CURVE", "units": "time"}},
    ]
    assert h.check_operation_exists(b, "rfft") and not h.check_operation_exists(a, "rfft")


def test_uuid_objects_accepted_and_latest_params_returned():
    h, a, _ = two_blocks()
    h.add_operation(UUID(a), "splice_arrays", {"start_ix": 0})
    h.add_operation(a, "splice_arrays", {"start_ix": 5})
    assert h.get_operation_params(UUID(a), "splice_arrays") == {"start_ix": 5}


def test_returned_structures_are_copies():
    h, a, _ = two_blocks()
    h.add_operation(a, "op", {"x": [1, 2]})
    h.get_operation_params(a, "op")["x"].append(3)
    h.get_data_block_history(a)[0]["op"]["y"] = 1
    h.history[a].clear()
    assert h.get_data_block_history(a) == [{"op": {"x": [1, 2]}}]


def test_params_are_stored_json_safe():
    h, a, _ = two_blocks()
    params = {"frequencies": np.array([0.0, 0.5]), "n": np.int64(3), "w": np.float32(0.25),
              "t": (1, 2), "u": UUID(a)}
    h.add_operation(a, "rfft", params)
    params["frequencies"][0] = 9.0
    assert h.get_operation_params(a, "rfft") == {"frequencies": [0.0, 0.5], "n": 3, "w": 0.25,
                                                 "t": [1, 2], "u": a}
    with pytest.raises(TransmissionError, match="cannot be logged"):
        h.add_operation(a, "bad", {"obj": object()})
    with pytest.raises(TransmissionError, match="dict"):
        h.add_operation(a, "bad", ["not", "a", "dict"])


def test_missing_block_and_operation_errors():
    h, a, _ = two_blocks()
    with pytest.raises(DataBlockNotFoundError, match="not in this HistoryTrace"):
        h.get_operations_list(str(uuid4()))
    with pytest.raises(DataBlockNotFoundError, match="not a data block id"):
        h.add_operation("neither-all-nor-uuid", "op", {})
    with pytest.raises(OperationNotFoundError, match="fcluster"):
        h.get_operation_params(a, "fcluster")
    with pytest.raises(TransmissionError, match="already exists"):
        h.add_data_block(a)


def test_create_data_block_sets_block_column():
    h = HistoryTrace()
    df = pd.DataFrame({"x": [1, 2]})
    out, block = h.create_data_block(df)
    assert "_BLOCK_" not in df.columns
    assert list(out["_BLOCK_"]) == [block, block]
    assert h.data_blocks == [block]


def test_dict_and_json_round_trip():
    h, a, b = two_blocks()
    h.add_operation("all", "normalize", {"data_column": "_RAW_CURVE", "nested": {"k": [1.5]}})
    h.add_operation(b, "zscore", {"group_by": None})
    assert HistoryTrace.from_dict(h.to_dict()) == h
    assert HistoryTrace.from_json(h.to_json()) == h
    assert HistoryTrace.from_dict(h.to_dict()).data_blocks == [a, b]
    with pytest.raises(TransmissionError, match="'history' and 'data_blocks'"):
        HistoryTrace.from_dict({"history": {}})


def test_merge_keeps_each_block_history():
    h1, a, _ = two_blocks()
    h1.add_operation(a, "op1", {"v": 1})
    h2 = HistoryTrace()
    c = str(uuid4())
    h2.add_data_block(c)
    h2.add_operation(c, "op2", {"v": 2})
    merged = HistoryTrace.merge([h1, h2, h1])
    assert merged.data_blocks == h1.data_blocks + [c]
    assert merged.get_data_block_history(a) == [{"op1": {"v": 1}}]
    assert merged.get_data_block_history(c) == [{"op2": {"v": 2}}]


def test_merge_refuses_diverging_histories_of_one_block():
    h1, a, _ = two_blocks()
    h2 = h1.copy()
    h1.add_operation(a, "normalize", {})
    h2.add_operation(a, "derivative", {})
    with pytest.raises(TransmissionError, match="Transmission.merge"):
        HistoryTrace.merge([h1, h2])
