"""The Peak Editor's model: editable peaks & bases of the curves of a PeakDetect output.

Each curve keeps its events as a sorted int64 array of sample indices alternating
base, peak, base, ... (odd length, or empty), the invariant PeakFeatures needs. Every edit keeps
it: an edit that would break it is either repaired (adding a peak also adds the base it needs,
deleting a peak also removes one of its bases) or refused with a ``ParameterError`` that says
why. Edits emit ``changed(curve_index)``; the Qt editor listens, scripts and tests can too.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from mesmerize.analysis.arrays import array_cells
from mesmerize.analysis.errors import TransmissionError
from mesmerize.analysis.peak_detection import LABELS, pb_frame
from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import ParameterError
from mesmerize.core.events import EventEmitter

PEAKS_BASES = "peaks_bases"


def _events_of(pb: pd.DataFrame, row: int) -> np.ndarray:
    if not isinstance(pb, pd.DataFrame) or not {"event", "label"} <= set(pb.columns):
        raise TransmissionError(
            f"Row {row}: peaks_bases must be a DataFrame with columns event and label; produce "
            "it with a PeakDetect node.")
    order = np.argsort(pb["event"].to_numpy(dtype=np.int64), kind="stable")
    events = pb["event"].to_numpy(dtype=np.int64)[order]
    labels = pb["label"].to_numpy().astype(str)[order]
    if not np.array_equal(labels, LABELS[np.arange(events.size) % 2].astype(str)) or (
            events.size and events.size % 2 == 0):
        raise TransmissionError(
            f"Row {row}: peaks_bases must alternate base, peak, base, ... starting and ending "
            "with a base.")
    return events


class PeakEditModel:
    """Peaks & bases of ``n`` curves, editable one curve at a time.

    curves: ``n`` 1-D float arrays (the curves the events are placed on; any units);
    events: ``n`` sorted int64 arrays of sample indices, base, peak, ..., base (or empty).
    Sample arguments of the edits are indices into the curve, ``0 <= sample < T``.
    """

    def __init__(self, curves: Sequence[np.ndarray], events: Sequence[np.ndarray]) -> None:
        if len(curves) != len(events):
            raise ParameterError(
                f"PeakEditModel: {len(curves)} curves but {len(events)} peaks & bases tables; "
                "give one table per curve.")
        self._curves = [np.asarray(c, dtype=np.float64) for c in curves]
        self._events = [np.asarray(e, dtype=np.int64).copy() for e in events]
        for i, (c, e) in enumerate(zip(self._curves, self._events)):
            if e.size and (e[0] < 0 or e[-1] >= c.size):
                raise TransmissionError(
                    f"Row {i}: peaks_bases has events outside the curve's {c.size} samples.")
            if np.any(np.diff(e) <= 0):
                raise TransmissionError(f"Row {i}: peaks_bases events must be sorted and "
                                        "distinct.")
            if e.size % 2 == 0 and e.size:
                raise TransmissionError(
                    f"Row {i}: {e.size} events cannot alternate base, peak, ..., base; a curve "
                    "needs an odd number of events (or none).")
        self.edited: set[int] = set()
        self.changed = EventEmitter()

    @classmethod
    def from_transmission(cls, t: Transmission, data_column: str) -> "PeakEditModel":
        """Model of a Transmission with a ``peaks_bases`` column, placed on ``data_column``."""
        if PEAKS_BASES not in t.df.columns:
            raise TransmissionError(
                "The Peak Editor needs a Transmission with a peaks_bases column; run PeakDetect "
                "first.")
        curves = array_cells(t.df, data_column)
        events = [_events_of(pb, i) for i, pb in enumerate(t.df[PEAKS_BASES].to_numpy(object))]
        return cls(curves, events)

    def __len__(self) -> int:
        return len(self._curves)

    def curve(self, i: int) -> np.ndarray:
        """Curve ``i``: ``(T,)`` float64."""
        return self._curves[i]

    def events(self, i: int) -> np.ndarray:
        """Sorted event samples of curve ``i`` (a copy), base, peak, ..., base."""
        return self._events[i].copy()

    def peaks(self, i: int) -> np.ndarray:
        """Peak samples of curve ``i``."""
        return self._events[i][1::2].copy()

    def bases(self, i: int) -> np.ndarray:
        """Base samples of curve ``i``."""
        return self._events[i][0::2].copy()

    def label_at(self, i: int, sample: int) -> str | None:
        """``"peak"``, ``"base"`` or None when curve ``i`` has no event at ``sample``."""
        k = np.flatnonzero(self._events[i] == sample)
        return None if not k.size else str(LABELS[k[0] % 2])

    def frame(self, i: int) -> pd.DataFrame:
        """The peaks & bases DataFrame (``event``, ``label``) of curve ``i``."""
        return pb_frame(self._events[i])

    def frames(self) -> list[pd.DataFrame]:
        """The peaks & bases DataFrames of every curve."""
        return [self.frame(i) for i in range(len(self))]

    def to_transmission(self, t: Transmission) -> Transmission:
        """A copy of ``t`` (the Transmission the model was made from) whose ``peaks_bases``
        column holds the edited events."""
        if len(t.df) != len(self):
            raise TransmissionError(
                f"The Transmission has {len(t.df)} rows but the Peak Editor holds {len(self)} "
                "curves; reopen the editor on the current output.")
        out = t.copy()
        cells = np.empty(len(self), dtype=object)
        cells[:] = self.frames()
        out.df[PEAKS_BASES] = cells
        return out

    def _sample(self, i: int, sample: int) -> int:
        size = self._curves[i].size
        s = int(sample)
        if not 0 <= s < size:
            raise ParameterError(
                f"Curve {i}: sample {s} is outside the curve (0 to {size - 1}); click on the "
                "curve.")
        return s

    def _set(self, i: int, events: np.ndarray) -> None:
        self._events[i] = np.asarray(events, dtype=np.int64)
        self.edited.add(i)
        self.changed.emit(i)

    def _lowest(self, i: int, start: int, stop: int) -> int:
        return start + int(np.nanargmin(self._curves[i][start:stop])) \
            if np.isfinite(self._curves[i][start:stop]).any() else start

    def _highest(self, i: int, start: int, stop: int) -> int:
        return start + int(np.nanargmax(self._curves[i][start:stop])) \
            if np.isfinite(self._curves[i][start:stop]).any() else start

    def move_event(self, i: int, sample: int, to: int) -> None:
        """Drag the peak or base at ``sample`` to ``to``; it cannot pass its neighbours."""
        ev = self._events[i]
        k = np.flatnonzero(ev == self._sample(i, sample))
        if not k.size:
            raise ParameterError(f"Curve {i}: there is no peak or base at sample {sample}.")
        k = int(k[0])
        to = self._sample(i, to)
        low = ev[k - 1] if k else -1
        high = ev[k + 1] if k + 1 < ev.size else self._curves[i].size
        if not low < to < high:
            raise ParameterError(
                f"Curve {i}: a {LABELS[k % 2]} at {sample} can only move between its neighbours "
                f"({low + 1} to {high - 1}); delete and add events to reorder them.")
        moved = ev.copy()
        moved[k] = to
        self._set(i, moved)

    def add_peak(self, i: int, sample: int) -> int:
        """Add a peak at ``sample`` and the base it needs (the lowest sample between it and the
        next peak on the side without a base). Returns the added base's sample."""
        s = self._sample(i, sample)
        ev = self._events[i]
        if np.any(ev == s):
            raise ParameterError(f"Curve {i}: sample {s} already has a peak or base.")
        k = int(np.searchsorted(ev, s))
        size = self._curves[i].size
        if ev.size == 0:
            if not 0 < s < size - 1:
                raise ParameterError(
                    f"Curve {i}: a peak needs room for a base on each side; add it between "
                    f"samples 1 and {size - 2}.")
            new = [self._lowest(i, 0, s), s, self._lowest(i, s + 1, size)]
            self._set(i, np.array(new))
            return new[0]
        if k % 2 == 1:  # after a base (k - 1): new base between the new peak and the next peak
            stop = ev[k] if k < ev.size else size
            if stop - s < 2:
                raise ParameterError(
                    f"Curve {i}: no room for a base between {s} and the peak at {stop}.")
            base = self._lowest(i, s + 1, stop)
            self._set(i, np.insert(ev, k, [s, base]))
        else:  # before a base (k): new base between the previous peak and the new one
            start = ev[k - 1] + 1 if k else 0
            if s - start < 1:
                raise ParameterError(
                    f"Curve {i}: no room for a base between {start - 1} and {s}.")
            base = self._lowest(i, start, s)
            self._set(i, np.insert(ev, k, [base, s]))
        return base

    def add_base(self, i: int, sample: int) -> int:
        """Add a base at ``sample`` and the peak it makes (the highest sample between it and the
        neighbouring base on the side without a peak). Returns the added peak's sample."""
        s = self._sample(i, sample)
        ev = self._events[i]
        if np.any(ev == s):
            raise ParameterError(f"Curve {i}: sample {s} already has a peak or base.")
        if ev.size == 0:
            raise ParameterError(
                f"Curve {i}: a base alone is not an event; add a peak first (it brings its "
                "bases).")
        k = int(np.searchsorted(ev, s))
        if k % 2 == 1:  # after a base (k - 1): new peak between that base and the new one
            start = ev[k - 1] + 1
            if s - start < 1:
                raise ParameterError(
                    f"Curve {i}: no room for a peak between the base at {ev[k - 1]} and {s}.")
            peak = self._highest(i, start, s)
            self._set(i, np.insert(ev, k, [peak, s]))
        else:  # before a base (k): new peak between the new base and that one
            if ev[k] - s < 2:
                raise ParameterError(
                    f"Curve {i}: no room for a peak between {s} and the base at {ev[k]}.")
            peak = self._highest(i, s + 1, ev[k])
            self._set(i, np.insert(ev, k, [s, peak]))
        return peak

    def delete_event(self, i: int, sample: int) -> list[int]:
        """Delete the peak or base at ``sample`` with the partner that keeps the curve valid:
        a peak goes with the higher of its two bases (the troughs merge into the lower one), an
        inner base with the lower of its two peaks (the peaks merge into the higher one), an
        outer base with its peak. Returns the deleted samples."""
        ev = self._events[i]
        s = self._sample(i, sample)
        hit = np.flatnonzero(ev == s)
        if not hit.size:
            raise ParameterError(f"Curve {i}: there is no peak or base at sample {s}.")
        k = int(hit[0])
        y = self._curves[i]
        if ev.size == 3:
            drop = [0, 1, 2]
        elif k % 2 == 1:
            drop = [k, k + 1] if y[ev[k + 1]] >= y[ev[k - 1]] else [k - 1, k]
        elif k == 0:
            drop = [0, 1]
        elif k == ev.size - 1:
            drop = [k - 1, k]
        else:
            drop = [k - 1, k] if y[ev[k - 1]] < y[ev[k + 1]] else [k, k + 1]
        removed = [int(x) for x in ev[drop]]
        self._set(i, np.delete(ev, drop))
        return removed

    def set_relative_maxima(self, i: int) -> np.ndarray:
        """Put every peak of curve ``i`` on the highest sample between its two bases (first of
        ties; NaNs ignored). Returns the new peak samples."""
        ev = self._events[i]
        if ev.size == 0:
            raise ParameterError(
                f"Curve {i} has no bases to place peaks between; add a peak first.")
        moved = ev.copy()
        moved[1::2] = [self._highest(i, a + 1, b) for a, b in zip(ev[0:-1:2], ev[2::2])]
        self._set(i, moved)
        return moved[1::2].copy()

    def clear(self, i: int) -> None:
        """Remove every peak and base of curve ``i``."""
        self._set(i, np.empty(0, dtype=np.int64))
