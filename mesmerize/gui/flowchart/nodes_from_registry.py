"""Flowchart node classes generated from the operation registry (``mesmerize.analysis.registry``).

One class per registered operation: its input/output terminals, a control form generated from
its ``Param`` specs, the Apply check box, and ``run`` calling the registered pure function.
"""
from __future__ import annotations

from typing import Any, Mapping

from qtpy import QtWidgets

from mesmerize.analysis.registry import Operation, list_operations
from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import ParameterError
from mesmerize.gui.flowchart.background import Job
from mesmerize.gui.flowchart.base_node import MesmerizeNode
from mesmerize.gui.flowchart.param_controls import ParamControls


class OperationNode(MesmerizeNode):
    """A node that runs one registered operation (``operation``) on its input(s)."""

    operation: Operation
    computes_in_background = True

    def __init__(self, name: str) -> None:
        op = self.operation
        terminals: dict[str, dict] = {}
        for i, term in enumerate(op.inputs):
            # the registry passes None for an unconnected terminal after the first
            terminals[term] = {"io": "in", "optional": i > 0}
        for term in op.outputs:
            terminals[term] = {"io": "out", "bypass": op.inputs[0]}
        super().__init__(name, terminals)

    def build_controls(self, layout: QtWidgets.QVBoxLayout) -> None:
        self.controls = ParamControls(self.operation.params, self.operation.name)
        self.controls.changed.connect(self.controls_changed)
        layout.addWidget(self.controls)

    def run(self, **inputs: Any) -> dict[str, Any]:
        return self.prepare(**inputs).run()

    def prepare(self, **inputs: Any) -> Job:
        op = self.operation
        values = [inputs.get(term) for term in op.inputs]
        first = values[0]
        if first is None:
            self.t = None
            return Job.done({})
        if not isinstance(first, Transmission):
            raise ParameterError(
                f"{self.name()}: the input must be a Transmission, got {type(first).__name__}.")
        self.controls.set_input_columns(list(first.df.columns))
        params = self.controls.values()

        def finish(t: Transmission) -> dict[str, Any]:
            self.t = t
            return {term: t for term in op.outputs}

        return Job(compute=lambda: op(*values, params=params), finish=finish)

    def control_state(self) -> dict[str, Any]:
        return self.controls.values()

    def restore_control_state(self, state: Mapping[str, Any]) -> None:
        self.controls.set_values(state)


_NODE_CLASSES: dict[str, type[OperationNode]] = {}


def make_operation_node(op: Operation) -> type[OperationNode]:
    """The node class of ``op`` (named after the operation; made once per operation)."""
    cls = _NODE_CLASSES.get(op.name)
    if cls is None or cls.operation is not op:
        doc = op.doc.splitlines()[0] if op.doc else f"The {op.name} operation."
        cls = type(f"{op.name}Node", (OperationNode,),
                   {"nodeName": op.name, "category": op.category, "operation": op, "__doc__": doc})
        _NODE_CLASSES[op.name] = cls
    return cls


def operation_node_classes(category: str | None = None) -> list[type[OperationNode]]:
    """Node classes of every registered operation (of one category), sorted like the registry."""
    return [make_operation_node(op) for op in list_operations(category)]
