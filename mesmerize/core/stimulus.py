"""Stimulus maps: named periods (start, end, colour) per stimulus type of the project.

A :class:`StimulusMap` holds one stimulus type's periods as a DataFrame with columns ``name``
(str), ``start``, ``end`` (frames, or seconds when ``units == "seconds"``) and ``color``
(``"#rrggbbaa"``). :class:`StimulusMaps` holds one map per stimulus type; ``maps["ori"]`` is the
map of type ``ori``, as in the user guide's script.
"""
from __future__ import annotations

import math
import numbers
from typing import Any, Iterable, Iterator, Mapping

import numpy as np
import pandas as pd
from matplotlib.colors import to_rgba

from mesmerize.core.errors import FormatVersionError, StimulusMapError
from mesmerize.core.events import EventEmitter

UNITS = ("frames", "seconds")
COLUMNS = ("name", "start", "end", "color")
STATE_FORMAT_VERSION = 1
# matplotlib's tab10 at alpha 0.6: colours given to stimuli that come without one.
DEFAULT_COLORS = (
    "#1f77b499", "#ff7f0e99", "#2ca02c99", "#d6272899", "#9467bd99",
    "#8c564b99", "#e377c299", "#7f7f7f99", "#bcbd2299", "#17becf99",
)


def _is_missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _is_number(value: object) -> bool:
    """A finite real number that is not a bool."""
    return (
        isinstance(value, numbers.Real)
        and not isinstance(value, bool)
        and math.isfinite(value)  # type: ignore[arg-type]
    )


def color_to_hex(value: object) -> str:
    """Normalise a colour to ``"#rrggbbaa"``.

    Accepts colour strings matplotlib knows (``"#rrggbb"``, ``"#rrggbbaa"``, ``"red"``), RGB(A)
    sequences (all ints: 0-255; floats all <= 1: 0-1; floats above 1: 0-255) and objects with a
    ``getRgb()`` method returning 0-255 ints (a QColor). StimulusMapError otherwise.
    """
    if hasattr(value, "getRgb"):
        value = tuple(int(c) for c in value.getRgb())  # type: ignore[union-attr]
    if isinstance(value, str):
        try:
            rgba = to_rgba(value)
        except ValueError:
            raise StimulusMapError(
                f"unknown colour {value!r}; use '#rrggbb', '#rrggbbaa' or a colour name"
            ) from None
        return "#" + "".join(f"{round(c * 255):02x}" for c in rgba)
    if isinstance(value, (tuple, list, np.ndarray)):
        comps = np.asarray(value).ravel().tolist() if isinstance(value, np.ndarray) else list(value)
        if len(comps) not in (3, 4) or not all(_is_number(c) for c in comps):
            raise StimulusMapError(
                f"colour {value!r} must have 3 or 4 finite numbers (R, G, B[, A])"
            )
        all_int = all(isinstance(c, numbers.Integral) for c in comps)
        scale = 255.0 if all_int or max(comps) > 1.0 else 1.0
        if min(comps) < 0 or max(comps) > scale:
            raise StimulusMapError(
                f"colour {value!r} is out of range; components are 0-255 (ints) or 0-1 (floats)"
            )
        if len(comps) == 3:
            comps.append(scale)
        return "#" + "".join(f"{round(c / scale * 255):02x}" for c in comps)
    raise StimulusMapError(
        f"cannot read the colour {value!r} ({type(value).__name__}); give a '#rrggbbaa' string, "
        "an (R, G, B[, A]) tuple or a QColor"
    )


def _row_label(index: object, name: object) -> str:
    return f"row {index} (name {name!r})"


