"""Built-in flowchart operations, one module per node category (registered on import)."""
from mesmerize.analysis.ops import (  # noqa: F401  (register the nodes)
    biology, clustering, hierarchical, peaks, transform,
)
