"""Stimulus maps: the guide's DataFrame script, colours, validation, units and state."""
import json

import numpy as np
import pandas as pd
import pytest

from mesmerize.core.errors import FormatVersionError, StimulusMapError
from mesmerize.core.stimulus import (
    DEFAULT_COLORS,
    StimulusMap,
    StimulusMaps,
    color_to_hex,
)
from mesmerize.plotting.utils import get_colormap


class FakeQColor:
    def __init__(self, r, g, b, a=255):
        self._rgba = (r, g, b, a)

    def getRgb(self):
        return self._rgba


def guide_dataframe():
    """The user guide's pvc-7 script, on a small in-memory table."""
    df = pd.DataFrame(
        {
            "ori": [90, 0, 45, 0, 90],
            "start": [40, 0, 20, 60, 80],
            "end": [50, 10, 30, 70, 95],
            "sf": [0.1] * 5,
            "tf": [2] * 5,
            "contrast": [1.0] * 5,
        }
    )
    df = df.sort_values(by="start").reset_index(drop=True)
    df = df[df["start"] <= 90]
    df.rename(columns={"ori": "name"}, inplace=True)
    oris = df["name"].unique()
    oris.sort()
    oris_cmap = get_colormap(oris, "tab10", output="pyqt", alpha=0.6)
    df["color"] = df["name"].map(oris_cmap)
    df["name"] = df["name"].apply(str)
    return df


def test_guide_script_sets_the_map():
    maps = StimulusMaps(["ori", "odor"])
    maps.maps["ori"].set_data(guide_dataframe())
    df = maps.maps["ori"].dataframe
    assert list(df.columns) == ["name", "start", "end", "color"]
    assert df["name"].tolist() == ["0", "45", "90", "0", "90"]
    assert df["start"].tolist() == [0, 20, 40, 60, 80]
    # tab10 blue at alpha 0.6 from get_colormap's 0-255 tuples
    assert df["color"][0] == "#1f77b499"
    assert maps.names("ori") == ["0", "45", "90"]
    assert maps.names("odor") == []
    maps.maps["ori"].validate(n_frames=100, fps=10.0)


@pytest.mark.parametrize(
    ("color", "expected"),
    [
        ("#ff000080", "#ff000080"),
        ("#00ff00", "#00ff00ff"),
        ("red", "#ff0000ff"),
        ((255, 128, 0), "#ff8000ff"),
        ((255, 128, 0, 51), "#ff800033"),
        ((1.0, 0.5, 0.0), "#ff8000ff"),
        ((1.0, 0.0, 0.0, 0.2), "#ff000033"),
        ((1, 1, 1), "#010101ff"),  # ints are 0-255
        ((200.0, 0.0, 0.0), "#c80000ff"),  # floats above 1 are 0-255
        (np.array([0.0, 0.0, 1.0]), "#0000ffff"),
        (FakeQColor(10, 20, 30, 40), "#0a141e28"),
    ],
)
def test_color_forms(color, expected):
    assert color_to_hex(color) == expected


@pytest.mark.parametrize(
    "color", ["nocolour", (1, 2), (300, 0, 0), (-1, 0, 0), object(), (1, "a", 2)]
)
def test_bad_colors(color):
    with pytest.raises(StimulusMapError):
        color_to_hex(color)


def test_missing_colors_get_a_default_per_name():
    smap = StimulusMap("ori")
    smap.set_data(pd.DataFrame({"name": ["a", "b", "a"], "start": [0, 5, 10], "end": [2, 7, 12],
                                "color": [None, np.nan, "#123456ff"]}))
    colors = smap.dataframe["color"].tolist()
    assert colors == [DEFAULT_COLORS[0], DEFAULT_COLORS[1], "#123456ff"]
    smap.set_data(pd.DataFrame({"name": ["x"], "start": [0], "end": [1]}))
    assert smap.dataframe["color"].tolist() == [DEFAULT_COLORS[0]]


