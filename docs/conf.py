"""Sphinx configuration of the Mesmerize documentation.

Build: ``python -m sphinx -W -b html docs docs/_build/html`` (needs the ``docs`` extra:
``pip install ".[docs]"``). The API pages import the package, including its Qt windows, so Qt
runs on its offscreen platform during the build.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

DOCS_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS_DIR.parent))
sys.path.insert(0, str(DOCS_DIR / "_ext"))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import mesmerize  # noqa: E402  (after the path set-up above)

project = "Mesmerize"
author = "The Mesmerize contributors"
copyright = "2019-2026, The Mesmerize contributors"  # noqa: A001 (Sphinx's setting name)
release = mesmerize.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.viewcode",
    "mesmerize_nodes",
]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
templates_path: list[str] = []

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_preserve_defaults = True

html_theme = "sphinx_rtd_theme"
html_title = f"Mesmerize {release}"
html_static_path: list[str] = []
html_theme_options = {"navigation_depth": 3}
