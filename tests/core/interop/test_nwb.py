"""NWB export / import: round trips of manual and CNMF(E) project samples, foreign ophys files,
pynwb's validator, atomic writes and clear errors.

Tolerances: masks, curves, CNMF matrices and movies are compared exactly (they are stored in
their own dtype), except manual curves recomputed by ``add_sample`` (rtol 1e-6, float32 sums)
and pixel-mask weights (float32 in NWB, rtol 2**-24). Stimulus periods in frames go through
seconds (frames / fps) and back and must come back exactly (the importer snaps values within
1e-6 frames of an integer).
"""
import datetime
import subprocess
import sys

import h5py
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import tifffile
from pynwb import NWBHDF5IO, NWBFile, validate
from pynwb.epoch import TimeIntervals
from pynwb.file import Subject
from pynwb.ophys import Fluorescence, ImageSegmentation, OpticalChannel, TwoPhotonSeries

from mesmerize.core import ImgData, ViewerWorkEnv
from mesmerize.core.errors import (
    FormatVersionError, ImageLoadError, ParameterError, ProjectError, ROIError, SampleIDError,
    StimulusMapError,
)
from mesmerize.core.interop import (
    NWBImagingInfo, add_nwb_to_project, export_sample_to_nwb, export_samples_to_nwb,
    export_work_env_to_nwb, import_nwb,
)
from mesmerize.core.interop import nwb_export
from mesmerize.core.project import CustomColumn, Project, ProjectConfig
from mesmerize.core.roi.cnmf_data import CNMFData
from mesmerize.core.roi.manager import ROIManager
from mesmerize.core.stimulus import StimulusMaps

META = {"source": "test_rig", "fps": 8.0, "date": "20240131_094500", "orig_meta": {"zoom": 2}}
NX, NY, NT = 32, 32, 40
CENTRES = [(9.0, 10.0), (13.0, 12.0), (22.0, 21.0)]  # cells 0 and 1 overlap


