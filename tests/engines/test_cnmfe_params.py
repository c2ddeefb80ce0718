"""CNMF-E parameters built from the guide's CNMFE dict."""
from __future__ import annotations

import json

import numpy as np
import pytest

from mesmerize.core.errors import ParameterError
from mesmerize.engines.cnmfe import CNMFEParams

# the 'cnmfe' entry of the history trace shown in the user guide
GUIDE_DICT = {'Input': 'Current Work Environment', 'frate': 10.0, 'gSig': 10, 'bord_px': 5,
              'min_corr': 0.9600000000000001, 'min_pnr': 10, 'min_SNR': 1, 'r_values_min': 0.7,
              'decay_time': 2, 'rf': 80, 'stride': 40, 'gnb': 8, 'nb_patch': 8, 'k': 8,
              'name_corr_pnr': 'a8_t1', 'name_cnmfe': 'a1_t2', 'do_corr_pnr': False,
              'do_cnmfe': True}


def test_guide_dict_is_accepted():
    p = CNMFEParams.from_dict(GUIDE_DICT)
    assert p.fr == 10.0 and p.gSig == (10, 10) and p.gSiz == (41, 41)
    assert p.min_corr == pytest.approx(0.96) and p.min_pnr == 10 and p.k == 8
    assert p.rf == 80 and p.stride == 40 and p.gnb == 8 and p.nb_patch == 8 and p.bord_px == 5
    assert p.ring_size_factor == 1.5 and p.ring_radius == pytest.approx(61.5)
    d = p.to_dict()
    json.dumps(d, allow_nan=False)
    assert d["gSig"] == [10, 10] and d["Ain_shape"] is None


def test_frame_rate_from_meta_overrides_and_aliases():
    assert CNMFEParams.from_dict({"frate": 20}).fr == 20.0
    assert CNMFEParams.from_dict({"fr": 15}).fr == 15.0
    assert CNMFEParams.from_dict({"frate": 20}, fr=30.0).fr == 30.0
    with pytest.raises(ParameterError, match="disagree"):
        CNMFEParams.from_dict({"frate": 20, "fr": 10})


def test_gsiz_derivation_and_pairs():
    assert CNMFEParams(gSig=[3, 4]).gSiz == (13, 17)
    assert CNMFEParams(gSig=3, gSiz=12).gSiz == (13, 13)  # even sizes rounded up to odd
    assert CNMFEParams(gSig=np.int64(2)).gSig == (2, 2)
    with pytest.raises(ParameterError, match="gSiz"):
        CNMFEParams(gSig=5, gSiz=7)


@pytest.mark.parametrize("key,value,needle", [
    ("min_corr", 1.5, "min_corr"), ("min_corr", -0.1, "min_corr"), ("min_pnr", -1, "min_pnr"),
    ("gSig", 0, "gSig"), ("gSig", 2.5, "gSig"), ("gSig", [1, 2, 3], "gSig"), ("k", -1, "'k'"),
    ("rf", 0, "rf"), ("decay_time", 0, "decay_time"), ("ring_size_factor", 0, "ring_size"),
    ("fr", float("nan"), "fr"), ("min_SNR", "2", "min_SNR"), ("gnb", -2, "gnb"),
    ("Ain", [[1.0]], "Ain"), ("bord_px", True, "bord_px"),
])
def test_bad_values_name_the_parameter(key, value, needle):
    with pytest.raises(ParameterError, match=needle):
        CNMFEParams(**{key: value})


def test_unknown_key_and_nothing_to_do():
    with pytest.raises(ParameterError, match="unknown CNMF-E parameter 'gsig'"):
        CNMFEParams.from_dict({"gsig": 3})
    with pytest.raises(ParameterError, match="k >= 1"):
        CNMFEParams(k=0)
    assert CNMFEParams(k=0, Ain=np.ones((100, 2))).k == 0
    with pytest.raises(ParameterError, match="stride"):
        CNMFEParams(rf=10, stride=20)


def test_field_of_view_check():
    p = CNMFEParams(gSig=4)
    p.check_fov((17, 40))
    with pytest.raises(ParameterError, match="gSig.*too large.*16x40"):
        p.check_fov((16, 40))
    with pytest.raises(ParameterError, match="bord_px"):
        CNMFEParams(gSig=2, bord_px=20).check_fov((40, 40))
