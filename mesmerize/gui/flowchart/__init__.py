"""The Flowchart window (pyqtgraph flowchart) and its nodes, generated from the operation
registry of ``mesmerize.analysis``. ``FlowchartWindow`` is imported from ``.window``."""
