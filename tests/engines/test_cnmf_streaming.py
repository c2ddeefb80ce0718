"""Out-of-core pieces of CNMF: movie blocks, banded pixel source, and the updates computed on it.

The banded source (several bands of rows read from the file) must give the products of the
in-memory array: products to float32 round-off (rtol 1e-5 of the largest value), the updates
built on them to 1e-4. The per-pixel spatial HALS is checked against scipy's NNLS. The
pixel-major copy of the movie must give the file's bands bit for bit, on every pass, and be
deleted on close; without room on the disk, or when writing it fails, the bands still come
(from the file) and equal.
"""
import errno
import os

import numpy as np
import pytest
import scipy.ndimage as ndi
import scipy.sparse
import tifffile
from scipy.optimize import nnls

from mesmerize.core.errors import ParameterError
from mesmerize.engines.cnmf.evaluation import spatial_rvalues
from mesmerize.engines.cnmf.initialization import _blur, background_of_source
from mesmerize.engines.cnmf.movie import MovieReader, check_movie_file, read_window
from mesmerize.engines.cnmf.noise import pixel_noise
from mesmerize.engines.cnmf.spatial import search_supports, update_spatial
from mesmerize.engines.cnmf import streaming
from mesmerize.engines.cnmf.streaming import (
    BandedMovie, InMemoryPixels, pixel_medians, pixel_noise_of, project, support_products)
from mesmerize.engines.cnmf.temporal import update_temporal

DIMS = (24, 20)
T = 300


def _blob(cy, cx, r=2.5):
    yy, xx = np.mgrid[:DIMS[0], :DIMS[1]]
    a = np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r ** 2))
    a[a < 0.1] = 0
    return a.ravel(order="F")


@pytest.fixture(scope="module")
def scene(tmp_path_factory):
    """A small movie (T, H, W) float32 with 3 neurons (two overlapping) and a background."""
    rng = np.random.default_rng(0)
    A = np.stack([_blob(6, 6), _blob(9, 8), _blob(17, 14)], axis=1)
    C = np.zeros((3, T))
    for k in range(3):
        s = (rng.random(T) < 0.04) * rng.exponential(2.0, T)
        for t in range(T):
            C[k, t] = s[t] + (0.9 * C[k, t - 1] if t else 0)
    b = (1.0 + 0.3 * np.linspace(0, 1, DIMS[0] * DIMS[1]))[:, None]
    f = (5.0 + np.sin(np.arange(T) / 40.0))[None]
    Yr = A @ C + b @ f + 0.1 * rng.standard_normal((A.shape[0], T))
    movie = Yr.reshape(DIMS[1], DIMS[0], T).transpose(2, 1, 0).astype(np.float32)
    path = tmp_path_factory.mktemp("stream") / "movie.tif"
    tifffile.imwrite(path, movie)
    Yr32 = movie.transpose(2, 1, 0).reshape(-1, T).copy()
    return path, Yr32, scipy.sparse.csc_matrix(A.astype(np.float32)), C, b, f


def _banded(path, **kw):
    # 4 rows of 20 pixels x 300 frames x 4 bytes per band: 6 bands over 24 rows
    return BandedMovie(path, band_bytes=4 * 20 * T * 4, **kw)


@pytest.mark.parametrize("dtype", [np.uint16, np.float32])
def test_movie_reader_blocks_match_the_array(tmp_path, dtype):
    data = (np.random.default_rng(1).random((40, 13, 11)) * 1000).astype(dtype)
    for path in (tmp_path / "m.tif", tmp_path / "m.npy"):
        tifffile.imwrite(path, data) if path.suffix == ".tif" else np.save(path, data)
        reader = MovieReader(path)
        assert reader.shape == (40, 13, 11) and reader._offset is not None
        np.testing.assert_array_equal(reader.block(5, 17, 3, 9), data[5:17, 3:9])
        np.testing.assert_array_equal(reader.block(0, 40), data)
        window = data[:, 2:10, 1:7].astype(np.float32)  # pixels in Fortran order over (8, 6)
        np.testing.assert_array_equal(read_window(reader, 2, 10, 1, 7, chunk_frames=7),
                                      window.transpose(2, 1, 0).reshape(48, 40))
        check_movie_file(reader, chunk_frames=9)


