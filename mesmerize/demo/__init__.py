"""Synthetic calcium-imaging movies with ground truth, and the demo project built from them."""
