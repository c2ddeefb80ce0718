"""image_utils.auto_crop: the guide's "Crop and add items" example and its parameters."""
import numpy as np
import pytest

from mesmerize.core import image_utils
from mesmerize.core.errors import ParameterError
from mesmerize.core.image_utils.auto_crop import (BoundingBox, crop, crop_with_bbox,
                                                  find_bounding_box, projection_image,
                                                  spectral_residual_saliency)


@pytest.fixture(scope="module")
def seq():
    """[x, y, t]: dim noisy background, an active bright region x 60:140, y 40:100, and one
    hot pixel at (5, 5) that a denoising opening must ignore."""
    rng = np.random.default_rng(0)
    s = rng.normal(10, 1, (200, 150, 40))
    s[60:140, 40:100, :] += rng.normal(50, 10, (80, 60, 40))
    s[5, 5, :] += 200
    return s.astype(np.float32)


def test_guide_example_threshold(seq):
    auto_crop = image_utils.auto_crop
    crop_params = {"projection": "max+std", "method": "threshold", "denoise_params": (32, 32)}
    cropped = auto_crop.crop(seq, crop_params)
    # default padding is 30 px around the region, clipped to the frame
    assert cropped.shape == (140, 120, 40)
    assert np.array_equal(cropped, seq[30:170, 10:130, :])


def test_padding_and_box(seq):
    cropped, box = crop_with_bbox(seq, {"projection": "std", "method": "threshold",
                                        "denoise_params": (5, 5), "padding": 0})
    assert box == BoundingBox(60, 140, 40, 100)
    assert cropped.shape == (80, 60, 40)


def test_without_denoising_the_hot_pixel_extends_the_box(seq):
    box = find_bounding_box(seq, {"projection": "max", "method": "threshold", "padding": 0})
    assert (box.x0, box.y0) == (5, 5)


def test_spectral_saliency_finds_the_region(seq):
    params = {"projection": "max+std", "method": "spectral_saliency", "denoise_params": (16, 16),
              "padding": 0}
    box = find_bounding_box(seq, params)
    # saliency is smoothed, so the box may exceed the region by a few pixels but not much
    assert 45 <= box.x0 <= 62 and 138 <= box.x1 <= 155
    assert 25 <= box.y0 <= 42 and 98 <= box.y1 <= 115
    assert crop(seq, {**params, "padding": 40}).shape[0] >= box.x1 - box.x0


def test_spectral_residual_highlights_a_small_object_on_texture():
    rng = np.random.default_rng(1)
    image = np.tile(np.sin(np.arange(128) / 2.0), (128, 1)) + rng.normal(0, 0.05, (128, 128))
    image[70:78, 30:38] += 3
    saliency = spectral_residual_saliency(image)
    assert saliency.shape == image.shape and saliency.max() == 1.0
    y, x = np.unravel_index(saliency.argmax(), saliency.shape)
    assert 62 <= y <= 86 and 22 <= x <= 46


def test_projections_match_numpy(seq):
    mx = seq.max(axis=2)
    sd = seq.std(axis=2, dtype=np.float64)
    assert np.allclose(projection_image(seq, "max"), (mx - mx.min()) / np.ptp(mx), atol=1e-6)
    assert np.allclose(projection_image(seq, "std"), (sd - sd.min()) / np.ptp(sd), atol=1e-6)
    both = projection_image(seq, "max+std")
    assert both.min() == 0 and both.max() == 1


def test_flat_sequence_keeps_the_whole_frame():
    flat = np.ones((20, 30, 5), np.float32)
    assert find_bounding_box(flat, {"projection": "std", "method": "threshold"}) == \
        BoundingBox(0, 20, 0, 30)


@pytest.mark.parametrize("params, fragment", [
    ({"projection": "mean"}, "projection"),
    ({"method": "watershed"}, "method"),
    ({"denoise_params": (3,)}, "denoise_params"),
    ({"denoise_params": (-1, 2)}, "denoise_params"),
    ({"padding": -5}, "padding"),
    ({"padding": 2.5}, "padding"),
    ({"pading": 3}, "pading"),
])
def test_bad_params(seq, params, fragment):
    with pytest.raises(ParameterError, match=fragment):
        crop(seq, params)


def test_bad_sequence():
    with pytest.raises(ParameterError, match=r"\[x, y, t\]"):
        crop(np.zeros((10, 10)), {})
