"""The Qt layer: one sub-package per window family."""
