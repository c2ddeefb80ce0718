"""ImgData and ViewerWorkEnv (user guide: "Viewer Overview", console examples)."""
import json

import numpy as np
import pandas as pd
import pytest
import tifffile

from mesmerize.core import ImgData, ViewerWorkEnv
from mesmerize.core.errors import ImageLoadError, MetaDataError, ParameterError
from mesmerize.core.imaging.tiff_io import save_tiff
from mesmerize.core.roi.manager import ROIManager
from mesmerize.core.stimulus import StimulusMaps

META = {"source": "our_recording_program", "fps": 20.0, "date": "20190425_114405"}
GUIDE_HISTORY = [
    {"caiman_motion_correction": {"max_shifts_x": 32, "max_shifts_y": 32, "iters_rigid": 1,
                                  "strides": 196, "overlaps": 98, "upsample": 4, "bord_px": 5}},
    {"cnmfe": {"Input": "Current Work Environment", "frate": 10.0, "gSig": 10, "min_pnr": 10}},
]


@pytest.fixture
def movie_tyx():
    rng = np.random.default_rng(0)
    return rng.integers(100, 2000, size=(40, 10, 12), dtype=np.uint16)


class Counter:
    def __init__(self):
        self.calls = 0

    def __call__(self, *args):
        self.calls += 1


# --- ImgData ---------------------------------------------------------------------------------

def test_imgdata_attributes(movie_tyx):
    imgdata = ImgData(movie_tyx.T, META)
    assert imgdata.seq.shape == (12, 10, 40)
    assert imgdata.frame_shape == (12, 10) and imgdata.n_frames == 40
    assert imgdata.dtype == np.uint16
    assert imgdata.has_meta and imgdata.fps == 20.0
    assert imgdata.meta == META and imgdata.meta is not META
    np.testing.assert_array_equal(imgdata.seq[:, :, 3], movie_tyx[3].T)


@pytest.mark.parametrize("shape, match", [((10, 12), "single image, not a movie"),
                                          ((2, 3, 10, 12), "4-D"), ((12,), "1-D")])
def test_imgdata_refuses_non_3d(shape, match):
    with pytest.raises(ImageLoadError, match=match) as info:
        ImgData(np.zeros(shape, dtype=np.float32), META)
    assert isinstance(info.value, ValueError)
    assert "[x, y, t]" in str(info.value)


def test_imgdata_refuses_empty_axis_and_non_numeric():
    with pytest.raises(ValueError, match="empty axis"):
        ImgData(np.zeros((4, 0, 3)))
    with pytest.raises(ValueError, match="real numbers"):
        ImgData(np.zeros((4, 4, 3), dtype=complex))
    with pytest.raises(ValueError, match="real numbers"):
        ImgData(np.zeros((4, 4, 3), dtype=bool))


def test_imgdata_without_meta():
    imgdata = ImgData(np.zeros((4, 5, 6), dtype=np.float32))
    assert not imgdata.has_meta and imgdata.meta == {}
    with pytest.raises(MetaDataError, match=r"provide a \.json meta data file"):
        imgdata.fps


def test_imgdata_validates_meta():
    with pytest.raises(MetaDataError, match="'fps' is missing"):
        ImgData(np.zeros((4, 5, 6)), {"source": "x", "date": "20190425_114405"})
    with pytest.raises(MetaDataError, match="'fps' must be a number"):
        ImgData(np.zeros((4, 5, 6)), dict(META, fps="20"))
    with pytest.raises(MetaDataError, match="'date'"):
        ImgData(np.zeros((4, 5, 6)), dict(META, date="25/04/2019"))


def test_imgdata_setters_validate_and_emit(movie_tyx):
    imgdata = ImgData(movie_tyx.T, META)
    counter = Counter()
    imgdata.changed.connect(counter)
    with pytest.raises(ImageLoadError):
        imgdata.seq = movie_tyx[0].T
    with pytest.raises(MetaDataError):
        imgdata.meta = dict(META, fps=-1)
    assert imgdata.seq.shape == (12, 10, 40) and imgdata.fps == 20.0 and counter.calls == 0
    imgdata.meta = dict(META, fps=5)
    imgdata.meta = None
    assert not imgdata.has_meta and counter.calls == 2


