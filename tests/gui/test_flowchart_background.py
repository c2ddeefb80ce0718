"""Analysis nodes computing in a worker thread: the window stays responsive, the results equal
the synchronous ones, and a result computed for outdated inputs is dropped."""
import threading

import pytest
from qtpy import QtCore

from mesmerize.analysis.registry import get_operation
from mesmerize.gui.flowchart.param_controls import NONE_TEXT
from tests.gui.test_flowchart import (
    assert_same_transmission, build_chain, combo, new_window, pure_chain, trn_path,  # noqa: F401
)


class WrappedOperation:
    """A registered operation whose calls go through ``call`` (the node sees the same terminals
    and parameters)."""

    def __init__(self, operation, call):
        self._operation, self._call = operation, call

    def __getattr__(self, name):
        return getattr(self._operation, name)

    def __call__(self, *args, **kwargs):
        return self._call(*args, **kwargs)


@pytest.fixture
def window(qtbot):
    window = new_window(qtbot, run_in_background=True)
    yield window
    window.close()


def test_background_chain_equals_the_pure_functions(window, trn_path):  # noqa: F811
    nodes = build_chain(window, trn_path)
    window.wait_until_idle(30)
    assert not window.busy_nodes() and nodes["ZScore.0"].error is None
    assert_same_transmission(nodes["ZScore.0"].t, pure_chain(trn_path), "_ZSCORE")


def test_event_loop_runs_while_a_node_computes(window, trn_path, qtbot):  # noqa: F811
    nodes = build_chain(window, trn_path)
    window.wait_until_idle(30)
    zscore = nodes["ZScore.0"]
    release = threading.Event()
    real = get_operation("ZScore")

    def slow(*args, **kwargs):
        assert release.wait(20), "the test never released the computation"
        return real(*args, **kwargs)

    zscore.operation = WrappedOperation(real, slow)  # this node only
    ticks = []
    timer = QtCore.QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(10)
    box = combo(zscore, "group_by")
    box.setCurrentIndex(box.findText("cell_type"))
    assert zscore.busy and window.busy_nodes() == ["ZScore.0"]
    qtbot.waitUntil(lambda: len(ticks) >= 5, timeout=5000)  # Qt events flow meanwhile
    assert zscore.busy
    release.set()
    window.wait_until_idle(30)
    timer.stop()
    assert not zscore.busy and zscore.error is None
    assert_same_transmission(zscore.t, pure_chain(trn_path, group_by="cell_type"), "_ZSCORE")


def test_result_of_outdated_inputs_is_dropped(window, trn_path):  # noqa: F811
    nodes = build_chain(window, trn_path)
    window.wait_until_idle(30)
    zscore = nodes["ZScore.0"]
    first_may_finish = threading.Event()
    real = get_operation("ZScore")
    calls = []

    def gated(*args, params, **kwargs):
        calls.append(params["group_by"])
        if len(calls) == 1:
            assert first_may_finish.wait(20)
        return real(*args, params=params, **kwargs)

    zscore.operation = WrappedOperation(real, gated)
    box = combo(zscore, "group_by")
    box.setCurrentIndex(box.findText("cell_type"))  # first run blocks in the worker
    box.setCurrentIndex(box.findText(NONE_TEXT))  # second run, newer controls
    first_may_finish.set()
    window.wait_until_idle(30)
    params = zscore.t.history_trace.get_operation_params(zscore.t.df["_BLOCK_"].iloc[0], "zscore")
    assert zscore.error is None
    assert params["group_by"] is None and calls[0] == "cell_type"


def test_errors_in_the_worker_show_on_the_node(window, trn_path):  # noqa: F811
    nodes = build_chain(window, trn_path)
    window.wait_until_idle(30)
    splice = window.add_node("SpliceArrays")
    window.connect_nodes(nodes["ZScore.0"], splice)
    splice.controls.set_values({"indices": "ten:twenty"})
    splice.set_apply(True)
    window.wait_until_idle(30)
    assert splice.t is None and splice.error and not splice.busy
