"""The Caiman Motion Correction, CNMF and CNMFE Viewer modules: the guide's scripts, errors shown
in the panels, and finished items (motion correction, CNMF, corr/PNR) opened in the Viewer."""
from __future__ import annotations

import os

import numpy as np
import pytest

from mesmerize.core import ImgData, ViewerWorkEnv
from mesmerize.core.batch import (
    Batch, BatchError, ItemKind, RunnerSettings, register_kind, unregister_kind,
)
from mesmerize.core.errors import ParameterError
from mesmerize.core.system_config import SystemConfig, save_system_config
from mesmerize.demo.synthetic import SyntheticParams, generate, write_synthetic_tiff
from mesmerize.gui.batch import BatchManagerWindow, install_batch_manager
from mesmerize.gui.batch.output_opener import CorrPNRWindow, open_item_output, output_opener_for
from mesmerize.gui.console import build_viewer_namespace

# The guide's "Add items" script (chapter 14.2.1); only the glob path is adapted and the
# guide's typo '"gSig_filt" (10, 10)' (a missing colon) fixed.
GUIDE_MC_SCRIPT = '''
from glob import glob
import os
mc_params = {
    "max_shifts_x": 6,
    "max_shifts_y": 6,
    "iters_rigid": 2,
    "name_rigid": "Does not matter",
    "max_dev": 3,
    "strides": 196,
    "overlaps": 98,
    "upsample": 4,
    "name_elas": "will set later per file",
    "output_bit_depth": "Do not convert",
    "gSig_filt": (10, 10)
}
files = glob(RAW_DIR + "/*.tiff")
files.sort()
for i, path in enumerate(files):
    print("Working on file " + str(i + 1) + " / " + str(len(files)))
    meta_path = path[:-5] + ".json"
    work_env = ViewerWorkEnv.from_tiff(path, "asarray-multi", meta_path)
    mc_module = get_module("caiman_motion_correction", hide=True)
    name = os.path.basename(path)[:-5]
    mc_params["name_elas"] = name
    mc_module.set_input_workEnv(work_env)
    mc_params["strides"] = 196
    mc_params["overlaps"] = 98
    mc_module.set_params(mc_params)
    mc_module.add_to_batch()
    mc_params["strides"] = 256
    mc_params["overlaps"] = 128
    mc_module.set_params(mc_params)
    mc_module.add_to_batch()
    mc_params["strides"] = 296
    mc_params["overlaps"] = 148
    mc_module.set_params(mc_params)
    mc_module.add_to_batch()
'''


@pytest.fixture
def batch(tmp_path):
    save_system_config(SystemConfig(max_threads=1))
    return Batch.create(tmp_path / "batch")


@pytest.fixture
def bm_window(qtbot, batch, viewer):
    window = BatchManagerWindow(batch, runner_settings=RunnerSettings())
    qtbot.addWidget(window)
    install_batch_manager(viewer, window)
    return window


def test_guide_motion_correction_script_adds_three_variants(tmp_path, viewer, bm_window, batch):
    raw = tmp_path / "raw"
    raw.mkdir()
    write_synthetic_tiff(raw / "a1_t1.tiff", SyntheticParams(shape=(20, 32, 32), n_neurons=3))
    namespace = build_viewer_namespace(viewer)
    namespace["RAW_DIR"] = str(raw)
    exec(GUIDE_MC_SCRIPT, namespace)
    items = batch.items
    assert [(i.module, i.name) for i in items] == [("caiman_motion_correction", "a1_t1")] * 3
    assert [(i.params["strides"], i.params["overlaps"]) for i in items] == [
        (196, 98), (256, 128), (296, 148)]
    for item in items:
        assert item.params["gSig_filt"] == [10, 10] and item.params["iters_rigid"] == 2
        info = batch.input_work_env_info(item.uuid)
        assert info["meta"]["fps"] == 10.0
        assert info["history_trace"] == []
    assert viewer.vi.work_env.is_empty, "the script's input does not replace the Viewer's"
    module = viewer.module_widget("caiman_motion_correction")
    assert not viewer.module_dock("caiman_motion_correction").isVisible()
    assert module.form.widgets["strides"].value() == 296


