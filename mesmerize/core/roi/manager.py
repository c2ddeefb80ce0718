"""ROIManager: a sample's ROIs, in manual mode or CNMF(E) mode (never both).

Manual mode holds polygon and ellipse ROIs drawn by hand or imported from ImageJ; their curves
are the mean of their pixels, computed for all ROIs at once by :meth:`ROIManager.update_curves`.
CNMF(E) mode holds one :class:`CNMFROI` per accepted component of a :class:`CNMFData`; their
curves are the temporal components. Components can be accepted or rejected by hand
(:meth:`ROIManager.accept_component` / :meth:`ROIManager.reject_component`), which updates
``cnmf_data.idx_components``; with :meth:`ROIManager.show_rejected` the rejected components are
listed too (in :attr:`ROIManager.rejected_rois`, never in ``roi_list``, so samples, curves and
analyses only ever see accepted components).
"""
from __future__ import annotations

import os
from typing import Any, Iterable, Iterator, Mapping, Sequence

import numpy as np

from mesmerize.core.errors import FormatVersionError, ROIError
from mesmerize.core.events import EventEmitter
from mesmerize.core.roi.cnmf_data import CNMFData
from mesmerize.core.roi.extraction import extract_curves
from mesmerize.core.roi.imagej import read_imagej_rois
from mesmerize.core.roi.masks import check_frame_shape
from mesmerize.core.roi.roi_list import ROIList
from mesmerize.core.roi.roi_types import (
    CNMFROI,
    EllipseROI,
    ManualROI,
    PolygonROI,
    roi_from_state,
)

MODES = ("manual", "cnmf", "cnmfe")
STATE_FORMAT_VERSION = 1
CURATION_OPERATION = "cnmf_manual_curation"


def record_curation(history_trace: list, record: Mapping[str, Any]) -> None:
    """Add a curation ``record`` (``{CURATION_OPERATION: {"accepted": [...], "rejected":
    [...]}}``, as returned by accept/reject) to a work environment's ``history_trace``.

    Consecutive curations make one entry: when the last entry is already a curation, the record
    is merged into it (a component accepted then rejected by hand ends up only in
    ``"rejected"``); otherwise the record is appended.
    """
    params = record[CURATION_OPERATION]
    last = history_trace[-1] if history_trace else None
    if not (isinstance(last, Mapping) and set(last) == {CURATION_OPERATION}):
        history_trace.append(
            {CURATION_OPERATION: {key: list(params[key]) for key in ("accepted", "rejected")}}
        )
        return
    merged = last[CURATION_OPERATION]
    for key, other in (("accepted", "rejected"), ("rejected", "accepted")):
        for k in params[key]:
            if k in merged[other]:
                merged[other].remove(k)
            if k not in merged[key]:
                merged[key].append(k)
        merged[key].sort()


