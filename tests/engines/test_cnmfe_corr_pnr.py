"""CNMF-E correlation and PNR images: brute-force reference, chunking, file API, 1p accuracy.

Tolerances: the local correlation matches a brute-force ``np.corrcoef`` reference within 1e-5;
chunked (tiles of rows and frames, in a process pool) equals unchunked within 1e-5 (correlation)
and 1e-4 relative (PNR, noise); on a synthetic 1-photon movie at least 90% of the true neuron
centres are in the top PNR decile and have correlation > 0.7, while the median background pixel
has correlation < 0.4 and PNR below the 90th percentile.
"""
from __future__ import annotations

import json
from concurrent.futures import ProcessPoolExecutor

import cv2
import numpy as np
import pytest
import tifffile

from mesmerize.core.errors import FormatVersionError, ImageLoadError, ParameterError
from mesmerize.demo.synthetic import SyntheticParams, generate
from mesmerize.engines.cnmfe import CNMFEParams, CorrPNRResult, corr_pnr
from mesmerize.engines.cnmfe.corr_pnr import compute_corr_pnr, make_tiles
from mesmerize.engines.cnmfe.filtering import highpass_filter_frames, highpass_kernel
from mesmerize.engines.cnmfe.local_stats import (CORR_THRESHOLD, corr_pnr_in_memory,
                                                 noise_segments)
from mesmerize.engines.deconvolution.noise import noise_psd


@pytest.fixture(scope="module")
def one_photon_movie():
    return generate(SyntheticParams(shape=(600, 96, 96), mode="1p", n_neurons=18,
                                    neuron_radius=4.0, seed=1, dtype="float32"))


def _tiny_movie(T=300, H=18, W=21, seed=0):
    rng = np.random.default_rng(seed)
    Y = rng.normal(100, 2, size=(T, H, W)).astype(np.float32)
    yy, xx = np.mgrid[0:H, 0:W]
    for cy, cx in ((6, 6), (11, 14), (5, 15)):
        blob = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 4.0)
        events = (rng.random(T) > 0.95) * rng.uniform(5, 15, T)
        Y += blob[None] * np.convolve(events, np.exp(-np.arange(20) / 5.0))[:T, None, None]
    return Y.astype(np.float32)


def _brute_force(Y, gSig, gSiz):
    k = highpass_kernel(gSig, gSiz)
    F = np.stack([cv2.filter2D(f, -1, k, borderType=cv2.BORDER_REPLICATE) for f in Y])
    F = F.astype(np.float64)
    sigma = noise_psd(F.transpose(1, 2, 0), noise_method="mean")
    mean = F.mean(axis=0)
    pnr = np.maximum((F.max(axis=0) - mean) / sigma, 0)
    z = (F - mean) / sigma
    z[z < CORR_THRESHOLD] = 0
    T, H, W = Y.shape
    corr = np.zeros((H, W))
    for y in range(H):
        for x in range(W):
            vals = []
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    yy, xx = y + dy, x + dx
                    if (dy, dx) == (0, 0) or not (0 <= yy < H and 0 <= xx < W):
                        continue
                    a, b = z[:, y, x], z[:, yy, xx]
                    vals.append(0.0 if a.std() == 0 or b.std() == 0 else np.corrcoef(a, b)[0, 1])
            corr[y, x] = np.mean(vals)
    return corr, pnr, sigma


def test_filter_equals_filter2d_with_mean_subtracted_kernel():
    rng = np.random.default_rng(1)
    frames = rng.uniform(0, 1000, size=(3, 40, 37)).astype(np.float32)
    k = highpass_kernel((3, 2), (13, 9))
    assert abs(k.sum()) < 1e-6
    ref = np.stack([cv2.filter2D(f, -1, k, borderType=cv2.BORDER_REPLICATE) for f in frames])
    got = highpass_filter_frames(frames, (3, 2), (13, 9))
    assert np.max(np.abs(got - ref)) < 1e-5 * 1000
    flat = highpass_filter_frames(np.full((1, 30, 30), 500.0, np.float32), (3, 3), (13, 13))
    assert np.max(np.abs(flat)) < 1e-3


def test_matches_brute_force_reference():
    Y = _tiny_movie()
    p = CNMFEParams(gSig=2)
    corr, pnr, noise = compute_corr_pnr(Y, p)
    ref_corr, ref_pnr, ref_sigma = _brute_force(Y, p.gSig, p.gSiz)
    assert np.max(np.abs(corr - ref_corr)) < 1e-5
    assert np.allclose(noise, ref_sigma, rtol=1e-4)
    assert np.allclose(pnr, ref_pnr, rtol=1e-4, atol=1e-4)
    assert corr[6, 6] > 0.8 and pnr[6, 6] > 5


