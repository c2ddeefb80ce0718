"""The desktop application's wiring: Welcome Window -> Viewer and Project Browser -> Viewer."""
import numpy as np

from mesmerize.cli.main import main
from mesmerize.core.project import Project
from mesmerize.demo.demo_project import build_demo_project
from mesmerize.demo.synthetic import SyntheticParams


def test_viewer_from_welcome_window_knows_the_project_columns(make_welcome, tmp_path):
    build_demo_project(tmp_path / "demo", SyntheticParams(shape=(40, 40, 40), n_neurons=3),
                       progress=lambda message: None)
    welcome = make_welcome()
    welcome.open_project(tmp_path / "demo" / "project")
    viewer = welcome.new_viewer()
    assert list(viewer.vi.viewer.workEnv.roi_manager.roi_type_columns) == ["cell_type"]
    assert viewer.get_module("stimulus_mapping").maps.keys() >= {"stimulus"}


def test_project_browser_sample_opens_in_a_viewer(make_welcome, tmp_path):
    build_demo_project(tmp_path / "demo", SyntheticParams(shape=(40, 40, 40), n_neurons=3),
                       progress=lambda message: None)
    welcome = make_welcome()
    welcome.open_project(tmp_path / "demo" / "project")
    sample_id = Project.open(tmp_path / "demo" / "project").sample_ids()[0]
    viewer = welcome._sample_opener(sample_id)
    welcome.windows.append(viewer)
    work_env = viewer.vi.viewer.workEnv
    assert work_env.sample_id == sample_id
    assert len(work_env.roi_manager.roi_list) == 3
    assert np.asarray(work_env.imgdata.seq).shape == (40, 40, 40)


def test_open_in_viewer_of_a_plot_opens_the_project_and_its_sample(make_welcome, tmp_path):
    from mesmerize.gui.plots.viewer_link import open_sample_in_viewer

    build_demo_project(tmp_path / "demo", SyntheticParams(shape=(40, 40, 40), n_neurons=3),
                       progress=lambda message: None)
    project_dir = tmp_path / "demo" / "project"
    sample_id = Project.open(project_dir).sample_ids()[0]
    welcome = make_welcome()
    assert welcome.get_project() is None
    viewer = open_sample_in_viewer(sample_id, str(project_dir))
    assert welcome.get_project().path.resolve() == project_dir.resolve()
    assert viewer in welcome.windows and viewer.vi.viewer.workEnv.sample_id == sample_id


def test_without_a_display_the_gui_explains_and_fails(monkeypatch, capsys):
    for var in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(var, raising=False)
    assert main([]) == 1
    assert "no display" in capsys.readouterr().err


def test_new_flowchart_lists_the_open_project(make_welcome, tmp_path):
    build_demo_project(tmp_path / "demo", SyntheticParams(shape=(40, 40, 40), n_neurons=3),
                       progress=lambda message: None)
    welcome = make_welcome()
    welcome.open_project(tmp_path / "demo" / "project")
    flowchart = welcome.new_flowchart()
    node = flowchart.add_node("LoadProjDF")
    assert node is not None
    assert "LoadProjDF" in flowchart.node_types()


def test_viewer_has_add_to_project_and_batch_manager_menus(make_welcome, tmp_path):
    welcome = make_welcome()
    viewer = welcome.new_viewer()
    assert viewer.menu_action("File", "Add to Project") is not None
    assert viewer.menu_action("Modules", "Batch Manager") is not None
