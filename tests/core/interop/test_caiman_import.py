"""CaImAn CNMF results (.hdf5 written by ``cnm.save``) imported as CNMF ROIs.

The fixture writes the layout of CaImAn's ``save_dict_to_hdf5(cnm.__dict__, path)``: one dataset
per attribute, nested groups for ``estimates`` and ``params`` (``CNMFParams`` groups ``data``,
``init``, ``spatial``...), scipy.sparse matrices as a group of their CSC ``data``, ``indptr``,
``indices``, ``shape``, and ``None`` stored as the text ``"NoneType"``. The components come from a
synthetic movie's ground truth.
"""
from __future__ import annotations

from typing import Any

import h5py
import numpy as np
import pytest
import scipy.sparse as sp

from mesmerize.core.errors import ParameterError, ROIError
from mesmerize.core.imaging.imgdata import ImgData
from mesmerize.core.interop.caiman_import import (
    CAIMAN_OPERATION, import_caiman_hdf5, read_caiman_hdf5,
)
from mesmerize.core.work_env import ViewerWorkEnv
from mesmerize.demo.synthetic import SyntheticParams, generate

SHAPE = (80, 40, 56)  # (T, H, W)
N_NEURONS = 6
ACCEPTED = np.array([0, 2, 3, 5])


def _save_value(group: h5py.Group, key: str, value: Any) -> None:
    """One attribute the way CaImAn's recursive HDF5 writer stores it."""
    if value is None:
        group[key] = "NoneType"
    elif isinstance(value, dict):
        sub = group.create_group(key)
        for k, v in value.items():
            _save_value(sub, k, v)
    elif sp.issparse(value):
        csc = value.tocsc()
        for part in ("data", "indptr", "indices"):
            group[f"{key}/{part}"] = getattr(csc, part)
        group[f"{key}/shape"] = csc.shape
    elif isinstance(value, (list, tuple)) and value and all(isinstance(v, str) for v in value):
        group[key] = np.array(value, dtype="S")  # CaImAn stores text lists as bytes
    elif isinstance(value, (list, tuple)):
        group[key] = np.array(value)
    else:
        group[key] = value


def write_caiman_hdf5(path, estimates: dict, dims=SHAPE[1:], fr: float = 20.0) -> None:
    cnm = {
        "dims": dims, "dview": None, "mmap_file": "/data/Yr_d1_40_d2_56_d3_1_order_C_frames_80.mmap",
        "remove_very_bad_comps": False, "skip_refinement": False,
        "estimates": estimates,
        "params": {
            "data": {"fr": fr, "dims": dims, "decay_time": 0.4, "fnames": ["movie.tif"],
                     "dxy": (1.0, 1.0), "var_name_hdf5": "mov"},
            "init": {"K": 10, "gSig": (4, 4), "method_init": "greedy_roi", "nb": 1},
            "patch": {"rf": None, "stride": None},
            "quality": {"min_SNR": 2.5, "rval_thr": 0.8, "use_cnn": False},
        },
    }
    with h5py.File(path, "w") as h5:
        for key, value in cnm.items():
            _save_value(h5, key, value)


@pytest.fixture(scope="module")
def truth():
    return generate(SyntheticParams(shape=SHAPE, n_neurons=N_NEURONS, neuron_radius=4.0,
                                    seed=21, dtype="float32"))


