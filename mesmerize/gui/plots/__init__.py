"""Plot windows (issue #10): one module per plot kind, the Datapoint Tracer and the Peak Editor."""
