"""ROIManager: manual vs CNMF(E) modes, curve updates, and state round trips."""
import json

import numpy as np
import pytest
import scipy.sparse as sp

from mesmerize.core.errors import FormatVersionError, ROIError
from mesmerize.core.roi import extraction
from mesmerize.core.roi.cnmf_data import CNMFData
from mesmerize.core.roi.manager import ROIManager
from mesmerize.core.roi.roi_types import CNMFROI, EllipseROI, PolygonROI

COLUMNS = ["anatomical_location", "cell_name", "morphology"]
DIMS = (20, 30)  # (H, W); frames (x, y) = (30, 20)
T = 40


def cnmf_data(idx_components=None):
    yy, xx = np.mgrid[: DIMS[0], : DIMS[1]]
    centres = [(5, 6), (12, 20), (15, 8), (4, 25)]
    A = np.column_stack(
        [np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / 8.0).ravel(order="F") for cy, cx in centres]
    )
    A[A < 0.05] = 0
    rng = np.random.default_rng(0)
    K = len(centres)
    return CNMFData(
        A=sp.csc_matrix(A), b=rng.random((A.shape[0], 1)), C=rng.random((K, T)),
        f=rng.random((1, T)), YrA=rng.random((K, T)), dims=DIMS, S=rng.random((K, T)),
        idx_components=idx_components,
    )


def movie_xyt(seed=0):
    rng = np.random.default_rng(seed)
    return rng.poisson(300, size=(T, DIMS[0], DIMS[1])).astype(np.uint16).T


def test_manual_rois_and_curves_in_one_extraction_call(monkeypatch):
    manager = ROIManager(COLUMNS)
    events = []
    manager.changed.connect(lambda: events.append(manager.mode))
    poly = manager.add_polygon_roi([(2, 2), (10, 2), (10, 8), (2, 8)])
    ell = manager.add_ellipse_roi((20, 12), (4, 3), 15.0)
    assert list(manager.roi_list) == [poly, ell] and len(events) == 2
    assert poly.get_all_tags() == dict.fromkeys(COLUMNS, "untagged")

    calls = []
    real = extraction.extract_curves

    def counting(seq, masks, *args, **kwargs):
        masks = list(masks)
        calls.append(len(masks))
        return real(seq, masks, *args, **kwargs)

    monkeypatch.setattr("mesmerize.core.roi.manager.extract_curves", counting)
    seq = movie_xyt()
    manager.update_curves(seq)
    assert calls == [2]
    idx, values = poly.curve_data
    np.testing.assert_array_equal(idx, np.arange(T))
    np.testing.assert_allclose(values, seq[2:10, 2:8].mean(axis=(0, 1)), rtol=1e-5)
    np.testing.assert_allclose(
        ell.curve_data[1], seq[ell.mask(seq.shape[:2])].mean(axis=0), rtol=1e-5
    )


def test_update_curves_names_the_roi_outside_the_frame():
    manager = ROIManager()
    manager.add_polygon_roi([(2, 2), (10, 2), (10, 8)])
    manager.add_polygon_roi([(200, 200), (210, 200), (210, 208)])
    with pytest.raises(ROIError, match=r"ROI 1 of the ROI list.*outside.*\(30, 20\)"):
        manager.update_curves(movie_xyt())
    with pytest.raises(ROIError, match=r"\[x, y, t\]"):
        manager.update_curves(np.zeros((4, 4)))


def test_cnmf_mode_builds_accepted_components_and_keeps_full_data():
    manager = ROIManager(COLUMNS)
    manager.add_polygon_roi([(2, 2), (10, 2), (10, 8)])
    data = cnmf_data(idx_components=[0, 2, 3])
    manager.set_cnmf_data(data, mode="cnmfe")
    assert manager.mode == "cnmfe" and manager.cnmf_data is data
    assert [r.cnmf_idx for r in manager.roi_list] == [0, 2, 3]
    assert all(isinstance(r, CNMFROI) for r in manager.roi_list)
    np.testing.assert_array_equal(manager.roi_list[1].curve_data[1], data.C[2])
    assert manager.roi_list[1].get_all_tags() == dict.fromkeys(COLUMNS, "untagged")
    manager.update_curves(movie_xyt())  # nothing to compute in CNMF mode
    np.testing.assert_array_equal(manager.roi_list[1].curve_data[1], data.C[2])


