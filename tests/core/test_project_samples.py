"""Project samples: add (files + rows), load, curves, overwrite, delete, purge, bad input.

``make_work_env`` / ``make_cnmf_work_env`` / ``tree_hashes`` are reused by the other project
test files.
"""
import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import tifffile

from mesmerize.core import ImgData, ViewerWorkEnv
from mesmerize.core.errors import (
    ColumnTypeError, FormatVersionError, MetaDataError, ProjectError, SampleIDError,
    StimulusMapError,
)
from mesmerize.core.project import CustomColumn, Project, ProjectConfig
from mesmerize.core.project.samples import write_curves_npz
from mesmerize.core.roi.cnmf_data import CNMFData
from mesmerize.core.roi.manager import ROIManager
from mesmerize.core.stimulus import StimulusMaps

META = {"source": "test_rig", "fps": 10.0, "date": "20240131_094500"}
SHAPE_XYT = (24, 20, 40)


def project_config() -> ProjectConfig:
    return ProjectConfig(
        roi_type_columns=["cell_name", "region"],
        stimulus_type_columns=["odor"],
        custom_columns={"stage": CustomColumn("int"), "promoter": CustomColumn("str"),
                        "dose": CustomColumn("float", 0.5)},
    )


def synthetic_seq(seed: int, shape=SHAPE_XYT) -> np.ndarray:
    """A small ``[x, y, t]`` uint16 movie: smooth background, three blurred cells at rest with
    random calcium transients, Poisson shot noise."""
    rng = np.random.default_rng(seed)
    nx, ny, nt = shape
    x, y = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    background = 80 + 20 * np.sin(x / 7.0) * np.cos(y / 5.0)
    movie = np.repeat(background[:, :, None], nt, axis=2)
    for i, (cx, cy) in enumerate([(5, 5), (8, 7), (16, 12)]):
        footprint = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * 2.0 ** 2))
        activity = 40 + 150 * (rng.random(nt) < 0.1) * np.exp(-0.3 * ((np.arange(nt) + i) % 5))
        movie += footprint[:, :, None] * activity[None, None, :]
    return rng.poisson(movie).astype(np.uint16)


def make_work_env(seed: int = 0, n_rois: int = 3, tags=None, stim: bool = True,
                  meta=META) -> ViewerWorkEnv:
    """A work environment with manual polygon/ellipse ROIs, tags and an odor stimulus map."""
    seq = synthetic_seq(seed)
    manager = ROIManager(roi_type_columns=["cell_name", "region"])
    for i in range(n_rois):
        if i % 2 == 0:
            manager.add_polygon_roi(np.array([[2 + i, 2], [9 + i, 3], [6 + i, 9]], dtype=float))
        else:
            manager.add_ellipse_roi((12.0, 10.0 + i % 5), (3.0, 2.0), angle_deg=15.0)
    for i, roi in enumerate(manager.roi_list):
        for column, value in (tags or {}).get(i, {}).items():
            roi.set_tag(column, value)
    stim_maps = None
    if stim:
        stim_maps = StimulusMaps(stim_types=["odor"])
        stim_maps.maps["odor"].set_data(pd.DataFrame(
            {"name": ["citral", "vanillin", "citral"], "start": [2, 10, 20], "end": [6, 15, 25]}))
    return ViewerWorkEnv(
        imgdata=ImgData(seq, meta), roi_manager=manager, stim_maps=stim_maps,
        history_trace=[{"caiman_motion_correction": {"max_shifts_x": 6, "strides": [48, 48]}}],
        comments=f"sample {seed}",
    )


def make_cnmf_work_env(seed: int = 0, k: int = 3) -> ViewerWorkEnv:
    """A work environment whose ROI manager holds CNMF output with ``k`` components."""
    seq = synthetic_seq(seed)
    nx, ny, nt = seq.shape
    rng = np.random.default_rng(seed)
    dims = (ny, nx)
    footprints = np.zeros((k, ny, nx))
    for i in range(k):
        footprints[i, 3 + 4 * i: 7 + 4 * i, 4: 9] = rng.random((4, 5)) + 0.1
    A = sp.csc_matrix(np.stack([f.reshape(-1, order="F") for f in footprints], axis=1))
    C = rng.random((k, nt)) * 10
    cnmf = CNMFData(A=A, b=np.ones((ny * nx, 1)), C=C, f=np.ones((1, nt)),
                    YrA=rng.normal(size=(k, nt)), dims=dims)
    manager = ROIManager(roi_type_columns=["cell_name", "region"])
    manager.set_cnmf_data(cnmf, mode="cnmfe")
    manager.roi_list[0].set_tag("cell_name", "atena")
    return ViewerWorkEnv(imgdata=ImgData(seq, META), roi_manager=manager,
                         history_trace=[{"cnmfe": {"gSig": 3, "min_pnr": 10}}])


