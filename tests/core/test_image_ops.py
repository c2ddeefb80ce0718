"""Image sequence operations: projections, crop, resize, splice, change dtype."""
import cv2
import numpy as np
import pytest

from mesmerize.core.errors import ImageLoadError, ParameterError
from mesmerize.core.imaging.image_ops import (
    INTERPOLATIONS, change_dtype, crop, projection, resize, splice,
)


@pytest.fixture
def seq():
    """[x, y, t] float32 movie, F-ordered like ``tifffile_array.T``."""
    rng = np.random.default_rng(0)
    return rng.normal(500.0, 40.0, size=(5, 8, 11)).astype(np.float32).T


@pytest.fixture
def movie_xyt():
    rng = np.random.default_rng(1)
    return rng.integers(0, 3000, size=(23, 9, 12), dtype=np.uint16).T  # [x=12, y=9, t=23]


class RecordingArray(np.ndarray):
    """An ndarray that records how many frames each indexing along t asked for."""

    def __getitem__(self, key):
        if isinstance(key, tuple) and len(key) == 3 and isinstance(key[2], slice):
            start, stop, _ = key[2].indices(self.shape[2])
            self.frames_requested.append(stop - start)
        return np.asarray(super().__getitem__(key))


def _recording(arr):
    out = arr.view(RecordingArray)
    out.frames_requested = []
    return out


# --- projection ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, reference", [("mean", np.mean), ("max", np.max), ("std", np.std)])
@pytest.mark.parametrize("chunk_frames", [1, 3, 7, 100, None])
def test_projection_matches_numpy(movie_xyt, kind, reference, chunk_frames):
    out = projection(movie_xyt, kind, chunk_frames=chunk_frames)
    assert out.shape == (12, 9) and out.dtype == np.float32
    expected = reference(movie_xyt.astype(np.float64), axis=2)
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_std_is_stable_for_large_offset():
    rng = np.random.default_rng(2)
    seq = 1e6 + rng.normal(0.0, 1.0, size=(4, 3, 50))
    out = projection(seq, "std", chunk_frames=6)
    np.testing.assert_allclose(out, np.std(seq, axis=2), rtol=1e-6)


def test_projection_reads_memmap_in_chunks(tmp_path, movie_xyt):
    mm = np.lib.format.open_memmap(tmp_path / "m.npy", mode="w+", dtype=np.uint16,
                                   shape=movie_xyt.shape[::-1])
    mm[:] = movie_xyt.T
    mm.flush()
    seq = np.load(tmp_path / "m.npy", mmap_mode="r").T
    np.testing.assert_allclose(projection(seq, "mean", chunk_frames=4),
                               movie_xyt.mean(axis=2), rtol=1e-6)
    recording = _recording(movie_xyt)
    for kind in ("mean", "max", "std"):
        recording.frames_requested.clear()
        projection(recording, kind, chunk_frames=5)
        assert max(recording.frames_requested) <= 5
        assert sum(recording.frames_requested) == 23


def test_projection_kind_case_insensitive_and_validated(movie_xyt):
    np.testing.assert_array_equal(projection(movie_xyt, "MAX"), projection(movie_xyt, "max"))
    with pytest.raises(ParameterError, match="'mean', 'max', 'std'"):
        projection(movie_xyt, "median")
    with pytest.raises(ImageLoadError, match="3-D"):
        projection(movie_xyt[:, :, 0], "mean")


# --- crop / splice ---------------------------------------------------------------------------

def test_crop_values_and_copy(movie_xyt):
    out = crop(movie_xyt, 2, 10, 1, 4)
    np.testing.assert_array_equal(out, movie_xyt[2:10, 1:4, :])
    assert not np.shares_memory(out, movie_xyt)
    np.testing.assert_array_equal(crop(movie_xyt, 0, 12, 0, 9), movie_xyt)


@pytest.mark.parametrize(
    "bounds, name",
    [((5, 5, 0, 3), "x0=5, x1=5"), ((6, 2, 0, 3), "x0=6, x1=2"), ((-1, 4, 0, 3), "x0=-1"),
     ((0, 13, 0, 3), "x1=13"), ((0, 4, 0, 10), "y1=10"), ((0, 4, 3, 1), "y0=3"),
     ((0.5, 4, 0, 3), "x0 must be an integer"), ((0, 4, True, 3), "y0 must be an integer")],
)
def test_crop_bad_bounds(movie_xyt, bounds, name):
    with pytest.raises(ParameterError, match=name):
        crop(movie_xyt, *bounds)


def test_splice_like_guide_example():
    # The guide trims frames 1000-2000 of a long movie; the same on a small-framed one.
    rng = np.random.default_rng(3)
    seq = rng.integers(0, 255, size=(3000, 3, 4), dtype=np.uint8).T
    trim = splice(seq, 1000, 2000)
    np.testing.assert_array_equal(trim, seq[:, :, 1000:2000])
    assert trim.shape == (4, 3, 1000)
    assert not np.shares_memory(trim, seq)


@pytest.mark.parametrize("start, stop, match", [(5, 5, "start=5, stop=5"), (-1, 3, "start=-1"),
                                                (0, 24, "stop=24"), (1.0, 3, "start must be")])
