"""Operations on image sequences shaped ``[x, y, t]`` (the Viewer's Image menu).

Functions that go over every frame work in chunks of frames, so a memory-mapped movie is never
loaded whole. Functions returning a sequence return a new array and leave the input untouched.
"""
from __future__ import annotations

import numbers

import cv2
import numpy as np
import numpy.typing as npt

from mesmerize.core.errors import ParameterError
from mesmerize.core.imaging.imgdata import check_seq_xyt

PROJECTIONS = ("mean", "max", "std")
INTERPOLATIONS = {
    "linear": cv2.INTER_LINEAR,
    "nearest": cv2.INTER_NEAREST,
    "cubic": cv2.INTER_CUBIC,
    "area": cv2.INTER_AREA,
}
# dtypes cv2.resize handles natively; others are resized as float64 and cast back.
_CV2_RESIZE_DTYPES = {np.dtype(t) for t in (np.uint8, np.uint16, np.int16, np.float32, np.float64)}
_CHUNK_BYTES = 64 * 2**20


def _chunk_frames(seq: np.ndarray, chunk_frames: int | None) -> int:
    if chunk_frames is not None:
        return _positive_int("chunk_frames", chunk_frames)
    frame_bytes = seq.shape[0] * seq.shape[1] * 8
    return max(1, _CHUNK_BYTES // frame_bytes)


def _int_param(name: str, value: object) -> int:
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise ParameterError(f"{name} must be an integer, got {type(value).__name__} {value!r}")
    return int(value)


def _positive_int(name: str, value: object) -> int:
    out = _int_param(name, value)
    if out < 1:
        raise ParameterError(f"{name} must be at least 1, got {out}")
    return out


def _check_range(
    lo_name: str, lo: object, hi_name: str, hi: object, size: int, axis: str
) -> tuple[int, int]:
    lo_i, hi_i = _int_param(lo_name, lo), _int_param(hi_name, hi)
    if not 0 <= lo_i < hi_i <= size:
        raise ParameterError(
            f"{lo_name}={lo_i}, {hi_name}={hi_i} is not a valid range of {axis} (size {size}): "
            f"need 0 <= {lo_name} < {hi_name} <= {size}"
        )
    return lo_i, hi_i


def projection(seq: np.ndarray, kind: str, chunk_frames: int | None = None) -> np.ndarray:
    """Mean, max or standard deviation (ddof 0) over t of ``seq`` ``[x, y, t]``.

    Returns ``(x, y)`` float32. Accumulates in float64, ``chunk_frames`` frames at a time (default:
    about 64 MB of float64 per chunk); the std merges chunks with Chan et al.'s pairwise update.
    """
    seq = check_seq_xyt(seq)
    kind_l = kind.lower() if isinstance(kind, str) else kind
    if kind_l not in PROJECTIONS:
        raise ParameterError(
            f"unknown projection kind {kind!r}: choose one of {', '.join(map(repr, PROJECTIONS))}"
        )
    step = _chunk_frames(seq, chunk_frames)
    n_total = seq.shape[2]
    if kind_l == "max":
        result = np.max(seq[:, :, :step], axis=2)
        for t0 in range(step, n_total, step):
            result = np.maximum(result, np.max(seq[:, :, t0:t0 + step], axis=2))
        return result.astype(np.float32)
    n = 0
    mean = np.zeros(seq.shape[:2], dtype=np.float64)
    m2 = np.zeros_like(mean)
    for t0 in range(0, n_total, step):
        block = seq[:, :, t0:t0 + step]
        n_b = block.shape[2]
        mean_b = block.mean(axis=2, dtype=np.float64)
        if kind_l == "std":
            deviation = np.subtract(block, mean_b[:, :, None], dtype=np.float64)
            m2_b = np.square(deviation, out=deviation).sum(axis=2)
            delta = mean_b - mean
            m2 += m2_b + np.square(delta) * (n * n_b / (n + n_b))
        mean += (mean_b - mean) * (n_b / (n + n_b))
        n += n_b
    if kind_l == "mean":
        return mean.astype(np.float32)
    return np.sqrt(m2 / n).astype(np.float32)


def crop(seq: np.ndarray, x0: int, x1: int, y0: int, y1: int) -> np.ndarray:
    """``seq[x0:x1, y0:y1, :]`` as a new array; bounds in pixels, ``0 <= x0 < x1 <= x``."""
    seq = check_seq_xyt(seq)
    x0, x1 = _check_range("x0", x0, "x1", x1, seq.shape[0], "x")
    y0, y1 = _check_range("y0", y0, "y1", y1, seq.shape[1], "y")
    return seq[x0:x1, y0:y1, :].copy(order="K")


def splice(seq: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Frames ``start`` (inclusive) to ``stop`` (exclusive), ``seq[:, :, start:stop]``, as a new
    array; ``0 <= start < stop <= t``."""
    seq = check_seq_xyt(seq)
    start, stop = _check_range("start", start, "stop", stop, seq.shape[2], "t (frames)")
    return seq[:, :, start:stop].copy(order="K")


def resize(seq: np.ndarray, new_x: int, new_y: int, interpolation: str = "linear") -> np.ndarray:
    """Resize every frame to ``(new_x, new_y)`` pixels with ``cv2.resize``.

    ``interpolation``: linear, nearest, cubic or area (area is best for shrinking). Returns
    ``[new_x, new_y, t]`` of the input dtype; for integer dtypes cv2 cannot resize, frames are
    interpolated in float64, rounded and kept within the dtype's range.
    """
    seq = check_seq_xyt(seq)
    new_x = _positive_int("new_x", new_x)
    new_y = _positive_int("new_y", new_y)
    if interpolation not in INTERPOLATIONS:
        raise ParameterError(
            f"unknown interpolation {interpolation!r}: choose one of "
            f"{', '.join(map(repr, INTERPOLATIONS))}"
        )
    flag = INTERPOLATIONS[interpolation]
    dtype = seq.dtype
    native = dtype.newbyteorder("=") in _CV2_RESIZE_DTYPES
    work_dtype = dtype.newbyteorder("=") if native else np.dtype(np.float64)
    out = np.empty((seq.shape[2], new_y, new_x), dtype=dtype)
    for t in range(seq.shape[2]):
        frame_yx = np.ascontiguousarray(seq[:, :, t].T, dtype=work_dtype)
        resized = cv2.resize(frame_yx, (new_x, new_y), interpolation=flag)
        if not native:
            info = np.iinfo(dtype)
            resized = np.clip(np.rint(resized), info.min, info.max)
        out[t] = resized
    return out.T


def _float_bounds(info: np.iinfo) -> tuple[float, float]:
    """The dtype's range as float64 values that convert back without overflowing."""
    lo, hi = float(info.min), float(info.max)
    if int(hi) > info.max:
        hi = float(np.nextafter(hi, -np.inf))
    return lo, hi


def change_dtype(
    seq: np.ndarray, dtype: npt.DTypeLike, rescale: bool = True, chunk_frames: int | None = None
) -> np.ndarray:
    """Convert ``seq`` ``[x, y, t]`` to ``dtype``.

    Integer targets: with ``rescale`` the data range ``[min, max]`` is mapped linearly onto the
    full range of ``dtype`` (a constant movie becomes the dtype's minimum), so nothing is
    clipped; without it values are rounded and must already fit in ``dtype``. Float targets are
    a plain cast. Works ``chunk_frames`` frames at a time.
    """
    seq = check_seq_xyt(seq)
    try:
        target = np.dtype(dtype)
    except TypeError as exc:
        raise ParameterError(f"dtype {dtype!r} is not a numpy dtype ({exc})") from None
    if target.kind == "f":
        return seq.astype(target)
    if target.kind not in "iu":
        raise ParameterError(
            f"dtype {target} is not supported: choose an integer (uint8, uint16, int16, ...) or "
            "float (float32, float64) dtype"
        )
    info = np.iinfo(target)
    mn, mx = seq.min(), seq.max()
    if seq.dtype.kind == "f" and not (np.isfinite(mn) and np.isfinite(mx)):
        raise ParameterError(
            f"the sequence contains NaN or infinite values, which have no {target} equivalent: "
            "replace them (e.g. np.nan_to_num) before changing the dtype"
        )
    if not rescale and (np.rint(mn) < info.min or np.rint(mx) > info.max):
        raise ParameterError(
            f"values span [{mn}, {mx}], outside the {target} range [{info.min}, {info.max}]: "
            "use rescale=True or a wider dtype"
        )
    if not rescale and seq.dtype.kind in "iu":
        return seq.astype(target)
    lo, hi = _float_bounds(info)
    scale = (hi - lo) / (float(mx) - float(mn)) if mx > mn else 0.0
    step = _chunk_frames(seq, chunk_frames)
    out = np.empty((seq.shape[2], seq.shape[1], seq.shape[0]), dtype=target)
    for t0 in range(0, seq.shape[2], step):
        block = np.array(seq[:, :, t0:t0 + step], dtype=np.float64, order="K")
        if rescale:
            block -= float(mn)
            block *= scale
            block += lo
            np.rint(block, out=block)
            # the clip only absorbs float rounding at the ends of the range: data map inside it
            np.clip(block, lo, hi, out=block)
        else:
            np.rint(block, out=block)
        out[t0:t0 + step] = block.T
    return out.T
