"""The Batch Manager's script API (what ``get_batch_manager()`` returns in a Viewer console).

Names follow the user guide: ``bm.df``, ``bm.process_batch(start_ix, clear_viewers=True)``,
``bm.load_item_output(module=..., viewers=viewer, UUID=...)``; plus ``get_batch()``.
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import pandas as pd

from mesmerize.core.batch import Batch, BatchRunner
from mesmerize.core.errors import ParameterError
from mesmerize.gui.batch.item_output import motion_corrected_work_env
from mesmerize.gui.viewer.image_display import ImageDisplay
from mesmerize.gui.viewer.viewer_utils import ViewerUtils
from mesmerize.gui.viewer.window import ViewerWindow

if TYPE_CHECKING:
    from mesmerize.gui.batch.window import BatchManagerWindow


def viewer_utils_of(viewers: Any) -> list[ViewerUtils]:
    """The ``ViewerUtils`` of each Viewer in ``viewers``: a ViewerWindow, its ``vi``, its image
    area (``vi.viewer``), or a list of those."""
    if isinstance(viewers, (list, tuple)):
        return [vi for viewer in viewers for vi in viewer_utils_of(viewer)]
    if isinstance(viewers, ViewerUtils):
        return [viewers]
    if isinstance(viewers, ViewerWindow):
        return [viewers.vi]
    if isinstance(viewers, ImageDisplay) and isinstance(viewers.window(), ViewerWindow):
        return [viewers.window().vi]
    raise ParameterError(
        f"viewers must be a Viewer window, its 'vi', its image area (vi.viewer) or a list of "
        f"those, got {type(viewers).__name__}."
    )


class BatchManagerAPI:
    """Script access to a Batch Manager window and its open batch."""

    def __init__(self, window: BatchManagerWindow) -> None:
        self._window = window

    def get_batch(self) -> Batch:
        """The open ``Batch`` (core object); ``BatchError`` when none is open."""
        return self._window.get_batch()

    @property
    def df(self) -> pd.DataFrame:
        """The batch items, one row per item in queue order (columns uuid, module, name,
        status, input_item, params, ...)."""
        return self.get_batch().df

    def process_batch(self, start_ix: int | str = 0, clear_viewers: bool = False) -> BatchRunner:
        """Process the batch from queue position ``start_ix`` (or the item with that UUID);
        ``clear_viewers`` clears the work environments of the attached Viewers first."""
        return self._window.start_processing(start_ix, clear_viewers=clear_viewers)

    def abort(self) -> None:
        """Abort the item being processed."""
        self._window.abort()

    def open_batch(self, path: str | os.PathLike) -> Batch:
        """Open the batch in ``path``."""
        return self._window.open_batch(path)

    def new_batch(self, path: str | os.PathLike) -> Batch:
        """Create an empty batch in ``path`` and open it."""
        return self._window.new_batch(path)

    def load_item_output(self, module: str | None = None, viewers: Any = None,
                         UUID: Any = None) -> Any:  # noqa: N803 (the guide's keyword)
        """The result of the finished item ``UUID`` (e.g. ``MotionCorrectionResult``).

        ``module``, when given, must be the item's module. With ``viewers`` (a Viewer window,
        ``vi``, ``vi.viewer`` or a list of them), a motion-correction result's corrected movie
        replaces each Viewer's work environment, with the input's meta data and the history
        trace including this item's parameters. Other results are only returned.
        """
        if UUID is None:
            raise ParameterError("load_item_output needs UUID=<the item's uuid>, e.g. "
                                 "bm.df['uuid'][0].")
        uuid = str(UUID)
        batch = self.get_batch()
        item = batch.get_item(uuid)
        if module is not None and module != item.module:
            raise ParameterError(f"Item {uuid} ({item.name!r}) is a {item.module!r} item, not "
                                 f"{module!r}; pass module={item.module!r} or leave it out.")
        targets = [] if viewers is None else viewer_utils_of(viewers)
        result = batch.load_item_output(uuid)
        from mesmerize.engines.motion_correction import MotionCorrectionResult

        if isinstance(result, MotionCorrectionResult):
            for vi in targets:
                vi.viewer.workEnv = motion_corrected_work_env(batch, uuid, result)
                vi.update_workEnv()
        return result

    def __repr__(self) -> str:
        batch = self._window.batch
        return f"BatchManager({'no batch' if batch is None else batch.path})"

