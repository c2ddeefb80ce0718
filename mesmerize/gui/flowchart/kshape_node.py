"""The KShape flowchart node: the node generated from the registry plus "Show plot", which opens
the KShape plot window (guide chapter "KShape") on the node's input, for choosing the
parameters, training on a subset and inspecting the clusters."""
from __future__ import annotations

from qtpy import QtWidgets

from mesmerize.analysis.registry import get_operation
from mesmerize.gui.flowchart.nodes_from_registry import make_operation_node
from mesmerize.gui.flowchart.plot_nodes import PlotWindowOwner
from mesmerize.gui.plots.kshape import KShapeWidget

_GeneratedKShape = make_operation_node(get_operation("KShape"))


class KShapeNode(PlotWindowOwner, _GeneratedKShape):
    """k-Shape clustering; ``plot_widget`` is the KShape plot fed with the node's input."""

    def __init__(self, name: str) -> None:
        self.plot_widget = KShapeWidget()
        super().__init__(name)

    def build_controls(self, layout: QtWidgets.QVBoxLayout) -> None:
        super().build_controls(layout)
        self.add_show_button(layout, "Show plot", "Open the KShape plot on this node's input")

    def update(self, signal: bool = True) -> None:
        """Feed the plot (whether or not Apply is on), then process as the generated node."""
        self.plot_widget.set_input(self.inputValues().get(self.operation.inputs[0]))
        super().update(signal)