class ROIManager:
    """The ROIs of one sample; ``changed`` is emitted (no arguments) on any change."""

    def __init__(self, roi_type_columns: Iterable[str] = ()) -> None:
        self.changed = EventEmitter()
        self._mode = "manual"
        self._cnmf_data: CNMFData | None = None
        self._show_rejected = False
        self._rejected: list[CNMFROI] = []
        self.roi_list = ROIList(roi_type_columns=roi_type_columns)
        self.roi_list.allowed_type = ManualROI
        self.roi_list.changed.connect(self.changed.emit)

    @property
    def mode(self) -> str:
        """``"manual"``, ``"cnmf"`` or ``"cnmfe"``."""
        return self._mode

    @property
    def cnmf_data(self) -> CNMFData | None:
        """The full CNMF(E) output in CNMF(E) mode; None in manual mode."""
        return self._cnmf_data

    @property
    def roi_type_columns(self) -> tuple[str, ...]:
        """The project's ROI Type columns, listed by every ROI's ``get_all_tags()``."""
        return self.roi_list.roi_type_columns

    def set_roi_type_columns(self, columns: Iterable[str]) -> None:
        """Set the ROI Type columns (tags set in other columns are kept)."""
        self.roi_list.roi_type_columns = tuple(columns)
        self.changed.emit()

    def _require_manual(self, action: str) -> None:
        if self._mode != "manual":
            raise ROIError(
                f"cannot {action}: the ROI manager is in {self._mode!r} mode and manual and "
                "CNMF(E) ROIs never mix in one sample; call switch_to_manual() first (it removes "
                "the CNMF(E) ROIs)"
            )

    def add_polygon_roi(self, vertices: object) -> PolygonROI:
        """Add a polygon ROI, ``vertices`` ``(n, 2)`` ``(x, y)`` pixels (manual mode only)."""
        self._require_manual("add a polygon ROI")
        roi = PolygonROI(vertices)
        self.roi_list.append(roi)
        return roi

    def add_ellipse_roi(
        self, center: object, radii: object, angle_deg: float = 0.0
    ) -> EllipseROI:
        """Add an ellipse ROI (centre ``(x, y)``, radii ``(rx, ry)`` px, angle in degrees)."""
        self._require_manual("add an ellipse ROI")
        roi = EllipseROI(center, radii, angle_deg)
        self.roi_list.append(roi)
        return roi

    def import_imagej(
        self, path: str | os.PathLike, frame_shape: Sequence[int]
    ) -> list[PolygonROI | EllipseROI]:
        """Add the ROIs of an ImageJ ``.roi``/``.zip`` file; all or nothing.

        ``frame_shape``: ``(x, y)`` of the sample's frames; every ROI must cover a pixel of it.
        """
        self._require_manual("import ImageJ ROIs")
        shape = check_frame_shape(frame_shape)
        rois = read_imagej_rois(path)
        problems = []
        for i, roi in enumerate(rois):
            try:
                roi.mask(shape)
            except ROIError as exc:
                problems.append(f"ROI #{i + 1}: {exc}")
        if problems:
            raise ROIError(f"{path}: nothing was imported; {'; '.join(problems)}")
        self.roi_list.extend(rois)
        return rois

    def set_cnmf_data(self, cnmf_data: CNMFData, mode: str = "cnmf") -> None:
        """Replace all ROIs by one CNMFROI per accepted component of ``cnmf_data``.

        Switches to ``mode`` (``"cnmf"`` or ``"cnmfe"``); manual ROIs present are removed. The
        full data (rejected components too) is kept in :attr:`cnmf_data`.
        """
        if mode not in ("cnmf", "cnmfe"):
            raise ROIError(f"set_cnmf_data: mode must be 'cnmf' or 'cnmfe', got {mode!r}")
        if not isinstance(cnmf_data, CNMFData):
            raise ROIError(
                f"set_cnmf_data needs a CNMFData, got {type(cnmf_data).__name__}; build one with "
                "CNMFData(A, b, C, f, YrA, dims, ...) or CNMFData.from_npz(path)"
            )
        rois = [CNMFROI.from_cnmf_data(cnmf_data, k) for k in cnmf_data.component_indices()]
        self._install(mode, cnmf_data, rois)

    def _install(self, mode: str, cnmf_data: CNMFData | None, rois: list) -> None:
        self._mode = mode
        self._cnmf_data = cnmf_data
        self._rejected = self._build_rejected() if self._show_rejected else []
        self.roi_list.allowed_type = ManualROI if mode == "manual" else CNMFROI
        list.clear(self.roi_list)
        self.roi_list.extend(rois)

    # ---- manual curation of CNMF(E) components ---------------------------------------------
    @property
    def showing_rejected(self) -> bool:
        """True when the rejected CNMF(E) components are listed in :attr:`rejected_rois`."""
        return self._show_rejected

    @property
    def rejected_rois(self) -> list[CNMFROI]:
        """The rejected components (not in ``idx_components``) as CNMFROIs, by ``cnmf_idx``;
        empty unless :meth:`show_rejected` is on. They are never part of ``roi_list``."""
        return list(self._rejected)

    def is_rejected(self, roi: object) -> bool:
        """True for an ROI of :attr:`rejected_rois`."""
        return any(roi is r for r in self._rejected)

    def _rejected_indices(self) -> np.ndarray:
        if self._cnmf_data is None:
            return np.empty(0, dtype=np.int64)
        all_idx = np.arange(self._cnmf_data.n_components)
        return np.setdiff1d(all_idx, self._cnmf_data.component_indices())

    def _build_rejected(self) -> list[CNMFROI]:
        return [CNMFROI.from_cnmf_data(self._cnmf_data, k) for k in self._rejected_indices()]

    def show_rejected(self, show: bool) -> None:
        """List (``True``) or hide (``False``) the rejected components in :attr:`rejected_rois`.

        Allowed in any mode; in manual mode there is nothing to list.
        """
        self._show_rejected = bool(show)
        self._rejected = self._build_rejected() if self._show_rejected else []
        self.changed.emit()

    def _check_component(self, cnmf_idx: object, action: str) -> int:
        if self._mode == "manual" or self._cnmf_data is None:
            raise ROIError(
                f"cannot {action} a component: the ROI manager is in manual mode; import CNMF(E) "
                "output first"
            )
        try:
            k = int(cnmf_idx)  # type: ignore[call-overload]
        except (TypeError, ValueError):
            raise ROIError(f"{action}: cnmf_idx must be a component index, got {cnmf_idx!r}") \
                from None
        n = self._cnmf_data.n_components
        if not 0 <= k < n:
            raise ROIError(f"{action}: component {k} does not exist (K = {n} components)")
        return k

    def accept_component(self, cnmf_idx: int) -> dict[str, dict[str, list[int]]]:
        """Accept component ``cnmf_idx`` by hand: it joins ``cnmf_data.idx_components`` and the
        ROI list (in ``cnmf_idx`` order; a listed rejected ROI keeps its UUID and tags).

        Returns the history record ``{"cnmf_manual_curation": {"accepted": [k], "rejected":
        []}}`` (see :func:`record_curation`). ROIError when not in CNMF(E) mode, when the
        component does not exist or is already accepted.
        """
        k = self._check_component(cnmf_idx, "accept")
        data = self._cnmf_data
        accepted = data.component_indices()
        if k in accepted:
            raise ROIError(f"accept: component {k} is already accepted")
        data.idx_components = np.sort(np.append(accepted, k)).astype(np.int64)
        roi = next((r for r in self._rejected if r.cnmf_idx == k), None)
        if roi is None:
            roi = CNMFROI.from_cnmf_data(data, k)
        else:
            self._rejected.remove(roi)
        position = sum(1 for r in self.roi_list if r.cnmf_idx < k)
        # insert() emits changed through the ROI list
        self.roi_list.insert(position, roi)
        return {CURATION_OPERATION: {"accepted": [k], "rejected": []}}

    def reject_component(self, cnmf_idx: int) -> dict[str, dict[str, list[int]]]:
        """Reject component ``cnmf_idx`` by hand: it leaves ``cnmf_data.idx_components`` and the
        ROI list (listed in :attr:`rejected_rois` while :meth:`show_rejected` is on).

        Returns ``{"cnmf_manual_curation": {"accepted": [], "rejected": [k]}}``. ROIError when
        not in CNMF(E) mode, when the component does not exist or is already rejected.
        """
        k = self._check_component(cnmf_idx, "reject")
        data = self._cnmf_data
        accepted = data.component_indices()
        if k not in accepted:
            raise ROIError(f"reject: component {k} is already rejected")
        data.idx_components = accepted[accepted != k].astype(np.int64)
        roi = next((r for r in self.roi_list if r.cnmf_idx == k), None)
        if self._show_rejected:
            rejected = roi if roi is not None else CNMFROI.from_cnmf_data(data, k)
            self._rejected.append(rejected)
            self._rejected.sort(key=lambda r: r.cnmf_idx)
        if roi is not None:
            # remove() emits changed through the ROI list
            self.roi_list.remove(roi)
        else:
            self.changed.emit()
        return {CURATION_OPERATION: {"accepted": [], "rejected": [k]}}

    def update_curves(self, seq_xyt: np.ndarray) -> None:
        """Compute the mean-intensity curve of every manual ROI from ``seq_xyt`` ``[x, y, t]``.

        One vectorised pass over the movie (memmaps are read in chunks). ROIError naming the ROI
        when one lies outside the frame. In CNMF(E) mode there is nothing to compute: the curves
        are the temporal components.
        """
        if self._mode != "manual" or len(self.roi_list) == 0:
            return
        if getattr(seq_xyt, "ndim", 0) != 3:
            raise ROIError(
                f"update_curves needs the [x, y, t] image sequence, got shape "
                f"{getattr(seq_xyt, 'shape', None)}"
            )
        frame_shape = seq_xyt.shape[:2]

        def masks() -> Iterator[np.ndarray]:
            # one full-frame mask alive at a time: 500 masks of 512 x 512 would hold 130 MB
            for i, roi in enumerate(self.roi_list):
                try:
                    yield roi.mask(frame_shape)
                except ROIError as exc:
                    raise ROIError(f"ROI {i} of the ROI list: {exc}") from None

        curves = extract_curves(seq_xyt, masks())
        for roi, curve in zip(self.roi_list, curves):
            roi.set_curve(curve)
        self.changed.emit()

    def switch_to_manual(self) -> None:
        """Go to manual mode; removes the CNMF(E) ROIs and data."""
        self.clear()

    def clear(self) -> None:
        """Remove every ROI and any CNMF(E) data; back to manual mode."""
        self._install("manual", None, [])

    def to_state(self) -> dict[str, Any]:
        """JSON-safe state: mode, ROI Type columns and each ROI's state (not the curves)."""
        return {
            "format_version": STATE_FORMAT_VERSION,
            "mode": self._mode,
            "roi_type_columns": list(self.roi_type_columns),
            "rois": [roi.to_state() for roi in self.roi_list],
        }

    @classmethod
    def from_state(
        cls,
        state: Mapping[str, Any],
        cnmf_data: CNMFData | None = None,
        seq: np.ndarray | None = None,
    ) -> ROIManager:
        """Rebuild a manager from :meth:`to_state` output.

        CNMF(E) mode needs the sample's ``cnmf_data``. In manual mode, ``seq`` (``[x, y, t]``)
        recomputes the curves; without it manual curves stay None.
        """
        if not isinstance(state, Mapping):
            raise ROIError(f"an ROI manager state must be a dict, got {type(state).__name__}")
        version = state.get("format_version")
        if not isinstance(version, int):
            raise FormatVersionError("ROI manager state has no integer format_version")
        if version > STATE_FORMAT_VERSION:
            raise FormatVersionError(
                f"ROI manager state has format_version {version}, newer than this Mesmerize "
                f"reads ({STATE_FORMAT_VERSION}); upgrade Mesmerize to open it"
            )
        mode = state.get("mode")
        if mode not in MODES:
            raise ROIError(f"ROI manager state: mode must be one of {MODES}, got {mode!r}")
        manager = cls(roi_type_columns=state.get("roi_type_columns", ()))
        if mode != "manual" and cnmf_data is None:
            raise ROIError(
                f"ROI manager state is in {mode!r} mode; pass the sample's CNMFData as cnmf_data"
            )
        rois = [roi_from_state(s, cnmf_data) for s in state.get("rois", [])]
        manager._install(mode, cnmf_data if mode != "manual" else None, rois)
        if seq is not None:
            manager.update_curves(seq)
        return manager
