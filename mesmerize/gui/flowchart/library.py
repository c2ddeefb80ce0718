"""The node library of a Flowchart window: the Data source/sink/viewer nodes and one node per
registered operation and NodeSpec, organised by the registry's categories (right click -> Add
node)."""
from __future__ import annotations

from pyqtgraph.flowchart.NodeLibrary import NodeLibrary

from mesmerize.analysis.registry import CATEGORIES
from mesmerize.gui.flowchart.context import FlowchartContext
from mesmerize.gui.flowchart.io_nodes import LoadFileNode, LoadProjDFNode, MergeNode, SaveNode
from mesmerize.gui.flowchart.nodes_from_registry import operation_node_classes
from mesmerize.gui.flowchart.nodes_from_specs import spec_node_classes
from mesmerize.gui.flowchart.kshape_node import KShapeNode
from mesmerize.gui.flowchart.peak_detect_node import PeakDetectNode
from mesmerize.gui.flowchart.plot_nodes import plot_node_class
from mesmerize.gui.flowchart.view_nodes import ViewHistoryNode, ViewTransmissionNode
from mesmerize.gui.plots.kinds import DISPLAY_NODES

CONTEXT_NODES = (LoadFileNode, LoadProjDFNode, SaveNode, MergeNode)
CUSTOM_OPERATION_NODES = {"PeakDetect": PeakDetectNode, "KShape": KShapeNode}
"""Operations whose node adds a window to the generated one (PeakDetect's Peak Editor, the
KShape plot)."""
VIEW_NODES = (ViewTransmissionNode, ViewHistoryNode)
PLOT_NODES = tuple(plot_node_class(name, widget, f"Shows the input in a {widget.window_title} "
                                                 "plot (Show opens it).")
                   for name, widget in DISPLAY_NODES.items())


def build_node_library(context: FlowchartContext) -> NodeLibrary:
    """A NodeLibrary whose project-aware nodes read ``context`` (one library per window)."""
    library = NodeLibrary()
    for cls in CONTEXT_NODES:
        bound = type(cls.__name__, (cls,), {"context": context, "__doc__": cls.__doc__})
        library.addNodeType(bound, [("Data",)])
    for cls in VIEW_NODES:
        library.addNodeType(cls, [("Data",)])
    for cls in PLOT_NODES:
        library.addNodeType(cls, [("Display",)])
    for category in CATEGORIES:
        for cls in (*operation_node_classes(category), *spec_node_classes(category)):
            library.addNodeType(CUSTOM_OPERATION_NODES.get(cls.nodeName, cls), [(category,)])
    return library
