"""End-to-end behaviour of ``correct``: files, result round trip, bit depth, executors,
progress, fallbacks and errors. Movies come from the project's synthetic generator."""
import json
import multiprocessing
import os
import warnings
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor

import numpy as np
import pytest
import tifffile

from mesmerize.core.errors import FormatVersionError, ImageLoadError, ParameterError
from mesmerize.demo.synthetic import SyntheticParams, generate
from mesmerize.engines.motion_correction import MotionCorrectionResult, correct
from mesmerize.engines.motion_correction.result import JSON_NAME, MOVIE_NAME

RIGID = {"max_shifts_x": 6, "max_shifts_y": 6, "pw_rigid": False, "chunk_frames": 16}
PIECEWISE = {**RIGID, "pw_rigid": True, "strides": 24, "overlaps": 12, "max_dev": 2}


@pytest.fixture(scope="module")
def synthetic():
    return generate(SyntheticParams(shape=(60, 64, 64), max_shift=4, n_neurons=15, seed=3))


@pytest.fixture
def movie_tiff(tmp_path, synthetic):
    path = tmp_path / "movie.tif"
    tifffile.imwrite(path, synthetic.movie)
    return path


def test_rigid_run_writes_a_loadable_result(tmp_path, movie_tiff, synthetic):
    out = tmp_path / "out"
    result = correct(movie_tiff, RIGID, out, max_workers=1)
    assert result.output_path == out / MOVIE_NAME
    movie = result.load_movie()
    assert movie.shape == synthetic.movie.shape and movie.dtype == np.float32
    assert result.shifts.shape == (60, 2) and result.shifts_els is None
    for image in (result.template, result.mean_image, result.correlation_image):
        assert image.shape == (64, 64) and np.isfinite(image).all()
    assert np.allclose(result.mean_image, movie.mean(axis=0), rtol=1e-4)
    loaded = MotionCorrectionResult.load(out)
    for name in ("shifts", "template", "mean_image", "correlation_image"):
        assert np.array_equal(getattr(loaded, name), getattr(result, name))
    assert loaded.params == result.params and loaded.shifts_els is None
    assert sorted(os.listdir(out)) == sorted([MOVIE_NAME, JSON_NAME, "motion_correction.npz"])
    # correction makes frames agree with each other: the mean image gets sharper
    raw_mean = synthetic.movie.astype(np.float32).mean(axis=0)
    assert np.var(np.diff(result.mean_image, axis=1)) > 1.2 * np.var(np.diff(raw_mean, axis=1))


def test_piecewise_result_round_trips_with_patch_fields(tmp_path, movie_tiff):
    result = correct(movie_tiff, PIECEWISE, tmp_path / "pw", max_workers=1)
    assert result.shifts_els.shape[0] == 60 and result.shifts_els.shape[-1] == 2
    n_y, n_x = result.shifts_els.shape[1:3]
    assert (len(result.patch_centres_y), len(result.patch_centres_x)) == (n_y, n_x)
    loaded = MotionCorrectionResult.load(tmp_path / "pw")
    assert np.array_equal(loaded.shifts_els, result.shifts_els)
    assert np.allclose(loaded.displacement_field(3, 5), result.displacement_field(3, 5))
    # patch shifts stay within max_dev (+ subpixel refinement) of the rounded rigid shift
    dev = result.shifts_els - np.rint(result.shifts)[:, None, None, :]
    assert np.abs(dev).max() <= 2 + 0.75


def test_executors_give_the_same_result_as_serial(tmp_path, movie_tiff):
    serial = correct(movie_tiff, PIECEWISE, tmp_path / "serial", max_workers=1)
    with ThreadPoolExecutor(2) as pool:
        threaded = correct(movie_tiff, PIECEWISE, tmp_path / "threads", executor=pool)
    assert np.array_equal(serial.shifts_els, threaded.shifts_els)
    assert np.array_equal(serial.load_movie(), threaded.load_movie())
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        processes = correct(movie_tiff, RIGID, tmp_path / "processes", executor=pool)
    rigid = correct(movie_tiff, RIGID, tmp_path / "rigid", max_workers=1)
    assert np.array_equal(processes.shifts, rigid.shifts)
    assert np.allclose(processes.correlation_image, rigid.correlation_image, atol=1e-6)


def test_default_process_pool(tmp_path, movie_tiff):
    pooled = correct(movie_tiff, RIGID, tmp_path / "pool", max_workers=2)
    serial = correct(movie_tiff, RIGID, tmp_path / "serial", max_workers=1)
    assert np.array_equal(pooled.load_movie(), serial.load_movie())


