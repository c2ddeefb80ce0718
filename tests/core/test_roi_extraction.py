"""Vectorised curve extraction against the naive per-ROI mean, for every array layout."""
import numpy as np
import pytest

from mesmerize.core.errors import ROIError
from mesmerize.core.roi.extraction import extract_curves, masks_to_matrix
from mesmerize.core.roi.masks import ellipse_mask, polygon_mask

FRAME = (37, 29)  # (x, y)
N_FRAMES = 53


def make_masks():
    return [
        polygon_mask([(2, 3), (12, 4), (9, 15)], FRAME),
        polygon_mask([(-4, -4), (6, -4), (6, 5), (-4, 5)], FRAME),  # clipped at the corner
        ellipse_mask((20.3, 14.1), (6.0, 3.5), 25.0, FRAME),
        ellipse_mask((21.0, 15.0), (4.0, 4.0), 0.0, FRAME),  # overlaps the previous one
        np.pad(np.ones((1, 1), bool), ((36, 0), (28, 0))),  # a single pixel
    ]


def make_movie_tyx(dtype=np.uint16, seed=0):
    rng = np.random.default_rng(seed)
    base = rng.uniform(200, 2000, size=(FRAME[1], FRAME[0]))
    movie = base[None] + rng.poisson(50, size=(N_FRAMES, FRAME[1], FRAME[0]))
    return movie.astype(dtype)


def naive_curves(seq_xyt, masks):
    return np.array([seq_xyt[m].astype(np.float64).mean(axis=0) for m in masks])


# float32 accumulation: relative error of a mean of <= ~200 values is well below 1e-5
RTOL = 1e-5


@pytest.mark.parametrize("chunk_frames", [1, 7, 256])
def test_transposed_tyx_memmap_matches_naive(tmp_path, chunk_frames):
    path = tmp_path / "movie.npy"
    np.save(path, make_movie_tyx())
    movie = np.load(path, mmap_mode="r")
    seq = movie.T  # [x, y, t] view of the [t, y, x] memmap
    masks = make_masks()
    curves = extract_curves(seq, masks, chunk_frames=chunk_frames)
    assert curves.dtype == np.float32 and curves.shape == (len(masks), N_FRAMES)
    np.testing.assert_allclose(curves, naive_curves(np.asarray(seq), masks), rtol=RTOL)


def test_c_contiguous_xyt_array_matches_naive():
    seq = np.ascontiguousarray(make_movie_tyx(np.float32, seed=1).T)
    assert seq.flags.c_contiguous
    masks = np.stack(make_masks())  # an (n_rois, x, y) array works too
    np.testing.assert_allclose(
        extract_curves(seq, masks, chunk_frames=10), naive_curves(seq, masks), rtol=RTOL
    )


def test_masks_may_be_a_generator():
    seq = make_movie_tyx(seed=3).T
    masks = make_masks()
    np.testing.assert_allclose(
        extract_curves(seq, (m for m in masks)), naive_curves(seq, masks), rtol=RTOL
    )


def test_non_contiguous_view_matches_naive():
    big = make_movie_tyx(np.int16, seed=2)
    padded = np.zeros((N_FRAMES * 2, FRAME[1], FRAME[0] + 3), np.int16)
    padded[::2, :, 1:-2] = big
    seq = padded[::2, :, 1:-2].T
    assert not seq.flags.c_contiguous and not seq.flags.f_contiguous
    masks = make_masks()
    np.testing.assert_allclose(
        extract_curves(seq, masks, chunk_frames=9), naive_curves(seq, masks), rtol=RTOL
    )


def test_matrix_rows_are_area_normalised_and_pixel_order():
    masks = make_masks()
    mat_f = masks_to_matrix(masks, FRAME, order="F")
    np.testing.assert_allclose(np.asarray(mat_f.sum(axis=1)).ravel(), 1.0, rtol=1e-6)
    # "F": column y * n_x + x; "C": column x * n_y + y
    single = masks_to_matrix([masks[4]], FRAME, order="F")
    assert single.indices.tolist() == [28 * FRAME[0] + 36]
    single_c = masks_to_matrix([masks[4]], FRAME, order="C")
    assert single_c.indices.tolist() == [36 * FRAME[1] + 28]


def test_no_rois_gives_empty_result():
    seq = make_movie_tyx().T
    assert extract_curves(seq, []).shape == (0, N_FRAMES)


def test_errors():
    seq = make_movie_tyx().T
    with pytest.raises(ROIError, match="ROI 1 is empty"):
        extract_curves(seq, [make_masks()[0], np.zeros(FRAME, bool)])
    with pytest.raises(ROIError, match=r"ROI 0 has shape \(5, 5\)"):
        extract_curves(seq, [np.ones((5, 5), bool)])
    with pytest.raises(ROIError, match=r"\[x, y, t\]"):
        extract_curves(seq[:, :, 0], make_masks())
    with pytest.raises(ROIError, match="chunk_frames"):
        extract_curves(seq, make_masks(), chunk_frames=0)
