"""CNMF module: CNMF parameters and "Add to batch" (guide chapter "CNMF").

Script use (the guide's names)::

    cnmf_mod = get_module('cnmf')
    cnmf_mod.set_params(params)   # the guide's dict; validated by CNMFParams
    cnmf_mod.add_to_batch_cnmf()  # item named params['name_cnmf'], input: the work environment

The frame rate comes from the input's meta data (``fps``). The item's ``{"cnmf": params}``
entry is appended to the history trace of its output by the batch runner.
"""
from __future__ import annotations

from typing import Any, Mapping

from mesmerize.core.errors import ParameterError
from mesmerize.engines.cnmf.params import CNMFParams
from mesmerize.gui.viewer.modules.param_form import BatchModule, Field, ParamForm

KIND = "cnmf"
INPUTS = ("Current Work Environment",)

DEFAULTS: dict[str, Any] = {
    "Input": INPUTS[0], "p": 1, "gnb": 1, "merge_thresh": 0.8, "rf": None, "stride_cnmf": 6,
    "k": 30, "gSig": 4, "min_SNR": 2.5, "rval_thr": 0.8, "cnn_thr": 0.8, "decay_time": 0.4,
    "name_cnmf": "", "refit": False,
}

FIELDS = (
    Field("Input", "Input", "choice", "The movie CNMF runs on: the Viewer's current work "
          "environment (or the one given to set_input_workEnv in a script).", choices=INPUTS),
    Field("p", "p", "int", "Order of the autoregressive model of the calcium dynamics: 0, 1 "
          "(fast rise) or 2 (visible rise). Default 1.", 0, 2),
    Field("gnb", "gnb", "int", "Number of global background components (>= 0; 0 removes a "
          "static per-pixel background instead). Default 1.", 0, 100),
    Field("merge_thresh", "merge_thresh", "float", "Temporal correlation above which "
          "overlapping components are merged (-1..1). Default 0.8.", -1, 1, 2, 0.05),
    Field("rf", "rf", "int_none", "Half-size of a patch in pixels; None (default) runs on the "
          "whole field of view without patches.", 0, 10000),
    Field("stride_cnmf", "stride_cnmf", "int", "Overlap between patches in pixels (smaller "
          "than 2*rf). Default 6.", 0, 10000),
    Field("k", "k", "int", "Components initialised per patch (or in the whole field of view "
          "without patches). Default 30.", 0, 100000),
    Field("gSig", "gSig", "int", "Expected neuron radius in pixels (half-width of the Gaussian "
          "kernel, >= 1). Default 4.", 1, 1000),
    Field("min_SNR", "min_SNR", "float", "Traces with a peak SNR below this are rejected "
          "(>= 0). Default 2.5.", 0, 1000, 2, 0.1),
    Field("rval_thr", "rval_thr", "float", "Spatial consistency threshold: components whose "
          "footprint correlates less with the movie are rejected (-1..1). Default 0.8.",
          -1, 1, 2, 0.05),
    Field("cnn_thr", "cnn_thr", "float", "CaImAn's CNN classifier threshold (0..1). The CNN "
          "classifier is not available in Mesmerize: recorded, not used.", 0, 1, 2, 0.05),
    Field("decay_time", "decay_time", "float", "Decay time of the indicator in seconds "
          "(> 0; e.g. 0.4 for GCaMP6f). Default 0.4.", 0.01, 1000, 2, 0.1),
    Field("refit", "refit", "bool", "Run the fit a second time seeded with the accepted "
          "components."),
    Field("name_cnmf", "Name", "text", "Name of the batch item (the guide's name_cnmf)."),
)


def check_input_choice(params: Mapping[str, Any]) -> None:
    """Refuse an ``Input`` other than the ones the module offers."""
    if params.get("Input", INPUTS[0]) not in INPUTS:
        raise ParameterError(f"'Input' must be one of {list(INPUTS)}, got {params['Input']!r}")


class CNMFModule(BatchModule):
    """Parameter form and batch entry of CNMF (2-photon source extraction)."""

    name = KIND
    title = "CNMF"

    def __init__(self, vi, parent=None) -> None:
        super().__init__(vi, parent)
        self.params: dict[str, Any] = dict(DEFAULTS)
        self.form = ParamForm(FIELDS, self.params)
        self.forms = (self.form,)
        self.add_button = self.add_section("CNMF", self.form, "Add to batch", self._add_current)
        self.finish_layout()

    def validate_params(self, params: Mapping[str, Any]) -> None:
        """Refuse parameters CNMF cannot run with (``ParameterError``)."""
        check_input_choice(params)
        CNMFParams.from_dict(params)

    def add_to_batch_cnmf(self) -> str:
        """Add a CNMF item with the current parameters, named ``name_cnmf``, taking the work
        environment of ``set_input_workEnv`` (else the Viewer's) as input; returns its UUID."""
        return self._add(self.input_work_env())

    def _add_current(self) -> str:
        return self._add(self.vi.work_env)

    def _add(self, work_env) -> str:
        params = self.get_params()
        self.validate_params(params)
        return self.add_item(KIND, params.get("name_cnmf"), params, work_env)
