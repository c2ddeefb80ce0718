"""ROI types: tags, curves, masks, CNMF contours, state round trips, and the ROIList."""
import json

import numpy as np
import pytest
import scipy.sparse as sp

from mesmerize.core.errors import ROIError
from mesmerize.core.roi.cnmf_data import CNMFData
from mesmerize.core.roi.masks import ellipse_mask, polygon_mask
from mesmerize.core.roi.roi_list import ROIList
from mesmerize.core.roi.roi_types import (
    CNMFROI,
    EllipseROI,
    ManualROI,
    PolygonROI,
    roi_from_state,
)

COLUMNS = ("anatomical_location", "cell_name", "morphology")


def blob_yx(dims, centre_yx, sigma):
    yy, xx = np.mgrid[: dims[0], : dims[1]]
    img = np.exp(-((yy - centre_yx[0]) ** 2 + (xx - centre_yx[1]) ** 2) / (2 * sigma**2))
    img[img < 0.05] = 0
    return img


def small_cnmf_data(dims=(20, 30), n_frames=40):
    centres = [(5, 6), (12, 20), (15, 8)]
    A = np.column_stack([blob_yx(dims, c, 2.0).ravel(order="F") for c in centres])
    rng = np.random.default_rng(3)
    K = len(centres)
    return CNMFData(
        A=sp.csc_matrix(A),
        b=rng.random((dims[0] * dims[1], 1)),
        C=rng.random((K, n_frames)),
        f=rng.random((1, n_frames)),
        YrA=rng.standard_normal((K, n_frames)),
        dims=dims,
        S=rng.random((K, n_frames)),
    )


def test_tags_follow_the_guide_example():
    roi = PolygonROI([(1, 1), (6, 1), (6, 5)])
    roi.tag_columns = COLUMNS
    assert roi.get_tag("cell_name") == "untagged"
    roi.set_tag("anatomical_location", "tail")
    roi.set_tag("cell_name", "dcen")
    assert roi.get_tag("cell_name") == "dcen"
    assert roi.get_all_tags() == {
        "anatomical_location": "tail",
        "cell_name": "dcen",
        "morphology": "untagged",
    }
    roi.set_tag("extra", 3)  # numbers become text; extra tags are listed after the columns
    assert list(roi.get_all_tags().items())[-1] == ("extra", "3")


@pytest.mark.parametrize(("column", "value"), [("", "x"), (None, "x"), ("c", None), ("c", [1])])
def test_bad_tags_raise(column, value):
    roi = EllipseROI((5, 5), (2, 2))
    with pytest.raises(ROIError):
        roi.set_tag(column, value)


def test_manual_curve_data():
    roi = PolygonROI([(1, 1), (6, 1), (6, 5)])
    assert roi.curve_data is None
    roi.set_curve(np.arange(5, dtype=np.float64) * 2)
    idx, values = roi.curve_data
    np.testing.assert_array_equal(idx, np.arange(5))
    assert values.dtype == np.float32 and values[4] == 8.0
    with pytest.raises(ROIError, match="1-D"):
        roi.set_curve(np.zeros((2, 3)))
    roi.set_curve(None)
    assert roi.curve_data is None
    roi.set_curve(np.ones(3))
    roi.set_vertices([(1, 1), (7, 1), (7, 5)])  # new geometry: the old curve is stale
    assert roi.curve_data is None
    ell = EllipseROI((5, 5), (2, 2))
    ell.set_curve(np.ones(3))
    ell.set_geometry((6, 5), (2, 3), 10.0)
    assert ell.curve_data is None and ell.radii == (2.0, 3.0)


def test_manual_masks_use_the_mask_functions():
    poly = PolygonROI([(1.5, 2), (9, 3), (4, 8.5)])
    np.testing.assert_array_equal(poly.mask((12, 10)), polygon_mask(poly.vertices, (12, 10)))
    ell = EllipseROI((5, 6), (3, 2), 20)
    np.testing.assert_array_equal(ell.mask((12, 10)), ellipse_mask((5, 6), (3, 2), 20, (12, 10)))
    far = PolygonROI([(10, 10), (20, 10), (20, 20)])
    with pytest.raises(ROIError, match=rf"PolygonROI {far.uuid}.*outside.*\(3, 3\)"):
        far.mask((3, 3))


def test_invalid_geometry_raises_and_keeps_old_geometry():
    with pytest.raises(ROIError, match="at least 3"):
        PolygonROI([(1, 1), (2, 2)])
    with pytest.raises(ROIError, match="radii"):
        EllipseROI((1, 1), (0, 2))
    poly = PolygonROI([(1, 1), (6, 1), (6, 5)])
    with pytest.raises(ROIError, match="NaN"):
        poly.set_vertices([(1, 1), (np.nan, 1), (6, 5)])
    np.testing.assert_array_equal(poly.vertices, [(1, 1), (6, 1), (6, 5)])


