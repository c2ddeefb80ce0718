"""Stimulus Mapping module: tables and API both act on the core StimulusMaps."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from qtpy import QtCore

from mesmerize.core.errors import StimulusMapError
from mesmerize.gui.console import build_viewer_namespace
from mesmerize.gui.viewer.modules.stimulus_mapping import END, NAME, START


@pytest.fixture
def smm(loaded_viewer):
    return loaded_viewer.get_module("stimulus_mapping")


def test_one_tab_per_stimulus_type(qtbot):
    from mesmerize.gui.viewer.window import ViewerWindow

    window = ViewerWindow(stimulus_types=("ori", "sf"), plugins_dir="")
    qtbot.addWidget(window)
    smm = window.get_module("stimulus_mapping")
    assert [smm.tabs.tabText(i) for i in range(smm.tabs.count())] == ["ori", "sf"]
    assert not smm.empty_label.isVisible()
    window.close()


def test_table_rows_set_all_maps_and_show_on_timeline(loaded_viewer, smm, qtbot):
    table = smm.tables["ori"]
    qtbot.mouseClick(smm.add_row_button, QtCore.Qt.LeftButton)
    qtbot.mouseClick(smm.add_row_button, QtCore.Qt.LeftButton)
    for row, (name, start, end) in enumerate([("90", "20", "30"), ("0", "2", "10")]):
        table.set_cell(row, NAME, name)
        table.set_cell(row, START, start)
        table.set_cell(row, END, end)
    table.color_button(1).set_color((255, 0, 0, 128))
    qtbot.mouseClick(smm.set_all_button, QtCore.Qt.LeftButton)
    df = loaded_viewer.vi.viewer.workEnv.stim_maps.maps["ori"].dataframe
    assert df["name"].tolist() == ["90", "0"]
    assert df["start"].tolist() == [20.0, 2.0] and df["end"].tolist() == [30.0, 10.0]
    assert df["color"].tolist()[1] == "#ff000080"
    assert "All maps set" in smm.status.text()
    smm.timeline_combo.setCurrentText("ori")
    assert loaded_viewer.image_display.stimulus_regions == [(20.0, 30.0), (2.0, 10.0)]
    smm.timeline_combo.setCurrentText("(none)")
    assert loaded_viewer.image_display.stimulus_regions == []


def test_remove_stim_and_invalid_rows_change_nothing(loaded_viewer, smm, qtbot):
    table = smm.tables["ori"]
    for _ in range(3):
        smm.add_row()
    table.table.selectRow(1)
    qtbot.mouseClick(smm.remove_button, QtCore.Qt.LeftButton)
    assert table.table.rowCount() == 2
    table.set_cell(0, NAME, "a")
    table.set_cell(0, START, "x")
    table.set_cell(0, END, "4")
    table.set_cell(1, NAME, "b")
    table.set_cell(1, START, "1")
    table.set_cell(1, END, "4")
    assert not smm.set_all_maps()
    assert "start 'x' is not a number" in smm.status.text()
    table.set_cell(0, START, "10")
    table.set_cell(0, END, "500")  # beyond the movie's 50 frames
    assert not smm.set_all_maps()
    assert "after the movie" in smm.status.text()
    assert loaded_viewer.vi.viewer.workEnv.stim_maps.maps["ori"].dataframe.empty


GUIDE_SCRIPT = '''
import pandas as pd
from mesmerize.plotting.utils import get_colormap

# Load dataframe from CSV
df = pd.read_csv(CSV_PATH)

# Sort according to time (stimulus "start" frame column)
df.sort_values(by='start').reset_index(drop=True, inplace=True)

# Trim off the periods that are not in the current image sequence
trim = get_image().shape[2]
df = df[df['start'] <= trim]

# Remove the unused columns
df.drop(columns=['sf', 'tf', 'contrast'])

# Rename the stimulus column of interest to "name"
df.rename(columns={'ori': 'name'}, inplace=True)

oris = df['name'].unique()
oris.sort()

oris_cmap = get_colormap(oris, 'tab10', output='pyqt', alpha=0.6)
df['color'] = df['name'].map(oris_cmap)
df['name'] = df['name'].apply(str)

smm = get_module('stimulus_mapping')
smm.maps['ori'].set_data(df)
'''


def test_guide_script_sets_the_map_through_the_api(loaded_viewer, smm, tmp_path):
    csv = tmp_path / "stimulus.csv"
    pd.DataFrame({"ori": [90, 0, 45, 0, 90], "start": [30, 0, 12, 40, 70],
                  "end": [38, 8, 20, 48, 78], "sf": 0.1, "tf": 2, "contrast": 1.0}
                 ).to_csv(csv, index=False)
    namespace = build_viewer_namespace(loaded_viewer)
    namespace["CSV_PATH"] = str(csv)
    exec(GUIDE_SCRIPT, namespace)
    df = loaded_viewer.vi.viewer.workEnv.stim_maps.maps["ori"].dataframe
    assert df["name"].tolist() == ["90", "0", "45", "0"]  # start 70 > 50 frames trimmed
    assert df["start"].tolist() == [30.0, 0.0, 12.0, 40.0]
    # tab10 at alpha 0.6 in sorted order 0, 45, 90: blue, orange, green
    assert df["color"].tolist() == ["#2ca02c99", "#1f77b499", "#ff7f0e99", "#1f77b499"]
    table = smm.tables["ori"]
    assert table.table.rowCount() == 4
    assert [table.table.item(r, NAME).text() for r in range(4)] == ["90", "0", "45", "0"]
    assert table.color_button(0).color == "#2ca02c99"
    smm.show_on_timeline("ori")
    assert loaded_viewer.image_display.stimulus_regions[0] == (30.0, 38.0)


def test_maps_unknown_type_error_names_the_types(smm):
    with pytest.raises(StimulusMapError, match="ori"):
        smm.maps["sf"]


def test_seconds_are_drawn_in_frames(loaded_viewer, smm):
    smm.maps["ori"].set_data(pd.DataFrame({"name": ["a"], "start": [1.0], "end": [2.5]}),
                             units="seconds")
    assert smm.tables["ori"].units.currentText() == "seconds"
    smm.show_on_timeline("ori")
    np.testing.assert_allclose(loaded_viewer.image_display.stimulus_regions, [(10.0, 25.0)])
