"""TIFF loading / saving (user guide: "Tiff file module", load methods)."""
import json

import numpy as np
import pytest
import tifffile

from mesmerize.core.errors import ImageLoadError, MetaDataError, ParameterError
from mesmerize.core.imaging import tiff_io
from mesmerize.core.imaging.tiff_io import LOAD_METHODS, load_tiff, open_movie_tyx, save_tiff

META = {"source": "our_recording_program", "fps": 20.0, "date": "20190425_114405"}


@pytest.fixture
def movie():
    """A small [t, y, x] uint16 movie with distinct values everywhere."""
    rng = np.random.default_rng(0)
    return rng.integers(0, 4000, size=(9, 6, 7), dtype=np.uint16)


def _write_appended(path, movie, shaped=True):
    """Frames appended one by one, as acquisition programs do (one series per page when shaped)."""
    kwargs = {} if shaped else {"metadata": None}
    for frame in movie:
        tifffile.imwrite(path, frame, append=True, photometric="minisblack", **kwargs)


def _is_memory_mapped(arr):
    base = arr
    while base is not None:
        if isinstance(base, np.memmap):
            return True
        base = base.base
    return False


@pytest.mark.parametrize("method", LOAD_METHODS)
def test_roundtrip_every_method(tmp_path, movie, method):
    path = tmp_path / "xyz.tiff"
    save_tiff(path, movie.T)
    imgdata = load_tiff(path, method=method)
    assert imgdata.seq.shape == (7, 6, 9)
    assert imgdata.seq.dtype == np.uint16
    np.testing.assert_array_equal(imgdata.seq, movie.T)
    assert not imgdata.has_meta


def test_save_stores_tyx(tmp_path, movie):
    path = tmp_path / "m.tif"
    save_tiff(path, movie.T)
    np.testing.assert_array_equal(tifffile.imread(path), movie)


def test_meta_found_beside_movie_or_given(tmp_path, movie):
    path = tmp_path / "xyz.tif"
    save_tiff(path, movie.T)
    (tmp_path / "xyz.json").write_text(json.dumps(META))
    assert load_tiff(path).fps == 20.0
    other = tmp_path / "other_name.json"
    other.write_text(json.dumps(dict(META, fps=5.0)))
    imgdata = load_tiff(path, "asarray", meta_path=other)
    assert imgdata.fps == 5.0 and imgdata.meta["source"] == "our_recording_program"


def test_missing_meta_allowed_but_fps_unknown(tmp_path, movie):
    path = tmp_path / "xyz.tif"
    save_tiff(path, movie.T)
    imgdata = load_tiff(path)
    assert imgdata.meta == {}
    with pytest.raises(MetaDataError, match=r"\.json meta data file"):
        imgdata.fps


def test_bad_meta_file_refused(tmp_path, movie):
    path = tmp_path / "xyz.tif"
    save_tiff(path, movie.T)
    with pytest.raises(MetaDataError, match="does not exist"):
        load_tiff(path, meta_path=tmp_path / "missing.json")
    (tmp_path / "xyz.json").write_text(json.dumps({"source": "x", "date": "20190425_114405"}))
    with pytest.raises(MetaDataError, match="'fps' is missing"):
        load_tiff(path)
    (tmp_path / "xyz.json").write_text(json.dumps(dict(META, fps="20")))
    with pytest.raises(MetaDataError, match="'fps' must be a number"):
        load_tiff(path)
    (tmp_path / "xyz.json").write_text(json.dumps(dict(META, date="20191332_000000")))
    with pytest.raises(MetaDataError, match="'date' is not a real date"):
        load_tiff(path)


def test_unknown_method_names_valid_ones(tmp_path, movie):
    path = tmp_path / "xyz.tif"
    save_tiff(path, movie.T)
    with pytest.raises(ParameterError) as info:
        load_tiff(path, method="asarray - multi series")
    for name in LOAD_METHODS:
        assert repr(name) in str(info.value)


def test_appended_frames_need_asarray_multi(tmp_path, movie):
    path = tmp_path / "appended.tif"
    _write_appended(path, movie)
    with tifffile.TiffFile(path) as tif:
        assert len(tif.series) == movie.shape[0]
    for method in ("asarray", "imread"):
        with pytest.raises(ImageLoadError, match="asarray-multi"):
            load_tiff(path, method)
    np.testing.assert_array_equal(load_tiff(path, "asarray-multi").seq, movie.T)


def test_asarray_multi_refuses_mixed_frame_sizes(tmp_path, movie):
    path = tmp_path / "mixed.tif"
    tifffile.imwrite(path, movie[0], photometric="minisblack")
    tifffile.imwrite(path, movie[1, :5, :5], append=True, photometric="minisblack")
    with pytest.raises(ImageLoadError, match="same size"):
        load_tiff(path, "asarray-multi")


def test_missing_file_and_directory(tmp_path):
    for method in LOAD_METHODS:
        with pytest.raises(ImageLoadError, match="does not exist"):
            load_tiff(tmp_path / "nope.tif", method)
    with pytest.raises(ImageLoadError, match="not a file"):
        load_tiff(tmp_path)
    with pytest.raises(ImageLoadError, match="does not exist"):
        open_movie_tyx(tmp_path / "nope.tif")


