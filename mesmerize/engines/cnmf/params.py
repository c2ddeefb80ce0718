"""CNMF parameters: the guide's parameter dict, validated into a dataclass.

Names and meaning follow CaImAn (and the guide's CNMF chapter): ``p`` AR order of the calcium
dynamics (0, 1, 2); ``gnb`` number of background components (0: none, the per-pixel temporal
median is removed as a static background instead); ``merge_thresh`` temporal
correlation above which overlapping components are merged; ``rf`` half-size of a patch in
pixels (None: no patches); ``stride_cnmf`` overlap between patches in pixels; ``k`` components
initialised per patch (or in the whole FOV without patches); ``gSig`` expected neuron radius in
pixels (half-width of the Gaussian kernel, int or (y, x)); ``min_SNR`` SNR threshold for
accepting traces; ``rval_thr`` spatial consistency threshold; ``cnn_thr`` threshold of CaImAn's
CNN classifier — **the CNN classifier is not available in Mesmerize (its trained weights cannot
be shipped), so the CNN test is off; the value is validated and recorded but not used**;
``decay_time`` indicator decay time in seconds (prior for the AR coefficients and the length of
the SNR event window); ``refit`` re-run the fit seeded with the accepted components; ``fr``
frame rate in Hz (from the meta data); ``Ain`` optional seed footprints ((n_pixels, K) in
Fortran pixel order, or (K, H, W)). Beyond the guide: ``n_iter`` rounds of spatial/temporal
updates (default 2, like CaImAn) and ``noise_method`` for the per-pixel noise (mean, median,
logmexp; see ``engines.deconvolution.noise``).
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, Mapping

import numpy as np
import scipy.sparse

from mesmerize.core.errors import ParameterError
from mesmerize.engines.param_checks import check_number

#: keys of the guide's dict that belong to the GUI / batch, not to the algorithm
GUI_KEYS = ("Input", "name_cnmf")


def _num(name: str, value: Any, **limits: Any) -> Any:
    return check_number("CNMF", name, value, **limits)


@dataclass
class CNMFParams:
    """Validated CNMF parameters (see the module docstring for each field)."""

    fr: float = 30.0
    p: int = 1
    gnb: int = 1
    merge_thresh: float = 0.8
    rf: int | None = None
    stride_cnmf: int = 6
    k: int = 30
    gSig: tuple[int, int] = (4, 4)
    min_SNR: float = 2.5
    rval_thr: float = 0.8
    cnn_thr: float = 0.8
    decay_time: float = 0.4
    refit: bool = False
    Ain: Any = None
    n_iter: int = 2
    noise_method: str = "mean"

    def __post_init__(self) -> None:
        self.fr = _num("fr", self.fr, low=0, low_open=True)
        self.p = _num("p", self.p, integer=True, low=0, high=2)
        self.gnb = _num("gnb", self.gnb, integer=True, low=0)
        self.merge_thresh = _num("merge_thresh", self.merge_thresh, low=-1, high=1)
        if self.rf is not None:
            self.rf = _num("rf", self.rf, integer=True, low=1)
        self.stride_cnmf = _num("stride_cnmf", self.stride_cnmf, integer=True, low=0)
        if self.rf is not None and self.stride_cnmf >= 2 * self.rf:
            raise ParameterError(f"stride_cnmf ({self.stride_cnmf}) must be smaller than the patch "
                                 f"size 2*rf ({2 * self.rf})")
        self.k = _num("k", self.k, integer=True, low=0)
        gsig = self.gSig
        if isinstance(gsig, (list, tuple, np.ndarray)):
            if len(gsig) != 2:
                raise ParameterError(f"CNMF parameter 'gSig' must be a number or a (y, x) pair, "
                                     f"got {gsig!r}")
            self.gSig = tuple(_num("gSig", g, integer=True, low=1) for g in gsig)
        else:
            g = _num("gSig", gsig, integer=True, low=1)
            self.gSig = (g, g)
        self.min_SNR = _num("min_SNR", self.min_SNR, low=0)
        self.rval_thr = _num("rval_thr", self.rval_thr, low=-1, high=1)
        self.cnn_thr = _num("cnn_thr", self.cnn_thr, low=0, high=1)
        self.decay_time = _num("decay_time", self.decay_time, low=0, low_open=True)
        if not isinstance(self.refit, (bool, np.bool_)):
            raise ParameterError(f"CNMF parameter 'refit' must be True or False, got {self.refit!r}")
        self.refit = bool(self.refit)
        self.n_iter = _num("n_iter", self.n_iter, integer=True, low=1)
        if self.noise_method not in ("mean", "median", "logmexp"):
            raise ParameterError(f"CNMF parameter 'noise_method' must be mean, median or logmexp, "
                                 f"got {self.noise_method!r}")
        if self.Ain is not None and not (scipy.sparse.issparse(self.Ain)
                                         or isinstance(self.Ain, np.ndarray)):
            raise ParameterError("CNMF parameter 'Ain' must be a (n_pixels, K) array or sparse "
                                 "matrix (Fortran pixel order) or a (K, H, W) array")
        if self.k == 0 and self.Ain is None:
            raise ParameterError("CNMF parameter 'k' is 0 and no seed footprints 'Ain' were "
                                 "given: nothing to extract; set k >= 1")

    @classmethod
    def from_dict(cls, params: Mapping[str, Any], fr: float | None = None) -> "CNMFParams":
        """Build from the guide's dict; ``fr`` (Hz, from the meta data) overrides ``params['fr']``.

        GUI-only keys (``Input``, ``name_cnmf``, ...) are ignored; any other unknown key is an
        error naming it.
        """
        if not isinstance(params, Mapping):
            raise ParameterError(f"CNMF parameters must be a dict {{name: value}}, got "
                                 f"{type(params).__name__} {params!r}")
        known = {f.name for f in fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in params.items():
            if key in GUI_KEYS:
                continue
            if key not in known:
                raise ParameterError(f"unknown CNMF parameter {key!r}; known parameters: "
                                     f"{sorted(known)}")
            kwargs[key] = value
        if fr is not None:
            kwargs["fr"] = fr
        return cls(**kwargs)

    def to_dict(self) -> dict:
        """JSON-safe dict of the parameters (``Ain`` recorded only as its shape)."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "Ain"}
        out["gSig"] = list(self.gSig)
        out["Ain_shape"] = None if self.Ain is None else list(self.Ain.shape)
        out["cnn_test"] = "off: the CNN classifier is not available in Mesmerize"
        return out
