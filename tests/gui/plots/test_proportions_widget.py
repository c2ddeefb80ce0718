"""ProportionsWidget: built from Linkage -> FCluster output, controls per the guide table,
swap, percentages/counts, heatmap, CSV export, .ptrn round trip, console, PNG rendering."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mesmerize.analysis.ops.node_spec import get_node_spec
from mesmerize.analysis.transmission import Transmission
from mesmerize.core.errors import FormatVersionError
from mesmerize.gui.plots.proportions import ProportionsWidget
from mesmerize.plotting.proportions import proportions_table


def clustered_t() -> Transmission:
    """45 curves of three shapes, clustered by Linkage -> FCluster (FCLUSTER_LABELS), with a
    stimulus and a cell type column."""
    rng = np.random.default_rng(0)
    x = np.linspace(0, 1, 40)
    protos = [np.sin(6 * x), x ** 2, np.exp(-((x - 0.5) ** 2) / 0.01)]
    rows = [protos[i % 3] + 0.05 * rng.standard_normal(40) for i in range(45)]
    df = pd.DataFrame({"_RAW_CURVE": rows,
                       "stimulus": rng.choice(["dark", "light", "touch"], 45),
                       "cell_type": rng.choice(["neuron", "glia"], 45),
                       "meta": [{"fps": 10.0}] * 45})
    t = Transmission.from_dataframe(df)
    link = get_node_spec("Linkage")(t, data_column="_RAW_CURVE", method="complete")
    return get_node_spec("FCluster")(link, t, None, None, threshold=3.0, criterion="maxclust")


@pytest.fixture
def window(qtbot):
    w = ProportionsWidget()
    qtbot.addWidget(w)
    w.show()
    yield w
    w.close()


def test_builds_without_arguments_and_has_the_guide_controls(window):
    texts = {b.text() for b in window.findChildren(type(window.update_button))}
    assert {"Update Plot", "Swap X-Y", "Save", "Load", "Export CSV",
            "Show/Hide Console"} <= texts
    assert window.percentages.text() == "Show percentages" and window.percentages.isChecked()
    assert window.bar_button.text() == "bar plot" and window.heatmap_button.text() == "heatmap"
    assert window.plot_kind == "proportions"


def test_plots_the_crosstab_of_the_chosen_columns(window):
    t = clustered_t()
    window.set_input(t)
    offered = [window.x_column.itemText(i) for i in range(window.x_column.count())]
    assert offered == ["stimulus", "cell_type", "FCLUSTER_LABELS"]  # no arrays, dicts, _BLOCK_
    window.x_column.set_value("stimulus")
    window.y_column.set_value("FCLUSTER_LABELS")
    assert window.update_plot(), window.status.details
    expected = pd.crosstab(t.df["stimulus"], t.df["FCLUSTER_LABELS"], normalize="index") * 100
    pd.testing.assert_frame_equal(window.table, expected, atol=1e-12, rtol=0)
    tops = np.sum([[p.get_height() for p in c] for c in window.ax.containers], axis=0)
    np.testing.assert_allclose(tops, 100.0, atol=1e-9)
    assert "45 rows" in window.status.text() and not window.status.is_problem

    window.percentages.setChecked(False)
    window.update_plot()
    pd.testing.assert_frame_equal(window.table,
                                  pd.crosstab(t.df["stimulus"], t.df["FCLUSTER_LABELS"]))

    window.swap_xy()
    assert window.x_column.value() == "FCLUSTER_LABELS"
    assert window.y_column.value() == "stimulus"
    pd.testing.assert_frame_equal(window.table,
                                  pd.crosstab(t.df["FCLUSTER_LABELS"], t.df["stimulus"]))

    window.heatmap_button.setChecked(True)
    window.update_plot()
    np.testing.assert_array_equal(window.ax.images[0].get_array(), window.table.to_numpy().T)


def test_problems_go_to_the_status_label(window):
    t = clustered_t()
    window.set_input(t)
    window.y_column.set_value(window.x_column.value())
    assert not window.update_plot()
    assert window.status.is_problem and "same column" in window.status.text()
    window.set_input(t.with_df(t.df.drop(columns=["stimulus", "cell_type", "FCLUSTER_LABELS"])))
    assert window.status.is_problem


def test_export_csv_and_ptrn_round_trip(window, qtbot, tmp_path):
    t = clustered_t()
    window.set_input(t)
    window.set_plot_state({"x_column": "cell_type", "y_column": "FCLUSTER_LABELS",
                           "percentages": True, "kind": "heatmap"})
    window.update_plot()
    csv = window.export_csv(tmp_path / "props.csv")
    back = pd.read_csv(csv, index_col=0)
    expected = proportions_table(t.df, "cell_type", "FCLUSTER_LABELS")
    np.testing.assert_allclose(back.to_numpy(), expected.to_numpy(), atol=1e-9)

    path = window.save_ptrn(tmp_path / "p.ptrn")
    other = ProportionsWidget()
    qtbot.addWidget(other)
    other.load_ptrn(path)
    assert other.get_plot_state() == window.get_plot_state()
    pd.testing.assert_frame_equal(other.table, window.table)
    pd.testing.assert_frame_equal(other.transmission.df.drop(columns=["_RAW_CURVE", "meta"]),
                                  t.df.drop(columns=["_RAW_CURVE", "meta"]))
    other.close()
    with pytest.raises(FormatVersionError, match="no controls"):
        window.set_plot_state({"bins": 3})


def test_guide_console_examples(window, tmp_path):
    window.set_input(clustered_t())
    window.x_column.set_value("stimulus")
    window.y_column.set_value("FCLUSTER_LABELS")
    window.update_plot()
    ns = {**window.console_namespace(), "get_plot_proportions": lambda: window}
    exec("get_plot_proportions().ax.legend().set_visible(True)\n"
         "get_plot_proportions().draw()\n", ns)
    assert window.ax.get_legend().get_visible()
    out = tmp_path / "amazing_shapes.png"
    exec(f"""# Desired size (width, height)
size = (7.0, 10.0)

# Get the figure
fig = get_plot_proportions().fig

# original size to reset the figure after we save it
orig_size = fig.get_size_inches()

#Set the desired size
fig.set_size_inches(size)

# Save the figure as an png file with 600 dpi
fig.savefig({str(out)!r}, dpi=600, bbox_inches='tight', pad_inches=0)

# Reset the figure size and draw
fig.set_size_inches(orig_size)
get_plot_proportions().draw()
""", ns)
    assert out.stat().st_size > 10000


def test_console_dock_runs_code(window):
    window.set_input(clustered_t())
    console = window.show_console()
    console.execute("this.percentages.setChecked(False); this.update_plot()")
    assert window.table.to_numpy().sum() == 45


def test_render_png(window, tmp_path):
    window.set_input(clustered_t())
    window.x_column.set_value("stimulus")
    window.y_column.set_value("FCLUSTER_LABELS")
    window.update_plot()
    window.resize(1000, 650)
    assert window.grab().save(str(tmp_path / "proportions_bar.png"))
    window.heatmap_button.setChecked(True)
    window.update_plot()
    assert window.grab().save(str(tmp_path / "proportions_heatmap.png"))
