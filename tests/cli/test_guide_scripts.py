"""The user guide's console examples (tests/cli/guide_scripts/) run through ``mesmerize exec``,
headless, against data made here; each test checks the example's effect."""
from __future__ import annotations

import ast
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import tifffile

from mesmerize.analysis.ops.node_spec import get_node_spec
from mesmerize.analysis.registry import get_operation
from mesmerize.analysis.transmission import Transmission
from mesmerize.core.batch import Batch
from mesmerize.core.project import Project, ProjectConfig
from tests.cli.test_exec import run_exec

SCRIPTS = Path(__file__).parent / "guide_scripts"
META = {"source": "AwesomeImager", "fps": 10.0, "date": "20190426_152034",
        "orig_meta": {"framerate": 10.0, "level_min": 323}}


def write_movie(path: Path, seed: int, n_t: int = 24, n_y: int = 40, n_x: int = 48) -> Path:
    """A uint16 TIFF ``(t, y, x)`` with a bright specimen in a dark border (auto-crop has
    something to find) and its meta data JSON beside it."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[:n_y, :n_x]
    specimen = np.exp(-(((y - n_y / 2) / (0.19 * n_y)) ** 2 + ((x - n_x / 2) / (0.17 * n_x)) ** 2))
    brightness = 20 + specimen[None] * (800 + 400 * rng.random(n_t)[:, None, None])
    path.parent.mkdir(parents=True, exist_ok=True)
    tifffile.imwrite(path, rng.poisson(brightness).astype(np.uint16))
    path.with_suffix(".json").write_text(json.dumps(META))
    return path


def script(name: str) -> str:
    return str(SCRIPTS / name)


def ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_every_guide_script_is_valid_python():
    for path in SCRIPTS.glob("*.py"):
        ast.parse(path.read_text(), str(path))


def test_view_meta_data_and_history_trace(tmp_path):
    movie = write_movie(tmp_path / "raw" / "a1_t1.tiff", 0)
    out = ok(run_exec([script("viewer_meta_history.py"), "--open", str(movie)], tmp_path))
    meta_line, history_line = out.splitlines()[:2]
    meta = ast.literal_eval(meta_line)
    assert meta["fps"] == 10.0 and meta["date"] == "20190426_152034"
    assert meta["orig_meta"]["level_min"] == 323
    assert history_line == "[]"


def test_open_image_with_tiff_module_and_with_imgdata_then_splice(tmp_path):
    movie = write_movie(tmp_path / "raw" / "a1_t1.tiff", 1)
    args = ["--set", f"movie_path={movie}", "--set", f"movie_meta_path={movie.with_suffix('.json')}"]
    out = ok(run_exec([script("viewer_open_tiff_module.py"), *args], tmp_path))
    assert "loaded (48, 40, 24)" in out.splitlines()
    out = ok(run_exec([script("viewer_open_imgdata.py"), *args], tmp_path))
    assert "spliced (48, 40, 6)" in out.splitlines()


def test_stimulus_maps_from_a_dataframe(tmp_path):
    movie = write_movie(tmp_path / "raw" / "a1_t1.tiff", 2)
    project = Project.create(tmp_path / "proj", ProjectConfig(stimulus_type_columns=["ori"]))
    csv = tmp_path / "stimulus.csv"
    pd.DataFrame({"ori": [90, 0, 45, 0, 135], "sf": 0.04, "tf": 2.0, "contrast": 1.0,
                  "start": [12, 0, 6, 18, 30], "end": [17, 5, 11, 23, 35]}).to_csv(csv, index=False)
    out = ok(run_exec([script("stimulus_maps_from_dataframe.py"), "--project", str(project.path),
                       "--open", str(movie), "--set", f"stimulus_csv={csv}"], tmp_path))
    # the period starting at frame 30 lies beyond the 24 frames and is trimmed off
    assert "periods 4 ['0', '45', '90']" in out.splitlines()


@pytest.mark.parametrize("name", ["motion_correction_add_items.py",
                                  "motion_correction_crop_and_add.py"])
def test_motion_correction_items_with_three_variants(tmp_path, name):
    raw = tmp_path / "raw"
    for i in range(2):  # large enough for the guide's 32 px denoising and 30 px padding
        write_movie(raw / f"a{i}_t1.tiff", 10 + i, n_t=12, n_y=160, n_x=200)
    batch_dir = tmp_path / "batch"
    out = ok(run_exec([script(name), "--batch", str(batch_dir), "--set", f"raw_dir={raw}"],
                      tmp_path, timeout_s=120))
    assert "Working on file 2 / 2" in out
    items = Batch.open(batch_dir).items
    assert [item.name for item in items] == ["a0_t1"] * 3 + ["a1_t1"] * 3
    strides = [item.params["strides"] for item in items]
    assert strides == [196, 256, 296] * 2
    assert all(item.params["gSig_filt"] in ((10, 10), [10, 10]) for item in items)
    if "crop" in name:
        assert "Cropping file: 2" in out
        cropped = [tifffile.imread(Batch.open(batch_dir).input_movie_path(item.uuid)).shape
                   for item in items[:1]]
        assert cropped[0][1] < 150 and cropped[0][2] < 180  # the dark border was cropped off


def _transmission_with_guide_history() -> Transmission:
    rng = np.random.default_rng(5)
    n, length = 24, 64
    curves = [np.sin(np.arange(length) / (2 + i % 4)) + rng.normal(0, 0.1, length)
              for i in range(n)]
    df = pd.DataFrame({"_RAW_CURVE": curves, "meta": [{"fps": 10.0}] * n,
                       "cell_name": ["atena", "cng"] * (n // 2)})
    t = Transmission.from_dataframe(df)
    t = get_operation("SpliceArrays")(t, data_column="_RAW_CURVE", indices="0:60")
    t = get_operation("Normalize")(t, data_column="_SPLICE_ARRAYS")
    t = get_operation("RFFT")(t, data_column="_NORMALIZE")
    t = get_operation("AbsoluteValue")(t, data_column="_RFFT")
    t = get_operation("LogTransform")(t, data_column="_ABSOLUTE_VALUE", transform="modlog10")
    t = get_operation("SpliceArrays")(t, data_column="_LOG_TRANSFORM", indices="0:20")
    linkage = get_node_spec("Linkage")(t, data_column="_SPLICE_ARRAYS", method="complete",
                                       optimal_ordering=True)
    return get_node_spec("FCluster")(linkage, t, None, None, criterion="maxclust",
                                     threshold=4.0)


def test_load_a_transmission_and_view_its_history(tmp_path):
    trn = tmp_path / "data.trn"
    _transmission_with_guide_history().to_hdf5(trn)
    out = ok(run_exec([script("transmission_history.py"), "--window", "flowchart",
                       "--set", f"trn_path={trn}"], tmp_path))
    assert ("['spawn_transmission', 'splice_arrays', 'normalize', 'rfft', 'absolute_value', "
            "'log_transform', 'splice_arrays', 'fcluster']") in out
    params = ast.literal_eval(out.strip().splitlines()[-1])
    assert params["threshold"] == 4.0 and params["criterion"] == "maxclust"
    assert params["linkage_params"]["method"] == "complete"


def test_cnmfe_corr_pnr_items_from_motion_corrected_items(tmp_path):
    movie = write_movie(tmp_path / "raw" / "a1_t1.tiff", 20, n_t=16, n_y=48, n_x=52)  # gSig 10 fits
    batch_dir = tmp_path / "batch"
    setup = ("mc = get_module('caiman_motion_correction', hide=True)\n"
             "params = mc.get_params()\n"
             "params.update(name_elas='a1_t1', max_shifts_x=2, max_shifts_y=2, strides=16, "
             "overlaps=8)\n"
             "mc.set_params(params)\n"
             "mc.add_to_batch()\n"
             "get_batch_manager().process_batch()\n")
    ok(run_exec(["-c", setup, "--open", str(movie), "--batch", str(batch_dir)], tmp_path,
                timeout_s=180))
    result = run_exec([script("cnmfe_add_corr_pnr_items.py"), "--batch", str(batch_dir)],
                      tmp_path, timeout_s=240)
    ok(result)
    items = Batch.open(batch_dir).items
    corr_pnr = [item for item in items if item.module != "caiman_motion_correction"]
    assert [(item.name, item.params["gSig"]) for item in corr_pnr] == [("a1_t1", 8),
                                                                      ("a1_t1", 10)]
    assert items[0].status == "finished"
    # start_ix = len(df) + 1 is the guide's own choice: the run starts after the first new item
    assert [item.status for item in corr_pnr] == ["pending", "finished"]


HEATMAP_EXPORT = SCRIPTS / "heatmap_export.py"


def test_heatmap_window_styling_and_export_from_a_trn_then_its_ptrn(tmp_path):
    trn = tmp_path / "data.trn"
    t = get_operation("ZScore")(_transmission_with_guide_history(), data_column="_NORMALIZE")
    t.to_hdf5(trn)
    png = tmp_path / "amazing_heatmap.png"
    ptrn = tmp_path / "heatmap.ptrn"
    out = ok(run_exec([str(HEATMAP_EXPORT), "--window", "heatmap", "--open", str(trn),
                       "--set", f"png_path={png}", "--set", f"ptrn_path={ptrn}"], tmp_path,
                      timeout_s=180))
    assert "rows 24" in out.splitlines()
    from PIL import Image

    with Image.open(png) as image:  # the guide's 2.0 x 2.5 inch figure at 300 dpi (tight box)
        assert image.info["dpi"][0] == pytest.approx(300, abs=1)
        assert 200 < image.size[0] <= 600 and 250 < image.size[1] <= 750
    # the saved plot opens in its window with --open FILE.ptrn
    out = ok(run_exec(["-c", "print('state', this.get_plot_state()['data_column'], "
                             "get_plot_area().data.shape)",
                       "--window", "heatmap", "--open", str(ptrn)], tmp_path))
    assert "state _ZSCORE (24, 60)" in out.splitlines()
    wrong = run_exec(["-c", "pass", "--window", "scatter", "--open", str(ptrn)], tmp_path)
    assert wrong.returncode == 2 and "heatmap plot" in wrong.stderr


def test_kshape_window_trains_and_the_guide_styling_examples_export(tmp_path):
    rng = np.random.default_rng(8)
    shapes = [np.sin(np.linspace(0, (k + 1) * np.pi, 50)) for k in range(12)]
    curves = [shapes[i % 12] + rng.normal(0, 0.05, 50) for i in range(72)]
    df = pd.DataFrame({"_RAW_CURVE": curves, "meta": [{"fps": 10.0}] * 72,
                       "cell_name": ["a", "b", "c"] * 24})
    trn = tmp_path / "shapes.trn"
    Transmission.from_dataframe(df).to_hdf5(trn)
    png = tmp_path / "amazing_shapes.png"
    out = ok(run_exec([script("kshape_styling.py"), "--window", "kshape", "--open", str(trn),
                       "--set", f"png_path={png}"], tmp_path, timeout_s=300))
    assert "trained (12, 50)" in out.splitlines()
    from PIL import Image

    with Image.open(png) as image:  # the 4 x 3 grid of cluster means, 7 x 10 inches at 300 dpi
        assert image.info["dpi"][0] == pytest.approx(300, abs=1)
        assert image.size[0] > 1000 and image.size[1] > 1500
