"""Figure builders and plot-state I/O (no Qt)."""
