"""Fixtures for the GUI tests: a small movie on disk and a Viewer window (offscreen)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from mesmerize.core.imaging.tiff_io import save_tiff

META = {"source": "test_imager", "fps": 10.0, "date": "20190425_114405",
        "orig_meta": {"scanner": [1, 2, 3]}}
SHAPE_XYT = (40, 32, 50)


def make_movie(shape_xyt=SHAPE_XYT, seed: int = 0) -> np.ndarray:
    """uint16 ``[x, y, t]`` movie: a smooth baseline with bright blobs that flash over time and
    Poisson shot noise, so every ROI has a distinct curve."""
    rng = np.random.default_rng(seed)
    nx, ny, nt = shape_xyt
    x, y = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    base = 200 + 50 * np.sin(x / 7.0) * np.cos(y / 5.0)
    movie = np.repeat(base[:, :, None], nt, axis=2)
    for cx, cy, period in ((5, 5, 7), (20, 15, 11), (30, 25, 5)):
        blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / 8.0)
        activity = 400 * (np.arange(nt) % period == 0)
        movie += blob[:, :, None] * (300 + activity[None, None, :])
    return rng.poisson(movie).astype(np.uint16)


@pytest.fixture(autouse=True)
def config_dir(tmp_path, monkeypatch):
    """Console history and system configuration go to a temporary ~/.mesmerize."""
    directory = tmp_path / "mesmerize_config"
    monkeypatch.setenv("MESMERIZE_CONFIG_DIR", str(directory))
    return directory


@pytest.fixture
def movie_files(tmp_path):
    """``(tiff_path, meta_path, seq)`` of a movie with its meta data beside it."""
    seq = make_movie()
    tiff = tmp_path / "movie.tiff"
    save_tiff(tiff, seq)
    meta = tmp_path / "movie.json"
    meta.write_text(json.dumps(META))
    return tiff, meta, seq


@pytest.fixture
def viewer(qtbot):
    """A Viewer window with ROI Type columns cell_type, region and Stimulus Type ori."""
    from mesmerize.gui.viewer.window import ViewerWindow

    window = ViewerWindow(roi_type_columns=("cell_type", "region"), stimulus_types=("ori",),
                          plugins_dir="")
    qtbot.addWidget(window)
    window.show()
    yield window
    window.close()


@pytest.fixture
def loaded_viewer(viewer, movie_files):
    """The viewer with the movie loaded through the Tiff file module's API."""
    tiff, meta, _ = movie_files
    viewer.get_module("tiff_io").load_tiff(tiff, meta, method="asarray")
    return viewer


@pytest.fixture
def make_welcome(qtbot):
    """Welcome Windows (mesmerize.gui.app) that close their child windows first, then
    themselves, letting Qt finish each close before the next: pyqtgraph items must go before
    their views, and the in-process consoles answer asynchronously."""
    from mesmerize.gui import app
    from mesmerize.gui.plots.viewer_link import set_sample_opener

    made = []

    def make():
        welcome = app.build_welcome_window()
        made.append(welcome)
        return welcome

    yield make
    set_sample_opener(None)
    for welcome in made:
        for window in list(welcome.windows):
            window.close()
            qtbot.wait(20)
        welcome.close()
        qtbot.wait(20)
