"""Parameter validation of the motion-correction engine (the guide's dict)."""
import pytest

from mesmerize.core.errors import ParameterError
from mesmerize.engines.motion_correction import MotionCorrectionParams

GUIDE_PARAMS = {
    "max_shifts_x": 6, "max_shifts_y": 6, "iters_rigid": 2, "name_rigid": "Does not matter",
    "max_dev": 3, "strides": 196, "overlaps": 98, "upsample": 4,
    "name_elas": "will set later per file", "output_bit_depth": "Do not convert",
    "gSig_filt": (10, 10),
}


def test_guide_dict_is_accepted_and_normalised():
    p = MotionCorrectionParams.from_dict(GUIDE_PARAMS)
    assert p.strides == (196, 196) and p.overlaps == (98, 98)
    assert p.patch_size == (294, 294)
    assert p.gSig_filt == (10, 10)
    assert p.output_bit_depth is None
    assert p.pw_rigid is True and p.iters == 1
    assert p.max_shifts == (6, 6)


def test_to_dict_round_trips():
    p = MotionCorrectionParams.from_dict({**GUIDE_PARAMS, "output_bit_depth": "16", "bord_px": 5})
    assert MotionCorrectionParams.from_dict(p.to_dict()) == p
    assert p.to_dict()["output_bit_depth"] == "16"


@pytest.mark.parametrize("key, value, fragment", [
    ("max_shifts_x", -1, "max_shifts_x"),
    ("max_shifts_y", 2.5, "max_shifts_y"),
    ("overlaps", 196, "overlaps"),
    ("overlaps", (10, 300), "overlaps"),
    ("strides", 0, "strides"),
    ("upsample", 0, "upsample"),
    ("gSig_filt", 0, "gSig_filt"),
    ("gSig_filt", "7", "gSig_filt"),
    ("gSig_filt", (3, 3, 3), "gSig_filt"),
    ("output_bit_depth", 12, "output_bit_depth"),
    ("output_bit_depth", "32 bit", "output_bit_depth"),
    ("iters_rigid", 0, "iters_rigid"),
    ("max_dev", -2, "max_dev"),
    ("bord_px", -1, "bord_px"),
    ("pw_rigid", "yes", "pw_rigid"),
    ("name_elas", 3, "name_elas"),
])
def test_bad_values_name_the_parameter(key, value, fragment):
    with pytest.raises(ParameterError, match=fragment):
        MotionCorrectionParams.from_dict({**GUIDE_PARAMS, key: value})


def test_unknown_key_is_refused():
    with pytest.raises(ParameterError, match="max_shift_x"):
        MotionCorrectionParams.from_dict({**GUIDE_PARAMS, "max_shift_x": 3})


def test_parameter_error_is_a_value_error():
    with pytest.raises(ValueError):
        MotionCorrectionParams(max_shifts_x=-3)