def test_imgdata_keeps_memmap(tmp_path, movie_tyx):
    mm = np.lib.format.open_memmap(tmp_path / "m.npy", mode="w+", dtype=np.uint16,
                                   shape=movie_tyx.shape)
    mm[:] = movie_tyx
    imgdata = ImgData(np.load(tmp_path / "m.npy", mmap_mode="r").T)
    assert isinstance(imgdata.seq, np.memmap)


# --- user guide console examples -------------------------------------------------------------

def test_guide_open_any_image(tmp_path, movie_tyx):
    path = tmp_path / "path_to_tiff_file.tiff"
    tifffile.imwrite(path, movie_tyx, photometric="minisblack")
    seq = tifffile.imread(path)
    meta = dict(META)
    imgdata = ImgData(seq.T, meta)
    work_env = ViewerWorkEnv(imgdata)
    assert work_env.imgdata is imgdata
    assert work_env.meta == META
    assert work_env.imgdata.seq.shape == (12, 10, 40)
    assert work_env.history_trace == [] and not work_env.is_empty


def test_guide_splice_img_seq(movie_tyx):
    work_env = ViewerWorkEnv(ImgData(movie_tyx.T, META))
    counter = Counter()
    work_env.changed.connect(counter)
    seq = work_env.imgdata.seq
    trim = seq[:, :, 10:30]
    work_env.imgdata.seq = trim
    assert work_env.imgdata.n_frames == 20
    np.testing.assert_array_equal(work_env.imgdata.seq[:, :, 0], movie_tyx[10].T)
    assert work_env.modified and counter.calls == 1


def test_guide_history_trace_accepted(movie_tyx):
    work_env = ViewerWorkEnv(ImgData(movie_tyx.T, META), history_trace=GUIDE_HISTORY)
    assert work_env.history_trace == GUIDE_HISTORY
    assert work_env.history_trace is not GUIDE_HISTORY
    work_env.add_history("cnmf", {"k": 8, "gSig": 4})
    assert work_env.history_trace[-1] == {"cnmf": {"k": 8, "gSig": 4}}
    assert work_env.modified


@pytest.mark.parametrize("bad", [{"cnmf": {}}, [{"a": {}, "b": {}}], [{"a": 3}], [("a", {})],
                                 [{1: {}}]])
def test_bad_history_trace(bad):
    with pytest.raises(ParameterError, match="history_trace"):
        ViewerWorkEnv(history_trace=bad)


def test_add_history_validates():
    work_env = ViewerWorkEnv()
    with pytest.raises(ParameterError, match="operation_name"):
        work_env.add_history("", {})
    with pytest.raises(ParameterError, match="must be a dict"):
        work_env.add_history("cnmf", [1, 2])
    assert work_env.history_trace == [] and not work_env.modified


# --- from_tiff -------------------------------------------------------------------------------

def test_from_tiff_with_meta_beside(tmp_path, movie_tyx):
    path = tmp_path / "xyz.tiff"
    save_tiff(path, movie_tyx.T)
    (tmp_path / "xyz.json").write_text(json.dumps(META))
    work_env = ViewerWorkEnv.from_tiff(path, "asarray")
    np.testing.assert_array_equal(work_env.imgdata.seq, movie_tyx.T)
    assert work_env.meta == META and not work_env.modified


def test_from_tiff_method_and_meta_path(tmp_path, movie_tyx):
    path = tmp_path / "appended.tif"
    for frame in movie_tyx:
        tifffile.imwrite(path, frame, append=True, photometric="minisblack")
    meta_path = tmp_path / "elsewhere.json"
    meta_path.write_text(json.dumps(dict(META, fps=7.5)))
    work_env = ViewerWorkEnv.from_tiff(path, "asarray-multi", meta_path=meta_path)
    assert work_env.imgdata.n_frames == 40 and work_env.imgdata.fps == 7.5