def test_manual_and_cnmf_never_mix(tmp_path):
    manager = ROIManager()
    manager.set_cnmf_data(cnmf_data())
    for action in (
        lambda: manager.add_polygon_roi([(2, 2), (10, 2), (10, 8)]),
        lambda: manager.add_ellipse_roi((5, 5), (2, 2)),
        lambda: manager.import_imagej(tmp_path / "x.zip", (30, 20)),
        lambda: manager.roi_list.append(PolygonROI([(2, 2), (10, 2), (10, 8)])),
    ):
        with pytest.raises(ROIError, match=r"switch_to_manual\(\)"):
            action()
    assert len(manager.roi_list) == 4
    manager.switch_to_manual()
    assert manager.mode == "manual" and manager.cnmf_data is None and len(manager.roi_list) == 0
    manager.add_ellipse_roi((5, 5), (2, 2))
    with pytest.raises(ROIError, match="set_cnmf_data"):
        manager.roi_list.append(CNMFROI.from_cnmf_data(cnmf_data(), 0))


def test_set_cnmf_data_validates_arguments():
    manager = ROIManager()
    with pytest.raises(ROIError, match="mode must be"):
        manager.set_cnmf_data(cnmf_data(), mode="manual")
    with pytest.raises(ROIError, match="needs a CNMFData"):
        manager.set_cnmf_data({"A": 1})
    assert manager.mode == "manual"


def test_roi_type_columns_follow_the_configuration():
    manager = ROIManager(["a"])
    roi = manager.add_polygon_roi([(2, 2), (10, 2), (10, 8)])
    roi.set_tag("a", "x")
    manager.set_roi_type_columns(["a", "b"])
    assert manager.roi_type_columns == ("a", "b")
    assert roi.get_all_tags() == {"a": "x", "b": "untagged"}
    with pytest.raises(ROIError, match="unique"):
        manager.set_roi_type_columns(["a", "a"])


def test_manual_state_round_trip_with_and_without_seq():
    manager = ROIManager(COLUMNS)
    poly = manager.add_polygon_roi([(2.5, 2), (10, 2), (10, 8.5)])
    poly.set_tag("cell_name", "dcen")
    manager.add_ellipse_roi((20, 12), (4, 3), 15.0)
    seq = movie_xyt()
    manager.update_curves(seq)
    state = json.loads(json.dumps(manager.to_state()))

    plain = ROIManager.from_state(state)
    assert plain.mode == "manual" and plain.roi_type_columns == tuple(COLUMNS)
    assert [r.uuid for r in plain.roi_list] == [r.uuid for r in manager.roi_list]
    assert plain.roi_list[0].get_tag("cell_name") == "dcen"
    assert plain.roi_list[0].curve_data is None
    assert isinstance(plain.roi_list[1], EllipseROI)

    with_seq = ROIManager.from_state(state, seq=seq)
    for a, b in zip(with_seq.roi_list, manager.roi_list):
        np.testing.assert_array_equal(a.curve_data[1], b.curve_data[1])


def test_cnmf_state_round_trip_keeps_deletions_and_tags():
    data = cnmf_data()
    manager = ROIManager(COLUMNS)
    manager.set_cnmf_data(data)
    manager.roi_list[2].set_tag("cell_name", "dcen")
    del manager.roi_list[0]
    state = json.loads(json.dumps(manager.to_state()))
    with pytest.raises(ROIError, match="pass the sample's CNMFData"):
        ROIManager.from_state(state)
    back = ROIManager.from_state(state, cnmf_data=data)
    assert back.mode == "cnmf" and back.cnmf_data is data
    assert [r.cnmf_idx for r in back.roi_list] == [1, 2, 3]
    assert back.roi_list[1].get_all_tags()["cell_name"] == "dcen"
    assert [r.uuid for r in back.roi_list] == [r.uuid for r in manager.roi_list]


def test_state_errors():
    state = ROIManager().to_state()
    with pytest.raises(FormatVersionError, match="upgrade Mesmerize"):
        ROIManager.from_state({**state, "format_version": 99})
    with pytest.raises(FormatVersionError):
        ROIManager.from_state({k: v for k, v in state.items() if k != "format_version"})
    with pytest.raises(ROIError, match="mode must be one of"):
        ROIManager.from_state({**state, "mode": "other"})
    polygon_state = PolygonROI([(1, 1), (5, 1), (5, 4)]).to_state()
    cnmf_state = {**state, "mode": "cnmf", "rois": [polygon_state]}
    with pytest.raises(ROIError, match="never mix"):
        ROIManager.from_state(cnmf_state, cnmf_data=cnmf_data())


def test_clear_emits_and_empties():
    manager = ROIManager()
    manager.add_polygon_roi([(2, 2), (10, 2), (10, 8)])
    events = []
    manager.roi_list.changed.connect(lambda: events.append(len(manager.roi_list)))
    manager.clear()
    assert events == [0] and manager.mode == "manual"