def test_progress_is_reported_up_to_one(tmp_path, movie_tiff):
    calls = []
    correct(movie_tiff, PIECEWISE, tmp_path / "p", progress=lambda f, m: calls.append((f, m)),
            max_workers=1)
    fractions = [f for f, _ in calls]
    assert fractions == sorted(fractions) and fractions[0] == 0.0 and fractions[-1] == 1.0
    assert len(calls) >= 2 * 4 and all(isinstance(m, str) for _, m in calls)


def test_failure_leaves_no_partial_output(tmp_path, movie_tiff):
    out = tmp_path / "fail"

    def boom(fraction, message):
        if 0.3 < fraction < 1.0:
            raise RuntimeError("cancelled")

    with pytest.raises(RuntimeError, match="cancelled"):
        correct(movie_tiff, RIGID, out, progress=boom, max_workers=1)
    assert os.listdir(out) == []


def test_8_bit_output_is_scaled_without_clipping(tmp_path, movie_tiff):
    as_float = correct(movie_tiff, RIGID, tmp_path / "f", max_workers=1)
    as_8bit = correct(movie_tiff, {**RIGID, "output_bit_depth": "8"}, tmp_path / "8",
                      max_workers=1)
    stored = as_8bit.load_movie()
    assert stored.dtype == np.uint8 and stored.min() == 0 and stored.max() == 255
    values = stored / as_8bit.output_scale + as_8bit.output_offset
    # one 8-bit step of the float movie's range
    step = np.ptp(as_float.load_movie()) / 255
    assert np.abs(values - as_float.load_movie()).max() <= 0.5 * step + 1e-3
    assert MotionCorrectionResult.load(tmp_path / "8").output_scale == as_8bit.output_scale


def test_16_bit_output_keeps_values_that_fit(tmp_path, movie_tiff):
    as_16bit = correct(movie_tiff, {**RIGID, "output_bit_depth": 16}, tmp_path / "16",
                       max_workers=1)
    as_float = correct(movie_tiff, RIGID, tmp_path / "f", max_workers=1).load_movie()
    assert as_16bit.output_scale == 1.0 and as_16bit.output_offset == 0.0
    assert np.array_equal(as_16bit.load_movie(), np.rint(as_float).astype(np.uint16))


def test_npy_input_and_frames_smaller_than_a_patch(tmp_path, synthetic):
    path = tmp_path / "movie.npy"
    np.save(path, synthetic.movie[:20])
    guide = {"max_shifts_x": 6, "max_shifts_y": 6, "iters_rigid": 2, "name_rigid": "x",
             "max_dev": 3, "strides": 196, "overlaps": 98, "upsample": 4, "name_elas": "y",
             "output_bit_depth": "Do not convert", "gSig_filt": (10, 10)}
    with pytest.warns(UserWarning, match="rigid motion correction only"):
        result = correct(path, guide, tmp_path / "out", max_workers=1)
    assert result.shifts_els is None and result.load_movie().shape == (20, 64, 64)


def test_no_warning_when_patches_fit(tmp_path, movie_tiff):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        correct(movie_tiff, PIECEWISE, tmp_path / "o", max_workers=1)


def test_bad_inputs(tmp_path, movie_tiff):
    with pytest.raises(ParameterError, match="max_shifts_y"):
        correct(movie_tiff, {**RIGID, "max_shifts_y": 40}, tmp_path / "a", max_workers=1)
    with pytest.raises(ParameterError, match="bord_px"):
        correct(movie_tiff, {**RIGID, "bord_px": 30}, tmp_path / "b", max_workers=1)
    with pytest.raises(ParameterError, match="overlaps"):
        correct(movie_tiff, {**RIGID, "overlaps": 30, "strides": 30}, tmp_path / "c")
    with pytest.raises(ImageLoadError):
        correct(tmp_path / "nope.tif", RIGID, tmp_path / "d")


def test_load_refuses_newer_or_foreign_files(tmp_path, movie_tiff):
    out = tmp_path / "o"
    correct(movie_tiff, RIGID, out, max_workers=1)
    info = json.loads((out / JSON_NAME).read_text())
    (out / JSON_NAME).write_text(json.dumps({**info, "format_version": 99}))
    with pytest.raises(FormatVersionError, match="upgrade"):
        MotionCorrectionResult.load(out)
    (out / JSON_NAME).write_text("{not json")
    with pytest.raises(FormatVersionError):
        MotionCorrectionResult.load(out)
    with pytest.raises(ImageLoadError, match="no motion correction result"):
        MotionCorrectionResult.load(tmp_path / "empty")
