"""Flowchart operations as pure functions on Transmissions, and the algorithms they use (no Qt)."""
