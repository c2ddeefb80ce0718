"""CNMF-E parameters: the guide's "CNMFE" parameter dict, validated into a dataclass.

Names follow the guide (and CaImAn's CNMF-E demo): ``gSig`` expected neuron radius in pixels
(half-width of the Gaussian of the high-pass filter; int or ``(y, x)``); ``gSiz`` size of that
filter's kernel in pixels (odd; ``4 * gSig + 1`` when absent); ``min_corr`` (0..1) and
``min_pnr`` (>= 0) thresholds a seed pixel's local correlation and peak-to-noise ratio must
exceed; ``min_SNR`` and ``r_values_min`` component-evaluation thresholds (trace SNR, spatial
consistency); ``decay_time`` indicator decay time in seconds; ``rf`` half-size of a patch in
pixels (None: whole field of view) and ``stride`` overlap between patches in pixels; ``gnb``
the background stored in the result (0 or -1: the ring model's constant level, with the full
ring model in ``cnmfe_ring_model.npz``; > 0: a rank-``gnb`` non-negative factorisation of the
ring background); ``nb_patch`` the rank of each patch's background approximation from which,
with patches, that rank-``gnb`` background is built (``gnb`` when <= 0; as in CaImAn it has no
effect unless ``gnb > 0`` and ``rf`` is set; see ``pipeline``); ``k`` largest number of
components initialised per patch; ``bord_px`` pixels at each edge where no seed is taken
(motion-correction border); ``ring_size_factor`` radius of the background ring in units of
``gSiz``; ``Ain`` optional seed footprints (``(n_pixels, K)`` Fortran pixel order, or
``(K, H, W)``) replacing the greedy initialisation; ``frate`` / ``fr`` frame rate in Hz.
Extra algorithm settings with CaImAn's defaults: ``p`` order of the AR model of the calcium
dynamics, ``merge_thresh`` temporal correlation above which overlapping components are merged,
``ssub_B`` spatial downsampling of the ring-model fit.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Mapping

import numpy as np
import scipy.sparse

from mesmerize.core.errors import ParameterError
from mesmerize.engines.param_checks import check_number

#: keys of the guide's dict that belong to the GUI / batch, not to the algorithm
GUI_KEYS = ("Input", "name_corr_pnr", "name_cnmfe", "do_corr_pnr", "do_cnmfe", "item_name")


def _num(name: str, value: Any, **limits: Any) -> Any:
    return check_number("CNMF-E", name, value, **limits)


def _pair(name: str, value: Any, low: int) -> tuple[int, int]:
    if isinstance(value, (list, tuple, np.ndarray)):
        if len(value) != 2:
            raise ParameterError(f"CNMF-E parameter {name!r} must be a number or a (y, x) pair, "
                                 f"got {value!r}")
        return (_num(name, value[0], integer=True, low=low),
                _num(name, value[1], integer=True, low=low))
    v = _num(name, value, integer=True, low=low)
    return v, v


@dataclass
class CNMFEParams:
    """Validated CNMF-E parameters (see the module docstring for each field)."""

    fr: float = 10.0
    gSig: tuple[int, int] = (3, 3)
    gSiz: tuple[int, int] | None = None
    min_corr: float = 0.8
    min_pnr: float = 10.0
    min_SNR: float = 3.0
    r_values_min: float = 0.85
    decay_time: float = 0.4
    rf: int | None = None
    stride: int = 20
    gnb: int = 0
    nb_patch: int = 0
    k: int = 30
    bord_px: int = 0
    ring_size_factor: float = 1.5
    Ain: Any = None
    p: int = 1
    merge_thresh: float = 0.7
    ssub_B: int = 2

    def __post_init__(self) -> None:
        self.fr = _num("fr", self.fr, low=0, low_open=True)
        self.gSig = _pair("gSig", self.gSig, 1)
        if self.gSiz is None:
            self.gSiz = (4 * self.gSig[0] + 1, 4 * self.gSig[1] + 1)
        else:
            gsiz = _pair("gSiz", self.gSiz, 1)
            # an even kernel has no centre pixel; round up to odd like CaImAn
            self.gSiz = (gsiz[0] // 2 * 2 + 1, gsiz[1] // 2 * 2 + 1)
        if self.gSiz[0] < 2 * self.gSig[0] + 1 or self.gSiz[1] < 2 * self.gSig[1] + 1:
            raise ParameterError(f"CNMF-E parameter 'gSiz' {self.gSiz} must be at least "
                                 f"2*gSig+1 = {(2 * self.gSig[0] + 1, 2 * self.gSig[1] + 1)}; "
                                 "leave it out to use 4*gSig+1")
        self.min_corr = _num("min_corr", self.min_corr, low=0, high=1)
        self.min_pnr = _num("min_pnr", self.min_pnr, low=0)
        self.min_SNR = _num("min_SNR", self.min_SNR, low=0)
        self.r_values_min = _num("r_values_min", self.r_values_min, low=-1, high=1)
        self.decay_time = _num("decay_time", self.decay_time, low=0, low_open=True)
        if self.rf is not None:
            self.rf = _num("rf", self.rf, integer=True, low=1)
        self.stride = _num("stride", self.stride, integer=True, low=0)
        if self.rf is not None and self.stride >= 2 * self.rf:
            raise ParameterError(f"CNMF-E parameter 'stride' ({self.stride}) must be smaller than "
                                 f"the patch size 2*rf ({2 * self.rf})")
        self.gnb = _num("gnb", self.gnb, integer=True, low=-1)
        self.nb_patch = _num("nb_patch", self.nb_patch, integer=True, low=-1)
        self.k = _num("k", self.k, integer=True, low=0)
        self.bord_px = _num("bord_px", self.bord_px, integer=True, low=0)
        self.ring_size_factor = _num("ring_size_factor", self.ring_size_factor, low=0,
                                     low_open=True)
        self.p = _num("p", self.p, integer=True, low=0, high=2)
        self.merge_thresh = _num("merge_thresh", self.merge_thresh, low=-1, high=1)
        self.ssub_B = _num("ssub_B", self.ssub_B, integer=True, low=1)
        if self.Ain is not None and not (scipy.sparse.issparse(self.Ain)
                                         or isinstance(self.Ain, np.ndarray)):
            raise ParameterError("CNMF-E parameter 'Ain' must be a (n_pixels, K) array or sparse "
                                 "matrix (Fortran pixel order) or a (K, H, W) array; in the GUI "
                                 "it is the UUID of the CNMF-E item whose footprints seed this one")
        if self.k == 0 and self.Ain is None:
            raise ParameterError("CNMF-E parameter 'k' is 0 and no seed footprints 'Ain' were "
                                 "given: nothing to extract; set k >= 1")

    @property
    def ring_radius(self) -> float:
        """Radius of the background ring in pixels: ``ring_size_factor * gSiz``."""
        return self.ring_size_factor * self.gSiz[0]

    def check_fov(self, dims: tuple[int, int]) -> None:
        """Refuse a filter kernel larger than the field of view ``dims = (H, W)`` pixels."""
        H, W = dims
        if self.gSiz[0] > H or self.gSiz[1] > W:
            raise ParameterError(f"gSig={self.gSig} is too large for the {H}x{W} pixel field of "
                                 f"view: its filter kernel gSiz={self.gSiz} (4*gSig+1) must fit "
                                 "in the image; lower gSig (the expected neuron radius in pixels)")
        if self.bord_px * 2 >= min(H, W):
            raise ParameterError(f"bord_px={self.bord_px} leaves no pixel of the {H}x{W} field of "
                                 "view to search; lower bord_px")

    @classmethod
    def from_dict(cls, params: Mapping[str, Any], fr: float | None = None) -> "CNMFEParams":
        """Build from the guide's dict; ``fr`` (Hz, from the meta data) overrides ``frate``/``fr``.

        GUI-only keys (``Input``, ``name_corr_pnr``, ``do_cnmfe``, ...) are ignored; ``frate`` is
        the guide's name of ``fr``; any other unknown key is an error naming it.
        """
        if not isinstance(params, Mapping):
            raise ParameterError(f"CNMF-E parameters must be a dict {{name: value}}, got "
                                 f"{type(params).__name__} {params!r}")
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in params.items():
            if key in GUI_KEYS:
                continue
            if key == "frate":
                if "fr" in params and params["fr"] != value:
                    raise ParameterError(f"'frate' ({value!r}) and 'fr' ({params['fr']!r}) "
                                         "disagree; give the frame rate once")
                key = "fr"
            if key not in known:
                raise ParameterError(f"unknown CNMF-E parameter {key!r}; known parameters: "
                                     f"{sorted(known | {'frate'})}")
            kwargs[key] = value
        if fr is not None:
            kwargs["fr"] = fr
        return cls(**kwargs)

    def to_dict(self) -> dict:
        """JSON-safe dict of the parameters (``Ain`` recorded only as its shape)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "Ain"}
        out["gSig"] = list(self.gSig)
        out["gSiz"] = list(self.gSiz)
        out["Ain_shape"] = None if self.Ain is None else list(self.Ain.shape)
        return out
