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
from mesmerize.gui.flowchart.view_nodes import ViewHistoryNode, ViewTransmissionNode

CONTEXT_NODES = (LoadFileNode, LoadProjDFNode, SaveNode, MergeNode)
VIEW_NODES = (ViewTransmissionNode, ViewHistoryNode)


def build_node_library(context: FlowchartContext) -> NodeLibrary:
    """A NodeLibrary whose project-aware nodes read ``context`` (one library per window)."""
    library = NodeLibrary()
    for cls in CONTEXT_NODES:
        bound = type(cls.__name__, (cls,), {"context": context, "__doc__": cls.__doc__})
        library.addNodeType(bound, [("Data",)])
    for cls in VIEW_NODES:
        library.addNodeType(cls, [("Data",)])
    for category in CATEGORIES:
        for cls in (*operation_node_classes(category), *spec_node_classes(category)):
            library.addNodeType(cls, [(category,)])
    return library
