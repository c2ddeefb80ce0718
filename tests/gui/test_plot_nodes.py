"""Display nodes: each feeds its plot window (``node.plot_widget``) with the input Transmission."""
import pytest

from mesmerize.gui.plots.kinds import DISPLAY_NODES
from tests.gui.test_flowchart import new_window, trn_path  # noqa: F401


@pytest.fixture
def window(qtbot):
    window = new_window(qtbot)
    yield window
    window.close()


def test_every_display_node_feeds_its_plot(window, trn_path, qtbot):  # noqa: F811
    load = window.add_node("LoadFile", pos=(0, 0))
    load.set_path(trn_path)
    for i, (name, widget_class) in enumerate(DISPLAY_NODES.items()):
        node = window.add_node(name, pos=(200, 60 * i))
        assert type(node.plot_widget) is widget_class
        window.connect_nodes(load, node)
        assert node.plot_widget.transmission is load.t
        assert name in node.plot_widget.windowTitle()
    heatmap = window.get_nodes()["Heatmap.0"]
    qtbot.mouseClick(heatmap.show_button, 1)
    assert heatmap.plot_widget.isVisible()
    # the guide's console access: get_nodes()['Heatmap.0'].plot_widget
    assert window.get_nodes()["Heatmap.0"].plot_widget is heatmap.plot_widget
    window.close()
    assert not heatmap.plot_widget.isVisible()


def test_disconnecting_clears_the_plot_input_and_fc_keeps_display_nodes(window, trn_path,  # noqa: F811
                                                                        tmp_path):
    load = window.add_node("LoadFile", pos=(0, 0))
    load.set_path(trn_path)
    node = window.add_node("Plot", pos=(200, 0))
    window.connect_nodes(load, node)
    assert node.plot_widget.transmission is not None
    node["In"].disconnectAll()
    assert node.plot_widget.transmission is None
    window.connect_nodes(load, node)
    path = window.save_fc(tmp_path / "plots.fc")
    window.load_fc(path)
    restored = window.get_nodes()["Plot.0"]
    assert restored.plot_widget.transmission is not None
    assert window.connections() == [["LoadFile.0", "Out", "Plot.0", "In"]]


def test_kshape_node_feeds_its_plot_with_its_input(window, trn_path, qtbot):  # noqa: F811
    load = window.add_node("LoadFile", pos=(0, 0))
    load.set_path(trn_path)
    kshape = window.add_node("KShape", pos=(200, 0))
    window.connect_nodes(load, kshape)
    assert not kshape.applied() and kshape.t is None  # Apply off: the node computes nothing
    assert kshape.plot_widget.transmission is load.t  # but the plot has the input to train on
    qtbot.mouseClick(kshape.show_button, 1)
    assert kshape.plot_widget.isVisible()
    window.close()
    assert not kshape.plot_widget.isVisible()