def test_chunked_equals_unchunked_in_process_pool(tmp_path):
    Y = _tiny_movie(T=700, H=24, W=20, seed=3)
    path = tmp_path / "movie.npy"
    np.save(path, Y)
    p = CNMFEParams(gSig=2)
    F = highpass_filter_frames(Y, p.gSig, p.gSiz)
    ref_corr, ref_pnr, ref_sigma, _ = corr_pnr_in_memory(F)
    small = 4 * 20 * 3 * 350  # 3 rows by one 350-frame noise segment per tile
    assert len(make_tiles(700, (24, 20), small)) == 2 * 8
    mov = np.load(path, mmap_mode="r")
    with ProcessPoolExecutor(2) as pool:
        corr, pnr, noise = compute_corr_pnr(mov, p, executor=pool, tile_bytes=small)
        # an array that is not a file memory map cannot be re-opened by workers: runs here
        in_memory = compute_corr_pnr(np.array(mov), p, executor=pool, tile_bytes=small)
        # a view of a memory map (its recorded offset is the parent's) is read correctly
        view = compute_corr_pnr(mov[100:], p, executor=pool, tile_bytes=small)
    assert np.max(np.abs(view[0] - compute_corr_pnr(Y[100:], p)[0])) < 1e-6
    assert np.max(np.abs(in_memory[0] - corr)) < 1e-6
    assert np.max(np.abs(corr - ref_corr)) < 1e-5
    assert np.allclose(pnr, ref_pnr, rtol=1e-4, atol=1e-5)
    assert np.allclose(noise, ref_sigma, rtol=1e-4)
    serial = compute_corr_pnr(mov, p, tile_bytes=4 * 20 * 5 * 700)
    assert np.max(np.abs(serial[0] - corr)) < 1e-5


def test_noise_segments_depend_only_on_length():
    assert noise_segments(100) == [(0, 100)]
    segs = noise_segments(1000)
    assert segs[0][0] == 0 and segs[-1][1] == 1000
    assert all(256 <= b - a < 512 for a, b in segs)
    assert all(segs[i][1] == segs[i + 1][0] for i in range(len(segs) - 1))


def test_file_api_save_load_and_progress(tmp_path):
    Y = _tiny_movie(T=120)
    path = tmp_path / "movie.tif"
    tifffile.imwrite(path, Y)
    calls = []
    guide_params = {"gSig": 2, "min_corr": 0.8, "min_pnr": 10, "name_corr_pnr": "a",
                    "Input": "Current Work Environment"}
    res = corr_pnr(path, guide_params, tmp_path / "out", progress=lambda f, m: calls.append(f))
    assert res.corr.shape == (18, 21) and res.corr.dtype == np.float32
    assert calls[-1] == 1.0 and all(a <= b for a, b in zip(calls, calls[1:]))
    loaded = CorrPNRResult.load(tmp_path / "out")
    assert np.array_equal(loaded.corr, res.corr) and np.array_equal(loaded.pnr, res.pnr)
    assert loaded.params["gSig"] == [2, 2] and loaded.n_frames == 120
    info = json.loads((tmp_path / "out" / "corr_pnr.json").read_text())
    info["format_version"] = 99
    (tmp_path / "out" / "corr_pnr.json").write_text(json.dumps(info))
    with pytest.raises(FormatVersionError, match="upgrade"):
        CorrPNRResult.load(tmp_path / "out")
    with pytest.raises(ImageLoadError, match="missing"):
        CorrPNRResult.load(tmp_path / "nothing")


def test_bad_input_is_refused(tmp_path):
    with pytest.raises(ParameterError, match="min_corr"):
        CNMFEParams(min_corr=1.2)
    Y = _tiny_movie(T=64)
    with pytest.raises(ParameterError, match="gSig"):
        compute_corr_pnr(Y, CNMFEParams(gSig=6))  # kernel 25 px > 18 px field of view
    bad = Y.copy()
    bad[40, 3, 3] = np.nan
    with pytest.raises(ParameterError, match="NaN.*frame 40"):
        compute_corr_pnr(bad, CNMFEParams(gSig=2))
    path = tmp_path / "flat.npy"
    np.save(path, np.full((64, 20, 20), 7, np.uint16))
    with pytest.raises(ParameterError, match="constant"):
        corr_pnr(path, CNMFEParams(gSig=2), tmp_path / "out")
    assert not (tmp_path / "out" / "corr_pnr.json").exists()


def test_one_photon_centres_stand_out(one_photon_movie):
    m = one_photon_movie
    corr, pnr, _ = compute_corr_pnr(m.movie, CNMFEParams(gSig=4))
    H, W = corr.shape
    top = np.percentile(pnr, 90)
    hits_pnr = hits_corr = 0
    for cy, cx in m.centers:
        y, x = int(round(cy)), int(round(cx))
        win = (slice(max(y - 1, 0), min(y + 2, H)), slice(max(x - 1, 0), min(x + 2, W)))
        hits_pnr += pnr[win].max() >= top
        hits_corr += corr[win].max() > 0.7
    n = len(m.centers)
    assert hits_pnr >= 0.9 * n and hits_corr >= 0.9 * n
    background = m.footprints.sum(axis=0) < 0.01
    assert np.median(corr[background]) < 0.4
    assert np.median(pnr[background]) < top
