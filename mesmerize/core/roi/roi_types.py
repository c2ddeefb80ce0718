"""ROI types: manual polygon and ellipse ROIs, and CNMF(E) component ROIs.

All coordinates are ``(x, y)`` pixels of the ``[x, y]`` frame (docs/conventions.md). Every ROI has
a ``uuid`` (kept across save/load), text tags keyed by ROI Type column (``"untagged"`` when
unset), ``curve_data -> (frame_indices, values)`` and a JSON-safe ``to_state()``.
"""
from __future__ import annotations

import uuid as uuid_module
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Sequence

import cv2
import numpy as np

from mesmerize.core.errors import ROIError
from mesmerize.core.roi.masks import (
    check_frame_shape,
    ellipse_mask,
    polygon_mask,
    validate_ellipse,
    validate_vertices,
)

if TYPE_CHECKING:
    from mesmerize.core.roi.cnmf_data import CNMFData

UNTAGGED = "untagged"


def _tag_text(column: object, value: object) -> tuple[str, str]:
    if not isinstance(column, str) or not column:
        raise ROIError(f"an ROI tag column must be a non-empty str, got {column!r}")
    if isinstance(value, str):
        return column, value
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        return column, str(value)
    raise ROIError(
        f"tag {column!r}: tags are text, got {type(value).__name__} {value!r}; pass a str"
    )


class ROI:
    """Common behaviour of all ROIs: uuid, tags, curve and state."""

    roi_type = "ROI"

    def __init__(self, tags: Mapping[str, str] | None = None, uuid: str | None = None) -> None:
        self.uuid: str = str(uuid) if uuid is not None else str(uuid_module.uuid4())
        self._tags: dict[str, str] = {}
        self.tag_columns: tuple[str, ...] = ()
        for column, value in (tags or {}).items():
            self.set_tag(column, value)
        self._curve: np.ndarray | None = None

    def get_tag(self, column: str) -> str:
        """The tag of this ROI in ROI Type ``column``; ``"untagged"`` when unset."""
        return self._tags.get(column, UNTAGGED)

    def set_tag(self, column: str, value: str) -> None:
        """Set the tag in ROI Type ``column`` (numbers are converted to str)."""
        column, text = _tag_text(column, value)
        self._tags[column] = text

    def get_all_tags(self) -> dict[str, str]:
        """Tags of every configured ROI Type column (``"untagged"`` when unset), then any others."""
        tags = {column: self.get_tag(column) for column in self.tag_columns}
        for column, value in self._tags.items():
            tags.setdefault(column, value)
        return tags

    @property
    def curve_data(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(np.arange(T), values)`` of this ROI's curve, or None before it is computed."""
        if self._curve is None:
            return None
        return np.arange(self._curve.shape[0]), self._curve

    def _base_state(self) -> dict[str, Any]:
        return {"roi_type": self.roi_type, "uuid": self.uuid, "tags": dict(self._tags)}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.uuid}>"


class ManualROI(ROI):
    """An ROI drawn by hand; its curve is the mean of its pixels, set by the ROI manager."""

    def set_curve(self, values: np.ndarray | None) -> None:
        """Store the ROI's mean-intensity curve ``(T,)`` (float32), or None to forget it."""
        if values is None:
            self._curve = None
            return
        curve = np.asarray(values, dtype=np.float32)
        if curve.ndim != 1:
            raise ROIError(f"{self.label}: a curve must be 1-D (T,), got shape {curve.shape}")
        self._curve = curve

    @property
    def label(self) -> str:
        """Name used in error messages: type and uuid."""
        return f"{self.roi_type} {self.uuid}"


class PolygonROI(ManualROI):
    """Polygon ROI; ``vertices`` ``(n, 2)`` float ``(x, y)`` pixels, n >= 3."""

    roi_type = "PolygonROI"

    def __init__(
        self,
        vertices: object,
        tags: Mapping[str, str] | None = None,
        uuid: str | None = None,
    ) -> None:
        super().__init__(tags=tags, uuid=uuid)
        self._vertices = validate_vertices(vertices, self.label)

    @property
    def vertices(self) -> np.ndarray:
        """A copy of the ``(n, 2)`` ``(x, y)`` vertices."""
        return self._vertices.copy()

    def set_vertices(self, vertices: object) -> None:
        """Replace the vertices and forget the curve (ROIError when invalid; nothing changes)."""
        self._vertices = validate_vertices(vertices, self.label)
        self._curve = None

    def mask(self, frame_shape: Sequence[int]) -> np.ndarray:
        """Boolean ``(x, y)`` mask of the pixels whose centres are inside the polygon."""
        return polygon_mask(self._vertices, frame_shape, name=self.label)

    def to_state(self) -> dict[str, Any]:
        state = self._base_state()
        state["vertices"] = self._vertices.tolist()
        return state


