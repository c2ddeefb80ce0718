"""Heavy computation run inside batch subprocesses: motion correction, CNMF, CNMF-E (no Qt)."""