@pytest.fixture(scope="module")
def estimates(truth) -> dict:
    """CaImAn's Estimates attributes for the true components (A in Fortran pixel order)."""
    n_t, height, width = SHAPE
    A = sp.csc_matrix(truth.footprints.transpose(0, 2, 1).reshape(N_NEURONS, -1).T)
    rng = np.random.default_rng(0)
    C = truth.calcium.astype(np.float64)
    b = np.asarray(truth.background_maps).transpose(0, 2, 1).reshape(-1, height * width).T
    f = np.asarray(truth.background_traces)
    return {
        "A": A, "C": C, "S": truth.spikes.astype(np.float64),
        "YrA": rng.normal(0, 0.05, C.shape), "b": b, "f": f,
        "sn": rng.random(height * width), "g": rng.uniform(0.5, 0.9, (N_NEURONS, 2)),
        "bl": np.zeros(N_NEURONS), "c1": np.zeros(N_NEURONS), "neurons_sn": np.ones(N_NEURONS),
        "lam": np.ones(N_NEURONS), "dims": (height, width),
        "idx_components": ACCEPTED, "idx_components_bad": np.setdiff1d(np.arange(N_NEURONS), ACCEPTED),
        "SNR_comp": rng.random(N_NEURONS), "r_values": rng.random(N_NEURONS),
        "cnn_preds": [], "Cn": rng.random((height, width)).astype(np.float32),
        "discarded_components": None, "W": None, "b0": None, "nr": N_NEURONS,
        "center": None, "coordinates": None, "shifts": [],
    }


@pytest.fixture
def caiman_file(tmp_path, estimates):
    path = tmp_path / "cnmf_results.hdf5"
    write_caiman_hdf5(path, estimates)
    return path


def test_read_caiman_hdf5(caiman_file, estimates, truth):
    imported = read_caiman_hdf5(caiman_file)
    data = imported.cnmf_data
    assert data.dims == SHAPE[1:] and data.n_components == N_NEURONS and data.n_frames == SHAPE[0]
    np.testing.assert_array_equal(data.A.toarray(), estimates["A"].toarray())
    for k in range(N_NEURONS):
        np.testing.assert_array_equal(data.footprint(k), truth.footprints[k].T)  # (x, y)
    for name in ("C", "YrA", "S", "b", "f", "sn", "g"):
        np.testing.assert_array_equal(getattr(data, name), estimates[name])
    np.testing.assert_array_equal(data.component_indices(), ACCEPTED)
    assert imported.fps == 20.0
    np.testing.assert_array_equal(imported.mean_image, estimates["Cn"])
    assert imported.source == str(caiman_file)


def test_accepted_components_fallbacks(tmp_path, estimates):
    path = tmp_path / "bad_only.hdf5"
    write_caiman_hdf5(path, {**estimates, "idx_components": None})
    np.testing.assert_array_equal(read_caiman_hdf5(path).cnmf_data.component_indices(), ACCEPTED)
    write_caiman_hdf5(path, {**estimates, "idx_components": None, "idx_components_bad": None})
    np.testing.assert_array_equal(read_caiman_hdf5(path).cnmf_data.component_indices(),
                                  np.arange(N_NEURONS))


def test_cnmfe_results_without_background_and_residuals(tmp_path, estimates):
    path = tmp_path / "cnmfe.hdf5"
    write_caiman_hdf5(path, {**estimates, "b": None, "f": None, "YrA": None, "g": None,
                             "S": None, "sn": None, "Cn": None})
    data = read_caiman_hdf5(path).cnmf_data
    assert data.b.shape == (SHAPE[1] * SHAPE[2], 0) and data.f.shape == (0, SHAPE[0])
    np.testing.assert_array_equal(data.YrA, 0)
    assert data.S is None and data.sn is None and data.g is None


def test_ar_coefficients_in_other_shapes_are_left_out(tmp_path, estimates):
    path = tmp_path / "g.hdf5"
    for g, kept in ((0, False), (np.ones(N_NEURONS), True), (np.ones((3, 2)), False),
                    (np.array([b"x"] * N_NEURONS), False)):
        write_caiman_hdf5(path, {**estimates, "g": g})
        data = read_caiman_hdf5(path).cnmf_data
        assert (data.g is not None) == kept
    assert data.n_components == N_NEURONS


def test_dense_A_and_dims_from_params(tmp_path, estimates):
    path = tmp_path / "dense.hdf5"
    write_caiman_hdf5(path, {**estimates, "A": estimates["A"].toarray(), "dims": None},
                      dims=None)
    with h5py.File(path, "a") as h5:
        del h5["params/data/dims"]
        h5["params/data/dims"] = np.array(SHAPE[1:])
    data = read_caiman_hdf5(path).cnmf_data
    assert data.dims == SHAPE[1:]
    np.testing.assert_array_equal(data.A.toarray(), estimates["A"].toarray())


