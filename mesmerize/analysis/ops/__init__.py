"""Built-in flowchart operations, one module per node category (registered on import)."""