def test_check_movie_file_refuses_constant_and_nan(tmp_path):
    np.save(tmp_path / "const.npy", np.full((30, 8, 8), 7, np.uint16))
    with pytest.raises(ParameterError, match="constant"):
        check_movie_file(MovieReader(tmp_path / "const.npy"))
    data = np.random.default_rng(3).random((30, 8, 8)).astype(np.float32)
    data[25, 1, 1] = np.nan
    np.save(tmp_path / "nan.npy", data)
    with pytest.raises(ParameterError, match="NaN"):
        check_movie_file(MovieReader(tmp_path / "nan.npy"), chunk_frames=10)


def test_banded_products_match_in_memory(scene):
    path, Yr, A, C, b, f = scene
    for remove_median in (False, True):
        src = _banded(path, remove_median=remove_median)
        assert len(src.windows) == 6
        Y = Yr - np.median(Yr, axis=1, keepdims=True) if remove_median else Yr
        scale = np.abs(Y).max()
        np.testing.assert_allclose(project(src, A), A.T @ Y.astype(np.float64),
                                   atol=1e-5 * scale * A.sum(axis=0).max())
        pattern = search_supports(A, DIMS, 2)
        vals, dense = support_products(src, pattern, C, f)
        rows = pattern.indices
        cols = np.repeat(np.arange(3), np.diff(pattern.indptr))
        np.testing.assert_allclose(vals, np.einsum("nt,nt->n", Y[rows], C[cols]),
                                   rtol=1e-4, atol=1e-4 * scale)
        np.testing.assert_allclose(dense, Y @ f.T, rtol=1e-4)
        np.testing.assert_allclose(pixel_medians(src), np.median(Y, axis=1), atol=1e-4)
        np.testing.assert_allclose(pixel_noise_of(src), pixel_noise(Yr), rtol=1e-5)


def test_spatial_hals_matches_nnls_per_pixel(scene):
    _, Yr, A, C, b, f = scene
    A_new, b_new = update_spatial(Yr, C, f, A, np.ones((Yr.shape[0], 1)), DIMS, radius=2,
                                  n_sweeps=3000, max_thr=0.0)
    V = np.vstack([C, f])
    support = search_supports(A, DIMS, 2).tocsr()
    X = np.hstack([A_new.toarray(), b_new])
    for i in range(0, Yr.shape[0], 7):
        cols = np.concatenate([support.indices[support.indptr[i]:support.indptr[i + 1]], [3]])
        x, _ = nnls(V[cols].T, Yr[i].astype(np.float64))
        np.testing.assert_allclose(X[i, cols], x, rtol=1e-3, atol=1e-4)
        assert np.all(np.delete(X[i], cols) == 0)


def test_updates_on_banded_source_equal_in_memory(scene):
    path, Yr, A, C, b, f = scene
    src = _banded(path)
    b0 = np.ones((Yr.shape[0], 1))
    A_mem, b_mem = update_spatial(Yr, C, f, A, b0, DIMS, radius=2)
    A_src, b_src = update_spatial(src, C, f, A, b0, DIMS, radius=2)
    assert abs(A_mem - A_src).max() <= 1e-4 * A_mem.max()
    np.testing.assert_allclose(b_src, b_mem, rtol=1e-4)
    st_mem = update_temporal(Yr, A_mem, b_mem, C, f, 1, 0.5, 30.0)
    st_src = update_temporal(src, A_mem, b_mem, C, f, 1, 0.5, 30.0)
    np.testing.assert_allclose(st_src.C, st_mem.C, atol=1e-4 * st_mem.C.max())
    np.testing.assert_allclose(st_src.f, st_mem.f, rtol=1e-4)
    r_mem = spatial_rvalues(Yr, A_mem, st_mem.C, b_mem, st_mem.f)
    r_src = spatial_rvalues(src, A_mem, st_mem.C, b_mem, st_mem.f)
    np.testing.assert_allclose(r_src, r_mem, atol=1e-5)
    assert np.all(r_mem > 0.9)  # true neurons are spatially consistent