def test_from_tiff_errors(tmp_path, movie_tyx):
    path = tmp_path / "one.tif"
    tifffile.imwrite(path, movie_tyx[0], photometric="minisblack")
    with pytest.raises(ImageLoadError, match="single image"):
        ViewerWorkEnv.from_tiff(path, "imread")
    good = tmp_path / "good.tif"
    save_tiff(good, movie_tyx.T)
    bad_meta = tmp_path / "bad.json"
    bad_meta.write_text(json.dumps({"source": "x", "date": "20190425_114405"}))
    with pytest.raises(MetaDataError, match="'fps' is missing"):
        ViewerWorkEnv.from_tiff(good, "asarray", meta_path=bad_meta)


# --- state, modified, changed, clear ---------------------------------------------------------

def test_empty_work_env():
    work_env = ViewerWorkEnv()
    assert work_env.is_empty and work_env.imgdata is None and work_env.meta == {}
    assert isinstance(work_env.roi_manager, ROIManager)
    assert isinstance(work_env.stim_maps, StimulusMaps)
    assert not work_env.modified and work_env.comments == "" and work_env.custom_columns_dict == {}


def test_set_imgdata_emits_and_marks_modified(movie_tyx):
    work_env = ViewerWorkEnv()
    counter = Counter()
    work_env.changed.connect(counter)
    work_env.set_imgdata(ImgData(movie_tyx.T, META))
    assert counter.calls == 1 and work_env.modified and not work_env.is_empty
    work_env.mark_saved()
    assert not work_env.modified
    work_env.imgdata = ImgData(movie_tyx[:5].T)
    assert counter.calls == 2 and work_env.modified
    with pytest.raises(ParameterError, match=r"ImgData\(seq, meta\)"):
        work_env.set_imgdata(movie_tyx.T)


def test_roi_and_stimulus_changes_mark_modified(movie_tyx):
    stim_maps = StimulusMaps(["ori"])
    manager = ROIManager(roi_type_columns=["cell_type"])
    work_env = ViewerWorkEnv(ImgData(movie_tyx.T, META), stim_maps=stim_maps, roi_manager=manager)
    assert work_env.roi_manager is manager and work_env.stim_maps is stim_maps
    assert not work_env.modified
    work_env.roi_manager.add_polygon_roi([[1, 1], [6, 1], [6, 5]])
    assert work_env.modified
    work_env.mark_saved()
    work_env.stim_maps.maps["ori"].set_data(pd.DataFrame({"name": ["up"], "start": [2],
                                                          "end": [9]}))
    assert work_env.modified
    work_env.mark_saved()
    replacement = ROIManager()
    work_env.roi_manager = replacement
    assert work_env.modified
    work_env.mark_saved()
    manager.add_ellipse_roi((5, 5), (2, 2))
    assert not work_env.modified
    replacement.add_ellipse_roi((5, 5), (2, 2))
    assert work_env.modified
    with pytest.raises(ParameterError, match="ROIManager"):
        work_env.roi_manager = []
    with pytest.raises(ParameterError, match="StimulusMaps"):
        work_env.stim_maps = {}


def test_clear(movie_tyx):
    stim_maps = StimulusMaps(["ori"])
    stim_maps.maps["ori"].set_data(pd.DataFrame({"name": ["up"], "start": [2], "end": [9]}))
    imgdata = ImgData(movie_tyx.T, META)
    work_env = ViewerWorkEnv(imgdata, sample_id="a1-_-t1", UUID="abc", stim_maps=stim_maps,
                             history_trace=GUIDE_HISTORY, custom_columns_dict={"age": 3},
                             comments="nice")
    work_env.roi_manager.add_polygon_roi([[1, 1], [6, 1], [6, 5]])
    counter = Counter()
    work_env.changed.connect(counter)
    work_env.clear()
    assert work_env.is_empty and work_env.meta == {} and counter.calls == 1
    assert len(work_env.roi_manager.roi_list) == 0
    assert work_env.stim_maps.stim_types == ("ori",)
    assert len(work_env.stim_maps.maps["ori"].dataframe) == 0
    assert work_env.history_trace == [] and work_env.sample_id is None and work_env.UUID is None
    assert work_env.custom_columns_dict == {} and work_env.comments == ""
    assert not work_env.modified
    imgdata.seq = movie_tyx[:3].T
    assert not work_env.modified and counter.calls == 1