class StimulusMap:
    """The periods of one stimulus type; ``changed`` is emitted (no arguments) on change."""

    def __init__(self, stim_type: str, units: str = "frames") -> None:
        if not isinstance(stim_type, str) or not stim_type:
            raise StimulusMapError(f"a stimulus type must be a non-empty str, got {stim_type!r}")
        self.stim_type = stim_type
        self.changed = EventEmitter()
        self._units = self._check_units(units)
        self._df = self._empty()

    @staticmethod
    def _empty() -> pd.DataFrame:
        return pd.DataFrame(
            {
                "name": pd.Series(dtype=object),
                "start": pd.Series(dtype=np.float64),
                "end": pd.Series(dtype=np.float64),
                "color": pd.Series(dtype=object),
            }
        )

    @staticmethod
    def _check_units(units: str) -> str:
        if units not in UNITS:
            raise StimulusMapError(f"stimulus units must be one of {UNITS}, got {units!r}")
        return units

    @property
    def units(self) -> str:
        """``"frames"`` or ``"seconds"``: the unit of ``start`` and ``end``."""
        return self._units

    @units.setter
    def units(self, units: str) -> None:
        self._units = self._check_units(units)
        self.changed.emit()

    @property
    def dataframe(self) -> pd.DataFrame:
        """A copy of the periods: columns ``name, start, end, color``, index ``0..n-1``."""
        return self._df.copy()

    def set_data(self, df: pd.DataFrame, units: str | None = None) -> None:
        """Replace the periods by the rows of ``df``.

        ``df`` needs columns ``name``, ``start`` and ``end`` (numbers); ``color`` is optional
        (see :func:`color_to_hex`; missing colours get a default per name). Other columns are
        ignored and ``name`` is converted to str. Row order is kept.
        """
        if not isinstance(df, pd.DataFrame):
            raise StimulusMapError(
                f"set_data needs a pandas DataFrame with columns name, start, end[, color]; got "
                f"{type(df).__name__}"
            )
        missing = [c for c in ("name", "start", "end") if c not in df.columns]
        if missing:
            raise StimulusMapError(
                f"stimulus map {self.stim_type!r}: the DataFrame lacks the column(s) {missing}; "
                f"it has {list(df.columns)} (rename your stimulus column to 'name')"
            )
        new_units = self._units if units is None else self._check_units(units)
        names: list[str] = []
        starts: list[float] = []
        ends: list[float] = []
        colors: list[str | None] = []
        raw_colors = df["color"].tolist() if "color" in df.columns else [None] * len(df)
        rows = zip(
            df.index, df["name"].tolist(), df["start"].tolist(), df["end"].tolist(), raw_colors
        )
        for index, name, start, end, raw_color in rows:
            label = _row_label(index, name)
            if _is_missing(name):
                raise StimulusMapError(f"stimulus map {self.stim_type!r}: {label} has no name")
            for column, value in (("start", start), ("end", end)):
                if not _is_number(value):
                    raise StimulusMapError(
                        f"stimulus map {self.stim_type!r}: {label} has {column} = {value!r}; "
                        f"{column} must be a finite number ({new_units})"
                    )
            color = None
            if not _is_missing(raw_color):
                try:
                    color = color_to_hex(raw_color)
                except StimulusMapError as exc:
                    raise StimulusMapError(
                        f"stimulus map {self.stim_type!r}: {label}: {exc}"
                    ) from None
            names.append(str(name))
            starts.append(float(start))
            ends.append(float(end))
            colors.append(color)
        self._df = self._build(names, starts, ends, colors)
        self._units = new_units
        self.changed.emit()

    @staticmethod
    def _build(
        names: list[str], starts: list[float], ends: list[float], colors: list[str | None]
    ) -> pd.DataFrame:
        unique = dict.fromkeys(names)
        palette = {n: DEFAULT_COLORS[i % len(DEFAULT_COLORS)] for i, n in enumerate(unique)}
        filled = [c if c is not None else palette[n] for n, c in zip(names, colors)]
        if not names:
            return StimulusMap._empty()
        return pd.DataFrame(
            {
                "name": pd.Series(names, dtype=object),
                "start": np.asarray(starts, dtype=np.float64),
                "end": np.asarray(ends, dtype=np.float64),
                "color": pd.Series(filled, dtype=object),
            }
        )

    def clear(self) -> None:
        """Remove every period."""
        self._df = self._empty()
        self.changed.emit()

    def to_frames(self, fps: float | None = None) -> pd.DataFrame:
        """The periods with ``start``/``end`` in frames (seconds are multiplied by ``fps``)."""
        df = self._df.copy()
        if self._units == "seconds":
            if not _is_number(fps) or fps <= 0:  # type: ignore[operator]
                raise StimulusMapError(
                    f"stimulus map {self.stim_type!r} is in seconds; converting to frames needs "
                    f"the sampling rate fps > 0, got {fps!r}"
                )
            df["start"] = df["start"] * float(fps)
            df["end"] = df["end"] * float(fps)
        return df

    def validate(self, n_frames: int, fps: float | None = None) -> None:
        """StimulusMapError naming the first bad row unless 0 <= start <= end <= n_frames.

        ``n_frames``: frames in the movie; ``fps`` converts seconds to frames.
        """
        if isinstance(n_frames, bool) or not isinstance(n_frames, numbers.Integral) or n_frames < 0:
            raise StimulusMapError(f"n_frames must be an int >= 0, got {n_frames!r}")
        frames = self.to_frames(fps)
        unit_note = "" if self._units == "frames" else f" (converted from seconds at {fps} fps)"
        for i, row in frames.iterrows():
            label = _row_label(i, row["name"])
            prefix = f"stimulus map {self.stim_type!r}: {label}"
            if row["start"] < 0:
                raise StimulusMapError(
                    f"{prefix} starts at frame {row['start']:g}{unit_note}, before the movie; "
                    "start must be >= 0"
                )
            if row["start"] > row["end"]:
                raise StimulusMapError(
                    f"{prefix} starts at {row['start']:g} after its end {row['end']:g}"
                    f"{unit_note}; swap them"
                )
            if row["end"] > n_frames:
                raise StimulusMapError(
                    f"{prefix} ends at frame {row['end']:g}{unit_note}, after the movie's "
                    f"{n_frames} frames; trim the period to the movie"
                )

    def names(self) -> list[str]:
        """Unique stimulus names, ordered by their first period's start."""
        ordered = self._df.sort_values("start", kind="stable")
        return list(dict.fromkeys(ordered["name"]))

    def to_state(self) -> dict[str, Any]:
        """JSON-safe state: units and the rows."""
        return {
            "units": self._units,
            "rows": [
                {"name": n, "start": float(s), "end": float(e), "color": c}
                for n, s, e, c in self._df[list(COLUMNS)].itertuples(index=False)
            ],
        }

    @classmethod
    def from_state(cls, stim_type: str, state: Mapping[str, Any]) -> StimulusMap:
        """Rebuild a map from :meth:`to_state` output."""
        if not isinstance(state, Mapping) or "rows" not in state:
            raise StimulusMapError(
                f"stimulus map state of {stim_type!r} must be a dict with 'rows'"
            )
        smap = cls(stim_type, units=state.get("units", "frames"))
        rows = state["rows"]
        smap.set_data(pd.DataFrame(list(rows), columns=list(COLUMNS)))
        return smap


