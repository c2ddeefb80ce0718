"""Mean and local-correlation images of a movie, accumulated chunk by chunk in one pass.

The correlation image is the mean, over each pixel's 8 neighbours, of the temporal Pearson
correlation between the pixel and the neighbour (CaImAn's ``local_correlations``).
Sums are taken in float64 around a per-pixel reference (the template) for numerical stability.
"""
from __future__ import annotations

import dataclasses

import numpy as np

# (dy, dx) of the 4 neighbour directions whose pair products are summed; the other 4 of the
# 8-neighbourhood are the same pairs seen from the other pixel.
_DIRECTIONS = ((0, 1), (1, 0), (1, 1), (1, -1))


def _pair_slices(dy: int, dx: int, h: int, w: int) -> tuple[tuple[slice, slice], tuple[slice, slice]]:
    """Slices (a, b) so that pixel ``a[i]`` and its neighbour ``b[i]`` at (dy, dx) line up."""
    ya, yb = slice(0, h - dy), slice(dy, h)
    if dx >= 0:
        xa, xb = slice(0, w - dx), slice(dx, w)
    else:
        xa, xb = slice(-dx, w), slice(0, w + dx)
    return (ya, xa), (yb, xb)


@dataclasses.dataclass
class SummaryAccumulator:
    """Running sums over frames ``(n, H, W)``; merge partial sums from chunks with ``+=``."""

    reference: np.ndarray
    count: int = 0
    s1: np.ndarray | None = None
    s2: np.ndarray | None = None
    cross: list[np.ndarray] | None = None

    def add(self, frames: np.ndarray) -> None:
        x = np.asarray(frames, dtype=np.float64) - self.reference
        h, w = x.shape[1:]
        s1, s2 = x.sum(axis=0), np.einsum("tyx,tyx->yx", x, x)
        cross = []
        for dy, dx in _DIRECTIONS:
            a, b = _pair_slices(dy, dx, h, w)
            cross.append(np.einsum("tyx,tyx->yx", x[:, a[0], a[1]], x[:, b[0], b[1]]))
        self._merge(len(x), s1, s2, cross)

    def _merge(self, count: int, s1: np.ndarray, s2: np.ndarray, cross: list[np.ndarray]) -> None:
        if self.s1 is None:
            self.count, self.s1, self.s2, self.cross = count, s1, s2, cross
            return
        self.count += count
        self.s1 += s1
        self.s2 += s2
        for mine, other in zip(self.cross, cross):
            mine += other

    def __iadd__(self, other: SummaryAccumulator) -> SummaryAccumulator:
        if other.s1 is not None:
            self._merge(other.count, other.s1, other.s2, other.cross)
        return self

    def mean_image(self) -> np.ndarray:
        """Temporal mean ``(H, W)`` float32."""
        return (self.s1 / self.count + self.reference).astype(np.float32)

    def correlation_image(self) -> np.ndarray:
        """Mean correlation with the 8 neighbours ``(H, W)`` float32 (0 where a pixel is flat)."""
        n = self.count
        h, w = self.s1.shape
        mean = self.s1 / n
        sd = np.sqrt(np.maximum(self.s2 / n - mean ** 2, 0.0))
        total = np.zeros((h, w))
        neighbours = np.zeros((h, w))
        for (dy, dx), cross in zip(_DIRECTIONS, self.cross):
            a, b = _pair_slices(dy, dx, h, w)
            denom = sd[a] * sd[b]
            with np.errstate(divide="ignore", invalid="ignore"):
                r = np.where(denom > 0, (cross / n - mean[a] * mean[b]) / denom, 0.0)
            for sl in (a, b):
                total[sl] += r
                neighbours[sl] += 1
        return (total / neighbours).astype(np.float32)
