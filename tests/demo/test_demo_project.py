"""The demo project: ROI outlines of footprints, project contents, refusing to overwrite."""
import numpy as np
import pytest
from scipy.ndimage import binary_fill_holes

from mesmerize.core.errors import ProjectError
from mesmerize.core.project import Project
from mesmerize.core.roi.roi_types import PolygonROI
from mesmerize.demo.demo_project import build_demo_project, footprint_polygon, remove_previous_demo
from mesmerize.demo.synthetic import SyntheticParams, generate


def test_footprint_polygon_covers_exactly_the_thresholded_pixels():
    movie = generate(SyntheticParams(shape=(5, 64, 48), n_neurons=8, seed=1))
    holes = 0
    for footprint in movie.footprints:
        vertices = footprint_polygon(footprint, 0.5)
        mask_xy = PolygonROI(vertices).mask((48, 64))  # frame shape (x, y)
        filled = binary_fill_holes(footprint >= 0.5)
        holes += int((filled != (footprint >= 0.5)).any())
        np.testing.assert_array_equal(mask_xy, filled.T)
    assert holes >= 1  # a dim nucleus below the level is inside the ROI
    with pytest.raises(ProjectError):
        footprint_polygon(np.zeros((10, 10)), 0.5)


def test_build_demo_project(tmp_path):
    params = SyntheticParams(shape=(150, 64, 64), n_neurons=6, fps=10.0, max_shift=1.0, seed=2)
    messages = []
    summary = build_demo_project(tmp_path, params, progress=messages.append)
    assert summary["n_rois"] == 6 and summary["n_frames"] == 150
    assert summary["movie_path"] == tmp_path / "raw" / "demo_movie.tiff"
    assert any("Added sample" in m for m in messages)
    project = Project.open(summary["project_path"])
    assert project.config.roi_type_columns == ["cell_type"]
    assert project.config.stimulus_type_columns == ["stimulus"]
    assert project.config.custom_columns["genotype"].type == "str"
    work_env = project.load_sample(summary["sample_id"])
    rois = work_env.roi_manager.roi_list
    assert len(rois) == 6
    # each ROI's curve is the mean of the movie over the pixels of its true footprint
    seq = work_env.imgdata.seq
    truth = generate(params)
    for roi, footprint in zip(rois, truth.footprints):
        expected = seq[binary_fill_holes(footprint >= 0.5).T].mean(axis=0)
        np.testing.assert_allclose(roi.curve_data[1], expected, rtol=1e-5)
    frames = work_env.stim_maps.maps["stimulus"].to_frames()
    assert len(frames) >= 1 and (frames["end"] <= 150).all()
    with pytest.raises(ProjectError, match="already exists"):
        build_demo_project(tmp_path, params, progress=messages.append)


def test_remove_previous_demo_only_removes_a_demo(tmp_path):
    params = SyntheticParams(shape=(60, 48, 48), n_neurons=3, seed=4)
    build_demo_project(tmp_path / "a", params, progress=lambda m: None)
    remove_previous_demo(tmp_path / "a")
    assert list((tmp_path / "a").iterdir()) == []
    build_demo_project(tmp_path / "b", params, progress=lambda m: None)
    (tmp_path / "b" / "raw" / "my_data.tiff").write_bytes(b"x")
    with pytest.raises(ProjectError, match="my_data.tiff"):
        remove_previous_demo(tmp_path / "b")
    assert (tmp_path / "b" / "project" / "config.json").is_file()
