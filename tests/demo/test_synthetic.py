"""Synthetic movies: shapes, determinism, motion convention, realism, file round trips."""
import json

import numpy as np
import pytest
import tifffile

from mesmerize.core.errors import FormatVersionError, ParameterError
from mesmerize.core.meta import load_meta_json
from mesmerize.demo.synthetic import (
    SyntheticParams,
    generate,
    load_ground_truth,
    write_synthetic_tiff,
)
from mesmerize.demo.synthetic_motion import displace

SMALL = dict(shape=(120, 64, 64), n_neurons=10, fps=10.0, neuron_radius=4.0)


@pytest.fixture(scope="module")
def moving_2p():
    return generate(SyntheticParams(**SMALL, max_shift=3.0, seed=3))


def test_shapes_and_dtypes(moving_2p):
    m = moving_2p
    t, h, w = 120, 64, 64
    assert m.movie.shape == (t, h, w) and m.movie.dtype == np.uint16
    assert m.clean.shape == (t, h, w) and m.clean.dtype == np.float32
    assert m.footprints.shape == (10, h, w) and m.footprints.dtype == np.float32
    assert np.allclose(m.footprints.max(axis=(1, 2)), 1.0)
    assert m.centers.shape == (10, 2)
    assert m.calcium.shape == (10, t) and m.spikes.shape == (10, t) and m.baseline.shape == (10,)
    assert m.shifts.shape == (t, 2)
    assert m.flow is None
    assert m.meta["source"] == "mesmerize-synthetic" and m.meta["fps"] == 10.0
    f32 = generate(SyntheticParams(**SMALL, dtype="float32", nonrigid_amplitude=1.5))
    assert f32.movie.dtype == np.float32
    assert f32.flow.shape == (t, h, w, 2) and f32.flow.dtype == np.float32


def test_same_seed_same_movie_other_seed_other_movie():
    p = SyntheticParams(**SMALL, max_shift=2.0, nonrigid_amplitude=1.0, seed=11)
    a, b = generate(p), generate(p)
    np.testing.assert_array_equal(a.movie, b.movie)
    np.testing.assert_array_equal(a.calcium, b.calcium)
    c = generate(SyntheticParams(**SMALL, max_shift=2.0, nonrigid_amplitude=1.0, seed=12))
    assert not np.array_equal(a.movie, c.movie)
    assert not np.allclose(a.centers, c.centers)


def test_displace_moves_content_by_plus_shift():
    img = np.zeros((48, 48), np.float32)
    y0, x0 = 20, 25
    yy, xx = np.mgrid[0:48, 0:48]
    img[:] = np.exp(-((yy - y0) ** 2 + (xx - x0) ** 2) / (2 * 1.5**2))
    dy, dx = 2.3, -1.7
    out = displace(img, np.array([dy, dx]))
    wsum = out.sum()
    cy, cx = (out * yy).sum() / wsum, (out * xx).sum() / wsum
    assert abs(cy - (y0 + dy)) < 0.05 and abs(cx - (x0 + dx)) < 0.05  # remap: 1/32 px grid
    field = np.broadcast_to(np.array([dy, dx], np.float32), (48, 48, 2))
    np.testing.assert_allclose(displace(img, field), out, atol=1e-6)
    with pytest.raises(ParameterError):
        displace(img, np.zeros((3,)))


def _residual(frame, clean, d):
    return float(np.mean((frame.astype(np.float64) - displace(clean, d)) ** 2))


def test_movie_frames_are_clean_displaced_by_shifts(moving_2p):
    m = moving_2p
    assert np.all(np.abs(m.shifts) <= 3.0)
    assert np.abs(m.shifts).max() > 0.5
    frames = np.argsort(-np.abs(m.shifts).sum(1))[:5]
    for t in frames:
        right = _residual(m.movie[t], m.clean[t], m.shifts[t])
        wrong = _residual(m.movie[t], m.clean[t], -m.shifts[t])
        still = _residual(m.movie[t], m.clean[t], np.zeros(2))
        assert right < 0.8 * still and right < 0.8 * wrong