def tree_hashes(root: Path) -> dict[str, str]:
    """sha256 of every file under ``root`` (relative POSIX path -> hex digest)."""
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(root).rglob("*")) if p.is_file()}


@pytest.fixture
def project(tmp_path):
    return Project.create(tmp_path / "proj", project_config())


TAGS = {0: {"cell_name": "atena", "region": "head"}, 2: {"cell_name": "pr"}}


def test_add_sample_rows_and_columns(project):
    work_env = make_work_env(tags=TAGS)
    sample_id = project.add_sample(work_env, "a1", "t1", {"stage": 48, "promoter": "pc2"})
    assert sample_id == "a1-_-t1"
    df = project.dataframe
    assert list(df.columns) == project.config.all_columns
    assert len(df) == 3
    assert (df.SampleID == "a1-_-t1").all() and (df.AnimalID == "a1").all()
    assert (df.TrialID == "t1").all()
    assert df.cell_name.tolist() == ["atena", "untagged", "pr"]
    assert df.region.tolist() == ["head", "untagged", "untagged"]
    assert (df.odor == "citral, vanillin").all()
    assert df.stage.dtype == "Int64" and (df.stage == 48).all()
    assert df.dose.dtype == "float64" and (df.dose == 0.5).all()
    assert (df.promoter == "pc2").all()
    assert (df.date == META["date"]).all() and (df.comments == "sample 0").all()
    assert df.uuid_curve.is_unique
    assert df.ImgUUID.nunique() == 1
    stem = f"a1-_-t1-_-{df.ImgUUID[0]}"
    assert df.ImgPath[0] == f"images/{stem}.tiff"
    assert df.ImgInfoPath[0] == f"images/{stem}.json"
    assert df.CurvePath[0] == f"curves/{stem}.npz"
    for i, roi in enumerate(work_env.roi_manager.roi_list):
        assert json.loads(df.ROI_State[i]) == json.loads(json.dumps(roi.to_state()))
    assert project.missing_files() == []
    assert Project.open(project.path).sample_ids() == ["a1-_-t1"]


def test_sample_files_content(project):
    work_env = make_work_env(tags=TAGS)
    work_env.roi_manager.roi_list[0].set_curve(np.zeros(SHAPE_XYT[2]))  # stale: recomputed
    project.add_sample(work_env, "a1", "t1", {"stage": 3})
    row = project.dataframe.iloc[0]
    movie = tifffile.imread(project.path / row.ImgPath)
    np.testing.assert_array_equal(movie, work_env.imgdata.seq.T)
    info = json.loads((project.path / row.ImgInfoPath).read_text())
    assert info["format_version"] == 1
    assert info["meta"]["fps"] == 10.0 and info["meta"]["source"] == "test_rig"
    assert info["history_trace"] == [{"caiman_motion_correction": {"max_shifts_x": 6,
                                                                   "strides": [48, 48]}}]
    assert info["custom_columns"] == {"stage": 3, "promoter": "untagged", "dose": 0.5}
    assert info["comments"] == "sample 0"
    assert info["roi_manager"] == json.loads(json.dumps(work_env.roi_manager.to_state()))
    assert info["stim_maps"] == json.loads(json.dumps(work_env.stim_maps.to_state()))
    assert info["cnmf_file"] is None
    with np.load(project.path / row.CurvePath, allow_pickle=False) as npz:
        assert sorted(npz.files) == sorted([*project.dataframe.uuid_curve, "format_version"])
    seq = work_env.imgdata.seq.astype(np.float64)
    for i, roi in enumerate(work_env.roi_manager.roi_list):
        curve = project.load_curve(project.dataframe.iloc[i])
        mask = roi.mask(seq.shape[:2])
        np.testing.assert_allclose(curve, seq[mask].mean(axis=0), rtol=1e-5)


def test_load_curves_matches_load_curve(project):
    project.add_sample(make_work_env(0), "a1", "t1")
    project.add_sample(make_work_env(1, n_rois=2), "a2", "t1")
    df = project.dataframe.iloc[::-1]
    curves = project.load_curves(df)
    assert len(curves) == 5
    for (_, row), curve in zip(df.iterrows(), curves):
        np.testing.assert_array_equal(curve, project.load_curve(row))
        assert curve.shape == (SHAPE_XYT[2],)