def test_invalid_params_are_shown_and_nothing_is_added(loaded_viewer, bm_window, batch, qtbot):
    loaded_viewer.get_module("caiman_motion_correction")
    mc = loaded_viewer.module_widget("caiman_motion_correction")
    mc.form.widgets["strides"].setValue(10)
    mc.form.widgets["overlaps"].setValue(20)
    qtbot.keyClicks(mc.form.widgets["name_elas"], "x")
    assert mc.params["strides"] == 10 and mc.params["overlaps"] == 20
    mc.add_button.click()
    assert "overlaps" in mc.last_error and "overlaps" in mc.error_label.text()
    assert batch.items == []
    with pytest.raises(ParameterError, match="overlaps"):
        mc.set_params({"strides": 50, "overlaps": 60})
    with pytest.raises(ParameterError, match="unknown motion correction parameter"):
        mc.set_params({"stride": 50})
    assert mc.get_params()["strides"] == 10, "a refused set_params changes nothing"

    cnmf = loaded_viewer.get_module("cnmf")
    cnmf_widget = loaded_viewer.module_widget("cnmf")
    cnmf_widget.add_button.click()
    assert "enter a name" in cnmf_widget.last_error
    with pytest.raises(ParameterError, match="p"):
        cnmf.set_params({"p": 3})
    with pytest.raises(ParameterError, match="Input"):
        cnmf.set_params({"Input": "Somewhere else"})

    cnmfe = loaded_viewer.get_module("cnmfe")
    cnmfe.set_params({"gSig": 12, "name_corr_pnr": "big"})
    cnmfe.corr_pnr_button.click()
    assert "too large" in cnmfe.last_error, "gSiz 49 does not fit the 32x40 movie"
    assert batch.items == []

    mc.form.widgets["strides"].setValue(30)
    mc.add_button.click()
    assert mc.last_error is None and mc.error_label.text() == ""
    assert len(batch.items) == 1 and batch.items[0].params["strides"] == 30


def test_no_batch_manager_is_a_clear_error(loaded_viewer):
    mc = loaded_viewer.get_module("caiman_motion_correction", hide=True)
    mc.set_params({"name_elas": "a"})
    with pytest.raises(BatchError, match="Batch Manager"):
        mc.add_to_batch()