@pytest.mark.parametrize("where", ["pixel data", "first IFD"])
def test_truncated_tiff(tmp_path, movie, where):
    good = tmp_path / "good.tif"
    save_tiff(good, movie.T)
    with tifffile.TiffFile(good) as tif:
        data_start = tif.series[0].dataoffset
    cut = data_start + movie.nbytes // 2 if where == "pixel data" else 40
    bad = tmp_path / "truncated.tif"
    bad.write_bytes(good.read_bytes()[:cut])
    for method in LOAD_METHODS:
        with pytest.raises(ImageLoadError, match="truncated"):
            load_tiff(bad, method)
    with pytest.raises(ImageLoadError, match="truncated"):
        open_movie_tyx(bad)


def test_truncated_appended_tiff(tmp_path, movie):
    good = tmp_path / "good.tif"
    _write_appended(good, movie, shaped=False)
    bad = tmp_path / "truncated.tif"
    bad.write_bytes(good.read_bytes()[:-60])
    for method in LOAD_METHODS:
        with pytest.raises(ImageLoadError, match="truncated"):
            load_tiff(bad, method)
    with pytest.raises(ImageLoadError, match="truncated"):
        open_movie_tyx(bad)


def test_not_a_tiff(tmp_path):
    path = tmp_path / "notes.tif"
    path.write_text("these are my notes, not an image")
    with pytest.raises(ImageLoadError, match="not a TIFF"):
        load_tiff(path)


def test_single_image_refused(tmp_path, movie):
    path = tmp_path / "one.tif"
    tifffile.imwrite(path, movie[0], photometric="minisblack")
    for method in LOAD_METHODS:
        with pytest.raises(ImageLoadError, match="is a single image, not a movie"):
            load_tiff(path, method)
    with pytest.raises(ImageLoadError, match="is a single image, not a movie"):
        open_movie_tyx(path)


@pytest.mark.parametrize("axis", [0, 1, 3])
def test_4d_with_singleton_axis_squeezed(tmp_path, movie, axis):
    path = tmp_path / "4d.tif"
    tifffile.imwrite(path, np.expand_dims(movie, axis), photometric="minisblack")
    for method in LOAD_METHODS:
        np.testing.assert_array_equal(load_tiff(path, method).seq, movie.T)
    np.testing.assert_array_equal(open_movie_tyx(path), movie)


def test_4d_multichannel_refused_with_shape(tmp_path, movie):
    path = tmp_path / "channels.tif"
    data = np.stack([movie, movie], axis=1)
    tifffile.imwrite(path, data, photometric="minisblack")
    for method in LOAD_METHODS:
        with pytest.raises(ImageLoadError, match=r"\(9, 2, 6, 7\)"):
            load_tiff(path, method)
    with pytest.raises(ImageLoadError, match="channel"):
        open_movie_tyx(path)


def test_open_movie_memory_maps_contiguous_file(tmp_path, movie):
    path = tmp_path / "m.tif"
    save_tiff(path, movie.T)
    arr = open_movie_tyx(path)
    assert arr.shape == movie.shape and _is_memory_mapped(arr)
    assert not arr.flags.writeable
    np.testing.assert_array_equal(arr, movie)


@pytest.mark.parametrize("byteorder", ["<", ">"])
def test_open_movie_memory_maps_appended_frames(tmp_path, movie, byteorder):
    path = tmp_path / "appended.tif"
    for frame in movie:
        tifffile.imwrite(path, frame, append=True, photometric="minisblack", metadata=None,
                         byteorder=byteorder)
    arr = open_movie_tyx(path)
    assert _is_memory_mapped(arr)
    np.testing.assert_array_equal(arr, movie)
    shaped = tmp_path / "appended_shaped.tif"
    _write_appended(shaped, movie)
    arr = open_movie_tyx(shaped)
    assert _is_memory_mapped(arr)
    np.testing.assert_array_equal(arr, movie)


def test_open_movie_reads_compressed_file(tmp_path, movie):
    path = tmp_path / "zlib.tif"
    tifffile.imwrite(path, movie, compression="zlib", photometric="minisblack")
    arr = open_movie_tyx(path)
    assert not _is_memory_mapped(arr)
    np.testing.assert_array_equal(arr, movie)


def test_save_refuses_wrong_shape(tmp_path, movie):
    with pytest.raises(ImageLoadError, match="single image"):
        save_tiff(tmp_path / "x.tif", movie[0])
    with pytest.raises(ValueError, match="3-D"):
        save_tiff(tmp_path / "x.tif", movie[None])
    assert list(tmp_path.iterdir()) == []


def test_save_is_atomic(tmp_path, movie, monkeypatch):
    path = tmp_path / "m.tif"
    save_tiff(path, movie.T)
    before = path.read_bytes()

    def failing_imwrite(file, data, **kwargs):
        with open(file, "wb") as fh:
            fh.write(b"II*\x00 partial")
        raise OSError("disk full")

    monkeypatch.setattr(tiff_io.tifffile, "imwrite", failing_imwrite)
    with pytest.raises(OSError, match="disk full"):
        save_tiff(path, (movie + 1).T)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.tif"]


def test_float_movie_roundtrip(tmp_path):
    movie = np.random.default_rng(1).normal(100, 5, size=(4, 3, 5)).astype(np.float32)
    path = tmp_path / "f.tif"
    save_tiff(path, movie.T)
    np.testing.assert_array_equal(load_tiff(path, "imread").seq, movie.T)
    np.testing.assert_array_equal(open_movie_tyx(path), movie)