def test_import_into_work_env(caiman_file, estimates, truth):
    meta = {"source": "test", "fps": 20.0, "date": "20240101_120000"}
    work_env = ViewerWorkEnv(ImgData(np.ascontiguousarray(truth.movie.transpose(2, 1, 0)), meta))
    imported = import_caiman_hdf5(work_env, caiman_file, mode="cnmfe")
    manager = work_env.roi_manager
    assert manager.mode == "cnmfe" and manager.cnmf_data is imported.cnmf_data
    assert [roi.cnmf_idx for roi in manager.roi_list] == ACCEPTED.tolist()
    for roi in manager.roi_list:
        np.testing.assert_array_equal(roi.curve_data[1], estimates["C"][roi.cnmf_idx])
        np.testing.assert_array_equal(roi.residual, estimates["YrA"][roi.cnmf_idx])
        np.testing.assert_array_equal(roi.footprint, truth.footprints[roi.cnmf_idx].T)
    assert work_env.history_trace[-1] == {CAIMAN_OPERATION: {
        "file": str(caiman_file), "mode": "cnmfe", "n_components": N_NEURONS,
        "n_accepted": ACCEPTED.size}}
    with pytest.raises(ParameterError, match="mode"):
        import_caiman_hdf5(work_env, caiman_file, mode="suite2p")
    transposed = ViewerWorkEnv(ImgData(np.zeros((SHAPE[1], SHAPE[2], SHAPE[0]), np.float32), meta))
    with pytest.raises(ROIError, match="open the movie they were extracted from"):
        import_caiman_hdf5(transposed, caiman_file)


def test_files_that_are_not_caiman_results(tmp_path, estimates):
    text = tmp_path / "notes.hdf5"
    text.write_text("hello")
    with pytest.raises(ROIError, match="not an HDF5 file"):
        read_caiman_hdf5(text)
    with pytest.raises(ROIError, match="does not exist"):
        read_caiman_hdf5(tmp_path / "missing.hdf5")
    other = tmp_path / "other.h5"
    with h5py.File(other, "w") as h5:
        h5["mov"] = np.zeros((4, 5, 5))
    with pytest.raises(ROIError, match="not a CaImAn CNMF results file"):
        read_caiman_hdf5(other)
    volumetric = tmp_path / "3d.hdf5"
    write_caiman_hdf5(volumetric, {**estimates, "dims": (10, 10, 5)}, dims=(10, 10, 5))
    with pytest.raises(ROIError, match="3-D"):
        read_caiman_hdf5(volumetric)


def test_damaged_and_inconsistent_files(tmp_path, estimates):
    path = tmp_path / "broken.hdf5"
    write_caiman_hdf5(path, estimates)
    with h5py.File(path, "a") as h5:
        indices = h5["estimates/A/indices"][()]
        del h5["estimates/A/indices"]
        h5["estimates/A/indices"] = indices + SHAPE[1] * SHAPE[2]
    with pytest.raises(ROIError, match="sparse matrix .*A is corrupt"):
        read_caiman_hdf5(path)
    write_caiman_hdf5(path, {**estimates, "C": estimates["C"][:-1]})
    with pytest.raises(ROIError, match="inconsistent.*C has shape"):
        read_caiman_hdf5(path)
    write_caiman_hdf5(path, {**estimates, "A": None})
    with pytest.raises(ROIError, match="empty"):
        read_caiman_hdf5(path)
    write_caiman_hdf5(path, {**estimates, "idx_components": None,
                             "idx_components_bad": np.array([0, 99])})
    with pytest.raises(ROIError, match="idx_components_bad"):
        read_caiman_hdf5(path)
    write_caiman_hdf5(path, estimates, fr=0.0)
    with pytest.raises(ROIError, match="frame rate"):
        read_caiman_hdf5(path)
    write_caiman_hdf5(path, {**estimates, "dims": None}, dims=None)
    with h5py.File(path, "a") as h5:
        del h5["params/data/dims"]
    with pytest.raises(ROIError, match="no dims"):
        read_caiman_hdf5(path)