class _MapsView(Mapping):
    """Read-only dict-like view ``stim_type -> StimulusMap``."""

    def __init__(self, maps: dict[str, StimulusMap]) -> None:
        self._maps = maps

    def __getitem__(self, stim_type: str) -> StimulusMap:
        try:
            return self._maps[stim_type]
        except KeyError:
            raise StimulusMapError(
                f"no stimulus type {stim_type!r}; this project's stimulus types are "
                f"{list(self._maps)} (add it in the Project Configuration)"
            ) from None

    def __contains__(self, stim_type: object) -> bool:
        return stim_type in self._maps

    def __iter__(self) -> Iterator[str]:
        return iter(self._maps)

    def __len__(self) -> int:
        return len(self._maps)


class StimulusMaps:
    """One :class:`StimulusMap` per stimulus type; ``changed`` is emitted with the type name."""

    def __init__(self, stim_types: Iterable[str] = ()) -> None:
        self.changed = EventEmitter()
        self._maps: dict[str, StimulusMap] = {}
        self.maps = _MapsView(self._maps)
        self.set_stim_types(stim_types)

    @property
    def stim_types(self) -> tuple[str, ...]:
        """The project's stimulus types, in configuration order."""
        return tuple(self._maps)

    def set_stim_types(self, stim_types: Iterable[str]) -> None:
        """Follow a configuration change: keep maps of remaining types, add empty new ones."""
        types = list(stim_types)
        if len(set(types)) != len(types):
            raise StimulusMapError(f"stimulus types must be unique, got {types}")
        old = dict(self._maps)
        self._maps.clear()
        for stim_type in types:
            smap = old.get(stim_type)
            if smap is None:
                smap = StimulusMap(stim_type)
                smap.changed.connect(self._forward(stim_type))
            self._maps[stim_type] = smap
        self.changed.emit(None)

    def _forward(self, stim_type: str):
        def forward() -> None:
            self.changed.emit(stim_type)

        return forward

    def names(self, stim_type: str) -> list[str]:
        """Unique stimulus names of ``stim_type`` ordered by first start (``[]`` when none)."""
        return self.maps[stim_type].names()

    def to_state(self) -> dict[str, Any]:
        """JSON-safe state of every map."""
        return {
            "format_version": STATE_FORMAT_VERSION,
            "stim_types": list(self._maps),
            "maps": {t: m.to_state() for t, m in self._maps.items()},
        }

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> StimulusMaps:
        """Rebuild from :meth:`to_state` output; FormatVersionError for newer versions."""
        if not isinstance(state, Mapping):
            raise StimulusMapError(
                f"stimulus maps state must be a dict, got {type(state).__name__}"
            )
        version = state.get("format_version")
        if not isinstance(version, int):
            raise FormatVersionError("stimulus maps state has no integer format_version")
        if version > STATE_FORMAT_VERSION:
            raise FormatVersionError(
                f"stimulus maps state has format_version {version}, newer than this Mesmerize "
                f"reads ({STATE_FORMAT_VERSION}); upgrade Mesmerize to open it"
            )
        maps = cls(state.get("stim_types", ()))
        for stim_type, map_state in state.get("maps", {}).items():
            if stim_type not in maps.maps:
                raise StimulusMapError(
                    f"stimulus maps state has a map for {stim_type!r}, which is not among its "
                    f"stimulus types {list(maps.stim_types)}"
                )
            loaded = StimulusMap.from_state(stim_type, map_state)
            target = maps.maps[stim_type]
            target.set_data(loaded.dataframe, units=loaded.units)
        return maps