def test_background_out_of_core_matches_in_memory(scene):
    path, Yr, A, C, b, f = scene
    b_mem, f_mem = background_of_source(InMemoryPixels(Yr), DIMS, A, C, 1)
    # max_bytes forces a 2x2-pixel coarse residual for f
    b_src, f_src = background_of_source(_banded(path), DIMS, A, C, 1, max_bytes=150 * T * 4)
    B_mem, B_src, B_true = b_mem @ f_mem, b_src @ f_src, b @ f
    assert np.abs(B_src - B_true).max() < 0.05 * B_true.max()
    assert np.abs(B_src - B_mem).max() < 0.05 * B_true.max()
    assert np.corrcoef(f_src[0], f[0])[0, 1] > 0.99


def test_blur_equals_ndimage_gaussian():
    cube = np.random.default_rng(2).standard_normal((30, 17, 9)).astype(np.float32)
    ref = ndi.gaussian_filter(cube, sigma=(3, 2, 0), truncate=2.0, mode="constant")
    np.testing.assert_allclose(_blur(cube, (3, 2)), ref, atol=1e-5)


def _passes(src, n=2):
    return [[(ids.copy(), Y.copy()) for ids, Y in src.bands()] for _ in range(n)]


@pytest.mark.parametrize("dtype", [np.uint16, np.float32])
def test_pixel_major_copy_gives_the_files_bands(tmp_path, dtype, monkeypatch):
    data = (np.random.default_rng(5).random((T, 24, 20)) * 900).astype(dtype)
    tifffile.imwrite(tmp_path / "m.tif", data)
    expected = _passes(_banded(tmp_path / "m.tif"), 1)[0]
    assert len(expected) == 6
    cache = tmp_path / "cache"
    cache.mkdir()
    reads = []
    src = _banded(tmp_path / "m.tif", cache_dir=cache, remove_median=True)
    assert src.cache_path.parent == cache and src.cache_bytes == data.nbytes
    monkeypatch.setattr(src.reader, "block", lambda *a, _b=src.reader.block: reads.append(a)
                        or _b(*a))
    first, second = _passes(src)
    n_reads = len(reads)
    assert n_reads > 0 and src.cache_path.stat().st_size == data.nbytes
    for (ids, Y), (ids1, Y1), (ids2, Y2) in zip(expected, first, second):
        med = np.median(Y, axis=1, keepdims=True)
        np.testing.assert_array_equal(ids1, ids)
        np.testing.assert_array_equal(Y1, Y - med)
        np.testing.assert_array_equal(Y2, Y - med)
    assert len(reads) == n_reads  # the second pass never touched the movie file
    path = src.cache_path
    src.close()
    assert not path.exists() and list(cache.iterdir()) == []
    np.testing.assert_array_equal(_passes(src, 1)[0][2][1], first[2][1])  # still readable


def test_no_copy_without_disk_room_or_when_writing_fails(tmp_path, monkeypatch):
    data = (np.random.default_rng(6).random((T, 24, 20)) * 900).astype(np.uint16)
    tifffile.imwrite(tmp_path / "m.tif", data)
    expected = _passes(_banded(tmp_path / "m.tif"), 1)[0]
    real_usage = streaming.shutil.disk_usage
    monkeypatch.setattr(streaming.shutil, "disk_usage",
                        lambda p: real_usage(p)._replace(free=data.nbytes))
    src = _banded(tmp_path / "m.tif", cache_dir=tmp_path)
    assert src.cache_path is None and src.cache_bytes == 0
    monkeypatch.setattr(streaming.shutil, "disk_usage", real_usage)

    def full_disk(fd, view, offset):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    src = _banded(tmp_path / "m.tif", cache_dir=tmp_path)
    monkeypatch.setattr(streaming.os, "pwrite", full_disk)
    for got in _passes(src):
        for (ids, Y), (ids_e, Y_e) in zip(got, expected):
            np.testing.assert_array_equal(Y, Y_e)
    assert src.cache_path is None
    assert [p.name for p in tmp_path.iterdir()] == ["m.tif"]