@pytest.mark.parametrize(
    ("df", "pattern"),
    [
        (
            pd.DataFrame({"name": ["a"], "begin": [0], "end": [1]}),
            r"lacks the column\(s\) \['start'\]",
        ),
        (pd.DataFrame({"name": ["a", None], "start": [0, 1], "end": [1, 2]}), "row 1.*no name"),
        (pd.DataFrame({"name": ["a", "b"], "start": [0, np.nan], "end": [1, 2]}),
         "row 1 \\(name 'b'\\) has start = nan"),
        (pd.DataFrame({"name": ["a"], "start": ["zero"], "end": [1]}), "finite number"),
        (pd.DataFrame({"name": ["a"], "start": [0], "end": [1], "color": ["bad"]}),
         "row 0 \\(name 'a'\\).*unknown colour"),
    ],
)
def test_set_data_errors_name_the_row_and_keep_old_data(df, pattern):
    smap = StimulusMap("ori")
    smap.set_data(pd.DataFrame({"name": ["keep"], "start": [0], "end": [1]}))
    with pytest.raises(StimulusMapError, match=pattern):
        smap.set_data(df)
    assert smap.dataframe["name"].tolist() == ["keep"]
    with pytest.raises(StimulusMapError, match="DataFrame"):
        smap.set_data([("a", 0, 1)])


@pytest.mark.parametrize(
    ("start", "end", "pattern"),
    [
        (-1, 5, "row 1 \\(name 'b'\\) starts at frame -1.*before the movie"),
        (8, 5, "row 1 \\(name 'b'\\) starts at 8 after its end 5"),
        (5, 101, "row 1 \\(name 'b'\\) ends at frame 101.*100 frames"),
    ],
)
def test_validate_in_frames(start, end, pattern):
    smap = StimulusMap("ori")
    smap.set_data(pd.DataFrame({"name": ["a", "b"], "start": [0, start], "end": [3, end]}))
    with pytest.raises(StimulusMapError, match=pattern):
        smap.validate(100, fps=10.0)


def test_validate_edges_are_allowed():
    smap = StimulusMap("ori")
    smap.set_data(pd.DataFrame({"name": ["a"], "start": [0], "end": [100]}))
    smap.validate(100)
    with pytest.raises(StimulusMapError, match="n_frames"):
        smap.validate(-3)


def test_seconds_are_converted_with_fps():
    smap = StimulusMap("odor")
    smap.set_data(pd.DataFrame({"name": ["a"], "start": [1.5], "end": [9.0]}), units="seconds")
    assert smap.units == "seconds"
    frames = smap.to_frames(fps=10.0)
    assert frames["start"].tolist() == [15.0] and frames["end"].tolist() == [90.0]
    smap.validate(90, fps=10.0)
    with pytest.raises(StimulusMapError, match="ends at frame 90.*converted from seconds"):
        smap.validate(89, fps=10.0)
    with pytest.raises(StimulusMapError, match="fps > 0"):
        smap.validate(90, fps=None)
    with pytest.raises(StimulusMapError, match="units must be one of"):
        smap.units = "minutes"


def test_maps_are_keyed_by_the_project_stimulus_types():
    maps = StimulusMaps(["ori", "odor"])
    assert maps.stim_types == ("ori", "odor") and list(maps.maps) == ["ori", "odor"]
    assert "ori" in maps.maps and "temp" not in maps.maps
    with pytest.raises(StimulusMapError, match=r"no stimulus type 'temp'.*\['ori', 'odor'\]"):
        maps.maps["temp"]
    maps.maps["ori"].set_data(pd.DataFrame({"name": ["a"], "start": [0], "end": [1]}))
    maps.set_stim_types(["ori", "temp"])
    assert maps.stim_types == ("ori", "temp") and maps.names("ori") == ["a"]
    with pytest.raises(StimulusMapError, match="unique"):
        maps.set_stim_types(["a", "a"])


def test_changed_is_emitted_with_the_type():
    maps = StimulusMaps(["ori", "odor"])
    events = []
    maps.changed.connect(events.append)
    maps.maps["odor"].set_data(pd.DataFrame({"name": ["a"], "start": [0], "end": [1]}))
    maps.maps["ori"].clear()
    assert events == ["odor", "ori"]


def test_state_round_trip():
    maps = StimulusMaps(["ori", "odor", "empty"])
    maps.maps["ori"].set_data(guide_dataframe())
    maps.maps["odor"].set_data(
        pd.DataFrame({"name": ["x"], "start": [0.5], "end": [2.0]}), units="seconds"
    )
    state = json.loads(json.dumps(maps.to_state()))
    back = StimulusMaps.from_state(state)
    assert back.stim_types == maps.stim_types
    for t in maps.stim_types:
        pd.testing.assert_frame_equal(back.maps[t].dataframe, maps.maps[t].dataframe)
        assert back.maps[t].units == maps.maps[t].units
    with pytest.raises(FormatVersionError, match="upgrade Mesmerize"):
        StimulusMaps.from_state({**state, "format_version": 2})
    with pytest.raises(StimulusMapError, match="not among its stimulus types"):
        StimulusMaps.from_state({**state, "stim_types": ["ori"]})