def test_load_sample_round_trip(project):
    work_env = make_work_env(tags=TAGS)
    project.add_sample(work_env, "a1", "t1", {"stage": 7, "promoter": "cng"})
    loaded = project.load_sample("a1-_-t1")
    row = project.dataframe.iloc[0]
    assert loaded.sample_id == "a1-_-t1" and loaded.UUID == row.ImgUUID
    np.testing.assert_array_equal(loaded.imgdata.seq, work_env.imgdata.seq)
    assert loaded.imgdata.seq.shape == SHAPE_XYT
    assert loaded.meta["fps"] == 10.0 and loaded.meta["date"] == META["date"]
    assert loaded.history_trace == work_env.history_trace
    assert loaded.comments == "sample 0"
    assert loaded.custom_columns_dict == {"stage": 7, "promoter": "cng", "dose": 0.5}
    assert loaded.roi_manager.mode == "manual"
    original, rebuilt = work_env.roi_manager.roi_list, loaded.roi_manager.roi_list
    assert [type(r) for r in rebuilt] == [type(r) for r in original]
    assert [r.uuid for r in rebuilt] == [r.uuid for r in original]
    assert [r.get_tag("cell_name") for r in rebuilt] == ["atena", "untagged", "pr"]
    assert rebuilt[0].get_tag("region") == "head"
    for i, roi in enumerate(rebuilt):
        np.testing.assert_allclose(roi.curve_data[1], project.load_curve(
            project.dataframe.iloc[i]), rtol=1e-5)
    pd.testing.assert_frame_equal(loaded.stim_maps.maps["odor"].dataframe,
                                  work_env.stim_maps.maps["odor"].dataframe)
    assert loaded.modified is False


def test_missing_custom_values_get_fill_and_work_env_values_are_used(project):
    project.add_sample(make_work_env(0), "a1", "t1")
    df = project.dataframe
    assert df.stage.isna().all() and (df.promoter == "untagged").all() and (df.dose == 0.5).all()
    work_env = make_work_env(1)
    work_env.custom_columns_dict = {"stage": 12, "removed_column": "x"}
    project.add_sample(work_env, "a2", "t1")
    df = project.dataframe
    assert df[df.AnimalID == "a2"].stage.tolist() == [12, 12, 12]


def test_cnmf_sample(project):
    work_env = make_cnmf_work_env(k=3)
    project.add_sample(work_env, "c1", "t1")
    df = project.dataframe
    assert len(df) == 3 and df.cell_name.tolist() == ["atena", "untagged", "untagged"]
    info = json.loads((project.path / df.ImgInfoPath[0]).read_text())
    assert info["cnmf_file"] == df.ImgInfoPath[0].removesuffix(".json") + "_cnmf.npz"
    assert (project.path / info["cnmf_file"]).is_file()
    cnmf = work_env.roi_manager.cnmf_data
    for i in range(3):
        np.testing.assert_allclose(project.load_curve(df.iloc[i]), cnmf.C[i])
    loaded = project.load_sample("c1-_-t1")
    assert loaded.roi_manager.mode == "cnmfe"
    np.testing.assert_allclose(loaded.roi_manager.cnmf_data.C, cnmf.C)
    assert (loaded.roi_manager.cnmf_data.A != cnmf.A).nnz == 0
    assert loaded.roi_manager.roi_list[0].get_tag("cell_name") == "atena"
    project.delete_sample("c1-_-t1")
    for b in project.backups():
        b.unlink()
    removed = {p.name for p in project.purge_unreferenced_files()}
    assert Path(info["cnmf_file"]).name in removed


def test_tags_edited_in_dataframe_reach_the_loaded_sample(project):
    project.add_sample(make_work_env(tags=TAGS), "a1", "t1", {"stage": 1})
    df = project.dataframe
    df.loc[df.cell_name == "atena", "cell_name"] = "ATENA"
    df["stage"] = 5
    df["comments"] = "edited"
    project.set_dataframe(df)
    loaded = project.load_sample("a1-_-t1")
    assert loaded.roi_manager.roi_list[0].get_tag("cell_name") == "ATENA"
    assert loaded.custom_columns_dict["stage"] == 5 and loaded.comments == "edited"


