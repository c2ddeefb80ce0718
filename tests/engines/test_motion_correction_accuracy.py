"""Accuracy of the native NoRMCorre against the synthetic generator's known motion.

The generator's shifts are relative to the motionless movie, while the engine registers to a
template estimated from the data, which may sit at a constant offset (rigid) or a constant
deformation (piecewise) from the motionless movie. Errors are therefore measured after removing
their mean over time (per pixel for fields). Fields are compared away from the borders
(10 px), where content that left the frame cannot be registered.
"""
import numpy as np
import pytest

from mesmerize.demo.synthetic import SyntheticParams, generate
from mesmerize.engines.motion_correction import correct


def rmse_without_offset(error: np.ndarray) -> float:
    error = error - error.mean(axis=0)
    return float(np.sqrt((error ** 2).mean()))


def run(tmp_path, synthetic, params):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "movie.npy"
    np.save(path, synthetic.movie)
    return correct(path, params, tmp_path / "out", max_workers=1)


def test_rigid_2p_shifts_within_0_1_px(tmp_path):
    sm = generate(SyntheticParams(shape=(300, 128, 128), max_shift=10, n_neurons=40, seed=11))
    assert np.abs(sm.shifts).max() > 5
    result = run(tmp_path, sm, {"max_shifts_x": 12, "max_shifts_y": 12, "pw_rigid": False})
    assert rmse_without_offset(result.shifts - sm.shifts) <= 0.1


def test_rigid_1p_with_highpass_filter_within_0_2_px(tmp_path):
    sm = generate(SyntheticParams(shape=(300, 128, 128), max_shift=8, n_neurons=40, mode="1p",
                                  seed=12))
    params = {"max_shifts_x": 10, "max_shifts_y": 10, "pw_rigid": False, "gSig_filt": (5, 5)}
    assert rmse_without_offset(run(tmp_path, sm, params).shifts - sm.shifts) <= 0.2
    # without the filter the smooth background dominates the correlation
    unfiltered = run(tmp_path / "raw", sm, {**params, "gSig_filt": None})
    assert rmse_without_offset(unfiltered.shifts - sm.shifts) > 0.2


def frame_template_correlation(movie: np.ndarray, template: np.ndarray, border: int) -> float:
    inner = (slice(None), slice(border, -border), slice(border, -border))
    m = movie[inner] - movie[inner].mean(axis=(1, 2), keepdims=True)
    t = template[inner[1:]] - template[inner[1:]].mean()
    return float(((m * t).sum(axis=(1, 2)) / np.sqrt((m ** 2).sum(axis=(1, 2)) * (t ** 2).sum())).mean())


def test_piecewise_field_within_0_25_px_and_better_than_rigid(tmp_path):
    # nonrigid_amplitude=1: the non-rigid part of the generator's field has a std of ~0.3 px
    # and varies over ~30 px, so 48 px patches every 32 px resolve it
    sm = generate(SyntheticParams(shape=(300, 128, 128), max_shift=6, nonrigid_amplitude=1.0,
                                  n_neurons=50, seed=13))
    params = {"max_shifts_x": 8, "max_shifts_y": 8, "strides": 32, "overlaps": 16, "max_dev": 3}
    pw = run(tmp_path / "pw", sm, params)
    rigid = run(tmp_path / "rigid", sm, {**params, "pw_rigid": False})
    b = 10
    truth = sm.flow[:, b:-b, b:-b]
    pw_rmse = rmse_without_offset(pw.displacement_field()[:, b:-b, b:-b] - truth)
    rigid_rmse = rmse_without_offset(rigid.displacement_field()[:, b:-b, b:-b] - truth)
    assert pw_rmse <= 0.25
    assert pw_rmse < 0.8 * rigid_rmse
    # residual motion: corrected frames agree better with the template
    assert (frame_template_correlation(pw.load_movie(), pw.template, b)
            > frame_template_correlation(rigid.load_movie(), rigid.template, b))


@pytest.mark.parametrize("max_shift", [2.0, 10.0])
def test_rigid_accuracy_holds_for_small_and_large_shifts(tmp_path, max_shift):
    sm = generate(SyntheticParams(shape=(200, 96, 96), max_shift=max_shift, n_neurons=25,
                                  seed=int(max_shift)))
    result = run(tmp_path, sm, {"max_shifts_x": 12, "max_shifts_y": 12, "pw_rigid": False})
    assert rmse_without_offset(result.shifts - sm.shifts) <= 0.1
