"""The Flowchart console's namespace (DESIGN.md section 6: one builder per window)."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from mesmerize.analysis.transmission import Transmission

if TYPE_CHECKING:
    from mesmerize.gui.flowchart.window import FlowchartWindow


def build_flowchart_namespace(window: FlowchartWindow) -> dict[str, Any]:
    """``get_nodes()``, ``this`` (the FlowchartWindow), ``Transmission``, ``pd`` and ``np``."""

    def get_nodes() -> dict:
        """A dict of the flowchart's nodes by name; get_nodes()[name].t is a node's output
        Transmission and .t.df its DataFrame."""
        return window.get_nodes()

    return {"get_nodes": get_nodes, "this": window, "Transmission": Transmission,
            "pd": pd, "np": np}
