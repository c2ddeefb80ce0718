"""Shared test configuration: Qt runs offscreen so the suite never needs a display, and the
user's configuration directory (~/.mesmerize) is never touched."""
import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(autouse=True)
def _private_config_dir(tmp_path_factory, monkeypatch):
    """System configuration, recent projects and console history go to a temporary directory
    (tests that need their own set MESMERIZE_CONFIG_DIR again)."""
    monkeypatch.setenv("MESMERIZE_CONFIG_DIR", str(tmp_path_factory.mktemp("mesmerize_config")))