def synthetic_movie(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``([x, y, t] uint16 movie, (3, x, y) footprints, (3, T) activity)``: smooth background,
    neuropil texture, three cells visible at rest (two overlapping) with transients, shot
    noise."""
    rng = np.random.default_rng(seed)
    x, y = np.meshgrid(np.arange(NX), np.arange(NY), indexing="ij")
    background = 60 + 25 * np.sin(x / 9.0) * np.cos(y / 7.0)
    neuropil = 8 * np.sin(x / 2.3 + 1) * np.sin(y / 3.1) + 6 * rng.random((NX, NY))
    footprints = np.stack([np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * 2.2 ** 2))
                           for cx, cy in CENTRES])
    footprints[footprints < 0.05] = 0
    spikes = rng.random((3, NT)) < 0.12
    kernel = np.exp(-np.arange(12) / 3.0)
    activity = 30 + 120 * np.stack([np.convolve(s, kernel)[:NT] for s in spikes])
    movie = background[:, :, None] + neuropil[:, :, None] \
        + np.einsum("kxy,kt->xyt", footprints, activity)
    return rng.poisson(movie).astype(np.uint16), footprints, activity


def stim_maps() -> StimulusMaps:
    maps = StimulusMaps(["odor", "light"])
    maps.maps["odor"].set_data(pd.DataFrame(
        {"name": ["citral", "vanillin", "citral"], "start": [3, 11, 25], "end": [7, 17, 33],
         "color": ["#ff000080", None, None]}))
    maps.maps["light"].set_data(
        pd.DataFrame({"name": ["blue"], "start": [0.5], "end": [1.25]}), units="seconds")
    return maps


def manual_work_env(seed: int = 0) -> ViewerWorkEnv:
    seq, _, _ = synthetic_movie(seed)
    manager = ROIManager(roi_type_columns=["cell_type", "region/area"])
    manager.add_polygon_roi([[5.0, 6.0], [13.0, 7.0], [11.0, 14.5]])
    manager.add_ellipse_roi((13.0, 12.0), (4.0, 2.5), angle_deg=30.0)
    manager.add_polygon_roi([[18.0, 17.0], [26.5, 18.0], [25.0, 26.0], [19.0, 25.0]])
    manager.roi_list[0].set_tag("cell_type", "neuron")
    manager.roi_list[2].set_tag("region/area", "head")
    return ViewerWorkEnv(
        imgdata=ImgData(seq, META), roi_manager=manager, stim_maps=stim_maps(),
        history_trace=[{"caiman_motion_correction": {"max_shifts_x": 6, "strides": [48, 48]}}],
        custom_columns_dict={"stage": 48, "promoter": "pc2"}, comments="manual sample")


def cnmf_work_env(seed: int = 1, idx_components=(2, 0)) -> ViewerWorkEnv:
    seq, footprints, activity = synthetic_movie(seed)
    rng = np.random.default_rng(seed)
    A = sp.csc_matrix(footprints.reshape(3, NX * NY).T)  # (x, y) C order = (H, W) F order
    data = CNMFData(A=A, b=np.ones((NX * NY, 1)), C=activity, f=np.ones((1, NT)),
                    YrA=rng.normal(size=(3, NT)), dims=(NY, NX), S=(activity > 100) * 1.0,
                    idx_components=None if idx_components is None else list(idx_components))
    manager = ROIManager(roi_type_columns=["cell_type", "region/area"])
    manager.set_cnmf_data(data, mode="cnmfe")
    manager.roi_list[1].set_tag("cell_type", "interneuron")  # component 0 by default
    return ViewerWorkEnv(imgdata=ImgData(seq, META), roi_manager=manager,
                         history_trace=[{"cnmfe": {"gSig": 3, "min_pnr": 10}}])


def config() -> ProjectConfig:
    return ProjectConfig(roi_type_columns=["cell_type", "region/area"],
                         stimulus_type_columns=["odor", "light"],
                         custom_columns={"stage": CustomColumn("int"),
                                         "promoter": CustomColumn("str")})


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """A project with a manual and a CNMF-E sample, both exported to NWB."""
    root = tmp_path_factory.mktemp("nwb")
    project = Project.create(root / "proj", config())
    project.add_sample(manual_work_env(), "mouse1", "trial1")
    project.add_sample(cnmf_work_env(), "mouse1", "trial2")
    paths = export_samples_to_nwb(project, project.sample_ids(), root / "nwb")
    return project, paths


def assert_same_sample(imported: ViewerWorkEnv, original: ViewerWorkEnv) -> None:
    frame = original.imgdata.seq.shape[:2]
    assert np.array_equal(imported.imgdata.seq, original.imgdata.seq)
    assert imported.imgdata.seq.dtype == original.imgdata.seq.dtype
    assert imported.meta == original.meta
    assert imported.roi_manager.mode == original.roi_manager.mode
    new, old = imported.roi_manager.roi_list, original.roi_manager.roi_list
    assert [type(r) for r in new] == [type(r) for r in old]
    for a, b in zip(new, old):
        assert a.uuid == b.uuid
        # tags compare through get_all_tags: "untagged" may be stored or implied
        assert {**a.to_state(), "tags": None} == {**b.to_state(), "tags": None}
        assert a.get_all_tags() == b.get_all_tags()
        assert np.array_equal(a.mask(frame), b.mask(frame))
        assert a.curve_data[1].dtype == b.curve_data[1].dtype
        assert np.array_equal(a.curve_data[1], b.curve_data[1])
    assert imported.stim_maps.stim_types == original.stim_maps.stim_types
    for stim_type in original.stim_maps.stim_types:
        a, b = imported.stim_maps.maps[stim_type], original.stim_maps.maps[stim_type]
        assert a.units == b.units
        pd.testing.assert_frame_equal(a.dataframe, b.dataframe, check_exact=True)
    assert imported.history_trace == original.history_trace
    assert imported.custom_columns_dict == original.custom_columns_dict
    assert imported.comments == original.comments


def test_export_writes_one_valid_nwb_file_per_sample(exported):
    project, paths = exported
    assert [p.name for p in paths] == ["mouse1-_-trial1.nwb", "mouse1-_-trial2.nwb"]
    for path in paths:
        assert validate(path=str(path)) == []
    cli = subprocess.run([sys.executable, "-m", "pynwb.validation_cli", *map(str, paths)],
                         capture_output=True, text=True, timeout=120)
    assert cli.returncode == 0, cli.stdout + cli.stderr
    assert cli.stdout.count("no errors found") == 2
    assert not list(paths[0].parent.glob(".*.tmp"))


def test_nwb_content_follows_the_ophys_layout(exported):
    project, paths = exported
    df = project.dataframe
    manual = df[df.SampleID == "mouse1-_-trial1"]
    with NWBHDF5IO(str(paths[0]), "r") as io:
        nwb = io.read()
        assert nwb.session_start_time.strftime("%Y%m%d_%H%M%S") == META["date"]
        assert nwb.subject.subject_id == "mouse1" and nwb.session_id == "mouse1-_-trial1"
        assert nwb.identifier == manual.ImgUUID.iloc[0]
        assert nwb.notes == "manual sample"
        movie = nwb.acquisition["TwoPhotonSeries"]
        assert movie.rate == META["fps"] and list(movie.dimension[:]) == [NX, NY]
        reference = movie.external_file[0]
        assert not reference.startswith("/")
        assert (paths[0].parent / reference).resolve() == \
            project.layout.absolute(manual.ImgPath.iloc[0]).resolve()
        assert nwb.imaging_planes["ImagingPlane"].imaging_rate == META["fps"]
        plane = nwb.processing["ophys"]["ImageSegmentation"]["PlaneSegmentation"]
        assert plane["image_mask"].data.shape == (3, NX, NY)
        assert list(plane["uuid_curve"].data[:]) == manual.uuid_curve.tolist()
        assert list(plane["cell_type"].data[:]) == manual.cell_type.tolist()
        # '/' cannot be part of an NWB name: the column is renamed, the tags kept
        assert list(plane["region_area"].data[:]) == manual["region/area"].tolist()
        curves = nwb.processing["ophys"]["Fluorescence"]["RoiResponseSeries"].data[:]
        assert curves.shape == (NT, 3)
        stored = project.load_curves(manual)
        assert np.array_equal(curves.T, np.stack(stored))
        odor = nwb.intervals["odor"].to_dataframe()
        assert odor.stimulus_name.tolist() == ["citral", "vanillin", "citral"]
        np.testing.assert_allclose(odor.start_time, np.array([3, 11, 25]) / META["fps"],
                                   rtol=0, atol=1e-12)
        light = nwb.intervals["light"].to_dataframe()
        assert light.start_time.tolist() == [0.5] and light.stop_time.tolist() == [1.25]
    with NWBHDF5IO(str(paths[1]), "r") as io:
        nwb = io.read()
        assert "OnePhotonSeries" in nwb.acquisition  # CNMF-E sample -> one-photon
        plane = nwb.processing["ophys"]["ImageSegmentation"]["PlaneSegmentation"]
        assert list(plane["accepted"].data[:]) == [True, False, True]
        fluorescence = nwb.processing["ophys"]["Fluorescence"]
        assert set(fluorescence.roi_response_series) == {"RoiResponseSeries", "Residuals",
                                                         "Deconvolved"}


@pytest.mark.parametrize("sample_id", ["mouse1-_-trial1", "mouse1-_-trial2"])
def test_round_trip_gives_back_the_sample(exported, sample_id):
    project, paths = exported
    path = paths[project.sample_ids().index(sample_id)]
    imported = import_nwb(path)
    assert (imported.animal_id, imported.trial_id) == tuple(sample_id.split("-_-"))
    assert imported.roi_type_columns == ["cell_type", "region/area"]
    assert imported.notes == [] and imported.extra_traces == {}
    original = project.load_sample(sample_id)
    assert_same_sample(imported.work_env, original)
    if original.roi_manager.mode != "manual":
        a, b = imported.work_env.roi_manager.cnmf_data, original.roi_manager.cnmf_data
        assert (a.A != b.A).nnz == 0 and a.dims == b.dims
        for name in ("C", "YrA", "S", "idx_components"):
            assert np.array_equal(getattr(a, name), getattr(b, name)), name


def test_imported_sample_adds_to_a_project_with_the_same_rows(exported, tmp_path):
    project, paths = exported
    other = Project.create(tmp_path / "other")
    with pytest.raises(ProjectError, match="add_missing_columns=True"):
        add_nwb_to_project(other, paths[0])
    assert other.dataframe.empty
    sample_id = add_nwb_to_project(other, paths[0], add_missing_columns=True)
    assert sample_id == "mouse1-_-trial1"
    assert other.config.custom_columns["stage"].type == "int"
    old = project.dataframe
    old = old[old.SampleID == sample_id].reset_index(drop=True)
    new = other.dataframe.reset_index(drop=True)
    for column in ["cell_type", "region/area", "odor", "light", "stage", "promoter", "date",
                   "comments"]:
        assert new[column].tolist() == old[column].tolist(), column
    # manual curves are recomputed from the movie on add_sample: float32 sums in another pixel
    # order than the original (C- vs Fortran-ordered movie), hence rtol 1e-6
    np.testing.assert_allclose(np.stack(other.load_curves(new)),
                               np.stack(project.load_curves(old)), rtol=1e-6, atol=0)
    again = add_nwb_to_project(other, paths[1], "mouse2", "t9")
    assert again == "mouse2-_-t9"
    assert other.dataframe.cell_type.tolist()[-2:] == ["untagged", "interneuron"]


def test_embedded_movie_pixel_masks_and_dff(tmp_path):
    work_env = cnmf_work_env(seed=3, idx_components=None)
    dff = np.random.default_rng(0).normal(size=(3, NT))
    path = export_work_env_to_nwb(
        work_env, tmp_path / "s.nwb", "m", "t", include_movie=True, mask_type="pixel", dff=dff,
        imaging=NWBImagingInfo(indicator="GCaMP6f", location="V1", excitation_lambda=920.0,
                               microscopy="two_photon"),
        timezone=datetime.timezone(datetime.timedelta(hours=2)))
    assert validate(path=str(path)) == []
    with NWBHDF5IO(str(path), "r") as io:
        nwb = io.read()
        assert nwb.session_start_time.utcoffset() == datetime.timedelta(hours=2)
        assert nwb.imaging_planes["ImagingPlane"].indicator == "GCaMP6f"
        movie = nwb.acquisition["TwoPhotonSeries"]
        assert movie.external_file is None and movie.data.shape == (NT, NX, NY)
        assert "pixel_mask" in nwb.processing["ophys"]["ImageSegmentation"][
            "PlaneSegmentation"].colnames
    imported = import_nwb(path)
    assert np.array_equal(imported.extra_traces["DfOverF/RoiResponseSeries"], dff)
    assert_same_sample(imported.work_env, work_env)
    # NWB stores pixel-mask weights as float32: relative error <= 2**-24
    assert imported.work_env.roi_manager.cnmf_data.idx_components is None
    a, b = imported.work_env.roi_manager.cnmf_data.A, work_env.roi_manager.cnmf_data.A
    np.testing.assert_allclose(a.toarray(), b.toarray(), rtol=2.0 ** -24, atol=0)


def test_external_movie_must_be_found_or_given(exported, tmp_path):
    project, paths = exported
    moved = tmp_path / "alone.nwb"
    moved.write_bytes(paths[0].read_bytes())
    with pytest.raises(ImageLoadError, match="movie_path="):
        import_nwb(moved)
    image = project.dataframe.ImgPath.iloc[0]
    imported = import_nwb(moved, movie_path=project.layout.absolute(image))
    assert_same_sample(imported.work_env, project.load_sample("mouse1-_-trial1"))
    tifffile.imwrite(tmp_path / "small.tiff", np.zeros((NT, 16, 16), dtype=np.uint16))
    with pytest.raises(ROIError, match="does not belong"):
        import_nwb(moved, movie_path=tmp_path / "small.tiff")
    tifffile.imwrite(tmp_path / "short.tiff", np.zeros((5, NY, NX), dtype=np.uint16))
    with pytest.raises(ROIError, match="does not belong"):
        import_nwb(moved, movie_path=tmp_path / "short.tiff")


def foreign_nwb(path, planes: int = 1, with_traces: bool = True, with_movie: bool = True):
    """An ophys NWB file as conversion tools write it (no Mesmerize information)."""
    seq, footprints, activity = synthetic_movie(7)
    nwb = NWBFile(session_description="suite2p output", identifier="rec-42",
                  session_start_time=datetime.datetime(2023, 5, 6, 7, 8, 9,
                                                       tzinfo=datetime.timezone.utc),
                  session_id="session3", subject=Subject(subject_id="rat7"), lab="lab x")
    device = nwb.create_device(name="scope")
    plane = nwb.create_imaging_plane(
        name="plane0", optical_channel=OpticalChannel(name="ch", description="green",
                                                      emission_lambda=510.0),
        description="L2/3", device=device, excitation_lambda=920.0, indicator="GCaMP6s",
        location="V1", imaging_rate=15.0)
    if with_movie:
        nwb.add_acquisition(TwoPhotonSeries(name="raw", imaging_plane=plane, unit="n.a.",
                                            data=np.moveaxis(seq, -1, 0), rate=15.0))
    ophys = nwb.create_processing_module(name="ophys", description="suite2p")
    segmentation = ImageSegmentation(name="ImageSegmentation")
    ophys.add(segmentation)
    fluorescence = Fluorescence(name="Fluorescence")
    if with_traces:
        ophys.add(fluorescence)
    for p in range(planes):
        seg = segmentation.create_plane_segmentation(
            name=f"PlaneSegmentation{p or ''}", description="rois", imaging_plane=plane)
        for mask in footprints:
            seg.add_roi(image_mask=mask)
        seg.add_column(name="cell_class", description="label", data=["pyr", "pv", "pyr"])
        seg.add_column(name="Accepted", description="accepted", data=[1, 1, 0])
        seg.add_column(name="snr", description="number", data=[1.5, 2.0, 3.0])
        if with_traces:
            region = seg.create_roi_table_region(region=[2, 0, 1], description="all")
            fluorescence.create_roi_response_series(
                name=f"RoiResponseSeries{p or ''}", data=activity[[2, 0, 1]].T, rois=region,
                unit="n.a.", rate=15.0)
    trials = TimeIntervals(name="visual", description="gratings")
    trials.add_column(name="condition", description="grating")
    trials.add_row(start_time=0.0, stop_time=1.0, condition="0deg")
    trials.add_row(start_time=1.5, stop_time=2.0, condition="90deg")
    nwb.add_time_intervals(trials)
    nwb.add_trial_column(name="correct", description="no stimulus name")
    nwb.add_trial(start_time=0.0, stop_time=2.0, correct=True)
    with NWBHDF5IO(str(path), "w") as io:
        io.write(nwb)
    return seq, footprints, activity


def test_foreign_ophys_file_imports_as_cnmf_rois(tmp_path):
    seq, footprints, activity = foreign_nwb(tmp_path / "f.nwb")
    imported = import_nwb(tmp_path / "f.nwb")
    env = imported.work_env
    assert (imported.animal_id, imported.trial_id) == ("rat7", "session3")
    assert np.array_equal(env.imgdata.seq, seq)
    assert env.meta["fps"] == 15.0 and env.meta["date"] == "20230506_070809"
    assert env.meta["orig_meta"]["identifier"] == "rec-42"
    assert env.meta["orig_meta"]["lab"] == "lab x"
    manager = env.roi_manager
    assert manager.mode == "cnmf"
    assert [roi.cnmf_idx for roi in manager.roi_list] == [0, 1]  # 'Accepted' column
    for roi in manager.roi_list:
        k = roi.cnmf_idx
        assert np.array_equal(roi.footprint, footprints[k].astype(np.float32))
        assert np.array_equal(roi.curve_data[1], activity[k])  # rows follow the region order
        assert roi.get_tag("cell_class") == ["pyr", "pv", "pyr"][k]
    assert imported.roi_type_columns == ["cell_class"]
    assert imported.stimulus_types == ["visual"]  # 'trials' names no stimulus
    assert len(imported.notes) == 1 and "'trials'" in imported.notes[0]
    visual = env.stim_maps.maps["visual"].to_frames()
    assert visual.name.tolist() == ["0deg", "90deg"]
    assert visual.start.tolist() == [0.0, 22.5] and visual.end.tolist() == [15.0, 30.0]
    assert env.history_trace[0]["nwb_import"]["identifier"] == "rec-42"
    project = Project.create(tmp_path / "p")
    sample_id = add_nwb_to_project(project, tmp_path / "f.nwb", add_missing_columns=True)
    assert sample_id == "rat7-_-session3"
    assert project.dataframe.cell_class.tolist() == ["pyr", "pv"]
    assert project.dataframe.visual.tolist() == ["0deg, 90deg"] * 2


def test_several_planes_need_a_choice(tmp_path):
    foreign_nwb(tmp_path / "f.nwb", planes=2)
    with pytest.raises(ROIError, match="plane_segmentation="):
        import_nwb(tmp_path / "f.nwb")
    imported = import_nwb(tmp_path / "f.nwb", plane_segmentation="PlaneSegmentation1")
    assert len(imported.work_env.roi_manager.roi_list) == 2


def test_files_without_ophys_data_are_refused_clearly(tmp_path):
    foreign_nwb(tmp_path / "notrace.nwb", with_traces=False)
    with pytest.raises(ROIError, match="no fluorescence traces"):
        import_nwb(tmp_path / "notrace.nwb")
    foreign_nwb(tmp_path / "nomovie.nwb", with_movie=False)
    with pytest.raises(ImageLoadError, match="no imaging movie"):
        import_nwb(tmp_path / "nomovie.nwb")
    empty = NWBFile(session_description="ephys", identifier="e",
                    session_start_time=datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc))
    with NWBHDF5IO(str(tmp_path / "ephys.nwb"), "w") as io:
        io.write(empty)
    with pytest.raises(ROIError, match="no optical physiology ROIs"):
        import_nwb(tmp_path / "ephys.nwb")
    with h5py.File(tmp_path / "plain.h5", "w") as h5:
        h5["x"] = np.arange(3)
    with pytest.raises(ImageLoadError, match="cannot be read as an NWB file"):
        import_nwb(tmp_path / "plain.h5")
    with pytest.raises(ImageLoadError, match="does not exist"):
        import_nwb(tmp_path / "missing.nwb")


def test_newer_mesmerize_information_is_refused(exported, tmp_path):
    _, paths = exported
    newer = tmp_path / "newer.nwb"
    newer.write_bytes(paths[1].read_bytes())
    with h5py.File(newer, "r+") as h5:
        h5["processing/mesmerize/sample_info/format_version"][0] = 99
    with pytest.raises(FormatVersionError, match="Upgrade Mesmerize"):
        import_nwb(newer)


def test_export_refuses_bad_requests_and_never_leaves_partial_files(exported, tmp_path,
                                                                    monkeypatch):
    project, paths = exported
    with pytest.raises(ProjectError, match="overwrite=True"):
        export_samples_to_nwb(project, project.sample_ids(), paths[0].parent)
    with pytest.raises(SampleIDError, match="nope"):
        export_samples_to_nwb(project, ["nope"], tmp_path)
    with pytest.raises(ParameterError, match="movie_file="):
        export_work_env_to_nwb(manual_work_env(), tmp_path / "a.nwb", "m", "t")
    with pytest.raises(ParameterError, match="dff must be"):
        export_work_env_to_nwb(manual_work_env(), tmp_path / "a.nwb", "m", "t",
                               include_movie=True, dff=np.zeros((2, NT)))
    with pytest.raises(ParameterError, match="microscopy"):
        NWBImagingInfo(microscopy="three_photon")
    late = manual_work_env()
    late.stim_maps.maps["odor"].set_data(pd.DataFrame({"name": ["x"], "start": [30],
                                                       "end": [NT + 5]}))
    with pytest.raises(StimulusMapError, match="after the movie"):
        export_work_env_to_nwb(late, tmp_path / "a.nwb", "m", "t", include_movie=True)
    empty = manual_work_env()
    empty.roi_manager.clear()
    with pytest.raises(ProjectError, match="no ROIs"):
        export_work_env_to_nwb(empty, tmp_path / "a.nwb", "m", "t", include_movie=True)
    with pytest.raises(SampleIDError):
        export_work_env_to_nwb(manual_work_env(), tmp_path / "a.nwb", "m-_-x", "t",
                               include_movie=True)
    monkeypatch.setattr(nwb_export, "validate", lambda path: ["fake schema error"])
    with pytest.raises(ProjectError, match="fake schema error"):
        export_sample_to_nwb(project, "mouse1-_-trial1", tmp_path / "b.nwb")
    assert list(tmp_path.iterdir()) == []
    before = paths[0].read_bytes()
    with pytest.raises(ProjectError, match="fake schema error"):
        export_sample_to_nwb(project, "mouse1-_-trial1", paths[0], overwrite=True)
    assert paths[0].read_bytes() == before