class EllipseROI(ManualROI):
    """Ellipse ROI: ``center`` ``(x, y)``, ``radii`` ``(rx, ry)`` in pixels, ``angle_deg``
    rotation of the ``rx`` axis from +x towards +y."""

    roi_type = "EllipseROI"

    def __init__(
        self,
        center: object,
        radii: object,
        angle_deg: float = 0.0,
        tags: Mapping[str, str] | None = None,
        uuid: str | None = None,
    ) -> None:
        super().__init__(tags=tags, uuid=uuid)
        self.set_geometry(center, radii, angle_deg)

    def set_geometry(self, center: object, radii: object, angle_deg: float = 0.0) -> None:
        """Replace centre, radii and angle and forget the curve (ROIError when invalid)."""
        self.center, self.radii, self.angle_deg = validate_ellipse(
            center, radii, angle_deg, self.label
        )
        self._curve = None

    def mask(self, frame_shape: Sequence[int]) -> np.ndarray:
        """Boolean ``(x, y)`` mask of the pixels whose centres are inside the ellipse."""
        return ellipse_mask(self.center, self.radii, self.angle_deg, frame_shape, self.label)

    def to_state(self) -> dict[str, Any]:
        state = self._base_state()
        state.update(center=list(self.center), radii=list(self.radii), angle_deg=self.angle_deg)
        return state


class CNMFROI(ROI):
    """A CNMF(E) component: spatial ``footprint`` ``(x, y)`` float32 and its temporal trace.

    ``curve``: the denoised temporal component ``C[k]`` ``(T,)``; ``residual``: ``YrA[k]``;
    ``spikes``: ``S[k]`` (deconvolved activity). ``cnmf_idx`` is ``k``, the component's index in
    the full CNMF output.
    """

    roi_type = "CNMFROI"

    def __init__(
        self,
        footprint: np.ndarray,
        curve: np.ndarray,
        cnmf_idx: int,
        residual: np.ndarray | None = None,
        spikes: np.ndarray | None = None,
        tags: Mapping[str, str] | None = None,
        uuid: str | None = None,
    ) -> None:
        super().__init__(tags=tags, uuid=uuid)
        self.cnmf_idx = int(cnmf_idx)
        name = f"CNMFROI {self.cnmf_idx}"
        footprint = np.asarray(footprint, dtype=np.float32)
        if footprint.ndim != 2:
            raise ROIError(f"{name}: footprint must be a 2-D (x, y) image, got {footprint.shape}")
        if not np.isfinite(footprint).all():
            raise ROIError(f"{name}: footprint contains NaN or infinite values")
        self.footprint = footprint
        self._curve = self._trace(curve, "curve", name)
        self.residual = None if residual is None else self._trace(residual, "residual", name)
        self.spikes = None if spikes is None else self._trace(spikes, "spikes", name)
        n_t = self._curve.shape[0]
        for label, trace in (("residual", self.residual), ("spikes", self.spikes)):
            if trace is not None and trace.shape[0] != n_t:
                raise ROIError(
                    f"{name}: {label} has {trace.shape[0]} frames but the curve has {n_t}"
                )

    @staticmethod
    def _trace(values: np.ndarray, label: str, name: str) -> np.ndarray:
        trace = np.asarray(values)
        if trace.ndim != 1 or not np.issubdtype(trace.dtype, np.number):
            raise ROIError(f"{name}: {label} must be a 1-D numeric array (T,), got {trace.shape}")
        return trace

    def mask(self, frame_shape: Sequence[int]) -> np.ndarray:
        """Boolean ``(x, y)`` mask of the footprint's non-zero pixels."""
        shape = check_frame_shape(frame_shape)
        if self.footprint.shape != shape:
            raise ROIError(
                f"CNMFROI {self.cnmf_idx}: footprint shape {self.footprint.shape} does not match "
                f"the frame shape (x, y) = {shape}"
            )
        return self.footprint > 0

    def contour(self, threshold: float = 0.2) -> np.ndarray:
        """Outline ``(n, 2)`` float ``(x, y)`` of the footprint above ``threshold`` * its max.

        Points are pixel centres (``index + 0.5``) on the largest outer contour; ``(0, 2)`` for an
        all-zero footprint.
        """
        if not 0.0 < threshold < 1.0:
            raise ROIError(f"contour threshold must be within (0, 1), got {threshold}")
        peak = float(self.footprint.max(initial=0.0))
        if peak <= 0.0:
            return np.empty((0, 2), dtype=np.float64)
        binary = np.ascontiguousarray((self.footprint.T >= threshold * peak).astype(np.uint8))
        contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_NONE)
        largest = max(contours, key=lambda c: (cv2.contourArea(c), len(c)))
        return largest.reshape(-1, 2).astype(np.float64) + 0.5

    def to_state(self) -> dict[str, Any]:
        """JSON-safe state; the footprint and traces come back from the CNMFData on load."""
        state = self._base_state()
        state["cnmf_idx"] = self.cnmf_idx
        return state

    @classmethod
    def from_cnmf_data(
        cls,
        cnmf_data: CNMFData,
        cnmf_idx: int,
        tags: Mapping[str, str] | None = None,
        uuid: str | None = None,
    ) -> CNMFROI:
        """Build the ROI of component ``cnmf_idx`` of ``cnmf_data``."""
        k = int(cnmf_idx)
        return cls(
            footprint=cnmf_data.footprint(k),
            curve=cnmf_data.C[k],
            cnmf_idx=k,
            residual=cnmf_data.YrA[k],
            spikes=None if cnmf_data.S is None else cnmf_data.S[k],
            tags=tags,
            uuid=uuid,
        )


