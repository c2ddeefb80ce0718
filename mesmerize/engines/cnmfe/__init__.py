"""CNMF-E (Zhou et al. 2018) for 1-photon / microendoscopic movies: parameters, the correlation
and PNR images (``corr_pnr``), greedy seed initialisation and the ring background model."""
from .corr_pnr import CorrPNRResult, corr_pnr
from .params import CNMFEParams
from .pipeline import fit

__all__ = ["CNMFEParams", "CorrPNRResult", "corr_pnr", "fit"]