def test_manual_state_round_trip_is_json_safe():
    poly = PolygonROI([(1.25, 1), (6, 1), (6, 5.5)])
    poly.set_tag("cell_name", "dcen")
    ell = EllipseROI((5.5, 6), (3, 2.25), 33.0)
    for roi in (poly, ell):
        state = json.loads(json.dumps(roi.to_state()))
        back = roi_from_state(state)
        assert type(back) is type(roi)
        assert back.uuid == roi.uuid
        assert back.get_all_tags() == roi.get_all_tags()
        np.testing.assert_array_equal(back.mask((12, 10)), roi.mask((12, 10)))


def test_cnmf_roi_from_data_and_state():
    data = small_cnmf_data()
    roi = CNMFROI.from_cnmf_data(data, 1)
    assert roi.footprint.shape == (30, 20) and roi.footprint.dtype == np.float32
    # footprint is (x, y): the blob centred at (y=12, x=20) peaks at footprint[20, 12]
    assert np.unravel_index(roi.footprint.argmax(), roi.footprint.shape) == (20, 12)
    idx, values = roi.curve_data
    np.testing.assert_array_equal(values, data.C[1])
    np.testing.assert_array_equal(idx, np.arange(40))
    np.testing.assert_array_equal(roi.residual, data.YrA[1])
    np.testing.assert_array_equal(roi.spikes, data.S[1])
    np.testing.assert_array_equal(roi.mask((30, 20)), roi.footprint > 0)
    with pytest.raises(ROIError, match="does not match"):
        roi.mask((20, 30))

    roi.set_tag("cell_name", "dcen")
    state = json.loads(json.dumps(roi.to_state()))
    assert set(state) == {"roi_type", "uuid", "tags", "cnmf_idx"}
    back = roi_from_state(state, data)
    assert back.uuid == roi.uuid and back.cnmf_idx == 1 and back.get_tag("cell_name") == "dcen"
    np.testing.assert_array_equal(back.footprint, roi.footprint)
    with pytest.raises(ROIError, match="needs the sample's CNMFData"):
        roi_from_state(state)
    with pytest.raises(ROIError, match="outside the CNMF data"):
        roi_from_state({**state, "cnmf_idx": 7}, data)


def test_cnmf_roi_trace_length_mismatch_raises():
    with pytest.raises(ROIError, match="residual has 3 frames"):
        CNMFROI(np.ones((4, 4)), np.zeros(5), 0, residual=np.zeros(3))


def test_cnmf_contour_surrounds_the_thresholded_footprint():
    fp = np.zeros((30, 20), np.float32)
    fp[5:12, 8:15] = 1.0  # x 5..11, y 8..14
    fp[20, 3] = 0.5  # a smaller separate piece is ignored
    roi = CNMFROI(fp, np.zeros(3), 0)
    contour = roi.contour(threshold=0.6)
    assert contour.shape[1] == 2
    np.testing.assert_allclose(contour.min(axis=0), (5.5, 8.5))
    np.testing.assert_allclose(contour.max(axis=0), (11.5, 14.5))
    assert CNMFROI(np.zeros((4, 4)), np.zeros(3), 0).contour().shape == (0, 2)
    with pytest.raises(ROIError, match="threshold"):
        roi.contour(threshold=1.5)


def test_unknown_or_incomplete_state_raises():
    with pytest.raises(ROIError, match="unknown ROI type"):
        roi_from_state({"roi_type": "LineROI"})
    with pytest.raises(ROIError, match="vertices"):
        roi_from_state({"roi_type": "PolygonROI", "uuid": "u", "tags": {}})


def test_roi_list_emits_changed_and_passes_columns():
    events = []
    rois = ROIList(roi_type_columns=COLUMNS)
    rois.changed.connect(lambda: events.append(len(rois)))
    a = PolygonROI([(1, 1), (6, 1), (6, 5)])
    b = EllipseROI((5, 5), (2, 2))
    rois.append(a)
    rois.extend([b])
    assert b.get_all_tags() == dict.fromkeys(COLUMNS, "untagged")
    rois[1] = EllipseROI((6, 6), (2, 2))
    rois.insert(0, b)
    rois.remove(b)
    del rois[0]
    rois += [a]
    rois.pop()
    rois.clear()
    assert events == [1, 2, 2, 3, 2, 1, 2, 1, 0]
    rois.roi_type_columns = ("x",)
    rois.append(a)
    assert a.get_all_tags() == {"x": "untagged"}
    with pytest.raises(ROIError, match="holds ROIs"):
        rois.append("not an roi")


def test_roi_list_allowed_type_keeps_manual_and_cnmf_apart():
    rois = ROIList()
    rois.allowed_type = ManualROI
    with pytest.raises(ROIError, match="switch_to_manual"):
        rois.append(CNMFROI(np.ones((4, 4)), np.zeros(3), 0))
    assert len(rois) == 0
