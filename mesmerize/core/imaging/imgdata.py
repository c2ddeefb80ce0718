"""ImgData: an image sequence shaped ``[x, y, t]`` with its imaging meta data."""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from mesmerize.core.errors import ImageShapeError, MetaDataError
from mesmerize.core.events import EventEmitter
from mesmerize.core.meta import validate_meta


def check_seq_xyt(seq: object, name: str = "seq") -> np.ndarray:
    """Return ``seq`` as an ndarray shaped ``[x, y, t]``; raise ``ImageShapeError`` otherwise.

    ndarrays (memory maps included) are returned as they are, other array-likes are converted.
    """
    arr = seq if isinstance(seq, np.ndarray) else np.asarray(seq)
    if arr.ndim != 3:
        hint = (
            " It is a single image, not a movie." if arr.ndim == 2
            else " Squeeze singleton axes or split channels / z-planes first." if arr.ndim > 3
            else ""
        )
        raise ImageShapeError(
            f"{name} must be a 3-D array shaped [x, y, t], got {arr.ndim}-D shape {arr.shape}."
            f"{hint} A tifffile array [t, y, x] becomes [x, y, t] with .T"
        )
    if 0 in arr.shape:
        raise ImageShapeError(
            f"{name} has an empty axis, shape [x, y, t] = {arr.shape}: it needs at least one "
            "pixel in x and y and one frame"
        )
    if arr.dtype.kind not in "iuf":
        raise ImageShapeError(
            f"{name} must hold real numbers (integer or float), got dtype {arr.dtype}"
        )
    return arr


class ImgData:
    """An image sequence and its meta data.

    ``seq``: ndarray ``[x, y, t]`` (a memory map is fine); ``seq[:, :, i]`` is frame ``i`` shaped
    ``(x, y)``. ``meta``: validated meta data dict (``{}`` when the movie has none). Assigning
    either attribute validates the new value and emits ``changed``.
    """

    def __init__(self, seq: np.ndarray, meta: Mapping | None = None) -> None:
        self.changed = EventEmitter()
        self._seq = check_seq_xyt(seq)
        self._meta = {} if meta is None else validate_meta(meta)

    @property
    def seq(self) -> np.ndarray:
        """The image sequence ``[x, y, t]``."""
        return self._seq

    @seq.setter
    def seq(self, value: np.ndarray) -> None:
        self._seq = check_seq_xyt(value)
        self.changed.emit()

    @property
    def meta(self) -> dict:
        """Validated meta data (``source``, ``fps``, ``date``, optional ``orig_meta``...)."""
        return self._meta

    @meta.setter
    def meta(self, value: Mapping | None) -> None:
        self._meta = {} if value is None else validate_meta(value)
        self.changed.emit()

    @property
    def has_meta(self) -> bool:
        """True when meta data were given."""
        return bool(self._meta)

    @property
    def fps(self) -> float:
        """Frame rate in frames per second; ``MetaDataError`` when the movie has no meta data."""
        if not self._meta:
            raise MetaDataError(
                "this movie has no meta data, so its frame rate (fps) is unknown: provide a .json "
                "meta data file beside the TIFF (xyz.json for xyz.tiff) or choose it with "
                "meta_path, "
                'e.g. {"source": "our_recording_program", "fps": 20.0, "date": "20190425_114405"}'
            )
        return self._meta["fps"]

    @property
    def n_frames(self) -> int:
        """Number of frames ``t``."""
        return int(self._seq.shape[2])

    @property
    def frame_shape(self) -> tuple[int, int]:
        """Frame size ``(x, y)`` in pixels."""
        return int(self._seq.shape[0]), int(self._seq.shape[1])

    @property
    def dtype(self) -> np.dtype:
        """dtype of the image sequence."""
        return self._seq.dtype

    def __repr__(self) -> str:
        source = self._meta.get("source", "no meta data")
        return f"ImgData(seq [x, y, t] = {self._seq.shape} {self._seq.dtype}, source={source!r})"