def test_round_trip_motion_correction_cnmf_corr_pnr(tmp_path, viewer, bm_window, batch, qtbot):
    movie = generate(SyntheticParams(shape=(200, 40, 40), n_neurons=5, neuron_radius=3.0,
                                     max_shift=1, seed=3))
    viewer.vi.viewer.workEnv = ViewerWorkEnv(ImgData(movie.movie.T, movie.meta))
    viewer.vi.update_workEnv()
    mc = viewer.get_module("caiman_motion_correction")
    mc.set_params({"max_shifts_x": 4, "max_shifts_y": 4, "strides": 24, "overlaps": 8,
                   "upsample": 2, "name_elas": "cells"})
    mc_uuid = mc.add_to_batch()
    assert batch.process_batch(wait=True).results == {mc_uuid: "finished"}

    bm = build_viewer_namespace(viewer)["get_batch_manager"]()
    bm.load_item_output(module="caiman_motion_correction", viewers=viewer, UUID=mc_uuid)
    assert viewer.vi.work_env.history_trace == [{"caiman_motion_correction":
                                                 batch.get_item(mc_uuid).params}]
    cnmf = viewer.get_module("cnmf")
    params = {"Input": "Current Work Environment", "p": 1, "gnb": 1, "merge_thresh": 0.8,
              "rf": None, "stride_cnmf": 6, "k": 5, "gSig": 3, "min_SNR": 1.5,
              "rval_thr": 0.5, "cnn_thr": 0.8, "decay_time": 0.4, "name_cnmf": "cells",
              "refit": False}
    cnmf.set_params(params)
    cnmf_uuid = cnmf.add_to_batch_cnmf()
    cnmfe = viewer.get_module("cnmfe", hide=True)
    cnmfe_params = cnmfe.get_params()
    cnmfe_params.update(gSig=3, name_corr_pnr="cells")
    cnmfe.set_params(cnmfe_params)
    corr_uuid = cnmfe.add_to_batch_corr_pnr()
    assert batch.get_item(cnmf_uuid).params == params
    assert batch.get_item(corr_uuid).params["do_corr_pnr"] is True
    runner = batch.process_batch(start_ix=1, wait=True)
    assert runner.results == {cnmf_uuid: "finished", corr_uuid: "finished"}, \
        batch.get_item(cnmf_uuid).error

    viewer.vi.clear_workEnv()
    opener = output_opener_for(bm_window)
    work_env = opener(batch, cnmf_uuid)
    assert viewer.vi.work_env is work_env
    result = batch.load_item_output(cnmf_uuid)
    manager = work_env.roi_manager
    assert manager.mode == "cnmf"
    assert len(manager.roi_list) == len(result.idx_components) >= 1
    assert work_env.imgdata.seq.shape == (40, 40, 200)
    assert [list(h) for h in work_env.history_trace] == [["caiman_motion_correction"],
                                                         ["cnmf"]]
    assert work_env.history_trace[1]["cnmf"] == params
    roi_module = viewer.module_widget("roi_manager")
    assert roi_module.roi_list_widget.count() == len(result.idx_components)

    window = open_item_output(batch, corr_uuid, viewer)
    qtbot.addWidget(window)
    assert isinstance(window, CorrPNRWindow)
    corr = batch.load_item_output(corr_uuid)
    window.corr_slider.set_value(0.5)
    window.pnr_slider.set_value(2.0)
    expected = (corr.corr >= window.min_corr) & (corr.pnr >= window.min_pnr)
    assert np.array_equal(window.passing_mask(), expected)
    window.set_button.click()
    assert cnmfe.get_params()["min_corr"] == pytest.approx(window.min_corr, abs=1e-3)
    assert cnmfe.get_params()["min_pnr"] == pytest.approx(window.min_pnr, abs=1e-3)

    out = os.environ.get("MESMERIZE_TEST_OUTPUT", str(tmp_path))
    viewer.get_module("caiman_motion_correction")
    viewer.get_module("cnmf")
    viewer.get_module("cnmfe")
    for name in ("caiman_motion_correction", "cnmf", "cnmfe"):
        widget = viewer.module_widget(name)
        content = widget.scroll_area.widget()
        widget.resize(content.sizeHint().width() + 20, content.sizeHint().height() + 40)
        assert widget.grab().save(os.path.join(out, f"module_{name}.png"))
    window.resize(1000, 560)
    assert window.grab().save(os.path.join(out, "corr_pnr_window.png"))
    assert viewer.grab().save(os.path.join(out, "viewer_cnmf_components.png"))


def test_cnmfe_items_carry_the_guide_params(loaded_viewer, bm_window, batch):
    # Only adding is tested here, so the cnmfe kind points at an importable engine function.
    register_kind(ItemKind("cnmfe", "mesmerize.engines.cnmfe:corr_pnr",
                           "mesmerize.engines.cnmf:CNMFResult.load", fps_kwarg="fr"))
    try:
        cnmfe = loaded_viewer.get_module("cnmfe", hide=True)
        params = cnmfe.get_params()
        params.update(gSig=2, min_corr=0.7, min_pnr=6, name_corr_pnr="c1", name_cnmfe="e1",
                      k=4, rf=10, stride=5)
        cnmfe.set_params(params)
        corr = cnmfe.add_to_batch_corr_pnr()
        fit = cnmfe.add_to_batch_cnmfe()
    finally:
        unregister_kind("cnmfe")
    items = {i.uuid: i for i in batch.items}
    assert (items[corr].module, items[corr].name) == ("corr_pnr", "c1")
    assert (items[fit].module, items[fit].name) == ("cnmfe", "e1")
    assert items[fit].params == {**params, "do_corr_pnr": False, "do_cnmfe": True}
    assert items[corr].params["do_corr_pnr"] is True and items[corr].params["gSig"] == 2
    widget = loaded_viewer.module_widget("cnmfe")
    assert widget.cnmfe_form.widgets["min_pnr"].value() == 6
    assert widget.cnmfe_form.widgets["rf"].value() == 10
    widget.cnmfe_form.widgets["rf"].setValue(0)
    assert cnmfe.get_params()["rf"] is None, "the lowest rf shows 'None' and means None"
