"""Shared test configuration: Qt runs offscreen so the suite never needs a display."""
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
