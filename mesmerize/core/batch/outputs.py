"""The components of a finished CNMF / CNMF-E batch item, ready for the ROI manager (no Qt).

``load_cnmf_item_output(batch, uuid)`` returns the item's ``CNMFData`` (what the ROI manager and
project samples keep), the ROI manager mode (``"cnmf"`` or ``"cnmfe"``) and the output work
environment description (the input's meta data and history trace plus the item's
``{module: params}`` entry). The movie shown with the components is the item's input movie
(see ``mesmerize.gui.batch.item_output.input_work_env``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from mesmerize.core.batch.batch import Batch
from mesmerize.core.batch.errors import BatchError
from mesmerize.core.roi.cnmf_data import CNMFData

CNMF_KINDS = ("cnmf", "cnmfe")
"""Item kinds whose output is a ``CNMFResult``; the kind is also the ROI manager mode."""


def cnmf_data_from_result(result: Any) -> CNMFData:
    """A ``CNMFData`` of a ``CNMFResult``: ``A`` (n_pixels, K) sparse in Fortran pixel order
    over ``dims = (H, W)``, ``b``, ``C``, ``f``, ``YrA``, ``S``, ``sn``, ``g`` and the accepted
    ``idx_components`` (validated by ``CNMFData``)."""
    return CNMFData(A=result.A, b=result.b, C=result.C, f=result.f, YrA=result.YrA,
                    dims=tuple(result.dims), S=result.S, sn=result.sn, g=result.g,
                    idx_components=result.idx_components)


@dataclass
class CNMFItemOutput:
    """What a finished CNMF(E) item gives the Viewer: ``cnmf_data``, the ROI manager ``mode``,
    and the output work environment's ``meta`` and ``history_trace``."""

    cnmf_data: CNMFData
    mode: str
    meta: dict[str, Any] = field(default_factory=dict)
    history_trace: list[dict[str, Any]] = field(default_factory=list)


def load_cnmf_item_output(batch: Batch, uuid: str) -> CNMFItemOutput:
    """The components and history of finished CNMF / CNMF-E item ``uuid`` of ``batch``.

    ``BatchError`` when the item is of another kind or not finished.
    """
    item = batch.get_item(uuid)
    if item.module not in CNMF_KINDS:
        raise BatchError(f"Item {uuid} ({item.name!r}) is a {item.module!r} item; only "
                         f"{' and '.join(CNMF_KINDS)} items have components to load.")
    result = batch.load_item_output(uuid)
    info = batch.output_work_env_info(uuid)
    return CNMFItemOutput(cnmf_data=cnmf_data_from_result(result), mode=item.module,
                          meta=dict(info.get("meta") or {}),
                          history_trace=list(info.get("history_trace") or []))


def seed_candidates(corr: np.ndarray, pnr: np.ndarray, min_corr: float, min_pnr: float
                    ) -> np.ndarray:
    """Boolean ``(H, W)`` mask of the pixels CNMF-E may take as seeds: local correlation
    ``corr >= min_corr`` and peak-to-noise ratio ``pnr >= min_pnr`` (both ``(H, W)`` images of
    a ``CorrPNRResult``)."""
    corr, pnr = np.asarray(corr), np.asarray(pnr)
    if corr.shape != pnr.shape:
        raise BatchError(f"correlation image {corr.shape} and PNR image {pnr.shape} differ in "
                         "shape; they must come from the same corr_pnr item")
    return (corr >= min_corr) & (pnr >= min_pnr)
