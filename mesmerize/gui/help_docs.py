"""Help -> Open docs: open the locally built HTML documentation in the web browser.

The documentation is built with Sphinx (``pip install ".[docs]"``, then ``BUILD_COMMAND`` in the
source tree). It is looked for, in this order, in the directory named by the environment
variable ``MESMERIZE_DOCS_DIR`` (for packagers, e.g. a snap), in
``<sys.prefix>/share/doc/mesmerize/html`` (an installed copy), and in the source tree's
``docs/_build/html`` (a checkout or an editable install). When none holds an ``index.html``, a
message box tells the user how to build it.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Sequence

from qtpy import QtCore, QtGui, QtWidgets

import mesmerize

DOCS_DIR_ENV = "MESMERIZE_DOCS_DIR"
"""Environment variable naming a directory that holds the built docs' ``index.html``."""

BUILD_COMMAND = "python -m sphinx -b html docs docs/_build/html"
"""The command, run in the source tree, that builds the HTML documentation."""

INSTALL_DOCS_COMMAND = 'pip install ".[docs]"'
"""Installs Sphinx and the theme the documentation needs."""


def source_tree_root() -> Path:
    """The directory that holds the ``mesmerize`` package (the repository in a checkout)."""
    return Path(mesmerize.__file__).resolve().parent.parent


def docs_index_candidates() -> list[Path]:
    """Where the built docs' ``index.html`` may be, in the order they are tried."""
    candidates = []
    env_dir = os.environ.get(DOCS_DIR_ENV)
    if env_dir:
        candidates.append(Path(env_dir) / "index.html")
    candidates.append(Path(sys.prefix) / "share" / "doc" / "mesmerize" / "html" / "index.html")
    candidates.append(source_tree_root() / "docs" / "_build" / "html" / "index.html")
    return candidates


def docs_index_path(candidates: Sequence[Path] | None = None) -> Path | None:
    """The first existing ``index.html`` of ``candidates`` (default ``docs_index_candidates()``),
    or None when the documentation is not built."""
    for path in docs_index_candidates() if candidates is None else candidates:
        if Path(path).is_file():
            return Path(path).resolve()
    return None


def not_built_message() -> str:
    """What the user reads when no built documentation is found."""
    return (
        "The documentation has not been built on this computer.\n\n"
        f"Build it in the Mesmerize source directory ({source_tree_root()}):\n\n"
        f"    {INSTALL_DOCS_COMMAND}\n    {BUILD_COMMAND}\n\n"
        "then choose Help -> Open docs again."
    )


def open_docs(parent: QtWidgets.QWidget | None = None,
              candidates: Sequence[Path] | None = None) -> bool:
    """Open the built documentation's ``index.html`` in the web browser.

    ``candidates``: where to look (default ``docs_index_candidates()``). Returns True when the
    desktop opened it; when the docs are not built, shows a message box with the build command
    (parent ``parent``) and returns False.
    """
    index = docs_index_path(candidates)
    if index is None:
        QtWidgets.QMessageBox.information(parent, "Documentation not built", not_built_message())
        return False
    opened = QtGui.QDesktopServices.openUrl(QtCore.QUrl.fromLocalFile(str(index)))
    if not opened:
        QtWidgets.QMessageBox.warning(
            parent, "Cannot open the documentation",
            f"No web browser could open {index}. Open that file in a browser yourself.")
    return bool(opened)
