"""Render the screenshots of the user guide from the real windows, offscreen.

``python docs/make_screenshots.py [--out docs/screenshots]`` builds a small demo project
(``mesmerize.demo``) in a temporary directory, opens the Welcome Window on it, the Viewer on its
sample (movie and ROIs), a Batch Manager with queued motion-correction and CNMF items, the
Project Browser, a Flowchart with a few connected nodes, a Heatmap of the z-scored curves and a
Beeswarm of peak features, and saves one PNG per window (downscaled to at most ``MAX_WIDTH``
pixels wide so that each stays under about 300 kB). The Welcome Window is shot last, after the
flowchart and the heatmap were saved into the project, so its lists show them. Nothing outside
the temporary directory and ``--out`` is written: the recent-projects list and the console
history go to a temporary configuration directory. Runs in about ten seconds.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

SCREENSHOT_NAMES = ("welcome", "viewer", "batch_manager", "project_browser", "flowchart",
                    "heatmap", "beeswarm")
"""The PNG files (without ``.png``) this script writes."""

MAX_WIDTH = 1100
"""Screenshots wider than this many pixels are scaled down (smooth) to this width."""

DEFAULT_OUT = Path(__file__).resolve().parent / "screenshots"
REPO_ROOT = Path(__file__).resolve().parent.parent


def _demo_params():
    from mesmerize.demo.synthetic import SyntheticParams

    return SyntheticParams(shape=(300, 96, 96), n_neurons=12, fps=10.0, neuron_radius=4.0,
                           mode="2p", max_shift=1.0, seed=3)


def save_png(widget: Any, path: Path) -> Path:
    """Grab ``widget`` (a shown QWidget) and save it as an RGB PNG at most ``MAX_WIDTH`` wide."""
    from qtpy import QtCore, QtGui

    image = widget.grab().toImage()
    if image.width() > MAX_WIDTH:
        image = image.scaledToWidth(MAX_WIDTH, QtCore.Qt.SmoothTransformation)
    image = image.convertToFormat(QtGui.QImage.Format_RGB888)
    if not image.save(str(path), "PNG", 9):
        raise OSError(f"could not write the screenshot {path}")
    return path


def _settle(app: Any, seconds: float = 0.3) -> None:
    """Let Qt lay out, paint and deliver pending events for ``seconds``."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def _viewer_shots(welcome: Any, summary: dict, batch_dir: Path) -> tuple[Any, Any]:
    """The Viewer on the demo sample and the Batch Manager with two queued items."""
    from mesmerize.gui.batch import BatchManagerWindow, install_batch_manager

    project = welcome.get_project()
    # as a double-click on the SampleID in the Project Browser does
    welcome.open_project_browser().open_sample.emit(summary["sample_id"])
    viewer = welcome.windows[-1]
    viewer.resize(1200, 800)
    viewer.get_module("roi_manager")
    batch_window = BatchManagerWindow()
    batch_window.new_batch(batch_dir)
    install_batch_manager(viewer, batch_window)
    work_env = project.load_sample(summary["sample_id"])
    motion = viewer.get_module("caiman_motion_correction", hide=True)
    motion.set_input_workEnv(work_env)
    motion.set_params({**motion.get_params(), "name_elas": "demo_mc"})
    motion.add_to_batch()
    cnmf = viewer.get_module("cnmf", hide=True)
    cnmf.set_input_workEnv(work_env)
    cnmf.set_params({**cnmf.get_params(), "name_cnmf": "demo_cnmf", "k": 12, "gSig": 4})
    cnmf.add_to_batch_cnmf()
    batch_window.refresh_items()
    batch_window.resize(1000, 600)
    batch_window.show()
    return viewer, batch_window


def _flowchart(welcome: Any) -> Any:
    """LoadProjDF -> ZScore -> Normalize, with ZScore's output shown in a ViewTransmission."""
    window = welcome.new_flowchart()
    window.set_run_in_background(False)
    window.resize(1200, 750)
    load = window.add_node("LoadProjDF", pos=(0, 0))
    zscore = window.add_node("ZScore", pos=(170, 0))
    norm = window.add_node("Normalize", pos=(340, -40))
    view = window.add_node("ViewTransmission", pos=(340, 60))
    window.connect_nodes(load, zscore)
    window.connect_nodes(zscore, norm)
    window.connect_nodes(zscore, view)
    load.set_apply(True)
    zscore.controls.set_values({"data_column": "_RAW_CURVE", "group_by": "uuid_curve"})
    zscore.set_apply(True)
    norm.controls.set_values({"data_column": "_ZSCORE"})
    norm.set_apply(True)
    window.reset_view()
    return window


