"""suite2p plane folders (stat.npy, F.npy, Fneu.npy, spks.npy, iscell.npy, ops.npy) as CNMF ROIs.

The fixture writes a plane folder the way suite2p does (np.save of an object array of per-cell
dicts and of the ops dict) from a synthetic movie: each cell's pixels are where its true
footprint exceeds 5% of its peak, ``lam`` the footprint there, ``F`` the lam-weighted mean of the
movie over those pixels, ``Fneu`` the mean of a ring around the cell, ``spks`` the true spikes.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

from mesmerize.core.errors import ParameterError, ROIError
from mesmerize.core.imaging.imgdata import ImgData
from mesmerize.core.interop.safe_pickle import UnsafePickleError
from mesmerize.core.interop.suite2p_import import (
    SUITE2P_OPERATION, import_suite2p, read_suite2p,
)
from mesmerize.core.project.config import ProjectConfig
from mesmerize.core.project.project import Project
from mesmerize.core.work_env import ViewerWorkEnv
from mesmerize.demo.synthetic import SyntheticParams, generate

SHAPE = (120, 48, 64)  # (T, Ly, Lx)
ISCELL = np.array([1, 1, 0, 1, 1, 0, 1])


class SystemCall:
    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self):
        return os.system, (self.command,)


def _save_objects(path, items) -> None:
    array = np.empty(len(items), dtype=object)
    array[:] = items
    np.save(path, array, allow_pickle=True)


@pytest.fixture(scope="module")
def synthetic():
    return generate(SyntheticParams(shape=SHAPE, n_neurons=len(ISCELL), neuron_radius=4.0,
                                    fps=15.0, seed=11, dtype="float32"))


def write_plane(folder, truth, with_optional: bool = True) -> dict:
    """A suite2p plane folder from ``truth``; returns the arrays written."""
    folder.mkdir(parents=True, exist_ok=True)
    movie = truth.movie.astype(np.float32)
    n_t, height, width = movie.shape
    stat, F, Fneu = [], [], []
    yy, xx = np.mgrid[:height, :width]
    for k, footprint in enumerate(truth.footprints):
        ypix, xpix = np.nonzero(footprint > 0.05 * footprint.max())
        lam = footprint[ypix, xpix].astype(np.float32)
        cy, cx = truth.centers[k]
        ring = (np.hypot(yy - cy, xx - cx) > 7) & (np.hypot(yy - cy, xx - cx) < 12)
        stat.append({"ypix": ypix.astype(np.int32), "xpix": xpix.astype(np.int32), "lam": lam,
                     "med": [int(np.median(ypix)), int(np.median(xpix))], "npix": ypix.size,
                     "radius": np.float64(4.0), "overlap": np.zeros(ypix.size, dtype=bool),
                     "compact": np.float64(1.1), "skew": np.float32(2.0), "footprint": 1.0,
                     "neuropil_mask": np.flatnonzero(ring.ravel()).astype(np.int32)})
        F.append((movie[:, ypix, xpix] * lam).sum(axis=1) / lam.sum())
        Fneu.append(movie[:, ring].mean(axis=1))
    arrays = {"F": np.array(F, dtype=np.float32), "Fneu": np.array(Fneu, dtype=np.float32),
              "spks": truth.spikes.astype(np.float32),
              "iscell": np.column_stack([ISCELL, np.linspace(0.1, 0.9, ISCELL.size)])}
    _save_objects(folder / "stat.npy", stat)
    np.save(folder / "F.npy", arrays["F"])
    if with_optional:
        for name in ("Fneu", "spks", "iscell"):
            np.save(folder / f"{name}.npy", arrays[name])
    ops = {"Ly": height, "Lx": width, "fs": 15.0, "nframes": np.int64(n_t), "tau": 1.0,
           "neucoeff": 0.7, "meanImg": movie.mean(axis=0), "save_path": str(folder),
           "filelist": ["movie.tif"], "yrange": np.array([0, height]), "batch_size": 500}
    np.save(folder / "ops.npy", ops, allow_pickle=True)
    arrays["stat"] = stat
    arrays["meanImg"] = ops["meanImg"]
    return arrays


@pytest.fixture
def plane(tmp_path, synthetic):
    folder = tmp_path / "suite2p" / "plane0"
    return folder, write_plane(folder, synthetic)


def _work_env(truth) -> ViewerWorkEnv:
    meta = {"source": "test", "fps": 15.0, "date": "20240101_120000"}
    return ViewerWorkEnv(ImgData(np.ascontiguousarray(truth.movie.transpose(2, 1, 0)), meta))


def test_read_suite2p_maps_every_array(plane):
    folder, arrays = plane
    imported = read_suite2p(folder)
    data = imported.cnmf_data
    assert data.dims == SHAPE[1:] and data.n_components == ISCELL.size
    assert data.n_frames == SHAPE[0]
    np.testing.assert_array_equal(data.component_indices(), np.flatnonzero(ISCELL))
    for k, cell in enumerate(arrays["stat"]):
        expected = np.zeros(SHAPE[1:], dtype=np.float32)  # (y, x)
        expected[cell["ypix"], cell["xpix"]] = cell["lam"] / cell["lam"].max()
        np.testing.assert_allclose(data.footprint(k), expected.T, rtol=1e-6)  # (x, y)
    np.testing.assert_allclose(data.C, arrays["F"] - np.float32(0.7) * arrays["Fneu"], rtol=1e-6)
    np.testing.assert_array_equal(data.YrA, 0)
    np.testing.assert_array_equal(data.S, arrays["spks"])
    assert data.b.shape == (SHAPE[1] * SHAPE[2], 0)
    assert imported.fps == 15.0
    np.testing.assert_array_equal(imported.mean_image, arrays["meanImg"])
    np.testing.assert_array_equal(imported.extra["F"], arrays["F"])
    np.testing.assert_array_equal(imported.extra["Fneu"], arrays["Fneu"])
    assert imported.settings == {"neuropil_coefficient": 0.7}


def test_footprints_sit_on_the_true_neurons(plane, synthetic):
    folder, _ = plane
    data = read_suite2p(folder).cnmf_data
    for k, (cy, cx) in enumerate(synthetic.centers):
        footprint = data.footprint(k)  # (x, y)
        xs, ys = np.nonzero(footprint)
        weights = footprint[xs, ys]
        assert np.average(xs, weights=weights) == pytest.approx(cx, abs=0.6)
        assert np.average(ys, weights=weights) == pytest.approx(cy, abs=0.6)


def test_neuropil_coefficient(plane):
    folder, arrays = plane
    raw = read_suite2p(folder, neuropil_coefficient=0.0)
    np.testing.assert_array_equal(raw.cnmf_data.C, arrays["F"])
    half = read_suite2p(folder, neuropil_coefficient=0.5)
    np.testing.assert_allclose(half.cnmf_data.C, arrays["F"] - 0.5 * arrays["Fneu"], rtol=1e-6)
    with pytest.raises(ParameterError, match="neuropil_coefficient"):
        read_suite2p(folder, neuropil_coefficient=-1.0)


def test_minimal_folder(tmp_path, synthetic):
    folder = tmp_path / "plane0"
    arrays = write_plane(folder, synthetic, with_optional=False)
    imported = read_suite2p(folder)
    data = imported.cnmf_data
    np.testing.assert_array_equal(data.component_indices(), np.arange(ISCELL.size))
    np.testing.assert_array_equal(data.C, arrays["F"])
    assert data.S is None
    assert imported.settings == {"neuropil_coefficient": 0.0}


def test_import_into_work_env_like_cnmf_output(plane, synthetic):
    folder, arrays = plane
    work_env = _work_env(synthetic)
    imported = import_suite2p(work_env, folder)
    manager = work_env.roi_manager
    assert manager.mode == "cnmf" and manager.cnmf_data is imported.cnmf_data
    accepted = np.flatnonzero(ISCELL)
    assert [roi.cnmf_idx for roi in manager.roi_list] == accepted.tolist()
    for roi, k in zip(manager.roi_list, accepted):
        assert roi.footprint.shape == (SHAPE[2], SHAPE[1])  # (x, y)
        np.testing.assert_allclose(roi.curve_data[1], arrays["F"][k] - np.float32(0.7)
                                   * arrays["Fneu"][k], rtol=1e-6)
        np.testing.assert_array_equal(roi.spikes, arrays["spks"][k])
    manager.show_rejected(True)
    assert [roi.cnmf_idx for roi in manager.rejected_rois] == np.flatnonzero(ISCELL == 0).tolist()
    name, params = next(iter(work_env.history_trace[-1].items()))
    assert name == SUITE2P_OPERATION
    assert params == {"folder": str(folder), "neuropil_coefficient": 0.7, "fs": 15.0,
                      "n_components": ISCELL.size, "n_accepted": int(ISCELL.sum())}
    assert work_env.modified


def test_imported_sample_round_trips_through_a_project(plane, synthetic, tmp_path):
    folder, arrays = plane
    work_env = _work_env(synthetic)
    import_suite2p(work_env, folder)
    project = Project.create(tmp_path / "proj", ProjectConfig(roi_type_columns=["cell_type"]))
    work_env.roi_manager.roi_list[0].set_tag("cell_type", "pyramidal")
    sample_id = project.add_sample(work_env, "m1", "suite2p")
    loaded = project.load_sample(sample_id)
    rois = loaded.roi_manager.roi_list
    assert loaded.roi_manager.mode == "cnmf"
    assert [r.cnmf_idx for r in rois] == np.flatnonzero(ISCELL).tolist()
    assert rois[0].get_tag("cell_type") == "pyramidal"
    np.testing.assert_allclose(rois[1].curve_data[1], arrays["F"][1] - np.float32(0.7)
                               * arrays["Fneu"][1], rtol=1e-6)
    assert loaded.history_trace[-1] == work_env.history_trace[-1]


def test_work_env_must_hold_the_matching_movie(plane, synthetic):
    folder, _ = plane
    with pytest.raises(ParameterError, match="empty"):
        import_suite2p(ViewerWorkEnv(), folder)
    meta = {"source": "test", "fps": 15.0, "date": "20240101_120000"}
    wrong_size = ViewerWorkEnv(ImgData(np.zeros((SHAPE[1], SHAPE[2], SHAPE[0]), np.float32), meta))
    with pytest.raises(ROIError, match="64 x 48"):
        import_suite2p(wrong_size, folder)
    wrong_length = ViewerWorkEnv(ImgData(np.zeros((SHAPE[2], SHAPE[1], 10), np.float32), meta))
    with pytest.raises(ROIError, match="120 frames"):
        import_suite2p(wrong_length, folder)
    assert wrong_length.roi_manager.mode == "manual" and not wrong_length.history_trace


def test_malicious_stat_is_refused_without_running(plane, synthetic):
    folder, arrays = plane
    marker = folder / "pwned"
    _save_objects(folder / "stat.npy", arrays["stat"][:-1] + [SystemCall(f"touch {marker}")])
    work_env = _work_env(synthetic)
    with pytest.raises(UnsafePickleError, match="posix.system|os.system"):
        import_suite2p(work_env, folder)
    assert not marker.exists()
    assert work_env.roi_manager.mode == "manual"


def test_malicious_ops_is_refused(plane):
    folder, _ = plane
    marker = folder / "pwned"
    ops = {"Ly": SHAPE[1], "Lx": SHAPE[2], "fs": 15.0, "evil": SystemCall(f"touch {marker}")}
    np.save(folder / "ops.npy", ops, allow_pickle=True)
    with pytest.raises(UnsafePickleError):
        read_suite2p(folder)
    assert not marker.exists()


def test_bad_folders(plane, tmp_path):
    folder, arrays = plane
    with pytest.raises(ROIError, match="pass one of them, e.g. plane0"):
        read_suite2p(folder.parent)
    with pytest.raises(ROIError, match="no stat.npy"):
        read_suite2p(tmp_path / "nowhere")
    np.save(folder / "Fneu.npy", arrays["Fneu"][:, :-1])
    with pytest.raises(ROIError, match="Fneu.npy has shape"):
        read_suite2p(folder)
    np.save(folder / "Fneu.npy", arrays["Fneu"])
    np.save(folder / "F.npy", arrays["F"][:-1])
    with pytest.raises(ROIError, match="N = 7 cells"):
        read_suite2p(folder)
    np.save(folder / "F.npy", arrays["F"])
    np.save(folder / "iscell.npy", arrays["iscell"][:3])
    with pytest.raises(ROIError, match="iscell.npy"):
        read_suite2p(folder)
    np.save(folder / "iscell.npy", arrays["iscell"])
    bad = [dict(cell) for cell in arrays["stat"]]
    bad[2]["xpix"] = bad[2]["xpix"] + SHAPE[2]
    _save_objects(folder / "stat.npy", bad)
    with pytest.raises(ROIError, match="cell 2 has pixels outside"):
        read_suite2p(folder)
    bad[2] = {"ypix": np.array([1]), "xpix": np.array([1])}
    _save_objects(folder / "stat.npy", bad)
    with pytest.raises(ROIError, match="cell 2 is not a dict with ypix, xpix and lam"):
        read_suite2p(folder)
    _save_objects(folder / "stat.npy", arrays["stat"])
    np.save(folder / "ops.npy", {"Ly": SHAPE[1], "fs": 15.0}, allow_pickle=True)
    with pytest.raises(ROIError, match="Lx must be a positive int"):
        read_suite2p(folder)
    np.save(folder / "ops.npy", {"Ly": SHAPE[1], "Lx": SHAPE[2], "fs": -3.0}, allow_pickle=True)
    with pytest.raises(ROIError, match="fs must be a positive float"):
        read_suite2p(folder)
    (folder / "ops.npy").unlink()
    with pytest.raises(ROIError, match="no ops.npy"):
        read_suite2p(folder)
