"""Deconvolution of calcium traces: OASIS (AR(1)/AR(2)), AR estimation, noise constraint."""
from mesmerize.engines.deconvolution.ar_estimation import (
    autocovariance, estimate_ar_coefficients, g_from_decay_time)
from mesmerize.engines.deconvolution.constrained import Deconvolution, constrained_foopsi
from mesmerize.engines.deconvolution.noise import noise_psd
from mesmerize.engines.deconvolution.oasis import oasis, spikes_from_calcium

__all__ = ["oasis", "spikes_from_calcium", "constrained_foopsi", "Deconvolution", "noise_psd",
           "autocovariance", "estimate_ar_coefficients", "g_from_decay_time"]
