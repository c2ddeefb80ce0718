"""ROIList: the list of a sample's ROIs, announcing every change through ``changed``."""
from __future__ import annotations

from typing import Any, Iterable, SupportsIndex

from mesmerize.core.errors import ROIError
from mesmerize.core.events import EventEmitter
from mesmerize.core.roi.roi_types import ROI, validate_tag_columns


def _checked(roi: object) -> ROI:
    if not isinstance(roi, ROI):
        raise ROIError(
            f"an ROIList holds ROIs (PolygonROI, EllipseROI, CNMFROI), got {type(roi).__name__}"
        )
    return roi


class ROIList(list):
    """A ``list`` of ROIs; ``changed`` is emitted (no arguments) after every modification.

    The list knows the project's ROI Type columns and gives them to each ROI it holds, so that
    ``roi.get_all_tags()`` lists every column. ``allowed_type`` (set by the ROI manager to
    ``ManualROI`` or ``CNMFROI``) keeps manual and CNMF(E) ROIs apart.
    """

    def __init__(self, rois: Iterable[ROI] = (), roi_type_columns: Iterable[str] = ()) -> None:
        items = [_checked(r) for r in rois]
        super().__init__(items)
        self.changed = EventEmitter()
        self._roi_type_columns: tuple[str, ...] = ()
        self.roi_type_columns = tuple(roi_type_columns)
        self.allowed_type: type[ROI] = ROI

    @property
    def roi_type_columns(self) -> tuple[str, ...]:
        """The ROI Type columns given to every ROI in the list."""
        return self._roi_type_columns

    @roi_type_columns.setter
    def roi_type_columns(self, columns: Iterable[str]) -> None:
        self._roi_type_columns = validate_tag_columns(columns)
        for roi in self:
            roi.tag_columns = self._roi_type_columns

    def _adopt(self, roi: object) -> ROI:
        roi = _checked(roi)
        if not isinstance(roi, self.allowed_type):
            raise ROIError(
                f"cannot add a {roi.roi_type} here: this list holds {self.allowed_type.__name__}s "
                "only, because manual and CNMF(E) ROIs never mix in one sample. Call the ROI "
                "manager's switch_to_manual() to draw ROIs, or set_cnmf_data() for CNMF(E) ROIs"
            )
        roi.tag_columns = self._roi_type_columns
        return roi

    def append(self, roi: ROI) -> None:
        super().append(self._adopt(roi))
        self.changed.emit()

    def extend(self, rois: Iterable[ROI]) -> None:
        items = [self._adopt(r) for r in rois]
        super().extend(items)
        self.changed.emit()

    def __iadd__(self, rois: Iterable[ROI]) -> ROIList:  # type: ignore[override]
        self.extend(rois)
        return self

    def insert(self, index: SupportsIndex, roi: ROI) -> None:
        super().insert(index, self._adopt(roi))
        self.changed.emit()

    def remove(self, roi: ROI) -> None:
        super().remove(roi)
        self.changed.emit()

    def pop(self, index: SupportsIndex = -1) -> ROI:
        roi = super().pop(index)
        self.changed.emit()
        return roi

    def clear(self) -> None:
        super().clear()
        self.changed.emit()

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            value = [self._adopt(r) for r in value]
        else:
            value = self._adopt(value)
        super().__setitem__(index, value)
        self.changed.emit()

    def __delitem__(self, index: Any) -> None:
        super().__delitem__(index)
        self.changed.emit()

    def sort(self, *args: Any, **kwargs: Any) -> None:
        super().sort(*args, **kwargs)
        self.changed.emit()

    def reverse(self) -> None:
        super().reverse()
        self.changed.emit()

    def __imul__(self, n: SupportsIndex) -> ROIList:
        super().__imul__(n)
        self.changed.emit()
        return self

    def index_of_uuid(self, uuid: str) -> int:
        """Position of the ROI whose ``uuid`` is given; ROIError when absent."""
        for i, roi in enumerate(self):
            if roi.uuid == uuid:
                return i
        raise ROIError(f"no ROI with uuid {uuid!r} in this list")
