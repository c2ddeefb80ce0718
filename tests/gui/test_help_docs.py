"""Help -> Open docs (mesmerize.gui.help_docs): finding the built docs' index.html and opening it
with QDesktopServices (monkeypatched: no browser starts), or telling the user how to build it."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from qtpy import QtGui, QtWidgets

from mesmerize.gui import help_docs


@pytest.fixture
def opened(monkeypatch):
    """The URLs QDesktopServices.openUrl was asked to open; it reports success."""
    urls = []

    def open_url(url):
        urls.append(url)
        return True

    monkeypatch.setattr(QtGui.QDesktopServices, "openUrl", staticmethod(open_url))
    return urls


@pytest.fixture
def boxes(monkeypatch):
    """Message boxes shown, as (kind, title, text); none is really shown."""
    shown = []
    for kind in ("information", "warning"):
        monkeypatch.setattr(QtWidgets.QMessageBox, kind,
                            lambda parent, title, text, *a, _k=kind, **kw:
                            shown.append((_k, title, text)))
    return shown


def write_index(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    index = directory / "index.html"
    index.write_text("<html><body>Mesmerize</body></html>")
    return index


def test_candidates_cover_env_dir_installed_share_and_source_tree(tmp_path, monkeypatch):
    monkeypatch.setenv(help_docs.DOCS_DIR_ENV, str(tmp_path / "snapdocs"))
    candidates = help_docs.docs_index_candidates()
    root = Path(help_docs.__file__).resolve().parents[2]
    assert candidates == [
        tmp_path / "snapdocs" / "index.html",
        Path(sys.prefix) / "share" / "doc" / "mesmerize" / "html" / "index.html",
        root / "docs" / "_build" / "html" / "index.html",
    ]
    monkeypatch.delenv(help_docs.DOCS_DIR_ENV)
    assert len(help_docs.docs_index_candidates()) == 2


def test_first_existing_candidate_wins(tmp_path):
    first, second = tmp_path / "a" / "index.html", write_index(tmp_path / "b")
    third = write_index(tmp_path / "c")
    assert help_docs.docs_index_path([first, second, third]) == second.resolve()
    assert help_docs.docs_index_path([first]) is None


def test_env_dir_docs_open_as_a_local_file_url(qtbot, tmp_path, monkeypatch, opened, boxes):
    index = write_index(tmp_path / "built html")
    monkeypatch.setenv(help_docs.DOCS_DIR_ENV, str(index.parent))
    assert help_docs.open_docs() is True
    assert len(opened) == 1 and opened[0].isLocalFile()
    assert Path(opened[0].toLocalFile()) == index.resolve()
    assert boxes == []


def test_missing_docs_show_the_build_command_and_open_nothing(qtbot, tmp_path, opened, boxes):
    parent = QtWidgets.QWidget()
    qtbot.addWidget(parent)
    assert help_docs.open_docs(parent, candidates=[tmp_path / "nope" / "index.html"]) is False
    assert opened == []
    assert len(boxes) == 1
    kind, title, text = boxes[0]
    assert kind == "information" and title == "Documentation not built"
    assert "python -m sphinx -b html docs docs/_build/html" in text
    assert 'pip install ".[docs]"' in text


def test_a_desktop_that_cannot_open_the_url_is_reported(qtbot, tmp_path, monkeypatch, boxes):
    index = write_index(tmp_path / "html")
    monkeypatch.setattr(QtGui.QDesktopServices, "openUrl", staticmethod(lambda url: False))
    assert help_docs.open_docs(candidates=[index]) is False
    assert [(kind, title) for kind, title, _ in boxes] == [
        ("warning", "Cannot open the documentation")]
    assert str(index.resolve()) in boxes[0][2]