def test_overwrite(project):
    project.add_sample(make_work_env(0), "a0", "t")
    project.add_sample(make_work_env(1, tags=TAGS), "a1", "t", {"stage": 1})
    project.add_sample(make_work_env(2), "a2", "t")
    old = project.dataframe
    old_files = {p for p in old[old.AnimalID == "a1"][["ImgPath", "ImgInfoPath", "CurvePath"]]
                 .to_numpy().ravel()}
    with pytest.raises(SampleIDError, match="already exists"):
        project.add_sample(make_work_env(1), "a1", "t")
    work_env = project.load_sample("a1-_-t")
    work_env.roi_manager.roi_list[1].set_tag("cell_name", "new_tag")
    n_backups = len(project.backups())
    project.add_sample(work_env, "a1", "t", {"stage": 2}, overwrite=True)
    df = project.dataframe
    assert len(project.backups()) == n_backups + 1
    assert df.SampleID.tolist() == ["a0-_-t"] * 3 + ["a1-_-t"] * 3 + ["a2-_-t"] * 3
    new_rows = df[df.AnimalID == "a1"]
    assert new_rows.cell_name.tolist() == ["atena", "new_tag", "pr"]
    assert (new_rows.stage == 2).all()
    assert not set(new_rows.uuid_curve) & set(old.uuid_curve)
    for rel in old_files:  # kept: the backup made before the overwrite refers to them
        assert (project.path / rel).exists()
    assert project.missing_files() == []
    pd.testing.assert_frame_equal(df[df.AnimalID != "a1"].reset_index(drop=True),
                                  old[old.AnimalID != "a1"].reset_index(drop=True))


def test_overwrite_keeping_the_image(project):
    project.add_sample(make_work_env(0), "a1", "t")
    old_image = project.dataframe.ImgPath[0]
    image_bytes = (project.path / old_image).read_bytes()
    work_env = project.load_sample("a1-_-t")
    project.add_sample(work_env, "a1", "t", overwrite=True, overwrite_image=False)
    df = project.dataframe
    assert (df.ImgPath == old_image).all()
    assert df.ImgUUID[0] not in old_image
    assert (project.path / old_image).read_bytes() == image_bytes
    assert sorted(p.name for p in (project.path / "images").iterdir() if p.suffix == ".tiff") \
        == [Path(old_image).name]
    assert project.missing_files() == []
    np.testing.assert_array_equal(project.load_sample("a1-_-t").imgdata.seq, work_env.imgdata.seq)


def test_delete_restore_and_purge(project):
    project.add_sample(make_work_env(0), "a1", "t")
    project.add_sample(make_work_env(1), "a2", "t")
    before_delete = project.dataframe
    project.delete_sample("a1-_-t")
    assert project.sample_ids() == ["a2-_-t"]
    assert project.missing_files() == []
    files = set(before_delete[["ImgPath", "ImgInfoPath", "CurvePath"]].to_numpy().ravel())
    assert all((project.path / rel).is_file() for rel in files)
    with pytest.raises(SampleIDError, match="not in the project"):
        project.delete_sample("a1-_-t")
    assert project.purge_unreferenced_files() == []
    project.restore_backup(project.backups()[-1])
    pd.testing.assert_frame_equal(project.dataframe, before_delete)
    assert project.load_sample("a1-_-t").sample_id == "a1-_-t"
    project.delete_sample("a1-_-t")
    (project.path / "images" / ".crashed.tiff.abc.tmp").write_bytes(b"partial")
    (project.path / "dataframes" / ".root.dfr.xyz.tmp").write_bytes(b"partial")
    orphan = project.path / "curves" / "zz-_-t-_-0000.npz"
    orphan.write_bytes(b"orphan")
    for backup in project.backups():
        backup.unlink()
    removed = {project.layout.relative(p) for p in project.purge_unreferenced_files()}
    a1_files = set(before_delete[before_delete.AnimalID == "a1"][
        ["ImgPath", "ImgInfoPath", "CurvePath"]].to_numpy().ravel())
    assert removed == a1_files | {"images/.crashed.tiff.abc.tmp",
                                  "dataframes/.root.dfr.xyz.tmp", "curves/zz-_-t-_-0000.npz"}
    assert project.missing_files() == []
    assert project.load_sample("a2-_-t").sample_id == "a2-_-t"


def _no_imgdata():
    work_env = make_work_env()
    work_env.imgdata = None
    return work_env


def _no_rois():
    work_env = make_work_env()
    work_env.roi_manager.clear()
    return work_env


def _bad_stim():
    work_env = make_work_env()
    work_env.stim_maps.maps["odor"].set_data(
        pd.DataFrame({"name": ["late"], "start": [10], "end": [SHAPE_XYT[2] + 50]}))
    return work_env


