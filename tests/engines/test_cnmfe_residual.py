"""Out-of-core pieces of the CNMF-E refinement: the banded ring fit and ``RingResidual``.

Tolerances: banding changes nothing, so the ring weights fitted in bands of a few rows (and
from a ``MovieReader`` of the file) equal the one-band fit exactly (same float32 arithmetic
per pixel), and the bands of ``RingResidual`` equal ``Y - RingModel.background(Y, A, C)`` of the
whole movie within 1e-3 of its range (float32 rounding of a different summation order), for
ssub 1, 2, 3 and fields of view that are not multiples of ssub.
"""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse

from mesmerize.demo.synthetic import SyntheticParams, generate
from mesmerize.engines.cnmf.movie import MovieReader
from mesmerize.engines.cnmfe.pipeline import frames_as_pixels, regress_traces
from mesmerize.engines.cnmfe.residual import RingResidual
from mesmerize.engines.cnmfe.ring_background import fit_ring_model


@pytest.fixture(scope="module")
def movie():
    m = generate(SyntheticParams(shape=(240, 61, 57), mode="1p", n_neurons=8, seed=3,
                                 neuron_radius=3.5, dtype="float32"))
    # true footprints in Fortran pixel order over (H, W)
    K, H, W = m.footprints.shape
    A = scipy.sparse.csc_matrix(m.footprints.transpose(2, 1, 0).reshape(H * W, K))
    C = (m.baseline[:, None] * (1 + m.calcium)).astype(np.float64)
    return m, A, C


@pytest.mark.parametrize("ssub", [1, 2, 3])
def test_banded_fit_and_residual_equal_whole_field(movie, ssub, tmp_path):
    m, A, C = movie
    Y = m.movie
    whole = fit_ring_model(Y, A, C, radius=9, ssub=ssub)
    banded = fit_ring_model(Y, A, C, radius=9, ssub=ssub, band_bytes=1)
    assert abs(whole.W - banded.W).max() == 0
    np.testing.assert_array_equal(whole.b0, banded.b0)
    expected = frames_as_pixels(Y - whole.background(Y, A, C))
    src = RingResidual(Y, whole, A, C, band_bytes=1)
    assert len(src.windows) > 5  # really banded
    got = src.to_pixels()
    scale = float(np.ptp(Y))
    np.testing.assert_allclose(got, expected, atol=1e-3 * scale)
    bg = RingResidual(Y, whole, A, C, background_only=True, band_bytes=1).to_pixels()
    np.testing.assert_allclose(bg, frames_as_pixels(Y) - expected, atol=1e-3 * scale)
    if ssub == 2:  # the same from the file, read in blocks
        path = tmp_path / "movie.npy"
        np.save(path, Y)
        reader = MovieReader(path)
        from_file = fit_ring_model(reader, A, C, radius=9, ssub=ssub, band_bytes=1)
        assert abs(from_file.W - whole.W).max() == 0
        streamed = RingResidual(reader, whole, A, C, band_bytes=1)
        ids = np.concatenate([i for i, _ in streamed.bands()])
        assert np.array_equal(np.sort(ids), np.arange(Y.shape[1] * Y.shape[2]))
        np.testing.assert_allclose(regress_traces(streamed, A), regress_traces(expected, A),
                                   rtol=1e-4, atol=1e-3 * scale)


def test_streamed_refinement_equals_in_memory(movie, tmp_path, monkeypatch):
    """The field-of-view refinement streamed from the file in bands of a few rows gives the
    same components as the same refinement on the movie held in memory (footprints within 1e-3
    of their peak, traces correlating > 0.9999; only summation order differs)."""
    from mesmerize.engines.cnmfe import CNMFEParams, pipeline

    m, A, C = movie
    Y = m.movie
    path = tmp_path / "movie.npy"
    np.save(path, Y)
    params = CNMFEParams(fr=10.0, gSig=3, min_corr=0.8, min_pnr=5)
    dims = Y.shape[1:]
    mem_A, mem_state, mem_ring, mem_res = pipeline.fit_components(
        Y, dims, params, A, C, lambda f, s: None)
    assert isinstance(mem_res, pipeline.InMemoryPixels)
    monkeypatch.setattr(pipeline, "STREAM_BAND_BYTES", 4 * 6 * Y.shape[2] * Y.shape[0])
    st_A, st_state, st_ring, st_res = pipeline.fit_components(
        MovieReader(path), dims, params, A, C, lambda f, s: None)
    assert isinstance(st_res, RingResidual) and len(st_res.windows) >= 10
    assert st_A.shape == mem_A.shape
    np.testing.assert_allclose(st_A.toarray(), mem_A.toarray(), atol=1e-3 * mem_A.max())
    for a, b in zip(st_state.C, mem_state.C):
        assert np.corrcoef(a, b)[0, 1] > 0.9999