def test_nonrigid_flow_is_total_displacement():
    m = generate(SyntheticParams(**SMALL, max_shift=1.0, nonrigid_amplitude=2.5, seed=5))
    flow = m.flow
    nonrigid = flow - m.shifts[:, None, None, :]
    assert 1.0 < np.abs(nonrigid).max() < 2.5
    # smooth in space: neighbouring pixels differ by far less than the amplitude
    assert np.abs(np.diff(flow, axis=1)).max() < 0.3
    np.testing.assert_allclose(m.flow_frames(10, 12), flow[10:12])
    for t in np.argsort(-np.abs(nonrigid).max(axis=(1, 2, 3)))[:5]:
        with_flow = _residual(m.movie[t], m.clean[t], flow[t])
        rigid_only = _residual(m.movie[t], m.clean[t], m.shifts[t])
        assert with_flow < 0.9 * rigid_only


def test_neuron_placement_has_overlapping_pairs_and_spacing():
    m = generate(SyntheticParams(shape=(20, 128, 128), n_neurons=40, neuron_radius=4.0, seed=2))
    d = np.hypot(*(m.centers[:, None, :] - m.centers[None, :, :]).transpose(2, 0, 1))
    np.fill_diagonal(d, np.inf)
    nearest = d.min(axis=1)
    overlapping = nearest < 2.0 * 4.0
    assert 0.05 <= overlapping.mean() <= 0.3
    assert np.all(nearest[~overlapping] >= 2.2 * 4.0 * 0.95**5)
    assert np.all(nearest >= 4.0 * 0.99)
    overlap = (m.footprints[overlapping] > 0.2).sum(0)
    assert overlap.max() >= 2  # footprints really share pixels


def test_spikes_drive_calcium():
    m = generate(SyntheticParams(shape=(600, 32, 32), n_neurons=6, fps=20.0, neuron_radius=3.0,
                                 seed=4))
    rate = m.spikes.sum(1) / (600 / 20.0)
    assert np.all(rate < 1.5) and rate.mean() > 0.03
    for k in range(6):
        fired = np.cumsum(m.spikes[k]) > 0
        assert np.all(m.calcium[k][~fired] == 0)  # no calcium before the first spike
        for t in np.nonzero(m.spikes[k])[0]:
            assert m.calcium[k, t : t + 3].max() > 0.1


def test_cells_visible_at_rest_and_transients_visible():
    m = generate(SyntheticParams(shape=(500, 96, 96), n_neurons=15, seed=6))
    mean = m.movie.astype(np.float64).mean(0)
    cy, cx = np.round(m.centers).astype(int).T
    far = m.footprints.sum(0) == 0
    # resting somata stand out from the neuropil (2p: brighter by half or more)
    assert np.median(mean[cy, cx]) > 1.5 * np.median(mean[far])
    # raw ROI traces follow the true calcium, but the baseline is noisy
    corr, noise = [], []
    for k in range(15):
        roi = m.footprints[k] > 0.5
        trace = m.movie[:, roi].astype(np.float64).mean(1)
        if m.spikes[k].sum() >= 2:
            corr.append(np.corrcoef(trace, m.calcium[k])[0, 1])
        pix = m.movie[:, cy[k], cx[k]].astype(np.float64) - m.clean[:, cy[k], cx[k]]
        noise.append(pix.std() / (m.clean[:, cy[k], cx[k]].mean() - m.offset))
    assert np.median(corr) > 0.7
    assert np.median(noise) > 0.1  # shot noise: per-pixel baseline is visibly noisy


def test_one_photon_background_is_much_brighter_than_neurons():
    m = generate(SyntheticParams(shape=(200, 96, 96), n_neurons=12, mode="1p", seed=7))
    background = m.background_maps.sum(0)
    assert background.mean() > 3 * m.baseline.mean()
    # smooth and broad: neighbouring pixels differ by a tiny fraction of the level
    assert np.abs(np.diff(background, axis=1)).max() < 0.05 * background.mean()
    assert m.background_traces.std(axis=1).max() > 0.01  # drifts in time
    two_p = generate(SyntheticParams(shape=(200, 96, 96), n_neurons=12, mode="2p", seed=7))
    assert m.background_maps.sum(0).mean() / m.baseline.mean() > 3 * (
        two_p.background_maps.sum(0).mean() / two_p.baseline.mean()
    )