def test_splice_bad_range(movie_xyt, start, stop, match):
    with pytest.raises(ParameterError, match=match):
        splice(movie_xyt, start, stop)


# --- resize ----------------------------------------------------------------------------------

@pytest.mark.parametrize("interpolation", list(INTERPOLATIONS))
def test_resize_matches_cv2_per_frame(movie_xyt, interpolation):
    out = resize(movie_xyt, 7, 15, interpolation)
    assert out.shape == (7, 15, 23) and out.dtype == np.uint16
    for t in (0, 11, 22):
        frame_yx = np.ascontiguousarray(movie_xyt[:, :, t].T)
        expected = cv2.resize(frame_yx, (7, 15), interpolation=INTERPOLATIONS[interpolation]).T
        np.testing.assert_array_equal(out[:, :, t], expected)


def test_resize_ground_truth():
    rng = np.random.default_rng(4)
    seq = rng.random((6, 4, 3))
    up = resize(seq, 12, 8, "nearest")
    np.testing.assert_array_equal(up, np.repeat(np.repeat(seq, 2, axis=0), 2, axis=1))
    down = resize(seq, 3, 2, "area")
    block_mean = seq.reshape(3, 2, 2, 2, 3).mean(axis=(1, 3))
    np.testing.assert_allclose(down, block_mean, rtol=1e-12)


def test_resize_dtype_cv2_lacks():
    seq = np.full((5, 4, 2), 70000, dtype=np.int32)
    seq[0, 0, 0] = -5
    out = resize(seq, 10, 8, "linear")
    assert out.dtype == np.int32 and out.shape == (10, 8, 2)
    expected = cv2.resize(np.ascontiguousarray(seq[:, :, 0].T, dtype=np.float64), (10, 8)).T
    np.testing.assert_array_equal(out[:, :, 0], np.rint(expected).astype(np.int32))
    assert np.all(out[:, :, 1] == 70000)


def test_resize_bad_parameters(movie_xyt):
    with pytest.raises(ParameterError, match="'linear', 'nearest', 'cubic', 'area'"):
        resize(movie_xyt, 5, 5, "bilinear")
    with pytest.raises(ParameterError, match="new_x must be at least 1"):
        resize(movie_xyt, 0, 5)
    with pytest.raises(ParameterError, match="new_y must be an integer"):
        resize(movie_xyt, 5, 5.5)


# --- change dtype ----------------------------------------------------------------------------

def test_rescale_float_to_uint8_uses_full_range_without_clipping(seq):
    out = change_dtype(seq, np.uint8)
    assert out.dtype == np.uint8 and out.shape == seq.shape
    assert out.min() == 0 and out.max() == 255
    expected = np.rint((seq.astype(np.float64) - seq.min()) * 255.0 / (seq.max() - seq.min()))
    np.testing.assert_array_equal(out, expected.astype(np.uint8))


def test_rescale_signed_to_unsigned_preserves_order():
    seq = np.array([-300, -1, 0, 5, 1200], dtype=np.int16).reshape(1, 1, 5)
    out = change_dtype(seq, "uint16")
    assert out[0, 0, 0] == 0 and out[0, 0, -1] == 65535
    assert np.all(np.diff(out[0, 0].astype(np.int64)) > 0)


def test_rescale_to_int64_does_not_overflow():
    seq = np.array([0.0, 0.25, 1.0], dtype=np.float64).reshape(1, 1, 3)
    out = change_dtype(seq, np.int64)
    info = np.iinfo(np.int64)
    assert out[0, 0, 0] == info.min
    assert 0 < out[0, 0, 2] <= info.max and out[0, 0, 2] > info.max * 0.999
    assert out[0, 0, 0] < out[0, 0, 1] < out[0, 0, 2]


def test_rescale_constant_movie():
    out = change_dtype(np.full((2, 2, 3), 7.5), np.int16)
    assert np.all(out == np.iinfo(np.int16).min)


@pytest.mark.parametrize("chunk_frames", [1, 2, 50])
def test_change_dtype_chunks_agree(movie_xyt, chunk_frames):
    np.testing.assert_array_equal(change_dtype(movie_xyt, np.uint8, chunk_frames=chunk_frames),
                                  change_dtype(movie_xyt, np.uint8))


def test_float_target_is_plain_cast(movie_xyt):
    out = change_dtype(movie_xyt, np.float32)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, movie_xyt.astype(np.float32))


def test_no_rescale_rounds_and_refuses_out_of_range():
    seq = np.array([0.4, 1.6, 254.6], dtype=np.float32).reshape(1, 1, 3)
    np.testing.assert_array_equal(change_dtype(seq, np.uint8, rescale=False)[0, 0], [0, 2, 255])
    ints = np.array([1, 2, 300], dtype=np.uint16).reshape(1, 1, 3)
    with pytest.raises(ParameterError, match="rescale=True"):
        change_dtype(ints, np.uint8, rescale=False)
    np.testing.assert_array_equal(change_dtype(ints, np.int32, rescale=False), ints)


def test_change_dtype_bad_input(seq):
    with pytest.raises(ParameterError, match="not supported"):
        change_dtype(seq, bool)
    with pytest.raises(ParameterError, match="not a numpy dtype"):
        change_dtype(seq, "banana")
    bad = seq.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ParameterError, match="NaN"):
        change_dtype(bad, np.uint16)