ROI_CLASSES: dict[str, type[ROI]] = {c.roi_type: c for c in (PolygonROI, EllipseROI, CNMFROI)}


def _state_field(state: Mapping[str, Any], key: str) -> Any:
    try:
        return state[key]
    except KeyError:
        raise ROIError(
            f"ROI state of type {state.get('roi_type')!r} lacks the field {key!r}"
        ) from None


def roi_from_state(state: Mapping[str, Any], cnmf_data: CNMFData | None = None) -> ROI:
    """Rebuild an ROI from ``to_state()`` output; CNMF ROIs need the sample's ``cnmf_data``."""
    if not isinstance(state, Mapping):
        raise ROIError(f"an ROI state must be a dict, got {type(state).__name__}")
    roi_type = state.get("roi_type")
    if roi_type not in ROI_CLASSES:
        raise ROIError(f"unknown ROI type {roi_type!r}; known types: {sorted(ROI_CLASSES)}")
    tags = _state_field(state, "tags")
    uuid = _state_field(state, "uuid")
    if not isinstance(tags, Mapping):
        raise ROIError(f"ROI {uuid}: 'tags' must be a dict of str, got {type(tags).__name__}")
    if roi_type == "PolygonROI":
        return PolygonROI(_state_field(state, "vertices"), tags=tags, uuid=uuid)
    if roi_type == "EllipseROI":
        return EllipseROI(
            _state_field(state, "center"),
            _state_field(state, "radii"),
            _state_field(state, "angle_deg"),
            tags=tags,
            uuid=uuid,
        )
    cnmf_idx = int(_state_field(state, "cnmf_idx"))
    if cnmf_data is None:
        raise ROIError(
            f"CNMFROI {cnmf_idx} ({uuid}) needs the sample's CNMFData to rebuild its footprint "
            "and curve; pass cnmf_data="
        )
    if not 0 <= cnmf_idx < cnmf_data.n_components:
        raise ROIError(
            f"CNMFROI {uuid}: cnmf_idx {cnmf_idx} is outside the CNMF data's "
            f"{cnmf_data.n_components} components; this CNMFData belongs to another sample"
        )
    return CNMFROI.from_cnmf_data(cnmf_data, cnmf_idx, tags=tags, uuid=uuid)


def validate_tag_columns(columns: Iterable[str]) -> tuple[str, ...]:
    """Validate ROI Type column names: non-empty, unique strings."""
    cols = tuple(columns)
    for column in cols:
        if not isinstance(column, str) or not column:
            raise ROIError(f"ROI Type columns must be non-empty str, got {column!r}")
    if len(set(cols)) != len(cols):
        raise ROIError(f"ROI Type columns must be unique, got {list(cols)}")
    return cols