@pytest.mark.parametrize("mode", ["2p", "1p"])
def test_uint16_never_clips(mode):
    m = generate(SyntheticParams(shape=(100, 64, 64), n_neurons=12, mode=mode, max_shift=4.0,
                                 nonrigid_amplitude=2.0, seed=8))
    assert 0 < m.movie.min() and m.movie.max() < 65535
    assert m.offset > 5 * m.gain * 0.3  # offset far above read noise: no zeros from clipping


def test_invalid_params_are_refused():
    for bad in (dict(mode="3p"), dict(shape=(10, 8, 8)), dict(fps=0), dict(dtype="int8"),
                dict(max_shift=-1.0), dict(n_neurons=500, shape=(10, 32, 32)), dict(seed=-1)):
        with pytest.raises(ParameterError):
            generate(SyntheticParams(**{**SMALL, **bad}))


def test_save_and_load_round_trip(tmp_path, moving_2p):
    m = generate(SyntheticParams(**SMALL, max_shift=2.0, nonrigid_amplitude=1.0, seed=9))
    tiff, meta, truth = m.save(tmp_path / "raw", "movie1")
    assert (tiff.name, meta.name, truth.name) == ("movie1.tiff", "movie1.json", "movie1_truth.npz")
    np.testing.assert_array_equal(tifffile.imread(tiff), m.movie)
    loaded_meta = load_meta_json(meta)
    assert loaded_meta["source"] == "mesmerize-synthetic" and loaded_meta["fps"] == 10.0
    assert loaded_meta["orig_meta"]["n_neurons"] == 10
    g = load_ground_truth(truth)
    assert g.movie is None and g.params == m.params
    for name in ("footprints", "centers", "calcium", "spikes", "baseline", "shifts", "flow_grid",
                 "background_maps", "background_traces"):
        np.testing.assert_array_equal(getattr(g, name), getattr(m, name))
    np.testing.assert_array_equal(g.flow, m.flow)
    np.testing.assert_array_equal(g.frames(30, 60), m.movie[30:60])  # re-rendered from truth
    assert sorted(p.name for p in (tmp_path / "raw").iterdir()) == [
        "movie1.json", "movie1.tiff", "movie1_truth.npz"]  # no temporary files left


def test_ground_truth_format_version_is_checked(tmp_path, moving_2p):
    path = tmp_path / "t_truth.npz"
    moving_2p.save_ground_truth(path)
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["format_version"] = np.array(99)
    newer = tmp_path / "newer_truth.npz"
    np.savez(newer, **arrays)
    with pytest.raises(FormatVersionError, match="upgrade"):
        load_ground_truth(newer)
    other = tmp_path / "other.npz"
    np.savez(other, a=np.zeros(3))
    with pytest.raises(FormatVersionError):
        load_ground_truth(other)
    assert json.loads(str(arrays["params"]))["max_shift"] == 3.0


@pytest.mark.parametrize("extra", [dict(max_shift=2.0, nonrigid_amplitude=1.0),
                                   dict(mode="1p", dtype="float32", max_shift=1.0)])
def test_streaming_writer_equals_generate(tmp_path, extra):
    params = SyntheticParams(shape=(45, 48, 40), n_neurons=6, seed=10, **extra)
    path = tmp_path / "streamed.tiff"
    streamed = write_synthetic_tiff(path, params, chunk_frames=7)
    assert streamed.movie is None
    in_memory = generate(params, chunk_frames=20)
    on_disk = tifffile.memmap(path)  # contiguous: can be memory-mapped
    assert on_disk.shape == (45, 48, 40) and on_disk.dtype == in_memory.movie.dtype
    np.testing.assert_array_equal(np.asarray(on_disk), in_memory.movie)
    np.testing.assert_array_equal(streamed.calcium, in_memory.calcium)
    assert load_meta_json(tmp_path / "streamed.json")["fps"] == 10.0
    np.testing.assert_array_equal(load_ground_truth(tmp_path / "streamed_truth.npz").centers,
                                  in_memory.centers)
