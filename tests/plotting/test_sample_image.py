"""sample_image: projections of a project sample's movie and ROI outlines from DataFrame rows."""
import numpy as np
import pytest

from mesmerize.core.errors import ProjectError
from mesmerize.core.project import Project
from mesmerize.plotting.sample_image import roi_outline, sample_projection
from tests.core.test_project_samples import (
    make_cnmf_work_env, make_work_env, project_config, synthetic_seq,
)


@pytest.fixture
def project(tmp_path):
    proj = Project.create(tmp_path / "proj", project_config())
    proj.add_sample(make_work_env(0), "a1", "t1")
    proj.add_sample(make_cnmf_work_env(1), "c1", "t1")
    return proj


def test_projection_matches_numpy(project):
    row = project.dataframe.iloc[0]
    seq = synthetic_seq(0).astype(np.float64)
    for kind, ref in (("max", seq.max(axis=2)), ("std", seq.std(axis=2))):
        image = sample_projection(project.path, row["ImgPath"], kind)
        assert image.shape == seq.shape[:2]
        expected = (ref - ref.min()) / (ref.max() - ref.min())
        np.testing.assert_allclose(image, expected, atol=1e-9)  # same values, scaled to [0, 1]


def test_polygon_ellipse_and_cnmf_outlines(project):
    df = project.dataframe
    manual = df[df.SampleID == "a1-_-t1"]
    poly = roi_outline(project.path, manual.iloc[0])
    np.testing.assert_allclose(poly, [[2, 2], [9, 3], [6, 9]])
    ellipse = roi_outline(project.path, manual.iloc[1])
    # every outline point lies on the ellipse centred (12, 11), radii (3, 2), rotated 15 degrees
    theta = np.radians(15.0)
    d = ellipse - [12.0, 11.0]
    u = d[:, 0] * np.cos(theta) + d[:, 1] * np.sin(theta)
    v = -d[:, 0] * np.sin(theta) + d[:, 1] * np.cos(theta)
    np.testing.assert_allclose((u / 3.0) ** 2 + (v / 2.0) ** 2, 1.0, atol=1e-9)
    cnmf_rows = df[df.SampleID == "c1-_-t1"]
    outline = roi_outline(project.path, cnmf_rows.iloc[0])
    # the first component covers pixels x 4..8, y 3..6: its outline runs through their centres
    assert len(outline) >= 4
    assert outline[:, 0].min() >= 4.5 and outline[:, 0].max() <= 8.5
    assert outline[:, 1].min() >= 3.5 and outline[:, 1].max() <= 6.5


def test_missing_project_or_files_are_explained(project, tmp_path):
    row = project.dataframe.iloc[0]
    with pytest.raises(ProjectError, match="no project path"):
        sample_projection(None, row["ImgPath"])
    with pytest.raises(ProjectError, match="missing"):
        sample_projection(tmp_path / "elsewhere", row["ImgPath"])
    with pytest.raises(ProjectError, match="ROI_State"):
        roi_outline(project.path, {"ImgPath": row["ImgPath"]})
    with pytest.raises(ProjectError, match="Projection must be"):
        sample_projection(project.path, row["ImgPath"], "mean")
