"""Unit tests of the CNMF pieces: params, noise, patches, merging, ΔF/F, result files."""
import json
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
import scipy.sparse

from mesmerize.core.errors import FormatVersionError, ParameterError
from mesmerize.engines.cnmf import CNMFParams, CNMFResult, detrend_df_f
from mesmerize.engines.cnmf.merging import merge_components
from mesmerize.engines.cnmf.noise import pixel_noise
from mesmerize.engines.cnmf.patches import (embed_footprints, patch_windows,
                                            restrict_footprints, run_patches)
from mesmerize.engines.cnmf.spatial import update_spatial

GUIDE_PARAMS = {'Input': 'Current Work Environment', 'p': 2, 'gnb': 1, 'merge_thresh': 0.25,
                'rf': 70, 'stride_cnmf': 40, 'k': 16, 'gSig': 8, 'min_SNR': 2.5,
                'rval_thr': 0.8, 'cnn_thr': 0.8, 'decay_time': 20,
                'name_cnmf': 'set_later_per_file', 'refit': True}


def test_params_from_guide_dict():
    p = CNMFParams.from_dict(GUIDE_PARAMS, fr=15.0)
    assert (p.p, p.gnb, p.rf, p.stride_cnmf, p.k, p.gSig, p.fr, p.refit) == \
        (2, 1, 70, 40, 16, (8, 8), 15.0, True)
    d = p.to_dict()
    json.dumps(d)
    assert "off" in d["cnn_test"]


@pytest.mark.parametrize("key,value,match", [
    ("p", 3, "'p'"), ("gSig", 0, "'gSig'"), ("merge_thresh", 1.5, "'merge_thresh'"),
    ("k", 2.5, "'k'"), ("rf", -1, "'rf'"), ("decay_time", 0, "'decay_time'"),
    ("refit", "yes", "'refit'"), ("min_SNR", "2", "'min_SNR'"), ("bogus", 1, "'bogus'"),
    ("stride_cnmf", 200, "stride_cnmf"), ("k", 0, "'k' is 0")])
def test_params_errors_name_the_parameter(key, value, match):
    d = dict(GUIDE_PARAMS, **{key: value})
    with pytest.raises(ParameterError, match=match):
        CNMFParams.from_dict(d, fr=10.0)


def test_pixel_noise_known_level_chunked():
    rng = np.random.default_rng(0)
    Y = 5.0 + 0.8 * rng.standard_normal((1000, 1024)).astype(np.float32)
    sn = pixel_noise(Y, chunk_pixels=128)
    assert sn.shape == (1000,)
    assert abs(np.median(sn) - 0.8) < 0.01
    assert np.all(np.abs(sn - 0.8) < 0.1)


def test_patch_windows_cover_and_roundtrip():
    dims = (50, 37)
    wins = patch_windows(dims, rf=8, stride=4)
    cover = np.zeros(dims, int)
    for y0, y1, x0, x1 in wins:
        assert y1 - y0 == 17 and x1 - x0 == 17
        cover[y0:y1, x0:x1] += 1
    assert cover.min() >= 1
    win = wins[3]
    h, w = win[1] - win[0], win[3] - win[2]
    A_p = scipy.sparse.random(h * w, 3, density=0.2, random_state=2, format="csc")
    A_full = embed_footprints(A_p, win, dims)
    img = A_full[:, 1].toarray().reshape(dims, order="F")
    np.testing.assert_allclose(img[win[0]:win[1], win[2]:win[3]],
                               A_p[:, 1].toarray().reshape((h, w), order="F"))
    np.testing.assert_allclose(restrict_footprints(A_full, win, dims).toarray(), A_p.toarray())


def _blob(dims, cy, cx, r=3.0):
    yy, xx = np.mgrid[:dims[0], :dims[1]]
    return np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r ** 2)).ravel(order="F")


def _slow_area(path, window, params):
    y0, y1, x0, x1 = window
    if params == "fail" and window[0] == 0:
        raise ValueError(f"bad patch in {path}")
    time.sleep(0.01 * (window[0] % 3))  # finish out of order
    return (y1 - y0) * (x1 - x0)


def test_run_patches_keeps_order_reports_progress_and_cancels_on_failure():
    windows = [(i, i + 2, 0, 3) for i in range(8)]
    pool = ThreadPoolExecutor(max_workers=3)
    for executor in (None, pool):
        calls = []
        outs = run_patches(_slow_area, "m.tif", windows, None, executor,
                           lambda f, m: calls.append((f, m)), 0.1, 0.6)
        assert outs == [6] * 8
        assert [m for _, m in calls] == [f"patch {i}/8 fitted" for i in range(1, 9)]
        assert [f for f, _ in calls] == sorted(f for f, _ in calls)
        assert calls[-1][0] == pytest.approx(0.6)
    pool.shutdown()
    with ThreadPoolExecutor(max_workers=1) as ex:
        started = []

        def fit_one(path, window, params):
            started.append(window)
            return _slow_area(path, window, params)
        with pytest.raises(ValueError, match="bad patch in m.tif"):
            run_patches(fit_one, "m.tif", windows, "fail", ex, lambda f, m: None, 0.1, 0.6)
    assert len(started) < len(windows)  # the queued patches were cancelled


