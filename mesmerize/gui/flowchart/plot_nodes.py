"""Display nodes (guide 19.2): each connects its input Transmission to a plot window.

``node.plot_widget`` is the plot (the guide's ``get_nodes()['Heatmap.0'].plot_widget``); every
flowchart update calls ``plot_widget.set_input(t)``, which redraws when the plot's "Live update"
box is checked. "Show" opens the plot window.
"""
from __future__ import annotations

from typing import Any, Mapping

from qtpy import QtWidgets

from mesmerize.analysis.transmission import Transmission
from mesmerize.gui.flowchart.base_node import MesmerizeNode, check_control_state
from mesmerize.gui.plots.base import PlotWindow


class PlotWindowOwner:
    """Mixin of nodes that own a plot window ``plot_widget``: its Show button, ``view`` (closed
    with the Flowchart window) and closing it with the node."""

    plot_widget: PlotWindow

    @property
    def view(self) -> PlotWindow:
        return self.plot_widget

    def add_show_button(self, layout: QtWidgets.QVBoxLayout, text: str, tooltip: str) -> None:
        self.show_button = QtWidgets.QPushButton(text)
        self.show_button.setToolTip(tooltip)
        self.show_button.clicked.connect(self.show_plot)
        layout.addWidget(self.show_button)

    def show_plot(self) -> PlotWindow:
        """Open (or raise) the plot window."""
        self.plot_widget.show()
        self.plot_widget.raise_()
        return self.plot_widget

    def close(self) -> None:
        self.plot_widget.close()
        super().close()


class PlotNode(PlotWindowOwner, MesmerizeNode):
    """A sink node feeding ``plot_widget`` (an instance of ``widget_class``)."""

    has_apply = False
    widget_class: type[PlotWindow] = PlotWindow

    def __init__(self, name: str) -> None:
        self.plot_widget = self.widget_class()
        super().__init__(name, {"In": {"io": "in"}})
        self.plot_widget.setWindowTitle(f"{self.plot_widget.window_title} — {name}")

    def build_controls(self, layout: QtWidgets.QVBoxLayout) -> None:
        self.add_show_button(layout, "Show", "Show the plot window")

    def run(self, In: Transmission | None = None, **inputs: Any) -> dict[str, Any]:  # noqa: N803
        self.t = In
        self.plot_widget.set_input(In)
        return {}

    def control_state(self) -> dict[str, Any]:
        return {}

    def restore_control_state(self, state: Mapping[str, Any]) -> None:
        check_control_state(self, state, ())

    def rename(self, name: str) -> None:
        super().rename(name)
        self.plot_widget.setWindowTitle(f"{self.plot_widget.window_title} — {name}")


def plot_node_class(node_name: str, widget_class: type[PlotWindow], doc: str) -> type[PlotNode]:
    """The Display node class ``node_name`` showing ``widget_class`` plots."""
    return type(f"{node_name}Node", (PlotNode,),
                {"nodeName": node_name, "widget_class": widget_class, "__doc__": doc})
