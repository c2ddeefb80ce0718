"""Caiman Motion Correction module: NoRMCorre parameters and "Add to batch" (guide chapter 14).

Script use (the guide's names)::

    mc = get_module("caiman_motion_correction", hide=True)
    mc.set_input_workEnv(ViewerWorkEnv.from_tiff(path, "asarray-multi", meta_path))
    mc.set_params(mc_params)      # the guide's dict; validated by MotionCorrectionParams
    mc.add_to_batch()             # item named params["name_elas"]

The item's ``{"caiman_motion_correction": params}`` entry is appended to the history trace of
its output work environment by the batch runner, so it is in ``get_workEnv().history_trace``
once the corrected movie is loaded.
"""
from __future__ import annotations

from typing import Any, Mapping

from mesmerize.engines.motion_correction.params import BIT_DEPTHS, MotionCorrectionParams
from mesmerize.gui.viewer.modules.param_form import BatchModule, Field, ParamForm

KIND = "caiman_motion_correction"

DEFAULTS: dict[str, Any] = {
    "max_shifts_x": 6, "max_shifts_y": 6, "iters_rigid": 1, "name_rigid": "", "max_dev": 3,
    "strides": 196, "overlaps": 98, "upsample": 4, "name_elas": "",
    "output_bit_depth": "Do not convert", "gSig_filt": None, "bord_px": 0,
}

FIELDS = (
    Field("max_shifts_x", "max_shifts_x", "int", "Largest rigid shift searched along x, in "
          "pixels (>= 0). Set it above the largest movement in the movie.", 0, 1000),
    Field("max_shifts_y", "max_shifts_y", "int", "Largest rigid shift searched along y, in "
          "pixels (>= 0).", 0, 1000),
    Field("iters_rigid", "iters_rigid", "int", "Rigid passes over the movie (>= 1); the "
          "template is re-estimated between passes. Default 1.", 1, 100),
    Field("name_rigid", "name_rigid", "text", "Name of the rigid step, kept in the history "
          "trace only."),
    Field("max_dev", "max_dev", "int", "Largest deviation of a patch's shift from the frame's "
          "rigid shift, in pixels (>= 0). Default 3.", 0, 1000),
    Field("strides", "strides", "int", "Piecewise-rigid patch grid: a new patch starts every "
          "'strides' pixels (>= 1). Default 196.", 1, 100000),
    Field("overlaps", "overlaps", "int", "Overlap of neighbouring patches in pixels; patches "
          "are strides + overlaps wide. Must be smaller than strides. Default 98.", 0, 100000),
    Field("upsample", "upsample", "int", "Upsampling of the patch-shift grid before the shifts "
          "are interpolated to every pixel (>= 1; 1: piecewise linear). Default 4.", 1, 100),
    Field("gSig_filt", "gSig_filt", "int_none", "Half-size in pixels of the high-pass filter "
          "used only to estimate shifts, for 1-photon movies; None (default) for 2-photon.",
          0, 1000),
    Field("bord_px", "bord_px", "int", "Pixels at each edge ignored when estimating shifts "
          "(>= 0). Default 0.", 0, 10000),
    Field("output_bit_depth", "Output bit depth", "choice", "The corrected movie is float32; "
          "'8' or '16' converts it to uint8/uint16 to save disk space (values may be "
          "clipped).", choices=tuple(BIT_DEPTHS)),
    Field("name_elas", "Name", "text", "Name of the batch item (the guide's name_elas)."),
)


class MotionCorrectionModule(BatchModule):
    """Parameter form and batch entry of NoRMCorre motion correction."""

    name = KIND
    title = "Caiman Motion Correction"

    def __init__(self, vi, parent=None) -> None:
        super().__init__(vi, parent)
        self.params: dict[str, Any] = dict(DEFAULTS)
        self.form = ParamForm(FIELDS, self.params)
        self.forms = (self.form,)
        self.add_button = self.add_section("NoRMCorre (rigid + piecewise rigid)", self.form,
                                           "Add to batch", self._add_current)
        self.finish_layout()

    def validate_params(self, params: Mapping[str, Any]) -> None:
        """Refuse parameters NoRMCorre cannot run with (``ParameterError``)."""
        MotionCorrectionParams.from_dict(params)

    def add_to_batch(self) -> str:
        """Add an item with the current parameters, named ``name_elas``, taking the work
        environment of ``set_input_workEnv`` (else the Viewer's) as input; returns its UUID."""
        return self._add(self.input_work_env())

    def _add_current(self) -> str:
        return self._add(self.vi.work_env)

    def _add(self, work_env) -> str:
        params = self.get_params()
        self.validate_params(params)
        return self.add_item(KIND, params.get("name_elas"), params, work_env)