def test_spatial_update_recovers_footprints_by_regression():
    dims = (30, 30)
    rng = np.random.default_rng(3)
    a = np.stack([_blob(dims, 10, 10), _blob(dims, 14, 18)], axis=1)
    a[a < 0.05] = 0
    C = rng.exponential(1.0, (2, 400))
    f = np.ones((1, 400))
    b = np.full((900, 1), 2.0)
    Yr = (a @ C + b @ f + 0.01 * rng.standard_normal((900, 400))).astype(np.float32)
    A0 = scipy.sparse.csc_matrix((a > 0.3).astype(np.float32))
    A, b_new = update_spatial(Yr, C, f, A0, np.ones((900, 1)), dims, radius=4, n_sweeps=200)
    for k in range(2):
        assert np.corrcoef(A[:, k].toarray().ravel(), a[:, k])[0, 1] > 0.99
    assert abs(np.median(b_new) - 2.0) < 0.05


def test_merge_joins_split_neuron_only():
    dims = (30, 30)
    rng = np.random.default_rng(4)
    full = _blob(dims, 12, 12)
    full[full < 0.05] = 0
    column = np.arange(900) // 30
    left, right = full * (column <= 12), full * (column >= 12) * 0.5  # share column 12
    other = _blob(dims, 25, 25)
    other[other < 0.05] = 0
    c = rng.exponential(1.0, 300)
    C = np.stack([c, c * 0.5 + 0.01 * rng.standard_normal(300), rng.exponential(1.0, 300)])
    A = scipy.sparse.csc_matrix(np.stack([left, right, other], axis=1))
    A_m, C_m, n = merge_components(A, C, merge_thresh=0.8)
    assert n == 1 and A_m.shape[1] == 2
    merged = A_m[:, 1].toarray().ravel()
    expected = left + right * 0.5  # sum of the members' contributions a_i c_i, up to scale
    assert np.corrcoef(merged, expected)[0, 1] > 0.99
    assert np.corrcoef(C_m[1], c)[0, 1] > 0.99
    # the merged pair is the rank-1 factorisation of sum_i a_i c_i, computed here densely
    contrib = A[:, :2].toarray() @ C[:2]
    w = np.linalg.norm(A[:, :2].toarray(), axis=0)
    c_ref = (w[:, None] * C[:2]).sum(axis=0)
    for _ in range(10):
        a_ref = np.maximum(contrib @ c_ref / (c_ref @ c_ref), 0)
        c_ref = np.maximum(a_ref @ contrib / (a_ref @ a_ref), 0)
    np.testing.assert_allclose(merged, a_ref, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(C_m[1], c_ref, rtol=1e-9, atol=1e-12)


def test_detrend_df_f_known_ratio():
    T = 1000
    a = scipy.sparse.csc_matrix(np.array([[1.0], [1.0]]))
    b = np.array([[3.0], [3.0]])
    f = np.ones((1, T))
    C = np.full((1, T), 2.0)
    C[0, 500:510] += 4.0
    dff = detrend_df_f(a, b, C, f, YrA=np.zeros((1, T)), quantile_min=8, frames_window=200)
    # F0 = 2 (trace baseline), B0 = 3 (background under the footprint): peak (6-2)/(3+2) = 0.8
    assert abs(dff[0, 505] - 0.8) < 1e-9 and abs(dff[0, 100]) < 1e-9
    with pytest.raises(ParameterError):
        detrend_df_f(a, b, C, f, quantile_min=120)


def test_result_roundtrip_and_version(tmp_path):
    rng = np.random.default_rng(5)
    A = scipy.sparse.random(20 * 10, 3, density=0.1, random_state=1, format="csc", dtype=np.float32)
    res = CNMFResult(A=A, b=rng.random((200, 1)), C=rng.random((3, 50)), f=rng.random((1, 50)),
                     YrA=rng.random((3, 50)), S=rng.random((3, 50)), sn=rng.random(200),
                     g=rng.random((3, 1)), dims=(20, 10), idx_components=np.array([0, 2]),
                     idx_components_bad=np.array([1]), SNR_comp=rng.random(3),
                     r_values=rng.random(3), params={"p": 1})
    res.save(tmp_path)
    back = CNMFResult.load(tmp_path)
    assert (back.A != A).nnz == 0 and back.dims == (20, 10)
    np.testing.assert_array_equal(back.C, res.C)
    np.testing.assert_array_equal(back.idx_components, [0, 2])
    img = back.footprint_images()
    np.testing.assert_allclose(img[1], A[:, 1].toarray().reshape((20, 10), order="F"))
    info = json.loads((tmp_path / "cnmf_result.json").read_text())
    info["format_version"] = 99
    (tmp_path / "cnmf_result.json").write_text(json.dumps(info))
    with pytest.raises(FormatVersionError, match="Upgrade"):
        CNMFResult.load(tmp_path)
