"""CNMFE module: "Inspect Correlation & PNR" and "Perform CNMF-E" batch items (guide chapter
"CNMFE").

Script use (the guide's names)::

    cnmfe_mod = get_module('cnmfe', hide=True)
    params = cnmfe_mod.get_params()
    params['gSig'] = 8; params['name_corr_pnr'] = name
    cnmfe_mod.set_params(params)
    cnmfe_mod.add_to_batch_corr_pnr()   # a "corr_pnr" item named name_corr_pnr
    cnmfe_mod.add_to_batch_cnmfe()      # a "cnmfe" item named name_cnmfe

Double-clicking a finished corr_pnr item opens the correlation/PNR inspection window whose
sliders write ``min_corr`` / ``min_pnr`` back here (``mesmerize.gui.batch.output_opener``). The
frame rate comes from the input's meta data (``fps``). Each item's ``{module: params}`` entry is
appended to the history trace of its output by the batch runner.
"""
from __future__ import annotations

from typing import Any, Mapping

from mesmerize.engines.cnmfe.params import CNMFEParams
from mesmerize.gui.viewer.modules.cnmf import INPUTS, check_input_choice
from mesmerize.gui.viewer.modules.param_form import BatchModule, Field, ParamForm

KIND_CORR_PNR = "corr_pnr"
KIND_CNMFE = "cnmfe"

DEFAULTS: dict[str, Any] = {
    "Input": INPUTS[0], "gSig": 3, "bord_px": 0, "min_corr": 0.8, "min_pnr": 10.0,
    "min_SNR": 3.0, "r_values_min": 0.85, "decay_time": 0.4, "rf": None, "stride": 20,
    "gnb": 0, "nb_patch": 0, "k": 30, "name_corr_pnr": "", "name_cnmfe": "",
    "do_corr_pnr": False, "do_cnmfe": False,
}

CORR_PNR_FIELDS = (
    Field("Input", "Input", "choice", "The movie to analyse: the Viewer's current work "
          "environment (or the one given to set_input_workEnv in a script).", choices=INPUTS),
    Field("gSig", "gSig", "int", "Expected neuron radius in pixels (>= 1): width of the "
          "high-pass filter applied before the correlation and PNR images. Default 3.", 1, 1000),
    Field("name_corr_pnr", "Name", "text", "Name of the 'Inspect Correlation and PNR' batch "
          "item (the guide's name_corr_pnr)."),
)

CNMFE_FIELDS = (
    Field("min_corr", "min_corr", "float", "Smallest local correlation (0..1) of a seed pixel; "
          "pick it in the Correlation & PNR inspection window. Default 0.8.", 0, 1, 3, 0.01),
    Field("min_pnr", "min_pnr", "float", "Smallest peak-to-noise ratio (>= 0) of a seed pixel; "
          "pick it in the Correlation & PNR inspection window. Default 10.", 0, 10000, 2, 0.5),
    Field("bord_px", "bord_px", "int", "Pixels at each edge where no seed is taken (the "
          "motion correction border, >= 0). Default 0.", 0, 10000),
    Field("min_SNR", "min_SNR", "float", "Traces with an SNR below this are rejected (>= 0). "
          "Default 3.", 0, 1000, 2, 0.1),
    Field("r_values_min", "r_values_min", "float", "Spatial consistency threshold (-1..1). "
          "Default 0.85.", -1, 1, 2, 0.05),
    Field("decay_time", "decay_time", "float", "Decay time of the indicator in seconds (> 0). "
          "Default 0.4.", 0.01, 1000, 2, 0.1),
    Field("rf", "rf", "int_none", "Half-size of a patch in pixels; None (default) runs on the "
          "whole field of view.", 0, 10000),
    Field("stride", "stride", "int", "Overlap between patches in pixels (smaller than 2*rf). "
          "Default 20.", 0, 10000),
    Field("gnb", "gnb", "int", "Global background: 0 ring model, -1 full rank, > 0 rank of a "
          "low-rank approximation. Default 0.", -1, 100),
    Field("nb_patch", "nb_patch", "int", "Background per patch, same meaning as gnb. "
          "Default 0.", -1, 100),
    Field("k", "k", "int", "Largest number of components initialised per patch. Default 30.",
          0, 100000),
    Field("name_cnmfe", "Name", "text", "Name of the 'Perform CNMF-E' batch item (the guide's "
          "name_cnmfe)."),
)


class CNMFEModule(BatchModule):
    """Parameter forms and batch entries of CNMF-E (1-photon source extraction)."""

    name = "cnmfe"
    title = "CNMFE"

    def __init__(self, vi, parent=None) -> None:
        super().__init__(vi, parent)
        self.params: dict[str, Any] = dict(DEFAULTS)
        self.corr_pnr_form = ParamForm(CORR_PNR_FIELDS, self.params)
        self.cnmfe_form = ParamForm(CNMFE_FIELDS, self.params)
        self.corr_pnr_button = self.add_section(
            "Inspect Correlation and PNR", self.corr_pnr_form, "Add to batch",
            self._add_corr_pnr_current)
        self.cnmfe_button = self.add_section(
            "Perform CNMF-E", self.cnmfe_form, "Add to batch", self._add_cnmfe_current)
        self.forms = (self.corr_pnr_form, self.cnmfe_form)
        self.finish_layout()

    def validate_params(self, params: Mapping[str, Any]) -> None:
        """Refuse parameters CNMF-E cannot run with (``ParameterError``)."""
        check_input_choice(params)
        CNMFEParams.from_dict(params)

    def add_to_batch_corr_pnr(self) -> str:
        """Add an "Inspect Correlation and PNR" item named ``name_corr_pnr``; returns its UUID."""
        return self._add(KIND_CORR_PNR, self.input_work_env())

    def add_to_batch_cnmfe(self) -> str:
        """Add a "Perform CNMF-E" item named ``name_cnmfe``; returns its UUID."""
        return self._add(KIND_CNMFE, self.input_work_env())

    def _add_corr_pnr_current(self) -> str:
        return self._add(KIND_CORR_PNR, self.vi.work_env)

    def _add_cnmfe_current(self) -> str:
        return self._add(KIND_CNMFE, self.vi.work_env)

    def _add(self, kind: str, work_env) -> str:
        params = self.get_params()
        params["do_corr_pnr"] = kind == KIND_CORR_PNR
        params["do_cnmfe"] = kind == KIND_CNMFE
        check_input_choice(params)
        validated = CNMFEParams.from_dict(params)
        if not work_env.is_empty:
            seq = work_env.imgdata.seq
            validated.check_fov((seq.shape[1], seq.shape[0]))
        name = params["name_corr_pnr" if kind == KIND_CORR_PNR else "name_cnmfe"]
        return self.add_item(kind, name, params, work_env)