def _cnmf_of_another_movie():
    work_env = make_cnmf_work_env()
    work_env.imgdata = ImgData(synthetic_seq(0, shape=(24, 20, 30)), META)
    return work_env


BAD_INPUTS = {
    "animal with separator": (lambda: make_work_env(), ("a-_-1", "t"), {}, SampleIDError, "-_-"),
    "trial with separator": (lambda: make_work_env(), ("a1", "t-_-2"), {}, SampleIDError, "-_-"),
    "empty animal": (lambda: make_work_env(), ("", "t"), {}, SampleIDError, "empty"),
    "slash in trial": (lambda: make_work_env(), ("a1", "t/1"), {}, SampleIDError, "file name"),
    "duplicate": (lambda: make_work_env(), ("dup", "t"), {}, SampleIDError, "already exists"),
    "int column gets float": (lambda: make_work_env(), ("a1", "t"), {"stage": 2.5},
                              ColumnTypeError, "stage.*whole numbers"),
    "int column gets text": (lambda: make_work_env(), ("a1", "t"), {"stage": "48"},
                             ColumnTypeError, "stage.*whole numbers"),
    "str column gets number": (lambda: make_work_env(), ("a1", "t"), {"promoter": 3},
                               ColumnTypeError, "promoter.*text"),
    "float column gets text": (lambda: make_work_env(), ("a1", "t"), {"dose": "x"},
                               ColumnTypeError, "dose.*decimal"),
    "unknown custom column": (lambda: make_work_env(), ("a1", "t"), {"drug": "ptz"},
                              ProjectError, "Unknown custom columns: 'drug'"),
    "no image": (_no_imgdata, ("a1", "t"), {}, ProjectError, "no image"),
    "no meta": (lambda: make_work_env(meta=None), ("a1", "t"), {}, MetaDataError,
                "meta data field"),
    "no ROIs": (_no_rois, ("a1", "t"), {}, ProjectError, "no ROIs"),
    "CNMF curves of another movie": (_cnmf_of_another_movie, ("a1", "t"), {}, ProjectError,
                                     "no curve spanning the movie's 30 frames"),
    "stimulus outside movie": (_bad_stim, ("a1", "t"), {}, StimulusMapError, "after the movie"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS))
def test_bad_input_leaves_project_byte_for_byte_unchanged(project, case):
    project.add_sample(make_work_env(5), "dup", "t", {"stage": 1})
    build, ids, customs, error, message = BAD_INPUTS[case]
    work_env = build()
    before = tree_hashes(project.path)
    with pytest.raises(error, match=message):
        project.add_sample(work_env, *ids, customs)
    assert tree_hashes(project.path) == before
    assert project.sample_ids() == ["dup-_-t"]


def test_overwrite_of_a_sample_that_does_not_exist_adds_it(project):
    assert project.add_sample(make_work_env(), "a1", "t", overwrite=True) == "a1-_-t"
    assert project.sample_ids() == ["a1-_-t"]


def test_newer_sample_files_refused(project):
    project.add_sample(make_work_env(), "a1", "t")
    row = project.dataframe.iloc[0]
    info_path = project.path / row.ImgInfoPath
    info = json.loads(info_path.read_text())
    info_path.write_text(json.dumps({**info, "format_version": 2}))
    with pytest.raises(FormatVersionError, match="format_version 2.*Upgrade"):
        project.load_sample("a1-_-t")
    curve_path = project.path / row.CurvePath
    with np.load(curve_path, allow_pickle=False) as npz:
        curves = {k: npz[k] for k in npz.files if k != "format_version"}
    write_curves_npz(curve_path, curves)
    project.load_curve(row)
    np.savez(curve_path, **curves)
    with pytest.raises(FormatVersionError, match="not a Mesmerize curve file"):
        project.load_curve(row)


def test_change_events(project):
    events = []
    project.changed.connect(lambda what, detail: events.append((what, detail)))
    project.add_sample(make_work_env(0), "a1", "t")
    project.add_sample(make_work_env(1), "a2", "t")
    project.set_dataframe(project.dataframe)
    project.delete_sample("a2-_-t")
    backup = project.backups()[-1]
    project.restore_backup(backup)
    assert events == [("add_sample", "a1-_-t"), ("add_sample", "a2-_-t"), ("dataframe", None),
                      ("delete_sample", "a2-_-t"), ("restore_backup", backup)]