def _plots(project: Any) -> tuple[Any, Any]:
    """A Heatmap of the z-scored curves and a Beeswarm of their peak features."""
    from mesmerize.analysis import Transmission, get_operation
    from mesmerize.gui.plots.beeswarm import BeeswarmPlotWindow
    from mesmerize.gui.plots.heatmap import HeatmapTracerWidget

    t = Transmission.from_proj_df(project.dataframe, project, "root", [])
    z = get_operation("ZScore")(t, data_column="_RAW_CURVE", group_by="uuid_curve")
    heatmap = HeatmapTracerWidget()
    heatmap.resize(1200, 750)
    heatmap.show()
    heatmap.set_input(z)
    heatmap.update_plot()
    heatmap.select_row(1)

    norm = get_operation("Normalize")(z, data_column="_ZSCORE")
    deriv = get_operation("Derivative")(norm, data_column="_NORMALIZE")
    peaks = get_operation("PeakDetect")(z, deriv, norm, None, data_column="_ZSCORE",
                                        AmplThrRel=0.2, Fictional_Bases=True)
    features = get_operation("PeakFeatures")(peaks, data_column="_ZSCORE")
    beeswarm = BeeswarmPlotWindow()
    beeswarm.resize(1200, 700)
    beeswarm.show()
    beeswarm.set_input(features)
    beeswarm.set_data_columns(["_pf_ampl_rel_b_mean", "_pf_area_rel_min"])
    beeswarm.group_column.set_value("cell_type")
    beeswarm.apply_button.click()
    return heatmap, beeswarm


def make_screenshots(out_dir: Path, progress: Callable[[str], Any] = print) -> list[Path]:
    """Build the demo project and write ``SCREENSHOT_NAMES`` as PNGs into ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mesmerize_shots_") as tmp:
        tmp_path = Path(tmp)
        os.environ["MESMERIZE_CONFIG_DIR"] = str(tmp_path / "config")
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        from qtpy import QtWidgets

        from mesmerize.core.project.layout import FLOWCHARTS_DIR, PLOTS_DIR
        from mesmerize.demo.demo_project import build_demo_project
        from mesmerize.gui.app import build_welcome_window

        app = QtWidgets.QApplication.instance() or QtWidgets.QApplication(["mesmerize"])
        progress("Building the demo project")
        summary = build_demo_project(tmp_path / "demo", _demo_params(), progress=lambda m: None)
        written = []

        def shoot(name: str, widget: Any) -> None:
            _settle(app)
            written.append(save_png(widget, out_dir / f"{name}.png"))
            progress(f"  {written[-1]} ({written[-1].stat().st_size // 1024} kB)")

        welcome = build_welcome_window()
        welcome.resize(1000, 700)
        welcome.show()
        welcome.open_project(summary["project_path"])
        project_dir = Path(summary["project_path"])
        viewer, batch_window = _viewer_shots(welcome, summary, tmp_path / "batch")
        shoot("viewer", viewer)
        shoot("batch_manager", batch_window)
        browser = welcome.open_project_browser()
        browser.resize(1200, 600)
        shoot("project_browser", browser)
        flowchart = _flowchart(welcome)
        shoot("flowchart", flowchart)
        heatmap, beeswarm = _plots(welcome.get_project())
        shoot("heatmap", heatmap)
        shoot("beeswarm", beeswarm)
        # the Welcome Window last, listing the flowchart and the plot saved in the project
        flowchart.save_fc(project_dir / FLOWCHARTS_DIR / "zscore_normalize.fc")
        heatmap.save_ptrn(project_dir / PLOTS_DIR / "zscore_heatmap.ptrn")
        welcome.refresh_project_files()
        welcome.raise_()
        shoot("welcome", welcome)
        for widget in app.topLevelWidgets():
            widget.close()
        _settle(app, 0.2)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help=f"where the PNGs go (default {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))  # run from a source checkout without installing
    start = time.monotonic()
    make_screenshots(args.out)
    print(f"Done in {time.monotonic() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
