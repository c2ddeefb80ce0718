"""ImageJ .roi/.zip import: supported area ROIs convert exactly, anything else refuses it all."""
import numpy as np
import pytest
import roifile
from roifile import ROI_OPTIONS, ROI_SUBTYPE, ROI_TYPE, ImagejRoi

from mesmerize.core.errors import ROIError
from mesmerize.core.roi.imagej import read_imagej_rois
from mesmerize.core.roi.manager import ROIManager
from mesmerize.core.roi.roi_types import EllipseROI, PolygonROI

POLY = [[1.0, 2.0], [10.0, 2.0], [10.0, 8.5], [3.0, 9.0]]


def supported_rois():
    poly = ImagejRoi.frompoints(POLY, name="cell poly")
    traced = ImagejRoi.frompoints(np.array([[12, 1], [16, 1], [16, 5], [12, 5]]), name="traced")
    traced.roitype = ROI_TYPE.TRACED
    rect = ImagejRoi(roitype=ROI_TYPE.RECT, left=3, top=4, right=9, bottom=7, name="rect")
    oval = ImagejRoi(roitype=ROI_TYPE.OVAL, left=10, top=4, right=20, bottom=10, name="oval")
    ellipse = ImagejRoi.frompoints([[2, 12], [6, 10], [10, 12], [6, 14]], name="ij ellipse")
    ellipse.subtype = ROI_SUBTYPE.ELLIPSE
    return [poly, traced, rect, oval, ellipse]


def write_zip(path, rois):
    roifile.roiwrite(path, rois)
    return path


def test_supported_types_convert(tmp_path):
    rois = read_imagej_rois(write_zip(tmp_path / "set.zip", supported_rois()))
    assert [type(r) for r in rois] == [PolygonROI, PolygonROI, PolygonROI, EllipseROI, PolygonROI]
    np.testing.assert_array_equal(rois[0].vertices, POLY)
    np.testing.assert_array_equal(rois[1].vertices, [[12, 1], [16, 1], [16, 5], [12, 5]])
    # ImageJ's rectangle (left=3, top=4, right=9, bottom=7) covers x 3..8, y 4..6
    expected = np.zeros((24, 16), bool)
    expected[3:9, 4:7] = True
    np.testing.assert_array_equal(rois[2].mask((24, 16)), expected)
    assert rois[3].center == (15.0, 7.0) and rois[3].radii == (5.0, 3.0)
    assert rois[3].angle_deg == 0.0


def test_single_roi_file(tmp_path):
    path = tmp_path / "one.roi"
    ImagejRoi.frompoints(POLY, name="one").tofile(path)
    (roi,) = read_imagej_rois(path)
    np.testing.assert_array_equal(roi.vertices, POLY)


def test_subpixel_oval_uses_the_float_box(tmp_path):
    path = tmp_path / "sub.roi"
    ImagejRoi(
        roitype=ROI_TYPE.OVAL, left=10, top=4, right=21, bottom=10, name="sub",
        options=ROI_OPTIONS.SUB_PIXEL_RESOLUTION, xd=10.25, yd=4.5, widthd=10.5, heightd=5.25,
        version=228,
    ).tofile(path)
    (roi,) = read_imagej_rois(path)
    assert roi.center == (15.5, 7.125) and roi.radii == (5.25, 2.625)


def test_unsupported_types_refuse_the_whole_import(tmp_path):
    line = ImagejRoi(roitype=ROI_TYPE.LINE, x1=1, y1=1, x2=5, y2=5, name="my line")
    point = ImagejRoi.frompoints([[3, 3]], name="a point")
    point.roitype = ROI_TYPE.POINT
    text = ImagejRoi(roitype=ROI_TYPE.RECT, left=1, top=1, right=5, bottom=4, name="label")
    text.subtype = ROI_SUBTYPE.TEXT
    angle = ImagejRoi.frompoints([[1, 1], [5, 5], [9, 1]], name="bend")
    angle.roitype = ROI_TYPE.ANGLE
    path = write_zip(tmp_path / "mixed.zip", supported_rois() + [line, point, text, angle])
    with pytest.raises(ROIError) as info:
        read_imagej_rois(path)
    message = str(info.value)
    for fragment in ("'my line' (line)", "'a point' (point)", "'label' (text)", "'bend' (angle)",
                     "polygon, freehand, traced, rectangle, oval", "nothing was imported"):
        assert fragment in message
    assert "cell poly" not in message

    manager = ROIManager()
    with pytest.raises(ROIError, match="unsupported type"):
        manager.import_imagej(path, (24, 16))
    assert len(manager.roi_list) == 0


def test_manager_import_checks_the_frame_and_is_all_or_nothing(tmp_path):
    far = ImagejRoi.frompoints([[100, 100], [110, 100], [110, 110]], name="far away")
    path = write_zip(tmp_path / "far.zip", supported_rois() + [far])
    manager = ROIManager()
    with pytest.raises(ROIError, match=r"ROI #6.*outside the frame.*\(24, 16\)"):
        manager.import_imagej(path, (24, 16))
    assert len(manager.roi_list) == 0

    ok = write_zip(tmp_path / "ok.zip", supported_rois())
    added = manager.import_imagej(ok, (24, 16))
    assert list(manager.roi_list) == added and len(added) == 5


def test_bad_files(tmp_path):
    with pytest.raises(ROIError, match=r"\.roi or \.zip"):
        read_imagej_rois(tmp_path / "rois.txt")
    with pytest.raises(ROIError, match="cannot read ImageJ ROIs"):
        read_imagej_rois(tmp_path / "missing.zip")
    bad = tmp_path / "bad.roi"
    bad.write_bytes(b"garbage bytes")
    with pytest.raises(ROIError, match="cannot read ImageJ ROIs"):
        read_imagej_rois(bad)
