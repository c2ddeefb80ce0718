"""Native CNMF source extraction for 2-photon movies (Pnevmatikakis et al. 2016).

``fit(movie_path, params, output_dir, progress=None, executor=None) -> CNMFResult``; params
are the guide's CNMF dict or a :class:`CNMFParams`. ``A`` is in Fortran pixel order over
``dims = (H, W)`` (see ``result.py``). The CNN component classifier is not available: the
``cnn_thr`` test is off.
"""
from mesmerize.engines.cnmf.dff import detrend_df_f
from mesmerize.engines.cnmf.params import CNMFParams
from mesmerize.engines.cnmf.pipeline import fit
from mesmerize.engines.cnmf.result import CNMFResult

__all__ = ["fit", "CNMFParams", "CNMFResult", "detrend_df_f"]
