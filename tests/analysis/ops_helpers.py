"""Shared builders for the operation tests."""
import numpy as np
import pandas as pd

from mesmerize.analysis import Transmission


def make_t(n=6, length=120, fps=10.0, seed=0, lengths=None, **columns):
    """A one-block Transmission of noisy sinusoids in _RAW_CURVE (``lengths`` makes them ragged)."""
    rng = np.random.default_rng(seed)
    lengths = [length] * n if lengths is None else lengths
    curves = [np.sin(np.arange(k) / (3 + i)) * (i + 1) + rng.normal(0, 0.3, k) + i
              for i, k in enumerate(lengths)]
    fps_values = fps if isinstance(fps, list) else [fps] * len(lengths)
    df = pd.DataFrame({"_RAW_CURVE": curves, "meta": [{"fps": f} for f in fps_values],
                       **columns})
    return Transmission.from_dataframe(df)


def cells(t, column):
    return list(t.df[column])
