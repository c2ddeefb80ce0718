"""ROIs: manual and CNMF ROI types, the ROI list, masks, curve extraction, ImageJ import.

``ROIManager`` (manager.py) is the entry point: ``roi_manager.roi_list[i].curve_data``,
``.get_all_tags()``, ``.get_tag(column)`` as in the user guide.
"""
from mesmerize.core.roi.cnmf_data import CNMFData
from mesmerize.core.roi.extraction import extract_curves
from mesmerize.core.roi.imagej import read_imagej_rois
from mesmerize.core.roi.manager import ROIManager
from mesmerize.core.roi.masks import ellipse_mask, polygon_mask
from mesmerize.core.roi.roi_list import ROIList
from mesmerize.core.roi.roi_types import CNMFROI, ROI, EllipseROI, PolygonROI, roi_from_state

__all__ = [
    "CNMFData",
    "CNMFROI",
    "ROI",
    "EllipseROI",
    "PolygonROI",
    "ROIList",
    "ROIManager",
    "ellipse_mask",
    "extract_curves",
    "polygon_mask",
    "read_imagej_rois",
    "roi_from_state",
]
