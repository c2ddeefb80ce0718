"""ViewerUtils: ``vi`` in the Viewer console, the object scripts use to drive a Viewer."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from mesmerize.core.errors import ImageLoadError, ROIError
from mesmerize.core.imaging import image_ops
from mesmerize.core.imaging.imgdata import ImgData
from mesmerize.core.work_env import ViewerWorkEnv

if TYPE_CHECKING:
    from mesmerize.gui.viewer.image_display import ImageDisplay
    from mesmerize.gui.viewer.window import ViewerWindow


class ViewerUtils:
    """Script access to one Viewer window.

    ``viewer``: the image area, whose ``workEnv`` is the ``ViewerWorkEnv`` shown. Image menu
    operations (``crop``, ``resize``, ``change_dtype``) replace ``workEnv.imgdata.seq`` and log
    ``{operation: params}`` to ``workEnv.history_trace``.
    """

    def __init__(self, window: ViewerWindow) -> None:
        self._window = window
        self.viewer: ImageDisplay = window.image_display

    @property
    def work_env(self) -> ViewerWorkEnv:
        """Shortcut for ``viewer.workEnv``."""
        return self.viewer.workEnv

    def update_workEnv(self) -> None:
        """Show ``viewer.workEnv`` in the GUI (image, ROIs, stimulus maps, modules)."""
        self._window.update_workEnv()

    def clear_workEnv(self) -> None:
        """Empty the work environment (frees the movie) and the GUI."""
        self.viewer.workEnv.clear()
        self._window.update_workEnv()

    _clear_workEnv = clear_workEnv

    def get_module(self, name: str, hide: bool = False) -> Any:
        """The API object of module ``name`` (created if needed); shown unless ``hide``."""
        return self._window.get_module(name, hide=hide)

    def get_console(self) -> Any:
        """The window's console widget (created on first use)."""
        return self._window.get_console()

    def show_console(self) -> None:
        """Show the console dock."""
        self._window.show_console()

    def _imgdata(self, action: str) -> ImgData:
        imgdata = self.viewer.workEnv.imgdata
        if imgdata is None:
            raise ImageLoadError(f"cannot {action}: the work environment has no image; load one "
                                 "first (Modules -> Load Images -> Tiff files)")
        return imgdata

    def _require_no_rois(self, action: str) -> None:
        n = len(self.viewer.workEnv.roi_manager.roi_list)
        if n:
            raise ROIError(f"cannot {action}: the work environment has {n} ROIs whose pixel "
                           f"coordinates would no longer match the image; delete them in the ROI "
                           f"Manager first, or {action} before drawing ROIs")

    def _replace_seq(self, operation: str, seq: np.ndarray, params: dict) -> None:
        work_env = self.viewer.workEnv
        work_env.imgdata.seq = seq
        work_env.add_history(operation, params)
        self._window.update_workEnv()

    def crop(self, x0: int, x1: int, y0: int, y1: int) -> None:
        """Keep pixels ``x0 <= x < x1``, ``y0 <= y < y1`` of every frame."""
        action = "crop the image"
        imgdata = self._imgdata(action)
        self._require_no_rois(action)
        seq = image_ops.crop(imgdata.seq, x0, x1, y0, y1)
        self._replace_seq("crop", seq, {"x0": x0, "x1": x1, "y0": y0, "y1": y1})

    def resize(self, new_x: int, new_y: int, interpolation: str = "linear") -> None:
        """Resize every frame to ``(new_x, new_y)`` pixels (see ``image_ops.resize``)."""
        action = "resize the image"
        imgdata = self._imgdata(action)
        self._require_no_rois(action)
        seq = image_ops.resize(imgdata.seq, new_x, new_y, interpolation)
        self._replace_seq("resize", seq, {"new_x": new_x, "new_y": new_y,
                                          "interpolation": interpolation})

    def change_dtype(self, dtype: str, rescale: bool = True) -> None:
        """Convert the movie to ``dtype`` (see ``image_ops.change_dtype``)."""
        imgdata = self._imgdata("change the dtype")
        seq = image_ops.change_dtype(imgdata.seq, dtype, rescale=rescale)
        self._replace_seq("change_dtype", seq, {"dtype": str(np.dtype(dtype)),
                                                "rescale": bool(rescale)})

    def projection(self, kind: str) -> np.ndarray:
        """Mean, max or std projection of the movie, ``(x, y)`` float32."""
        return image_ops.projection(self._imgdata(f"compute a {kind} projection").seq, kind)
