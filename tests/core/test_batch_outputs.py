"""mesmerize.core.batch.outputs: CNMF results as CNMFData, item kind checks, seed candidates."""
from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse

from mesmerize.core import ImgData, ViewerWorkEnv
from mesmerize.core.batch import Batch, BatchError
from mesmerize.core.batch.outputs import (
    cnmf_data_from_result, load_cnmf_item_output, seed_candidates,
)
from mesmerize.engines.cnmf import CNMFResult

H, W, T, K = 12, 10, 30, 4


def make_result(rng: np.random.Generator) -> CNMFResult:
    A = scipy.sparse.random(H * W, K, density=0.2, format="csc", random_state=1,
                            dtype=np.float32)
    return CNMFResult(
        A=A, b=rng.random((H * W, 1)), C=rng.random((K, T)), f=rng.random((1, T)),
        YrA=rng.random((K, T)), S=rng.random((K, T)), sn=rng.random(H * W),
        g=rng.random((K, 1)), dims=(H, W), idx_components=np.array([0, 2]),
        idx_components_bad=np.array([1, 3]), SNR_comp=rng.random(K), r_values=rng.random(K))


def test_cnmf_data_keeps_every_array_and_the_accepted_indices():
    result = make_result(np.random.default_rng(0))
    data = cnmf_data_from_result(result)
    assert data.n_components == K and data.n_frames == T
    assert list(data.component_indices()) == [0, 2]
    np.testing.assert_array_equal(scipy.sparse.csc_matrix(data.A).toarray(), result.A.toarray())
    for name in ("b", "C", "f", "YrA", "S", "sn", "g"):
        np.testing.assert_allclose(np.asarray(getattr(data, name)), getattr(result, name),
                                   rtol=1e-6, err_msg=name)
    # CNMFData footprints are (x, y) images, CNMFResult footprint_images (K, y, x)
    np.testing.assert_allclose(data.footprint(2), result.footprint_images()[2].T, rtol=1e-6)


def test_load_refuses_other_kinds_and_unfinished_items(tmp_path):
    batch = Batch.create(tmp_path / "b")
    meta = {"source": "test", "fps": 10.0, "date": "20190425_114405"}
    work_env = ViewerWorkEnv(ImgData(np.ones((16, 16, 5), np.uint16), meta))
    mc = batch.add_item("caiman_motion_correction", "m", {"name_elas": "m"},
                        input_work_env=work_env)
    with pytest.raises(BatchError, match="only cnmf and cnmfe items"):
        load_cnmf_item_output(batch, mc)
    fit = batch.add_item("cnmf", "c", {"k": 2}, input_work_env=work_env)
    with pytest.raises(BatchError, match="pending, not finished"):
        load_cnmf_item_output(batch, fit)


def test_seed_candidates_match_brute_force():
    rng = np.random.default_rng(5)
    corr, pnr = rng.random((9, 7)), rng.random((9, 7)) * 20
    mask = seed_candidates(corr, pnr, 0.6, 8.0)
    expected = np.array([[corr[i, j] >= 0.6 and pnr[i, j] >= 8.0 for j in range(7)]
                         for i in range(9)])
    assert np.array_equal(mask, expected)
    with pytest.raises(BatchError, match="same corr_pnr item"):
        seed_candidates(corr, pnr[:, :3], 0.6, 8.0)
