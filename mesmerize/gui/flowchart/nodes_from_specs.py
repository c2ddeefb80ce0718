"""Flowchart node classes generated from the NodeSpec registry
(``mesmerize.analysis.ops.node_spec``).

NodeSpecs are the nodes that are not one Transmission in / one Transmission out: the
Hierarchical nodes pass dicts (Linkage's linkage matrix, Inconsistent's inconsistency matrix, the
monocrit of MaxIncStat/MaxInconsistent) and LDA has four Transmission outputs plus a score.
One class per spec: its terminals, a control form generated from its ``Param`` specs, the Apply
check box, and ``run`` calling ``spec(*inputs, params=...)`` (no analysis code here).

A node keeps every output of its last run in ``result`` (``{terminal: value}`` plus the spec's
extra values such as LDA's ``score``, shown under the controls) and its first Transmission
output at ``t`` (None for nodes whose outputs are dicts).
"""
from __future__ import annotations

from typing import Any, Mapping

from qtpy import QtWidgets

from mesmerize.analysis.errors import TransmissionError
from mesmerize.analysis.ops.node_spec import NodeSpec, list_node_specs
from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import ParameterError
from mesmerize.gui.flowchart.background import Job
from mesmerize.gui.flowchart.base_node import MesmerizeNode
from mesmerize.gui.flowchart.param_controls import ParamControls

KIND_TYPES = {"transmission": Transmission, "dict": dict}
KIND_SOURCES = {"transmission": "a Transmission", "dict": "the dict output of a Hierarchical node"}


def _extra_text(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


class SpecNode(MesmerizeNode):
    """A node that runs one NodeSpec (``spec``) on its inputs."""

    spec: NodeSpec
    computes_in_background = True

    def __init__(self, name: str) -> None:
        spec = self.spec
        terminals: dict[str, dict] = {}
        for term in spec.inputs:
            terminals[term] = {"io": "in", "optional": term in spec.optional_inputs}
        for term, kind in zip(spec.outputs, spec.output_kinds):
            # bypassed, an output passes on the first input carrying the same kind of value
            same = [i for i, k in zip(spec.inputs, spec.input_kinds) if k == kind]
            terminals[term] = {"io": "out", **({"bypass": same[0]} if same else {})}
        self.result: dict[str, Any] | None = None
        super().__init__(name, terminals)

    def build_controls(self, layout: QtWidgets.QVBoxLayout) -> None:
        self.controls = ParamControls(self.spec.params, self.spec.name)
        self.controls.changed.connect(self.controls_changed)
        layout.addWidget(self.controls)
        self.extra_label = QtWidgets.QLabel()
        self.extra_label.setWordWrap(True)
        self.extra_label.hide()
        layout.addWidget(self.extra_label)

    def _show_extras(self, extras: Mapping[str, Any]) -> None:
        self.extra_label.setText("\n".join(f"{k}: {_extra_text(v)}" for k, v in extras.items()))
        self.extra_label.setVisible(bool(extras))

    def _clear(self) -> dict[str, Any]:
        self.t = None
        self.result = None
        self._show_extras({})
        return {}

    def _checked_inputs(self, inputs: Mapping[str, Any]) -> list[Any] | None:
        """The input values in spec order; None while a connected upstream node has no output.
        Raises for an unconnected required terminal (when data arrives elsewhere) or a value of
        the wrong kind."""
        spec = self.spec
        values = [inputs.get(term) for term in spec.inputs]
        if all(v is None for v in values):
            return None
        for term, kind, value in zip(spec.inputs, spec.input_kinds, values):
            if value is None:
                if term in spec.optional_inputs:
                    continue
                if not self.terminals[term].connections():
                    raise ParameterError(f"{self.name()}: connect the {term} input.")
                return None
            if not isinstance(value, KIND_TYPES[kind]):
                raise TransmissionError(
                    f"{self.name()}: the {term} input must be {KIND_SOURCES[kind]}, got "
                    f"{type(value).__name__}; connect a terminal that outputs one.")
        return values

    def process(self, display: bool = True, **inputs: Any) -> dict[str, Any]:
        """MesmerizeNode.process, also dropping ``result`` while Apply is off."""
        if not self.applied():
            self._clear()
        return super().process(display, **inputs)

    def run(self, **inputs: Any) -> dict[str, Any]:
        return self.prepare(**inputs).run()

    def prepare(self, **inputs: Any) -> Job:
        self._clear()
        values = self._checked_inputs(inputs)
        if values is None:
            return Job.done({})
        columns = [c for v in values if isinstance(v, Transmission) for c in v.df.columns]
        self.controls.set_input_columns(list(dict.fromkeys(columns)))
        spec, params = self.spec, self.controls.values()
        return Job(compute=lambda: spec(*values, params=params), finish=self._finish)

    def _finish(self, out: Any) -> dict[str, Any]:
        outputs = self.spec.outputs
        result = {outputs[0]: out} if len(outputs) == 1 else dict(out)
        self.result = result
        self.t = next((result[term] for term, kind in zip(outputs, self.spec.output_kinds)
                       if kind == "transmission" and isinstance(result[term], Transmission)),
                      None)
        self._show_extras({k: v for k, v in result.items() if k not in outputs})
        return {term: result[term] for term in outputs}

    def control_state(self) -> dict[str, Any]:
        return self.controls.values()

    def restore_control_state(self, state: Mapping[str, Any]) -> None:
        self.controls.set_values(state)


_NODE_CLASSES: dict[str, type[SpecNode]] = {}


def make_spec_node(spec: NodeSpec) -> type[SpecNode]:
    """The node class of ``spec`` (named after it; made once per spec)."""
    cls = _NODE_CLASSES.get(spec.name)
    if cls is None or cls.spec is not spec:
        doc = spec.doc.splitlines()[0] if spec.doc else f"The {spec.name} node."
        cls = type(f"{spec.name}Node", (SpecNode,),
                   {"nodeName": spec.name, "category": spec.category, "spec": spec,
                    "__doc__": doc})
        _NODE_CLASSES[spec.name] = cls
    return cls


def spec_node_classes(category: str | None = None) -> list[type[SpecNode]]:
    """Node classes of every registered NodeSpec (of one category), sorted like the registry."""
    return [make_spec_node(spec) for spec in list_node_specs(category)]
